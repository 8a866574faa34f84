// Base64 and quoted-printable decoding. Base64 takes a fast path over whole 4-character groups
// with four precomputed shift tables (one lookup and OR per character, one check per group) and
// falls back to a character-at-a-time path at line ends, whitespace, padding and junk.
#include "mime/transfer_decode.h"

#include "util/strings.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace gfi {
namespace {

constexpr uint32_t kBad = 0x01000000;  // set in a table entry for a non-alphabet character

constexpr int SextetOf(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

struct Tables {
  std::array<uint32_t, 256> t[4];
  std::array<int8_t, 256> sextet;
};

constexpr Tables MakeTables() {
  Tables tb{};
  for (int c = 0; c < 256; ++c) {
    int v = SextetOf(static_cast<unsigned char>(c));
    tb.sextet[c] = static_cast<int8_t>(v);
    for (int k = 0; k < 4; ++k) {
      // Output bytes are assembled big-endian in the low 24 bits: group value = s0<<18|s1<<12|...
      tb.t[k][c] = v < 0 ? kBad : static_cast<uint32_t>(v) << (18 - 6 * k);
    }
  }
  return tb;
}

constexpr Tables kTables = MakeTables();

inline bool IsBlank(unsigned char c) { return c == ' ' || c == '\t'; }

// First '=' or '\n' in [p, end), or end. Quoted-printable lines are short (76 bytes), so two
// memchr calls per line cost more than one 16-byte SSE2 pass looking for both at once.
inline const char* FindEqOrNewline(const char* p, const char* end) {
#if defined(__SSE2__)
  const __m128i eq = _mm_set1_epi8('=');
  const __m128i nl = _mm_set1_epi8('\n');
  while (end - p >= 16) {
    __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    int mask = _mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, eq), _mm_cmpeq_epi8(v, nl)));
    if (mask != 0) return p + __builtin_ctz(static_cast<unsigned>(mask));
    p += 16;
  }
#endif
  while (p < end && *p != '=' && *p != '\n') ++p;
  return p;
}

}  // namespace

DecodeStats DecodeBase64(std::string_view in, std::string* out, size_t max_out) {
  DecodeStats st;
  const auto* p = reinterpret_cast<const unsigned char*>(in.data());
  const auto* end = p + in.size();
  size_t base = out->size();
  size_t cap = in.size() / 4 * 3 + 3;
  if (max_out != SIZE_MAX && cap > max_out) cap = max_out;
  out->resize(base + cap + 4);  // +4: the fast path stores four bytes per three decoded
  auto* o = reinterpret_cast<unsigned char*>(out->data()) + base;
  auto* o_start = o;
  auto* o_limit = o_start + cap;

  uint32_t acc = 0;  // pending sextets (slow path)
  int pending = 0;
  const unsigned char* first_pad = nullptr;
  while (p < end) {
    // Fast path: whole groups of four alphabet characters while nothing is pending.
    if (pending == 0) {
      while (end - p >= 4 && o + 3 <= o_limit) {
        uint32_t v = kTables.t[0][p[0]] | kTables.t[1][p[1]] | kTables.t[2][p[2]] |
                     kTables.t[3][p[3]];
        if (v & kBad) break;
        o[0] = static_cast<unsigned char>(v >> 16);
        o[1] = static_cast<unsigned char>(v >> 8);
        o[2] = static_cast<unsigned char>(v);
        o += 3;
        p += 4;
      }
      if (p >= end) break;
    }
    unsigned char c = *p++;
    int v = kTables.sextet[c];
    if (v >= 0) {
      acc = (acc << 6) | static_cast<uint32_t>(v);
      if (++pending == 4) {
        if (o + 3 > o_limit) {
          st.truncated = true;
          break;
        }
        o[0] = static_cast<unsigned char>(acc >> 16);
        o[1] = static_cast<unsigned char>(acc >> 8);
        o[2] = static_cast<unsigned char>(acc);
        o += 3;
        acc = 0;
        pending = 0;
      }
    } else if (c == '=') {
      if (first_pad == nullptr) first_pad = p - 1;
      // Padding ends the quantum: flush 1 or 2 bytes for 2 or 3 pending sextets.
      if (pending >= 2) {
        size_t n = pending == 2 ? 1 : 2;
        if (o + n > o_limit) {
          st.truncated = true;
          break;
        }
        uint32_t bits = acc << (6 * (4 - pending));
        o[0] = static_cast<unsigned char>(bits >> 16);
        if (n == 2) o[1] = static_cast<unsigned char>(bits >> 8);
        o += n;
      } else if (pending == 1) {
        ++st.invalid_chars;
      }
      acc = 0;
      pending = 0;
    } else if (c != '\r' && c != '\n' && c != ' ' && c != '\t') {
      ++st.invalid_chars;
    }
  }
  if (first_pad != nullptr) {
    // Readers differ only when data follows a '='; usually only padding and a line break do.
    for (const unsigned char* q = first_pad + 1; q < end; ++q) {
      if (kTables.sextet[*q] >= 0) {
        st.data_after_padding = true;
        break;
      }
    }
  }
  if (!st.truncated && pending >= 2) {  // missing padding
    size_t n = pending == 2 ? 1 : 2;
    if (o + n <= o_limit) {
      uint32_t bits = acc << (6 * (4 - pending));
      o[0] = static_cast<unsigned char>(bits >> 16);
      if (n == 2) o[1] = static_cast<unsigned char>(bits >> 8);
      o += n;
    } else {
      st.truncated = true;
    }
  }
  out->resize(base + static_cast<size_t>(o - o_start));
  return st;
}

DecodeStats DecodeBase64StopAtPadding(std::string_view in, std::string* out, size_t max_out) {
  // A transcription of CPython's binascii_a2b_base64_impl (strict_mode=0), which emits a byte as
  // soon as its bits are in; a quantum left unfinished at the end keeps the bytes already out, as
  // email's decode_b does by retrying with padding added.
  DecodeStats st;
  const size_t base = out->size();
  out->reserve(base + std::min(in.size() / 4 * 3 + 3, max_out));
  int quad_pos = 0;
  int pads = 0;
  unsigned left = 0;
  auto emit = [&](unsigned v) {
    if (out->size() - base >= max_out) {
      st.truncated = true;
      return false;
    }
    out->push_back(static_cast<char>(v & 0xFF));
    return true;
  };
  for (const char ch : in) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c == '=') {
      if (quad_pos >= 2 && quad_pos + ++pads >= 4) break;
      continue;
    }
    const int v = kTables.sextet[c];
    if (v < 0) {
      if (c != '\r' && c != '\n' && c != ' ' && c != '\t') ++st.invalid_chars;
      continue;
    }
    pads = 0;
    bool ok = true;
    switch (quad_pos) {
      case 0:
        left = static_cast<unsigned>(v);
        break;
      case 1:
        ok = emit((left << 2) | (static_cast<unsigned>(v) >> 4));
        left = static_cast<unsigned>(v) & 0x0F;
        break;
      case 2:
        ok = emit((left << 4) | (static_cast<unsigned>(v) >> 2));
        left = static_cast<unsigned>(v) & 0x03;
        break;
      default:
        ok = emit((left << 6) | static_cast<unsigned>(v));
        left = 0;
        break;
    }
    if (!ok) break;
    quad_pos = (quad_pos + 1) & 3;
  }
  return st;
}

DecodeStats DecodeQuotedPrintable(std::string_view in, std::string* out, size_t max_out) {
  DecodeStats st;
  const size_t start_size = out->size();
  out->reserve(start_size + std::min(in.size(), max_out));
  const char* p = in.data();
  const char* end = p + in.size();
  // Output from here on in the current line is literal text whose trailing blanks are dropped at
  // the line end (RFC 2045 6.7 rule 3); decoded escapes such as "=20" move it forward.
  size_t protect = out->size();
  auto trim_trailing_blanks = [&] {
    size_t e = out->size();
    const bool cr = e > protect && (*out)[e - 1] == '\r';
    if (cr) --e;
    while (e > protect && ((*out)[e - 1] == ' ' || (*out)[e - 1] == '\t')) --e;
    out->resize(e);
    if (cr) out->push_back('\r');
  };
  auto room = [&](size_t n) { return out->size() - start_size + n <= max_out; };
  while (p < end) {
    // Copy a run of literal text up to the next '=' or line break at once.
    const char* q = FindEqOrNewline(p, end);
    if (q > p) {
      size_t n = static_cast<size_t>(q - p);
      if (!room(n)) {
        out->append(p, max_out - (out->size() - start_size));
        st.truncated = true;
        return st;
      }
      out->append(p, n);
      p = q;
      if (p >= end) break;
    }
    if (*p == '\n') {
      trim_trailing_blanks();
      if (!room(1)) {
        st.truncated = true;
        return st;
      }
      out->push_back('\n');
      protect = out->size();
      ++p;
      continue;
    }
    // '=': an escape, a soft line break, or a stray '=' kept as written.
    if (end - p >= 3) {
      int h = HexDigitValue(p[1]);
      int l = HexDigitValue(p[2]);
      if (h >= 0 && l >= 0) {
        if (!room(1)) {
          st.truncated = true;
          return st;
        }
        out->push_back(static_cast<char>(h * 16 + l));
        protect = out->size();
        p += 3;
        continue;
      }
    }
    // Soft line break: "=" [blanks] (CRLF | LF | CR | end of input). A bare CR ends a line as
    // the MIME parser reads lines (as Python's email does), so "logi=" CR "n.example" is one word.
    const char* r = p + 1;
    while (r < end && IsBlank(static_cast<unsigned char>(*r))) ++r;
    if (r >= end) {
      p = end;
    } else if (*r == '\n' || *r == '\r') {
      if (*r == '\r' && r + 1 < end && r[1] == '\n') ++r;
      p = r + 1;
      protect = out->size();
    } else {
      if (!room(1)) {
        st.truncated = true;
        return st;
      }
      out->push_back('=');
      ++st.invalid_chars;
      ++p;
    }
  }
  trim_trailing_blanks();
  return st;
}

}  // namespace gfi
