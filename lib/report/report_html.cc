// The HTML form of a report: one self-contained page — inline CSS and SVG charts, no script, no
// font, image or style from anywhere — that reads in a browser and prints (@media print). Every
// text from the records is escaped; the page holds ids and names only, like every format.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <type_traits>
#include <vector>

#include "report/report.h"

namespace gfi {
namespace {

std::string Esc(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string Num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1f", v);
  return buf;
}

std::string Short(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  return std::string(s.substr(0, max - 1)) + "\u2026";
}

// One colour per action, from the least to the most severe.
const char* ActionColour(Action a) {
  switch (a) {
    case Action::kAccept: return "#4c956c";
    case Action::kTag: return "#e0a800";
    case Action::kQuarantine: return "#f07b3f";
    case Action::kTempfail: return "#8d6cab";
    case Action::kReject: return "#c0392b";
    case Action::kDiscard: return "#34495e";
  }
  return "#777";
}

std::string DayOrHour(int64_t t, bool days) {
  time_t secs = static_cast<time_t>(t);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), days ? "%m-%d" : "%m-%d %H:00", &tm);
  return buf;
}

// The axis maximum: 1, 2 or 5 times a power of ten, at least `v`.
uint64_t NiceMax(uint64_t v) {
  uint64_t p = 1;
  while (p * 10 <= v) p *= 10;
  for (uint64_t m : {1, 2, 5, 10})
    if (m * p >= v) return std::max<uint64_t>(m * p, 1);
  return std::max<uint64_t>(10 * p, 1);
}

// Messages per action over the period, stacked bars per hour (or day, or week for long periods);
// `skip_accept` leaves accepted messages out (the messages the filter acted on, which accepted
// ones would dwarf).
std::string TimelineChart(const Report& r, bool skip_accept, const std::string& title) {
  const int64_t since = r.options.since, until = std::max(r.options.until, since + 1);
  const int64_t span = until - since;
  int64_t step = 3600;
  if (span > 3 * 86400) step = 86400;
  if (span > 200 * 86400) step = 7 * 86400;
  const int64_t origin = since - (since % step);
  const size_t n = static_cast<size_t>((until - origin + step - 1) / step);
  std::vector<std::map<Action, uint64_t>> bars(n);
  uint64_t max = 0;
  for (const MessageBucket& b : r.timeline) {
    if (b.hour < origin || (skip_accept && b.action == Action::kAccept)) continue;
    size_t i = static_cast<size_t>((b.hour - origin) / step);
    if (i >= n) continue;
    bars[i][b.action] += b.count;
  }
  for (const auto& bar : bars) {
    uint64_t sum = 0;
    for (const auto& [a, c] : bar) sum += c;
    max = std::max(max, sum);
  }
  const double width = 900, height = 260, left = 56, bottom = 40, top = 12;
  const double plot_w = width - left - 10, plot_h = height - bottom - top;
  const double bw = plot_w / static_cast<double>(std::max<size_t>(n, 1));
  std::string svg = "<svg class=\"chart\" role=\"img\" aria-label=\"" + Esc(title) +
                    "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\">";
  svg += "<title>" + Esc(title) + "</title>";
  const uint64_t tick = NiceMax((max + 3) / 4), scale = 4 * tick;  // four round grid steps
  for (int g = 0; g <= 4; ++g) {  // grid lines and their values
    double y = top + plot_h - plot_h * g / 4.0;
    svg += "<line x1=\"" + Num(left) + "\" y1=\"" + Num(y) + "\" x2=\"" + Num(width - 10) +
           "\" y2=\"" + Num(y) + "\" class=\"grid\"/>";
    svg += "<text x=\"" + Num(left - 6) + "\" y=\"" + Num(y + 4) + "\" class=\"axis\" "
           "text-anchor=\"end\">" + std::to_string(tick * static_cast<uint64_t>(g)) +
           "</text>";
  }
  for (size_t i = 0; i < n; ++i) {
    double y = top + plot_h;
    const double x = left + bw * static_cast<double>(i);
    for (const auto& [a, c] : bars[i]) {
      const double h = plot_h * static_cast<double>(c) / static_cast<double>(scale);
      y -= h;
      svg += "<rect x=\"" + Num(x + bw * 0.1) + "\" y=\"" + Num(y) + "\" width=\"" +
             Num(std::max(bw * 0.8, 0.5)) + "\" height=\"" + Num(h) + "\" fill=\"" +
             ActionColour(a) + "\"><title>" + Esc(DayOrHour(origin + static_cast<int64_t>(i) * step, step >= 86400)) +
             " " + std::string(ToString(a)) + ": " + std::to_string(c) + "</title></rect>";
    }
  }
  const size_t labels = std::min<size_t>(n, 8);
  for (size_t k = 0; k < labels; ++k) {
    size_t i = labels == 1 ? 0 : k * (n - 1) / (labels - 1);
    const double x = left + bw * (static_cast<double>(i) + 0.5);
    svg += "<text x=\"" + Num(x) + "\" y=\"" + Num(height - bottom + 16) +
           "\" class=\"axis\" text-anchor=\"middle\">" +
           Esc(DayOrHour(origin + static_cast<int64_t>(i) * step, step >= 86400)) + "</text>";
  }
  double lx = left;
  for (size_t a = skip_accept ? 1 : 0; a < kActionNames.size(); ++a) {  // legend
    const Action act = static_cast<Action>(a);
    svg += "<rect x=\"" + Num(lx) + "\" y=\"" + Num(height - 14) +
           "\" width=\"10\" height=\"10\" fill=\"" + ActionColour(act) + "\"/>";
    svg += "<text x=\"" + Num(lx + 14) + "\" y=\"" + Num(height - 5) + "\" class=\"axis\">" +
           std::string(ToString(act)) + "</text>";
    lx += 100;
  }
  return svg + "</svg>";
}

// Horizontal bars, one per (label, value), the largest first.
// `narrow`: for a half-width column (a smaller canvas, so the text keeps its size).
std::string BarChart(const std::string& title, std::vector<std::pair<std::string, uint64_t>> rows,
                     size_t max_rows, const char* colour, bool narrow = false) {
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (rows.size() > max_rows) rows.resize(max_rows);
  if (rows.empty()) return "<p class=\"empty\">No hits in this period.</p>";
  const double width = narrow ? 440 : 900, row_h = 22, label_w = narrow ? 180 : 380, top = 4;
  const size_t label_chars = narrow ? 24 : 50;
  const double height = top + row_h * static_cast<double>(rows.size()) + 4;
  const uint64_t max = std::max<uint64_t>(rows.front().second, 1);
  std::string svg = "<svg class=\"chart\" role=\"img\" aria-label=\"" + Esc(title) +
                    "\" viewBox=\"0 0 " + Num(width) + " " + Num(height) +
                    "\" xmlns=\"http://www.w3.org/2000/svg\"><title>" + Esc(title) + "</title>";
  for (size_t i = 0; i < rows.size(); ++i) {
    const double y = top + row_h * static_cast<double>(i);
    const double w = (width - label_w - 60) * static_cast<double>(rows[i].second) /
                     static_cast<double>(max);
    svg += "<text x=\"" + Num(label_w - 8) + "\" y=\"" + Num(y + 15) +
           "\" class=\"label\" text-anchor=\"end\">" + Esc(Short(rows[i].first, label_chars)) + "<title>" +
           Esc(rows[i].first) + "</title></text>";
    svg += "<rect x=\"" + Num(label_w) + "\" y=\"" + Num(y + 3) + "\" width=\"" +
           Num(std::max(w, 1.0)) + "\" height=\"" + Num(row_h - 6) + "\" fill=\"" + colour +
           "\"/>";
    svg += "<text x=\"" + Num(label_w + w + 6) + "\" y=\"" + Num(y + 15) + "\" class=\"value\">" +
           std::to_string(rows[i].second) + "</text>";
  }
  return svg + "</svg>";
}

template <typename K>
std::vector<std::pair<std::string, uint64_t>> Rows(const std::map<K, uint64_t>& m) {
  std::vector<std::pair<std::string, uint64_t>> rows;
  for (const auto& [k, n] : m) {
    if constexpr (std::is_same_v<K, std::string>)
      rows.emplace_back(k, n);
    else
      rows.emplace_back(std::string(ToString(k)), n);
  }
  return rows;
}

constexpr const char* kStyle = R"(
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       color: #1d2733; background: #f4f6f8; margin: 0; }
main { max-width: 960px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 0 0 10px; }
.meta { color: #5b6877; margin: 0 0 18px; }
section { background: #fff; border: 1px solid #dde3ea; border-radius: 6px; padding: 16px;
          margin: 0 0 16px; }
.cards { display: flex; flex-wrap: wrap; gap: 10px; }
.card { flex: 1 1 120px; border: 1px solid #dde3ea; border-radius: 6px; padding: 8px 10px; }
.card b { display: block; font-size: 20px; }
.card span { color: #5b6877; font-size: 12px; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 16px; }
svg.chart { width: 100%; height: auto; display: block; }
svg .grid { stroke: #e3e8ee; stroke-width: 1; }
svg .axis { font-size: 11px; fill: #5b6877; }
svg .label { font-size: 12px; fill: #1d2733; font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
svg .value { font-size: 12px; fill: #1d2733; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e3e8ee; vertical-align: top; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.id { font-family: ui-monospace, "DejaVu Sans Mono", monospace; word-break: break-all; }
.empty, .note { color: #5b6877; }
.sensitive { color: #c0392b; font-weight: 600; }
@media (max-width: 700px) { .grid2 { grid-template-columns: 1fr; } }
@media print {
  body { background: #fff; font-size: 11px; }
  main { max-width: none; padding: 0; }
  section { border: none; padding: 0; margin: 0 0 14px; break-inside: avoid; page-break-inside: avoid; }
  .grid2 { grid-template-columns: 1fr 1fr; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
  table { page-break-inside: auto; } tr { break-inside: avoid; }
}
)";

}  // namespace

std::string RenderHtml(const Report& r) {
  const ReportOptions& o = r.options;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">";
  // No network: nothing may load from anywhere, not even from the page's own directory.
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
       "style-src 'unsafe-inline'; img-src data:\">";
  h += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">";
  h += "<title>gfi-milter report " + Esc(FormatTime(o.since)) + " to " + Esc(FormatTime(o.until)) +
       "</title><style>" + std::string(kStyle) + "</style></head><body><main>";
  h += "<h1>Indicator hits: " + Esc(o.identity_name) + "</h1>";
  h += "<p class=\"meta\">" + Esc(FormatTime(o.since)) + " to " + Esc(FormatTime(o.until)) +
       (o.tenant.empty() ? std::string(", all tenants") : ", tenant " + Esc(o.tenant)) +
       ". Generated " + Esc(FormatTime(o.generated)) + " by gfictl report.";
  if (o.round) h += " First and last seen are rounded to the period.";
  if (r.indicators_left_out > 0)
    h += " " + std::to_string(r.indicators_left_out) + " indicator(s) with fewer than " +
         std::to_string(o.min_count) + " hits are left out.";
  h += "</p>";

  h += "<section id=\"summary\"><h2>Summary</h2><div class=\"cards\">";
  auto card = [&](const std::string& label, uint64_t v) {
    h += "<div class=\"card\"><b>" + std::to_string(v) + "</b><span>" + Esc(label) + "</span></div>";
  };
  card("messages", r.messages_total);
  for (const auto& [a, n] : r.messages) card(std::string(ToString(a)), n);
  card("indicator hits", r.hits_total);
  card("indicators", r.indicators.size());
  card("false positives", r.false_positives_total);
  h += "</div></section>";

  if (!r.hosts.empty()) {
    h += "<section id=\"hosts\"><h2>Messages per filter host</h2><table><thead><tr><th>Host</th>"
         "<th>Messages</th>";
    for (size_t i = 0; i < kActionNames.size(); ++i)
      h += "<th>" + Esc(std::string(ToString(static_cast<Action>(i)))) + "</th>";
    h += "</tr></thead><tbody>";
    for (const auto& [host, actions] : r.hosts) {
      uint64_t total = 0;
      for (const auto& [a, n] : actions) total += n;
      h += "<tr><td class=\"id\">" + Esc(host.empty() ? "(not recorded)" : host) +
           "</td><td class=\"n\">" + std::to_string(total) + "</td>";
      for (size_t i = 0; i < kActionNames.size(); ++i) {
        auto it = actions.find(static_cast<Action>(i));
        h += "<td class=\"n\">" + std::to_string(it == actions.end() ? 0 : it->second) + "</td>";
      }
      h += "</tr>";
    }
    h += "</tbody></table></section>";
  }

  h += "<section id=\"timeline\"><h2>Messages per action over time</h2>" +
       TimelineChart(r, false, "Messages per action over time") + "</section>";
  h += "<section id=\"timeline-acted\"><h2>Messages acted on (all but accept) over time</h2>" +
       TimelineChart(r, true, "Messages acted on over time") + "</section>";

  std::vector<std::pair<std::string, uint64_t>> top;
  for (const IndicatorAggregate& i : r.indicators) top.emplace_back(i.indicator, i.count);
  h += "<section id=\"top-indicators\"><h2>Top indicators</h2>" +
       BarChart("Top indicators", top, o.top, "#2f6f9f") + "</section>";
  h += "<div class=\"grid2\">";
  h += "<section id=\"feeds\"><h2>Hits per feed</h2>" +
       BarChart("Hits per feed", Rows(r.by_feed), 20, "#4c956c", true) + "</section>";
  h += "<section id=\"types\"><h2>Hits per type</h2>" +
       BarChart("Hits per type", Rows(r.by_type), 20, "#8d6cab", true) + "</section>";
  h += "<section id=\"where\"><h2>Hits per place seen</h2>" +
       BarChart("Hits per place seen", Rows(r.by_where), 20, "#f07b3f", true) + "</section>";
  h += "<section id=\"tenants\"><h2>Hits per tenant</h2>" +
       BarChart("Hits per tenant", Rows(r.by_tenant), 20, "#e0a800", true) + "</section>";
  h += "</div>";

  constexpr size_t kMaxRows = 1000;
  h += "<section id=\"indicators\"><h2>Indicators</h2>";
  if (r.indicators.empty()) {
    h += "<p class=\"empty\">No indicator fired in this period.</p>";
  } else {
    h += "<table><thead><tr><th>Indicator</th><th>Feed</th><th>Type</th><th>Hits</th>"
         "<th>First seen</th><th>Last seen</th><th>Actions</th><th>False positives</th></tr>"
         "</thead><tbody>";
    size_t rows = 0;
    for (const IndicatorAggregate& i : r.indicators) {
      if (++rows > kMaxRows) break;
      std::string actions;
      for (const auto& [a, n] : i.actions)
        actions += (actions.empty() ? "" : ", ") + std::string(ToString(a)) + " " + std::to_string(n);
      h += "<tr><td class=\"id\">" + Esc(i.indicator) +
           (i.sensitive ? " <span class=\"sensitive\">sensitive</span>" : "") + "</td><td>" +
           Esc(i.feed) + "</td><td>" + Esc(i.type) + "</td><td class=\"n\">" +
           std::to_string(i.count) + "</td><td>" + Esc(FormatTime(i.first_seen)) + "</td><td>" +
           Esc(FormatTime(i.last_seen)) + "</td><td>" + Esc(actions) + "</td><td class=\"n\">" +
           std::to_string(i.false_positives) + "</td></tr>";
    }
    h += "</tbody></table>";
    if (r.indicators.size() > kMaxRows)
      h += "<p class=\"note\">The first " + std::to_string(kMaxRows) + " of " +
           std::to_string(r.indicators.size()) +
           " indicators are listed; --format csv or json lists them all.</p>";
  }
  h += "</section>";
  h += "<p class=\"note\">This report holds indicator ids, feed, type, tenant, place and filter "
       "host names and counts only: no customer address, IP, host name, subject, message id or "
       "observed value.</p>";
  h += "</main></body></html>\n";
  return h;
}

}  // namespace gfi
