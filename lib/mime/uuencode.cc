// uudecoding as mail readers do it: a "begin MODE NAME" line, data lines whose first character
// gives their length, a zero-length line and "end". Lines are decoded leniently (a short line is
// padded) because senders and gateways trim trailing blanks.
#include "mime/uuencode.h"

#include "util/strings.h"

namespace gfi {
namespace {

inline int Sextet(char c) { return (static_cast<unsigned char>(c) - 0x20) & 0x3F; }

// "begin 644 name": mode of three or four octal digits.
bool ParseBegin(std::string_view line, std::string* name) {
  if (line.substr(0, 6) != "begin ") return false;
  std::string_view rest = line.substr(6);
  size_t n = 0;
  while (n < rest.size() && rest[n] >= '0' && rest[n] <= '7') ++n;
  if (n < 3 || n > 4 || n >= rest.size() || rest[n] != ' ') return false;
  std::string_view nm = Trim(rest.substr(n + 1));
  if (nm.empty()) return false;
  *name = std::string(nm);
  return true;
}

}  // namespace

std::vector<UuFile> FindUuencoded(std::string_view text, size_t max_files, size_t max_bytes) {
  std::vector<UuFile> out;
  size_t budget = max_bytes;
  UuFile* cur = nullptr;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    size_t end = nl == std::string_view::npos ? text.size() : nl;
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    if (cur == nullptr) {
      std::string name;
      if (out.size() < max_files && ParseBegin(line, &name)) {
        out.push_back(UuFile{std::move(name), {}, true});
        cur = &out.back();
      }
      continue;
    }
    if (line == "end") {
      cur->truncated = false;
      cur = nullptr;
      continue;
    }
    if (line.empty()) continue;
    size_t len = static_cast<size_t>(Sextet(line[0]));
    if (len == 0) continue;  // the "`" line before "end"
    if (len > budget) {
      cur->truncated = true;
      cur = nullptr;  // stop decoding this file; a later "begin" may start another
      budget = 0;
      continue;
    }
    size_t produced = 0;
    for (size_t i = 1; produced < len; i += 4) {
      auto at = [&](size_t k) { return k < line.size() ? Sextet(line[k]) : 0; };
      uint32_t v = (at(i) << 18) | (at(i + 1) << 12) | (at(i + 2) << 6) | at(i + 3);
      for (int b = 2; b >= 0 && produced < len; --b, ++produced)
        cur->data.push_back(static_cast<char>((v >> (8 * b)) & 0xFF));
    }
    budget -= len;
  }
  return out;
}

}  // namespace gfi
