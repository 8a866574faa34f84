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

// E-mail addresses are compared in one normal form, the same for feeds (indicators/term.cc), for
// what a message shows (analyzer.cc) and for blinded feeds (which hash it, blind_feed.h):
//   - the domain lower-case, punycode, no trailing dot (an address literal as its canonical IP);
//   - the local part ASCII lower-case: RFC 5321 lets a server tell John@ from john@, but no
//     major provider does, and a feed's case must not decide whether a sender is caught;
//   - a quoted local part whose content is a valid dot-atom loses its quotes ("john"@x is
//     john@x, and so is "jo\hn"@x); any other keeps them, escaping only '"' and '\'.

// The addr-specs of an address list ("A <a@x>, \"B, Inc\" <b@y>, grp: c@z;"), each normalised
// as above. Display names and comments are skipped, even when they look like addresses (but see
// ExtractEncodedDisplayNameAddresses).
std::vector<std::string> ExtractAddresses(std::string_view header_value);

// Addresses that a display name written as RFC 2047 encoded words shows once decoded
// ("=?utf-8?b?ZXZpbEB4LnRlc3Q=?= <a@y>" shows "evil@x.test"): a reader sees them as the sender,
// and the encoding hides them from a plain look at the header. Normalised as above; in order,
// without duplicates. Plain display names are not read (see ExtractAddresses).
std::vector<std::string> ExtractEncodedDisplayNameAddresses(std::string_view header_value);

// Normalises one address ("<John@B.Example.>" -> "john@b.example"); nullopt when there is no
// '@', the domain is not a valid host, or the local part is empty or has a blank or control
// character outside quotes.
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
