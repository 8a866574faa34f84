// Building a report from the store's aggregates, and its plain formats (text, JSON, CSV); STIX
// and HTML have their own files. Every string here comes from the hit records: ids and names.
#include "report/report.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <ctime>
#include <type_traits>

#include "util/json_writer.h"
#include "util/time.h"

namespace gfi {

Report BuildReport(HitAggregates a, const ReportOptions& o) {
  Report r;
  r.options = o;
  for (size_t i = 0; i < kActionNames.size(); ++i) r.messages[static_cast<Action>(i)] = 0;
  for (const MessageBucket& b : a.messages) {
    r.messages[b.action] += b.count;
    r.messages_total += b.count;
  }
  r.timeline = std::move(a.messages);
  r.hosts = std::move(a.hosts);
  std::sort(a.indicators.begin(), a.indicators.end(),
            [](const IndicatorAggregate& x, const IndicatorAggregate& y) {
              if (x.count != y.count) return x.count > y.count;
              if (x.indicator != y.indicator) return x.indicator < y.indicator;
              return x.feed < y.feed;
            });
  for (IndicatorAggregate& i : a.indicators) {
    if (i.count < o.min_count) {
      ++r.indicators_left_out;
      continue;
    }
    if (o.round) {
      i.first_seen = o.since;
      i.last_seen = o.until;
    }
    r.hits_total += i.count;
    r.false_positives_total += i.false_positives;
    r.by_feed[i.feed] += i.count;
    r.by_type[i.type] += i.count;
    for (const auto& [t, n] : i.tenants) r.by_tenant[t] += n;
    for (const auto& [w, n] : i.where) r.by_where[w] += n;
    r.indicators.push_back(std::move(i));
  }
  for (const auto& [id, n] : a.false_positives_only) r.false_positives_total += n;
  return r;
}

bool IsStixIndicatorId(std::string_view id) {
  constexpr std::string_view kPrefix = "indicator--";
  if (id.size() != kPrefix.size() + 36 || id.substr(0, kPrefix.size()) != kPrefix) return false;
  std::string_view u = id.substr(kPrefix.size());
  for (size_t i = 0; i < u.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? u[i] != '-' : !(std::isdigit(static_cast<unsigned char>(u[i])) ||
                               (u[i] >= 'a' && u[i] <= 'f')))
      return false;
  }
  return true;
}

std::string FormatTime(int64_t t) { return FormatUtc(t); }

namespace {

Status BadTime(std::string_view text) {
  return Status::Error(ErrorCode::kInvalid,
                       "'" + std::string(text) +
                           "' is not a time: expected YYYY-MM-DD[THH:MM[:SS]], an RFC 3339 time, "
                           "UNIXSECONDS, @UNIXSECONDS, now, or an age like 30d, 12h, 15m");
}

}  // namespace

Result<int64_t> ParseReportTime(std::string_view s, int64_t now) {
  if (std::optional<int64_t> t = ParsePointInTime(s, now)) return *t;  // util/time.h
  return BadTime(s);
}

std::string ReportUuid(std::string_view name) {
  // RFC 4122's URL namespace; names are "gfi-milter:report:...".
  static const unsigned char kNamespace[16] = {0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1,
                                               0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8};
  std::string input(reinterpret_cast<const char*>(kNamespace), 16);
  input += "gfi-milter:report:";
  input += name;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha1(), nullptr);
  md[6] = static_cast<unsigned char>((md[6] & 0x0f) | 0x50);  // version 5
  md[8] = static_cast<unsigned char>((md[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

namespace {

template <typename K>
void CountsObject(JsonWriter* w, const std::map<K, uint64_t>& m) {
  w->BeginObject();
  for (const auto& [k, n] : m) {
    if constexpr (std::is_same_v<K, std::string>)
      w->Key(k).Uint(n);
    else
      w->Key(ToString(k)).Uint(n);
  }
  w->EndObject();
}

template <typename K>
std::string CountsText(const std::map<K, uint64_t>& m) {
  std::string out;
  for (const auto& [k, n] : m) {
    if (!out.empty()) out += ';';
    if constexpr (std::is_same_v<K, std::string>)
      out += k;
    else
      out += ToString(k);
    out += '=' + std::to_string(n);
  }
  return out;
}

// RFC 4180: quoted when it holds a comma, quote or line break. A leading = + - @ is prefixed with
// a quote, so a spreadsheet never runs an id as a formula.
std::string CsvField(std::string_view s) {
  std::string v(s);
  if (!v.empty() && (v[0] == '=' || v[0] == '+' || v[0] == '-' || v[0] == '@')) v = "'" + v;
  if (v.find_first_of(",\"\r\n") == std::string::npos) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::string Pad(std::string s, size_t width) {
  if (s.size() < width) s.append(width - s.size(), ' ');
  return s;
}

}  // namespace

std::string RenderJson(const Report& r) {
  JsonWriter w;
  w.BeginObject();
  w.Key("since").String(FormatTime(r.options.since));
  w.Key("until").String(FormatTime(r.options.until));
  w.Key("generated").String(FormatTime(r.options.generated));
  w.Key("reporter").String(r.options.identity_name);
  if (!r.options.tenant.empty()) w.Key("tenant").String(r.options.tenant);
  w.Key("messages").BeginObject();
  w.Key("total").Uint(r.messages_total);
  for (const auto& [a, n] : r.messages) w.Key(ToString(a)).Uint(n);
  w.EndObject();
  w.Key("hosts").BeginObject();
  for (const auto& [host, actions] : r.hosts) {
    uint64_t total = 0;
    for (const auto& [a, n] : actions) total += n;
    w.Key(host).BeginObject();
    w.Key("total").Uint(total);
    for (const auto& [a, n] : actions) w.Key(ToString(a)).Uint(n);
    w.EndObject();
  }
  w.EndObject();
  w.Key("hits").Uint(r.hits_total);
  w.Key("false_positives").Uint(r.false_positives_total);
  w.Key("indicators_left_out").Uint(r.indicators_left_out);
  w.Key("min_count").Uint(r.options.min_count);
  w.Key("rounded").Bool(r.options.round);
  w.Key("indicators").BeginArray();
  for (const IndicatorAggregate& i : r.indicators) {
    w.BeginObject();
    w.Key("indicator").String(i.indicator);
    w.Key("feed").String(i.feed);
    w.Key("type").String(i.type);
    w.Key("count").Uint(i.count);
    w.Key("first_seen").String(FormatTime(i.first_seen));
    w.Key("last_seen").String(FormatTime(i.last_seen));
    w.Key("actions");
    CountsObject(&w, i.actions);
    w.Key("where");
    CountsObject(&w, i.where);
    w.Key("tenants");
    CountsObject(&w, i.tenants);
    w.Key("monitor").Uint(i.monitor);
    w.Key("false_positives").Uint(i.false_positives);
    w.Key("sensitive").Bool(i.sensitive);
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();
  return w.Take() + "\n";
}

std::string RenderCsv(const Report& r) {
  std::string out =
      "indicator,feed,type,count,first_seen,last_seen,actions,where,tenants,monitor,"
      "false_positives,sensitive\r\n";
  for (const IndicatorAggregate& i : r.indicators) {
    out += CsvField(i.indicator) + ',' + CsvField(i.feed) + ',' + CsvField(i.type) + ',' +
           std::to_string(i.count) + ',' + FormatTime(i.first_seen) + ',' +
           FormatTime(i.last_seen) + ',' + CsvField(CountsText(i.actions)) + ',' +
           CsvField(CountsText(i.where)) + ',' + CsvField(CountsText(i.tenants)) + ',' +
           std::to_string(i.monitor) + ',' + std::to_string(i.false_positives) + ',' +
           (i.sensitive ? "true" : "false") + "\r\n";
  }
  return out;
}

std::string RenderText(const Report& r) {
  std::string out = "Report of " + r.options.identity_name + " from " +
                    FormatTime(r.options.since) + " to " + FormatTime(r.options.until);
  if (!r.options.tenant.empty()) out += ", tenant " + r.options.tenant;
  out += "\n\nmessages: " + std::to_string(r.messages_total);
  for (const auto& [a, n] : r.messages)
    out += "  " + std::string(ToString(a)) + " " + std::to_string(n);
  for (const auto& [host, actions] : r.hosts) {
    uint64_t total = 0;
    for (const auto& [a, n] : actions) total += n;
    out += "\n  host " + (host.empty() ? std::string("(not recorded)") : host) + ": " +
           std::to_string(total) + " (" + CountsText(actions) + ")";
  }
  out += "\nhits: " + std::to_string(r.hits_total) + " from " +
         std::to_string(r.indicators.size()) + " indicator(s)";
  if (r.indicators_left_out > 0)
    out += "; " + std::to_string(r.indicators_left_out) + " with fewer than " +
           std::to_string(r.options.min_count) + " hits left out";
  out += "\nfalse positives: " + std::to_string(r.false_positives_total) + "\n\n";
  if (r.indicators.empty()) return out + "no indicator fired in this period\n";
  size_t w_id = 9, w_feed = 4, w_type = 4;
  for (const IndicatorAggregate& i : r.indicators) {
    w_id = std::max(w_id, i.indicator.size());
    w_feed = std::max(w_feed, i.feed.size());
    w_type = std::max(w_type, i.type.size());
  }
  w_id = std::min<size_t>(w_id, 60);
  out += Pad("COUNT", 8) + Pad("INDICATOR", w_id + 2) + Pad("FEED", w_feed + 2) +
         Pad("TYPE", w_type + 2) + Pad("FIRST SEEN", 22) + Pad("LAST SEEN", 22) + "ACTIONS\n";
  for (const IndicatorAggregate& i : r.indicators) {
    out += Pad(std::to_string(i.count), 8) + Pad(i.indicator, w_id + 2) + Pad(i.feed, w_feed + 2) +
           Pad(i.type, w_type + 2) + Pad(FormatTime(i.first_seen), 22) +
           Pad(FormatTime(i.last_seen), 22) + CountsText(i.actions);
    if (i.false_positives > 0) out += " fp=" + std::to_string(i.false_positives);
    if (i.sensitive) out += " (sensitive)";
    out += "\n";
  }
  return out;
}

std::string Render(const Report& r, ReportFormat f) {
  switch (f) {
    case ReportFormat::kText:
      return RenderText(r);
    case ReportFormat::kJson:
      return RenderJson(r);
    case ReportFormat::kCsv:
      return RenderCsv(r);
    case ReportFormat::kStix:
      return RenderStix(r);
    case ReportFormat::kHtml:
      return RenderHtml(r);
  }
  return RenderText(r);
}

}  // namespace gfi
