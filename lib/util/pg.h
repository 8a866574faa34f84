// A small bounded pool of PostgreSQL connections (libpq) for the shared stores
// (quarantine/pg_store.h, hits/pg_hit_store.h).
//
// The connection string is passed through to libpq untouched (several hosts with
// target_session_attrs=read-write follow a standby promotion); it is never printed, since it may
// hold a password. Every connection gets a statement_timeout and a connect_timeout; statements are
// prepared once per connection. A connection found broken is closed and replaced on the next
// Acquire: the error of the query that found it is kIo, never a false success.
#ifndef GFI_UTIL_PG_H_
#define GFI_UTIL_PG_H_

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "util/status.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace gfi {

struct PgParam {
  std::string value;
  bool null = false;
  bool binary = false;  // sent as raw bytes (a bytea)
};

// A query's rows; text format unless the query asked for binary results.
class PgRows {
 public:
  PgRows() = default;
  explicit PgRows(PGresult* r);
  PgRows(PgRows&&) noexcept;
  PgRows& operator=(PgRows&&) noexcept;
  ~PgRows();
  int size() const;
  std::string Text(int row, int col) const;
  int64_t Int(int row, int col) const;
  bool Null(int row, int col) const;
  int64_t affected() const;  // rows changed by an INSERT/UPDATE/DELETE

 private:
  PGresult* r_ = nullptr;
};

class PgPool;

// One connection taken from the pool; given back when destroyed.
class PgConn {
 public:
  PgConn(PgPool* pool, PGconn* c) : pool_(pool), c_(c) {}
  PgConn(PgConn&& o) noexcept : pool_(o.pool_), c_(o.c_) { o.c_ = nullptr; }
  PgConn(const PgConn&) = delete;
  PgConn& operator=(const PgConn&) = delete;
  ~PgConn();

  // Runs `sql` (prepared once on this connection) with $1.. = params.
  Result<PgRows> Query(const std::string& sql, const std::vector<PgParam>& params = {},
                       bool binary_result = false);
  // A statement without parameters or result (BEGIN, COMMIT, DDL); not prepared.
  Status Exec(const std::string& sql);
  // ROLLBACK when a transaction is open (best effort).
  void Rollback();

 private:
  Status Failure(const std::string& what, PGresult* r);
  PgPool* pool_;
  PGconn* c_;
};

class PgPool {
 public:
  // `what` names the store in messages ("postgresql quarantine"). Connects once to check.
  static Result<std::unique_ptr<PgPool>> Open(const std::string& dsn, const std::string& what,
                                              size_t max_connections, int statement_timeout_ms);
  ~PgPool();

  // A connection; waits while `max_connections` are in use; connects (or reconnects) as needed.
  Result<PgConn> Acquire();
  const std::string& what() const { return what_; }

 private:
  friend class PgConn;
  PgPool() = default;
  Result<PGconn*> Connect();
  void Release(PGconn* c);
  std::unordered_set<std::string>& Prepared(PGconn* c);

  std::string dsn_, what_;
  size_t max_ = 4;
  int timeout_ms_ = 10000;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PGconn*> idle_;
  size_t open_ = 0;  // idle + leased
  std::unordered_map<PGconn*, std::unordered_set<std::string>> prepared_;  // names per connection
};

// Creates or upgrades one component's tables under an advisory lock: `steps[v]` brings version v
// to v + 1. Refuses a stored version newer than steps.size() (kCorruption, naming both).
Status PgMigrate(PgConn& c, const std::string& component, const std::vector<std::string>& steps);

// The connection string: the first line of `path` ([store] dsn_file), refused when the file is
// readable or writable by others (it may hold a password; the daemon's group, the admins running
// gfictl, may read it). Messages name the file, never its content.
Result<std::string> ReadDsnFile(const std::string& path);

// The stored schema version of `component`; 0 when it has none (or no version table).
Result<int> PgSchemaVersion(PgConn& c, const std::string& component);

}  // namespace gfi

#endif  // GFI_UTIL_PG_H_
