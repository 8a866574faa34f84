// Reports (report/report.h) from aggregates: totals, order, the privacy options, every format
// parsed back (JSON with simdjson, CSV by hand, STIX against the 2.1 rules for ids and
// sightings), times, and the deterministic ids. End-to-end formats through a real store and
// gfictl are in tests/report/report_e2e.py.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "report/report.h"

namespace gfi {
namespace {

constexpr int64_t kSince = 1764547200;  // 2025-12-01T00:00:00Z
constexpr int64_t kUntil = kSince + 7 * 86400;
const std::string kStixId = "indicator--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd01";

IndicatorAggregate Ind(const std::string& id, uint64_t count, int64_t first, int64_t last) {
  IndicatorAggregate a;
  a.indicator = id;
  a.feed = "ecs";
  a.type = "domain";
  a.count = count;
  a.first_seen = first;
  a.last_seen = last;
  a.actions[Action::kQuarantine] = count;
  a.where[Where::kBodyHtml] = count;
  a.tenants["acme"] = count;
  return a;
}

HitAggregates Sample() {
  HitAggregates a;
  a.indicators.push_back(Ind("csv-1", 2, kSince + 100, kSince + 200));
  a.indicators.push_back(Ind(kStixId, 9, kSince + 50, kSince + 5000));
  a.indicators.push_back(Ind("ecs:3", 1, kSince + 300, kSince + 300));
  a.indicators.back().sensitive = true;
  a.indicators[1].false_positives = 2;
  a.messages.push_back({kSince, Action::kAccept, 100});
  a.messages.push_back({kSince, Action::kQuarantine, 11});
  a.messages.push_back({kSince + 3600, Action::kReject, 1});
  a.hosts["mx1.provider.example"] = {{Action::kAccept, 60}, {Action::kQuarantine, 11}};
  a.hosts["mx2.provider.example"] = {{Action::kAccept, 40}, {Action::kReject, 1}};
  return a;
}

ReportOptions Options() {
  ReportOptions o;
  o.since = kSince;
  o.until = kUntil;
  o.generated = kUntil + 10;
  o.identity_name = "Example Provider";
  return o;
}

std::vector<std::vector<std::string>> ParseCsv(const std::string& text) {
  std::vector<std::vector<std::string>> rows(1, std::vector<std::string>(1));
  bool quoted = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (quoted) {
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        rows.back().back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        rows.back().back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      rows.back().emplace_back();
    } else if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') {
      rows.emplace_back(1);
      ++i;
    } else {
      rows.back().back() += c;
    }
  }
  if (rows.back().size() == 1 && rows.back()[0].empty()) rows.pop_back();
  return rows;
}

}  // namespace

TEST_CASE("report: totals and order, most hits first", "[report]") {
  Report r = BuildReport(Sample(), Options());
  CHECK(r.messages_total == 112);
  CHECK(r.messages.at(Action::kAccept) == 100);
  CHECK(r.messages.at(Action::kQuarantine) == 11);
  CHECK(r.messages.at(Action::kReject) == 1);
  CHECK(r.messages.at(Action::kDiscard) == 0);
  REQUIRE(r.indicators.size() == 3);
  CHECK(r.indicators[0].indicator == kStixId);
  CHECK(r.indicators[1].indicator == "csv-1");
  CHECK(r.indicators[2].indicator == "ecs:3");
  CHECK(r.hits_total == 12);
  CHECK(r.false_positives_total == 2);
  CHECK(r.by_feed.at("ecs") == 12);
  CHECK(r.by_where.at(Where::kBodyHtml) == 12);
}

TEST_CASE("report: min-count leaves out indicators and says how many", "[report]") {
  ReportOptions o = Options();
  o.min_count = 2;
  Report r = BuildReport(Sample(), o);
  REQUIRE(r.indicators.size() == 2);
  CHECK(r.indicators_left_out == 1);
  CHECK(r.hits_total == 11);
  std::string json = RenderJson(r);
  CHECK(json.find("ecs:3") == std::string::npos);
  CHECK(json.find("\"indicators_left_out\":1") != std::string::npos);
}

TEST_CASE("report: round reports the period's bounds as first/last seen", "[report]") {
  ReportOptions o = Options();
  o.round = true;
  Report r = BuildReport(Sample(), o);
  for (const IndicatorAggregate& i : r.indicators) {
    CHECK(i.first_seen == kSince);
    CHECK(i.last_seen == kUntil);
  }
  std::string all = RenderJson(r) + RenderCsv(r) + RenderStix(r) + RenderHtml(r);
  CHECK(all.find(FormatTime(kSince + 50)) == std::string::npos);
  CHECK(all.find("2025-12-01T00:00:50") == std::string::npos);
}

TEST_CASE("report: JSON is product.md's object", "[report]") {
  Report r = BuildReport(Sample(), Options());
  std::string text = RenderJson(r);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  std::string_view since, until;
  REQUIRE(doc["since"].get(since) == simdjson::SUCCESS);
  CHECK(since == "2025-12-01T00:00:00Z");
  REQUIRE(doc["until"].get(until) == simdjson::SUCCESS);
  uint64_t mx1_total = 0, mx2_reject = 0;
  REQUIRE(doc["hosts"]["mx1.provider.example"]["total"].get(mx1_total) == simdjson::SUCCESS);
  CHECK(mx1_total == 71);
  REQUIRE(doc["hosts"]["mx2.provider.example"]["reject"].get(mx2_reject) == simdjson::SUCCESS);
  CHECK(mx2_reject == 1);
  CHECK(until == "2025-12-08T00:00:00Z");
  uint64_t total = 0, quarantine = 0;
  REQUIRE(doc["messages"]["total"].get(total) == simdjson::SUCCESS);
  CHECK(total == 112);
  REQUIRE(doc["messages"]["quarantine"].get(quarantine) == simdjson::SUCCESS);
  CHECK(quarantine == 11);
  simdjson::dom::array inds;
  REQUIRE(doc["indicators"].get(inds) == simdjson::SUCCESS);
  REQUIRE(inds.size() == 3);
  simdjson::dom::element first = inds.at(0);
  std::string_view id, feed, type, fs, ls;
  uint64_t count = 0, n = 0;
  REQUIRE(first["indicator"].get(id) == simdjson::SUCCESS);
  CHECK(id == kStixId);
  REQUIRE(first["feed"].get(feed) == simdjson::SUCCESS);
  REQUIRE(first["type"].get(type) == simdjson::SUCCESS);
  REQUIRE(first["count"].get(count) == simdjson::SUCCESS);
  CHECK(count == 9);
  REQUIRE(first["first_seen"].get(fs) == simdjson::SUCCESS);
  CHECK(fs == "2025-12-01T00:00:50Z");
  REQUIRE(first["last_seen"].get(ls) == simdjson::SUCCESS);
  REQUIRE(first["actions"]["quarantine"].get(n) == simdjson::SUCCESS);
  CHECK(n == 9);
  REQUIRE(first["where"]["body.html"].get(n) == simdjson::SUCCESS);
  REQUIRE(first["tenants"]["acme"].get(n) == simdjson::SUCCESS);
  REQUIRE(first["false_positives"].get(n) == simdjson::SUCCESS);
  CHECK(n == 2);
  bool sensitive = true;
  REQUIRE(inds.at(2)["sensitive"].get(sensitive) == simdjson::SUCCESS);
  CHECK(sensitive);
}

TEST_CASE("report: CSV is one row per indicator, quoted where needed", "[report]") {
  HitAggregates a = Sample();
  a.indicators[0].indicator = "=cmd|' /C calc'!A0,\"x\"";  // a hostile id stays one field
  Report r = BuildReport(a, Options());
  auto rows = ParseCsv(RenderCsv(r));
  REQUIRE(rows.size() == 4);
  CHECK(rows[0][0] == "indicator");
  CHECK(rows[0][3] == "count");
  for (const auto& row : rows) CHECK(row.size() == rows[0].size());
  CHECK(rows[1][0] == kStixId);
  CHECK(rows[1][3] == "9");
  CHECK(rows[1][6] == "quarantine=9");
  CHECK(rows[2][0] == "'=cmd|' /C calc'!A0,\"x\"");
}

TEST_CASE("report: STIX is a 2.1 bundle of an identity and sightings with stable ids",
          "[report]") {
  Report r = BuildReport(Sample(), Options());
  std::string text = RenderStix(r);
  CHECK(text == RenderStix(BuildReport(Sample(), Options())));  // deterministic
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(text).get(doc) == simdjson::SUCCESS);
  std::string_view type, id;
  REQUIRE(doc["type"].get(type) == simdjson::SUCCESS);
  CHECK(type == "bundle");
  simdjson::dom::array objects;
  REQUIRE(doc["objects"].get(objects) == simdjson::SUCCESS);
  REQUIRE(objects.size() == 2);  // identity + the one STIX indicator
  std::string_view identity_id;
  REQUIRE(objects.at(0)["id"].get(identity_id) == simdjson::SUCCESS);
  CHECK(identity_id == "identity--c41d0abf-a1c4-5ea6-b893-3f65d74a22e4");  // Python's uuid5
  simdjson::dom::element s = objects.at(1);
  REQUIRE(s["type"].get(type) == simdjson::SUCCESS);
  CHECK(type == "sighting");
  std::string_view of, by, fs, ls, spec;
  REQUIRE(s["sighting_of_ref"].get(of) == simdjson::SUCCESS);
  CHECK(of == kStixId);
  REQUIRE(s["created_by_ref"].get(by) == simdjson::SUCCESS);
  CHECK(by == identity_id);
  REQUIRE(s["spec_version"].get(spec) == simdjson::SUCCESS);
  CHECK(spec == "2.1");
  REQUIRE(s["first_seen"].get(fs) == simdjson::SUCCESS);
  REQUIRE(s["last_seen"].get(ls) == simdjson::SUCCESS);
  CHECK(fs <= ls);
  CHECK(fs == "2025-12-01T00:00:50.000Z");
  uint64_t count = 0, fp = 0;
  REQUIRE(s["count"].get(count) == simdjson::SUCCESS);
  CHECK(count == 9);
  REQUIRE(s["x_gfi_false_positives"].get(fp) == simdjson::SUCCESS);
  CHECK(fp == 2);
  simdjson::dom::array where;
  REQUIRE(s["where_sighted_refs"].get(where) == simdjson::SUCCESS);
  REQUIRE(where.size() == 1);
  // Another period, another tenant or another reporter: other ids.
  ReportOptions o = Options();
  o.until += 86400;
  CHECK(RenderStix(BuildReport(Sample(), o)).find(std::string(s["id"].get_string().value())) ==
        std::string::npos);
  o = Options();
  o.identity_name = "Someone Else";
  CHECK(RenderStix(BuildReport(Sample(), o)).find(std::string(identity_id)) == std::string::npos);
}

TEST_CASE("report: STIX indicator ids are recognised strictly", "[report]") {
  CHECK(IsStixIndicatorId(kStixId));
  CHECK_FALSE(IsStixIndicatorId("indicator--0D0E7A2B-17D4-4CBF-938F-98EE46B3CD01"));
  CHECK_FALSE(IsStixIndicatorId("malware--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd01"));
  CHECK_FALSE(IsStixIndicatorId("indicator--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd0"));
  CHECK_FALSE(IsStixIndicatorId("csv-1"));
}

TEST_CASE("report: HTML is one page with inline SVG charts and no network", "[report]") {
  HitAggregates a = Sample();
  a.indicators[0].indicator = "<script>alert(1)</script>";
  std::string html = RenderHtml(BuildReport(a, Options()));
  CHECK(html.rfind("<!DOCTYPE html>", 0) == 0);
  size_t svgs = 0;
  for (size_t p = html.find("<svg"); p != std::string::npos; p = html.find("<svg", p + 1)) ++svgs;
  CHECK(svgs == 7);  // two timelines, top indicators, feed, type, where, tenant
  CHECK(html.find("<section id=\"hosts\">") != std::string::npos);
  CHECK(html.find("mx2.provider.example") != std::string::npos);
  CHECK(html.find("<script") == std::string::npos);
  CHECK(html.find("&lt;script&gt;") != std::string::npos);
  CHECK(html.find("@media print") != std::string::npos);
  // The only URL is the SVG namespace; nothing is fetched.
  std::string rest = html;
  for (size_t p; (p = rest.find("http://www.w3.org/2000/svg")) != std::string::npos;)
    rest.erase(p, 26);
  CHECK(rest.find("http:") == std::string::npos);
  CHECK(rest.find("https:") == std::string::npos);
  CHECK(rest.find(" src=") == std::string::npos);
  CHECK(rest.find("<link") == std::string::npos);
}

TEST_CASE("report: text names the period and lists the indicators", "[report]") {
  std::string t = RenderText(BuildReport(Sample(), Options()));
  CHECK(t.find("2025-12-01T00:00:00Z") != std::string::npos);
  CHECK(t.find("messages: 112") != std::string::npos);
  CHECK(t.find("host mx1.provider.example: 71 (accept=60;quarantine=11)") != std::string::npos);
  CHECK(t.find("host mx2.provider.example: 41") != std::string::npos);
  CHECK(t.find(kStixId) != std::string::npos);
  CHECK(t.find("(sensitive)") != std::string::npos);
  std::string empty = RenderText(BuildReport(HitAggregates{}, Options()));
  CHECK(empty.find("no indicator fired") != std::string::npos);
}

TEST_CASE("report: times in every accepted form, and clear errors", "[report]") {
  const int64_t now = kUntil;
  CHECK(ParseReportTime("2025-12-01", now).value() == kSince);
  CHECK(ParseReportTime("2025-12-01T00:00:50Z", now).value() == kSince + 50);
  CHECK(ParseReportTime("2025-12-01T01:02", now).value() == kSince + 3720);
  CHECK(ParseReportTime("@1764547200", now).value() == kSince);
  CHECK(ParseReportTime("now", now).value() == now);
  CHECK(ParseReportTime("7d", now).value() == kSince);
  CHECK(ParseReportTime("2h", now).value() == now - 7200);
  CHECK(ParseReportTime("15m", now).value() == now - 900);
  // One grammar with gfictl quarantine (util/time.h): unix seconds and RFC 3339 offsets too.
  CHECK(ParseReportTime("1764547200", now).value() == kSince);
  CHECK(ParseReportTime("2025-12-01T02:00:00+02:00", now).value() == kSince);
  for (const char* bad : {"", "yesterday", "2025-13-01", "2025-02-30", "2025-12-01T25:00",
                          "@", "@x", "-5d", "@-5", "2025-12-01T00:00:00+25:00"}) {
    auto t = ParseReportTime(bad, now);
    CHECK_FALSE(t.ok());
    if (!t.ok()) CHECK(t.error().find("is not a time") != std::string::npos);
  }
}

TEST_CASE("report: Render dispatches on every format name", "[report]") {
  Report r = BuildReport(Sample(), Options());
  for (const std::string& name : kReportFormatNames.Names()) {
    auto f = kReportFormatNames.Parse(name);
    REQUIRE(f);
    CHECK_FALSE(Render(r, *f).empty());
  }
  CHECK_FALSE(kReportFormatNames.Parse("xml"));
}

}  // namespace gfi
