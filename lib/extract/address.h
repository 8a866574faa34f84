// Addresses and hosts in header fields: RFC 5322 address lists, Received and X-Originating-IP.
//
// Pure functions; thread-safe; linear time. Lenient: mail clients display what they can parse,
// so we extract what they would show rather than reject malformed lists.
#ifndef GFI_EXTRACT_ADDRESS_H_
#define GFI_EXTRACT_ADDRESS_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace gfi {

// The addr-specs of an address list ("A <a@x>, \"B, Inc\" <b@y>, grp: c@z;"), each as
// local@domain with the domain normalised (lower-case, punycode, no trailing dot). Display names
// and comments are skipped, even when they look like addresses.
std::vector<std::string> ExtractAddresses(std::string_view header_value);

// Normalises one address ("<a@B.Example.>" -> "a@b.example"); nullopt when there is no '@' or the
// domain is not a valid host.
std::optional<std::string> NormalizeAddress(std::string_view address);

// The domain of a normalised address ("a@b.example" -> "b.example").
std::string_view AddressDomain(std::string_view normalized);

// Canonical text of an IPv4 or IPv6 address (util/net.h: ParseIpLiteral, so "::FFFF:1.2.3.4" ->
// "1.2.3.4"); brackets and an "IPv6:" prefix are accepted. nullopt when it is not an address.
std::optional<std::string> CanonicalIp(std::string_view text);

struct HostsAndIps {
  std::vector<std::string> hosts;  // normalised host names
  std::vector<std::string> ips;    // canonical addresses
};

// Host names and addresses in a Received field (before the ';' that starts the date).
HostsAndIps ExtractReceived(std::string_view header_value);

// Addresses in a free-form value such as X-Originating-IP ("[203.0.113.5]").
std::vector<std::string> ExtractIps(std::string_view text);

}  // namespace gfi

#endif  // GFI_EXTRACT_ADDRESS_H_
