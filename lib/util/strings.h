// Small ASCII string helpers shared by the parsers. Locale-independent on purpose: mail syntax is
// ASCII and a process locale must never change how a header is read.
#ifndef GFI_UTIL_STRINGS_H_
#define GFI_UTIL_STRINGS_H_

#include <string>
#include <string_view>
#include <vector>

namespace gfi {

inline char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
// Value of a hexadecimal digit (either case), or -1.
inline int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
inline bool IsAsciiSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

std::string AsciiLowered(std::string_view s);
void AsciiLowerInPlace(std::string* s);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
bool StartsWithIgnoreCase(std::string_view s, std::string_view prefix);
bool EndsWithIgnoreCase(std::string_view s, std::string_view suffix);
// Position of `needle` in `hay` ignoring ASCII case, or npos.
size_t FindIgnoreCase(std::string_view hay, std::string_view needle, size_t from = 0);
std::string_view Trim(std::string_view s);
// Replaces every byte sequence that is not valid UTF-8 with U+FFFD.
std::string SanitizeUtf8(std::string_view s);
bool IsValidUtf8(std::string_view s);
// For text meant for a terminal: valid UTF-8 (as SanitizeUtf8) with C0 and C1 control characters
// and DEL written as \xNN, so a message cannot move the cursor, retitle the window or erase what
// an admin reads.
std::string PrintableUtf8(std::string_view s);

}  // namespace gfi

#endif  // GFI_UTIL_STRINGS_H_
