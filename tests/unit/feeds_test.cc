// [feeds] and [[feeds.taxii]] configuration, IndicatorPaths, and the feeds module's pure parts
// (state files, backoff). The pulls themselves are tested end to end (tests/taxii).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <string>

#include "config/config.h"
#include "config/config_dump.h"
#include "feeds/feed_state.h"

namespace gfi {
namespace {

std::string ErrorOf(std::string_view toml) {
  Result<Config> r = ParseConfig(toml, "t.toml");
  return r.ok() ? std::string() : r.error();
}

constexpr const char* kSource =
    "[[feeds.taxii]]\nname = \"ecs\"\nurl = \"https://taxii.example/api1/collections/abc\"\n";

}  // namespace

TEST_CASE("a TAXII source: defaults, the URL's final slash, and config show") {
  Result<Config> r =
      ParseConfig(std::string(kSource) +
                      "username = \"u\"\n"
                      "password_file = \"/etc/gfi-milter/secrets/p\"\ninterval = 60\n",
                  "t.toml");
  REQUIRE(r.ok());
  REQUIRE(r.value().feeds.taxii.size() == 1);
  const TaxiiSourceConfig& t = r.value().feeds.taxii[0];
  CHECK(t.url == "https://taxii.example/api1/collections/abc/");
  CHECK(t.interval == 60);
  CHECK(t.page_size == 1000);
  CHECK(r.value().feeds.dir == "/var/lib/gfi-milter/feeds");
  auto lines = DescribeConfig(r.value());
  CHECK(std::any_of(lines.begin(), lines.end(), [](const ConfigLine& l) {
    return l.key == "feeds.taxii.0.password_file" && l.table == "feeds.taxii.password_file";
  }));
}

TEST_CASE("TAXII sources are checked strictly, naming line and key") {
  CHECK(ErrorOf("[[feeds.taxii]]\nname = \"Bad Name\"\nurl = \"https://x/c/\"\n")
            .find("t.toml:2: feeds.taxii.name: 'Bad Name' is not a feed name") == 0);
  CHECK(ErrorOf("[[feeds.taxii]]\nname = \"a\"\nurl = \"http://x/c/\"\n")
            .find("is not an https:// collection URL") != std::string::npos);
  CHECK(ErrorOf("[[feeds.taxii]]\nname = \"a\"\nurl = \"https://u:p@x/c/\"\n")
            .find("must not carry credentials") != std::string::npos);
  CHECK(ErrorOf(std::string(kSource) + kSource).find("duplicate source 'ecs'") !=
        std::string::npos);
  CHECK(ErrorOf(std::string(kSource) + "username = \"u\"\n")
            .find("username and password_file go together") != std::string::npos);
  CHECK(ErrorOf(std::string(kSource) +
                "username = \"u\"\npassword_file = \"/p\"\ntoken_file = \"/t\"\n")
            .find("either username and password_file (Basic) or token_file") != std::string::npos);
  CHECK(ErrorOf(std::string(kSource) + "client_cert = \"/c\"\n")
            .find("client_cert and client_key go together") != std::string::npos);
  CHECK(ErrorOf(std::string(kSource) + "passwd_file = \"/p\"\n")
            .find("feeds.taxii.passwd_file: unknown key") != std::string::npos);
  CHECK(ErrorOf(std::string(kSource) + "page_size = 0\n").find("out of range") !=
        std::string::npos);
  CHECK(ErrorOf("[[feeds.taxii]]\nurl = \"https://x/c/\"\n").find("needs a name") !=
        std::string::npos);
  CHECK(ErrorOf("[feeds]\ndir = \"relative\"\n").find("not an absolute path") != std::string::npos);
}

TEST_CASE("the feeds directory is an indicator path once it exists") {
  std::string dir =
      std::filesystem::temp_directory_path() / ("gfi-feeds-" + std::to_string(getpid()));
  Config c;
  c.indicators.paths = {"/etc/x"};
  c.feeds.dir = dir;
  CHECK(IndicatorPaths(c) == std::vector<std::string>{"/etc/x"});
  REQUIRE(::mkdir(dir.c_str(), 0750) == 0);
  CHECK(IndicatorPaths(c) == std::vector<std::string>{"/etc/x", dir});
  c.indicators.paths = {dir + "/"};  // listed already: not twice
  CHECK(IndicatorPaths(c).size() == 1);
  ::rmdir(dir.c_str());
}

TEST_CASE("backoff: interval, then doubling per failure, capped at an hour") {
  SourceState s;
  CHECK(NextPullDue(s, 300) == 0);  // never pulled: now
  CHECK(NextPullDue(s, 0) == std::numeric_limits<int64_t>::max());
  s.last_attempt = 1000;
  CHECK(NextPullDue(s, 300) == 1300);
  s.consecutive_failures = 1;
  CHECK(NextPullDue(s, 300) == 1600);
  s.consecutive_failures = 3;
  CHECK(NextPullDue(s, 300) == 1000 + 2400);
  s.consecutive_failures = 40;
  CHECK(NextPullDue(s, 300) == 1000 + 3600);
  CHECK(NextPullDue(s, 7200) == 1000 + 7200);  // an interval over the cap is the cap
}

TEST_CASE("state files round-trip and live in the skipped .state directory") {
  std::string dir =
      std::filesystem::temp_directory_path() / ("gfi-state-" + std::to_string(getpid()));
  REQUIRE(::mkdir(dir.c_str(), 0750) == 0);
  REQUIRE(::mkdir(StateDir(dir).c_str(), 0750) == 0);
  auto missing = LoadSourceState(dir, "ecs");
  REQUIRE(missing.ok());
  CHECK(missing.value().last_attempt == 0);
  SourceState s;
  s.name = "ecs";
  s.url = "https://x/c/";
  s.last_attempt = 5;
  s.last_success = 4;
  s.objects = 3;
  s.date_added_last = "2026-01-01T00:00:00.001000Z";
  s.last_error = "HTTP 500 (server error): \"boom\"";
  s.consecutive_failures = 2;
  REQUIRE(SaveSourceState(dir, s).ok());
  auto back = LoadSourceState(dir, "ecs");
  REQUIRE(back.ok());
  CHECK(back.value().date_added_last == s.date_added_last);
  CHECK(back.value().last_error == s.last_error);
  CHECK(back.value().consecutive_failures == 2);
  CHECK(back.value().objects == 3);
  CHECK(StatePath(dir, "ecs") == dir + "/.state/ecs.json");
  std::filesystem::remove_all(dir);
}

}  // namespace gfi
