// CSV feeds: type,value[,action[,id[,description]]], RFC 4180 quoting, '#' comments, an optional
// header line. A line without an id gets "FEED:LINE" so matches can still be traced to it.
#include <string>
#include <vector>

#include "indicators/term.h"
#include "indicators/text_feed_util.h"
#include "util/strings.h"

namespace gfi {
namespace {

// Splits one CSV record. Returns false on an unterminated quote.
bool SplitCsv(std::string_view line, std::vector<std::string>* fields) {
  fields->clear();
  std::string cur;
  size_t i = 0;
  bool in_quotes = false;
  bool was_quoted = false;
  while (i < line.size()) {
    char c = line[i];
    if (in_quotes) {
      if (c == '"') {
        if (i + 1 < line.size() && line[i + 1] == '"') {
          cur.push_back('"');
          ++i;
        } else {
          in_quotes = false;
        }
      } else {
        cur.push_back(c);
      }
    } else if (c == '"' && Trim(cur).empty()) {
      cur.clear();
      in_quotes = true;
      was_quoted = true;
    } else if (c == ',') {
      fields->push_back(was_quoted ? cur : std::string(Trim(cur)));
      cur.clear();
      was_quoted = false;
    } else {
      cur.push_back(c);
    }
    ++i;
  }
  if (in_quotes) return false;
  fields->push_back(was_quoted ? cur : std::string(Trim(cur)));
  return true;
}

}  // namespace

void ParseCsvFeed(std::string_view text, Feed* feed) {
  std::vector<std::string> f;
  bool seen_record = false;
  ForEachLine(text, [&](int n, std::string_view line) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') return;
    if (!SplitCsv(line, &f)) {
      AddFeedError(feed, n, "unterminated quoted field");
      return;
    }
    // A header line may precede the first record (after comments).
    if (!seen_record && EqualsIgnoreCase(f[0], "type")) {
      seen_record = true;
      return;
    }
    seen_record = true;
    if (f.size() < 2) {
      AddFeedError(feed, n, "expected type,value[,action[,id[,description]]]");
      return;
    }
    if (f.size() > 5) {
      AddFeedError(feed, n, "too many fields (" + std::to_string(f.size()) +
                                "); quote values that contain commas");
      return;
    }
    auto kind = TermKindForType(f[0], f[1]);
    if (!kind) {
      AddFeedError(feed, n, "unknown type '" + f[0] + "'");
      return;
    }
    Result<Term> term = MakeTerm(*kind, f[1]);
    if (!term.ok()) {
      AddFeedError(feed, n, term.error());
      return;
    }
    Rule r;
    if (f.size() >= 3 && !f[2].empty()) {
      r.action = ParseAction(AsciiLowered(f[2]));
      if (!r.action) {
        AddFeedError(feed, n, "unknown action '" + f[2] +
                                  "' (accept, tag, quarantine, tempfail, reject, discard)");
        return;
      }
    }
    r.id = f.size() >= 4 && !f[3].empty() ? f[3] : feed->name + ":" + std::to_string(n);
    if (f.size() >= 5) r.description = f[4];
    r.feed = feed->name;
    r.display = f[1];
    r.any_of.push_back({std::move(term).value()});
    feed->rules.push_back(std::move(r));
  });
}

}  // namespace gfi
