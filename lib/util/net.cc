// The network grammars; see net.h.
#include "util/net.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "util/strings.h"

namespace gfi {
namespace {

constexpr unsigned char kMappedPrefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

bool AllDigits(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string Quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

}  // namespace

std::string IpAddress::ToString() const {
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(v6 ? AF_INET6 : AF_INET, bytes.data(), out, sizeof out) == nullptr) return "";
  return out;
}

std::optional<IpAddress> ParseIp(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[64];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  IpAddress a;
  if (text.find(':') == std::string_view::npos) {
    if (inet_pton(AF_INET, buf, a.bytes.data()) != 1) return std::nullopt;
    return a;
  }
  if (inet_pton(AF_INET6, buf, a.bytes.data()) != 1) return std::nullopt;
  if (std::memcmp(a.bytes.data(), kMappedPrefix, sizeof kMappedPrefix) == 0) {
    std::memmove(a.bytes.data(), a.bytes.data() + 12, 4);
    std::fill(a.bytes.begin() + 4, a.bytes.end(), 0);
    return a;
  }
  a.v6 = true;
  return a;
}

std::optional<IpAddress> ParseIpLiteral(std::string_view text) {
  std::string_view t = Trim(text);
  if (t.size() >= 2 && t.front() == '[' && t.back() == ']') t = t.substr(1, t.size() - 2);
  if (StartsWithIgnoreCase(t, "ipv6:")) t.remove_prefix(5);
  return ParseIp(t);
}

bool IpNetwork::Contains(const IpAddress& ip) const {
  if (ip.v6 != addr.v6) return false;
  const int full = prefix / 8;
  if (std::memcmp(ip.bytes.data(), addr.bytes.data(), static_cast<size_t>(full)) != 0) return false;
  const int rest = prefix % 8;
  if (rest == 0) return true;
  const unsigned mask = (0xffu << (8 - rest)) & 0xffu;
  return (ip.bytes[static_cast<size_t>(full)] & mask) ==
         (addr.bytes[static_cast<size_t>(full)] & mask);
}

std::string IpNetwork::ToString() const {
  std::string s = addr.ToString();
  if (prefix != addr.bits()) s += "/" + std::to_string(prefix);
  return s;
}

Result<IpNetwork> ParseNetwork(std::string_view text) {
  const size_t slash = text.find('/');
  const std::string_view addr_text = text.substr(0, slash);
  auto addr = ParseIp(addr_text);
  if (!addr) return Status::Error("bad IP address " + Quoted(text));
  IpNetwork n;
  n.addr = *addr;
  n.prefix = addr->bits();
  if (slash == std::string_view::npos) return n;
  const std::string_view bits = text.substr(slash + 1);
  if (!AllDigits(bits) || bits.size() > 3)
    return Status::Error("bad CIDR " + Quoted(text) + ": the prefix length is not a number");
  // Read against the family as written: a mapped network is given in IPv6 prefix lengths.
  const bool written_v6 = addr_text.find(':') != std::string_view::npos;
  int len = std::stoi(std::string(bits));
  if (len > (written_v6 ? 128 : 32))
    return Status::Error("bad CIDR " + Quoted(text) + ": prefix longer than /" +
                         std::to_string(written_v6 ? 128 : 32));
  if (written_v6 && !addr->v6) {  // ::ffff:a.b.c.d/N
    if (len < 96)
      return Status::Error("bad CIDR " + Quoted(text) +
                           ": an IPv4-mapped prefix must be /96 or longer");
    len -= 96;
  }
  n.prefix = len;
  return n;
}

std::optional<uint16_t> ParsePort(std::string_view text) {
  if (!AllDigits(text) || text.size() > 5) return std::nullopt;
  const int v = std::stoi(std::string(text));
  if (v < 1 || v > 65535) return std::nullopt;
  return static_cast<uint16_t>(v);
}

Result<HostPort> ParseHostPort(std::string_view text, std::optional<uint16_t> default_port) {
  const std::string forms = default_port ? "HOST[:PORT] or [IPv6][:PORT]" : "HOST:PORT or [IPv6]:PORT";
  auto bad = [&](const std::string& why) {
    return Status::Error(Quoted(text) + ": " + why + " (expected " + forms + ")");
  };
  HostPort hp;
  std::string_view port_text;
  if (!text.empty() && text.front() == '[') {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return bad("missing ']'");
    hp.host = std::string(text.substr(1, close - 1));
    if (!ParseIp(hp.host) || !ParseIp(hp.host)->v6) return bad("not an IPv6 address in brackets");
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return bad("expected ':PORT' after ']'");
      port_text = rest.substr(1);
      if (port_text.empty()) return bad("empty port");
    }
  } else if (std::count(text.begin(), text.end(), ':') > 1) {
    if (!default_port) return bad("an IPv6 address with a port needs brackets");
    hp.host = std::string(text);
    if (!ParseIp(hp.host)) return bad("not an IPv6 address");
  } else {
    const size_t colon = text.find(':');
    hp.host = std::string(text.substr(0, colon));
    if (colon != std::string_view::npos) {
      port_text = text.substr(colon + 1);
      if (port_text.empty()) return bad("empty port");
    }
  }
  if (hp.host.empty()) return bad("no host");
  if (std::any_of(hp.host.begin(), hp.host.end(), [](char c) {
        return static_cast<unsigned char>(c) <= ' ' || c == '/' || c == '@' || c == '\x7f';
      }))
    return bad("the host has a space, '/' or '@'");
  if (port_text.empty()) {
    if (!default_port) return bad("no port");
    hp.port = *default_port;
    return hp;
  }
  auto port = ParsePort(port_text);
  if (!port) return bad("the port must be a number from 1 to 65535");
  hp.port = *port;
  return hp;
}

Result<Resolver> ParseResolver(std::string_view text) {
  auto hp = ParseHostPort(text, 53);
  if (!hp.ok()) return hp.status();
  auto addr = ParseIp(hp.value().host);
  if (!addr)
    return Status::Error(Quoted(text) +
                         ": not an address (expected IP, IP:PORT, IPv6, [IPv6] or [IPv6]:PORT)");
  return Resolver{*addr, hp.value().port};
}

Result<MilterSocket> ParseMilterSocket(std::string_view text) {
  const std::string forms = " is not unix:/PATH, inet:PORT[@HOST] or inet6:PORT[@HOST]";
  MilterSocket s;
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return Status::Error(Quoted(text) + forms);
  const std::string_view scheme = text.substr(0, colon), rest = text.substr(colon + 1);
  if (scheme == "unix" || scheme == "local") {
    if (rest.empty() || rest.front() != '/') return Status::Error(Quoted(text) + forms);
    s.kind = MilterSocket::Kind::kUnix;
    s.path = std::string(rest);
    return s;
  }
  if (scheme != "inet" && scheme != "inet6") return Status::Error(Quoted(text) + forms);
  s.kind = scheme == "inet" ? MilterSocket::Kind::kInet : MilterSocket::Kind::kInet6;
  const size_t at = rest.find('@');
  auto port = ParsePort(rest.substr(0, at));
  if (!port)
    return Status::Error(Quoted(text) + ": the port must be a number from 1 to 65535");
  s.port = *port;
  if (at != std::string_view::npos) {
    s.host = std::string(rest.substr(at + 1));
    if (s.host.empty()) return Status::Error(Quoted(text) + ": empty host after '@'");
  }
  return s;
}

}  // namespace gfi
