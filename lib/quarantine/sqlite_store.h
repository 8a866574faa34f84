// The embedded quarantine store ([store] backend = "sqlite"): one file per message under
// DIR/messages and an SQLite index (DIR/index.sqlite, WAL mode, synchronous=FULL).
//
// Put() is durable before it returns: message written to a temp file, fsync'd, renamed into place,
// the directory fsync'd, then the index row committed. A failure at any step returns an error (the
// milter answers tempfail) and leaves no index row pointing at a partial file. Files are created
// 0640 and directories 0750: private to the daemon's user and its group (the admins).
//
// Thread-safe (one connection behind a mutex; SQLite's busy timeout covers other processes).
// Besides the QuarantineStore interface, it lets quarantine/reconcile.h compare the index with
// the message files (a backend that keeps the bytes in its database has nothing to reconcile).
#ifndef GFI_QUARANTINE_SQLITE_STORE_H_
#define GFI_QUARANTINE_SQLITE_STORE_H_

#include <mutex>

#include "quarantine/store.h"

struct sqlite3;

namespace gfi {

class SqliteQuarantineStore final : public QuarantineStore {
 public:
  static Result<std::unique_ptr<SqliteQuarantineStore>> Open(const std::string& dir,
                                                             const StoreOpenOptions& options);
  ~SqliteQuarantineStore() override;

  Result<std::string> Put(QuarantineEntry e, std::optional<std::string_view> raw) override;
  Result<std::vector<QuarantineEntry>> List(const QuarantineFilter& f) override;
  Result<QuarantineEntry> Get(const std::string& id) override;
  Result<std::string> ReadRaw(const std::string& id) override;
  Result<std::vector<std::string>> Find(const std::string& key) override;
  Result<Totals> Count(const QuarantineFilter& f) override;
  Status SetStatus(const std::string& id, QuarantineStatus expect, QuarantineStatus status,
                   const std::string& by, const std::string& detail) override;
  Status ClaimForRelease(const std::string& id, const std::string& by) override;
  Status Delete(const std::string& id, const std::string& by) override;
  Result<std::vector<QuarantineEntry>> PurgeCandidates(int64_t before) override;
  Result<size_t> Purge(int64_t before, const std::string& by,
                       const std::function<void(size_t, size_t)>& progress = nullptr) override;
  std::string Describe() const override { return "sqlite:" + dir_; }

  // For reconciling the index with the files:
  std::string MessagePath(const std::string& id) const;
  // Every indexed entry as (id, mode, status).
  struct IndexRow {
    std::string id;
    QuarantineMode mode = QuarantineMode::kStore;
    QuarantineStatus status = QuarantineStatus::kHeld;
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

  const std::string& dir() const { return dir_; }

 private:
  SqliteQuarantineStore() = default;
  Status Exec(const char* sql);
  Status Migrate(const std::string& db);  // the index's schema to kSchemaVersion
  Status InsertRow(const QuarantineEntry& e, QuarantineStatus status);  // caller holds mu_
  Status AddEvent(const std::string& id, QuarantineStatus status, const std::string& by,
                  const std::string& detail, int64_t now);
  Status Chown(uid_t uid, gid_t gid) const;
  Status UnknownRow(const std::string& id) const;

  std::string dir_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace gfi

#endif  // GFI_QUARANTINE_SQLITE_STORE_H_
