// Case-insensitive file-name globs: '*' any run, '?' one byte, '[...]' a class ('!' or '^'
// negates, ranges a-z). Matching is iterative with one backtrack point per '*', so it costs at
// most O(pattern x name) — no exponential blow-up on hostile patterns or names.
#ifndef GFI_MATCH_GLOB_H_
#define GFI_MATCH_GLOB_H_

#include <string_view>

namespace gfi {

// `pattern` and `name` are compared with ASCII case folded.
bool GlobMatch(std::string_view pattern, std::string_view name);

}  // namespace gfi

#endif  // GFI_MATCH_GLOB_H_
