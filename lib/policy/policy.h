// Policy: from matches to a verdict. The strictest action of all matches wins; a match's action is
// the indicator's own, else its feed's (configured), else the default. Values of indicators whose
// marking is sensitive are redacted from what the verdict reports.
//
// Pure functions over plain values; thread-safe.
#ifndef GFI_POLICY_POLICY_H_
#define GFI_POLICY_POLICY_H_

#include <map>
#include <string>
#include <vector>

#include "indicators/indicator.h"
#include "match/snapshot.h"

namespace gfi {

struct PolicySettings {
  Action default_action = Action::kQuarantine;
  std::map<std::string, Action> feed_actions;                // feed file name -> action
  std::vector<std::string> sensitive_markings = {"TLP:RED"};  // compared case-insensitively
};

struct MatchReport {
  std::string indicator;  // id
  std::string feed;
  std::string type;       // term kind ("domain", "subject-regex", ...)
  std::string value;      // the indicator's value; empty when redacted
  std::string observed;   // what the message contained; empty when redacted
  Where where;
  Action action;
  bool redacted = false;
  std::string marking;
};

struct Verdict {
  Action action = Action::kAccept;
  std::vector<MatchReport> matches;
};

bool IsSensitiveMarking(const PolicySettings& p, std::string_view marking);

// `reveal` shows sensitive values anyway (gfictl scan --reveal, for cleared analysts).
Verdict Decide(const std::vector<Match>& matches, const IndicatorSnapshot& snapshot,
               const PolicySettings& policy, bool reveal);

}  // namespace gfi

#endif  // GFI_POLICY_POLICY_H_
