// Blinded feeds (.blind): indicators whose values are replaced by keyed hashes (blind_key.h), so
// that the feed file, the filter's memory and every backup hold no value anyone can read. The
// provider blinds (BlindFeeds, `gfictl indicators blind`); the filter reads (ParseBlindFeed) and
// hashes what it observes the same way (BlindForm*, used by the snapshot) to look it up.
//
// The format, version 1, is specified in gfi-milter.toml(5), BLINDED FEEDS: a header of tab-
// separated NAME VALUE lines (gfi-blind-feed 1, algorithm hmac-sha256-128, key-id,
// ipv4-prefixes, ipv6-prefixes, columns), then one tab-separated row per indicator: id, type,
// action, marking, confidence, valid-from, valid-until, revoked, modified, terms. Terms are the
// rule's OR of ANDs: "TYPE[@WHERE,...]:HASH" joined by '&' inside a conjunction and '|' between
// conjunctions; HASH is 32 hex digits.
//
// What is hashed, per type (the same normalisation as the plain matcher, term.cc):
//   domain    the host, lower-case, punycode, no trailing dot; matched on a host and each parent
//             down to its registrable domain (public suffix list)
//   email     the normalised address (extract/address.h: local part and domain lower-case,
//             a needless quoted local part unquoted)
//   url       UrlMatchKey of the normalised URL: without http(s):// and #fragment
//   ip        "ADDR/N": the network address masked to N bits, canonical text, always with /N
//   md5/sha1/sha256   lower-case hex
//   filename  the name, ASCII lower-case
// Not blindable (they need the value to match): url-prefix, filename-glob, the regexes, content.
// Pure functions; thread-safe.
#ifndef GFI_INDICATORS_BLIND_FEED_H_
#define GFI_INDICATORS_BLIND_FEED_H_

#include <string>
#include <string_view>
#include <vector>

#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "util/status.h"

namespace gfi {

inline constexpr std::string_view kBlindFeedMagic = "gfi-blind-feed";
inline constexpr std::string_view kBlindAlgorithm = "hmac-sha256-128";
inline constexpr std::string_view kBlindColumns =
    "id\ttype\taction\tmarking\tconfidence\tvalid-from\tvalid-until\trevoked\tmodified\tterms";

// What a term hashes as: its observable type and normalised text; for an IP, the prefix length
// and family too.
struct BlindForm {
  ObservableType type;
  std::string value;
  int ip_prefix = -1;
  bool ip_v6 = false;
};
// The form of `t`, or why it cannot be blinded ("url-prefix cannot be blinded: ...").
Result<BlindForm> BlindFormOf(const Term& t);

// "ADDR/N" of `bytes` (network order, v4 in the first 4) masked to `prefix` bits, written to
// `buf` (at least 64 bytes). Returns its length. No allocation: the matcher calls it per lookup.
size_t FormatBlindIp(const std::array<uint8_t, 16>& bytes, bool v6, int prefix, char* buf);

// The provider's side: every rule of `feeds` as one blinded feed under `key`. A rule that cannot
// be blinded (a term above, or an id or marking with a tab or control character) is listed in
// `refused` as "FEED: ID: why"; it is left out of the text. `text` is the whole .blind file.
struct BlindedFeed {
  std::string text;
  size_t rules = 0;
  size_t terms = 0;
  std::vector<std::string> refused;
};
BlindedFeed BlindFeeds(const std::vector<Feed>& feeds, const BlindKey& key);

}  // namespace gfi

#endif  // GFI_INDICATORS_BLIND_FEED_H_
