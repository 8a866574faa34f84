// ScanMessage and the verdict log line; see scan.h. The order of the steps is the daemon's
// historical one (allow lists, analysis, matching, SPF, policy), so logs and headers keep their
// meaning; only the place changed.
#include "engine/scan.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "util/strings.h"

namespace gfi {
namespace {

constexpr size_t kMaxMatchHeaders = 20;
constexpr size_t kMaxLogLine = 3500;  // syslog lines stay well under the common 4 KiB limit

std::string MatchSummary(const MatchReport& r) {
  return PrintableUtf8("indicator=" + r.indicator + "; type=" + r.type +
                       "; where=" + std::string(ToString(r.where)) +
                       "; action=" + std::string(ToString(r.action)));
}

bool ContainsIgnoreCase(std::string_view text, std::string_view part) {
  if (part.empty() || part.size() > text.size()) return false;
  for (size_t i = 0; i + part.size() <= text.size(); ++i)
    if (EqualsIgnoreCase(text.substr(i, part.size()), part)) return true;
  return false;
}

// The field's text, or "withheld" when it gives a sensitive match's observed value away.
std::string LogValue(const ScanResult& r, std::string_view text) {
  for (const std::string& v : r.withheld_values)
    if (ContainsIgnoreCase(text, v)) return "withheld";
  return PrintableUtf8(text);
}

void AddHeaders(const Envelope& env, const ScanOptions& o, ScanResult* r) {
  if (r->spf) {
    const SpfCheck& spf = *r->spf;
    std::string ar = r->authserv_id + "; spf=" + std::string(ToString(spf.result));
    if (spf.identity == "helo") {
      ar += " smtp.helo=" + spf.domain;
    } else {
      ar += " smtp.mailfrom=" + env.mail_from;
    }
    r->add_headers.emplace_back("Authentication-Results", PrintableUtf8(ar));
    if (!spf.received_spf.empty())
      r->add_headers.emplace_back("Received-SPF", PrintableUtf8(spf.received_spf));
  }
  const Verdict& v = r->verdict;
  if (v.action != Action::kTag && v.action != Action::kQuarantine) return;
  std::string vh = std::string(ToString(v.action)) + "; ref=" + o.ref + "; tenant=" + v.tenant +
                   "; matches=" + std::to_string(v.matches.size());
  if (v.monitor) vh += "; monitor; would=" + std::string(ToString(v.would_action));
  r->add_headers.emplace_back(std::string(kVerdictHeader), PrintableUtf8(vh));
  size_t n = 0;
  for (const MatchReport& m : v.matches) {
    if (++n > kMaxMatchHeaders) break;
    r->add_headers.emplace_back(std::string(kMatchHeader), MatchSummary(m));
  }
}

}  // namespace

RecipientPolicy RecipientPolicyOf(const PolicySettings& policy, std::string_view rcpt) {
  return {TenantFor(policy, rcpt), RecipientAllowed(policy, rcpt)};
}

std::vector<int> RecipientTenants(const PolicySettings& policy,
                                  const std::vector<std::string>& rcpts) {
  std::vector<int> tenants;
  for (const std::string& r : rcpts) {
    int t = TenantFor(policy, r);
    if (std::find(tenants.begin(), tenants.end(), t) == tenants.end()) tenants.push_back(t);
  }
  if (tenants.empty()) tenants.push_back(-1);
  return tenants;
}

Result<ScanResult> ScanMessage(const EngineState& state, const Envelope& envelope,
                               std::string_view message, const ScanOptions& options) {
  const PolicySettings& p = state.policy;
  ScanResult r;
  r.verdict.tenant = "default";

  // Allow lists. A tenant's allowed sender skips scanning only when every recipient's tenant
  // allows it.
  const std::vector<int> tenants = RecipientTenants(p, envelope.rcpt_to);
  bool all_rcpts_allowed =
      !envelope.rcpt_to.empty() &&
      std::all_of(envelope.rcpt_to.begin(), envelope.rcpt_to.end(),
                  [&](const std::string& rcpt) { return RecipientAllowed(p, rcpt); });
  bool sender_ok = std::all_of(tenants.begin(), tenants.end(),
                               [&](int t) { return SenderAllowed(p, t, envelope.mail_from); });
  if (!envelope.client_ip.empty() && ClientAllowed(p, envelope.client_ip)) {
    r.allowed_by = "client_networks";
  } else if (sender_ok) {
    r.allowed_by = "senders";
  } else if (all_rcpts_allowed) {
    r.allowed_by = "recipients";
  }
  if (!r.allowed_by.empty()) {
    if (tenants.size() == 1) r.verdict.tenant = std::string(TenantName(p, tenants[0]));
    return r;
  }

  const AnalysisLimits& limits = state.config.limits;
  MatchBudget budget;
  budget.max_regex_bytes = limits.max_regex_bytes;
  budget.deadline = Deadline::After(std::chrono::milliseconds(limits.max_scan_ms),
                                    options.started.value_or(Deadline::Clock::now()));
  r.analysis = AnalyzeMessage(message, envelope, limits, budget.deadline);
  // Defects of matching (limit.regex_bytes, limit.scan_time, limit.regex_memory) join the
  // analysis's: the policy and the report see one list.
  state.snapshot->MatchMessage(r.analysis, options.now, budget, &r.matches, &r.analysis.defects);

  // SPF (MAIL FROM, or HELO for the null sender) for network clients only.
  r.authserv_id = AuthservId(state.config.milter, options.mta_host);
  DecisionContext dc;
  dc.defects = r.analysis.defects;  // limit.* and rules with defects reach the verdict
  if (options.spf && state.spf && !envelope.client_ip.empty()) {
    r.spf = state.spf->Check(envelope.client_ip, envelope.helo, envelope.mail_from);
    dc.spf = std::string(ToString(r.spf->result));
    dc.spf_domain = r.spf->domain;
  }
  bool first = true;
  for (int t : tenants) {  // strictest of the recipients' tenants (split mode: just one)
    dc.tenant = t;
    Verdict vt = Decide(r.matches, *state.snapshot, p, options.reveal, dc);
    if (first || vt.action > r.verdict.action) r.verdict = vt;
    r.tenant_verdicts.push_back(std::move(vt));
    first = false;
  }
  // Decide reports the snapshot's matches in order (SPF's own match, if any, last).
  for (size_t i = 0; i < r.matches.size(); ++i) {
    RuleView rule = state.snapshot->rule(r.matches[i].rule);
    if (IsSensitiveRule(p, rule) && !r.matches[i].observed.empty())
      r.withheld_values.push_back(r.matches[i].observed);
  }

  r.remove_headers = FindForgedHeaders(message, {r.authserv_id});
  AddHeaders(envelope, options, &r);
  return r;
}

std::string VerdictLogLine(const ScanResult& r, const Envelope& env, const LogContext& c) {
  std::string line = (c.queue_id.empty() ? std::string("NOQUEUE") : c.queue_id) + ": ref=" + c.ref;
  if (!r.allowed_by.empty()) {
    return line + " from=<" + PrintableUtf8(env.mail_from) +
           "> rcpts=" + std::to_string(env.rcpt_to.size()) + " allowed by [allow] " + r.allowed_by +
           ", not scanned";
  }
  const Verdict& v = r.verdict;
  line += " action=" + std::string(ToString(v.action));
  if (v.monitor) line += " would=" + std::string(ToString(v.would_action)) + " monitor=yes";
  line += " tenant=" + v.tenant;
  line += " from=<" + LogValue(r, env.mail_from) + ">";
  line += " rcpts=" + std::to_string(env.rcpt_to.size());
  line += " client=" + (env.client_ip.empty() ? std::string("local") : LogValue(r, env.client_ip));
  line += " spf=" + (r.spf ? std::string(ToString(r.spf->result)) : std::string("none-checked"));
  line += " size=" + std::to_string(c.size);
  line += " defects=" + std::to_string(r.analysis.defects.size());
  char ms[32];
  std::snprintf(ms, sizeof(ms), "%.2f", c.scan_ms);
  line += " scan_ms=" + std::string(ms);
  if (!c.note.empty()) line += " " + c.note;
  line += " matches=" + std::to_string(v.matches.size());
  for (const MatchReport& m : v.matches) {
    line += " [" + PrintableUtf8(m.indicator) + " " + m.type + " " +
            std::string(ToString(m.where)) + " " + std::string(ToString(m.action));
    if (!m.redacted && !m.value.empty()) line += " value=" + PrintableUtf8(m.value);
    line += "]";
    if (line.size() > kMaxLogLine) {
      line += " ...";
      break;
    }
  }
  return line;
}

}  // namespace gfi
