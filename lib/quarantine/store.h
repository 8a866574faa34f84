// The embedded quarantine store: one file per message under DIR/messages and an SQLite index
// (DIR/index.sqlite, WAL mode, synchronous=FULL) of what was held, why, and what happened since.
//
// Put() is durable before it returns: message written to a temp file, fsync'd, renamed into place,
// the directory fsync'd, then the index row committed. A failure at any step returns an error (the
// milter answers tempfail) and leaves no index row pointing at a partial file. Files are created
// 0640 and directories 0750: private to the daemon's user and its group (the admins).
//
// Thread-safe (one connection behind a mutex; SQLite's busy timeout covers other processes).
#ifndef GFI_QUARANTINE_STORE_H_
#define GFI_QUARANTINE_STORE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

struct sqlite3;

namespace gfi {

struct QuarantineMatch {
  std::string indicator, type, where, action;
};

struct QuarantineEvent {
  int64_t time = 0;
  std::string status;  // held | releasing | released | deleted | missing
  std::string by;      // user (or "gfi-milter")
  std::string detail;  // e.g. recipients released to
};

struct QuarantineEntry {
  std::string id;  // sortable: time-ordered text
  int64_t time = 0;
  std::string ref, queue_id, client_ip, client_name, helo, mail_from;
  std::vector<std::string> rcpts;
  std::string header_from, subject, tenant, action, mode;  // mode: store | hold
  uint64_t size = 0;
  std::string sha256;  // of the stored message; empty for hold mode (no body kept)
  std::vector<QuarantineMatch> matches;
  // held | releasing | released | deleted | missing (store mode: the message file is gone)
  std::string status = "held";
  std::vector<QuarantineEvent> history;
};

struct QuarantineFilter {
  int64_t since = 0, until = 0;  // 0 = unbounded
  std::string sender, recipient, tenant, indicator, status;  // substring / exact (status)
  size_t limit = 50;
  size_t offset = 0;
};

class QuarantineStore {
 public:
  // create: make the directory and schema when missing (the daemon); gfictl opens existing ones.
  static Result<std::unique_ptr<QuarantineStore>> Open(const std::string& dir, bool create);
  ~QuarantineStore();

  // Stores `raw` (nullopt in hold mode) and indexes `e`; returns the new id.
  Result<std::string> Put(QuarantineEntry e, std::optional<std::string_view> raw);

  Result<std::vector<QuarantineEntry>> List(const QuarantineFilter& f);
  Result<QuarantineEntry> Get(const std::string& id);
  Result<std::string> ReadRaw(const std::string& id);  // verified against the stored sha256
  std::string MessagePath(const std::string& id) const;

  // Entry ids whose id, reference (the GFI-... of the SMTP reply) or MTA queue id is `key`, in
  // list order (newest first); empty when none.
  Result<std::vector<std::string>> Find(const std::string& key);

  // What `f` selects in all (its limit and offset ignored): entries and their message bytes.
  struct Totals {
    size_t entries = 0;
    uint64_t bytes = 0;
  };
  Result<Totals> Count(const QuarantineFilter& f);

  // Every indexed entry as (id, mode, status), for reconciling the index with the files.
  struct IndexRow {
    std::string id, mode, status;
  };
  Result<std::vector<IndexRow>> IndexRows();
  // Names (ids, without ".eml") of the message files under DIR/messages, with their mtimes.
  struct MessageFile {
    std::string id;
    int64_t mtime = 0;
  };
  Result<std::vector<MessageFile>> MessageFiles();
  // Indexes the existing message file of `e.id` (an orphan: no row yet) as entry `e`; size and
  // sha256 are taken from the file. History: held, by `by`, with `detail`.
  Status Adopt(QuarantineEntry e, const std::string& by, const std::string& detail);

  // Status change with history. `expect` guards concurrent changes: the row is only changed when
  // its status is still `expect` (returns an error otherwise).
  Status SetStatus(const std::string& id, const std::string& expect, const std::string& status,
                   const std::string& by, const std::string& detail);
  // Removes the message file and marks the entry deleted.
  Status Delete(const std::string& id, const std::string& by);
  // What Purge(before) would delete, oldest first.
  Result<std::vector<QuarantineEntry>> PurgeCandidates(int64_t before);
  // Entries older than `before` (unix time) are deleted; returns how many.
  Result<size_t> Purge(int64_t before, const std::string& by,
                       const std::function<void(size_t, size_t)>& progress = nullptr);

  // Claims an entry for release (held -> releasing); fails if another release holds it.
  Status ClaimForRelease(const std::string& id, const std::string& by);

  const std::string& dir() const { return dir_; }

 private:
  QuarantineStore() = default;
  Status Exec(const char* sql);
  Status InsertRow(const QuarantineEntry& e, const std::string& status);  // caller holds mu_
  Status AddEvent(const std::string& id, const std::string& status, const std::string& by,
                  const std::string& detail, int64_t now);

  std::string dir_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace gfi

#endif  // GFI_QUARANTINE_STORE_H_
