// Verdict from matches; see policy.h. Redaction happens here, once, so no output path (reply,
// log, report) can forget it.
#include "policy/policy.h"


#include <algorithm>
#include <cstring>

#include "util/strings.h"

namespace gfi {
namespace {

bool Contains(const std::vector<std::string>& list, std::string_view v) {
  return std::any_of(list.begin(), list.end(),
                     [v](const std::string& x) { return EqualsIgnoreCase(x, v); });
}

std::optional<Action> Lookup(const std::map<std::string, Action>& m, const std::string& key) {
  auto it = m.find(key);
  if (it == m.end()) return std::nullopt;
  return it->second;
}

// Marking keys compare case-insensitively ("tlp:amber" = "TLP:AMBER").
std::optional<Action> LookupMarking(const std::map<std::string, Action>& m, std::string_view key) {
  if (key.empty()) return std::nullopt;
  for (const auto& [k, v] : m)
    if (EqualsIgnoreCase(k, key)) return v;
  return std::nullopt;
}

// `domain` equals `parent` or is one of its subdomains.
bool InDomain(std::string_view domain, std::string_view parent) {
  while (!parent.empty() && parent.front() == '.') parent.remove_prefix(1);
  while (!domain.empty() && domain.back() == '.') domain.remove_suffix(1);
  while (!parent.empty() && parent.back() == '.') parent.remove_suffix(1);
  if (parent.empty() || domain.size() < parent.size()) return false;
  if (!EqualsIgnoreCase(domain.substr(domain.size() - parent.size()), parent)) return false;
  return domain.size() == parent.size() || domain[domain.size() - parent.size() - 1] == '.';
}

std::string_view StripBrackets(std::string_view a) {
  while (!a.empty() && (a.front() == '<' || a.front() == ' ')) a.remove_prefix(1);
  while (!a.empty() && (a.back() == '>' || a.back() == ' ')) a.remove_suffix(1);
  return a;
}

std::string_view DomainOf(std::string_view address) {
  size_t at = address.rfind('@');
  return at == std::string_view::npos ? std::string_view() : address.substr(at + 1);
}

}  // namespace

bool AddressMatches(std::string_view pattern, std::string_view address) {
  address = StripBrackets(address);
  if (pattern.empty() || address.empty()) return false;
  size_t at = pattern.find('@');
  if (at != std::string_view::npos && at > 0) return EqualsIgnoreCase(pattern, address);
  std::string_view domain = at == std::string_view::npos ? pattern : pattern.substr(at + 1);
  return InDomain(DomainOf(address), domain);
}

// "limit.*" matches "limit.parts"; "archive.encrypted" only itself.
static bool DefectMatches(std::string_view pattern, std::string_view name) {
  if (!pattern.empty() && pattern.back() == '*') {
    pattern.remove_suffix(1);
    return name.substr(0, pattern.size()) == pattern;
  }
  return pattern == name;
}

PolicySettings PolicyFromConfig(const Config& config) {
  PolicySettings p;
  const PolicyConfig& c = config.policy;
  p.default_action = c.default_action;
  p.feed_actions = c.feed_actions;
  p.type_actions = c.type_actions;
  p.marking_actions = c.marking_actions;
  p.sensitive_markings = c.sensitive_markings;
  p.split_mixed_tenants = c.mixed_tenants == MixedTenants::kSplit;
  for (const PolicyRuleConfig& r : c.rules) {
    PolicyRule rule;
    rule.types = r.types;
    rule.where = r.where;
    rule.feeds = r.feeds;
    rule.markings = r.markings;
    rule.spf = r.spf;
    rule.tenants = r.tenants;
    rule.defects = r.defects;
    rule.action = r.action;
    p.rules.push_back(std::move(rule));
  }
  for (const TenantConfig& t : config.tenants) {
    TenantSettings s;
    s.name = t.name;
    s.domains = t.domains;
    s.monitor = t.monitor;
    s.default_action = t.default_action;
    s.feed_actions = t.feed_actions;
    s.type_actions = t.type_actions;
    s.marking_actions = t.marking_actions;
    s.allow_senders = t.allow_senders;
    p.tenants.push_back(std::move(s));
  }
  for (const std::string& n : config.allow.client_networks) {
    if (auto net = ParseNetwork(n); net.ok()) p.allow_networks.push_back(net.value());
  }
  p.allow_senders = config.allow.senders;
  p.allow_recipients = config.allow.recipients;
  p.spf_protected_domains = config.spf.protected_domains;
  p.spf_fail_action = config.spf.fail_action;
  p.spf_softfail_action = config.spf.softfail_action;
  if (c.limit_action == Action::kAccept) {  // accept = no action
    p.limit_action.reset();
  } else {
    p.limit_action = c.limit_action;
  }
  return p;
}

bool IsSensitiveMarking(const PolicySettings& p, std::string_view marking) {
  // A STIX marking reference that did not resolve to a definition keeps its id as the label:
  // nobody can say it is shareable, so it is sensitive whatever the list says.
  if (marking.rfind("marking-definition--", 0) == 0) return true;
  for (const std::string& m : p.sensitive_markings)
    if (EqualsIgnoreCase(m, marking)) return true;
  return false;
}

bool IsSensitiveRule(const PolicySettings& p, const RuleView& rule) {
  return rule.blinded || IsSensitiveMarking(p, rule.marking);
}

int TenantFor(const PolicySettings& p, std::string_view rcpt) {
  std::string_view domain = DomainOf(StripBrackets(rcpt));
  int best = -1;
  size_t best_len = 0;
  for (size_t i = 0; i < p.tenants.size(); ++i) {
    for (const std::string& d : p.tenants[i].domains) {
      if (InDomain(domain, d) && d.size() > best_len) {
        best = static_cast<int>(i);
        best_len = d.size();
      }
    }
  }
  return best;
}

std::string_view TenantName(const PolicySettings& p, int tenant) {
  if (tenant < 0 || static_cast<size_t>(tenant) >= p.tenants.size()) return "default";
  return p.tenants[static_cast<size_t>(tenant)].name;
}

bool ClientAllowed(const PolicySettings& p, std::string_view client_ip) {
  auto ip = ParseIpLiteral(client_ip);
  if (!ip) return false;
  return std::any_of(p.allow_networks.begin(), p.allow_networks.end(),
                     [&ip](const IpNetwork& n) { return n.Contains(*ip); });
}

bool SenderAllowed(const PolicySettings& p, int tenant, std::string_view mail_from) {
  auto fits = [mail_from](const std::string& pat) { return AddressMatches(pat, mail_from); };
  if (std::any_of(p.allow_senders.begin(), p.allow_senders.end(), fits)) return true;
  if (tenant < 0 || static_cast<size_t>(tenant) >= p.tenants.size()) return false;
  const auto& t = p.tenants[static_cast<size_t>(tenant)].allow_senders;
  return std::any_of(t.begin(), t.end(), fits);
}

bool RecipientAllowed(const PolicySettings& p, std::string_view rcpt) {
  return std::any_of(p.allow_recipients.begin(), p.allow_recipients.end(),
                     [rcpt](const std::string& pat) { return AddressMatches(pat, rcpt); });
}

Verdict Decide(const std::vector<Match>& matches, const IndicatorSnapshot& snapshot,
               const PolicySettings& policy, bool reveal, const DecisionContext& context) {
  Verdict v;
  const TenantSettings* tenant = nullptr;
  if (context.tenant >= 0 && static_cast<size_t>(context.tenant) < policy.tenants.size())
    tenant = &policy.tenants[static_cast<size_t>(context.tenant)];
  v.tenant = std::string(TenantName(policy, context.tenant));

  auto rule_action = [&](const std::string& type, Where where, const std::string& feed,
                         std::string_view marking) -> std::optional<Action> {
    for (const PolicyRule& r : policy.rules) {
      if (!r.defects.empty()) continue;  // rules for defects, below
      if (!r.types.empty() && !Contains(r.types, type)) continue;
      if (!r.where.empty() && !Contains(r.where, ToString(where))) continue;
      if (!r.feeds.empty() && !Contains(r.feeds, feed)) continue;
      if (!r.markings.empty() && !Contains(r.markings, marking)) continue;
      if (!r.spf.empty() && (context.spf.empty() || !Contains(r.spf, context.spf))) continue;
      if (!r.tenants.empty() && !Contains(r.tenants, v.tenant)) continue;
      return r.action;
    }
    return std::nullopt;
  };

  for (const Match& m : matches) {
    RuleView r = snapshot.rule(m.rule);
    MatchReport rep;
    rep.indicator = r.id;
    rep.feed = std::string(r.feed);
    rep.type = std::string(ToString(m.kind));
    rep.where = m.where;
    rep.marking = std::string(r.marking);
    std::optional<Action> a = rule_action(rep.type, rep.where, rep.feed, rep.marking);
    if (!a && tenant != nullptr) {
      if (!(a = LookupMarking(tenant->marking_actions, rep.marking)) &&
          !(a = Lookup(tenant->type_actions, rep.type)))
        a = Lookup(tenant->feed_actions, rep.feed);
    }
    if (!a) a = r.action;
    if (!a && !(a = LookupMarking(policy.marking_actions, rep.marking)) &&
        !(a = Lookup(policy.type_actions, rep.type)))
      a = Lookup(policy.feed_actions, rep.feed);
    if (!a && tenant != nullptr) a = tenant->default_action;
    rep.action = a.value_or(policy.default_action);
    rep.redacted = !reveal && IsSensitiveRule(policy, r);
    if (!rep.redacted) {
      rep.value = std::string(r.display);
      rep.observed = m.observed;
    }
    if (rep.action > v.would_action) v.would_action = rep.action;
    v.matches.push_back(std::move(rep));
  }

  // SPF of a protected sender domain.
  const bool spf_fail = context.spf == ToString(SpfResult::kFail);
  if ((spf_fail || context.spf == ToString(SpfResult::kSoftfail)) && !context.spf_domain.empty() &&
      std::any_of(policy.spf_protected_domains.begin(), policy.spf_protected_domains.end(),
                  [&](const std::string& d) { return InDomain(context.spf_domain, d); })) {
    MatchReport rep;
    rep.indicator = "spf:" + context.spf;
    rep.feed = "spf";
    rep.type = "spf";
    rep.value = context.spf_domain;
    rep.observed = context.spf_domain;
    rep.where = Where::kMailFrom;
    std::optional<Action> a = rule_action("spf", Where::kMailFrom, "spf", "");
    rep.action = a.value_or(spf_fail ? policy.spf_fail_action
                                                   : policy.spf_softfail_action);
    if (rep.action > v.would_action) v.would_action = rep.action;
    v.matches.push_back(std::move(rep));
  }

  // Defects: by name (the text before " at " or ": "), each at most once.
  std::vector<std::string> seen;
  for (const std::string& d : context.defects) {
    std::string name = d.substr(0, d.find_first_of(" :"));  // "limit.parts at 1", "x.y: ..."
    if (name.empty() || Contains(seen, name)) continue;
    seen.push_back(name);
    std::optional<Action> a;
    for (const PolicyRule& r : policy.rules) {
      if (r.defects.empty()) continue;
      if (!r.tenants.empty() && !Contains(r.tenants, v.tenant)) continue;
      if (std::any_of(r.defects.begin(), r.defects.end(),
                      [&](const std::string& pat) { return DefectMatches(pat, name); })) {
        a = r.action;
        break;
      }
    }
    if (!a && name.rfind(kLimitDefectPrefix, 0) == 0) a = policy.limit_action;
    if (!a) continue;
    MatchReport rep;
    rep.indicator = "defect:" + name;
    rep.feed = "defect";
    rep.type = "defect";
    rep.value = name;     // the defect's name only: its details can quote message content
    rep.observed = name;
    rep.where = Where::kBodyText;
    rep.action = *a;
    if (rep.action > v.would_action) v.would_action = rep.action;
    v.matches.push_back(std::move(rep));
  }

  v.monitor = tenant != nullptr && tenant->monitor;
  v.action = v.would_action;
  if (v.monitor && v.action > Action::kTag) v.action = Action::kTag;
  return v;
}

}  // namespace gfi
