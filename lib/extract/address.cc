// Address-list, Received and IP extraction. One pass over each value with a small state machine
// (quotes, comments, angle brackets, groups); no regular expressions on this path.
#include "extract/address.h"

#include <algorithm>
#include <cstring>

#include "extract/url.h"
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
  std::string_view local = a.substr(0, at);
  std::string_view domain = a.substr(at + 1);
  if (!domain.empty() && domain.front() == '[') {  // address literal
    auto ip = CanonicalIp(domain);
    if (!ip) return std::nullopt;
    return std::string(local) + "@[" + *ip + "]";
  }
  auto host = NormalizeHost(domain);
  if (!host) return std::nullopt;
  const bool quoted = local.size() >= 2 && local.front() == '"' && local.back() == '"';
  if (!quoted) {
    for (char c : local)
      if (static_cast<unsigned char>(c) <= 0x20 || c == '<' || c == '>') return std::nullopt;
  }
  return std::string(local) + "@" + *host;
}

std::string_view AddressDomain(std::string_view normalized) {
  size_t at = normalized.rfind('@');
  return at == std::string_view::npos ? std::string_view() : normalized.substr(at + 1);
}

std::vector<std::string> ExtractAddresses(std::string_view v) {
  std::vector<std::string> out;
  std::string bare;         // addr-spec text outside quotes, comments and angle brackets
  bool had_angle = false;   // this list element had an <angle-addr>
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
      // A quoted local part ("john doe"@example.com) is part of the addr-spec.
      if (i < v.size() && v[i] == '@') bare += "\"" + quoted + "\"";
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
