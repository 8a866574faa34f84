// Conversion of text in a declared MIME charset to UTF-8 (glibc iconv).
//
// Thread-safe: each call opens its own converter. Bytes that are invalid in the declared charset
// become U+FFFD; an unknown charset is read as Windows-1252 (what mail clients do) and reported.
#ifndef GFI_UTIL_CHARSET_H_
#define GFI_UTIL_CHARSET_H_

#include <string>
#include <string_view>

namespace gfi {

struct Utf8Text {
  std::string text;             // always valid UTF-8
  bool unknown_charset = false;  // the charset name was not recognised
  bool had_invalid = false;      // some input bytes were invalid and replaced
};

Utf8Text ToUtf8(std::string_view bytes, std::string_view charset);

}  // namespace gfi

#endif  // GFI_UTIL_CHARSET_H_
