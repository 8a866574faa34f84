#include "config/config.h"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <string>

#include "config/config_dump.h"

namespace gfi {
namespace {

std::string ErrorOf(std::string_view toml) {
  Result<Config> r = ParseConfig(toml, "test.toml");
  return r.ok() ? std::string() : r.error();
}

}  // namespace

TEST_CASE("an empty file gives the documented defaults") {
  Result<Config> r = ParseConfig("", "test.toml");
  REQUIRE(r.ok());
  const Config& c = r.value();
  CHECK(c.milter.socket == "unix:/run/gfi-milter/milter.sock");
  CHECK(c.milter.on_error == OnError::kTempfail);
  CHECK(c.milter.user == "gfi-milter");
  CHECK(c.indicators.paths == std::vector<std::string>{"/etc/gfi-milter/indicators"});
  CHECK(c.policy.default_action == Action::kQuarantine);
  CHECK(c.quarantine.mode == QuarantineMode::kStore);
  CHECK(c.limits.max_nesting == AnalysisLimits{}.max_nesting);
}

TEST_CASE("the shipped default config loads and matches the built-in defaults") {
  Result<Config> r = LoadConfig(std::string(GFI_TEST_DATA_DIR) + "/../rules/gfi-milter.toml");
  REQUIRE(r.ok());
  CHECK(r.value().milter.socket == MilterConfig{}.socket);
  // The one exception: the socket is given to the MTA's own group, not the daemon's.
  CHECK(MilterConfig{}.socket_group.empty());
  CHECK(r.value().milter.socket_group == "gfi-milter-mta");
  CHECK(r.value().limits.max_parts == AnalysisLimits{}.max_parts);
  CHECK(r.value().limits.max_decoded_bytes == AnalysisLimits{}.max_decoded_bytes);
  CHECK(r.value().limits.max_regex_bytes == AnalysisLimits{}.max_regex_bytes);
  CHECK(r.value().limits.max_scan_ms == AnalysisLimits{}.max_scan_ms);
}

TEST_CASE("values are read into their keys") {
  Result<Config> r = ParseConfig(R"(
[milter]
socket = "inet:8891@127.0.0.1"
on_error = "accept"
[indicators]
paths = ["/a", "/b"]
[policy]
default_action = "reject"
[quarantine]
mode = "hold"
release_via = "sendmail:/usr/sbin/sendmail"
[limits]
max_nesting = 7
max_parts = 50
)", "t.toml");
  REQUIRE(r.ok());
  CHECK(r.value().milter.socket == "inet:8891@127.0.0.1");
  CHECK(r.value().milter.on_error == OnError::kAccept);
  CHECK(r.value().indicators.paths == std::vector<std::string>{"/a", "/b"});
  CHECK(r.value().policy.default_action == Action::kReject);
  CHECK(r.value().quarantine.mode == QuarantineMode::kHold);
  CHECK(r.value().limits.max_nesting == 7);
  CHECK(r.value().limits.max_parts == 50);
}

TEST_CASE("a misspelt key is an error naming file, line and key") {
  std::string e = ErrorOf("[milter]\n\nsokcet = \"unix:/x\"\n");
  CHECK(e.find("test.toml:3") != std::string::npos);
  CHECK(e.find("milter.sokcet") != std::string::npos);
  CHECK(e.find("unknown key") != std::string::npos);
}

TEST_CASE("an unknown table is an error") {
  CHECK(ErrorOf("[miltr]\nsocket = \"unix:/x\"\n").find("miltr") != std::string::npos);
}

TEST_CASE("wrong types and values are errors naming the key") {
  CHECK(ErrorOf("[limits]\nmax_parts = \"many\"\n").find("limits.max_parts: expected an integer") !=
        std::string::npos);
  CHECK(ErrorOf("[limits]\nmax_parts = 0\n").find("out of range") != std::string::npos);
  CHECK(ErrorOf("[milter]\non_error = \"drop\"\n").find("not one of") != std::string::npos);
  CHECK(ErrorOf("[milter]\nsocket = \"tcp:8891\"\n").find("milter.socket") != std::string::npos);
  CHECK(ErrorOf("[milter]\nsocket = \"inet:99999\"\n").find("milter.socket") != std::string::npos);
  CHECK(ErrorOf("[quarantine]\nrelease_via = \"smtp:\"\n").find("release_via") !=
        std::string::npos);
  CHECK(ErrorOf("[indicators]\npaths = \"/one\"\n").find("array of strings") != std::string::npos);
  // One grammar for endpoints (util/net.h): a port past 65535 was once accepted here.
  CHECK(ErrorOf("[quarantine]\nrelease_via = \"smtp:h:99999\"\n").find("1 to 65535") !=
        std::string::npos);
  CHECK(ErrorOf("[quarantine]\nrelease_via = \"smtp:::1:25\"\n").find("brackets") !=
        std::string::npos);
  CHECK(ParseConfig("[quarantine]\nrelease_via = \"smtp:[::1]:10026\"\n", "t.toml").ok());
  CHECK(ErrorOf("[spf]\nresolvers = [\"127.0.0.1:0\"]\n").find("spf.resolvers") !=
        std::string::npos);
  CHECK(ErrorOf("[allow]\nclient_networks = [\"10.0.0.0/33\"]\n").find("prefix longer") !=
        std::string::npos);
  CHECK(ErrorOf("[store]\nbackend = \"mysql\"\n").find("not one of: sqlite") !=
        std::string::npos);
  CHECK(ParseConfig("[store]\nbackend = \"sqlite\"\n", "t.toml").value().store.backend ==
        StoreBackend::kSqlite);
  auto pg = ParseConfig(
      "[store]\nbackend = \"postgresql\"\ndsn_file = \"/etc/gfi-milter/store.dsn\"\n"
      "pool_size = 8\ntimeout_ms = 5000\n",
      "t.toml");
  REQUIRE(pg.ok());
  CHECK(pg.value().store.backend == StoreBackend::kPostgresql);
  CHECK(pg.value().store.dsn_file == "/etc/gfi-milter/store.dsn");
  CHECK(pg.value().store.pool_size == 8);
  CHECK(pg.value().store.timeout_ms == 5000);
  CHECK(ErrorOf("[store]\ndsn_file = \"store.dsn\"\n").find("not an absolute path") !=
        std::string::npos);
  CHECK(ErrorOf("[store]\npool_size = 0\n").find("store.pool_size") != std::string::npos);
}

TEST_CASE("[limits] max_regex_bytes and max_scan_ms are read, checked and shown") {
  Result<Config> r =
      ParseConfig("[limits]\nmax_regex_bytes = 4096\nmax_scan_ms = 250\n", "t.toml");
  REQUIRE(r.ok());
  CHECK(r.value().limits.max_regex_bytes == 4096);
  CHECK(r.value().limits.max_scan_ms == 250);
  CHECK(AnalysisLimits{}.max_regex_bytes == 16ull << 20);
  CHECK(AnalysisLimits{}.max_scan_ms == 2000);
  CHECK(ErrorOf("[limits]\nmax_regex_bytes = \"lots\"\n")
            .find("limits.max_regex_bytes: expected an integer") != std::string::npos);
  CHECK(ErrorOf("[limits]\nmax_regex_bytes = 10\n").find("limits.max_regex_bytes") !=
        std::string::npos);
  CHECK(ErrorOf("[limits]\nmax_scan_ms = 0\n").find("limits.max_scan_ms") != std::string::npos);
  CHECK(ErrorOf("[limits]\nmax_scan_ms = 0\n").find("out of range") != std::string::npos);
  CHECK(ErrorOf("[limits]\nmax_scan_ms = 1.5\n").find("limits.max_scan_ms") != std::string::npos);
  std::vector<ConfigLine> lines = DescribeConfig(r.value());
  auto value = [&](const std::string& key) {
    for (const ConfigLine& l : lines)
      if (l.key == key) return l.value;
    return std::string("(absent)");
  };
  CHECK(value("limits.max_regex_bytes") == "4096");
  CHECK(value("limits.max_scan_ms") == "250");
}

TEST_CASE("[indicators] max_shrink: a fraction from 0 to 1") {
  CHECK(ParseConfig("", "t.toml").value().indicators.max_shrink == 0.5);
  CHECK(ParseConfig("[indicators]\nmax_shrink = 0.9\n", "t.toml").value().indicators.max_shrink ==
        0.9);
  CHECK(ParseConfig("[indicators]\nmax_shrink = 1\n", "t.toml").value().indicators.max_shrink ==
        1.0);
  CHECK(ParseConfig("[indicators]\nmax_shrink = 0\n", "t.toml").value().indicators.max_shrink ==
        0.0);
  std::string e = ErrorOf("[indicators]\n\nmax_shrink = 1.5\n");
  CHECK(e.find("test.toml:3") != std::string::npos);
  CHECK(e.find("indicators.max_shrink: the value is out of range [0, 1]") != std::string::npos);
  CHECK(ErrorOf("[indicators]\nmax_shrink = -0.1\n").find("out of range") != std::string::npos);
  CHECK(ErrorOf("[indicators]\nmax_shrink = \"half\"\n").find(
            "indicators.max_shrink: expected a number") != std::string::npos);
  Config c;
  c.indicators.max_shrink = 1;
  for (const ConfigLine& l : DescribeConfig(c))
    if (l.key == "indicators.max_shrink") CHECK(l.value == "1.0");
}

TEST_CASE("TOML syntax errors name the line") {
  std::string e = ErrorOf("[milter]\nsocket = \"unterminated\n");
  CHECK(e.find("test.toml:2") != std::string::npos);
}

TEST_CASE("a missing file is an error naming it") {
  Result<Config> r = LoadConfig("/nonexistent/gfi.toml");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().find("/nonexistent/gfi.toml") != std::string::npos);
}

namespace {

std::string WriteTemp(const std::string& text) {
  char tmpl[] = "/tmp/gfi-config-test.XXXXXX";
  int fd = ::mkstemp(tmpl);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(tmpl) << text;
  return tmpl;
}

}  // namespace

TEST_CASE("a lenient load keeps every key that parses and names each that does not") {
  std::string path = WriteTemp(R"([milter]
status_file = "/srv/status.json"
pid_file = 5
socket = "unix:/x/s.sock
[quarantine]
dir = "/srv/q"
mode = "stor"
postqueue = "/opt/postfix/postqueue"
[tpyo]
x = 1
)");
  LenientConfig c = LoadConfigLenient(path);
  ::unlink(path.c_str());
  CHECK(c.file_read);
  CHECK(c.config.milter.status_file == "/srv/status.json");
  CHECK(c.config.quarantine.dir == "/srv/q");
  CHECK(c.config.quarantine.postqueue == "/opt/postfix/postqueue");
  CHECK(c.config.milter.pid_file == MilterConfig{}.pid_file);  // the default
  CHECK(c.config.milter.socket == MilterConfig{}.socket);
  CHECK(c.config.quarantine.mode == QuarantineMode::kStore);
  REQUIRE(c.errors.size() == 4);
  std::string all;
  for (const std::string& e : c.errors) all += e + "\n";
  CHECK(all.find(path + ":4:") != std::string::npos);  // the unterminated string (syntax)
  CHECK(all.find(path + ":3: milter.pid_file: expected a string") != std::string::npos);
  CHECK(all.find(path + ":7: quarantine.mode: 'stor' is not one of") != std::string::npos);
  CHECK(all.find("tpyo: unknown table or key") != std::string::npos);
  CHECK(c.keys_set ==
        std::vector<std::string>{"milter.status_file", "quarantine.dir", "quarantine.postqueue"});
  // The strict loader (the daemon's) refuses the same file.
  CHECK_FALSE(ParseConfig("[quarantine]\nmode = \"stor\"\n", "t.toml").ok());
}

TEST_CASE("a lenient load of an unreadable file says why and gives the defaults") {
  LenientConfig c = LoadConfigLenient("/nonexistent/gfi.toml");
  CHECK_FALSE(c.file_read);
  REQUIRE(c.errors.size() == 1);
  CHECK(c.errors[0] ==
        "/nonexistent/gfi.toml: cannot open configuration file: No such file or "
        "directory");
  CHECK(c.config.quarantine.dir == QuarantineConfig{}.dir);
}

TEST_CASE("config show lists every key of the shipped config, defaults included") {
  LenientConfig c = LoadConfigLenient(std::string(GFI_TEST_DATA_DIR) + "/../rules/gfi-milter.toml");
  REQUIRE(c.errors.empty());
  REQUIRE(c.keys_set.size() > 20);
  std::vector<ConfigLine> lines = DescribeConfig(c.config);
  for (const std::string& k : c.keys_set) {
    INFO(k);
    CHECK(
        std::any_of(lines.begin(), lines.end(), [&](const ConfigLine& l) { return l.table == k; }));
  }
  std::vector<ConfigLine> defaults = DescribeConfig(Config{});
  auto value = [&](const std::string& key) {
    for (const ConfigLine& l : defaults)
      if (l.key == key) return l.value;
    return std::string("(absent)");
  };
  CHECK(value("milter.socket") == "\"unix:/run/gfi-milter/milter.sock\"");
  CHECK(value("indicators.paths") == "[\"/etc/gfi-milter/indicators\"]");
  CHECK(value("spf.enabled") == "true");
  CHECK(value("indicators.reload_interval") == "30");
  CHECK(value("indicators.max_shrink") == "0.5");
  CHECK(value("indicators.trusted_keys") == "[]");
  CHECK(value("indicators.require_signature") == "false");
  CHECK(value("indicators.blind_keys") == "[]");
  CHECK(value("policy.feed_actions") == "{}");
  CHECK(value("quarantine.postqueue") == "\"/usr/sbin/postqueue\"");
  Config t;
  t.tenants.push_back({});
  t.tenants[0].name = "acme";
  t.tenants[0].domains = {"acme.example"};
  auto tl = DescribeConfig(t);
  CHECK(std::any_of(tl.begin(), tl.end(), [](const ConfigLine& l) {
    return l.key == "tenant.0.name" && l.value == "\"acme\"" && l.table == "tenant.name";
  }));
}

TEST_CASE("[indicators] blind_keys: paths only (the keys are read with the feeds), never empty") {
  Result<Config> r = ParseConfig(
      "[indicators]\nblind_keys = [\"/etc/gfi-milter/keys/a.key\", \"/etc/gfi-milter/keys/b.key\"]\n",
      "test.toml");
  REQUIRE(r.ok());
  CHECK(r.value().indicators.blind_keys ==
        std::vector<std::string>{"/etc/gfi-milter/keys/a.key", "/etc/gfi-milter/keys/b.key"});
  std::string e = ErrorOf("[indicators]\nblind_keys = [\"\"]\n");
  CHECK(e.find("test.toml:2") != std::string::npos);
  CHECK(e.find("blind_keys") != std::string::npos);
  CHECK(ErrorOf("[indicators]\nblind_keys = \"/k\"\n").find("blind_keys") != std::string::npos);
}

TEST_CASE("[hits], [report] and [metrics] are read and checked") {
  Result<Config> r = ParseConfig(R"(
[hits]
enabled = false
retention_days = 30
queue_size = 500
batch_size = 50
flush_ms = 250
[report]
identity_name = "Example Provider"
[metrics]
listen = "[::1]:9470"
)", "t.toml");
  REQUIRE(r.ok());
  CHECK_FALSE(r.value().hits.enabled);
  CHECK(r.value().hits.retention_days == 30);
  CHECK(r.value().hits.queue_size == 500);
  CHECK(r.value().hits.batch_size == 50);
  CHECK(r.value().hits.flush_ms == 250);
  CHECK(r.value().report.identity_name == "Example Provider");
  CHECK(r.value().metrics.listen == "[::1]:9470");
  CHECK(Config{}.metrics.listen == "127.0.0.1:9469");
  CHECK(ParseConfig("[metrics]\nlisten = \"\"\n", "t.toml").value().metrics.listen.empty());
  // Loopback only, unless allowed; an address, not a name.
  std::string e = ErrorOf("[metrics]\nlisten = \"0.0.0.0:9469\"\n");
  CHECK(e.find("test.toml:2: metrics.listen") != std::string::npos);
  CHECK(e.find("not a loopback address") != std::string::npos);
  CHECK(ParseConfig("[metrics]\nlisten = \"0.0.0.0:9469\"\nallow_remote = true\n", "t.toml").ok());
  CHECK(ErrorOf("[metrics]\nlisten = \"localhost:9469\"\n").find("not an IP address") !=
        std::string::npos);
  CHECK(ErrorOf("[metrics]\nlisten = \"127.0.0.1\"\n").find("metrics.listen") !=
        std::string::npos);
  CHECK(ErrorOf("[hits]\nqueue_size = 0\n").find("hits.queue_size") != std::string::npos);
  CHECK(ErrorOf("[hits]\nflush_ms = 1\n").find("out of range") != std::string::npos);
  CHECK(ErrorOf("[hits]\nretention = \"400d\"\n").find("hits.retention: unknown key") !=
        std::string::npos);
  CHECK(ErrorOf("[report]\nidentity_name = \"a\\nb\"\n").find("report.identity_name") !=
        std::string::npos);
}

}  // namespace gfi
