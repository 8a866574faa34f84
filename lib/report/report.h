// Reports of the hit records (hits/hit_store.h): what `gfictl report` prints, built from the
// store's aggregates so it is the same for 10 records or 10 million, and rendered as text, JSON,
// CSV, a STIX 2.1 bundle or one self-contained HTML page.
//
// What a report holds: the period, messages per action (and per hour, for the chart), and per
// indicator its id, feed, type, count, first and last seen, and counts by action, place, tenant
// and false positives. What it never holds, because the records never had it: an address, an IP,
// a host name, a subject, a message id, an observed value — or an indicator's value: indicators
// appear by id only, sensitive ones included (they are flagged "sensitive"). Tenant names are the
// operator's own [[tenant]] names.
//
// Privacy options of the receiving provider: `round` reports every first/last seen as the
// period's bounds (no time of a single message can be told), `min_count` leaves out indicators
// with fewer hits (their number is said, not their ids).
//
// Pure functions over plain values; thread-safe.
#ifndef GFI_REPORT_REPORT_H_
#define GFI_REPORT_REPORT_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "global/vocabulary.h"
#include "hits/hit_store.h"
#include "util/status.h"

namespace gfi {

struct ReportOptions {
  int64_t since = 0, until = 0;  // [since, until), unix seconds; until > since
  std::string tenant;            // "" = every tenant
  bool round = false;
  uint64_t min_count = 0;        // indicators with fewer hits are left out
  std::string identity_name = "gfi-milter";  // [report] identity_name
  int64_t generated = 0;         // when the report was made (unix seconds)
  size_t top = 20;               // indicators in the HTML chart of top indicators
};

struct Report {
  ReportOptions options;
  uint64_t messages_total = 0;
  std::map<Action, uint64_t> messages;  // every action, zeros included
  std::vector<MessageBucket> timeline;  // per hour (html charts it)
  // Messages per action per filter host that scanned them ("" = counts from before hosts were
  // recorded): the fleet's share of each host.
  std::map<std::string, std::map<Action, uint64_t>> hosts;
  std::vector<IndicatorAggregate> indicators;  // most hits first, then by id
  uint64_t hits_total = 0;                     // sum of the indicators' counts
  uint64_t false_positives_total = 0;
  uint64_t indicators_left_out = 0;  // under min_count
  std::map<std::string, uint64_t> by_feed, by_type, by_tenant;
  std::map<Where, uint64_t> by_where;
};

Report BuildReport(HitAggregates aggregates, const ReportOptions& options);

// A STIX 2.1 indicator id: "indicator--" and a lower-case RFC 4122 UUID. Only such indicators
// (from STIX feeds, TAXII pulls included) get a sighting.
bool IsStixIndicatorId(std::string_view id);

// "2026-12-01T00:00:00Z".
std::string FormatTime(int64_t t);
// --since/--until: "now", "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS][Z]" (UTC), "@UNIXSECONDS", or an
// age "N[dhm]" (N days, hours, minutes before `now`). The error names the text.
Result<int64_t> ParseReportTime(std::string_view text, int64_t now);

std::string RenderText(const Report& r);
std::string RenderJson(const Report& r);  // product.md's object, one line
std::string RenderCsv(const Report& r);   // a header, then one row per indicator
// A bundle: the reporter's identity and a sighting per STIX indicator. Ids are UUIDv5 of the
// reporter, indicator and period, so a period sent twice is the same objects; created/modified
// are the period's end (or the report's time while the period is open).
std::string RenderStix(const Report& r);
std::string RenderHtml(const Report& r);  // one page: inline CSS and SVG, no script, no network
std::string Render(const Report& r, ReportFormat format);

// UUIDv5 (RFC 4122, SHA-1) of `name` in gfi-milter's report namespace (exposed for tests).
std::string ReportUuid(std::string_view name);

}  // namespace gfi

#endif  // GFI_REPORT_REPORT_H_
