// The Public Suffix List (libpsl, with Debian's publicsuffix data): is a host a public suffix
// ("com", "co.uk", "github.io") under which anyone can register names? Used to refuse domain
// indicators so broad that they would match every sender under a country or a hosting service.
// Thread-safe: the list is loaded once, on first use, and only read afterwards.
#ifndef GFI_UTIL_PUBLIC_SUFFIX_H_
#define GFI_UTIL_PUBLIC_SUFFIX_H_

#include <string>

namespace gfi {

// `host` lower-case, punycode (as NormalizeHost gives). False when no list could be loaded.
bool IsPublicSuffix(const std::string& host);

}  // namespace gfi

#endif  // GFI_UTIL_PUBLIC_SUFFIX_H_
