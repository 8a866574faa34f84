// LoadIndicators: each feed all or nothing and on its own — a feed that does not parse, or does
// not compile with the others, is left out or served at its last good version; only what
// compiled becomes a last good version.
#include "indicators/loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
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

}  // namespace gfi
