// Hit records: which indicators fired, where, with what action, for which tenant, and how many
// messages were scanned per action — and nothing about the message itself. A record never holds
// the sender, the recipients, the client's address or name, the subject, the message id or the
// observed value (product.md, "Hits reported back without customer content"): the types below
// have no field that could carry them.
//
// One interface, several backends: the embedded SQLite file beside the quarantine index
// ([store] backend = "sqlite": [quarantine] dir/hits.sqlite) today, a shared database next.
// tests/unit/hit_store_contract_test.cc is the contract every backend passes. The SQL is kept to
// what SQLite and PostgreSQL both speak (INSERT ... ON CONFLICT DO UPDATE, GROUP BY, no
// AUTOINCREMENT, no date functions), so a second backend is the same statements on another
// connection.
//
// Every backend is thread-safe and safe against other processes (the daemon writes while gfictl
// reads). Errors carry kIo (the disk or database failed), kNotFound (no hit records where the
// configuration says; gfictl report names the path) or kCorruption (a foreign schema).
#ifndef GFI_HITS_HIT_STORE_H_
#define GFI_HITS_HIT_STORE_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "global/vocabulary.h"
#include "util/status.h"

namespace gfi {

// One indicator seen at one place in one message, for one tenant. A message that matches the same
// indicator at several places (a domain in the text and the HTML part) gives one record per place;
// only the first is `counted`, so an indicator's count is the number of messages (per tenant) it
// fired in, and its `where` breakdown says where it was seen.
struct HitRecord {
  int64_t time = 0;    // unix seconds
  std::string tenant;  // the operator's own [[tenant]] name, or "default"
  std::string feed;    // the feed's name (file name, or the [[feeds.taxii]] source's name)
  std::string indicator;  // the indicator's id (never its value)
  std::string type;       // term kind ("domain", "sha256", ...), "spf" or "defect"
  Where where = Where::kBodyText;
  Action action = Action::kAccept;  // the action the policy chose for this match
  bool monitor = false;    // a monitor-only tenant: the action was logged, not enforced
  bool sensitive = false;  // the indicator's marking is in [policy] sensitive_markings
  bool counted = true;     // the first record of this indicator in this message
  bool operator==(const HitRecord&) const = default;
};

// Messages per action, per hour and tenant. Kept as counts: a busy hour is one row per tenant
// and action, whatever the traffic.
struct MessageCount {
  int64_t hour = 0;  // unix seconds, a multiple of 3600
  std::string tenant;
  Action action = Action::kAccept;  // what was enforced on the message
  uint64_t count = 0;
  std::string host;  // the filter host that scanned them ([store] host_name); "" = not recorded
};

// A reviewer released a quarantined message as a false positive (gfictl quarantine release
// --false-positive): one record per indicator of the entry.
struct FalsePositive {
  int64_t time = 0;  // of the release
  std::string tenant;
  std::string indicator;
  std::string type;
};

// What one transaction writes.
struct HitBatch {
  std::vector<HitRecord> hits;
  std::vector<MessageCount> messages;
  std::vector<FalsePositive> false_positives;
  bool empty() const { return hits.empty() && messages.empty() && false_positives.empty(); }
};

// [since, until): unix seconds; until 0 = unbounded. Message counts are per hour: an hour counts
// when it starts inside the period. tenant "" = every tenant.
struct HitQuery {
  int64_t since = 0, until = 0;
  std::string tenant;
};

struct IndicatorAggregate {
  std::string indicator, feed, type;
  uint64_t count = 0;  // messages it fired in (per tenant)
  int64_t first_seen = 0, last_seen = 0;
  bool sensitive = false;
  uint64_t monitor = 0;  // of count, in monitor-only tenants
  std::map<Action, uint64_t> actions;     // of count
  std::map<Where, uint64_t> where;        // every place it was seen (may sum to more than count)
  std::map<std::string, uint64_t> tenants;  // of count
  uint64_t false_positives = 0;
};

struct MessageBucket {
  int64_t hour = 0;
  Action action = Action::kAccept;
  uint64_t count = 0;
  bool operator==(const MessageBucket&) const = default;
};

struct HitAggregates {
  std::vector<IndicatorAggregate> indicators;  // ordered by indicator, feed, type
  std::vector<MessageBucket> messages;         // ordered by hour, action
  // Messages per action per filter host (a shared store holds a fleet's); "" = counts written
  // before hosts were recorded.
  std::map<std::string, std::map<Action, uint64_t>> hosts;
  // False positives of indicators with no hit in the period (released later than they fired).
  std::map<std::string, uint64_t> false_positives_only;
};

struct HitStoreCounts {
  uint64_t hits = 0;             // records
  uint64_t message_rows = 0;     // (hour, tenant, action) rows
  uint64_t messages = 0;         // messages counted in them
  uint64_t false_positives = 0;  // records
  int64_t oldest = 0, newest = 0;  // hit times; 0 when none
};

class HitStore {
 public:
  virtual ~HitStore() = default;
  // Writes everything in one transaction (all or nothing). Message counts add to existing rows.
  virtual Status Write(const HitBatch& batch) = 0;
  // Aggregates for a period and tenant, computed by the backend (one pass over the period's rows).
  virtual Result<HitAggregates> Aggregate(const HitQuery& query) = 0;
  // Removes hit records, false positives and message counts older than `before`; returns how
  // many rows went.
  virtual Result<uint64_t> Purge(int64_t before) = 0;
  virtual Result<HitStoreCounts> Counts() = 0;
  // "sqlite:/var/lib/gfi-milter/quarantine/hits.sqlite", for messages.
  virtual std::string Describe() const = 0;
};

struct HitStoreOpenOptions {
  bool create = false;  // create the store (the daemon); gfictl report opens an existing one
  bool read_only = false;
  std::optional<std::pair<uid_t, gid_t>> owner;  // the daemon's user, when started as root
};

// The store [store] backend names (sqlite: HitStorePath(config)).
Result<std::unique_ptr<HitStore>> OpenHitStore(const Config& config,
                                               const HitStoreOpenOptions& options);
// The SQLite file: [quarantine] dir + "/hits.sqlite".
std::string HitStorePath(const Config& config);

}  // namespace gfi

#endif  // GFI_HITS_HIT_STORE_H_
