#include "config/config.h"

#include <catch2/catch.hpp>
#include <string>

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
  CHECK(c.milter.on_error == "tempfail");
  CHECK(c.milter.user == "gfi-milter");
  CHECK(c.indicators.paths == std::vector<std::string>{"/etc/gfi-milter/indicators"});
  CHECK(c.policy.default_action == "quarantine");
  CHECK(c.quarantine.mode == "store");
  CHECK(c.limits.max_nesting == AnalysisLimits{}.max_nesting);
}

TEST_CASE("the shipped default config loads and matches the built-in defaults") {
  Result<Config> r = LoadConfig(std::string(GFI_TEST_DATA_DIR) + "/../rules/gfi-milter.toml");
  REQUIRE(r.ok());
  CHECK(r.value().milter.socket == MilterConfig{}.socket);
  CHECK(r.value().limits.max_parts == AnalysisLimits{}.max_parts);
  CHECK(r.value().limits.max_decoded_bytes == AnalysisLimits{}.max_decoded_bytes);
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
  CHECK(r.value().milter.on_error == "accept");
  CHECK(r.value().indicators.paths == std::vector<std::string>{"/a", "/b"});
  CHECK(r.value().policy.default_action == "reject");
  CHECK(r.value().quarantine.mode == "hold");
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

}  // namespace gfi
