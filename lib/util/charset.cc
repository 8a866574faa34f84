// iconv-based charset conversion. ASCII and UTF-8 inputs skip iconv entirely (the common case).
// Invalid input is replaced byte by byte so one bad byte never loses the rest of a text.
// Converters are kept per thread: iconv_open loads and looks up gconv modules under one glibc lock,
// and a header whose encoded words rotate through charsets made every word pay for it.
#include "util/charset.h"

#include <errno.h>
#include <iconv.h>

#include <algorithm>
#include <vector>

#include "util/strings.h"

namespace gfi {
namespace {

const iconv_t kNoConverter = reinterpret_cast<iconv_t>(-1);

// The converters to UTF-8 one thread has opened, the most recently used last. An unknown charset
// is remembered too (as kNoConverter), so rotating through made-up names costs one failed
// iconv_open each, not one per word. Closed when the thread exits.
class ConverterCache {
 public:
  ConverterCache() = default;
  ConverterCache(const ConverterCache&) = delete;
  ConverterCache& operator=(const ConverterCache&) = delete;
  ~ConverterCache() {
    for (Entry& e : entries_)
      if (e.cd != kNoConverter) iconv_close(e.cd);
  }

  // The converter from `charset` (an iconv name), its shift state reset; kNoConverter when iconv
  // does not know the charset. Owned by the cache: valid until the next call on this thread.
  iconv_t Get(const std::string& charset) {
    auto it = std::find_if(entries_.begin(), entries_.end(),
                           [&](const Entry& e) { return e.charset == charset; });
    if (it != entries_.end()) {
      std::rotate(it, it + 1, entries_.end());
    } else {
      if (entries_.size() >= kThreadConverterCacheEntries) {
        if (entries_.front().cd != kNoConverter) iconv_close(entries_.front().cd);
        entries_.erase(entries_.begin());
      }
      entries_.push_back(Entry{charset, iconv_open("UTF-8", charset.c_str())});
    }
    iconv_t cd = entries_.back().cd;
    // A previous text may have ended inside a shift sequence (ISO-2022-JP) or been cut short.
    if (cd != kNoConverter) iconv(cd, nullptr, nullptr, nullptr, nullptr);
    return cd;
  }

  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    std::string charset;
    iconv_t cd;
  };
  std::vector<Entry> entries_;
};

ConverterCache& ThreadConverters() {
  thread_local ConverterCache cache;
  return cache;
}

bool IsAscii(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}

std::string NormalizeCharsetName(std::string_view cs) {
  std::string n = AsciiLowered(Trim(cs));
  if (n.size() >= 2 && n.front() == '"' && n.back() == '"') n = n.substr(1, n.size() - 2);
  // Aliases mail software uses that iconv does not know, and the superset rule of WHATWG Encoding.
  if (n == "iso-8859-1" || n == "latin1" || n == "us-ascii" || n == "ascii" || n == "ansi_x3.4-1968")
    return "windows-1252";
  if (n == "gb2312" || n == "gbk" || n == "x-gbk") return "gb18030";
  if (n == "ks_c_5601-1987") return "cp949";
  if (n == "utf8") return "utf-8";
  return n;
}

}  // namespace

// Charsets in which bytes below 0x80 are ASCII, so pure-ASCII input needs no conversion.
// UTF-16/32, UTF-7, ISO-2022-* and HZ are 7-bit too but are not ASCII: they always go to iconv.
bool AsciiCompatible(const std::string& cs) {
  if (cs.empty() || cs == "utf-8" || cs == "gb18030" || cs == "cp949") return true;
  for (const char* prefix : {"windows-", "iso-8859-", "koi8-", "cp12", "cp8", "ibm8", "big5",
                             "euc-", "shift_jis", "tis-620", "x-mac", "macintosh"})
    if (cs.rfind(prefix, 0) == 0) return true;
  return false;
}

Utf8Text ToUtf8(std::string_view bytes, std::string_view charset) {
  Utf8Text out;
  std::string cs = NormalizeCharsetName(charset);
  if (AsciiCompatible(cs) && IsAscii(bytes)) {
    out.text.assign(bytes);
    return out;
  }
  if (cs.empty() || cs == "utf-8") {
    out.had_invalid = !IsValidUtf8(bytes);
    out.text = out.had_invalid ? SanitizeUtf8(bytes) : std::string(bytes);
    return out;
  }
  iconv_t cd = ThreadConverters().Get(cs);
  if (cd == kNoConverter) {
    out.unknown_charset = true;
    cd = ThreadConverters().Get("windows-1252");
    if (cd == kNoConverter) {
      out.text = SanitizeUtf8(bytes);
      return out;
    }
  }
  out.text.resize(bytes.size() * 2 + 16);
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  size_t produced = 0;
  while (in_left > 0) {
    if (out.text.size() - produced < 16) out.text.resize(out.text.size() * 2);
    char* o = out.text.data() + produced;
    size_t o_left = out.text.size() - produced;
    size_t r = iconv(cd, &in, &in_left, &o, &o_left);
    produced = out.text.size() - o_left;
    if (r != static_cast<size_t>(-1)) break;
    if (errno == E2BIG) {
      out.text.resize(out.text.size() * 2);
    } else {  // EILSEQ or EINVAL (truncated sequence): replace one byte and go on
      out.had_invalid = true;
      if (out.text.size() - produced < 3) out.text.resize(out.text.size() * 2);
      out.text.replace(produced, 3, "\xEF\xBF\xBD");
      produced += 3;
      ++in;
      --in_left;
      iconv(cd, nullptr, nullptr, nullptr, nullptr);  // reset shift state
    }
  }
  // Flush any shift state (stateful encodings such as ISO-2022-JP).
  char* o = out.text.data() + produced;
  size_t o_left = out.text.size() - produced;
  if (o_left < 16) {
    out.text.resize(out.text.size() + 16);
    o = out.text.data() + produced;
    o_left = out.text.size() - produced;
  }
  iconv(cd, nullptr, nullptr, &o, &o_left);
  produced = out.text.size() - o_left;
  out.text.resize(produced);
  return out;
}

size_t ThreadConverterCacheSize() { return ThreadConverters().size(); }

size_t RemoveInvisibleFormatChars(std::string* text) {
  std::string& s = *text;
  const size_t n = s.size();
  // Every one of them starts with 0xC2, 0xE1, 0xE2 or 0xEF; ASCII text is passed over quickly.
  size_t i = 0;
  while (i < n) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c == 0xC2 || c == 0xE1 || c == 0xE2 || c == 0xEF) break;
    ++i;
  }
  size_t w = i;
  size_t removed = 0;
  const auto b = [&](size_t k) { return k < n ? static_cast<unsigned char>(s[k]) : 0; };
  while (i < n) {
    const unsigned char c = b(i);
    size_t len = 0;
    if (c == 0xC2 && b(i + 1) == 0xAD) {
      len = 2;  // U+00AD
    } else if (c == 0xE1 && b(i + 1) == 0xA0 && b(i + 2) == 0x8E) {
      len = 3;  // U+180E
    } else if (c == 0xE2 && b(i + 1) == 0x80 && b(i + 2) >= 0x8B && b(i + 2) <= 0x8D) {
      len = 3;  // U+200B-U+200D
    } else if (c == 0xE2 && b(i + 1) == 0x81 && b(i + 2) >= 0xA0 && b(i + 2) <= 0xA4) {
      len = 3;  // U+2060-U+2064
    } else if (c == 0xEF && b(i + 1) == 0xBB && b(i + 2) == 0xBF) {
      len = 3;  // U+FEFF
    }
    if (len > 0) {
      i += len;
      ++removed;
      continue;
    }
    if (w != i) s[w] = s[i];
    ++w;
    ++i;
  }
  s.resize(w);
  return removed;
}

}  // namespace gfi
