// SPF checks against a real DNS server: a private dnsmasq on 127.0.0.1 (and ::1 when the host has
// IPv6) at a free high port, serving the test zone spf.test from command-line records. Started once
// for the whole program, stopped when it exits.
#include "spf/spf.h"

#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <resolv.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace gfi {
namespace {

using Clock = std::chrono::steady_clock;

// A socket bound to a free loopback port, kept open until closed (or destroyed).
struct BoundSocket {
  int fd = -1;
  int port = 0;
  BoundSocket() = default;
  BoundSocket(const BoundSocket&) = delete;
  BoundSocket& operator=(const BoundSocket&) = delete;
  ~BoundSocket() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

bool Bind(BoundSocket* s, int family, int type, int port) {
  s->fd = socket(family, type, 0);
  if (s->fd < 0) return false;
  sockaddr_storage ss{};
  socklen_t len;
  if (family == AF_INET) {
    auto* sin = reinterpret_cast<sockaddr_in*>(&ss);
    sin->sin_family = AF_INET;
    sin->sin_port = htons(static_cast<uint16_t>(port));
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    len = sizeof(*sin);
  } else {
    auto* sin6 = reinterpret_cast<sockaddr_in6*>(&ss);
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(static_cast<uint16_t>(port));
    sin6->sin6_addr = in6addr_loopback;
    len = sizeof(*sin6);
  }
  if (bind(s->fd, reinterpret_cast<sockaddr*>(&ss), len) != 0) {
    s->Close();
    return false;
  }
  if (getsockname(s->fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    s->Close();
    return false;
  }
  s->port = ntohs(family == AF_INET ? reinterpret_cast<sockaddr_in*>(&ss)->sin_port
                                    : reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port);
  return true;
}

bool HaveIpv6Loopback() {
  BoundSocket s;
  return Bind(&s, AF_INET6, SOCK_DGRAM, 0);
}

// A port free for UDP and TCP on 127.0.0.1 (and ::1 when `v6`), for a moment.
int FreePort(bool v6) {
  for (int attempt = 0; attempt < 50; ++attempt) {
    BoundSocket udp, tcp, udp6, tcp6;
    if (!Bind(&udp, AF_INET, SOCK_DGRAM, 0)) continue;
    if (!Bind(&tcp, AF_INET, SOCK_STREAM, udp.port)) continue;
    if (v6 && (!Bind(&udp6, AF_INET6, SOCK_DGRAM, udp.port) ||
               !Bind(&tcp6, AF_INET6, SOCK_STREAM, udp.port)))
      continue;
    return udp.port;
  }
  return 0;
}

// Whether a DNS server at 127.0.0.1:port answers a TXT query for `name` within `wait_ms`.
bool Answers(int port, const char* name, int wait_ms) {
  unsigned char query[NS_PACKETSZ];
  int qlen = res_mkquery(ns_o_query, name, ns_c_in, ns_t_txt, nullptr, 0, nullptr, query,
                         sizeof(query));
  if (qlen <= 0) return false;
  BoundSocket s;
  if (!Bind(&s, AF_INET, SOCK_DGRAM, 0)) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_port = htons(static_cast<uint16_t>(port));
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (sendto(s.fd, query, static_cast<size_t>(qlen), 0, reinterpret_cast<sockaddr*>(&to),
             sizeof(to)) != qlen)
    return false;
  pollfd p{s.fd, POLLIN, 0};
  if (poll(&p, 1, wait_ms) != 1) return false;
  unsigned char answer[NS_PACKETSZ];
  ssize_t n = recv(s.fd, answer, sizeof(answer), 0);
  return n >= NS_HFIXEDSZ && answer[0] == query[0] && answer[1] == query[1] &&
         (answer[3] & 0x0f) == ns_r_noerror;
}

std::string FindDnsmasq() {
  for (const char* dir : {"/usr/sbin", "/sbin", "/usr/local/sbin"}) {
    std::string path = std::string(dir) + "/dnsmasq";
    if (access(path.c_str(), X_OK) == 0) return path;
  }
  const char* env_path = std::getenv("PATH");
  std::string paths = env_path == nullptr ? "" : env_path;
  size_t start = 0;
  while (start <= paths.size()) {
    size_t end = paths.find(':', start);
    if (end == std::string::npos) end = paths.size();
    std::string path = paths.substr(start, end - start) + "/dnsmasq";
    if (end > start && access(path.c_str(), X_OK) == 0) return path;
    start = end + 1;
  }
  return "";
}

// The test zone. On dnsmasq's command line (unlike in its configuration file) quotes are not
// special: they would end up in the TXT data, and a comma always starts another string. Unknown
// names under spf.test are NXDOMAIN (--local); so are unknown addresses in 203.0.113.0/24, whose
// PTR records come from the --host-record entries.
const std::vector<std::string> kZone = {
    "--local=/spf.test/",
    "--local=/113.0.203.in-addr.arpa/",
    "--txt-record=pass.spf.test,v=spf1 ip4:192.0.2.0/24 -all",
    "--txt-record=fail.spf.test,v=spf1 -all",
    "--txt-record=soft.spf.test,v=spf1 ~all",
    "--txt-record=neutral.spf.test,v=spf1 ?all",
    "--txt-record=nospf.spf.test,site-verification=0123456789",
    "--txt-record=include.spf.test,v=spf1 include:pass.spf.test -all",
    "--txt-record=includenone.spf.test,v=spf1 include:nospf.spf.test -all",
    "--txt-record=redirect.spf.test,v=spf1 redirect=soft.spf.test",
    "--host-record=mx.spf.test,203.0.113.10",
    "--txt-record=a.spf.test,v=spf1 a:mx.spf.test -all",
    "--mx-host=mxd.spf.test,mx.spf.test,10",
    "--txt-record=mxd.spf.test,v=spf1 mx -all",
    "--host-record=host.ptr.spf.test,203.0.113.20",
    "--txt-record=ptr.spf.test,v=spf1 ptr -all",
    // One TXT record of two strings, which SPF joins without a separator (RFC 7208 3.3).
    "--txt-record=split.spf.test,v=spf1 ip4:192.0.2.0/24 -a,ll",
    "--txt-record=syntax.spf.test,v=spf1 ip4:999.1.1.1 -all",
    "--txt-record=two.spf.test,v=spf1 -all",
    "--txt-record=two.spf.test,v=spf1 +all",
    "--txt-record=v6.spf.test,v=spf1 ip6:2001:db8::/32 -all",
    "--host-record=mx6.spf.test,2001:db8:6::10",
    "--txt-record=a6.spf.test,v=spf1 a:mx6.spf.test -all",
    "--txt-record=helo.spf.test,v=spf1 ip4:198.51.100.7 -all",
};

class Dnsmasq {
 public:
  Dnsmasq() = default;
  Dnsmasq(const Dnsmasq&) = delete;
  Dnsmasq& operator=(const Dnsmasq&) = delete;
  ~Dnsmasq() { Stop(); }

  bool Start(bool v6) {
    const std::string binary = FindDnsmasq();
    if (binary.empty()) {
      error_ = "dnsmasq not found (install dnsmasq-base)";
      return false;
    }
    port_ = FreePort(v6);
    if (port_ == 0) {
      error_ = "no free port";
      return false;
    }
    char log_template[] = "/tmp/gfi-spf-test-dnsmasq-XXXXXX";
    int log_fd = mkstemp(log_template);
    if (log_fd < 0) {
      error_ = "mkstemp failed";
      return false;
    }
    log_path_ = log_template;
    const passwd* pw = getpwuid(geteuid());
    std::vector<std::string> args = {
        binary,
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        "--no-poll",
        "--pid-file=",
        "--log-facility=-",
        "--bind-interfaces",
        "--listen-address=" + std::string(v6 ? "127.0.0.1,::1" : "127.0.0.1"),
        "--port=" + std::to_string(port_),
        "--user=" + std::string(pw != nullptr ? pw->pw_name : "nobody"),
    };
    args.insert(args.end(), kZone.begin(), kZone.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_ = fork();
    if (pid_ < 0) {
      close(log_fd);
      error_ = "fork failed";
      return false;
    }
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // do not outlive a crashed test
      dup2(log_fd, STDOUT_FILENO);
      dup2(log_fd, STDERR_FILENO);
      execv(argv[0], argv.data());
      _exit(127);
    }
    close(log_fd);
    // Ready once it answers; give up after 5 s or when it exits.
    const auto deadline = Clock::now() + std::chrono::seconds(5);
    while (Clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        error_ = "dnsmasq exited: " + Log();
        return false;
      }
      if (Answers(port_, "pass.spf.test", 200)) return true;
    }
    error_ = "dnsmasq did not answer within 5 s: " + Log();
    return false;
  }

  void Stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
      pid_ = -1;
    }
    if (!log_path_.empty()) unlink(log_path_.c_str());
    log_path_.clear();
  }

  int port() const { return port_; }
  const std::string& error() const { return error_; }

 private:
  std::string Log() const {
    std::ifstream in(log_path_);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }

  pid_t pid_ = -1;
  int port_ = 0;
  std::string log_path_;
  std::string error_;
};

struct Fixture {
  bool v6 = HaveIpv6Loopback();
  Dnsmasq dns;
  bool running = dns.Start(v6);
  std::unique_ptr<SpfChecker> checker;
};

// The server and a checker using it, created on first use.
Fixture& Env() {
  static Fixture f;
  if (f.running && f.checker == nullptr) {
    SpfOptions o;
    o.resolvers = {"127.0.0.1:" + std::to_string(f.dns.port())};
    o.timeout_seconds = 2;
    o.receiving_host = "mx.test.example";
    Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
    if (c.ok()) f.checker = std::move(c).value();
  }
  return f;
}

const SpfChecker& Checker() {
  Fixture& f = Env();
  INFO(f.dns.error());
  REQUIRE(f.running);
  REQUIRE(f.checker != nullptr);
  return *f.checker;
}

SpfResult ResultOf(std::string_view ip, std::string_view mail_from,
                   std::string_view helo = "mail.client.example") {
  return Checker().Check(ip, helo, mail_from).result;
}

}  // namespace

TEST_CASE("SPF result names round-trip") {
  for (SpfResult r : {SpfResult::kNone, SpfResult::kNeutral, SpfResult::kPass, SpfResult::kFail,
                      SpfResult::kSoftfail, SpfResult::kTemperror, SpfResult::kPermerror}) {
    std::optional<SpfResult> parsed = ParseSpfResult(ToString(r));
    REQUIRE(parsed.has_value());
    CHECK(*parsed == r);
  }
  CHECK(ToString(SpfResult::kSoftfail) == "softfail");
  CHECK(ToString(SpfResult::kTemperror) == "temperror");
  CHECK(ParseSpfResult("PermError") == SpfResult::kPermerror);
  CHECK_FALSE(ParseSpfResult("unknown").has_value());
  CHECK_FALSE(ParseSpfResult("").has_value());
}

TEST_CASE("SpfChecker::Create validates its options") {
  for (const char* bad : {"", "dns.example", "1.2.3", "1.2.3.4:", "1.2.3.4:0", "1.2.3.4:65536",
                          "1.2.3.4:53x", "1.2.3.4:-1", "[::1", "[::1]53", "[::1]:", "[1.2.3.4]",
                          "::g", "fe80::1%eth0", " 1.2.3.4"}) {
    SpfOptions o;
    o.resolvers = {bad};
    Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
    INFO("resolver \"" << bad << "\"");
    CHECK_FALSE(c.ok());
    if (!c.ok()) CHECK(c.error().find("resolvers[0]") != std::string::npos);
  }
  SpfOptions too_many;
  too_many.resolvers = {"127.0.0.1", "127.0.0.2", "127.0.0.3", "127.0.0.4"};
  CHECK_FALSE(SpfChecker::Create(too_many).ok());
  SpfOptions no_timeout;
  no_timeout.timeout_seconds = 0;
  CHECK_FALSE(SpfChecker::Create(no_timeout).ok());

  for (const char* good : {"127.0.0.1", "127.0.0.1:5353", "[::1]:53", "[::1]", "::1",
                           "2001:db8::53"}) {
    SpfOptions o;
    o.resolvers = {good};
    Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
    INFO("resolver \"" << good << "\": " << (c.ok() ? "" : c.error()));
    CHECK(c.ok());
  }
  // No resolvers: the system configuration. Loopback clients get none without any DNS query
  // (libspf2 alone would pass them for any domain).
  Result<std::unique_ptr<SpfChecker>> system = SpfChecker::Create(SpfOptions{});
  REQUIRE(system.ok());
  for (const char* lo : {"127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"}) {
    SpfCheck c = system.value()->Check(lo, "localhost", "a@example.com");
    INFO(lo << ": " << c.received_spf);
    CHECK(c.result == SpfResult::kNone);
    CHECK(c.received_spf.find("loopback address") != std::string::npos);
  }
}

TEST_CASE("SPF pass, fail, softfail and neutral from ip4 and all") {
  CHECK(ResultOf("192.0.2.5", "user@pass.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("198.51.100.1", "user@pass.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("192.0.2.5", "user@fail.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("192.0.2.5", "user@soft.spf.test") == SpfResult::kSoftfail);
  CHECK(ResultOf("192.0.2.5", "user@neutral.spf.test") == SpfResult::kNeutral);
}

TEST_CASE("SPF none without a record") {
  CHECK(ResultOf("192.0.2.5", "user@nospf.spf.test") == SpfResult::kNone);   // TXT, not SPF
  CHECK(ResultOf("192.0.2.5", "user@mx.spf.test") == SpfResult::kNone);      // no TXT at all
  CHECK(ResultOf("192.0.2.5", "user@missing.spf.test") == SpfResult::kNone);  // NXDOMAIN
  CHECK(ResultOf("192.0.2.5", "user@localhost") == SpfResult::kNone);  // not multi-label
  SpfCheck c = Checker().Check("192.0.2.5", "x", "user@missing.spf.test");
  CHECK(c.explanation.find("does not provide an SPF record") != std::string::npos);
}

TEST_CASE("SPF mechanisms that query DNS: include, redirect, a, mx, ptr") {
  CHECK(ResultOf("192.0.2.5", "u@include.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("198.51.100.1", "u@include.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("192.0.2.5", "u@redirect.spf.test") == SpfResult::kSoftfail);
  CHECK(ResultOf("203.0.113.10", "u@a.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("203.0.113.11", "u@a.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("203.0.113.10", "u@mxd.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("203.0.113.99", "u@mxd.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("203.0.113.20", "u@ptr.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("203.0.113.10", "u@ptr.spf.test") == SpfResult::kFail);  // PTR: mx.spf.test
  // The two strings of one TXT record form one SPF record.
  CHECK(ResultOf("192.0.2.5", "u@split.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("198.51.100.1", "u@split.spf.test") == SpfResult::kFail);
}

TEST_CASE("SPF permerror") {
  SpfCheck syntax = Checker().Check("192.0.2.5", "x.example", "u@syntax.spf.test");
  CHECK(syntax.result == SpfResult::kPermerror);
  CHECK_FALSE(syntax.explanation.empty());
  CHECK(syntax.received_spf.rfind("permerror (", 0) == 0);
  CHECK(ResultOf("192.0.2.5", "u@two.spf.test") == SpfResult::kPermerror);
  CHECK(ResultOf("192.0.2.5", "u@includenone.spf.test") == SpfResult::kPermerror);
}

TEST_CASE("SPF over IPv6: ip6 and a with AAAA records") {
  CHECK(ResultOf("2001:db8::1", "u@v6.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("2001:db9::1", "u@v6.spf.test") == SpfResult::kFail);
  CHECK(ResultOf("[IPv6:2001:DB8::1]", "u@v6.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("2001:db8:6::10", "u@a6.spf.test") == SpfResult::kPass);
  CHECK(ResultOf("2001:db8:6::11", "u@a6.spf.test") == SpfResult::kFail);
  // An IPv4-mapped address is checked as IPv4.
  CHECK(ResultOf("::ffff:192.0.2.5", "u@pass.spf.test") == SpfResult::kPass);
}

TEST_CASE("SPF null sender checks the HELO identity") {
  for (const char* null_sender : {"", "<>", " <> "}) {
    INFO("MAIL FROM \"" << null_sender << "\"");
    SpfCheck c = Checker().Check("198.51.100.7", "helo.spf.test", null_sender);
    CHECK(c.result == SpfResult::kPass);
    CHECK(c.identity == "helo");
    CHECK(c.domain == "helo.spf.test");
    CHECK(c.received_spf.find("identity=helo;") != std::string::npos);
  }
  CHECK(Checker().Check("198.51.100.8", "helo.spf.test", "<>").result == SpfResult::kFail);
  SpfCheck no_helo = Checker().Check("198.51.100.7", "", "<>");
  CHECK(no_helo.result == SpfResult::kNone);
  CHECK(no_helo.identity == "helo");
  CHECK(Checker().Check("198.51.100.7", "[198.51.100.7]", "<>").result == SpfResult::kNone);
  // A sender overrides the HELO name.
  SpfCheck sender = Checker().Check("198.51.100.7", "helo.spf.test", "<u@fail.spf.test>");
  CHECK(sender.result == SpfResult::kFail);
  CHECK(sender.identity == "mailfrom");
  CHECK(sender.domain == "fail.spf.test");
}

TEST_CASE("SPF Received-SPF value and explanation") {
  SpfCheck c = Checker().Check("192.0.2.5", "mail.client.example", "<User@Pass.SPF.test>");
  REQUIRE(c.result == SpfResult::kPass);
  CHECK(c.domain == "pass.spf.test");
  CHECK(c.identity == "mailfrom");
  INFO(c.received_spf);
  CHECK(c.received_spf.rfind("pass (mx.test.example: ", 0) == 0);
  CHECK(c.received_spf.find(" client-ip=192.0.2.5;") != std::string::npos);
  CHECK(c.received_spf.find(" envelope-from=\"User@Pass.SPF.test\";") != std::string::npos);
  CHECK(c.received_spf.find(" helo=mail.client.example;") != std::string::npos);
  CHECK(c.received_spf.find(" receiver=mx.test.example;") != std::string::npos);
  CHECK(c.received_spf.find(" identity=mailfrom;") != std::string::npos);
  CHECK(c.received_spf.find('\n') == std::string::npos);
  CHECK(c.explanation.find("designates 192.0.2.5 as permitted sender") != std::string::npos);

  SpfCheck f = Checker().Check("198.51.100.1", "h.example", "u@fail.spf.test");
  CHECK(f.received_spf.rfind("fail (", 0) == 0);
  CHECK(f.received_spf.find("client-ip=198.51.100.1;") != std::string::npos);

  // Values that are not dot-atoms are quoted; control characters never get through.
  SpfCheck q = Checker().Check("2001:db8::1", "bad\r\nhelo", "u@v6.spf.test");
  CHECK(q.received_spf.find(" client-ip=\"2001:db8::1\";") != std::string::npos);
  CHECK(q.received_spf.find_first_of("\r\n") == std::string::npos);
  CHECK(q.received_spf.find(" helo=\"bad??helo\";") != std::string::npos);
  SpfCheck h = Checker().Check("192.0.2.5", "bad\r\nhelo.example", "<>");
  CHECK(h.result == SpfResult::kNone);
  CHECK_FALSE(h.explanation.empty());
  CHECK(h.explanation.find_first_of("\r\n") == std::string::npos);
  CHECK(h.received_spf.find_first_of("\r\n") == std::string::npos);

  SpfCheck bad_ip = Checker().Check("not-an-ip", "h.example", "u@pass.spf.test");
  CHECK(bad_ip.result == SpfResult::kNone);
  CHECK(bad_ip.received_spf.find("client-ip=") == std::string::npos);
}

TEST_CASE("SPF temperror when the DNS server does not answer") {
  SECTION("nothing listens on the port") {
    int port = FreePort(false);
    REQUIRE(port != 0);
    SpfOptions o;
    o.resolvers = {"127.0.0.1:" + std::to_string(port)};
    o.timeout_seconds = 1;
    Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
    REQUIRE(c.ok());
    const auto start = Clock::now();
    SpfCheck r = c.value()->Check("192.0.2.5", "h.example", "u@pass.spf.test");
    CHECK(r.result == SpfResult::kTemperror);
    CHECK(r.received_spf.rfind("temperror (", 0) == 0);
    CHECK(Clock::now() - start < std::chrono::seconds(3));
  }
  SECTION("the server swallows queries: bounded by twice the timeout") {
    BoundSocket black_hole;  // bound, never read
    REQUIRE(Bind(&black_hole, AF_INET, SOCK_DGRAM, 0));
    SpfOptions o;
    o.resolvers = {"127.0.0.1:" + std::to_string(black_hole.port)};
    o.timeout_seconds = 1;
    Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
    REQUIRE(c.ok());
    const auto start = Clock::now();
    SpfCheck r = c.value()->Check("192.0.2.5", "h.example", "u@pass.spf.test");
    const auto elapsed = Clock::now() - start;
    CHECK(r.result == SpfResult::kTemperror);
    CHECK(elapsed >= std::chrono::milliseconds(900));
    CHECK(elapsed < std::chrono::milliseconds(3500));
  }
}

TEST_CASE("SPF through an IPv6 resolver address") {
  Fixture& f = Env();
  REQUIRE(f.running);
  if (!f.v6) {
    WARN("no IPv6 loopback here; the [::1] resolver is not tested");
    return;
  }
  SpfOptions o;
  o.resolvers = {"[::1]:" + std::to_string(f.dns.port())};
  o.timeout_seconds = 2;
  Result<std::unique_ptr<SpfChecker>> c = SpfChecker::Create(o);
  REQUIRE(c.ok());
  CHECK(c.value()->Check("192.0.2.5", "h.example", "u@pass.spf.test").result == SpfResult::kPass);
  CHECK(c.value()->Check("203.0.113.10", "h.example", "u@mxd.spf.test").result ==
        SpfResult::kPass);
}

TEST_CASE("SPF checks from four threads at once agree") {
  struct Case {
    const char* ip;
    const char* mail_from;
    SpfResult want;
  };
  const std::vector<Case> cases = {
      {"192.0.2.5", "u@pass.spf.test", SpfResult::kPass},
      {"198.51.100.1", "u@pass.spf.test", SpfResult::kFail},
      {"192.0.2.5", "u@soft.spf.test", SpfResult::kSoftfail},
      {"192.0.2.5", "u@nospf.spf.test", SpfResult::kNone},
      {"192.0.2.5", "u@include.spf.test", SpfResult::kPass},
      {"203.0.113.10", "u@mxd.spf.test", SpfResult::kPass},
      {"2001:db8::1", "u@v6.spf.test", SpfResult::kPass},
      {"192.0.2.5", "u@syntax.spf.test", SpfResult::kPermerror},
  };
  const SpfChecker& checker = Checker();
  constexpr int kThreads = 4;
  constexpr int kRounds = 10;
  std::atomic<int> done{0};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&checker, &cases, &done, &wrong, t] {
      for (int round = 0; round < kRounds; ++round) {
        for (size_t i = 0; i < cases.size(); ++i) {
          const Case& k = cases[(i + static_cast<size_t>(t)) % cases.size()];
          if (checker.Check(k.ip, "h.example", k.mail_from).result != k.want) ++wrong;
          ++done;
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  CHECK(done == kThreads * kRounds * static_cast<int>(cases.size()));
  CHECK(wrong == 0);
}

}  // namespace gfi
