// The quarantine store: what was held, why, and what happened since, behind one interface that
// every backend implements (the embedded SQLite store today: quarantine/sqlite_store.h; a shared
// database for a fleet next). tests/unit/store_contract_test.cc is the contract each backend must
// pass.
//
// Errors carry a code (util/status.h): kNotFound (no such entry), kConflict (changed by someone
// else: a release already claimed, a status no longer the one expected), kIo (disk or database
// failed; the milter answers tempfail), kCorruption (stored bytes or index do not verify),
// kInvalid (a malformed id). Messages name the store and the entry.
//
// Every backend is thread-safe, and safe against other processes using the same store (gfictl
// beside the daemon): a status change is a compare-and-set.
#ifndef GFI_QUARANTINE_STORE_H_
#define GFI_QUARANTINE_STORE_H_

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "global/quarantine_names.h"
#include "util/status.h"

namespace gfi {

struct QuarantineMatch {
  std::string indicator, type, where, action;
};

struct QuarantineEvent {
  int64_t time = 0;
  QuarantineStatus status = QuarantineStatus::kHeld;
  std::string by;      // user (or "gfi-milter")
  std::string detail;  // e.g. recipients released to
};

struct QuarantineEntry {
  std::string id;  // sortable: time-ordered text
  int64_t time = 0;
  std::string ref, queue_id, client_ip, client_name, helo, mail_from;
  std::vector<std::string> rcpts;
  std::string header_from, subject, tenant, action;
  // The host that quarantined it (a shared store serves a fleet); filled by Put when empty.
  std::string host;
  QuarantineMode mode = QuarantineMode::kStore;
  uint64_t size = 0;
  std::string sha256;  // of the stored message; empty for hold mode (no body kept)
  std::vector<QuarantineMatch> matches;
  QuarantineStatus status = QuarantineStatus::kHeld;
  std::vector<QuarantineEvent> history;
};

struct QuarantineFilter {
  int64_t since = 0, until = 0;  // 0 = unbounded
  std::string sender, recipient, tenant, indicator;  // substrings (tenant: exact)
  std::string host;  // exact: the host that quarantined it; "" = any
  std::optional<QuarantineStatus> status;
  size_t limit = 50;
  size_t offset = 0;
};

class QuarantineStore {
 public:
  virtual ~QuarantineStore() = default;

  // Stores `raw` (nullopt in hold mode) and indexes `e`; returns the new id. Durable before it
  // returns; on failure nothing is indexed.
  virtual Result<std::string> Put(QuarantineEntry e, std::optional<std::string_view> raw) = 0;

  // Newest first.
  virtual Result<std::vector<QuarantineEntry>> List(const QuarantineFilter& f) = 0;
  virtual Result<QuarantineEntry> Get(const std::string& id) = 0;  // with its history
  // The stored bytes, exactly, verified against the stored sha256 (kCorruption when they differ).
  virtual Result<std::string> ReadRaw(const std::string& id) = 0;

  // Entry ids whose id, reference (the GFI-... of the SMTP reply) or MTA queue id is `key`, in
  // list order (newest first); empty when none.
  virtual Result<std::vector<std::string>> Find(const std::string& key) = 0;

  // What `f` selects in all (its limit and offset ignored): entries and their message bytes.
  struct Totals {
    size_t entries = 0;
    uint64_t bytes = 0;
  };
  virtual Result<Totals> Count(const QuarantineFilter& f) = 0;

  // Status change with history, only while the entry's status is still `expect` (kConflict
  // otherwise).
  virtual Status SetStatus(const std::string& id, QuarantineStatus expect, QuarantineStatus status,
                           const std::string& by, const std::string& detail) = 0;
  // Claims an entry for release (held -> releasing); kConflict if another release holds it.
  virtual Status ClaimForRelease(const std::string& id, const std::string& by) = 0;
  // Removes the message bytes and marks the entry deleted.
  virtual Status Delete(const std::string& id, const std::string& by) = 0;
  // What Purge(before) would delete, oldest first.
  virtual Result<std::vector<QuarantineEntry>> PurgeCandidates(int64_t before) = 0;
  // Entries older than `before` (unix time) are deleted; returns how many.
  virtual Result<size_t> Purge(int64_t before, const std::string& by,
                               const std::function<void(size_t, size_t)>& progress = nullptr) = 0;

  // Where the store is, for messages: "sqlite:/var/lib/gfi-milter/quarantine".
  virtual std::string Describe() const = 0;
};

struct StoreOpenOptions {
  bool create = false;  // make the store (directories, schema) when missing: the daemon
  // Started as root: the store's files and directories are handed to this user and group (the
  // daemon's), so it can write them after dropping privileges.
  std::optional<std::pair<uid_t, gid_t>> owner;
};

// The store the config names ([store] backend; [quarantine] dir for sqlite).
Result<std::unique_ptr<QuarantineStore>> OpenQuarantineStore(const Config& config,
                                                             const StoreOpenOptions& options);

// Shared by every backend, so ids and digests are the same whichever holds the entry:
// a new entry id (time-ordered text with a random tail, "20261202T101500.123456Z-3af"; `now`
// gets its unix time), whether a text can be an id at all, and the hex SHA-256 of message bytes.
std::string NewQuarantineId(int64_t* now);
bool ValidQuarantineId(const std::string& id);
std::string QuarantineSha256Hex(std::string_view data);

// The name this host writes into a shared store (quarantine entries, hit records): [store]
// host_name, or the machine's host name when that is empty. LocalStoreHost() is the machine's
// ("unknown" when it has none), what Put fills in for an entry that names no host.
std::string StoreHostName(const Config& config);
std::string LocalStoreHost();

}  // namespace gfi

#endif  // GFI_QUARANTINE_STORE_H_
