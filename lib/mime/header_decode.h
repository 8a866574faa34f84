// Reading MIME header values: RFC 2047 encoded words, structured parameters with RFC 2231
// continuations and charsets, Content-Type and Content-Disposition.
//
// Pure functions; thread-safe. Lenient like mail clients (encoded words inside quoted strings,
// missing quotes, stray semicolons) because attackers write what clients accept.
#ifndef GFI_MIME_HEADER_DECODE_H_
#define GFI_MIME_HEADER_DECODE_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gfi {

// Decodes RFC 2047 encoded words in an unstructured value (Subject, display names) to UTF-8;
// whitespace between adjacent encoded words is dropped; other bytes are taken as UTF-8 (invalid
// ones replaced).
std::string DecodeEncodedWords(std::string_view value);

struct MediaParams {
  std::string value;  // the part before the first ';', lower-cased (e.g. "text/plain", "attachment")
  // Parameters with lower-case names, values unquoted, RFC 2231 continuations joined and decoded to
  // UTF-8, RFC 2047 words in values decoded. Order of first appearance; a repeated name keeps the
  // first.
  std::vector<std::pair<std::string, std::string>> params;
  bool malformed = false;  // something had to be guessed (unterminated quote, bad 2231 section)

  // The parameter's value, or "" when absent.
  const std::string& Param(std::string_view name) const;
  bool Has(std::string_view name) const;
};

// Parses "value; name=val; name*0*=utf-8''..." as in Content-Type and Content-Disposition.
MediaParams ParseMediaParams(std::string_view header_value);

}  // namespace gfi

#endif  // GFI_MIME_HEADER_DECODE_H_
