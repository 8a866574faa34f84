// Observables: what the engine saw in a message (type, value, where), the unit indicators match.
//
// Values are normalised by the extractor: hosts lower-case, IDNs in punycode, no trailing dot;
// e-mail addresses with a lower-case domain part; hashes lower-case hex. Plain values; copyable.
#ifndef GFI_EXTRACT_OBSERVABLE_H_
#define GFI_EXTRACT_OBSERVABLE_H_

#include <optional>
#include <string>
#include <string_view>

namespace gfi {

enum class ObservableType { kIp, kDomain, kEmail, kUrl, kMd5, kSha1, kSha256, kFilename };

// Where an observable was seen (Zeek-intel style names; see product.md).
enum class Where {
  kClientIp,
  kHelo,
  kMailFrom,
  kRcptTo,
  kHeaderFrom,
  kHeaderSender,
  kHeaderReplyTo,
  kHeaderReturnPath,
  kHeaderTo,
  kHeaderCc,
  kHeaderMessageId,
  kHeaderReceived,
  kHeaderXOriginatingIp,
  kBodyText,
  kBodyHtml,
  kAttachment,
  kArchiveMember,
  // Places only content rules see (no observable is extracted there):
  kHeaderSubject,  // "header.subject": subject-regex rules
  kHeaderOther,    // "header": header-regex rules on any other field
};

std::string_view ToString(ObservableType t);
std::string_view ToString(Where w);
std::optional<ObservableType> ParseObservableType(std::string_view s);
std::optional<Where> ParseWhere(std::string_view s);

struct Observable {
  ObservableType type;
  std::string value;
  Where where;

  friend bool operator==(const Observable&, const Observable&) = default;
};

}  // namespace gfi

#endif  // GFI_EXTRACT_OBSERVABLE_H_
