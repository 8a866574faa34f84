// RFC 2047 and RFC 2231 decoding for header values. Decoded bytes go through the declared
// charset to UTF-8; words in unknown charsets are read as Windows-1252 rather than dropped.
#include "mime/header_decode.h"

#include <algorithm>
#include <map>

#include "mime/transfer_decode.h"
#include "util/charset.h"
#include "util/strings.h"

namespace gfi {
namespace {

// One encoded word "=?charset?enc?text?=" starting at s[pos]; returns its length and decoded
// UTF-8 text, or 0 when s[pos] does not start a well-formed word.
size_t ParseEncodedWord(std::string_view s, size_t pos, std::string* bytes_out,
                        std::string* charset_out) {
  if (s.substr(pos, 2) != "=?") return 0;
  size_t q1 = s.find('?', pos + 2);
  if (q1 == std::string_view::npos || q1 == pos + 2) return 0;
  if (q1 + 2 >= s.size() || s[q1 + 2] != '?') return 0;
  char enc = AsciiLower(s[q1 + 1]);
  if (enc != 'b' && enc != 'q') return 0;
  size_t text_start = q1 + 3;
  size_t close = s.find("?=", text_start);
  if (close == std::string_view::npos) return 0;
  std::string_view charset = s.substr(pos + 2, q1 - pos - 2);
  if (size_t star = charset.find('*'); star != std::string_view::npos)  // RFC 2231 language
    charset = charset.substr(0, star);
  std::string_view text = s.substr(text_start, close - text_start);
  if (text.find_first_of(" \t\r\n") != std::string_view::npos) {
    // Encoded words hold no whitespace; be lenient only for base64 line wrapping.
    if (enc == 'q') return 0;
  }
  std::string bytes;
  if (enc == 'b') {
    DecodeBase64(text, &bytes);
  } else {
    bytes.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      char c = text[i];
      if (c == '_') {
        bytes.push_back(' ');
      } else if (c == '=' && i + 2 < text.size() &&
                 HexDigitValue(text[i + 1]) >= 0 && HexDigitValue(text[i + 2]) >= 0) {
        bytes.push_back(static_cast<char>(HexDigitValue(text[i + 1]) * 16 + HexDigitValue(text[i + 2])));
        i += 2;
      } else {
        bytes.push_back(c);
      }
    }
  }
  *bytes_out = std::move(bytes);
  *charset_out = AsciiLowered(charset);
  return close + 2 - pos;
}

}  // namespace

std::string DecodeEncodedWords(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  std::string plain;  // raw bytes between words, converted together
  // Bytes of adjacent encoded words in one charset are converted together: senders split a
  // multibyte character across two words, and clients join them.
  std::string word_bytes, word_charset;
  auto flush_words = [&] {
    if (!word_bytes.empty()) out += ToUtf8(word_bytes, word_charset).text;
    word_bytes.clear();
  };
  bool last_was_word = false;
  size_t pending_ws_start = std::string::npos;
  size_t i = 0;
  auto flush_plain = [&] {
    if (!plain.empty()) {
      flush_words();
      out += SanitizeUtf8(plain);
      plain.clear();
    }
  };
  while (i < value.size()) {
    if (value[i] == '=' && i + 1 < value.size() && value[i + 1] == '?') {
      std::string bytes, charset;
      size_t n = ParseEncodedWord(value, i, &bytes, &charset);
      if (n > 0) {
        if (last_was_word && pending_ws_start != std::string::npos) {
          // Whitespace between two encoded words is not part of the text (RFC 2047 6.2).
          plain.resize(plain.size() - (i - pending_ws_start));
        }
        flush_plain();
        if (charset != word_charset) flush_words();
        word_charset = charset;
        word_bytes += bytes;
        i += n;
        last_was_word = true;
        pending_ws_start = std::string::npos;
        continue;
      }
    }
    char c = value[i];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      if (pending_ws_start == std::string::npos) pending_ws_start = i;
    } else {
      last_was_word = false;
      pending_ws_start = std::string::npos;
    }
    if (!last_was_word || pending_ws_start == std::string::npos) flush_words();
    plain.push_back(c);
    ++i;
  }
  flush_plain();
  flush_words();
  return out;
}

const std::string& MediaParams::Param(std::string_view name) const {
  static const std::string kEmpty;
  for (const auto& [k, v] : params)
    if (k == name) return v;
  return kEmpty;
}

bool MediaParams::Has(std::string_view name) const {
  return std::any_of(params.begin(), params.end(), [&](const auto& kv) { return kv.first == name; });
}

namespace {

struct Section {
  std::string value;
  bool extended = false;  // the section name ended in '*': percent-encoded
};

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexDigitValue(s[i + 1]) >= 0 &&
        HexDigitValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexDigitValue(s[i + 1]) * 16 + HexDigitValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace

MediaParams ParseMediaParams(std::string_view header_value) {
  MediaParams mp;
  std::string_view s = header_value;
  size_t i = 0;
  // The main value: up to ';' (comments in parentheses are dropped).
  std::string main;
  int paren = 0;
  for (; i < s.size() && s[i] != ';'; ++i) {
    char c = s[i];
    if (c == '(') ++paren;
    else if (c == ')' && paren > 0) --paren;
    else if (paren == 0 && !IsAsciiSpace(c) && c != '"') main.push_back(AsciiLower(c));
  }
  mp.value = main;

  // Simple parameters in order, and RFC 2231 sections keyed by base name and index.
  std::vector<std::pair<std::string, std::string>> simple;
  std::map<std::string, std::map<int, Section>> sections;
  std::vector<std::string> order;

  while (i < s.size()) {
    ++i;  // skip ';'
    while (i < s.size() && (IsAsciiSpace(s[i]) || s[i] == ';')) ++i;
    size_t name_start = i;
    while (i < s.size() && s[i] != '=' && s[i] != ';') ++i;
    std::string name = AsciiLowered(Trim(s.substr(name_start, i - name_start)));
    if (i >= s.size() || s[i] == ';') {
      if (!name.empty()) mp.malformed = true;  // a parameter without '='
      continue;
    }
    ++i;  // '='
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n')) ++i;
    std::string value;
    if (i < s.size() && s[i] == '"') {
      ++i;
      bool closed = false;
      for (; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          value.push_back(s[++i]);
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value.push_back(s[i]);
        }
      }
      if (!closed) mp.malformed = true;
      while (i < s.size() && s[i] != ';') ++i;  // junk after the closing quote
    } else {
      size_t vs = i;
      while (i < s.size() && s[i] != ';') ++i;
      value = std::string(Trim(s.substr(vs, i - vs)));
    }
    if (name.empty()) continue;

    // RFC 2231: name*, name*N, name*N*
    size_t star = name.find('*');
    if (star == std::string::npos) {
      simple.emplace_back(name, value);
      if (std::find(order.begin(), order.end(), name) == order.end()) order.push_back(name);
      continue;
    }
    std::string base = name.substr(0, star);
    std::string_view rest = std::string_view(name).substr(star + 1);
    int index = 0;
    bool extended = false;
    if (rest.empty()) {
      extended = true;  // name*=charset'lang'value
    } else {
      size_t k = 0;
      while (k < rest.size() && rest[k] >= '0' && rest[k] <= '9' && k < 4) {
        index = index * 10 + (rest[k] - '0');
        ++k;
      }
      if (k == 0) {
        mp.malformed = true;
        continue;
      }
      if (k < rest.size()) {
        if (rest.substr(k) == "*") {
          extended = true;
        } else {
          mp.malformed = true;
          continue;
        }
      }
    }
    auto& sec = sections[base];
    if (!sec.count(index)) sec[index] = Section{value, extended};
    if (std::find(order.begin(), order.end(), base) == order.end()) order.push_back(base);
  }

  for (const std::string& name : order) {
    auto it = sections.find(name);
    if (it != sections.end()) {
      // Join the sections in index order. RFC 2231 3 says to stop at a gap, but Python's email
      // (and so the tools built on it) joins whatever sections there are, and a name whose
      // "*0" is missing would otherwise vanish: keep everything, flag the gap.
      std::string charset;
      std::string bytes;
      int expect = 0;
      for (const auto& [idx, sec] : it->second) {
        if (idx != expect) mp.malformed = true;
        std::string_view v = sec.value;
        if (sec.extended) {
          if (idx == it->second.begin()->first) {
            size_t q1 = v.find('\'');
            size_t q2 = q1 == std::string_view::npos ? q1 : v.find('\'', q1 + 1);
            if (q2 != std::string_view::npos) {
              charset = std::string(v.substr(0, q1));
              v = v.substr(q2 + 1);
            } else {
              mp.malformed = true;
            }
          }
          bytes += PercentDecode(v);
        } else {
          bytes += v;
        }
        expect = idx + 1;
      }
      std::string text = ToUtf8(bytes, charset.empty() ? "utf-8" : charset).text;
      mp.params.emplace_back(name, std::move(text));
      continue;
    }
    for (const auto& [k, v] : simple) {
      if (k == name) {
        // Clients put RFC 2047 words in quoted parameter values; read them as they do.
        mp.params.emplace_back(k, v.find("=?") != std::string::npos ? DecodeEncodedWords(v)
                                                                     : SanitizeUtf8(v));
        break;
      }
    }
  }
  return mp;
}

}  // namespace gfi
