// SPF checks through libspf2 with a DNS layer of our own; see spf.h for the design.
#include "spf/spf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <sys/socket.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <utility>

// libspf2's headers have no extern "C" guards of their own. The system headers they include are
// included above, so their contents keep their own linkage.
extern "C" {
#include <spf2/spf.h>
#include <spf2/spf_dns.h>
#include <spf2/spf_dns_cache.h>
#include <spf2/spf_dns_rr.h>
}

#include "util/net.h"

namespace gfi {
namespace {

constexpr int kMaxTimeoutSeconds = 300;
constexpr int kMaxCacheTtlSeconds = 300;  // answers are cached for their TTL, but no longer
constexpr int kCacheBits = 10;            // 1024 hash chains per engine
constexpr size_t kIdleEnginesKept = 64;   // more idle engines than this are freed
constexpr int kAnswerSize = 65536;        // the largest DNS message (TCP)

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && Lower(a) == Lower(b);
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' ||
                        s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::string Str(const char* s) { return s == nullptr ? std::string() : std::string(s); }

// ---------------------------------------------------------------------------------------------
// Name servers

struct Nameserver {
  bool v6 = false;
  sockaddr_in in4{};
  sockaddr_in6 in6{};
};

Result<Nameserver> ParseNameserver(std::string_view text) {
  auto r = ParseResolver(text);
  if (!r.ok()) return r.status();
  Nameserver ns;
  const IpAddress& ip = r.value().addr;
  if (ip.v6) {
    ns.v6 = true;
    ns.in6.sin6_family = AF_INET6;
    ns.in6.sin6_port = htons(r.value().port);
    std::memcpy(&ns.in6.sin6_addr, ip.bytes.data(), 16);
  } else {
    ns.in4.sin_family = AF_INET;
    ns.in4.sin_port = htons(r.value().port);
    std::memcpy(&ns.in4.sin_addr, ip.bytes.data(), 4);
  }
  return ns;
}

// ---------------------------------------------------------------------------------------------
// The DNS layer handed to libspf2. One per engine, so never used by two threads at once.

struct DnsLayer {
  SPF_dns_server_t spf;  // what libspf2 sees; spf.hook points back to this object
  struct __res_state res;
  bool res_initialized = false;
  unsigned char* answer = nullptr;  // kAnswerSize bytes, malloc()ed
  int timeout_seconds = 5;
  std::chrono::steady_clock::time_point deadline;  // of the check in progress
};

// A name res_nquery can form a query for; others cannot exist, so they are "host not found".
bool IsQueryableName(const char* name) {
  size_t len = std::strlen(name);
  if (len > 0 && name[len - 1] == '.') --len;
  if (len == 0 || len > 253) return false;
  size_t label = 0;
  for (size_t i = 0; i < len; ++i) {
    if (name[i] == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

SPF_dns_rr_t* NewRr(SPF_dns_server_t* s, const char* domain, ns_type type, int ttl,
                    SPF_dns_stat_t herrno) {
  return SPF_dns_rr_new_init(s, domain, type, ttl, herrno);
}

SPF_dns_rr_t* TryAgain(SPF_dns_server_t* s, const char* domain, ns_type type) {
  return NewRr(s, domain, type, 0, TRY_AGAIN);
}

// Turns the answer section into an SPF_dns_rr_t the way libspf2's spf_dns_resolv.c does: only
// records of the queried type (CNAMEs are followed by the server, their records skipped), TXT
// strings concatenated, names uncompressed. A malformed message is a server failure (TRY_AGAIN).
SPF_dns_rr_t* ParseAnswer(SPF_dns_server_t* s, const char* domain, ns_type type,
                          const unsigned char* msg_buf, int msg_len) {
  ns_msg msg;
  if (ns_initparse(msg_buf, msg_len, &msg) < 0) return TryAgain(s, domain, type);
  SPF_dns_rr_t* rr = NewRr(s, domain, type, 0, NETDB_SUCCESS);
  if (rr == nullptr) return nullptr;
  const int count = ns_msg_count(msg, ns_s_an);
  int n = 0;
  unsigned long min_ttl = kMaxCacheTtlSeconds;
  char name[NS_MAXDNAME];
  for (int i = 0; i < count; ++i) {
    ns_rr record;
    if (ns_parserr(&msg, ns_s_an, i, &record) < 0) {
      SPF_dns_rr_free(rr);
      return TryAgain(s, domain, type);
    }
    if (ns_rr_type(record) != type || ns_rr_class(record) != ns_c_in) continue;
    const unsigned char* rdata = ns_rr_rdata(record);
    const size_t rdlen = ns_rr_rdlen(record);
    bool ok = true;
    switch (type) {
      case ns_t_a:
        if (rdlen != sizeof(struct in_addr)) continue;
        ok = SPF_dns_rr_buf_realloc(rr, n, sizeof(struct in_addr)) == SPF_E_SUCCESS;
        if (ok) std::memcpy(&rr->rr[n]->a, rdata, sizeof(struct in_addr));
        break;
      case ns_t_aaaa:
        if (rdlen != sizeof(struct in6_addr)) continue;
        ok = SPF_dns_rr_buf_realloc(rr, n, sizeof(struct in6_addr)) == SPF_E_SUCCESS;
        if (ok) std::memcpy(&rr->rr[n]->aaaa, rdata, sizeof(struct in6_addr));
        break;
      case ns_t_mx:
      case ns_t_ptr: {
        if (type == ns_t_mx && rdlen < NS_INT16SZ + 1) continue;
        const unsigned char* target = type == ns_t_mx ? rdata + NS_INT16SZ : rdata;
        if (ns_name_uncompress(ns_msg_base(msg), ns_msg_end(msg), target, name, sizeof(name)) < 0)
          continue;
        // A null MX (RFC 7505) names the root, which has no addresses to compare.
        if (name[0] == '\0' || std::strcmp(name, ".") == 0) continue;
        ok = SPF_dns_rr_buf_realloc(rr, n, std::strlen(name) + 1) == SPF_E_SUCCESS;
        if (ok) std::strcpy(type == ns_t_mx ? rr->rr[n]->mx : rr->rr[n]->ptr, name);
        break;
      }
      case ns_t_txt: {
        // Each string is a length byte and that many bytes: the text is shorter than rdlen.
        ok = SPF_dns_rr_buf_realloc(rr, n, rdlen + 1) == SPF_E_SUCCESS;
        if (!ok) break;
        char* dst = rr->rr[n]->txt;
        size_t pos = 0;
        while (pos < rdlen) {
          size_t piece = rdata[pos++];
          piece = std::min(piece, rdlen - pos);
          std::memcpy(dst, rdata + pos, piece);
          dst += piece;
          pos += piece;
        }
        *dst = '\0';
        break;
      }
      default:
        continue;  // libspf2 asks for nothing else
    }
    if (!ok) {  // out of memory: a temporary failure
      SPF_dns_rr_free(rr);
      return TryAgain(s, domain, type);
    }
    min_ttl = std::min(min_ttl, static_cast<unsigned long>(ns_rr_ttl(record)));
    ++n;
  }
  rr->num_rr = n;
  if (n == 0) {
    rr->herrno = NO_DATA;
  } else {
    rr->ttl = static_cast<time_t>(min_ttl);
  }
  return rr;
}

extern "C" {

// SPF_dns_server_t::lookup. Never throws; returns NULL only when out of memory, as libspf2's own
// layers do.
static SPF_dns_rr_t* GfiDnsLookup(SPF_dns_server_t* s, const char* domain, ns_type type,
                                  int /*should_cache*/) noexcept {
  if (domain == nullptr) domain = "";
  auto* layer = s == nullptr ? nullptr : static_cast<DnsLayer*>(s->hook);
  if (layer == nullptr || !layer->res_initialized) return TryAgain(s, domain, type);
  // RFC 7208 section 3.1: SPF records are published (and looked up) as TXT only.
  if (static_cast<int>(type) == ns_t_spf) return NewRr(s, domain, type, 0, NO_DATA);
  if (!IsQueryableName(domain)) return NewRr(s, domain, type, 0, HOST_NOT_FOUND);

  // Spend no more than what is left of the check's budget, and at most timeout_seconds, spread
  // over the servers (glibc waits about retrans seconds per server per try) and two tries if the
  // budget allows.
  const auto now = std::chrono::steady_clock::now();
  if (now >= layer->deadline) return TryAgain(s, domain, type);
  const long long left_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(layer->deadline - now).count();
  const int budget = static_cast<int>(
      std::clamp((left_ms + 999) / 1000, 1LL, static_cast<long long>(layer->timeout_seconds)));
  const int servers = std::max(1, layer->res.nscount);
  const int tries = budget >= 2 * servers ? 2 : 1;
  layer->res.retry = tries;
  layer->res.retrans = std::max(1, budget / (tries * servers));

  const int len = res_nquery(&layer->res, domain, ns_c_in, type, layer->answer, kAnswerSize);
  if (len < 0) {
    // glibc: NXDOMAIN -> HOST_NOT_FOUND, NOERROR without answers -> NO_DATA, SERVFAIL and
    // timeouts -> TRY_AGAIN, REFUSED/FORMERR/NOTIMP -> NO_RECOVERY. RFC 7208 section 4.4 makes
    // every failure other than the first two a temperror.
    const int h = layer->res.res_h_errno;
    if (h == HOST_NOT_FOUND || h == NO_DATA) return NewRr(s, domain, type, 0, h);
    return TryAgain(s, domain, type);
  }
  if (len > kAnswerSize) return TryAgain(s, domain, type);
  return ParseAnswer(s, domain, type, layer->answer, len);
}

// SPF_dns_server_t::destroy, called by SPF_dns_free() (from SPF_server_free()).
static void GfiDnsDestroy(SPF_dns_server_t* s) noexcept {
  if (s == nullptr) return;
  auto* layer = static_cast<DnsLayer*>(s->hook);
  if (layer == nullptr) return;
  if (layer->res_initialized) res_nclose(&layer->res);
  std::free(layer->answer);
  delete layer;
}

}  // extern "C"

// Points the resolver state at our name servers. glibc reads nsaddr_list[i] for IPv4 and, when
// nsaddr_list[i].sin_family is 0, the malloc()ed _u._ext.nsaddrs[i] for IPv6 (res_nclose frees
// those); _u._ext.nscount == 0 makes res_send rebuild its private copy of the list.
bool SetNameservers(struct __res_state* res, const std::vector<Nameserver>& servers) {
  for (int i = 0; i < MAXNS; ++i) {
    std::free(res->_u._ext.nsaddrs[i]);
    res->_u._ext.nsaddrs[i] = nullptr;
    res->_u._ext.nssocks[i] = -1;
    std::memset(&res->nsaddr_list[i], 0, sizeof(res->nsaddr_list[i]));
  }
  res->_u._ext.nscount = 0;
  res->nscount = 0;
  for (size_t i = 0; i < servers.size() && i < MAXNS; ++i) {
    if (servers[i].v6) {
      auto* sa6 = static_cast<sockaddr_in6*>(std::malloc(sizeof(sockaddr_in6)));
      if (sa6 == nullptr) return false;
      *sa6 = servers[i].in6;
      res->_u._ext.nsaddrs[i] = sa6;
      res->nsaddr_list[i].sin_family = 0;
    } else {
      res->nsaddr_list[i] = servers[i].in4;
    }
    ++res->nscount;
  }
  return true;
}

// One SPF_server_t with its DNS stack (cache over our layer). Used by one thread at a time.
struct Engine {
  SPF_server_t* server = nullptr;
  SPF_dns_server_t* dns_top = nullptr;  // the top DNS layer
  DnsLayer* dns = nullptr;              // our layer, at the bottom of the stack
  Engine() = default;
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;
  ~Engine() {
    // A server from SPF_server_new_dns() leaves its DNS layers to the caller (destroy_resolver
    // is 0); SPF_dns_free() frees the whole stack, each layer through its destroy callback.
    bool free_dns = dns_top != nullptr;
    if (server != nullptr) {
      if (server->destroy_resolver) free_dns = false;
      SPF_server_free(server);
    }
    if (free_dns) SPF_dns_free(dns_top);
  }
};

// ---------------------------------------------------------------------------------------------
// Received-SPF formatting (RFC 7208 section 9.1; RFC 5322 comments and quoted strings)

char Printable(char c) {
  auto u = static_cast<unsigned char>(c);
  return u < 0x20 || u >= 0x7f ? '?' : c;
}

std::string Comment(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '(' || c == ')' || c == '\\') out += '\\';
    out += Printable(c);
  }
  return out;
}

bool IsAtext(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::strchr("!#$%&'*+-/=?^_`{|}~", c) != nullptr;
}

// dot-atom when it is one, else a quoted-string.
std::string Value(std::string_view s) {
  bool dot_atom = !s.empty() && s.front() != '.' && s.back() != '.';
  for (size_t i = 0; dot_atom && i < s.size(); ++i)
    dot_atom = IsAtext(s[i]) || (s[i] == '.' && s[i + 1] != '.');
  if (dot_atom) return std::string(s);
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += Printable(c);
  }
  return out + "\"";
}

// libspf2's header comments, for the results it returns without one.
std::string DefaultComment(SpfResult r, const std::string& domain, const std::string& ip,
                           std::string_view detail) {
  const std::string source = "domain of " + domain;
  switch (r) {
    case SpfResult::kPass:
      return source + " designates " + ip + " as permitted sender";
    case SpfResult::kFail:
      return source + " does not designate " + ip + " as permitted sender";
    case SpfResult::kSoftfail:
      return "transitioning " + source + " does not designate " + ip + " as permitted sender";
    case SpfResult::kNeutral:
      return ip + " is neither permitted nor denied by " + source;
    case SpfResult::kNone:
      return source + " does not provide an SPF record";
    case SpfResult::kTemperror:
      return "encountered temporary error during SPF processing of " + source;
    case SpfResult::kPermerror:
      return "error in processing during lookup of " + source +
             (detail.empty() ? "" : ": " + std::string(detail));
  }
  return source;
}

struct Envelope {
  std::string ip;         // normalised client address text; empty when unusable
  std::string helo;       // as given, trimmed
  std::string mail_from;  // without angle brackets; empty for the null sender
  std::string receiver;
};

// Fills received_spf and explanation of `c` from the result, `comment` (without the receiver
// prefix) and libspf2's error message `problem`.
void Finish(SpfCheck* c, const Envelope& env, std::string_view comment, std::string_view problem) {
  const bool error = c->result == SpfResult::kTemperror || c->result == SpfResult::kPermerror;
  std::string v(ToString(c->result));
  v += " (" + Comment(env.receiver.empty() ? std::string(comment)
                                           : env.receiver + ": " + std::string(comment)) +
       ")";
  if (!env.ip.empty()) v += " client-ip=" + Value(env.ip) + ";";
  if (!env.mail_from.empty()) v += " envelope-from=" + Value(env.mail_from) + ";";
  if (!env.helo.empty()) v += " helo=" + Value(env.helo) + ";";
  if (!env.receiver.empty()) v += " receiver=" + Value(env.receiver) + ";";
  v += " identity=" + c->identity + ";";
  if (error && !problem.empty()) v += " problem=" + Value(problem) + ";";
  c->received_spf = std::move(v);
  // May end up in an SMTP reply or a log line: printable ASCII only.
  std::string e(comment);
  if (error && !problem.empty() && comment.find(problem) == std::string_view::npos)
    e += " (" + std::string(problem) + ")";
  for (char& ch : e) ch = Printable(ch);
  c->explanation = std::move(e);
}

// ---------------------------------------------------------------------------------------------
// Input normalisation

struct ClientAddress {
  int family = AF_UNSPEC;
  in_addr v4{};
  in6_addr v6{};
  std::string text;
};

ClientAddress ParseClientAddress(std::string_view s) {
  ClientAddress a;
  // An IPv4-mapped address is evaluated as IPv4 (RFC 7208 section 5); ParseIpLiteral folds it.
  auto ip = ParseIpLiteral(s);
  if (!ip) return a;
  a.family = ip->v6 ? AF_INET6 : AF_INET;
  if (ip->v6) std::memcpy(&a.v6, ip->bytes.data(), 16);
  else std::memcpy(&a.v4, ip->bytes.data(), 4);
  a.text = ip->ToString();
  return a;
}

std::string StripMailFrom(std::string_view s) {
  s = Trim(s);
  if (!s.empty() && s.front() == '<') {
    s.remove_prefix(1);
    if (!s.empty() && s.back() == '>') s.remove_suffix(1);
  }
  s = Trim(s);
  // An obsolete source route: <@relay1,@relay2:user@domain>.
  if (!s.empty() && s.front() == '@') {
    size_t colon = s.find(':');
    if (colon != std::string_view::npos) s.remove_prefix(colon + 1);
  }
  return std::string(s);
}

// RFC 7208 section 4.3: a domain that is not a multi-label domain name gives none.
bool IsCheckableDomain(std::string_view d) {
  if (!d.empty() && d.back() == '.') d.remove_suffix(1);
  if (d.empty() || d.size() > 253 || d.find('.') == std::string_view::npos) return false;
  size_t label = 0;
  for (char c : d) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f || std::strchr("[]@\\\"", c) != nullptr) return false;
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (++label > 63) {
      return false;
    }
  }
  return label > 0;
}

SpfResult FromLibspf2(SPF_result_t r, bool* known) {
  *known = true;
  switch (r) {
    case SPF_RESULT_NEUTRAL:
      return SpfResult::kNeutral;
    case SPF_RESULT_PASS:
      return SpfResult::kPass;
    case SPF_RESULT_FAIL:
      return SpfResult::kFail;
    case SPF_RESULT_SOFTFAIL:
      return SpfResult::kSoftfail;
    case SPF_RESULT_NONE:
      return SpfResult::kNone;
    case SPF_RESULT_TEMPERROR:
      return SpfResult::kTemperror;
    case SPF_RESULT_PERMERROR:
      return SpfResult::kPermerror;
    case SPF_RESULT_INVALID:
      break;
  }
  *known = false;
  return SpfResult::kTemperror;
}

struct RequestDeleter {
  void operator()(SPF_request_t* r) const { SPF_request_free(r); }
};
struct ResponseDeleter {
  void operator()(SPF_response_t* r) const { SPF_response_free(r); }
};

}  // namespace

std::optional<SpfResult> ParseSpfResult(std::string_view s) {
  for (const auto& [r, name] : kSpfResultNames.entries)
    if (EqualsIgnoreCase(s, name)) return r;
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------

struct SpfChecker::Impl {
  std::vector<Nameserver> servers;
  int timeout_seconds = 5;
  std::string receiving_host;

  std::mutex mu;
  std::vector<std::unique_ptr<Engine>> idle;  // guarded by mu

  Result<std::unique_ptr<Engine>> NewEngine() const;
  std::unique_ptr<Engine> Acquire(std::string* error);
  void Release(std::unique_ptr<Engine> engine) noexcept;
  SpfCheck Run(std::string_view client_ip, std::string_view helo, std::string_view mail_from);
};

Result<std::unique_ptr<Engine>> SpfChecker::Impl::NewEngine() const {
  auto engine = std::make_unique<Engine>();
  auto* layer = new (std::nothrow) DnsLayer();  // zero-initialised
  if (layer == nullptr) return Status::Error("spf: out of memory");
  layer->spf.destroy = GfiDnsDestroy;
  layer->spf.lookup = GfiDnsLookup;
  layer->spf.name = "gfi-resolv";
  layer->spf.hook = layer;
  engine->dns_top = &layer->spf;  // from here on the engine frees the layer
  engine->dns = layer;
  layer->timeout_seconds = timeout_seconds;
  layer->answer = static_cast<unsigned char*>(std::malloc(kAnswerSize));
  if (layer->answer == nullptr) return Status::Error("spf: out of memory");
  if (res_ninit(&layer->res) != 0)
    return Status::Error("spf: cannot initialise the resolver (res_ninit failed)");
  layer->res_initialized = true;
  // Larger UDP answers (TXT sets often exceed 512 bytes), so fewer fall back to TCP.
  layer->res.options |= RES_USE_EDNS0;
  if (!servers.empty() && !SetNameservers(&layer->res, servers))
    return Status::Error("spf: out of memory");

  // The cache is optional: without it every lookup goes to the name servers.
  if (SPF_dns_server_t* cache = SPF_dns_cache_new(engine->dns_top, "gfi-cache", 0, kCacheBits)) {
    // No minimum TTLs: keep answers for their (capped) DNS TTL and failures not at all.
    SPF_dns_cache_set_ttl(cache, 0, 0, 0, 0);
    engine->dns_top = cache;
  }
  engine->server = SPF_server_new_dns(engine->dns_top, 0);
  if (engine->server == nullptr) return Status::Error("spf: cannot create a libspf2 server");
  if (!receiving_host.empty() &&
      SPF_server_set_rec_dom(engine->server, receiving_host.c_str()) != SPF_E_SUCCESS)
    return Status::Error("spf: out of memory");
  SPF_server_set_sanitize(engine->server, 1);  // no control characters in generated text
  return engine;
}

std::unique_ptr<Engine> SpfChecker::Impl::Acquire(std::string* error) {
  {
    std::lock_guard<std::mutex> lock(mu);
    if (!idle.empty()) {
      std::unique_ptr<Engine> engine = std::move(idle.back());
      idle.pop_back();
      return engine;
    }
  }
  Result<std::unique_ptr<Engine>> engine = NewEngine();
  if (!engine.ok()) {
    *error = engine.error();
    return nullptr;
  }
  return std::move(engine).value();
}

void SpfChecker::Impl::Release(std::unique_ptr<Engine> engine) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu);
    if (idle.size() < kIdleEnginesKept) idle.push_back(std::move(engine));
  } catch (...) {
    // Keeping the engine is an optimisation; it is freed below instead.
  }
}  // an engine not kept is freed here, outside the lock

SpfCheck SpfChecker::Impl::Run(std::string_view client_ip, std::string_view helo,
                               std::string_view mail_from) {
  SpfCheck c;
  Envelope env;
  env.helo = std::string(Trim(helo));
  env.mail_from = StripMailFrom(mail_from);
  env.receiver = receiving_host;
  const bool null_sender = env.mail_from.empty();
  c.identity = null_sender ? "helo" : "mailfrom";
  std::string domain = null_sender ? env.helo : env.mail_from.substr(env.mail_from.rfind('@') + 1);
  if (!domain.empty() && domain.back() == '.') domain.pop_back();
  c.domain = Lower(domain);

  const ClientAddress addr = ParseClientAddress(client_ip);
  env.ip = addr.text;
  if (addr.family == AF_UNSPEC) {
    Finish(&c, env, "no usable client IP address", "");
    return c;
  }
  // libspf2 passes every loopback client ("localhost is always allowed"): a program on this host
  // would then get spf=pass for any sender domain. SPF says nothing about mail submitted on the
  // host itself, so the result is none, with the reason.
  if ((addr.family == AF_INET && (ntohl(addr.v4.s_addr) >> 24) == 127) ||
      (addr.family == AF_INET6 && IN6_IS_ADDR_LOOPBACK(&addr.v6))) {
    Finish(&c, env, env.ip + " is a loopback address: SPF does not apply to mail from this host",
           "");
    return c;
  }
  if (null_sender && env.helo.empty()) {
    Finish(&c, env, "null sender and no HELO name to check", "");
    return c;
  }
  if (!IsCheckableDomain(domain)) {
    Finish(&c, env, "\"" + std::string(domain) + "\" is not a multi-label domain name", "");
    return c;
  }

  std::string error;
  struct Lease {
    Impl* impl;
    std::unique_ptr<Engine> engine;
    ~Lease() { impl->Release(std::move(engine)); }
  } lease{this, Acquire(&error)};
  Engine* engine = lease.engine.get();
  auto temperror = [&](std::string_view problem) {
    c.result = SpfResult::kTemperror;
    Finish(&c, env, DefaultComment(c.result, c.domain, env.ip, ""), problem);
    return c;
  };
  if (engine == nullptr) return temperror(error);

  engine->dns->deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(2 * timeout_seconds);
  std::unique_ptr<SPF_request_t, RequestDeleter> req(SPF_request_new(engine->server));
  if (req == nullptr) return temperror("out of memory");
  if (addr.family == AF_INET) {
    SPF_request_set_ipv4(req.get(), addr.v4);
  } else {
    SPF_request_set_ipv6(req.get(), addr.v6);
  }
  // Setting the HELO name first also sets the sender to postmaster@helo, which libspf2 keeps for
  // the null sender (RFC 7208 section 2.4).
  if (!env.helo.empty() && SPF_request_set_helo_dom(req.get(), env.helo.c_str()) != SPF_E_SUCCESS)
    return temperror("out of memory");
  if (!null_sender && SPF_request_set_env_from(req.get(), env.mail_from.c_str()) != 0)
    return temperror("out of memory");

  SPF_response_t* raw = nullptr;
  const SPF_errcode_t err = SPF_request_query_mailfrom(req.get(), &raw);
  std::unique_ptr<SPF_response_t, ResponseDeleter> resp(raw);
  if (resp == nullptr) return temperror("out of memory");

  // libspf2's first error, preferring a specific one (a syntax error) to the generic "not SPF".
  std::string problem;
  bool specific_error = false;
  for (int i = 0; i < SPF_response_messages(resp.get()); ++i) {
    SPF_error_t* e = SPF_response_message(resp.get(), i);
    if (e == nullptr || !SPF_error_errorp(e)) continue;
    const SPF_errcode_t code = SPF_error_code(e);
    const bool specific = code != SPF_E_NOT_SPF && code != SPF_E_DNS_ERROR;
    if (problem.empty() || (specific && !specific_error)) problem = Str(SPF_error_message(e));
    specific_error = specific_error || specific;
  }

  bool known = false;
  c.result = FromLibspf2(SPF_response_result(resp.get()), &known);
  if (!known) {
    // libspf2 gives no result when fetching the record failed: a DNS failure, no SPF record, or
    // one that does not compile (reported as "not SPF" after the syntax error itself).
    if (err == SPF_E_NOT_SPF) {
      c.result = specific_error ? SpfResult::kPermerror : SpfResult::kNone;
    } else if (err == SPF_E_DNS_ERROR || err == SPF_E_NO_MEMORY || err == SPF_E_SUCCESS) {
      c.result = SpfResult::kTemperror;
    } else {
      c.result = SpfResult::kPermerror;
    }
  }

  // libspf2 writes its header comment ("receiver: reason") only when it evaluated a record.
  std::string comment = Str(SPF_response_get_header_comment(resp.get()));
  const std::string prefix = Str(SPF_request_get_rec_dom(req.get())) + ": ";
  if (comment.compare(0, prefix.size(), prefix) == 0) comment.erase(0, prefix.size());
  if (!known || comment.empty() || SPF_response_get_received_spf(resp.get()) == nullptr) {
    const SPF_errcode_t code = SPF_response_errcode(resp.get());
    std::string detail = code == SPF_E_SUCCESS ? problem : Str(SPF_strerror(code));
    if (specific_error) detail = problem;
    comment = DefaultComment(c.result, c.domain, env.ip, detail);
  }
  Finish(&c, env, comment, problem);
  return c;
}

// ---------------------------------------------------------------------------------------------

SpfChecker::SpfChecker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SpfChecker::~SpfChecker() = default;

Result<std::unique_ptr<SpfChecker>> SpfChecker::Create(const SpfOptions& options) {
  try {
    if (options.timeout_seconds < 1 || options.timeout_seconds > kMaxTimeoutSeconds)
      return Status::Error("spf: timeout_seconds must be from 1 to " +
                           std::to_string(kMaxTimeoutSeconds) + ", not " +
                           std::to_string(options.timeout_seconds));
    if (options.resolvers.size() > MAXNS)
      return Status::Error("spf: at most " + std::to_string(MAXNS) + " resolvers, not " +
                           std::to_string(options.resolvers.size()));
    auto impl = std::make_unique<Impl>();
    for (size_t i = 0; i < options.resolvers.size(); ++i) {
      Result<Nameserver> ns = ParseNameserver(options.resolvers[i]);
      if (!ns.ok())
        return Status::Error("spf: resolvers[" + std::to_string(i) + "] " + ns.error());
      impl->servers.push_back(ns.value());
    }
    impl->timeout_seconds = options.timeout_seconds;
    impl->receiving_host = options.receiving_host;
    if (impl->receiving_host.empty()) {
      char host[256] = {};
      if (gethostname(host, sizeof(host) - 1) == 0) impl->receiving_host = host;
    }
    // One engine now, so that a resolver or libspf2 that cannot be set up fails here.
    Result<std::unique_ptr<Engine>> engine = impl->NewEngine();
    if (!engine.ok()) return engine.status();
    impl->idle.push_back(std::move(engine).value());
    return std::unique_ptr<SpfChecker>(new SpfChecker(std::move(impl)));
  } catch (const std::bad_alloc&) {
    return Status::Error("spf: out of memory");
  }
}

SpfCheck SpfChecker::Check(std::string_view client_ip, std::string_view helo,
                           std::string_view mail_from) const noexcept {
  try {
    return impl_->Run(client_ip, helo, mail_from);
  } catch (...) {
    SpfCheck c;
    c.result = SpfResult::kTemperror;
    try {
      c.identity = "mailfrom";
      c.received_spf = "temperror (internal error during the SPF check)";
      c.explanation = "internal error during the SPF check";
    } catch (...) {
    }
    return c;
  }
}

}  // namespace gfi
