// Address-list, Received and IP extraction. One pass over each value with a small state machine
// (quotes, comments, angle brackets, groups); no regular expressions on this path.
#include "extract/address.h"

#include <algorithm>
#include <cstring>

#include "extract/url.h"
#include "mime/header_decode.h"
#include "util/net.h"
#include "util/strings.h"

namespace gfi {

namespace {

// Index of the ')' closing the (possibly nested) comment that opens at v[open], or v.size().
size_t CommentEnd(std::string_view v, size_t open) {
  int depth = 0;
  size_t i = open;
  for (; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
      continue;
    }
    if (v[i] == '(') ++depth;
    if (v[i] == ')' && --depth == 0) break;
  }
  return std::min(i, v.size());
}

// The address without comments and without whitespace outside quoted strings, as RFC 5322 reads
// "evil (c) @ bad.example"; quoted local parts keep their quotes and content.
std::string StripCommentsAndSpace(std::string_view v) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) {
    char c = v[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < v.size() && v[j] != '"') j += v[j] == '\\' ? 2 : 1;
      out.append(v.substr(i, std::min(j + 1, v.size()) - i));
      i = j;
    } else if (c == '(') {
      i = CommentEnd(v, i);
    } else if (!IsAsciiSpace(c)) {
      out.push_back(c);
    }
  }
  return out;
}

// RFC 5322 atext, plus UTF-8 (RFC 6531).
bool IsAtext(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  if (static_cast<unsigned char>(c) >= 0x80) return true;
  return std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr && c != '\0';
}

bool IsDotAtom(std::string_view s) {
  if (s.empty() || s.front() == '.' || s.back() == '.') return false;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '.') {
      if (s[i - 1] == '.') return false;
    } else if (!IsAtext(s[i])) {
      return false;
    }
  }
  return true;
}

// The local part's normal form (address.h); nullopt when it cannot be one.
std::optional<std::string> NormalizeLocalPart(std::string_view local) {
  const bool quoted = local.size() >= 2 && local.front() == '"' && local.back() == '"';
  if (!quoted) {
    for (char c : local)
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '<' || c == '>')
        return std::nullopt;
    return AsciiLowered(local);
  }
  std::string content;
  for (size_t i = 1; i + 1 < local.size(); ++i) {
    if (local[i] == '\\' && i + 2 < local.size()) ++i;
    content.push_back(AsciiLower(local[i]));
  }
  if (IsDotAtom(content)) return content;
  std::string out = "\"";
  for (char c : content) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

}  // namespace

std::optional<std::string> NormalizeAddress(std::string_view address) {
  const std::string stripped = StripCommentsAndSpace(address);
  std::string_view a = stripped;
  if (!a.empty() && a.front() == '<') a.remove_prefix(1);
  if (!a.empty() && a.back() == '>') a.remove_suffix(1);
  // Obsolete source route "@relay1,@relay2:user@host".
  if (!a.empty() && a.front() == '@') {
    size_t colon = a.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    a = a.substr(colon + 1);
  }
  a = Trim(a);
  size_t at = a.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= a.size()) return std::nullopt;
  std::optional<std::string> local = NormalizeLocalPart(a.substr(0, at));
  if (!local) return std::nullopt;
  std::string_view domain = a.substr(at + 1);
  if (!domain.empty() && domain.front() == '[') {  // address literal
    auto ip = CanonicalIp(domain);
    if (!ip) return std::nullopt;
    return *local + "@[" + *ip + "]";
  }
  auto host = NormalizeHost(domain);
  if (!host) return std::nullopt;
  return *local + "@" + *host;
}

std::string_view AddressDomain(std::string_view normalized) {
  size_t at = normalized.rfind('@');
  return at == std::string_view::npos ? std::string_view() : normalized.substr(at + 1);
}

std::vector<std::string> ExtractAddresses(std::string_view v) {
  std::vector<std::string> out;
  std::string bare;         // addr-spec text outside quotes, comments and angle brackets
  bool had_angle = false;   // this list element had an <angle-addr>
  size_t quoted_at = std::string::npos;  // where in `bare` a quoted local part starts
  auto finish = [&] {
    if (!had_angle) {
      // A bare addr-spec, possibly after a display name without angle brackets ("Bob
      // evil@bad.example") or with blanks around '@': the tokens either side of the '@'.
      std::string_view b = bare;
      size_t at = b.rfind('@');
      if (at != std::string_view::npos) {
        size_t ls = at;
        while (ls > 0 && b[ls - 1] == ' ') --ls;
        size_t le = ls;
        if (quoted_at != std::string::npos && quoted_at < le && b[le - 1] == '"')
          ls = quoted_at;  // the quoted local part, blanks and all
        else
          while (ls > 0 && b[ls - 1] != ' ') --ls;
        size_t rs = at + 1;
        while (rs < b.size() && b[rs] == ' ') ++rs;
        size_t re = rs;
        while (re < b.size() && b[re] != ' ') ++re;
        std::string spec = std::string(b.substr(ls, le - ls)) + "@" + std::string(b.substr(rs, re - rs));
        if (auto a = NormalizeAddress(spec)) out.push_back(std::move(*a));
      }
    }
    bare.clear();
    had_angle = false;
    quoted_at = std::string::npos;
  };
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '"') {  // quoted display name or quoted local part
      std::string quoted;
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        quoted.push_back(v[i]);
      }
      ++i;
      // A quoted local part ("john doe"@example.com) is part of the addr-spec: kept quoted, with
      // '"' and '\' escaped again, for NormalizeAddress.
      if (i < v.size() && v[i] == '@') {
        if (!bare.empty() && bare.back() != ' ') bare.push_back(' ');
        quoted_at = bare.size();
        bare.push_back('"');
        for (char q : quoted) {
          if (q == '"' || q == '\\') bare.push_back('\\');
          bare.push_back(q);
        }
        bare.push_back('"');
      }
      continue;
    }
    if (c == '(') {  // comment, possibly nested
      i = CommentEnd(v, i) + 1;
      continue;
    }
    if (c == '<') {
      size_t close = v.find('>', i + 1);
      std::string_view inner =
          v.substr(i + 1, (close == std::string_view::npos ? v.size() : close) - i - 1);
      if (auto a = NormalizeAddress(inner)) out.push_back(std::move(*a));
      had_angle = true;
      i = close == std::string_view::npos ? v.size() : close + 1;
      continue;
    }
    if (c == ',' || c == ';') {
      finish();
      ++i;
      continue;
    }
    if (c == ':') {  // group name ends; its members follow
      bare.clear();
      ++i;
      continue;
    }
    if (!IsAsciiSpace(c)) bare.push_back(c);
    else if (!bare.empty() && bare.back() != ' ') bare.push_back(' ');
    ++i;
  }
  finish();
  return out;
}

std::vector<std::string> ExtractEncodedDisplayNameAddresses(std::string_view v) {
  std::vector<std::string> out;
  if (v.find("=?") == std::string_view::npos) return out;
  // The display-name text of each list element: what is outside angle brackets and comments
  // (quoted strings included: some clients quote encoded words).
  std::vector<std::string> names(1);
  size_t i = 0;
  while (i < v.size()) {
    char c = v[i];
    if (c == '"') {
      names.back().push_back(' ');
      for (++i; i < v.size() && v[i] != '"'; ++i) {
        if (v[i] == '\\' && i + 1 < v.size()) ++i;
        names.back().push_back(v[i]);
      }
      names.back().push_back(' ');
      ++i;
    } else if (c == '(') {
      i = CommentEnd(v, i) + 1;
    } else if (c == '<') {
      size_t close = v.find('>', i + 1);
      i = close == std::string_view::npos ? v.size() : close + 1;
      names.back().push_back(' ');
    } else if (c == ',' || c == ';' || c == ':') {
      names.emplace_back();
      ++i;
    } else {
      names.back().push_back(c);
      ++i;
    }
  }
  for (const std::string& name : names) {
    if (name.find("=?") == std::string::npos) continue;
    const std::string decoded = DecodeEncodedWords(name);
    // Address-like tokens of the decoded text: runs between blanks and list punctuation.
    size_t s = 0;
    while (s < decoded.size()) {
      size_t e = s;
      while (e < decoded.size() && !IsAsciiSpace(decoded[e]) &&
             std::strchr("<>\"(),;:[]", decoded[e]) == nullptr)
        ++e;
      std::string_view tok(decoded.data() + s, e - s);
      if (tok.find('@') != std::string_view::npos) {
        if (auto a = NormalizeAddress(tok))
          if (std::find(out.begin(), out.end(), *a) == out.end()) out.push_back(std::move(*a));
      }
      s = e + 1;
    }
  }
  return out;
}

std::optional<std::string> CanonicalIp(std::string_view text) {
  auto ip = ParseIpLiteral(text);
  if (!ip) return std::nullopt;
  return ip->ToString();
}

namespace {

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}

// A token that reads as a DNS name: has a dot and its last label starts with a letter (so version
// numbers and dotted quads are not taken for host names).
bool LooksLikeHostName(std::string_view t) {
  while (!t.empty() && t.back() == '.') t.remove_suffix(1);
  size_t dot = t.rfind('.');
  if (dot == std::string_view::npos || dot == 0 || dot + 2 > t.size()) return false;
  for (char c : t)
    if (!IsHostChar(c)) return false;
  char first = t[dot + 1];
  return (first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z') ||
         static_cast<unsigned char>(first) >= 0x80;
}

template <typename F>
void ForEachToken(std::string_view v, F&& f) {
  size_t i = 0;
  while (i < v.size()) {
    while (i < v.size() && (IsAsciiSpace(v[i]) || v[i] == '(' || v[i] == ')' || v[i] == ',' ||
                            v[i] == '<' || v[i] == '>' || v[i] == '=' || v[i] == ';'))
      ++i;
    size_t start = i;
    if (i < v.size() && v[i] == '[') {  // address literal, kept whole
      size_t close = v.find(']', i);
      i = close == std::string_view::npos ? v.size() : close + 1;
    } else {
      while (i < v.size() && !IsAsciiSpace(v[i]) && v[i] != '(' && v[i] != ')' && v[i] != ',' &&
             v[i] != '<' && v[i] != '>' && v[i] != '=' && v[i] != ';' && v[i] != '[')
        ++i;
    }
    if (i > start) f(v.substr(start, i - start));
  }
}

void AddUnique(std::vector<std::string>* v, std::string s) {
  for (const std::string& e : *v)
    if (e == s) return;
  v->push_back(std::move(s));
}

}  // namespace

HostsAndIps ExtractReceived(std::string_view value) {
  HostsAndIps out;
  size_t semi = value.rfind(';');
  std::string_view v = semi == std::string_view::npos ? value : value.substr(0, semi);
  ForEachToken(v, [&](std::string_view tok) {
    if (tok.find('@') != std::string_view::npos) return;  // the "for <rcpt>" clause
    if (auto ip = CanonicalIp(tok)) {
      AddUnique(&out.ips, *ip);
      return;
    }
    if (LooksLikeHostName(tok)) {
      if (auto h = NormalizeHost(tok)) AddUnique(&out.hosts, *h);
    }
  });
  return out;
}

std::vector<std::string> ExtractIps(std::string_view text) {
  std::vector<std::string> out;
  ForEachToken(text, [&](std::string_view tok) {
    if (auto ip = CanonicalIp(tok)) AddUnique(&out, *ip);
  });
  return out;
}

}  // namespace gfi
