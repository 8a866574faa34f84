// The embedded hit-record store ([store] backend = "sqlite"): one SQLite file beside the
// quarantine index ([quarantine] dir/hits.sqlite), WAL mode, synchronous=NORMAL (a record lost in
// a power cut is a count off by a few; the quarantine itself is FULL). Mode 0640, like the index.
//
// Thread-safe: one connection behind a mutex; SQLite's busy timeout covers the other process
// (gfictl report reads while the daemon writes, WAL lets both go on).
#ifndef GFI_HITS_SQLITE_HIT_STORE_H_
#define GFI_HITS_SQLITE_HIT_STORE_H_

#include <memory>
#include <mutex>
#include <string>

#include "hits/hit_store.h"

struct sqlite3;

namespace gfi {

class SqliteHitStore final : public HitStore {
 public:
  static Result<std::unique_ptr<SqliteHitStore>> Open(const std::string& path,
                                                      const HitStoreOpenOptions& options);
  ~SqliteHitStore() override;
  SqliteHitStore(const SqliteHitStore&) = delete;
  SqliteHitStore& operator=(const SqliteHitStore&) = delete;

  Status Write(const HitBatch& batch) override;
  Result<HitAggregates> Aggregate(const HitQuery& query) override;
  Result<uint64_t> Purge(int64_t before) override;
  Result<HitStoreCounts> Counts() override;
  std::string Describe() const override { return "sqlite:" + path_; }

 private:
  SqliteHitStore() = default;
  Status Exec(const char* sql);
  Status Migrate(bool writable);  // to kSchemaVersion when writable; sets has_host_
  Status Error(const std::string& what) const;  // kIo with SQLite's message

  std::string path_;
  sqlite3* db_ = nullptr;
  bool has_host_ = true;  // message_counts has its host column (false: a version-0 file, read only)
  std::mutex mu_;
};

}  // namespace gfi

#endif  // GFI_HITS_SQLITE_HIT_STORE_H_
