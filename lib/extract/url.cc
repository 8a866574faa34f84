// URL discovery in plain text and URL/host normalisation. Hosts are read as the WHATWG URL standard
// (what browsers do) reads them, so a URL matches the way the victim's browser would resolve it.
// Every loop is one forward pass (or amortised so): hostile text costs linear time.
#include "extract/url.h"

#include <arpa/inet.h>
#include <idn2.h>

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "util/strings.h"

namespace gfi {
namespace {

constexpr size_t kMaxRawHostBytes = 1024;  // before percent-decoding; DNS names are <= 253
constexpr size_t kMaxDomainBytes = 253;    // RFC 1035: a longer name cannot be resolved
constexpr int kMaxRedirectDecodes = 3;     // "https%253A%252F..." wrapped more than once
constexpr size_t kMaxRedirectResults = 16;

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
char Lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }
bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v';
}

bool StartsWithNoCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i)
    if (Lower(s[i]) != Lower(prefix[i])) return false;
  return true;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && StartsWithNoCase(a, b);
}

// RFC 3986 unreserved: the only bytes whose escapes can be decoded without changing meaning.
bool IsUnreserved(unsigned char c) {
  return IsAlnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c == '~';
}

void AppendEscape(unsigned char c, std::string* out) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  out->push_back('%');
  out->push_back(kHex[c >> 4]);
  out->push_back(kHex[c & 15]);
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    int hi, lo;
    if (s[i] == '%' && i + 2 < s.size() && (hi = HexDigitValue(s[i + 1])) >= 0 &&
        (lo = HexDigitValue(s[i + 2])) >= 0) {
      out.push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

// Which bytes a URL component must carry escaped (after WHATWG's percent-encode sets): a URL
// typed with a raw space and one with "%20" are the same URL and must compare equal.
enum class Component { kPath, kQuery, kSpecialQuery, kFragment };

bool MustEscape(unsigned char c, Component part) {
  if (c <= 0x20 || c >= 0x7F || c == '"' || c == '<' || c == '>') return true;
  switch (part) {
    case Component::kPath:
      return c == '`' || c == '{' || c == '}';
    case Component::kQuery:
      return false;
    case Component::kSpecialQuery:
      return c == '\'';
    case Component::kFragment:
      return c == '`';
  }
  return false;
}

// Decodes escapes of unreserved bytes, upper-cases the others, escapes what must be. A stray '%'
// becomes "%25" (browsers keep it bare), so that normalising twice changes nothing: "%A%62" would
// otherwise read "%Ab" after one pass and "%AB" after two.
void NormalizeEscapes(std::string_view in, Component part, std::string* out) {
  for (size_t i = 0; i < in.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    int hi, lo;
    if (c == '%' && i + 2 < in.size() && (hi = HexDigitValue(in[i + 1])) >= 0 &&
        (lo = HexDigitValue(in[i + 2])) >= 0) {
      const unsigned char v = static_cast<unsigned char>(hi * 16 + lo);
      if (IsUnreserved(v)) {
        out->push_back(static_cast<char>(v));
      } else {
        AppendEscape(v, out);
      }
      i += 2;
    } else if (c == '%' || MustEscape(c, part)) {
      AppendEscape(c, out);
    } else {
      out->push_back(static_cast<char>(c));
    }
  }
}

// WHATWG path parsing of "." and ".." segments (after escapes of '.' were decoded), so that
// "/a/../login" and "/login" are one URL. Each byte is appended and removed at most once.
std::string RemoveDotSegments(std::string_view path) {
  std::string out;
  out.reserve(path.size() + 1);
  size_t i = (!path.empty() && path[0] == '/') ? 1 : 0;
  while (true) {
    size_t slash = path.find('/', i);
    const bool last = slash == std::string_view::npos;
    std::string_view seg = path.substr(i, last ? std::string_view::npos : slash - i);
    if (seg == "..") {
      size_t cut = out.rfind('/');
      if (cut != std::string::npos) out.resize(cut);
      if (last) out.push_back('/');
    } else if (seg == ".") {
      if (last) out.push_back('/');
    } else {
      out.push_back('/');
      out.append(seg);
    }
    if (last) break;
    i = slash + 1;
  }
  if (out.empty()) out = "/";
  return out;
}

// WHATWG IPv4 number: "0x" hex, leading-0 octal, else decimal. nullopt on a bad digit; values
// above 2^32 saturate (they fail the range check anyway) so long digit strings cannot overflow.
std::optional<uint64_t> ParseIpv4Number(std::string_view s) {
  int radix = 10;
  if (s.size() >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    radix = 16;
    s.remove_prefix(2);
  } else if (s.size() >= 2 && s[0] == '0') {
    radix = 8;
    s.remove_prefix(1);
  }
  uint64_t v = 0;
  for (char c : s) {
    int d = HexDigitValue(c);
    if (d < 0 || d >= radix) return std::nullopt;
    v = v * radix + d;
    if (v > 0xFFFFFFFFull) v = 0x100000000ull;
  }
  return v;
}

// True when the last label is numeric: WHATWG then requires the whole host to be an IPv4 address.
bool EndsInNumber(std::string_view host) {
  size_t dot = host.rfind('.');
  std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  bool digits = true;
  for (char c : last) digits = digits && IsDigit(c);
  if (digits) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X')) {
    for (char c : last.substr(2))
      if (HexDigitValue(c) < 0) return false;
    return true;
  }
  return false;
}

// 1 to 4 parts; all but the last a byte, the last filling the remaining bytes ("192.168.257",
// "3232235777"). Returns the dotted quad.
std::optional<std::string> ParseIpv4(std::string_view host) {
  uint64_t parts[4];
  size_t n = 0;
  size_t i = 0;
  while (true) {
    if (n == 4) return std::nullopt;
    size_t dot = host.find('.', i);
    std::string_view part = host.substr(i, dot == std::string_view::npos ? dot : dot - i);
    if (part.empty()) return std::nullopt;
    auto v = ParseIpv4Number(part);
    if (!v) return std::nullopt;
    parts[n++] = *v;
    if (dot == std::string_view::npos) break;
    i = dot + 1;
  }
  for (size_t k = 0; k + 1 < n; ++k)
    if (parts[k] > 255) return std::nullopt;
  if (parts[n - 1] >= (1ull << (8 * (5 - n)))) return std::nullopt;
  uint64_t ip = parts[n - 1];
  for (size_t k = 0; k + 1 < n; ++k) ip += parts[k] << (8 * (3 - k));
  std::string out;
  for (int shift = 24; shift >= 0; shift -= 8) {
    out += std::to_string((ip >> shift) & 255);
    if (shift) out.push_back('.');
  }
  return out;
}

std::optional<std::string> ParseIpv6(std::string_view s) {
  if (s.empty() || s.size() > 45 || s.find('%') != std::string_view::npos) return std::nullopt;
  char buf[64];
  std::memcpy(buf, s.data(), s.size());
  buf[s.size()] = '\0';
  unsigned char bin[16];
  if (inet_pton(AF_INET6, buf, bin) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, bin, out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out);
}

// UTS#46 ToASCII as browsers do (non-transitional: "ß" stays distinct), falling back to the
// transitional mapping for names only IDNA2003 accepted. libidn2 is C: it reports, never throws.
std::optional<std::string> IdnToAscii(const std::string& utf8) {
  char* out = nullptr;
  int rc = idn2_to_ascii_8z(utf8.c_str(), &out, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  if (rc != IDN2_OK) {
    if (out != nullptr) idn2_free(out);
    out = nullptr;
    rc = idn2_to_ascii_8z(utf8.c_str(), &out, IDN2_NFC_INPUT | IDN2_TRANSITIONAL);
  }
  if (rc != IDN2_OK || out == nullptr) {
    if (out != nullptr) idn2_free(out);
    return std::nullopt;
  }
  std::string result(out);
  idn2_free(out);
  return result;
}

struct Host {
  std::string name;
  bool is_ip = false;
  bool is_ipv6 = false;
};

// The WHATWG host parser, less its opaque-host branch: percent-decode, refuse forbidden code
// points, IDNA, then IPv4 when the last label is numeric.
std::optional<Host> ParseHost(std::string_view raw) {
  if (raw.empty() || raw.size() > kMaxRawHostBytes) return std::nullopt;
  if (raw.front() == '[') {
    if (raw.back() != ']') return std::nullopt;
    auto v6 = ParseIpv6(raw.substr(1, raw.size() - 2));
    if (!v6) return std::nullopt;
    return Host{std::move(*v6), true, true};
  }
  std::string decoded = PercentDecode(raw);
  bool ascii = true;
  for (char ch : decoded) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7F || std::strchr("#%/:<>?@[\\]^|", c) != nullptr) return std::nullopt;
    if (c >= 0x80) ascii = false;
  }
  while (!decoded.empty() && decoded.back() == '.') decoded.pop_back();
  std::string name;
  if (ascii) {
    // ASCII names skip IDNA on purpose: its hyphen and STD3 checks would refuse names such as
    // "a_b.example" or "ab--c.example" that resolve fine and that phishers use.
    name = std::move(decoded);
    for (char& c : name) c = Lower(c);
  } else {
    auto idn = IdnToAscii(decoded);
    if (!idn) return std::nullopt;
    name = std::move(*idn);
  }
  while (!name.empty() && name.back() == '.') name.pop_back();
  if (name.empty()) return std::nullopt;
  if (EndsInNumber(name)) {
    auto v4 = ParseIpv4(name);
    if (!v4) return std::nullopt;
    return Host{std::move(*v4), true, false};
  }
  if (name.size() > kMaxDomainBytes) return std::nullopt;
  char prev = '.';
  for (char c : name) {
    if (!(IsAlnum(c) || c == '-' || c == '_' || c == '.')) return std::nullopt;
    if (c == '.' && prev == '.') return std::nullopt;  // empty label
    prev = c;
  }
  return Host{std::move(name), false, false};
}

struct SchemeInfo {
  std::string_view name;
  int default_port;
};

// WHATWG "special" schemes (less file, which has no host to speak of).
constexpr SchemeInfo kSpecialSchemes[] = {
    {"http", 80}, {"https", 443}, {"ftp", 21}, {"ws", 80}, {"wss", 443}};

const SchemeInfo* FindSpecialScheme(std::string_view lower_scheme) {
  for (const SchemeInfo& s : kSpecialSchemes)
    if (s.name == lower_scheme) return &s;
  return nullptr;
}

// ---- text scanning ----

// Bytes of a host-name-like token: letters, digits, '-', '.', '_' and UTF-8 (IDN) bytes.
bool IsTokenByte(unsigned char c) {
  return IsAlnum(static_cast<char>(c)) || c == '-' || c == '.' || c == '_' || c >= 0x80;
}

// Length of a Unicode space, quote or bracket that ends a URL in prose (NBSP, « », U+2000-U+203F,
// ideographic space and brackets, BOM), or 0.
size_t UnicodeBreakLength(std::string_view t, size_t i) {
  const auto b = [&](size_t k) { return static_cast<unsigned char>(t[k]); };
  if (b(i) == 0xC2 && i + 1 < t.size() && (b(i + 1) == 0xA0 || b(i + 1) == 0xAB || b(i + 1) == 0xBB))
    return 2;
  if (i + 2 < t.size()) {
    if (b(i) == 0xE2 && b(i + 1) == 0x80) return 3;
    if (b(i) == 0xE3 && b(i + 1) == 0x80 && b(i + 2) <= 0x91) return 3;
    if (b(i) == 0xEF && b(i + 1) == 0xBB && b(i + 2) == 0xBF) return 3;
  }
  return 0;
}

bool EndsUrl(std::string_view t, size_t i) {
  const unsigned char c = static_cast<unsigned char>(t[i]);
  if (c <= 0x20 || c == 0x7F || c == '<' || c == '>' || c == '"' || c == '`') return true;
  return c >= 0x80 && UnicodeBreakLength(t, i) > 0;
}

// End of the URL starting at `start`: up to the first byte that cannot be in a URL in prose, then
// without trailing sentence punctuation and closing brackets that have no opening partner inside.
size_t UrlEnd(std::string_view t, size_t start) {
  size_t end = start;
  int open[3] = {0, 0, 0};
  int close[3] = {0, 0, 0};
  while (end < t.size() && !EndsUrl(t, end)) {
    switch (t[end]) {
      case '(': ++open[0]; break;
      case ')': ++close[0]; break;
      case '[': ++open[1]; break;
      case ']': ++close[1]; break;
      case '{': ++open[2]; break;
      case '}': ++close[2]; break;
      default: break;
    }
    ++end;
  }
  while (end > start) {
    const char c = t[end - 1];
    if (std::strchr(".,:;!?'*", c) != nullptr) {
      --end;
      continue;
    }
    const int k = c == ')' ? 0 : c == ']' ? 1 : c == '}' ? 2 : -1;
    if (k >= 0 && close[k] > open[k]) {
      --close[k];
      --end;
      continue;
    }
    break;
  }
  return end;
}

// A bare "name.tld": dot-separated non-empty labels, last label 2-63 ASCII letters or "xn--".
// A CJK character (CJK symbols, kana, ideographs, Hangul: U+3000-U+D7FF) or a full-width form
// (U+FF00-U+FFEF) starts at t[i].
bool IsCjkStart(std::string_view t, size_t i) {
  const unsigned char c = static_cast<unsigned char>(t[i]);
  if (c >= 0xE3 && c <= 0xED) return true;
  return c == 0xEF && i + 1 < t.size() && static_cast<unsigned char>(t[i + 1]) >= 0xBC &&
         static_cast<unsigned char>(t[i + 1]) <= 0xBF;
}

// A scheme or "www." at t[i]: where a URL begins even inside a token of non-ASCII text.
bool StartsUrlPrefix(std::string_view t, size_t i) {
  const char c = Lower(t[i]);
  if (c != 'h' && c != 'f' && c != 'w') return false;
  std::string_view rest = t.substr(i);
  return StartsWithNoCase(rest, "http://") || StartsWithNoCase(rest, "https://") ||
         StartsWithNoCase(rest, "ftp://") || StartsWithNoCase(rest, "www.");
}

bool LooksLikeDomain(std::string_view tok) {
  if (tok.empty() || tok.front() == '.' || tok.front() == '-' || tok.back() == '.' ||
      tok.back() == '-')
    return false;
  size_t dot = tok.rfind('.');
  if (dot == std::string_view::npos) return false;
  if (tok.find("..") != std::string_view::npos) return false;
  std::string_view tld = tok.substr(dot + 1);
  if (StartsWithNoCase(tld, "xn--")) return tld.size() > 4;
  if (tld.size() < 2 || tld.size() > 63) return false;
  for (char c : tld)
    if (!IsAlpha(c)) return false;
  return true;
}

}  // namespace

std::string_view UrlMatchKey(std::string_view url) {
  if (url.rfind("http://", 0) == 0) url.remove_prefix(7);
  else if (url.rfind("https://", 0) == 0) url.remove_prefix(8);
  if (size_t hash = url.find('#'); hash != std::string_view::npos) url = url.substr(0, hash);
  return url;
}

std::optional<std::string> NormalizeHost(std::string_view host) {
  while (!host.empty() && IsSpace(host.front())) host.remove_prefix(1);
  while (!host.empty() && IsSpace(host.back())) host.remove_suffix(1);
  if (!host.empty() && host.front() != '[' && host.find(':') != std::string_view::npos)
    return ParseIpv6(host);
  auto h = ParseHost(host);
  if (!h) return std::nullopt;
  return std::move(h->name);
}

std::optional<NormalizedUrl> NormalizeUrl(std::string_view raw) {
  // WHATWG: strip leading/trailing C0 controls and spaces, drop tabs and newlines anywhere (a URL
  // folded across lines in a mail body is still one URL).
  while (!raw.empty() && static_cast<unsigned char>(raw.front()) <= 0x20) raw.remove_prefix(1);
  while (!raw.empty() && static_cast<unsigned char>(raw.back()) <= 0x20) raw.remove_suffix(1);
  if (raw.size() >= 2 && raw.front() == '<' && raw.back() == '>') raw = raw.substr(1, raw.size() - 2);
  if (StartsWithNoCase(raw, "url:")) raw.remove_prefix(4);  // RFC 1738 "<URL:http://...>"
  std::string s;
  s.reserve(raw.size());
  for (char c : raw)
    if (c != '\t' && c != '\n' && c != '\r') s.push_back(c);
  if (s.empty()) return std::nullopt;

  NormalizedUrl out;
  const SchemeInfo* special = nullptr;
  bool schemeless = false;
  size_t p = 0;
  size_t q = 0;
  if (IsAlpha(s[0])) {
    q = 1;
    while (q < s.size() && (IsAlnum(s[q]) || s[q] == '+' || s[q] == '-' || s[q] == '.')) ++q;
  }
  if (q > 0 && q < s.size() && s[q] == ':') {
    std::string scheme(s, 0, q);
    for (char& c : scheme) c = Lower(c);
    special = FindSpecialScheme(scheme);
    if (special != nullptr) {
      // Special schemes ignore any run of slashes and backslashes before the host, as browsers do.
      p = q + 1;
      while (p < s.size() && (s[p] == '/' || s[p] == '\\')) ++p;
      out.scheme = std::move(scheme);
    } else if (s.compare(q + 1, 2, "//") == 0) {
      p = q + 3;
      out.scheme = std::move(scheme);
    } else if (scheme.find('.') != std::string::npos ||
               (q + 1 < s.size() && IsDigit(s[q + 1]))) {
      schemeless = true;  // "evil.example:8080/x" is a host and a port, not a scheme
    } else {
      return std::nullopt;  // mailto:, javascript:, data:, cid:, ... have no host
    }
  } else {
    schemeless = true;
  }
  if (schemeless) {
    special = FindSpecialScheme("http");
    out.scheme = "http";
    while (p < s.size() && (s[p] == '/' || s[p] == '\\')) ++p;  // "//host/x" (scheme-relative)
  }

  const std::string_view rest(s);
  const char* auth_stops = special != nullptr ? "/?#\\" : "/?#";
  size_t auth_end = rest.find_first_of(auth_stops, p);
  if (auth_end == std::string_view::npos) auth_end = rest.size();
  std::string_view authority = rest.substr(p, auth_end - p);
  // The last '@' ends the userinfo: "http://good.example@evil.example/" goes to evil.example.
  size_t at = authority.rfind('@');
  std::string_view hostport = at == std::string_view::npos ? authority : authority.substr(at + 1);
  std::string_view host_text = hostport;
  std::string_view port_text;
  bool has_port = false;
  if (!hostport.empty() && hostport.front() == '[') {
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    host_text = hostport.substr(0, close + 1);
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      has_port = true;
    }
  } else {
    size_t colon = hostport.find(':');
    if (colon != std::string_view::npos) {
      host_text = hostport.substr(0, colon);
      port_text = hostport.substr(colon + 1);
      has_port = true;
    }
  }
  long port = -1;
  if (has_port && !port_text.empty()) {
    port = 0;
    for (char c : port_text) {
      if (!IsDigit(c)) return std::nullopt;
      port = port * 10 + (c - '0');
      if (port > 65535) return std::nullopt;
    }
    if (special != nullptr && port == special->default_port) port = -1;
  }
  auto host = ParseHost(host_text);
  if (!host) return std::nullopt;
  // Without a scheme, a dotless word ("localhost", "index") is far likelier prose than a host.
  if (schemeless && !host->is_ip && host->name.find('.') == std::string::npos) return std::nullopt;

  std::string_view tail = rest.substr(auth_end);
  size_t hash = tail.find('#');
  std::string_view fragment = hash == std::string_view::npos ? std::string_view() : tail.substr(hash);
  tail = tail.substr(0, hash);
  size_t qm = tail.find('?');
  std::string_view query = qm == std::string_view::npos ? std::string_view() : tail.substr(qm);
  std::string_view path = tail.substr(0, qm);

  std::string norm_path;
  norm_path.reserve(path.size() + 1);
  if (special != nullptr) {
    std::string slashed(path);
    for (char& c : slashed)
      if (c == '\\') c = '/';
    NormalizeEscapes(slashed, Component::kPath, &norm_path);
  } else {
    NormalizeEscapes(path, Component::kPath, &norm_path);
  }
  norm_path = RemoveDotSegments(norm_path);

  out.host = host->name;
  out.host_is_ip = host->is_ip;
  // inet_ntop writes an IPv4-mapped address (however it was spelt) as "::ffff:a.b.c.d".
  if (host->is_ipv6 && StartsWithNoCase(host->name, "::ffff:") &&
      host->name.find('.') != std::string::npos)
    out.mapped_ipv4 = host->name.substr(7);
  std::string& u = out.url;
  u.reserve(s.size() + 16);
  u.append(out.scheme).append("://");
  if (host->is_ipv6) {
    u.append("[").append(host->name).append("]");
  } else {
    u.append(host->name);
  }
  if (port >= 0) u.append(":").append(std::to_string(port));
  u.append(norm_path);
  if (!query.empty()) {
    u.push_back('?');
    NormalizeEscapes(query.substr(1),
                     special != nullptr ? Component::kSpecialQuery : Component::kQuery, &u);
  }
  if (!fragment.empty()) {
    u.push_back('#');
    NormalizeEscapes(fragment.substr(1), Component::kFragment, &u);
  }
  return out;
}

std::vector<std::string_view> FindUrlsInText(std::string_view text, size_t max_urls) {
  std::vector<std::string_view> out;
  const size_t n = text.size();
  size_t i = 0;
  while (i < n && out.size() < max_urls) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (!IsTokenByte(c) || (c >= 0x80 && UnicodeBreakLength(text, i) > 0)) {
      i += c >= 0x80 ? std::max<size_t>(1, UnicodeBreakLength(text, i)) : 1;
      continue;
    }
    // A token starts here (its predecessor is not a token byte): read it whole, so no position
    // inside it is looked at twice.
    // CJK and other scripts put no space before a URL ("请点击http://..."): a scheme or "www."
    // right after a non-ASCII byte ends the token, so the URL starts a token of its own.
    size_t j = i;
    while (j < n && IsTokenByte(static_cast<unsigned char>(text[j])) &&
           !(static_cast<unsigned char>(text[j]) >= 0x80 && UnicodeBreakLength(text, j) > 0)) {
      if (j > i && static_cast<unsigned char>(text[j - 1]) >= 0x80 && StartsUrlPrefix(text, j))
        break;
      ++j;
    }
    std::string_view tok = text.substr(i, j - i);
    const char before = i > 0 ? text[i - 1] : ' ';
    size_t start = std::string_view::npos;
    if ((EqualsNoCase(tok, "http") || EqualsNoCase(tok, "https") || EqualsNoCase(tok, "ftp")) &&
        text.compare(j, 3, "://") == 0) {
      if (j + 3 < n && !EndsUrl(text, j + 3)) start = i;
    } else if (before != '@' && before != '/' && before != '\\') {
      // "www.x" with or without a path; a bare "name.tld" only when a path follows (with an
      // optional port): "evil.example/x" is taken, "file.txt", "e.g." and "Node.js" are not.
      if (StartsWithNoCase(tok, "www.") && tok.size() > 4 && tok[4] != '.') {
        start = i;
      } else if (j < n && (text[j] == '/' || text[j] == ':') && LooksLikeDomain(tok)) {
        size_t k = j;
        if (text[k] == ':') {
          ++k;
          while (k < n && IsDigit(text[k]) && k - j <= 6) ++k;
          if (k == j + 1) k = n;  // no port digits: not a host:port
        }
        if (k < n && text[k] == '/') start = i;
      }
    }
    if (start == std::string_view::npos) {
      i = j;
      continue;
    }
    size_t end = UrlEnd(text, start);
    if (end > start) {
      out.push_back(text.substr(start, end - start));
      // CJK text runs straight on after a URL too ("www.evil.example查看"): where CJK follows an
      // ASCII letter or digit the URL may end there, and that reading is given as well.
      for (size_t k = start + 1; k < end && out.size() < max_urls; ++k) {
        if (IsCjkStart(text, k) && IsAlnum(text[k - 1])) {
          out.push_back(text.substr(start, k - start));
          break;
        }
      }
    }
    i = std::max(end, j);
  }
  return out;
}

std::vector<std::string> UnwrapRedirects(const NormalizedUrl& url) {
  std::vector<std::string> out;
  std::string_view u = url.url;
  size_t qm = u.find('?');
  if (qm == std::string_view::npos) return out;
  size_t hash = u.find('#', qm);
  std::string_view query = u.substr(qm + 1, hash == std::string_view::npos ? hash : hash - qm - 1);
  size_t i = 0;
  while (i <= query.size() && out.size() < kMaxRedirectResults) {
    size_t amp = query.find('&', i);
    std::string_view param = query.substr(i, amp == std::string_view::npos ? amp : amp - i);
    i = amp == std::string_view::npos ? query.size() + 1 : amp + 1;
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view value = param.substr(eq + 1);
    // Cheap pre-check before any copy: an URL value starts with h/H/w/W or an escape.
    if (value.empty() || !(Lower(value[0]) == 'h' || Lower(value[0]) == 'w' || value[0] == '%'))
      continue;
    std::string decoded = PercentDecode(value);
    for (int k = 1; k < kMaxRedirectDecodes; ++k) {
      if (!StartsWithNoCase(decoded, "http%3a") && !StartsWithNoCase(decoded, "https%3a")) break;
      decoded = PercentDecode(decoded);
    }
    std::string_view d = decoded;
    while (!d.empty() && IsSpace(d.front())) d.remove_prefix(1);
    if (StartsWithNoCase(d, "http://") || StartsWithNoCase(d, "https://") ||
        StartsWithNoCase(d, "www."))
      out.emplace_back(d);
  }
  return out;
}

}  // namespace gfi
