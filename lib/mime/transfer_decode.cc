// Base64 and quoted-printable decoding. Base64 takes a fast path over whole 4-character groups
// with four precomputed shift tables (one lookup and OR per character, one check per group) and
// falls back to a character-at-a-time path at line ends, whitespace, padding and junk.
#include "mime/transfer_decode.h"

#include <array>
#include <cstdint>
#include <cstring>

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

inline int HexValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
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

DecodeStats DecodeQuotedPrintable(std::string_view in, std::string* out, size_t max_out) {
  DecodeStats st;
  out->reserve(out->size() + in.size());
  size_t start_size = out->size();
  const char* p = in.data();
  const char* end = p + in.size();
  auto room = [&](size_t n) { return out->size() - start_size + n <= max_out; };
  while (p < end) {
    // Copy a run of plain characters at once.
    const char* run = p;
    while (p < end && *p != '=' && *p != '\n' && *p != ' ' && *p != '\t' && *p != '\r') ++p;
    if (p > run) {
      size_t n = static_cast<size_t>(p - run);
      if (!room(n)) {
        st.truncated = true;
        return st;
      }
      out->append(run, n);
      if (p >= end) break;
    }
    char c = *p;
    if (c == ' ' || c == '\t' || c == '\r') {
      // Blanks (and a CR) are kept unless only blanks remain before the line break.
      const char* q = p;
      while (q < end && (IsBlank(static_cast<unsigned char>(*q)) || *q == '\r')) ++q;
      if (q >= end || *q == '\n') {
        // Trailing whitespace: dropped, but keep a CR that is part of the CRLF.
        if (q < end && q > p && q[-1] == '\r') {
          if (!room(1)) { st.truncated = true; return st; }
          out->push_back('\r');
        }
        p = q;
      } else {
        size_t n = static_cast<size_t>(q - p);
        if (!room(n)) { st.truncated = true; return st; }
        out->append(p, n);
        p = q;
      }
    } else if (c == '\n') {
      if (!room(1)) { st.truncated = true; return st; }
      out->push_back('\n');
      ++p;
    } else {  // '='
      if (end - p >= 3) {
        int h = HexValue(static_cast<unsigned char>(p[1]));
        int l = HexValue(static_cast<unsigned char>(p[2]));
        if (h >= 0 && l >= 0) {
          if (!room(1)) { st.truncated = true; return st; }
          out->push_back(static_cast<char>(h * 16 + l));
          p += 3;
          continue;
        }
      }
      // Soft line break: "=" [blanks] (CRLF | LF | end of input).
      const char* q = p + 1;
      while (q < end && IsBlank(static_cast<unsigned char>(*q))) ++q;
      if (q < end && *q == '\r') ++q;
      if (q >= end) {
        p = end;
      } else if (*q == '\n') {
        p = q + 1;
      } else {
        if (!room(1)) { st.truncated = true; return st; }
        out->push_back('=');
        ++st.invalid_chars;
        ++p;
      }
    }
  }
  return st;
}

}  // namespace gfi
