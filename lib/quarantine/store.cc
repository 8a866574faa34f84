// Quarantine store; see store.h.
#include "quarantine/store.h"

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
  status TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entries_time ON entries(time);
CREATE TABLE IF NOT EXISTS history(
  id TEXT NOT NULL, time INTEGER NOT NULL, status TEXT NOT NULL, actor TEXT, detail TEXT);
CREATE INDEX IF NOT EXISTS history_id ON history(id);
)";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string Sha256Hex(std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < len; ++i) {
    out.push_back(hex[md[i] >> 4]);
    out.push_back(hex[md[i] & 15]);
  }
  return out;
}

std::string NewId(int64_t* now) {
  auto t = std::chrono::system_clock::now();
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
  *now = us / 1000000;
  time_t secs = static_cast<time_t>(*now);
  struct tm tm;
  gmtime_r(&secs, &tm);
  char buf[64];
  thread_local std::mt19937 rng{std::random_device{}()};
  std::snprintf(buf, sizeof(buf), "%04d%02d%02dT%02d%02d%02d.%06ldZ-%03x", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long>(us % 1000000), static_cast<unsigned>(rng() & 0xfff));
  return buf;
}

bool ValidId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-')) return false;
  return true;
}

Status WriteFileDurably(const std::string& dir, const std::string& name, std::string_view data) {
  std::string tmp = dir + "/." + name + ".tmp";
  std::string path = dir + "/" + name;
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Error(Errno(tmp));
  const char* p = data.data();
  size_t n = data.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      Status s = Status::Error(Errno(tmp));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::fsync(fd) != 0) {
    Status s = Status::Error(Errno("fsync " + tmp));
    ::close(fd);
    ::unlink(tmp.c_str());
    return s;
  }
  if (::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Status::Error(Errno("close " + tmp));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::Error(Errno("rename " + tmp));
    ::unlink(tmp.c_str());
    return s;
  }
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || ::fsync(dfd) != 0) {
    Status s = Status::Error(Errno("fsync " + dir));
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
    "subject, tenant, action, mode, size, sha256, matches, status";

QuarantineEntry Row(const Stmt& s) {
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
  e.mode = s.Text(13);
  e.size = static_cast<uint64_t>(s.Int(14));
  e.sha256 = s.Text(15);
  for (const std::string& line : Split(s.Text(16), '\n')) {
    auto f = Split(line, '\t');
    f.resize(4);
    e.matches.push_back({f[0], f[1], f[2], f[3]});
  }
  e.status = s.Text(17);
  return e;
}

}  // namespace

Result<std::unique_ptr<QuarantineStore>> QuarantineStore::Open(const std::string& dir,
                                                                bool create) {
  std::unique_ptr<QuarantineStore> q(new QuarantineStore());
  q->dir_ = dir;
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0) {
    if (!create) return Status::Error(Errno("cannot open quarantine store " + dir));
    if (::mkdir(dir.c_str(), 0750) != 0 && errno != EEXIST)
      return Status::Error(Errno("quarantine store: mkdir " + dir));
  }
  std::string msgs = dir + "/messages";
  if (::stat(msgs.c_str(), &st) != 0) {
    if (!create) return Status::Error(Errno("cannot open quarantine store " + msgs));
    if (::mkdir(msgs.c_str(), 0750) != 0 && errno != EEXIST)
      return Status::Error(Errno("quarantine store: mkdir " + msgs));
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
    return Status::Error("cannot open quarantine index " + db + ": " +
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
      s = Status::Error("quarantine store " + db + ": not a gfi-milter quarantine index");
  }
  if (!s.ok()) return s;
  return q;
}

QuarantineStore::~QuarantineStore() { sqlite3_close_v2(db_); }

Status QuarantineStore::Exec(const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err != nullptr ? err : sqlite3_errmsg(db_);
    sqlite3_free(err);
    return Status::Error("quarantine store " + dir_ + "/index.sqlite: " + msg);
  }
  return Status::Ok();
}

std::string QuarantineStore::MessagePath(const std::string& id) const {
  return dir_ + "/messages/" + id + ".eml";
}

Status QuarantineStore::AddEvent(const std::string& id, const std::string& status,
                                 const std::string& by, const std::string& detail, int64_t now) {
  Stmt s(db_, "INSERT INTO history(id, time, status, actor, detail) VALUES (?, ?, ?, ?, ?)");
  if (!s.ok() || s.Bind(1, id).Bind(2, now).Bind(3, status).Bind(4, by).Bind(5, detail).Step() !=
                     SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return Status::Ok();
}

Status QuarantineStore::InsertRow(const QuarantineEntry& e, const std::string& status) {
  std::string matches;
  for (const QuarantineMatch& m : e.matches)
    matches += (matches.empty() ? "" : "\n") + Clean(m.indicator) + "\t" + Clean(m.type) + "\t" +
               Clean(m.where) + "\t" + Clean(m.action);
  std::vector<std::string> rcpts;
  for (const std::string& r : e.rcpts) rcpts.push_back(Clean(r));
  Stmt ins(db_, "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
  ins.Bind(1, e.id).Bind(2, e.time).Bind(3, e.ref).Bind(4, e.queue_id).Bind(5, e.client_ip);
  ins.Bind(6, e.client_name).Bind(7, e.helo).Bind(8, e.mail_from).Bind(9, Join(rcpts));
  ins.Bind(10, e.header_from).Bind(11, e.subject).Bind(12, e.tenant).Bind(13, e.action);
  ins.Bind(14, e.mode).Bind(15, static_cast<int64_t>(e.size)).Bind(16, e.sha256);
  ins.Bind(17, matches).Bind(18, status);
  if (!ins.ok() || ins.Step() != SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return Status::Ok();
}

Result<std::string> QuarantineStore::Put(QuarantineEntry e, std::optional<std::string_view> raw) {
  int64_t now = 0;
  e.id = NewId(&now);
  if (e.time == 0) e.time = now;
  if (raw) {
    e.size = raw->size();
    e.sha256 = Sha256Hex(*raw);
    if (Status s = WriteFileDurably(dir_ + "/messages", e.id + ".eml", *raw); !s.ok())
      return Status::Error("quarantine store: " + s.message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  Status s = Exec("BEGIN IMMEDIATE");
  if (s.ok()) {
    s = InsertRow(e, "held");
    if (s.ok()) s = AddEvent(e.id, "held", "gfi-milter", e.mode, now);
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
  if (!f.status.empty()) {
    sql += " AND status = ?";
    texts->push_back(f.status);
  }
  return sql;
}

}  // namespace

Result<std::vector<QuarantineEntry>> QuarantineStore::List(const QuarantineFilter& f) {
  std::vector<std::string> texts;
  std::string sql = "SELECT " + std::string(kColumns) + " FROM entries" + FilterSql(f, &texts);
  sql += " ORDER BY time DESC, id DESC LIMIT " + std::to_string(f.limit) + " OFFSET " +
         std::to_string(f.offset);
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  for (size_t i = 0; i < texts.size(); ++i) s.Bind(static_cast<int>(i + 1), texts[i]);
  std::vector<QuarantineEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(Row(s));
  if (rc != SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<QuarantineStore::Totals> QuarantineStore::Count(const QuarantineFilter& f) {
  std::vector<std::string> texts;
  std::string sql = "SELECT count(*), coalesce(sum(size), 0) FROM entries" + FilterSql(f, &texts);
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  for (size_t i = 0; i < texts.size(); ++i) s.Bind(static_cast<int>(i + 1), texts[i]);
  if (s.Step() != SQLITE_ROW)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return Totals{static_cast<size_t>(s.Int(0)), static_cast<uint64_t>(s.Int(1))};
}

Result<std::vector<std::string>> QuarantineStore::Find(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_,
         "SELECT id FROM entries WHERE id = ?1 OR (?1 != '' AND (ref = ?1 OR queue_id = ?1)) "
         "ORDER BY time DESC, id DESC");
  if (!s.ok()) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  s.Bind(1, key);
  std::vector<std::string> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(s.Text(0));
  if (rc != SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<std::vector<QuarantineStore::IndexRow>> QuarantineStore::IndexRows() {
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, "SELECT id, mode, status FROM entries ORDER BY id");
  if (!s.ok()) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  std::vector<IndexRow> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back({s.Text(0), s.Text(1), s.Text(2)});
  if (rc != SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<std::vector<QuarantineStore::MessageFile>> QuarantineStore::MessageFiles() {
  std::string msgs = dir_ + "/messages";
  DIR* d = ::opendir(msgs.c_str());
  if (d == nullptr) return Status::Error(Errno("cannot open " + msgs));
  std::vector<MessageFile> out;
  while (struct dirent* de = ::readdir(d)) {
    std::string name = de->d_name;
    if (name.size() <= 4 || name[0] == '.' || name.compare(name.size() - 4, 4, ".eml") != 0)
      continue;
    std::string id = name.substr(0, name.size() - 4);
    if (!ValidId(id)) continue;
    struct stat st;
    int64_t mtime = ::fstatat(::dirfd(d), name.c_str(), &st, 0) == 0 ? st.st_mtim.tv_sec : 0;
    out.push_back({id, mtime});
  }
  ::closedir(d);
  std::sort(out.begin(), out.end(),
            [](const MessageFile& a, const MessageFile& b) { return a.id < b.id; });
  return out;
}

Status QuarantineStore::Adopt(QuarantineEntry e, const std::string& by, const std::string& detail) {
  if (!ValidId(e.id)) return Status::Error("'" + e.id + "' is not a quarantine id");
  std::string path = MessagePath(e.id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno("cannot open " + path));
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(r));
  ::close(fd);
  if (r < 0) return Status::Error(Errno("cannot read " + path));
  e.size = data.size();
  e.sha256 = Sha256Hex(data);
  e.mode = "store";
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (e.time == 0) e.time = now;
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  s = InsertRow(e, "held");
  if (s.ok()) s = AddEvent(e.id, "held", by, detail, now);
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) Exec("ROLLBACK");
  return s;
}

Result<QuarantineEntry> QuarantineStore::Get(const std::string& id) {
  if (!ValidId(id)) return Status::Error("no quarantine entry '" + id + "'");
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, ("SELECT " + std::string(kColumns) + " FROM entries WHERE id = ?").c_str());
  s.Bind(1, id);
  int rc = s.Step();
  if (rc == SQLITE_DONE) return Status::Error("no quarantine entry '" + id + "'");
  if (rc != SQLITE_ROW) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  QuarantineEntry e = Row(s);
  Stmt h(db_, "SELECT time, status, actor, detail FROM history WHERE id = ? ORDER BY rowid");
  h.Bind(1, id);
  while (h.Step() == SQLITE_ROW) e.history.push_back({h.Int(0), h.Text(1), h.Text(2), h.Text(3)});
  return e;
}

Result<std::string> QuarantineStore::ReadRaw(const std::string& id) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().mode == "hold")
    return Status::Error(id + ": held in the MTA's hold queue (queue id " + e.value().queue_id +
                         "); the store keeps no copy");
  if (e.value().status == "deleted") return Status::Error(id + ": deleted");
  std::string path = MessagePath(id);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(Errno(id + ": message file " + path));
  std::string data;
  char buf[65536];
  ssize_t r;
  while ((r = ::read(fd, buf, sizeof(buf))) > 0) data.append(buf, static_cast<size_t>(r));
  ::close(fd);
  if (r < 0) return Status::Error(Errno(id + ": reading " + path));
  if (Sha256Hex(data) != e.value().sha256)
    return Status::Error(id + ": message file " + path + " is corrupted (sha256 differs)");
  return data;
}

Status QuarantineStore::SetStatus(const std::string& id, const std::string& expect,
                                  const std::string& status, const std::string& by,
                                  const std::string& detail) {
  std::lock_guard<std::mutex> lock(mu_);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  Status s = Exec("BEGIN IMMEDIATE");
  if (!s.ok()) return s;
  Stmt u(db_, "UPDATE entries SET status = ? WHERE id = ? AND status = ?");
  u.Bind(1, status).Bind(2, id).Bind(3, expect);
  if (!u.ok() || u.Step() != SQLITE_DONE) {
    s = Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  } else if (sqlite3_changes(db_) != 1) {
    s = Status::Error(id + ": not " + expect + " (changed by someone else, or no such entry)");
  }
  if (s.ok()) s = AddEvent(id, status, by, detail, now);
  if (s.ok()) s = Exec("COMMIT");
  if (!s.ok()) Exec("ROLLBACK");
  return s;
}

Status QuarantineStore::ClaimForRelease(const std::string& id, const std::string& by) {
  return SetStatus(id, "held", "releasing", by, "");
}

Status QuarantineStore::Delete(const std::string& id, const std::string& by) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().status == "deleted") return Status::Error(id + ": already deleted");
  if (e.value().status == "releasing") return Status::Error(id + ": a release is in progress");
  Status s = SetStatus(id, e.value().status, "deleted", by, "");
  if (!s.ok()) return s;
  if (::unlink(MessagePath(id).c_str()) != 0 && errno != ENOENT)
    return Status::Error(Errno(id + ": removing " + MessagePath(id)));
  return Status::Ok();
}

Result<std::vector<QuarantineEntry>> QuarantineStore::PurgeCandidates(int64_t before) {
  const std::string sql = "SELECT " + std::string(kColumns) +
                          " FROM entries WHERE time < ? AND status != 'deleted' AND "
                          "status != 'releasing' ORDER BY time, id";
  std::lock_guard<std::mutex> lock(mu_);
  Stmt s(db_, sql.c_str());
  if (!s.ok()) return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  s.Bind(1, before);
  std::vector<QuarantineEntry> out;
  int rc;
  while ((rc = s.Step()) == SQLITE_ROW) out.push_back(Row(s));
  if (rc != SQLITE_DONE)
    return Status::Error("quarantine store: " + std::string(sqlite3_errmsg(db_)));
  return out;
}

Result<size_t> QuarantineStore::Purge(int64_t before, const std::string& by,
                                      const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> ids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    Stmt s(db_, "SELECT id FROM entries WHERE time < ? AND status != 'deleted' AND "
                "status != 'releasing'");
    s.Bind(1, before);
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
