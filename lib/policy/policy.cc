// Verdict from matches; see policy.h. Redaction happens here, once, so no output path (reply,
// log, report) can forget it.
#include "policy/policy.h"

#include "util/strings.h"

namespace gfi {

bool IsSensitiveMarking(const PolicySettings& p, std::string_view marking) {
  for (const std::string& m : p.sensitive_markings)
    if (EqualsIgnoreCase(m, marking)) return true;
  return false;
}

Verdict Decide(const std::vector<Match>& matches, const IndicatorSnapshot& snapshot,
               const PolicySettings& policy, bool reveal) {
  Verdict v;
  for (const Match& m : matches) {
    RuleView r = snapshot.rule(m.rule);
    MatchReport rep;
    rep.indicator = r.id;
    rep.feed = std::string(r.feed);
    rep.type = std::string(ToString(m.kind));
    rep.where = m.where;
    rep.marking = std::string(r.marking);
    if (r.action) {
      rep.action = *r.action;
    } else if (auto it = policy.feed_actions.find(rep.feed); it != policy.feed_actions.end()) {
      rep.action = it->second;
    } else {
      rep.action = policy.default_action;
    }
    rep.redacted = !reveal && IsSensitiveMarking(policy, r.marking);
    if (!rep.redacted) {
      rep.value = std::string(r.display);
      rep.observed = m.observed;
    }
    if (rep.action > v.action) v.action = rep.action;
    v.matches.push_back(std::move(rep));
  }
  return v;
}

}  // namespace gfi
