#include "engine/status.h"

#include <catch2/catch.hpp>

#include "feeds/feed_state.h"
#include "feeds/sync.h"
#include "util/json_writer.h"

namespace gfi {

namespace {

DaemonStatus Sample() {
  DaemonStatus s;
  s.pid = 4242;
  s.started = 1767225600;
  s.written = 1767229200;
  s.config = "/etc/gfi-milter/gfi-milter.toml";
  s.socket = "inet:11332@127.0.0.1";
  s.user = "gfi-milter";
  s.restart_needed = {"milter.socket", "milter.user"};
  s.loaded_at = 1767225601;
  s.load_seconds = 0.25;
  s.indicators = 1234;
  s.memory_bytes = 5u << 20;
  s.types = {{"domain", 1000}, {"ip", 234}};
  s.feeds = {{"/etc/gfi-milter/feeds/a.json", 1000, 0.125}, {"/x/b.csv", 234, 0.5}};
  s.invalid_feeds = {"/x/bad.csv"};
  s.stale_feeds = {{"/x/stale.txt", 1767000000}};
  s.held_feeds = {{"/x/emptied.csv", 0, 5000, 1766000000}};
  s.degraded = true;
  s.last_reload = 1767228000;
  s.last_reload_result = "ok: 1234 indicators";
  s.reloads_ok = 3;
  s.reloads_failed = 1;
  s.retired_states = 2;
  for (size_t a = 0; a < s.messages.size(); ++a) s.messages[a] = 10 * (a + 1);
  s.scan_errors = 2;
  s.split_recipients = 1;
  return s;
}

}  // namespace

TEST_CASE("status file: what the daemon writes, gfictl reads back", "[status]") {
  DaemonStatus s = Sample();
  SourceState t;
  t.name = "ecs";
  t.last_success = 1767228800;
  t.objects = 77;
  t.last_error = "HTTP 503 from https://taxii.example/api/collections/x/objects/";
  JsonWriter w;
  w.BeginObject().Key("dir").String("/var/lib/gfi-milter/feeds").Key("sources").BeginArray();
  w.BeginObject();
  AddStateFields(t, &w);
  w.Key("interval").Uint(300);
  w.EndObject();
  w.EndArray().EndObject();
  s.sections[kFeedsStatusSection] = w.Take();

  const std::string json = DaemonStatusJson(s);
  Result<DaemonStatus> back = ParseDaemonStatus(json);
  REQUIRE(back.ok());
  const DaemonStatus& b = back.value();
  CHECK(b.pid == s.pid);
  CHECK(b.started == s.started);
  CHECK(b.written == s.written);
  CHECK(b.config == s.config);
  CHECK(b.socket == s.socket);
  CHECK(b.user == s.user);
  CHECK(b.restart_needed == s.restart_needed);
  CHECK(b.loaded_at == s.loaded_at);
  CHECK(b.load_seconds == s.load_seconds);
  CHECK(b.indicators == s.indicators);
  CHECK(b.memory_bytes == s.memory_bytes);
  CHECK(b.types == s.types);
  REQUIRE(b.feeds.size() == 2);
  CHECK(b.feeds[1].path == "/x/b.csv");
  CHECK(b.feeds[1].indicators == 234);
  CHECK(b.feeds[1].load_seconds == 0.5);
  CHECK(b.invalid_feeds == s.invalid_feeds);
  REQUIRE(b.stale_feeds.size() == 1);
  CHECK(b.stale_feeds[0].version == 1767000000);
  REQUIRE(b.held_feeds.size() == 1);
  CHECK(b.held_feeds[0].path == "/x/emptied.csv");
  CHECK(b.held_feeds[0].indicators == 0);
  CHECK(b.held_feeds[0].kept == 5000);
  CHECK(b.held_feeds[0].version == 1766000000);
  CHECK(json.find("\"held_feeds\":[{") != std::string::npos);
  CHECK(b.degraded);
  CHECK(b.last_reload == s.last_reload);
  CHECK(b.last_reload_result == s.last_reload_result);
  CHECK(b.reloads_ok == 3);
  CHECK(b.reloads_failed == 1);
  CHECK(b.retired_states == 2);
  CHECK(b.messages == s.messages);
  CHECK(b.MessagesTotal() == 210);
  CHECK(b.scan_errors == 2);
  CHECK(b.split_recipients == 1);
  // The message counts carry every action by its vocabulary name, and the total.
  for (const auto& entry : kActionNames.entries)
    CHECK(json.find("\"" + std::string(entry.second) + "\":") != std::string::npos);
  CHECK(json.find("\"total\":210") != std::string::npos);

  REQUIRE(b.sections.count(kFeedsStatusSection) == 1);
  Result<std::vector<SourceState>> sources = ParseFeedsStatus(b.sections.at(kFeedsStatusSection));
  REQUIRE(sources.ok());
  REQUIRE(sources.value().size() == 1);
  CHECK(sources.value()[0].name == "ecs");
  CHECK(sources.value()[0].last_success == t.last_success);
  CHECK(sources.value()[0].objects == 77);
  CHECK(sources.value()[0].last_error == t.last_error);

  // Writing what was read gives the same text: nothing is lost or renamed on the way.
  CHECK(DaemonStatusJson(b) == json);
}

TEST_CASE("status file: old, foreign and broken files", "[status]") {
  // An older daemon's file without some keys still reads, with defaults.
  Result<DaemonStatus> old = ParseDaemonStatus(R"({"pid":7,"messages":{"accept":5,"total":5}})");
  REQUIRE(old.ok());
  CHECK(old.value().pid == 7);
  CHECK(old.value().messages[static_cast<size_t>(Action::kAccept)] == 5);
  CHECK(old.value().MessagesTotal() == 5);
  CHECK_FALSE(old.value().degraded);
  // A key a newer daemon added is kept as a section and written back as it was.
  Result<DaemonStatus> newer = ParseDaemonStatus(R"({"pid":7,"future":{"a":[1,2]}})");
  REQUIRE(newer.ok());
  REQUIRE(newer.value().sections.count("future") == 1);
  CHECK(DaemonStatusJson(newer.value()).find(R"("future":{"a":[1,2]})") != std::string::npos);
  CHECK_FALSE(ParseDaemonStatus("").ok());
  CHECK_FALSE(ParseDaemonStatus("[1,2]").ok());
  CHECK_FALSE(ParseDaemonStatus("{\"pid\":").ok());
  CHECK_FALSE(ParseFeedsStatus("{}").ok());
  CHECK_FALSE(ParseFeedsStatus("{\"sources\":[3]}").ok());
}

}  // namespace gfi
