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
  std::string status;  // held | released | deleted | release-failed
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

  // Status change with history. `expect` guards concurrent changes: the row is only changed when
  // its status is still `expect` (returns an error otherwise).
  Status SetStatus(const std::string& id, const std::string& expect, const std::string& status,
                   const std::string& by, const std::string& detail);
  // Removes the message file and marks the entry deleted.
  Status Delete(const std::string& id, const std::string& by);
  // Entries older than `before` (unix time) are deleted; returns how many.
  Result<size_t> Purge(int64_t before, const std::string& by,
                       const std::function<void(size_t, size_t)>& progress = nullptr);

  // Claims an entry for release (held -> releasing); fails if another release holds it.
  Status ClaimForRelease(const std::string& id, const std::string& by);

  const std::string& dir() const { return dir_; }

 private:
  QuarantineStore() = default;
  Status Exec(const char* sql);
  Status AddEvent(const std::string& id, const std::string& status, const std::string& by,
                  const std::string& detail, int64_t now);

  std::string dir_;
  sqlite3* db_ = nullptr;
  std::mutex mu_;
};

}  // namespace gfi

#endif  // GFI_QUARANTINE_STORE_H_
