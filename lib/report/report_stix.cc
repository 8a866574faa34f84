// The STIX 2.1 form of a report: a bundle with the reporter's identity and one sighting per
// indicator from a STIX feed. This is what goes back to the indicator provider.
//
// Deterministic: the identity's id is UUIDv5("identity:" NAME), each sighting's
// UUIDv5("sighting:" NAME "|" INDICATOR "|" SINCE "|" UNTIL [ "|" TENANT ]), the bundle's the same
// over the period; created/modified are the period's end (the report's time while the period is
// still open), so the same period sent twice is the same objects and versions. A reviewer's
// false-positive releases are the custom property x_gfi_false_positives (STIX 2.1, 11.1: custom
// properties start with x_); an indicator with any also carries "x_gfi_false_positive": true.
#include <algorithm>
#include <cstdio>
#include <ctime>

#include "report/report.h"
#include "util/json_writer.h"

namespace gfi {
namespace {

std::string StixTime(int64_t t) {
  time_t secs = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[40];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
  return buf;
}

constexpr uint64_t kMaxSightingCount = 999999999;  // STIX 2.1, 4.14: count is 0..999,999,999

}  // namespace

std::string RenderStix(const Report& r) {
  const ReportOptions& o = r.options;
  const std::string name = o.identity_name;
  const std::string identity = "identity--" + ReportUuid("identity:" + name);
  std::string period = std::to_string(o.since) + "|" + std::to_string(o.until);
  if (!o.tenant.empty()) period += "|" + o.tenant;
  const std::string stamp = StixTime(o.generated > 0 ? std::min(o.until, o.generated) : o.until);
  JsonWriter w;
  w.BeginObject();
  w.Key("type").String("bundle");
  w.Key("id").String("bundle--" + ReportUuid("bundle:" + name + "|" + period));
  w.Key("objects").BeginArray();
  w.BeginObject();
  w.Key("type").String("identity");
  w.Key("spec_version").String("2.1");
  w.Key("id").String(identity);
  // The identity does not change from report to report: a fixed version.
  w.Key("created").String(StixTime(0));
  w.Key("modified").String(StixTime(0));
  w.Key("name").String(name);
  w.Key("identity_class").String("organization");
  w.EndObject();
  for (const IndicatorAggregate& i : r.indicators) {
    if (!IsStixIndicatorId(i.indicator)) continue;
    w.BeginObject();
    w.Key("type").String("sighting");
    w.Key("spec_version").String("2.1");
    w.Key("id").String("sighting--" + ReportUuid("sighting:" + name + "|" + i.indicator + "|" + period));
    w.Key("created_by_ref").String(identity);
    w.Key("created").String(stamp);
    w.Key("modified").String(stamp);
    w.Key("sighting_of_ref").String(i.indicator);
    w.Key("count").Uint(std::min(i.count, kMaxSightingCount));
    w.Key("first_seen").String(StixTime(i.first_seen));
    w.Key("last_seen").String(StixTime(std::max(i.first_seen, i.last_seen)));
    w.Key("where_sighted_refs").BeginArray().String(identity).EndArray();
    w.Key("x_gfi_false_positives").Uint(i.false_positives);
    if (i.false_positives > 0) w.Key("x_gfi_false_positive").Bool(true);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take() + "\n";
}

}  // namespace gfi
