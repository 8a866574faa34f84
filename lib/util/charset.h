// Conversion of text in a declared MIME charset to UTF-8 (glibc iconv).
//
// Thread-safe: each thread keeps its own converters (up to kThreadConverterCacheEntries charsets,
// least recently used closed first, all closed at thread exit), reset before every use. Bytes
// that are invalid in the declared charset become U+FFFD; an unknown charset is read as Windows-1252 (what mail clients do) and reported.
#ifndef GFI_UTIL_CHARSET_H_
#define GFI_UTIL_CHARSET_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace gfi {

struct Utf8Text {
  std::string text;             // always valid UTF-8
  bool unknown_charset = false;  // the charset name was not recognised
  bool had_invalid = false;      // some input bytes were invalid and replaced
};

Utf8Text ToUtf8(std::string_view bytes, std::string_view charset);

// Converters (and unknown charset names) each thread keeps; more charsets than this in one
// message reopen the least recently used.
inline constexpr size_t kThreadConverterCacheEntries = 32;

// Charsets cached on the calling thread (for tests).
size_t ThreadConverterCacheSize();

// Removes, in place and in one pass, the invisible format characters a sender slips inside words
// to break content rules while the reader sees the word whole: soft hyphen U+00AD, Mongolian vowel
// separator U+180E, zero-width space/non-joiner/joiner U+200B-U+200D, word joiner and invisible
// operators U+2060-U+2064, and the zero-width no-break space / BOM U+FEFF. `text` is UTF-8.
// Returns the number of characters removed.
size_t RemoveInvisibleFormatChars(std::string* text);

}  // namespace gfi

#endif  // GFI_UTIL_CHARSET_H_
