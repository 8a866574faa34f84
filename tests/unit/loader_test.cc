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

TEST_CASE("loader: a feed that shrinks by more than max_shrink is held back until accepted") {
  Dir d("gfi-loader-shrink");
  std::string four;
  for (int i = 0; i < 4; ++i) four += "domain,d" + std::to_string(i) + ".example,reject,d" +
                                      std::to_string(i) + "\n";
  const std::string a = d.Write("a.csv", four);
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  auto load = [&](double max_shrink) {
    auto r = LoadIndicators({a}, SnapshotOptions{}, kNow, &lg, nullptr, nullptr, nullptr, nullptr,
                            max_shrink);
    REQUIRE(r.ok());
    return std::move(r).value();
  };
  REQUIRE(load(0.5).snapshot->stats().rules == 4);
  CHECK(lg.SavedCount(a) == 4u);

  d.Write("a.csv", "domain,d0.example,reject,d0\ndomain,d1.example,reject,d1\n");  // 2 = 50%
  LoadedIndicators half = load(0.5);
  CHECK(half.held_feeds.empty());
  CHECK(half.snapshot->stats().rules == 2);
  CHECK(lg.SavedCount(a) == 2u);

  d.Write("a.csv", "");  // emptied: 0 < (1 - 0.5) x 2
  LoadedIndicators held = load(0.5);
  REQUIRE(held.held_feeds.size() == 1);
  CHECK(held.held_feeds[0].path == a);
  CHECK(held.held_feeds[0].indicators == 0);
  CHECK(held.held_feeds[0].kept == 2);
  CHECK(held.stale_feeds.empty());
  CHECK(held.invalid_feeds.empty());
  CHECK(held.snapshot->stats().rules == 2);  // the last good version serves
  bool logged = false;
  for (const std::string& e : held.feed_errors)
    logged = logged || (e.find(a + ": HELD BACK: 0 indicators, down from 2") == 0 &&
                        e.find("gfictl indicators accept " + a) != std::string::npos);
  CHECK(logged);
  CHECK(lg.SavedCount(a) == 2u);  // the held file did not become the last good version
  CHECK(load(0.5).held_feeds.size() == 1);  // and stays held

  // max_shrink = 1 disables the guard (the kept version is left alone here: read-only).
  LastGoodStore ro((d.path / "good").string(), /*writable=*/false);
  auto off = LoadIndicators({a}, SnapshotOptions{}, kNow, &ro, nullptr, nullptr, nullptr, nullptr,
                            1.0);
  REQUIRE(off.ok());
  CHECK(off.value().held_feeds.empty());
  CHECK(off.value().snapshot->stats().rules == 0);

  // An acceptance of another content does not count; one of this content does, once.
  REQUIRE(lg.Accept(a, std::string(64, '0')).ok());
  CHECK(load(0.5).held_feeds.size() == 1);
  Result<std::string> sha = FileSha256Hex(a);
  REQUIRE(sha.ok());
  REQUIRE(lg.Accept(a, sha.value()).ok());
  LoadedIndicators taken = load(0.5);
  CHECK(taken.held_feeds.empty());
  CHECK(taken.accepted_feeds == std::vector<std::string>{a});
  CHECK(taken.snapshot->stats().rules == 0);
  CHECK(lg.SavedCount(a) == 0u);
  CHECK_FALSE(lg.Accepted(a).has_value());  // cleared by the save
}

TEST_CASE("loader: a kept copy without a count is counted for the shrink guard") {
  Dir d("gfi-loader-shrink-old");
  const std::string a = d.Write("a.csv", "domain,x.example\ndomain,y.example\ndomain,z.example\n");
  LastGoodStore lg((d.path / "good").string(), /*writable=*/true);
  REQUIRE(LoadIndicators({a}, SnapshotOptions{}, kNow, &lg).ok());
  std::filesystem::remove(lg.CopyPath(a) + ".count");  // as an older version kept it
  CHECK_FALSE(lg.SavedCount(a).has_value());
  d.Write("a.csv", "domain,x.example\n");  // 1 < (1 - 0.6) x 3
  auto r = LoadIndicators({a}, SnapshotOptions{}, kNow, &lg, nullptr, nullptr, nullptr, nullptr,
                          0.6);
  REQUIRE(r.ok());
  REQUIRE(r.value().held_feeds.size() == 1);
  CHECK(r.value().held_feeds[0].kept == 3);
  CHECK(r.value().snapshot->stats().rules == 3);
}

TEST_CASE("loader: the shrink guard's threshold") {
  CHECK_FALSE(ShrankTooMuch(50, 100, 0.5));
  CHECK(ShrankTooMuch(49, 100, 0.5));
  CHECK(ShrankTooMuch(99, 100, 0.0));
  CHECK_FALSE(ShrankTooMuch(100, 100, 0.0));
  CHECK_FALSE(ShrankTooMuch(0, 100, 1.0));
  CHECK_FALSE(ShrankTooMuch(0, 0, 0.5));
  CHECK(ShrankTooMuch(0, 1, 0.5));
}

}  // namespace gfi
