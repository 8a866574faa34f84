// Policy: from matches to a verdict. The strictest action of all matches wins. A match's action is
// the first of (documented in gfi-milter.toml(5), "Policy"):
//   1. the first [[policy.rule]] whose conditions (type, where, feed, marking, SPF result, tenant)
//      all hold;
//   2. the recipient tenant's marking_actions, type_actions, feed_actions (in that order);
//   3. the indicator's own action (from its feed);
//   4. [policy] marking_actions, type_actions, feed_actions;
//   5. the tenant's default_action, else [policy] default_action.
// A monitor-only tenant's verdict is computed in full (would_action) but enforced as at most `tag`.
// SPF fail/softfail of a protected sender domain is a match of its own (type "spf"). So is a
// defect that a [[policy.rule]] with `defects` names, and every limit.* defect (a message read
// only in part) unless [policy] limit_action = "accept": type "defect", indicator
// "defect:NAME", action the rule's or limit_action.
// Values of indicators whose marking is sensitive are redacted here, once, so no output path
// (reply, log, report) can forget it.
//
// Pure functions over plain values; thread-safe.
#ifndef GFI_POLICY_POLICY_H_
#define GFI_POLICY_POLICY_H_

#include <array>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "indicators/indicator.h"
#include "snapshot/snapshot.h"
#include "util/net.h"
#include "util/status.h"

namespace gfi {

// Sender/recipient patterns: "user@domain" (whole address), "@domain" or "domain" (the domain and
// its subdomains). Case-insensitive.
bool AddressMatches(std::string_view pattern, std::string_view address);

struct TenantSettings {
  std::string name;
  std::vector<std::string> domains;
  bool monitor = false;
  std::optional<Action> default_action;
  std::map<std::string, Action> feed_actions, type_actions, marking_actions;
  std::vector<std::string> allow_senders;
};

struct PolicyRule {
  std::vector<std::string> types, where, feeds, markings, spf, tenants;
  std::vector<std::string> defects;  // names or prefixes ("limit.*"): a rule for defects
  Action action = Action::kQuarantine;
};

struct PolicySettings {
  Action default_action = Action::kQuarantine;
  std::map<std::string, Action> feed_actions;                 // feed file name -> action
  std::map<std::string, Action> type_actions;                 // indicator type -> action
  std::map<std::string, Action> marking_actions;              // marking -> action
  std::vector<std::string> sensitive_markings = {"TLP:RED"};  // compared case-insensitively
  std::vector<PolicyRule> rules;
  std::vector<TenantSettings> tenants;
  bool split_mixed_tenants = true;
  std::vector<IpNetwork> allow_networks;
  std::vector<std::string> allow_senders, allow_recipients;
  std::vector<std::string> spf_protected_domains;
  Action spf_fail_action = Action::kReject;
  Action spf_softfail_action = Action::kTag;
  // limit.* defects (the message was read only in part) not named by a rule; nullopt = accept.
  std::optional<Action> limit_action = Action::kQuarantine;
};

// The settings of a loaded (hence valid) configuration.
PolicySettings PolicyFromConfig(const Config& config);

struct MatchReport {
  std::string indicator;  // id
  std::string feed;
  std::string type;       // term kind ("domain", "subject-regex", ...) or "spf"
  std::string value;      // the indicator's value; empty when redacted
  std::string observed;   // what the message contained; empty when redacted
  Where where;
  Action action;
  bool redacted = false;
  std::string marking;
};

// What Decide needs to know beyond the matches.
struct DecisionContext {
  int tenant = -1;            // index into PolicySettings::tenants; -1 = no tenant ("default")
  std::string spf;            // SPF result name; "" when not checked
  std::string spf_domain;     // the domain SPF checked
  std::vector<std::string> defects;  // the analysis's defects ("limit.parts at 1: ...")
};

struct Verdict {
  Action action = Action::kAccept;       // what is enforced
  Action would_action = Action::kAccept;  // before monitor mode
  bool monitor = false;
  std::string tenant = "default";
  std::vector<MatchReport> matches;
};

bool IsSensitiveMarking(const PolicySettings& p, std::string_view marking);
// A rule whose matches withhold what was observed: a sensitive marking, or a blinded indicator
// (whatever its marking: its value is meant to be known to nobody on the host).
bool IsSensitiveRule(const PolicySettings& p, const RuleView& rule);

// Index of the tenant owning `rcpt` (the one with the longest matching domain), -1 for none.
int TenantFor(const PolicySettings& p, std::string_view rcpt);
std::string_view TenantName(const PolicySettings& p, int tenant);

// Allow lists: a message from an allowed client or sender, or to allowed recipients only, is
// accepted without scanning.
bool ClientAllowed(const PolicySettings& p, std::string_view client_ip);
bool SenderAllowed(const PolicySettings& p, int tenant, std::string_view mail_from);
bool RecipientAllowed(const PolicySettings& p, std::string_view rcpt);

// `reveal` shows sensitive values anyway (gfictl scan --reveal, for cleared analysts).
Verdict Decide(const std::vector<Match>& matches, const IndicatorSnapshot& snapshot,
               const PolicySettings& policy, bool reveal, const DecisionContext& context = {});

}  // namespace gfi

#endif  // GFI_POLICY_POLICY_H_
