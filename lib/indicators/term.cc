// Indicator value normalisation. The same functions normalise observables (extract/), so an
// indicator and an observation of the same thing compare equal byte for byte.
#include "indicators/term.h"

#include <re2/re2.h>

#include <cstdlib>

#include "extract/address.h"
#include "extract/url.h"
#include "util/net.h"
#include "util/public_suffix.h"
#include "util/strings.h"

namespace gfi {
namespace {

bool IsHex(std::string_view s) {
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) return false;
  return true;
}

Result<std::string> NormalizeCidr(std::string_view raw) {
  auto net = ParseNetwork(Trim(raw));
  if (!net.ok()) return net.status();
  return net.value().ToString();
}

Result<std::string> CheckRegex(std::string_view pattern) {
  RE2::Options opts;
  opts.set_log_errors(false);
  opts.set_max_mem(8 << 20);
  RE2 re(pattern, opts);
  if (!re.ok()) return Status::Error("bad regex '" + std::string(pattern) + "': " + re.error());
  return std::string(pattern);
}

// Over-broad indicators: each would match a large share of all mail (a feed error, never a
// silent "block everything"). The bounds are documented in gfictl(1), INDICATOR FEEDS.
constexpr int kMinIpv4Prefix = 8;    // 0.0.0.0/0 ... /7: a sizeable part of the IPv4 Internet
constexpr int kMinIpv6Prefix = 16;   // ::/0 ... /15
constexpr size_t kMinContentBytes = 3;  // "a", "ab": in nearly every message

Status CheckIpBreadth(const std::string& cidr, std::string_view raw) {
  size_t slash = cidr.find('/');
  if (slash == std::string::npos) return Status::Ok();
  int bits = std::atoi(cidr.c_str() + slash + 1);
  bool v6 = cidr.find(':') != std::string::npos;
  int min = v6 ? kMinIpv6Prefix : kMinIpv4Prefix;
  if (bits < min)
    return Status::Error("network '" + std::string(raw) + "' is too broad (a prefix shorter than /" +
                         std::to_string(min) + " would match a large part of the Internet)");
  return Status::Ok();
}

// A glob with no literal character but dots ("*", "*.*", "?*") matches every file name.
bool GlobMatchesEverything(std::string_view glob) {
  bool in_class = false;
  for (char c : glob) {
    if (in_class) {
      if (c == ']') in_class = false;
      continue;
    }
    if (c == '[') {
      in_class = true;
      continue;
    }
    if (c != '*' && c != '?' && c != '.') return false;
  }
  return true;
}

}  // namespace

std::optional<TermKind> TermKindForType(std::string_view type, std::string_view value) {
  std::string t = AsciiLowered(Trim(type));
  if (t == "ip" || t == "ipv4" || t == "ipv6" || t == "cidr") return TermKind::kIp;
  if (t == "domain") return TermKind::kDomain;
  if (t == "email") return TermKind::kEmail;
  if (t == "url") return TermKind::kUrl;
  if (t == "url-prefix") return TermKind::kUrlPrefix;
  if (t == "md5") return TermKind::kMd5;
  if (t == "sha1") return TermKind::kSha1;
  if (t == "sha256") return TermKind::kSha256;
  if (t == "hash") {
    size_t n = Trim(value).size();
    if (n == 32) return TermKind::kMd5;
    if (n == 40) return TermKind::kSha1;
    if (n == 64) return TermKind::kSha256;
    return TermKind::kSha256;  // MakeTerm reports the bad length
  }
  if (t == "filename")
    return value.find_first_of("*?[") == std::string_view::npos ? TermKind::kFilename
                                                                 : TermKind::kFilenameGlob;
  if (t == "subject-regex") return TermKind::kSubjectRegex;
  if (t == "header-regex") return TermKind::kHeaderRegex;
  if (t == "body-regex") return TermKind::kBodyRegex;
  if (t == "content") return TermKind::kContent;
  return std::nullopt;
}

Result<Term> MakeTerm(TermKind kind, std::string_view raw, WhereMask where) {
  Term t{kind, {}, {}, where};
  std::string_view v = kind == TermKind::kContent ? raw : Trim(raw);
  if (v.empty()) return Status::Error("empty value");
  switch (kind) {
    case TermKind::kIp: {
      auto r = NormalizeCidr(v);
      if (!r.ok()) return r.status();
      if (Status b = CheckIpBreadth(r.value(), raw); !b.ok()) return b;
      t.value = r.value();
      break;
    }
    case TermKind::kDomain: {
      std::string_view d = v;
      if (d.size() > 2 && d.substr(0, 2) == "*.") d.remove_prefix(2);  // "*.evil.example" = domain
      auto h = NormalizeHost(d);
      if (!h || (h->find('.') == std::string::npos && h->find(':') == std::string::npos))
        return Status::Error("bad domain '" + std::string(raw) + "'");
      if (IsPublicSuffix(*h))
        return Status::Error("domain '" + std::string(raw) + "' is a public suffix (anyone can "
                             "register names under it): too broad to be an indicator");
      t.value = *h;
      break;
    }
    case TermKind::kEmail: {
      auto a = NormalizeAddress(v);
      if (!a) return Status::Error("bad e-mail address '" + std::string(raw) + "'");
      t.value = *a;
      break;
    }
    case TermKind::kUrl:
    case TermKind::kUrlPrefix: {
      auto u = NormalizeUrl(v);
      if (!u) return Status::Error("bad URL '" + std::string(raw) + "'");
      t.value = u->url;
      break;
    }
    case TermKind::kMd5:
    case TermKind::kSha1:
    case TermKind::kSha256: {
      size_t want = kind == TermKind::kMd5 ? 32 : kind == TermKind::kSha1 ? 40 : 64;
      if (v.size() != want || !IsHex(v))
        return Status::Error(std::string(ToString(kind)) + " must be " + std::to_string(want) +
                             " hex digits, got '" + std::string(raw) + "'");
      t.value = AsciiLowered(v);
      break;
    }
    case TermKind::kFilename:
    case TermKind::kFilenameGlob:
      if (kind == TermKind::kFilenameGlob && GlobMatchesEverything(v))
        return Status::Error("file name glob '" + std::string(raw) +
                             "' matches every file name: too broad to be an indicator");
      // File names compare case-insensitively (ASCII); stored folded.
      t.value = AsciiLowered(v);
      break;
    case TermKind::kSubjectRegex:
    case TermKind::kBodyRegex: {
      auto r = CheckRegex(v);
      if (!r.ok()) return r.status();
      t.value = r.value();
      break;
    }
    case TermKind::kHeaderRegex: {
      size_t colon = v.find(':');
      if (colon == std::string_view::npos || colon == 0)
        return Status::Error("header-regex must be 'Name: regex', got '" + std::string(raw) + "'");
      t.header_name = AsciiLowered(Trim(v.substr(0, colon)));
      auto r = CheckRegex(Trim(v.substr(colon + 1)));
      if (!r.ok()) return r.status();
      t.value = r.value();
      break;
    }
    case TermKind::kContent:
      if (v.size() < kMinContentBytes)
        return Status::Error("content literal '" + std::string(raw) + "' is shorter than " +
                             std::to_string(kMinContentBytes) +
                             " bytes: it would match nearly every message");
      t.value = std::string(v);
      break;
  }
  return t;
}

}  // namespace gfi
