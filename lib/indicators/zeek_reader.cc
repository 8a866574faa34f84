// Zeek intel files: a "#fields" header naming tab-separated columns, at least indicator and
// indicator_type; "-" and "(empty)" are unset. Indicator types Zeek has and we cannot observe in
// mail (Intel::SOFTWARE, Intel::CERT_HASH, ...) are counted as unsupported, not errors.
#include <string>
#include <vector>

#include "indicators/term.h"
#include "indicators/text_feed_util.h"
#include "util/strings.h"

namespace gfi {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (true) {
    size_t p = s.find(sep, pos);
    out.push_back(s.substr(pos, p == std::string_view::npos ? s.size() - pos : p - pos));
    if (p == std::string_view::npos) break;
    pos = p + 1;
  }
  return out;
}

bool Unset(std::string_view v) { return v.empty() || v == "-" || v == "(empty)"; }

}  // namespace

void ParseZeekIntel(std::string_view text, Feed* feed) {
  std::vector<std::string> columns;
  int col_indicator = -1, col_type = -1, col_desc = -1, col_source = -1, col_action = -1;
  ForEachLine(text, [&](int n, std::string_view line) {
    if (line.empty()) return;
    if (line[0] == '#') {
      if (line.rfind("#fields", 0) == 0) {
        // A second header (concatenated files) starts afresh.
        columns.clear();
        col_indicator = col_type = col_desc = col_source = col_action = -1;
        auto parts = Split(line, '\t');
        for (size_t i = 1; i < parts.size(); ++i) columns.emplace_back(parts[i]);
        for (size_t i = 0; i < columns.size(); ++i) {
          int idx = static_cast<int>(i);
          if (columns[i] == "indicator") col_indicator = idx;
          else if (columns[i] == "indicator_type") col_type = idx;
          else if (columns[i] == "meta.desc") col_desc = idx;
          else if (columns[i] == "meta.source") col_source = idx;
          else if (columns[i] == "meta.gfi_action") col_action = idx;
        }
        if (col_indicator < 0 || col_type < 0)
          AddFeedError(feed, n, "#fields must name 'indicator' and 'indicator_type'");
      }
      return;  // #separator, #path, #open and other directives
    }
    if (columns.empty()) {
      AddFeedError(feed, n, "data before the #fields header");
      return;
    }
    if (col_indicator < 0 || col_type < 0) return;  // reported at #fields
    auto f = Split(line, '\t');
    if (f.size() != columns.size()) {
      AddFeedError(feed, n, "expected " + std::to_string(columns.size()) +
                                " tab-separated fields, got " + std::to_string(f.size()));
      return;
    }
    std::string_view value = f[col_indicator];
    std::string_view type = f[col_type];
    if (Unset(value)) {
      AddFeedError(feed, n, "empty indicator");
      return;
    }
    std::optional<TermKind> kind;
    if (type == "Intel::ADDR" || type == "Intel::SUBNET") kind = TermKind::kIp;
    else if (type == "Intel::DOMAIN") kind = TermKind::kDomain;
    else if (type == "Intel::EMAIL") kind = TermKind::kEmail;
    else if (type == "Intel::URL") kind = TermKind::kUrl;
    else if (type == "Intel::FILE_HASH") kind = TermKindForType("hash", value);
    else if (type == "Intel::FILE_NAME") kind = TermKindForType("filename", value);
    if (!kind) {
      if (type.rfind("Intel::", 0) == 0) {
        feed->unsupported.push_back(feed->path + ":" + std::to_string(n) + ": " +
                                    std::string(type) + " cannot be observed in mail");
      } else {
        AddFeedError(feed, n, "unknown indicator_type '" + std::string(type) + "'");
      }
      return;
    }
    Result<Term> term = MakeTerm(*kind, value);
    if (!term.ok()) {
      AddFeedError(feed, n, term.error());
      return;
    }
    Rule r;
    r.id = feed->name + ":" + std::to_string(n);
    r.feed = feed->name;
    r.display = std::string(value);
    if (col_desc >= 0 && !Unset(f[col_desc])) r.description = std::string(f[col_desc]);
    if (col_source >= 0 && !Unset(f[col_source]) && r.description.empty())
      r.description = std::string(f[col_source]);
    if (col_action >= 0 && !Unset(f[col_action])) {
      r.action = ParseAction(f[col_action]);
      if (!r.action) {
        AddFeedError(feed, n, "unknown meta.gfi_action '" + std::string(f[col_action]) + "'");
        return;
      }
    }
    r.any_of.push_back({std::move(term).value()});
    feed->rules.push_back(std::move(r));
  });
  if (columns.empty() && feed->errors.empty()) AddFeedError(feed, 1, "no #fields header");
}

}  // namespace gfi
