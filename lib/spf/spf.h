// SPF (RFC 7208) checks of the SMTP client against the MAIL FROM domain, or against the HELO name
// when the sender is null, using libspf2 for record parsing and evaluation.
//
// Why our own DNS layer: libspf2's resolver layer (SPF_dns_resolv) always asks the servers named
// in /etc/resolv.conf, with the system's timeouts (5 s x 2 attempts per server by default, and a
// check may need many queries). A mail filter needs a configurable resolver (a local validating
// cache; in the tests a dnsmasq on 127.0.0.1 at a high port) and a bounded wait. So we give
// libspf2 a DNS layer of our own: an SPF_dns_server_t whose lookup runs res_nquery on a private
// struct __res_state, initialised by res_ninit and then pointed at the configured servers, and
// parses the answers into SPF_dns_rr_t as spf_dns_resolv.c does. Its error mapping follows RFC
// 7208 section 4.4: NXDOMAIN is "host not found", NOERROR without data is "no data", anything else
// (timeout, SERVFAIL, REFUSED, an unparsable answer) is "try again", which libspf2 turns into
// temperror (libspf2 itself would make REFUSED a permerror). SPF records are looked up as TXT
// only (section 3.1); were libspf2 to ask for the obsolete SPF type (99), the layer answers "no
// data" without a query. libspf2's small in-process cache (SPF_dns_cache_new) sits on top: it
// keeps an answer for its DNS TTL, at most 5 minutes, and a failure for at most a second.
//
// Time bound: every query gets at most timeout_seconds (split over the name servers and two tries
// via the resolver's retrans/retry), and a whole check about 2 * timeout_seconds: once that budget
// is spent, further lookups fail at once and the result is temperror. (The resolver waits at least
// a second per server, so the last query may overrun a little; glibc's TCP fallback for truncated
// answers has no timeout of its own, the one path the bound cannot cover.)
//
// Threads: libspf2 objects are not safe to share, so each Check() borrows an engine (one
// SPF_server_t with its own DNS layers, cache and resolver state) from a pool, creating one when
// none is idle, and returns it afterwards; the pool grows to the peak number of concurrent checks
// (64 idle engines are kept at most). The resolver state lives in the engine rather than in a
// thread_local, so it dies with the checker, and two checkers used by one thread never share it.
//
// No exception leaves Check(): libspf2 failures become temperror or permerror with an explanation,
// and NULL strings from libspf2 are treated as empty. (libspf2 still abort()s on its own internal
// assertion failures and on out-of-memory in places; nothing here can intercept those.)
#ifndef GFI_SPF_SPF_H_
#define GFI_SPF_SPF_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "global/vocabulary.h"
#include "util/status.h"

namespace gfi {

// SpfResult and its names ("none", "neutral", "pass", "fail", "softfail", "temperror",
// "permerror"): global/vocabulary.h.
// The inverse of ToString, case-insensitively; nullopt for anything else.
std::optional<SpfResult> ParseSpfResult(std::string_view s);

struct SpfOptions {
  // Name servers: "IP" or "IP:PORT" for IPv4, "IPv6" or "[IPv6]" or "[IPv6]:PORT" for IPv6; at most
  // 3 (the resolver's MAXNS). Empty: the system's resolver configuration (/etc/resolv.conf).
  std::vector<std::string> resolvers;
  // Per DNS query, all tries and servers included; a whole check takes at most twice this.
  int timeout_seconds = 5;
  // Our host name, named in Received-SPF ("receiver=") and libspf2's explanations; empty: the
  // system host name.
  std::string receiving_host;
};

struct SpfCheck {
  SpfResult result = SpfResult::kNone;
  std::string domain;        // the domain checked: the MAIL FROM domain, or the HELO name
  std::string identity;      // "mailfrom" or "helo"
  std::string received_spf;  // the value of a Received-SPF header field (RFC 7208 section 9.1)
  std::string explanation;   // a short human-readable reason; may be empty
};

class SpfChecker {
 public:
  // Fails on a malformed resolver address, more than 3 resolvers, a timeout outside 1..300, or
  // when libspf2 or the resolver cannot be set up.
  static Result<std::unique_ptr<SpfChecker>> Create(const SpfOptions& options);
  ~SpfChecker();
  SpfChecker(const SpfChecker&) = delete;
  SpfChecker& operator=(const SpfChecker&) = delete;

  // client_ip: IPv4 or IPv6 text (brackets, an "IPv6:" prefix and IPv4-mapped IPv6 are accepted);
  // an unusable address gives result none. helo may be empty. mail_from may carry angle brackets;
  // "" or "<>" (the null sender) checks the HELO identity instead, as postmaster@helo (RFC 7208
  // section 2.4), giving none when helo is empty too. A domain that is not a multi-label domain
  // name gives none (section 4.3). A loopback client (127.0.0.0/8, ::1) gives none, with the reason in
  // the Received-SPF comment: libspf2 would pass it for any domain. Thread-safe; blocks for
  // DNS, at most 2 * timeout_seconds.
  SpfCheck Check(std::string_view client_ip, std::string_view helo,
                 std::string_view mail_from) const noexcept;

 private:
  struct Impl;
  explicit SpfChecker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace gfi

#endif  // GFI_SPF_SPF_H_
