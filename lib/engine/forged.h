// Headers only this filter may write, and the authserv-id it writes them under. One rule, used by
// the daemon (ScanMessage: the forged copies it deletes) and by `gfictl quarantine release` (the
// copies it strips before re-injecting a message through a port that bypasses the milter).
//
// "Forged" means: any X-GFI-Verdict or X-GFI-Match, and any Authentication-Results whose
// authserv-id is one this host's filter uses or could have used (RFC 8601 section 5).
//
// Pure functions over plain values, thread-safe; only LocalHostName() asks the system.
#ifndef GFI_ENGINE_FORGED_H_
#define GFI_ENGINE_FORGED_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"

namespace gfi {

inline constexpr std::string_view kVerdictHeader = "X-GFI-Verdict";
inline constexpr std::string_view kMatchHeader = "X-GFI-Match";

// gethostname(), "localhost" when it has none.
std::string LocalHostName();

// The authserv-id the filter writes: [milter] authserv_id, else the MTA's host name (its {j}
// macro) when known, else LocalHostName().
std::string AuthservId(const MilterConfig& milter, std::string_view mta_host);

// Every authserv-id the filter on this host could have used for a stored message whose MTA host
// name is not known: the configured one, `postfix_myhostname` (postconf -h myhostname of
// [quarantine] postfix_config, "" when unknown) and LocalHostName(). Distinct, none empty.
std::vector<std::string> PossibleAuthservIds(const MilterConfig& milter,
                                             std::string_view postfix_myhostname);

// True when a header with this name and (unfolded or folded) value is one only we may write.
bool IsForgedHeader(std::string_view name, std::string_view value,
                    const std::vector<std::string>& authserv_ids);

// A header to delete, as smfi_chgheader wants it: the name as the MTA sent it and its index among
// the headers of that name (compared case-insensitively), 1-based, in the order they arrived.
struct HeaderRef {
  std::string name;
  int index = 0;
  bool operator==(const HeaderRef&) const = default;
};

// The forged headers of a message's header block (everything up to the first empty line; CRLF or
// LF line ends), in order.
std::vector<HeaderRef> FindForgedHeaders(std::string_view message,
                                         const std::vector<std::string>& authserv_ids);

// The message without its forged headers; the body is copied as it is.
std::string StripForgedHeaders(std::string_view message,
                               const std::vector<std::string>& authserv_ids);

}  // namespace gfi

#endif  // GFI_ENGINE_FORGED_H_
