// What a message leaves in the hit records; see recorder.h. Nothing here reads the envelope, the
// headers or an observed value: only the verdicts' ids, names and actions.
#include "hits/recorder.h"

#include <algorithm>

#include "quarantine/store.h"

namespace gfi {

MessageHits HitsOf(const ScanResult& r, const PolicySettings& policy, int64_t now) {
  MessageHits m;
  m.time = now;
  m.action = r.verdict.action;
  if (r.tenant_verdicts.empty()) {  // allowed, unscanned
    m.tenants.push_back(r.verdict.tenant);
    return m;
  }
  for (const Verdict& v : r.tenant_verdicts) {
    if (std::find(m.tenants.begin(), m.tenants.end(), v.tenant) != m.tenants.end()) continue;
    m.tenants.push_back(v.tenant);
    const size_t first_of_tenant = m.hits.size();
    for (const MatchReport& match : v.matches) {
      bool seen_here = false, seen = false;
      for (size_t i = first_of_tenant; i < m.hits.size(); ++i) {
        if (m.hits[i].indicator != match.indicator || m.hits[i].feed != match.feed) continue;
        seen = true;
        if (m.hits[i].where == match.where) seen_here = true;
      }
      if (seen_here) continue;
      HitRecord h;
      h.time = now;
      h.tenant = v.tenant;
      h.feed = match.feed;
      h.indicator = match.indicator;
      h.type = match.type;
      h.where = match.where;
      h.action = match.action;
      h.monitor = v.monitor;
      h.sensitive = match.redacted || IsSensitiveMarking(policy, match.marking);
      h.counted = !seen;
      m.hits.push_back(std::move(h));
    }
  }
  return m;
}

std::vector<FalsePositive> FalsePositivesOf(const QuarantineEntry& e, int64_t now) {
  std::vector<FalsePositive> out;
  for (const QuarantineMatch& match : e.matches) {
    if (std::any_of(out.begin(), out.end(),
                    [&](const FalsePositive& f) { return f.indicator == match.indicator; }))
      continue;
    out.push_back({now, e.tenant.empty() ? "default" : e.tenant, match.indicator, match.type});
  }
  return out;
}

}  // namespace gfi
