// LoadIndicators: each feed all or nothing and on its own — a feed that does not parse, or does
// not compile with the others, is left out or served at its last good version; only what
// compiled becomes a last good version.
#include "engine/loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;

struct Dir {
  std::filesystem::path path;
  explicit Dir(const char* name) : path(std::filesystem::temp_directory_path() / name) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path / "feeds");
    std::filesystem::create_directories(path / "good");
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string Write(const std::string& name, const std::string& text) const {
    std::string p = (path / "feeds" / name).string();
    std::ofstream(p) << text;
    return p;
  }
};

// Many distinct regexes: more than a small RE2::Set memory bound holds.
std::string ManyRegexes(int n) {
  std::string s;
  for (int i = 0; i < n; ++i)
    s += "body-regex,(?i)w" + std::to_string(i) + "[a-z]+x" + std::to_string(i) + "y[0-9]*z\n";
  return s;
}

}  // namespace

TEST_CASE("a feed that does not compile with the others is left out and named") {
  Dir d("gfi-loader-test-1");
  d.Write("a.csv", ManyRegexes(400));
  d.Write("b.csv", "domain,b.example,reject,b1\n");
  SnapshotOptions small;
  small.regex_max_mem = 128 << 10;  // 3 of these regexes fit, 400 do not
  auto r = LoadIndicators({(d.path / "feeds").string()}, small, kNow);
  REQUIRE(r.ok());
  CHECK(r.value().invalid_feeds == std::vector<std::string>{(d.path / "feeds/a.csv").string()});
  CHECK(r.value().snapshot->stats().rules == 1);  // b's indicator is in service
  bool named = false;
  for (const std::string& e : r.value().feed_errors)
    named = named || e.find("a.csv: does not compile with the feeds before it") != std::string::npos;
  CHECK(named);
}

TEST_CASE("a feed that stops compiling is served at its last good version") {
  Dir d("gfi-loader-test-2");
  std::string a = d.Write("a.csv", ManyRegexes(3));
  d.Write("b.csv", "domain,b.example,reject,b1\n");
  SnapshotOptions small;
  small.regex_max_mem = 128 << 10;  // 3 of these regexes fit, 400 do not
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  auto first = LoadIndicators({(d.path / "feeds").string()}, small, kNow, &lg);
  REQUIRE(first.ok());
  CHECK(first.value().snapshot->stats().rules == 4);
  REQUIRE(lg.SavedVersion(a).has_value());
  std::filesystem::last_write_time(a, std::filesystem::file_time_type::clock::now() -
                                          std::chrono::hours(1));  // the kept copy's version
  d.Write("a.csv", ManyRegexes(400));  // parses, but no longer compiles
  auto second = LoadIndicators({(d.path / "feeds").string()}, small, kNow, &lg);
  REQUIRE(second.ok());
  CHECK(second.value().invalid_feeds.empty());
  REQUIRE(second.value().stale_feeds.size() == 1);
  CHECK(second.value().stale_feeds[0].path == a);
  CHECK(second.value().snapshot->stats().rules == 4);  // a's 3 old regexes and b
  // The copy that did not compile was not kept as a's last good version.
  auto third = LoadIndicators({(d.path / "feeds").string()}, small, kNow, &lg);
  REQUIRE(third.ok());
  CHECK(third.value().snapshot->stats().rules == 4);
}

TEST_CASE("a feed that does not parse keeps its last good version; a new good one replaces it") {
  Dir d("gfi-loader-test-3");
  std::string a = d.Write("a.csv", "domain,a-one.example,reject,a1\n");
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  REQUIRE(LoadIndicators({a}, SnapshotOptions{}, kNow, &lg).ok());
  d.Write("a.csv", "sha256,not-a-hash\n");
  auto bad = LoadIndicators({a}, SnapshotOptions{}, kNow, &lg);
  REQUIRE(bad.ok());
  REQUIRE(bad.value().stale_feeds.size() == 1);
  CHECK(bad.value().snapshot->stats().rules == 1);
  // Read-only (gfi-milter --check): uses the copy, never writes one.
  LastGoodStore ro((d.path / "good").string(), /*writable=*/false);
  d.Write("a.csv", "domain,a-two.example,reject,a2\ndomain,a-three.example,reject,a3\n");
  REQUIRE(LoadIndicators({a}, SnapshotOptions{}, kNow, &ro).ok());
  d.Write("a.csv", "sha256,not-a-hash\n");
  auto still_old = LoadIndicators({a}, SnapshotOptions{}, kNow, &ro);
  REQUIRE(still_old.ok());
  CHECK(still_old.value().snapshot->stats().rules == 1);
}

TEST_CASE("loader: a pulled TAXII feed is named by its source, not its file name") {
  Dir d("gfi-loader-feed-names");
  const std::string pulled = d.Write("ecs.json", R"({"type":"bundle","id":"bundle--1","objects":[
    {"type":"indicator","spec_version":"2.1","id":"indicator--11111111-1111-4111-8111-111111111111",
     "created":"2026-01-01T00:00:00Z","modified":"2026-01-01T00:00:00Z",
     "pattern":"[domain-name:value = 'evil.example']","pattern_type":"stix",
     "valid_from":"2026-01-01T00:00:00Z"}]})");
  d.Write("local.csv", "domain,other.example\n");
  const std::map<std::string, std::string> names = {{pulled, "ecs"}};
  auto r = LoadIndicators({(d.path / "feeds").string()}, SnapshotOptions{}, kNow, nullptr, nullptr,
                          nullptr, &names);
  REQUIRE(r.ok());
  REQUIRE(r.value().feed_errors.empty());
  const auto& feeds = r.value().snapshot->stats().feeds;
  REQUIRE(feeds.size() == 2);
  std::set<std::string> got;
  for (const auto& f : feeds) got.insert(f.name);
  CHECK(got == std::set<std::string>{"ecs", "local.csv"});
  bool found = false;
  for (uint32_t i = 0; i < r.value().snapshot->stats().rules; ++i) {
    RuleView v = r.value().snapshot->rule(i);
    if (v.id.rfind("indicator--", 0) == 0) {
      CHECK(v.feed == "ecs");
      found = true;
    }
  }
  CHECK(found);
}

}  // namespace gfi
