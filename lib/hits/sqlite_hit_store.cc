// The SQLite hit-record store; see sqlite_hit_store.h. Names (actions, places) are stored as
// the vocabulary's text (global/vocabulary.h), so the file reads the same in the sqlite3 shell.
#include "hits/sqlite_hit_store.h"

#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <tuple>
#include <unordered_map>

namespace gfi {
namespace {

// Portable SQL (SQLite >= 3.24, PostgreSQL >= 9.5): no AUTOINCREMENT, no date functions.
constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS hits(
  time BIGINT NOT NULL, tenant TEXT NOT NULL, feed TEXT NOT NULL, indicator TEXT NOT NULL,
  type TEXT NOT NULL, where_seen TEXT NOT NULL, action TEXT NOT NULL, monitor INTEGER NOT NULL,
  sensitive INTEGER NOT NULL, counted INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS hits_time ON hits(time);
CREATE TABLE IF NOT EXISTS message_counts(
  hour BIGINT NOT NULL, tenant TEXT NOT NULL, action TEXT NOT NULL, count BIGINT NOT NULL,
  host TEXT NOT NULL DEFAULT '', PRIMARY KEY (hour, tenant, action, host));
CREATE TABLE IF NOT EXISTS false_positives(
  time BIGINT NOT NULL, tenant TEXT NOT NULL, indicator TEXT NOT NULL, type TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS false_positives_time ON false_positives(time);
)";

// The file's schema version (PRAGMA user_version). 0: the first layout, message counts without a
// host; 1: message_counts.host in the key. An older file is upgraded when opened for writing; a
// newer one is refused.
constexpr int kSchemaVersion = 1;
constexpr const char* kMigrateToV1 = R"(
CREATE TABLE message_counts_v1(
  hour BIGINT NOT NULL, tenant TEXT NOT NULL, action TEXT NOT NULL, count BIGINT NOT NULL,
  host TEXT NOT NULL DEFAULT '', PRIMARY KEY (hour, tenant, action, host));
INSERT INTO message_counts_v1(hour, tenant, action, count, host)
  SELECT hour, tenant, action, count, '' FROM message_counts;
DROP TABLE message_counts;
ALTER TABLE message_counts_v1 RENAME TO message_counts;
)";

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, std::string_view v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  void Reset() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  std::string Text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  // Valid until the next Step.
  std::string_view View(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string_view()
                        : std::string_view(reinterpret_cast<const char*>(t),
                                           static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

// The period's bounds as SQL parameters ([since, until)).
std::pair<int64_t, int64_t> Bounds(const HitQuery& q) {
  return {q.since, q.until > 0 ? q.until : std::numeric_limits<int64_t>::max()};
}

}  // namespace

SqliteHitStore::~SqliteHitStore() {
  if (db_ != nullptr) sqlite3_close(db_);
}

Status SqliteHitStore::Error(const std::string& what) const {
  return Status::Error(ErrorCode::kIo, "hit records " + path_ + ": " + what + ": " +
                                           (db_ != nullptr ? sqlite3_errmsg(db_) : "not open"));
}

Status SqliteHitStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : "error";
    sqlite3_free(err);
    return Status::Error(ErrorCode::kIo, "hit records " + path_ + ": " + msg);
  }
  return Status::Ok();
}

Result<std::unique_ptr<SqliteHitStore>> SqliteHitStore::Open(const std::string& path,
                                                             const HitStoreOpenOptions& options) {
  std::unique_ptr<SqliteHitStore> s(new SqliteHitStore());
  s->path_ = path;
  struct stat st;
  if (!options.create && ::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT)
      return Status::Error(ErrorCode::kNotFound,
                           "no hit records at " + path +
                               " (has gfi-milter run with [hits] enabled and this [quarantine] "
                               "dir?)");
    return Status::Error(ErrorCode::kIo,
                         "cannot open hit records " + path + ": " + std::strerror(errno));
  }
  int flags = SQLITE_OPEN_FULLMUTEX |
              (options.read_only ? SQLITE_OPEN_READONLY
                                 : SQLITE_OPEN_READWRITE | (options.create ? SQLITE_OPEN_CREATE : 0));
  mode_t old = ::umask(027);
  int rc = sqlite3_open_v2(path.c_str(), &s->db_, flags, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    int sys = s->db_ != nullptr ? sqlite3_system_errno(s->db_) : 0;
    return Status::Error(ErrorCode::kIo, "cannot open hit records " + path + ": " +
                                             (sys != 0              ? std::strerror(sys)
                                              : s->db_ != nullptr ? sqlite3_errmsg(s->db_)
                                                                  : "out of memory"));
  }
  sqlite3_busy_timeout(s->db_, 5000);
  // A file that is not ours (or an older layout) is named as such, not met as a failed query.
  auto probe = [&]() -> Status {
    Stmt p(s->db_, "SELECT time, counted FROM hits LIMIT 0");
    if (p.ok()) return Status::Ok();
    const int code = sqlite3_errcode(s->db_);
    if (code == SQLITE_ERROR || code == SQLITE_NOTADB)  // no such table or column, not SQLite
      return Status::Error(ErrorCode::kCorruption,
                           "hit records " + path + ": not a gfi-milter hit record store (" +
                               sqlite3_errmsg(s->db_) + ")");
    return Status::Error(ErrorCode::kIo,
                         "cannot read hit records " + path + ": " + sqlite3_errmsg(s->db_));
  };
  if (!options.create) {
    if (Status e = probe(); !e.ok()) return e;
  }
  if (!options.read_only) {
    if (Status e = s->Exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"); !e.ok())
      return e;
    if (Status e = s->Exec(kSchema); !e.ok()) return e;
    if (Status e = probe(); !e.ok()) return e;
  }
  if (Status e = s->Migrate(!options.read_only); !e.ok()) return e;
  if (options.owner && ::geteuid() == 0) {
    for (const std::string& f : {path, path + "-wal", path + "-shm"})
      if (::chown(f.c_str(), options.owner->first, options.owner->second) != 0 && errno != ENOENT)
        return Status::Error(ErrorCode::kIo, f + ": chown: " + std::strerror(errno));
  }
  return s;
}

Status SqliteHitStore::Migrate(bool writable) {
  // Statements still open would make DROP TABLE fail ("table is locked"): each in its scope.
  int64_t v = 0;
  {
    Stmt ver(db_, "PRAGMA user_version");
    if (!ver.ok() || ver.Step() != SQLITE_ROW) return Error("schema version");
    v = ver.Int(0);
  }
  if (v > kSchemaVersion)
    return Status::Error(ErrorCode::kCorruption,
                         "hit records " + path_ + ": schema version " + std::to_string(v) +
                             " is newer than this gfi-milter's (" +
                             std::to_string(kSchemaVersion) + "): upgrade gfi-milter");
  {
    Stmt col(db_, "SELECT count(*) FROM pragma_table_info('message_counts') WHERE name = 'host'");
    if (!col.ok() || col.Step() != SQLITE_ROW) return Error("schema");
    has_host_ = col.Int(0) == 1;
  }
  if (v == kSchemaVersion || !writable) return Status::Ok();  // read-only: read it as it is
  std::lock_guard<std::mutex> lock(mu_);
  Status st = Exec("BEGIN IMMEDIATE");
  if (st.ok() && !has_host_) st = Exec(kMigrateToV1);
  if (st.ok()) st = Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  if (st.ok()) st = Exec("COMMIT");
  if (!st.ok()) {
    Exec("ROLLBACK");
    return st;
  }
  has_host_ = true;
  return st;
}

Status SqliteHitStore::Write(const HitBatch& b) {
  if (b.empty()) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  auto fail = [&](const std::string& what) {
    Status s = Error(what);
    Exec("ROLLBACK");
    return s;
  };
  {
    Stmt ins(db_,
             "INSERT INTO hits(time, tenant, feed, indicator, type, where_seen, action, monitor, "
             "sensitive, counted) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    if (!ins.ok()) return fail("prepare insert");
    for (const HitRecord& h : b.hits) {
      ins.Bind(1, h.time).Bind(2, h.tenant).Bind(3, h.feed).Bind(4, h.indicator).Bind(5, h.type);
      ins.Bind(6, ToString(h.where)).Bind(7, ToString(h.action));
      ins.Bind(8, int64_t{h.monitor}).Bind(9, int64_t{h.sensitive}).Bind(10, int64_t{h.counted});
      if (ins.Step() != SQLITE_DONE) return fail("insert");
      ins.Reset();
    }
  }
  {
    Stmt up(db_,
            "INSERT INTO message_counts(hour, tenant, action, count, host) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (hour, tenant, action, host) DO UPDATE SET count = message_counts.count + "
            "excluded.count");
    if (!up.ok()) return fail("prepare message count");
    for (const MessageCount& m : b.messages) {
      up.Bind(1, m.hour).Bind(2, m.tenant).Bind(3, ToString(m.action));
      up.Bind(4, static_cast<int64_t>(m.count)).Bind(5, m.host);
      if (up.Step() != SQLITE_DONE) return fail("message count");
      up.Reset();
    }
  }
  {
    Stmt fp(db_, "INSERT INTO false_positives(time, tenant, indicator, type) VALUES (?, ?, ?, ?)");
    if (!fp.ok()) return fail("prepare false positive");
    for (const FalsePositive& f : b.false_positives) {
      fp.Bind(1, f.time).Bind(2, f.tenant).Bind(3, f.indicator).Bind(4, f.type);
      if (fp.Step() != SQLITE_DONE) return fail("false positive");
      fp.Reset();
    }
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    Exec("ROLLBACK");
    return s;
  }
  return Status::Ok();
}

Result<HitAggregates> SqliteHitStore::Aggregate(const HitQuery& q) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto [lo, hi] = Bounds(q);
  const bool by_tenant = !q.tenant.empty();
  HitAggregates out;
  // One pass over the period's rows, grouped here in a hash table: the file is local, and
  // SQLite's GROUP BY over six text columns sorts every row (about 3x slower at a million rows).
  // A database backend groups on the server instead (the same result: one row per indicator,
  // place, action and tenant).
  std::string sql =
      "SELECT indicator, feed, type, where_seen, action, tenant, counted, time, sensitive, "
      "monitor FROM hits WHERE time >= ? AND time < ?";
  if (by_tenant) sql += " AND tenant = ?";
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return Error("aggregate");
  s.Bind(1, lo).Bind(2, hi);
  if (by_tenant) s.Bind(3, q.tenant);
  std::unordered_map<std::string, size_t> index;  // indicator \x1f feed \x1f type -> position
  std::string key;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    const std::string_view ind = s.View(0), feed = s.View(1), type = s.View(2);
    key.assign(ind).append(1, '\x1f').append(feed).append(1, '\x1f').append(type);
    auto [it, added] = index.try_emplace(key, out.indicators.size());
    const int64_t t = s.Int(7);
    if (added) {
      IndicatorAggregate a;
      a.indicator = std::string(ind);
      a.feed = std::string(feed);
      a.type = std::string(type);
      a.first_seen = a.last_seen = t;
      out.indicators.push_back(std::move(a));
    }
    IndicatorAggregate& a = out.indicators[it->second];
    const bool counted = s.Int(6) != 0;
    a.first_seen = std::min(a.first_seen, t);
    a.last_seen = std::max(a.last_seen, t);
    a.sensitive = a.sensitive || s.Int(8) != 0;
    // Names this version does not know (a newer writer) are left out of the breakdowns.
    if (auto w = ParseWhere(s.View(3))) ++a.where[*w];
    if (!counted) continue;
    ++a.count;
    if (s.Int(9) != 0) ++a.monitor;
    if (auto act = ParseAction(s.View(4))) ++a.actions[*act];
    ++a.tenants[std::string(s.View(5))];
  }
  if (rc != SQLITE_DONE) return Error("aggregate");
  std::sort(out.indicators.begin(), out.indicators.end(), [](const auto& a, const auto& b) {
    return std::tie(a.indicator, a.feed, a.type) < std::tie(b.indicator, b.feed, b.type);
  });

  std::string msql =
      "SELECT hour, action, SUM(count) FROM message_counts WHERE hour >= ? AND hour < ?";
  if (by_tenant) msql += " AND tenant = ?";
  msql += " GROUP BY hour, action ORDER BY hour, action";
  Stmt m(db_, msql.c_str());
  if (!m.ok()) return Error("message counts");
  // An hour counts when it starts inside the period.
  const int64_t first_hour = lo % 3600 == 0 ? lo : lo - (lo % 3600) + 3600;
  m.Bind(1, lo <= 0 ? 0 : first_hour).Bind(2, hi);
  if (by_tenant) m.Bind(3, q.tenant);
  while ((rc = m.Step()) == SQLITE_ROW) {
    auto act = ParseAction(m.Text(1));
    if (!act) continue;
    out.messages.push_back({m.Int(0), *act, static_cast<uint64_t>(m.Int(2))});
  }
  if (rc != SQLITE_DONE) return Error("message counts");
  std::sort(out.messages.begin(), out.messages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hour, a.action) < std::tie(b.hour, b.action);
  });
  std::string hsql = std::string("SELECT ") + (has_host_ ? "host" : "''") +
                     ", action, SUM(count) FROM message_counts WHERE hour >= ? AND hour < ?";
  if (by_tenant) hsql += " AND tenant = ?";
  hsql += has_host_ ? " GROUP BY host, action" : " GROUP BY action";
  Stmt hq(db_, hsql.c_str());
  if (!hq.ok()) return Error("message counts by host");
  hq.Bind(1, lo <= 0 ? 0 : first_hour).Bind(2, hi);
  if (by_tenant) hq.Bind(3, q.tenant);
  while ((rc = hq.Step()) == SQLITE_ROW) {
    if (auto act = ParseAction(hq.View(1)))
      out.hosts[hq.Text(0)][*act] += static_cast<uint64_t>(hq.Int(2));
  }
  if (rc != SQLITE_DONE) return Error("message counts by host");

  std::string fsql = "SELECT indicator, COUNT(*) FROM false_positives WHERE time >= ? AND time < ?";
  if (by_tenant) fsql += " AND tenant = ?";
  fsql += " GROUP BY indicator";
  Stmt f(db_, fsql.c_str());
  if (!f.ok()) return Error("false positives");
  f.Bind(1, lo).Bind(2, hi);
  if (by_tenant) f.Bind(3, q.tenant);
  std::map<std::string, uint64_t> fps;
  while ((rc = f.Step()) == SQLITE_ROW) fps[f.Text(0)] = static_cast<uint64_t>(f.Int(1));
  if (rc != SQLITE_DONE) return Error("false positives");
  for (IndicatorAggregate& a : out.indicators) {
    auto it = fps.find(a.indicator);
    if (it == fps.end()) continue;
    a.false_positives = it->second;
    fps.erase(it);
  }
  out.false_positives_only = std::move(fps);
  return out;
}

Result<uint64_t> SqliteHitStore::Purge(int64_t before) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t n = 0;
  if (Status s = Exec("BEGIN IMMEDIATE"); !s.ok()) return s;
  for (const char* sql : {"DELETE FROM hits WHERE time < ?",
                          "DELETE FROM message_counts WHERE hour < ?",
                          "DELETE FROM false_positives WHERE time < ?"}) {
    Stmt d(db_, sql);
    if (!d.ok() || (d.Bind(1, before), d.Step()) != SQLITE_DONE) {
      Status e = Error("purge");
      Exec("ROLLBACK");
      return e;
    }
    n += static_cast<uint64_t>(sqlite3_changes(db_));
  }
  if (Status s = Exec("COMMIT"); !s.ok()) {
    Exec("ROLLBACK");
    return s;
  }
  return n;
}

Result<HitStoreCounts> SqliteHitStore::Counts() {
  std::lock_guard<std::mutex> lock(mu_);
  HitStoreCounts c;
  {
    Stmt s(db_, "SELECT COUNT(*), MIN(time), MAX(time) FROM hits");
    if (!s.ok() || s.Step() != SQLITE_ROW) return Error("count");
    c.hits = static_cast<uint64_t>(s.Int(0));
    c.oldest = s.Int(1);
    c.newest = s.Int(2);
  }
  {
    Stmt s(db_, "SELECT COUNT(*), SUM(count) FROM message_counts");
    if (!s.ok() || s.Step() != SQLITE_ROW) return Error("count");
    c.message_rows = static_cast<uint64_t>(s.Int(0));
    c.messages = static_cast<uint64_t>(s.Int(1));
  }
  {
    Stmt s(db_, "SELECT COUNT(*) FROM false_positives");
    if (!s.ok() || s.Step() != SQLITE_ROW) return Error("count");
    c.false_positives = static_cast<uint64_t>(s.Int(0));
  }
  return c;
}

}  // namespace gfi
