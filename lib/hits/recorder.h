// From a scanned message to what the hit records keep of it (hit_store.h): per tenant, the
// message's enforced action, and one record per indicator and place — ids, names and counts only.
// This is the one place that decides what is recorded, so the daemon's callback stays a push.
//
// Pure function; thread-safe.
#ifndef GFI_HITS_RECORDER_H_
#define GFI_HITS_RECORDER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "engine/scan.h"
#include "hits/hit_store.h"
#include "policy/policy.h"
#include "quarantine/store.h"

namespace gfi {

// What one message adds: its count under the enforced action, once per recipient tenant, and its
// hit records.
struct MessageHits {
  int64_t time = 0;
  Action action = Action::kAccept;
  std::vector<std::string> tenants;  // at least one ("default")
  std::vector<HitRecord> hits;
};

// `now` is the message's time (unix seconds). Matches of the same indicator at the same place are
// one record; SPF and defect matches are recorded like indicators (ids "spf:fail",
// "defect:limit.parts": names only). An allowed (unscanned) message counts as accept.
MessageHits HitsOf(const ScanResult& result, const PolicySettings& policy, int64_t now);

// A quarantine entry released as a false positive: one record per indicator it matched (defects
// and SPF included), at `now`.
std::vector<FalsePositive> FalsePositivesOf(const QuarantineEntry& entry, int64_t now);

}  // namespace gfi

#endif  // GFI_HITS_RECORDER_H_
