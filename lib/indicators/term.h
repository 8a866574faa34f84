// Validation and normalisation of one indicator value into a Term, shared by every feed reader so
// "evil.example", "EVIL.example." and "xn--..." mean the same thing whichever format they came in.
#ifndef GFI_INDICATORS_TERM_H_
#define GFI_INDICATORS_TERM_H_

#include <string_view>

#include "indicators/indicator.h"
#include "util/status.h"

namespace gfi {

// Builds a term of `kind` from a feed's raw value, or an error saying why the value is invalid
// ("bad CIDR '10.0.0.0/33'", "md5 must be 32 hex digits"). Regex values are checked with RE2 here.
// kHeaderRegex takes "Name: regex".
Result<Term> MakeTerm(TermKind kind, std::string_view raw, WhereMask where = kAnywhere);

// Maps a CSV/observable type name to a kind: ip, domain, email, url, url-prefix, md5, sha1,
// sha256, filename (glob when it contains * ? or [), subject-regex, header-regex, body-regex,
// content. A "hash" type picks md5/sha1/sha256 by length.
std::optional<TermKind> TermKindForType(std::string_view type, std::string_view value);

}  // namespace gfi

#endif  // GFI_INDICATORS_TERM_H_
