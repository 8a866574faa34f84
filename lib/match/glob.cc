// Glob matching with the classic single-backtrack algorithm (as in rsync's wildmatch without
// '**'): on mismatch, resume from the last '*' one byte further.
#include "match/glob.h"

#include "util/strings.h"

namespace gfi {
namespace {

// Matches one class at pattern[p] ('[' already seen at p-1) against c; sets *next past ']'.
// Returns false for a malformed class (no ']'), in which case '[' is a literal.
bool MatchClass(std::string_view pat, size_t p, char c, size_t* next, bool* matched) {
  bool negate = false;
  if (p < pat.size() && (pat[p] == '!' || pat[p] == '^')) {
    negate = true;
    ++p;
  }
  bool hit = false;
  bool first = true;
  while (p < pat.size() && (pat[p] != ']' || first)) {
    first = false;
    char lo = AsciiLower(pat[p]);
    char hi = lo;
    if (p + 2 < pat.size() && pat[p + 1] == '-' && pat[p + 2] != ']') {
      hi = AsciiLower(pat[p + 2]);
      p += 2;
    }
    if (c >= lo && c <= hi) hit = true;
    ++p;
  }
  if (p >= pat.size()) return false;
  *next = p + 1;
  *matched = hit != negate;
  return true;
}

}  // namespace

bool GlobMatch(std::string_view pat, std::string_view name) {
  size_t p = 0, n = 0;
  size_t star_p = std::string_view::npos, star_n = 0;
  while (n < name.size()) {
    char c = AsciiLower(name[n]);
    if (p < pat.size()) {
      char pc = pat[p];
      if (pc == '*') {
        star_p = ++p;
        star_n = n;
        continue;
      }
      if (pc == '?') {
        ++p;
        ++n;
        continue;
      }
      if (pc == '[') {
        size_t next;
        bool matched;
        if (MatchClass(pat, p + 1, c, &next, &matched)) {
          if (matched) {
            p = next;
            ++n;
            continue;
          }
        } else if (c == '[') {
          ++p;
          ++n;
          continue;
        }
      } else if (AsciiLower(pc) == c) {
        ++p;
        ++n;
        continue;
      }
    }
    if (star_p == std::string_view::npos) return false;
    p = star_p;
    n = ++star_n;
  }
  while (p < pat.size() && pat[p] == '*') ++p;
  return p == pat.size();
}

}  // namespace gfi
