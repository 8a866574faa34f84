// ClamAV hash signatures: .hdb lines are MD5:size:name, .hsb lines are SHA1-or-SHA256:size:name
// (optionally :min_flevel). The size field is checked for form but not used for matching: our
// digests already identify the bytes. The signature name is the indicator id.
#include <string>

#include "indicators/term.h"
#include "indicators/text_feed_util.h"
#include "util/strings.h"

namespace gfi {

void ParseClamAvHashes(std::string_view text, bool sha_variant, Feed* feed) {
  ForEachLine(text, [&](int n, std::string_view line) {
    std::string_view t = Trim(line);
    if (t.empty() || t[0] == '#') return;
    size_t c1 = t.find(':');
    size_t c2 = c1 == std::string_view::npos ? c1 : t.find(':', c1 + 1);
    if (c2 == std::string_view::npos) {
      AddFeedError(feed, n, "expected HASH:SIZE:NAME");
      return;
    }
    std::string_view hash = t.substr(0, c1);
    std::string_view size = t.substr(c1 + 1, c2 - c1 - 1);
    std::string_view rest = t.substr(c2 + 1);
    std::string_view name = rest.substr(0, rest.find(':'));
    bool size_ok = size == "*" || (!size.empty() && size.find_first_not_of("0123456789") ==
                                                        std::string_view::npos);
    if (!size_ok) {
      AddFeedError(feed, n, "bad size '" + std::string(size) + "'");
      return;
    }
    if (name.empty()) {
      AddFeedError(feed, n, "missing signature name");
      return;
    }
    TermKind kind = TermKind::kMd5;
    if (sha_variant) {
      if (hash.size() == 40) kind = TermKind::kSha1;
      else if (hash.size() == 64) kind = TermKind::kSha256;
      else {
        AddFeedError(feed, n, ".hsb hash must be 40 (SHA-1) or 64 (SHA-256) hex digits");
        return;
      }
    }
    Result<Term> term = MakeTerm(kind, hash, WhereBit(Where::kAttachment) |
                                                WhereBit(Where::kArchiveMember));
    if (!term.ok()) {
      AddFeedError(feed, n, term.error());
      return;
    }
    Rule r;
    r.id = std::string(name);
    r.feed = feed->name;
    r.display = std::string(hash);
    r.any_of.push_back({std::move(term).value()});
    feed->rules.push_back(std::move(r));
  });
}

}  // namespace gfi
