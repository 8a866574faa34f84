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

// Where the registrable domain of `host` starts ("login.evil.co.uk" -> 5: "evil.co.uk"): the
// parents of a host that a domain indicator can be are the host down to this offset, since no
// indicator is a public suffix. npos when `host` is itself a public suffix (or empty); when no
// list could be loaded, the start of the last label (every parent is a candidate).
size_t RegistrableDomainOffset(const std::string& host);

}  // namespace gfi

#endif  // GFI_UTIL_PUBLIC_SUFFIX_H_
