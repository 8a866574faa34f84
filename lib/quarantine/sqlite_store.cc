// The embedded SQLite quarantine store; see sqlite_store.h.
#include "quarantine/sqlite_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <random>

namespace gfi {
namespace {

constexpr const char* kSchema = R"(
CREATE TABLE IF NOT EXISTS entries(
  id TEXT PRIMARY KEY, time INTEGER NOT NULL, ref TEXT, queue_id TEXT, client_ip TEXT,
  client_name TEXT, helo TEXT, mail_from TEXT, rcpts TEXT, header_from TEXT, subject TEXT,
  tenant TEXT, action TEXT, mode TEXT, size INTEGER, sha256 TEXT, matches TEXT,
  status TEXT NOT NULL, host TEXT NOT NULL DEFAULT '');
CREATE INDEX IF NOT EXISTS entries_time ON entries(time);
CREATE TABLE IF NOT EXISTS history(
  id TEXT NOT NULL, time INTEGER NOT NULL, status TEXT NOT NULL, actor TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS history_id ON history(id);
)";

// The index's schema version (PRAGMA user_version). 0: the first index (gfi-milter before the
// fleet store), without the host column; 1: entries.host, the host that quarantined the entry.
// Migrate() upgrades an older index in one transaction; a newer one is refused.
constexpr int kSchemaVersion = 1;

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

Status IoError(const std::string& what) { return Status::Error(ErrorCode::kIo, what); }
Status NotFound(const std::string& id) {
  return Status::Error(ErrorCode::kNotFound, "no quarantine entry '" + id + "'");
}

std::string Name(QuarantineStatus st) { return std::string(ToString(st)); }
std::string Name(QuarantineMode m) { return std::string(ToString(m)); }




Status WriteFileDurably(const std::string& dir, const std::string& name, std::string_view data) {
  std::string tmp = dir + "/." + name + ".tmp";
  std::string path = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return IoError(Errno(tmp));
  const char* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = IoError(Errno(tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    Status s = IoError(Errno("fsync " + tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return IoError(Errno("close " + tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = IoError(Errno("rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    Status s = IoError(Errno("fsync " + dir));
    if (dfd >= 0) ::close(dfd);
    ::unlink(path.c_str());
    return s;
  }
  ::close(dfd);
  return Status::Ok();
}

class Stmt {
 public:
  Stmt(sqlite3* db, const char* sql) { rc_ = sqlite3_prepare_v2(db, sql, -1, &s_, nullptr); }
  ~Stmt() { sqlite3_finalize(s_); }
  bool ok() const { return rc_ == SQLITE_OK; }
  Stmt& Bind(int i, const std::string& v) {
    sqlite3_bind_text(s_, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& Bind(int i, int64_t v) {
    sqlite3_bind_int64(s_, i, v);
    return *this;
  }
  int Step() { return sqlite3_step(s_); }
  std::string Text(int i) const {
    const unsigned char* t = sqlite3_column_text(s_, i);
    return t == nullptr ? std::string()
                        : std::string(reinterpret_cast<const char*>(t),
                                      static_cast<size_t>(sqlite3_column_bytes(s_, i)));
  }
  int64_t Int(int i) const { return sqlite3_column_int64(s_, i); }

 private:
  sqlite3_stmt* s_ = nullptr;
  int rc_;
};

std::string Join(const std::vector<std::string>& v) {
  std::string out;
  for (const std::string& s : v) out += (out.empty() ? "" : "\n") + s;
  return out;
}

std::vector<std::string> Split(const std::string& s, char sep) {
  std::vector<std::string> out;
  if (s.empty()) return out;
  size_t start = 0;
  for (;;) {
    size_t p = s.find(sep, start);
    out.push_back(s.substr(start, p - start));
    if (p == std::string::npos) break;
    start = p + 1;
  }
  return out;
}

// One line of text: tabs and newlines would break the stored encoding.
std::string Clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

constexpr const char* kColumns =
    "id, time, ref, queue_id, client_ip, client_name, helo, mail_from, rcpts, header_from, "
    "subject, tenant, action, mode, size, sha256, matches, status, host";

// An index row; nullopt when its mode or status is not one this version knows.
std::optional<QuarantineEntry> Row(const Stmt& s) {
  QuarantineEntry e;
  e.id = s.Text(0);
  e.time = s.Int(1);
  e.ref = s.Text(2);
  e.queue_id = s.Text(3);
  e.client_ip = s.Text(4);
  e.client_name = s.Text(5);
  e.helo = s.Text(6);
  e.mail_from = s.Text(7);
  e.rcpts = Split(s.Text(8), '\n');
  e.header_from = s.Text(9);
  e.subject = s.Text(10);
  e.tenant = s.Text(11);
  e.action = s.Text(12);
  auto mode = kQuarantineModeNames.Parse(s.Text(13));
  if (!mode) return std::nullopt;
  e.mode = *mode;
  e.size = static_cast<uint64_t>(s.Int(14));
  e.sha256 = s.Text(15);
  for (const std::string& line : Split(s.Text(16), '\n')) {
    auto f = Split(line, '\t');
    f.resize(4);
    e.matches.push_back({f[0], f[1], f[2], f[3]});
  }
  auto status = kQuarantineStatusNames.Parse(s.Text(17));
  if (!status) return std::nullopt;
  e.status = *status;
  e.host = s.Text(18);
  return e;
}

}  // namespace

Status SqliteQuarantineStore::UnknownRow(const std::string& id) const {
  return Status::Error(ErrorCode::kCorruption, "quarantine store " + dir_ + ": entry '" + id +
                                                   "' has a mode or status this version does "
                                                   "not know (written by a newer gfi-milter?)");
}

Result<std::unique_ptr<SqliteQuarantineStore>> SqliteQuarantineStore::Open(
    const std::string& dir, const StoreOpenOptions& options) {
  const bool create = options.create;
  std::unique_ptr<SqliteQuarantineStore> q(new SqliteQuarantineStore());
  q->dir_ = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (!create) return IoError(Errno("cannot open quarantine store " + dir));
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
      return IoError(Errno("quarantine store: mkdir " + dir));
  }
  std::string msgs = dir + "/messages";
  if (::stat(msgs.c_str(), &st) != 0) {
    if (!create) return IoError(Errno("cannot open quarantine store " + msgs));
    if (::mkdir(msgs.c_str(), 0750) != 0 && errno != EEXIST)
      return IoError(Errno("quarantine store: mkdir " + msgs));
  }
  if (create) {
    // Temp files of writes cut short (the daemon killed mid-write) were never indexed: remove.
    if (DIR* d = ::opendir(msgs.c_str())) {
      while (struct dirent* de = ::readdir(d)) {
        std::string name = de->d_name;
        if (name.size() > 5 && name[0] == '.' && name.compare(name.size() - 4, 4, ".tmp") == 0)
          ::unlinkat(::dirfd(d), name.c_str(), 0);
      }
      ::closedir(d);
    }
  }
  std::string db = dir + "/index.sqlite";
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | (create ? SQLITE_OPEN_CREATE : 0);
  mode_t old = ::umask(027);
  int rc = sqlite3_open_v2(db.c_str(), &q->db_, flags, nullptr);
  ::umask(old);
  if (rc != SQLITE_OK) {
    int sys = q->db_ != nullptr ? sqlite3_system_errno(q->db_) : 0;
    return IoError("cannot open quarantine index " + db + ": " +
                         (sys != 0            ? std::strerror(sys)
                          : q->db_ != nullptr ? sqlite3_errmsg(q->db_)
                                              : "out of memory"));
  }
  sqlite3_busy_timeout(q->db_, 5000);
  Status s = q->Exec("PRAGMA journal_mode=WAL");
  if (s.ok()) s = q->Exec("PRAGMA synchronous=FULL");
  if (s.ok() && create) s = q->Exec(kSchema);
  if (s.ok()) {
    Stmt check(q->db_, "SELECT count(*) FROM sqlite_master WHERE name = 'entries'");
    if (!check.ok() || check.Step() != SQLITE_ROW || check.Int(0) != 1)
      s = Status::Error(ErrorCode::kCorruption,
                        "quarantine store " + db + ": not a gfi-milter quarantine index");
  }
  if (s.ok()) s = q->Migrate(db);
  if (!s.ok()) return s;
  if (options.owner && ::geteuid() == 0) {
    if (Status c = q->Chown(options.owner->first, options.owner->second); !c.ok()) return c;
  }
  return q;
}

// A fresh index is made at the current version. An index without a version is version 0 (made
// before versions were kept): it gets the host column, empty for the entries it already holds
// (gfictl shows them as from this host). gfictl upgrades too (it opens without create): the step
// only adds a column, last and with a default, so nothing already written changes meaning.
Status SqliteQuarantineStore::Migrate(const std::string& db) {
  int64_t v = 0;
  bool has_host = false;
  {  // statements closed before the ALTER TABLE
    Stmt ver(db_, "PRAGMA user_version");
    if (!ver.ok() || ver.Step() != SQLITE_ROW)
      return IoError("quarantine store " + db + ": " + std::string(sqlite3_errmsg(db_)));
    v = ver.Int(0);
    Stmt cols(db_, "SELECT count(*) FROM pragma_table_info('entries') WHERE name = 'host'");
    if (!cols.ok() || cols.Step() != SQLITE_ROW)
      return IoError("quarantine store " + db + ": " + std::string(sqlite3_errmsg(db_)));
    has_host = cols.Int(0) == 1;
  }
  if (v > kSchemaVersion)
    return Status::Error(ErrorCode::kCorruption,
                         "quarantine store " + db + ": schema version " + std::to_string(v) +
                             " is newer than this gfi-milter's (" +
                             std::to_string(kSchemaVersion) + "): upgrade gfi-milter");
  if (v == kSchemaVersion) return Status::Ok();
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Exec("BEGIN IMMEDIATE");
  if (s.ok() && !has_host) s = Exec("ALTER TABLE entries ADD COLUMN host TEXT NOT NULL DEFAULT ''");
  if (s.ok()) s = Exec(("PRAGMA user_version = " + std::to_string(kSchemaVersion)).c_str());
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) Exec("ROLLBACK");
  return s;
}

SqliteQuarantineStore::~SqliteQuarantineStore() { sqlite3_close_v2(db_); }

// Made by root at start: the daemon's user must own what it writes after dropping privileges.
Status SqliteQuarantineStore::Chown(uid_t uid, gid_t gid) const {
  for (const std::string& p : {dir_, dir_ + "/messages", dir_ + "/index.sqlite",
                               dir_ + "/index.sqlite-wal", dir_ + "/index.sqlite-shm"})
    if (::chown(p.c_str(), uid, gid) != 0 && errno != ENOENT) return IoError(Errno(p + ": chown"));
  return Status::Ok();
}

Status SqliteQuarantineStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return IoError("quarantine store " + dir_ + "/index.sqlite: " + msg);
  }
  return Status::Ok();
}

std::string SqliteQuarantineStore::MessagePath(const std::string& id) const {
  return dir_ + "/messages/" + id + ".eml";
}

Status SqliteQuarantineStore::AddEvent(const std::string& id, QuarantineStatus status,
                                 const std::string& by, const std::string& detail, int64_t now) {
  Stmt s(db_, "INSERT INTO history(id, time, status, actor, detail) VALUES (?, ?, ?, ?, ?)");
  if (!s.ok() || s.Bind(1, id).Bind(2, now).Bind(3, Name(status)).Bind(4, by).Bind(5, detail).Step() !=
                     SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return Status::Ok();
}

Status SqliteQuarantineStore::InsertRow(const QuarantineEntry& e, QuarantineStatus status) {
  std::string matches;
  for (const QuarantineMatch& m : e.matches)
    matches += (matches.empty() ? "" : "\n") + Clean(m.indicator) + "\t" + Clean(m.type) + "\t" +
               Clean(m.where) + "\t" + Clean(m.action);
  std::vector<std::string> rcpts;
  for (const std::string& r : e.rcpts) rcpts.push_back(Clean(r));
  Stmt ins(db_, "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.Bind(1, e.id).Bind(2, e.time).Bind(3, e.ref).Bind(4, e.queue_id).Bind(5, e.client_ip);
  ins.Bind(6, e.client_name).Bind(7, e.helo).Bind(8, e.mail_from).Bind(9, Join(rcpts));
  ins.Bind(10, e.header_from).Bind(11, e.subject).Bind(12, e.tenant).Bind(13, e.action);
  ins.Bind(14, Name(e.mode)).Bind(15, static_cast<int64_t>(e.size)).Bind(16, e.sha256);
  ins.Bind(17, matches).Bind(18, Name(status)).Bind(19, e.host);
  if (!ins.ok() || ins.Step() != SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return Status::Ok();
}

Result<std::string> SqliteQuarantineStore::Put(QuarantineEntry e, std::optional<std::string_view> raw) {
  int64_t now = 0;
  e.id = NewQuarantineId(&now);
  if (e.time == 0) e.time = now;
  if (e.host.empty()) e.host = LocalStoreHost();
  if (raw) {
    e.size = raw->size();
    e.sha256 = QuarantineSha256Hex(*raw);
    if (Status s = WriteFileDurably(dir_ + "/messages", e.id + ".eml", *raw); !s.ok())
      return IoError("quarantine store " + dir_ + ": " + s.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Exec("BEGIN IMMEDIATE");
  if (s.ok()) {
    s = InsertRow(e, QuarantineStatus::kHeld);
    if (s.ok()) s = AddEvent(e.id, QuarantineStatus::kHeld, "gfi-milter", Name(e.mode), now);
    if (s.ok()) s = Exec("COMMIT");
    if (!s.ok()) Exec("ROLLBACK");
  }
  if (!s.ok()) {
    if (raw) ::unlink(MessagePath(e.id).c_str());
    return s;
  }
  return e.id;
}

namespace {

// The WHERE clause of a filter, its text parameters in order.
std::string FilterSql(const QuarantineFilter& f, std::vector<std::string>* texts) {
  std::string sql = " WHERE 1";
  if (f.since != 0) sql += " AND time >= " + std::to_string(f.since);
  if (f.until != 0) sql += " AND time < " + std::to_string(f.until);
  auto like = [&](const std::string& col, const std::string& v) {
    if (v.empty()) return;
    sql += " AND instr(lower(" + col + "), lower(?)) > 0";
    texts->push_back(v);
  };
  like("mail_from", f.sender);
  like("rcpts", f.recipient);
  like("matches", f.indicator);
  if (!f.tenant.empty()) {
    sql += " AND tenant = ?";
    texts->push_back(f.tenant);
  }
  if (!f.host.empty()) {
    sql += " AND host = ?";
    texts->push_back(f.host);
  }
  if (f.status) {
    sql += " AND status = ?";
    texts->push_back(Name(*f.status));
  }
  return sql;
}

}  // namespace

Result<std::vector<QuarantineEntry>> SqliteQuarantineStore::List(const QuarantineFilter& f) {
  std::vector<std::string> texts;
  std::string sql = "SELECT " + std::string(kColumns) + " FROM entries" + FilterSql(f, &texts);
  sql += " ORDER BY time DESC, id DESC LIMIT " + std::to_string(f.limit) + " OFFSET " +
         std::to_string(f.offset);
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  for (size_t i = 0; i < texts.size(); ++i) s.Bind(static_cast<int>(i + 1), texts[i]);
  std::vector<QuarantineEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    auto e = Row(s);
    if (!e) return UnknownRow(s.Text(0));
    out.push_back(std::move(*e));
  }
  if (rc != SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<QuarantineStore::Totals> SqliteQuarantineStore::Count(const QuarantineFilter& f) {
  std::vector<std::string> texts;
  std::string sql = "SELECT count(*), coalesce(sum(size), 0) FROM entries" + FilterSql(f, &texts);
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  for (size_t i = 0; i < texts.size(); ++i) s.Bind(static_cast<int>(i + 1), texts[i]);
  if (s.Step() != SQLITE_ROW)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return Totals{static_cast<size_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1))};
}

Result<std::vector<std::string>> SqliteQuarantineStore::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "SELECT id FROM entries WHERE id = ?1 OR (?1 != '' AND (ref = ?1 OR queue_id = ?1)) "
         "ORDER BY time DESC, id DESC");
  if (!s.ok()) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  s.Bind(1, key);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.Text(0));
  if (rc != SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<std::vector<SqliteQuarantineStore::IndexRow>> SqliteQuarantineStore::IndexRows() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT id, mode, status FROM entries ORDER BY id");
  if (!s.ok()) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  std::vector<IndexRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    auto mode = kQuarantineModeNames.Parse(s.Text(1));
    auto status = kQuarantineStatusNames.Parse(s.Text(2));
    if (!mode || !status) return UnknownRow(s.Text(0));
    out.push_back({s.Text(0), *mode, *status});
  }
  if (rc != SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<std::vector<SqliteQuarantineStore::MessageFile>> SqliteQuarantineStore::MessageFiles() {
  std::string msgs = dir_ + "/messages";
  DIR* d = ::opendir(msgs.c_str());
  if (d == nullptr) return IoError(Errno("cannot open " + msgs));
  std::vector<MessageFile> out;
  while (struct dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name.size() <= 4 || name[0] == '.' || name.compare(name.size() - 4, 4, ".eml") != 0)
      continue;
    std::string id = name.substr(0, name.size() - 4);
    if (!ValidQuarantineId(id)) continue;
    struct stat st;
    int64_t mtime = ::fstatat(::dirfd(d), name.c_str(), &st, 0) == 0 ? st.st_mtim.tv_sec : 0;
    out.push_back({id, mtime});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const MessageFile& a, const MessageFile& b) { return a.id < b.id; });
  return out;
}

Status SqliteQuarantineStore::Adopt(QuarantineEntry e, const std::string& by, const std::string& detail) {
  if (!ValidQuarantineId(e.id))
    return Status::Error(ErrorCode::kInvalid, "'" + e.id + "' is not a quarantine id");
  std::string path = MessagePath(e.id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(Errno("cannot open " + path));
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(r));
  ::close(fd);
  if (r < 0) return IoError(Errno("cannot read " + path));
  e.size = data.size();
  e.sha256 = QuarantineSha256Hex(data);
  e.mode = QuarantineMode::kStore;
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (e.time == 0) e.time = now;
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  s = InsertRow(e, QuarantineStatus::kHeld);
  if (s.ok()) s = AddEvent(e.id, QuarantineStatus::kHeld, by, detail, now);
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) Exec("ROLLBACK");
  return s;
}

Result<QuarantineEntry> SqliteQuarantineStore::Get(const std::string& id) {
  if (!ValidQuarantineId(id)) return NotFound(id);
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, ("SELECT " + std::string(kColumns) + " FROM entries WHERE id = ?").c_str());
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return NotFound(id);
  if (rc != SQLITE_ROW) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  auto row = Row(s);
  if (!row) return UnknownRow(id);
  QuarantineEntry e = std::move(*row);
  Stmt h(db_, "SELECT time, status, actor, detail FROM history WHERE id = ? ORDER BY rowid");
  h.Bind(1, id);
  while (h.Step() == SQLITE_ROW) {
    auto st = kQuarantineStatusNames.Parse(h.Text(1));
    if (!st) return UnknownRow(id);
    e.history.push_back({h.Int(0), *st, h.Text(2), h.Text(3)});
  }
  return e;
}

Result<std::string> SqliteQuarantineStore::ReadRaw(const std::string& id) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().mode == QuarantineMode::kHold)
    return Status::Error(ErrorCode::kNotFound, id + ": held in the MTA's hold queue (queue id " + e.value().queue_id +
                         "); the store keeps no copy");
  if (e.value().status == QuarantineStatus::kDeleted)
    return Status::Error(ErrorCode::kNotFound, id + ": deleted");
  std::string path = MessagePath(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return IoError(Errno(id + ": message file " + path));
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(r));
  ::close(fd);
  if (r < 0) return IoError(Errno(id + ": reading " + path));
  if (QuarantineSha256Hex(data) != e.value().sha256)
    return Status::Error(ErrorCode::kCorruption,
                         id + ": message file " + path + " is corrupted (sha256 differs)");
  return data;
}

Status SqliteQuarantineStore::SetStatus(const std::string& id, QuarantineStatus expect,
                                        QuarantineStatus status, const std::string& by,
                                        const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  Stmt u(db_, "UPDATE entries SET status = ? WHERE id = ? AND status = ?");
  u.Bind(1, Name(status)).Bind(2, id).Bind(3, Name(expect));
  if (!u.ok() || u.Step() != SQLITE_DONE) {
    s = IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  } else if (sqlite3_changes(db_) != 1) {
    Stmt exists(db_, "SELECT count(*) FROM entries WHERE id = ?");
    exists.Bind(1, id);
    if (exists.ok() && exists.Step() == SQLITE_ROW && exists.Int(0) == 0)
      s = NotFound(id);
    else
      s = Status::Error(ErrorCode::kConflict,
                        id + ": not " + Name(expect) + " (changed by someone else meanwhile)");
  }
  if (s.ok()) s = AddEvent(id, status, by, detail, now);
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) Exec("ROLLBACK");
  return s;
}

Status SqliteQuarantineStore::ClaimForRelease(const std::string& id, const std::string& by) {
  return SetStatus(id, QuarantineStatus::kHeld, QuarantineStatus::kReleasing, by, "");
}

Status SqliteQuarantineStore::Delete(const std::string& id, const std::string& by) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().status == QuarantineStatus::kDeleted)
    return Status::Error(ErrorCode::kConflict, id + ": already deleted");
  if (e.value().status == QuarantineStatus::kReleasing)
    return Status::Error(ErrorCode::kConflict, id + ": a release is in progress");
  Status s = SetStatus(id, e.value().status, QuarantineStatus::kDeleted, by, "");
  if (!s.ok()) return s;
  if (::unlink(MessagePath(id).c_str()) != 0 && errno != ENOENT)
    return IoError(Errno(id + ": removing " + MessagePath(id)));
  return Status::Ok();
}

Result<std::vector<QuarantineEntry>> SqliteQuarantineStore::PurgeCandidates(int64_t before) {
  const std::string sql = "SELECT " + std::string(kColumns) +
                          " FROM entries WHERE time < ?1 AND status != ?2 AND status != ?3 "
                          "ORDER BY time, id";
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  s.Bind(1, before).Bind(2, Name(QuarantineStatus::kDeleted));
  s.Bind(3, Name(QuarantineStatus::kReleasing));
  std::vector<QuarantineEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) {
    auto e = Row(s);
    if (!e) return UnknownRow(s.Text(0));
    out.push_back(std::move(*e));
  }
  if (rc != SQLITE_DONE)
    return IoError("quarantine store " + dir_ + ": " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<size_t> SqliteQuarantineStore::Purge(int64_t before, const std::string& by,
                                      const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT id FROM entries WHERE time < ?1 AND status != ?2 AND status != ?3");
    s.Bind(1, before).Bind(2, Name(QuarantineStatus::kDeleted));
    s.Bind(3, Name(QuarantineStatus::kReleasing));
    while (s.Step() == SQLITE_ROW) ids.push_back(s.Text(0));
  }
  size_t done = 0;
  for (const std::string& id : ids) {
    if (Status st = Delete(id, by); !st.ok()) return st;
    ++done;
    if (progress) progress(done, ids.size());
  }
  return done;
}

}  // namespace gfi
