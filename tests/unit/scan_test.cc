// ScanMessage (engine/scan.h) without libmilter: tenants, allow lists, SPF, defects, forged headers
// and the verdict log line, on states built by BuildEngineState from a config and feeds on disk.
//
// SPF: the test DNS server lives inside spf_test.cc (not shared), so SPF is exercised with a
// loopback client, for which SPF gives none without any DNS query; the DNS cases are spf_test's.
#include "engine/scan.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "config/config.h"
#include "engine/engine.h"
#include "engine/forged.h"
#include "indicators/blind_feed.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;

const char* kCsv =
    "type,value,action,id\n"
    "domain,evil.example,reject,csv-evil\n"
    "ip,198.51.100.0/24,,csv-net\n"
    "subject-regex,(?i)wire transfer,tag,csv-wire\n";

// A sensitive (TLP:RED) sender address.
const char* kStix = R"({"type": "bundle", "id": "bundle--5d0092c5-5f74-4287-9642-33f4c354e5aa",
 "objects": [{"type": "indicator", "spec_version": "2.1",
  "id": "indicator--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd01",
  "created": "2026-01-01T00:00:00.000Z", "modified": "2026-01-01T00:00:00.000Z",
  "pattern": "[email-addr:value = 'spy@red.example']", "pattern_type": "stix",
  "valid_from": "2026-01-01T00:00:00Z",
  "object_marking_refs": ["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}]})";

class TempDir {
 public:
  TempDir() {
    char t[] = "/tmp/gfi-scan-test-XXXXXX";
    REQUIRE(::mkdtemp(t) != nullptr);
    path_ = t;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = path_ + "/" + name;
    std::ofstream(p, std::ios::binary) << text;
    return p;
  }

 private:
  std::string path_;
};

// A state from `extra` TOML (indicators: the two feeds above).
std::shared_ptr<EngineState> State(const TempDir& dir, const std::string& extra,
                                   bool force_spf = false) {
  std::string feeds = dir.path() + "/feeds";
  ::mkdir(feeds.c_str(), 0755);
  dir.Write("feeds/t.csv", kCsv);
  dir.Write("feeds/red.json", kStix);
  std::string toml = "[indicators]\npaths = [\"" + feeds + "\"]\n" + extra;
  Result<Config> c = ParseConfig(toml, "t.toml");
  INFO((c.ok() ? std::string() : c.error()));
  REQUIRE(c.ok());
  StateOptions o;
  o.spf = force_spf ? StateOptions::Spf::kOn : StateOptions::Spf::kOff;
  auto st = BuildEngineState(std::move(c).value(), o);
  INFO((st.ok() ? std::string() : st.error()));
  REQUIRE(st.ok());
  REQUIRE(st.value()->invalid_feeds.empty());
  return st.value();
}

ScanOptions Opts() {
  ScanOptions o;
  o.now = kNow;
  o.ref = "GFI-TEST";
  o.mta_host = "mx.example";
  return o;
}

Envelope Env(std::string from, std::vector<std::string> rcpts, std::string ip = "") {
  Envelope e;
  e.mail_from = std::move(from);
  e.rcpt_to = std::move(rcpts);
  e.client_ip = std::move(ip);
  e.helo = "client.example";
  return e;
}

const char* kTenants = R"(
[policy]
default_action = "quarantine"
mixed_tenants = "strictest"
[[tenant]]
name = "acme"
domains = ["acme.example"]
type_actions = { "subject-regex" = "reject" }
[[tenant]]
name = "beta"
domains = ["beta.example"]
monitor = true
allow_senders = ["friend.example"]
[allow]
client_networks = ["192.0.2.0/24"]
senders = ["@partner.example"]
recipients = ["abuse@provider.example"]
)";

std::vector<std::string> Ids(const Verdict& v) {
  std::vector<std::string> out;
  for (const MatchReport& m : v.matches) out.push_back(m.indicator);
  return out;
}

}  // namespace

TEST_CASE("ScanMessage: a clean message is accepted with no header edits but ours removed") {
  TempDir d;
  auto st = State(d, "");
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}),
                       "Subject: hi\r\nX-GFI-Verdict: accept\r\n\r\nhello\r\n", Opts());
  REQUIRE(r.ok());
  CHECK(r.value().allowed_by.empty());
  CHECK(r.value().verdict.action == Action::kAccept);
  CHECK(r.value().matches.empty());
  CHECK(r.value().add_headers.empty());  // no SPF, no verdict headers for accept
  CHECK(r.value().remove_headers == std::vector<HeaderRef>{{"X-GFI-Verdict", 1}});
  CHECK(r.value().authserv_id == "mx.example");
}

TEST_CASE("ScanMessage: matches, the verdict headers and the default tenant") {
  TempDir d;
  auto st = State(d, "");
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}),
                       "Subject: Wire transfer now\r\n\r\nhello\r\n", Opts());
  REQUIRE(r.ok());
  const Verdict& v = r.value().verdict;
  CHECK(v.action == Action::kTag);
  CHECK(v.tenant == "default");
  CHECK(Ids(v) == std::vector<std::string>{"csv-wire"});
  const auto& add = r.value().add_headers;
  REQUIRE(add.size() == 2);
  CHECK(add[0].first == "X-GFI-Verdict");
  CHECK(add[0].second == "tag; ref=GFI-TEST; tenant=default; matches=1");
  CHECK(add[1].first == "X-GFI-Match");
  CHECK(add[1].second.find("indicator=csv-wire") != std::string::npos);
}

TEST_CASE("ScanMessage: per-tenant verdicts and the strictest enforced") {
  TempDir d;
  auto st = State(d, kTenants);
  const std::string msg = "Subject: wire transfer\r\n\r\nhi\r\n";
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@beta.example", "v@acme.example"}), msg, Opts());
  REQUIRE(r.ok());
  REQUIRE(r.value().tenant_verdicts.size() == 2);
  CHECK(r.value().tenant_verdicts[0].tenant == "beta");
  CHECK(r.value().tenant_verdicts[0].action == Action::kTag);  // monitor: at most tag
  CHECK(r.value().tenant_verdicts[0].would_action == Action::kTag);
  CHECK(r.value().tenant_verdicts[1].tenant == "acme");
  CHECK(r.value().tenant_verdicts[1].action == Action::kReject);
  CHECK(r.value().verdict.tenant == "acme");
  CHECK(r.value().verdict.action == Action::kReject);
  CHECK(RecipientTenants(st->policy, {"a@beta.example", "b@beta.example", "c@none.example"}) ==
        std::vector<int>{1, -1});
  CHECK(RecipientTenants(st->policy, {}) == std::vector<int>{-1});
  CHECK(RecipientPolicyOf(st->policy, "abuse@provider.example") == RecipientPolicy{-1, true});
  CHECK(RecipientPolicyOf(st->policy, "x@acme.example") == RecipientPolicy{0, false});
}

TEST_CASE("ScanMessage: allow lists let a message through unscanned and say which") {
  TempDir d;
  auto st = State(d, kTenants);
  const std::string msg = "Subject: wire transfer\r\n\r\nhttp://evil.example/\r\n";
  auto scan = [&](const Envelope& e) {
    auto r = ScanMessage(*st, e, msg, Opts());
    REQUIRE(r.ok());
    return r.value();
  };
  ScanResult r = scan(Env("a@ok.example", {"u@acme.example"}, "192.0.2.9"));
  CHECK(r.allowed_by == "client_networks");
  CHECK(r.verdict.action == Action::kAccept);
  CHECK(r.matches.empty());
  CHECK(r.add_headers.empty());
  CHECK(scan(Env("x@eu.partner.example", {"u@acme.example"})).allowed_by == "senders");
  CHECK(scan(Env("a@ok.example", {"abuse@provider.example"})).allowed_by == "recipients");
  // A tenant's allowed sender: only when every recipient's tenant allows it.
  CHECK(scan(Env("n@friend.example", {"u@beta.example"})).allowed_by == "senders");
  ScanResult mixed = scan(Env("n@friend.example", {"u@beta.example", "v@acme.example"}));
  CHECK(mixed.allowed_by.empty());
  CHECK(mixed.verdict.action == Action::kReject);
  // Not every recipient allowed: scanned.
  CHECK(scan(Env("a@ok.example", {"abuse@provider.example", "v@acme.example"})).allowed_by.empty());
  CHECK(VerdictLogLine(r, Env("a@ok.example", {"u@acme.example"}, "192.0.2.9"),
                       {"Q1", "GFI-TEST", 10, 0, ""}) ==
        "Q1: ref=GFI-TEST from=<a@ok.example> rcpts=1 allowed by [allow] client_networks, not "
        "scanned");
}

TEST_CASE("ScanMessage: SPF on and off, and its headers under the authserv-id") {
  TempDir d;
  auto st = State(d, "[milter]\nauthserv_id = \"filter.example\"\n", /*force_spf=*/true);
  REQUIRE(st->spf != nullptr);
  const std::string msg = "Subject: hi\r\n\r\nhello\r\n";
  ScanOptions o = Opts();
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}, "127.0.0.1"), msg, o);
  REQUIRE(r.ok());
  REQUIRE(r.value().spf.has_value());
  CHECK(r.value().spf->result == SpfResult::kNone);  // loopback: does not apply, no DNS query
  REQUIRE(r.value().add_headers.size() >= 1);
  CHECK(r.value().add_headers[0].first == "Authentication-Results");
  CHECK(r.value().add_headers[0].second == "filter.example; spf=none smtp.mailfrom=a@ok.example");
  o.spf = false;
  r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}, "127.0.0.1"), msg, o);
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().spf.has_value());
  CHECK(r.value().add_headers.empty());
  // No client (local submission): never checked.
  o.spf = true;
  r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), msg, o);
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().spf.has_value());
}

TEST_CASE("ScanMessage: defects are reported with the verdict") {
  TempDir d;
  auto st = State(d, "");
  const std::string msg =
      "Subject: hi\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nno closing boundary, see http://evil.example/x\r\n";
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), msg, Opts());
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().analysis.defects.empty());
  CHECK(r.value().verdict.action == Action::kReject);
  std::string line =
      VerdictLogLine(r.value(), Env("a@ok.example", {"u@x.example"}), {"Q2", "R", 1, 0, ""});
  CHECK(line.find(" defects=" + std::to_string(r.value().analysis.defects.size())) !=
        std::string::npos);
}

TEST_CASE("ScanMessage: forged headers by name and index among headers of that name") {
  TempDir d;
  auto st = State(d, "");
  const std::string msg =
      "Authentication-Results: other.example; spf=pass\r\n"
      "X-GFI-Match: indicator=x\r\n"
      "Authentication-Results: MX.example; spf=pass smtp.mailfrom=a@b\r\n"
      "x-gfi-match: indicator=y\r\n"
      "Authentication-Results:\r\n mx.example; dkim=pass\r\n"
      "Authentication-Results: mx.example.evil; spf=pass\r\n"
      "Subject: hi\r\n\r\nX-GFI-Verdict: in the body, kept\r\n";
  auto r = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), msg, Opts());
  REQUIRE(r.ok());
  CHECK(r.value().remove_headers == std::vector<HeaderRef>{{"X-GFI-Match", 1},
                                                           {"Authentication-Results", 2},
                                                           {"x-gfi-match", 2},
                                                           {"Authentication-Results", 3}});
}

TEST_CASE("ScanMessage: log fields holding a sensitive match's observed value are withheld") {
  TempDir d;
  auto st = State(d, "");
  const Envelope env = Env("spy@red.example", {"u@x.example"}, "198.51.100.7");
  auto r = ScanMessage(*st, env, "Subject: hi\r\n\r\nhello\r\n", Opts());
  REQUIRE(r.ok());
  std::vector<std::string> ids = Ids(r.value().verdict);
  REQUIRE(std::find(ids.begin(), ids.end(), "indicator--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd01") !=
          ids.end());
  std::string line = VerdictLogLine(r.value(), env, {"Q3", "GFI-TEST", 20, 1.5, ""});
  INFO(line);
  CHECK(line.find("spy@red.example") == std::string::npos);
  CHECK(line.find("red.example") == std::string::npos);
  CHECK(line.find(" from=<withheld> ") != std::string::npos);
  // The client address matched a non-sensitive indicator: it stays, as does its value.
  CHECK(line.find(" client=198.51.100.7 ") != std::string::npos);
  CHECK(line.find("value=198.51.100.0/24") != std::string::npos);
  CHECK(line.rfind("Q3: ref=GFI-TEST action=quarantine tenant=default ", 0) == 0);

  // Not sensitive: the sender is logged.
  const Envelope plain = Env("a@ok.example", {"u@x.example"}, "198.51.100.7");
  auto p = ScanMessage(*st, plain, "Subject: hi\r\n\r\nhello\r\n", Opts());
  REQUIRE(p.ok());
  CHECK(VerdictLogLine(p.value(), plain, {"Q4", "R", 1, 0, ""}).find(" from=<a@ok.example> ") !=
        std::string::npos);
}

TEST_CASE("ScanMessage: blinded matches are sensitive: the log, headers and verdict withhold "
          "what was seen; a key others can read stops the state") {
  TempDir d;
  const std::string key_path = d.path() + "/ecs.key";
  const auto bytes = GenerateBlindKey();
  REQUIRE(WriteBlindKeyFile(key_path, bytes).ok());
  Feed plain = ParseFeed("email,mole@blind.example,,b-mail\nip,203.0.113.0/24,,b-net\n", "csv",
                         "plain.csv");
  REQUIRE(plain.ok());
  const std::string feeds = d.path() + "/bfeeds";
  ::mkdir(feeds.c_str(), 0755);
  d.Write("bfeeds/ecs.blind", BlindFeeds({plain}, *BlindKey::FromBytes(bytes)).text);
  const std::string toml = "[indicators]\npaths = [\"" + feeds + "\"]\nblind_keys = [\"" +
                           key_path + "\"]\n";
  auto state = [&]() {
    StateOptions o;
    o.spf = StateOptions::Spf::kOff;
    return BuildEngineState(ParseConfig(toml, "t.toml").value(), o);
  };
  auto st = state();
  REQUIRE(st.ok());
  REQUIRE(st.value()->invalid_feeds.empty());
  const Envelope env = Env("mole@blind.example", {"u@x.example"}, "203.0.113.5");
  auto r = ScanMessage(*st.value(), env, "Subject: hi\r\n\r\nhello\r\n", Opts());
  REQUIRE(r.ok());
  std::vector<std::string> ids = Ids(r.value().verdict);
  std::sort(ids.begin(), ids.end());
  CHECK(ids == std::vector<std::string>{"b-mail", "b-net"});
  for (const MatchReport& m : r.value().verdict.matches) {
    CHECK(m.redacted);
    CHECK(m.observed.empty());
  }
  std::string line = VerdictLogLine(r.value(), env, {"Q5", "GFI-TEST", 20, 1.5, ""});
  INFO(line);
  CHECK(line.find("mole") == std::string::npos);
  CHECK(line.find("blind.example") == std::string::npos);
  CHECK(line.find("203.0.113") == std::string::npos);
  CHECK(line.find(" from=<withheld> ") != std::string::npos);
  for (const auto& [name, value] : r.value().add_headers) {
    INFO(name << ": " << value);
    CHECK(value.find("mole") == std::string::npos);
    CHECK(value.find("203.0.113") == std::string::npos);
  }
  ::chmod(key_path.c_str(), 0644);
  auto refused = state();
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find(key_path + ": blinding key has mode 0644") != std::string::npos);
}

TEST_CASE("authserv-id: configured, else the MTA's name, else the host name") {
  MilterConfig mc;
  CHECK(AuthservId(mc, "mx.example") == "mx.example");
  CHECK(AuthservId(mc, "") == LocalHostName());
  mc.authserv_id = "filter.example";
  CHECK(AuthservId(mc, "mx.example") == "filter.example");
}

TEST_CASE("release: authserv_id unset, Postfix myhostname != host name, a forged A-R goes") {
  MilterConfig mc;  // authserv_id unset
  const std::string myhostname = "mx-" + LocalHostName() + ".example";
  // What the daemon wrote when Postfix's {j} was myhostname, forged into a message beforehand.
  const std::string msg = "Authentication-Results: " + myhostname +
                          "; spf=pass smtp.mailfrom=ceo@bank.example\r\n"
                          "Authentication-Results: " +
                          LocalHostName() +
                          "; dkim=pass\r\n"
                          "Authentication-Results: upstream.example; spf=fail\r\n"
                          "X-GFI-Verdict: accept\r\n"
                          "Subject: hi\r\n\r\nAuthentication-Results: " +
                          myhostname + "; body text\r\n";
  std::vector<std::string> ids = PossibleAuthservIds(mc, myhostname);
  CHECK(ids == std::vector<std::string>{myhostname, LocalHostName()});
  std::string out = StripForgedHeaders(msg, ids);
  CHECK(out ==
        "Authentication-Results: upstream.example; spf=fail\r\n"
        "Subject: hi\r\n\r\nAuthentication-Results: " +
            myhostname + "; body text\r\n");
  // The old rule (the configured id or the host name only) kept the first one.
  CHECK(StripForgedHeaders(msg, PossibleAuthservIds(mc, "")).find(myhostname + "; spf=pass") !=
        std::string::npos);
  mc.authserv_id = "filter.example";
  CHECK(PossibleAuthservIds(mc, myhostname) ==
        std::vector<std::string>{"filter.example", myhostname, LocalHostName()});
}

TEST_CASE("forged headers: folded lines go with their header, LF line ends work") {
  const std::string msg = "X-GFI-Match: a\n continued\nSubject: s\n\tfolded\nX-Other: 1\n\nbody\n";
  CHECK(StripForgedHeaders(msg, {}) == "Subject: s\n\tfolded\nX-Other: 1\n\nbody\n");
  CHECK(FindForgedHeaders(msg, {}) == std::vector<HeaderRef>{{"X-GFI-Match", 1}});
  CHECK(StripForgedHeaders("X-GFI-Verdict: x", {}).empty());
  CHECK(IsForgedHeader("Authentication-Results", "  mx.example;spf=pass", {"mx.example"}));
  CHECK_FALSE(IsForgedHeader("Authentication-Results", "mx.example.org; x", {"mx.example"}));
  CHECK_FALSE(IsForgedHeader("Received", "mx.example; x", {"mx.example"}));
}

}  // namespace gfi

namespace gfi {

TEST_CASE("BuildEngineState: the SPF checker as configured, forced on, or off") {
  TempDir d;
  ::mkdir((d.path() + "/feeds").c_str(), 0755);
  d.Write("feeds/t.csv", kCsv);
  auto build = [&](const std::string& spf_section, StateOptions::Spf spf) {
    Result<Config> c =
        ParseConfig("[indicators]\npaths = [\"" + d.path() + "/feeds\"]\n" + spf_section, "t.toml");
    REQUIRE(c.ok());
    StateOptions o;
    o.spf = spf;
    auto st = BuildEngineState(std::move(c).value(), o);
    REQUIRE(st.ok());
    CHECK(st.value()->quarantine == nullptr);  // no store unless asked
    return st.value()->spf != nullptr;
  };
  CHECK(build("", StateOptions::Spf::kAsConfigured));  // [spf] enabled by default
  CHECK_FALSE(build("[spf]\nenabled = false\n", StateOptions::Spf::kAsConfigured));
  CHECK(build("[spf]\nenabled = false\n", StateOptions::Spf::kOn));
  CHECK_FALSE(build("", StateOptions::Spf::kOff));
}

}  // namespace gfi

namespace gfi {
namespace {

// A multipart message: `n` text parts, the `payload_at`-th (1-based) carrying the indicator URL.
std::string Parts(int n, int payload_at) {
  std::string m = "Subject: parts\r\nMIME-Version: 1.0\r\n"
                  "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n";
  for (int i = 1; i <= n; ++i)
    m += "--b\r\nContent-Type: text/plain\r\n\r\n" +
         std::string(i == payload_at ? "see http://evil.example/x" : "nothing") + "\r\n";
  return m + "--b--\r\n";
}

// The indicator URL inside `depth` nested multiparts.
std::string Nested(int depth) {
  std::string m = "Subject: nested\r\nMIME-Version: 1.0\r\n";
  for (int i = 0; i < depth; ++i)
    m += "Content-Type: multipart/mixed; boundary=\"n" + std::to_string(i) + "\"\r\n\r\n--n" +
         std::to_string(i) + "\r\n";
  m += "Content-Type: text/plain\r\n\r\nsee http://evil.example/x\r\n";
  for (int i = depth - 1; i >= 0; --i) m += "--n" + std::to_string(i) + "--\r\n";
  return m;
}

}  // namespace

TEST_CASE("ScanMessage: a payload just past a limit does not pass as clean") {
  TempDir d;
  // Parts: the indicator in part 4 of 5 with max_parts = 3 is never read.
  auto st = State(d, "[limits]\nmax_parts = 3\n");
  auto past = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), Parts(5, 5), Opts());
  REQUIRE(past.ok());
  CHECK(past.value().verdict.action == Action::kQuarantine);  // [policy] limit_action default
  CHECK(Ids(past.value().verdict) == std::vector<std::string>{"defect:limit.parts"});
  // Before the limit the indicator itself decides (reject beats the limit's quarantine).
  auto before = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), Parts(5, 1), Opts());
  REQUIRE(before.ok());
  CHECK(before.value().verdict.action == Action::kReject);
  // Nesting.
  TempDir d2;
  auto nest = State(d2, "[limits]\nmax_nesting = 2\n");
  auto deep = ScanMessage(*nest, Env("a@ok.example", {"u@x.example"}), Nested(4), Opts());
  REQUIRE(deep.ok());
  CHECK(deep.value().verdict.action >= Action::kQuarantine);
  bool nesting = false;
  for (const MatchReport& m : deep.value().verdict.matches)
    nesting = nesting || m.indicator == "defect:limit.nesting";
  CHECK(nesting);
  // HTML past max_html_bytes.
  TempDir d3;
  auto html = State(d3, "[limits]\nmax_html_bytes = 1024\n");
  std::string big = "Subject: h\r\nContent-Type: text/html\r\n\r\n<p>" + std::string(2000, 'x') +
                    "</p><a href=\"http://evil.example/x\">y</a>\r\n";
  auto h = ScanMessage(*html, Env("a@ok.example", {"u@x.example"}), big, Opts());
  REQUIRE(h.ok());
  CHECK(h.value().verdict.action >= Action::kQuarantine);
  // The documented opt-out: limit_action = "accept" lets a partly read message through.
  TempDir d4;
  auto lax = State(d4, "[policy]\nlimit_action = \"accept\"\n[limits]\nmax_parts = 3\n");
  auto through = ScanMessage(*lax, Env("a@ok.example", {"u@x.example"}), Parts(5, 5), Opts());
  REQUIRE(through.ok());
  CHECK(through.value().verdict.action == Action::kAccept);
  CHECK_FALSE(through.value().analysis.defects.empty());  // still recorded
}

TEST_CASE("ScanMessage: the scan's time and regex budgets are limits the policy acts on") {
  // A scan that started long ago is out of time at once: nothing of the message is read, so the
  // indicator in its body does not decide; limit_action does.
  TempDir d;
  auto st = State(d, "");
  ScanOptions late = Opts();
  late.started = Deadline::Clock::now() - std::chrono::seconds(10);
  auto timed_out = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), Parts(2, 1), late);
  REQUIRE(timed_out.ok());
  CHECK(timed_out.value().verdict.action == Action::kQuarantine);
  CHECK(Ids(timed_out.value().verdict) == std::vector<std::string>{"defect:limit.scan_time"});
  auto in_time = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), Parts(2, 1), Opts());
  REQUIRE(in_time.ok());
  CHECK(in_time.value().verdict.action == Action::kReject);
  CHECK(in_time.value().analysis.defects.empty());

  // A subject longer than max_regex_bytes is not handed to the subject regexes.
  TempDir d2;
  auto small = State(d2, "[limits]\nmax_regex_bytes = 1024\n");
  const std::string wire = "Subject: wire transfer " + std::string(2000, 'x') + "\r\n\r\nhi\r\n";
  auto over = ScanMessage(*small, Env("a@ok.example", {"u@x.example"}), wire, Opts());
  REQUIRE(over.ok());
  CHECK(over.value().verdict.action == Action::kQuarantine);
  CHECK(Ids(over.value().verdict) == std::vector<std::string>{"defect:limit.regex_bytes"});
  // With the default budget the subject regex matches (tag).
  auto fits = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), wire, Opts());
  REQUIRE(fits.ok());
  CHECK(Ids(fits.value().verdict) == std::vector<std::string>{"csv-wire"});
  // A rule naming the defect decides instead of limit_action.
  TempDir d3;
  auto ruled = State(d3, "[limits]\nmax_regex_bytes = 1024\n[[policy.rule]]\n"
                         "defects = [\"limit.regex_bytes\"]\naction = \"reject\"\n");
  auto rejected = ScanMessage(*ruled, Env("a@ok.example", {"u@x.example"}), wire, Opts());
  REQUIRE(rejected.ok());
  CHECK(rejected.value().verdict.action == Action::kReject);
}

TEST_CASE("ScanMessage: [[policy.rule]] defects by name or prefix, with a tenant condition") {
  TempDir d;
  auto st = State(d, R"(
[[policy.rule]]
defects = ["mime.*"]
tenant = ["acme"]
action = "reject"
[[policy.rule]]
defects = ["mime.missing_final_boundary"]
action = "tag"
[[tenant]]
name = "acme"
domains = ["acme.example"]
)");
  const std::string unclosed =
      "Subject: u\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
      "--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n";
  auto acme = ScanMessage(*st, Env("a@ok.example", {"u@acme.example"}), unclosed, Opts());
  REQUIRE(acme.ok());
  CHECK(acme.value().verdict.action == Action::kReject);
  CHECK(Ids(acme.value().verdict) == std::vector<std::string>{"defect:mime.missing_final_boundary"});
  auto other = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), unclosed, Opts());
  REQUIRE(other.ok());
  CHECK(other.value().verdict.action == Action::kTag);
  // A defect no rule names and that is not a limit changes nothing.
  auto clean = ScanMessage(*st, Env("a@ok.example", {"u@x.example"}), "Subject: c\r\n\r\nhi\r\n",
                           Opts());
  REQUIRE(clean.ok());
  CHECK(clean.value().verdict.action == Action::kAccept);
}

TEST_CASE("config: defect rules are checked") {
  auto bad = ParseConfig("[[policy.rule]]\ndefects = [\"Limit parts\"]\naction = \"tag\"\n", "t.toml");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().find("is not a defect name or prefix") != std::string::npos);
  auto mixed = ParseConfig(
      "[[policy.rule]]\ndefects = [\"limit.*\"]\ntype = [\"domain\"]\naction = \"tag\"\n", "t.toml");
  REQUIRE_FALSE(mixed.ok());
  CHECK(mixed.error().find("a rule with defects may add only a tenant condition") !=
        std::string::npos);
  auto act = ParseConfig("[policy]\nlimit_action = \"ignore\"\n", "t.toml");
  CHECK_FALSE(act.ok());
}

}  // namespace gfi
