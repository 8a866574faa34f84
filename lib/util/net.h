// One parser per network grammar, used by every module: IP addresses (IPv4-mapped IPv6 folded to
// IPv4), networks (CIDR), ports, HOST:PORT endpoints, DNS resolvers and the milter socket. Config,
// policy, indicators, the snapshot, SPF, the milter and gfictl all parse through here, so a value
// one of them accepts is never refused (or read differently) by another.
//
// URL hosts are not parsed here: a browser's reading of a host (WHATWG: "0x7f.1", "127.1") is a
// different grammar, kept in extract/url.cc, whose result is then an address this module reads.
#ifndef GFI_UTIL_NET_H_
#define GFI_UTIL_NET_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace gfi {

// An IPv4 or IPv6 address. An IPv4-mapped IPv6 address (::ffff:a.b.c.d, as dual-stack listeners
// report IPv4 clients) is the IPv4 address it maps, so IPv4 indicators and networks match it.
struct IpAddress {
  bool v6 = false;
  std::array<uint8_t, 16> bytes{};  // network order; IPv4 in the first 4

  int bits() const { return v6 ? 128 : 32; }
  std::string ToString() const;  // canonical text (inet_ntop): "192.0.2.1", "2001:db8::1"
  bool operator==(const IpAddress& o) const { return v6 == o.v6 && bytes == o.bytes; }
};

// Strict: dotted-quad IPv4 (four decimal parts) or RFC 4291 IPv6 text; nothing around it.
std::optional<IpAddress> ParseIp(std::string_view text);
// An address as mail writes it: surrounding white space, an RFC 5321 address literal
// ("[192.0.2.1]", "[IPv6:2001:db8::1]") or a bare "IPv6:" prefix are accepted around it.
std::optional<IpAddress> ParseIpLiteral(std::string_view text);

// "ADDR" (a host network: /32 or /128) or "ADDR/N". A mapped ::ffff:a.b.c.d/N (N >= 96) is the
// IPv4 network /N-96. Host bits past the prefix are kept as written (ToString shows them) and
// ignored by Contains.
struct IpNetwork {
  IpAddress addr;
  int prefix = 0;

  bool Contains(const IpAddress& ip) const;
  std::string ToString() const;  // "ADDR" for a host network, else "ADDR/N"
};
// The error says what is wrong with `text` (not an address, bad or too long a prefix, ...).
Result<IpNetwork> ParseNetwork(std::string_view text);

// A TCP port: 1 to 65535, decimal digits only.
std::optional<uint16_t> ParsePort(std::string_view text);

// An endpoint: "HOST:PORT" or "[IPv6]:PORT"; with a default port also "HOST", "[IPv6]" or a bare
// IPv6 address. HOST is a name or an address (brackets removed). The error names `text`.
struct HostPort {
  std::string host;
  uint16_t port = 0;
};
Result<HostPort> ParseHostPort(std::string_view text,
                               std::optional<uint16_t> default_port = std::nullopt);

// A DNS resolver: an address with an optional port (default 53): "IP", "IP:PORT", "IPv6",
// "[IPv6]" or "[IPv6]:PORT".
struct Resolver {
  IpAddress addr;
  uint16_t port = 53;
};
Result<Resolver> ParseResolver(std::string_view text);

// The milter socket, in libmilter's syntax: "unix:/PATH" (or "local:/PATH"), "inet:PORT[@HOST]",
// "inet6:PORT[@HOST]".
struct MilterSocket {
  enum class Kind { kUnix, kInet, kInet6 } kind = Kind::kUnix;
  std::string path;  // kUnix
  uint16_t port = 0;
  std::string host;  // "" = any address
};
Result<MilterSocket> ParseMilterSocket(std::string_view text);

}  // namespace gfi

#endif  // GFI_UTIL_NET_H_
