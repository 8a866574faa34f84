// The PostgreSQL connection pool; see pg.h.
#include "util/pg.h"

#include <fcntl.h>
#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>

namespace gfi {

PgRows::PgRows(PGresult* r) : r_(r) {}
PgRows::PgRows(PgRows&& o) noexcept : r_(o.r_) { o.r_ = nullptr; }
PgRows& PgRows::operator=(PgRows&& o) noexcept {
  if (this != &o) {
    PQclear(r_);
    r_ = o.r_;
    o.r_ = nullptr;
  }
  return *this;
}
PgRows::~PgRows() { PQclear(r_); }
int PgRows::size() const { return r_ == nullptr ? 0 : PQntuples(r_); }
std::string PgRows::Text(int row, int col) const {
  return std::string(PQgetvalue(r_, row, col), static_cast<size_t>(PQgetlength(r_, row, col)));
}
int64_t PgRows::Int(int row, int col) const {
  if (PQgetisnull(r_, row, col)) return 0;
  return std::strtoll(PQgetvalue(r_, row, col), nullptr, 10);
}
bool PgRows::Null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
int64_t PgRows::affected() const {
  const char* n = r_ == nullptr ? "" : PQcmdTuples(r_);
  return *n == '\0' ? 0 : std::strtoll(n, nullptr, 10);
}

namespace {

// libpq's messages end in a newline; one line for logs.
std::string OneLine(const char* m) {
  std::string s = m == nullptr ? "" : m;
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  for (char& c : s)
    if (c == '\n') c = ' ';
  return s.empty() ? "unknown error" : s;
}

std::string StatementName(const std::string& sql) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "gfi_%zx", std::hash<std::string>{}(sql));
  return buf;
}

}  // namespace

PgConn::~PgConn() {
  if (c_ != nullptr) pool_->Release(c_);
}

Status PgConn::Failure(const std::string& what, PGresult* r) {
  std::string msg = OneLine(r != nullptr && *PQresultErrorMessage(r) != '\0'
                                ? PQresultErrorMessage(r)
                                : PQerrorMessage(c_));
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  PQclear(r);
  ErrorCode code = ErrorCode::kIo;
  // A unique or check violation is a conflict with what is stored; anything else (the server
  // gone, a timeout, a read-only standby) may work later.
  if (state != nullptr && std::string(state).rfind("23", 0) == 0) code = ErrorCode::kConflict;
  return Status::Error(code, pool_->what() + ": " + what + ": " + msg);
}

Result<PgRows> PgConn::Query(const std::string& sql, const std::vector<PgParam>& params,
                             bool binary_result) {
  const std::string name = StatementName(sql);
  auto& prepared = pool_->Prepared(c_);
  if (prepared.count(name) == 0) {
    PGresult* r = PQprepare(c_, name.c_str(), sql.c_str(), 0, nullptr);
    if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) return Failure("prepare", r);
    PQclear(r);
    prepared.insert(name);
  }
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  for (const PgParam& p : params) {
    values.push_back(p.null ? nullptr : p.value.data());
    lengths.push_back(static_cast<int>(p.value.size()));
    formats.push_back(p.binary ? 1 : 0);
  }
  PGresult* r = PQexecPrepared(c_, name.c_str(), static_cast<int>(params.size()), values.data(),
                               lengths.data(), formats.data(), binary_result ? 1 : 0);
  ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure("query", r);
  return PgRows(r);
}

Status PgConn::Exec(const std::string& sql) {
  PGresult* r = PQexec(c_, sql.c_str());
  ExecStatusType st = r == nullptr ? PGRES_FATAL_ERROR : PQresultStatus(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) return Failure(sql, r);
  PQclear(r);
  return Status::Ok();
}

void PgConn::Rollback() {
  if (PQstatus(c_) == CONNECTION_OK && PQtransactionStatus(c_) != PQTRANS_IDLE)
    PQclear(PQexec(c_, "ROLLBACK"));
}

Result<std::unique_ptr<PgPool>> PgPool::Open(const std::string& dsn, const std::string& what,
                                             size_t max_connections, int statement_timeout_ms) {
  std::unique_ptr<PgPool> p(new PgPool());
  p->dsn_ = dsn;
  p->what_ = what;
  p->max_ = max_connections == 0 ? 1 : max_connections;
  p->timeout_ms_ = statement_timeout_ms;
  auto c = p->Acquire();
  if (!c.ok()) return c.status();
  return p;
}

PgPool::~PgPool() {
  std::lock_guard<std::mutex> lock(mu_);
  for (PGconn* c : idle_) PQfinish(c);
}

Result<PGconn*> PgPool::Connect() {
  // The DSN is expanded from dbname; what it says overrides these defaults, which come first.
  const std::string timeout = std::to_string(timeout_ms_);
  const std::string connect_timeout = std::to_string(std::max(2, timeout_ms_ / 1000));
  const char* keys[] = {"connect_timeout", "application_name", "dbname", nullptr};
  const char* values[] = {connect_timeout.c_str(), "gfi-milter", dsn_.c_str(), nullptr};
  PGconn* c = PQconnectdbParams(keys, values, 1);
  if (c == nullptr) return Status::Error(ErrorCode::kIo, what_ + ": cannot connect: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    Status s = Status::Error(ErrorCode::kIo, what_ + ": cannot connect: " + OneLine(PQerrorMessage(c)));
    PQfinish(c);
    return s;
  }
  const std::string set = "SET statement_timeout = " + timeout +
                          "; SET lock_timeout = " + timeout + "; SET client_min_messages = warning" +
                          "; SET idle_in_transaction_session_timeout = " + std::to_string(timeout_ms_ * 6);
  PGresult* r = PQexec(c, set.c_str());
  if (r == nullptr || PQresultStatus(r) != PGRES_COMMAND_OK) {
    Status s = Status::Error(ErrorCode::kIo, what_ + ": setting timeouts: " + OneLine(PQerrorMessage(c)));
    PQclear(r);
    PQfinish(c);
    return s;
  }
  PQclear(r);
  return c;
}

Result<PgConn> PgPool::Acquire() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    while (!idle_.empty()) {
      PGconn* c = idle_.back();
      idle_.pop_back();
      if (PQstatus(c) == CONNECTION_OK) return PgConn(this, c);
      prepared_.erase(c);  // broken: replaced below
      PQfinish(c);
      --open_;
    }
    if (open_ < max_) break;
    cv_.wait(lock);
  }
  ++open_;
  lock.unlock();
  auto c = Connect();
  if (!c.ok()) {
    lock.lock();
    --open_;
    cv_.notify_one();
    return c.status();
  }
  return PgConn(this, c.value());
}

void PgPool::Release(PGconn* c) {
  std::lock_guard<std::mutex> lock(mu_);
  if (PQstatus(c) == CONNECTION_OK && PQtransactionStatus(c) == PQTRANS_IDLE) {
    idle_.push_back(c);
  } else {
    prepared_.erase(c);
    PQfinish(c);
    --open_;
  }
  cv_.notify_one();
}

std::unordered_set<std::string>& PgPool::Prepared(PGconn* c) {
  std::lock_guard<std::mutex> lock(mu_);
  return prepared_[c];
}

}  // namespace gfi

namespace gfi {

Status PgMigrate(PgConn& c, const std::string& component, const std::vector<std::string>& steps) {
  const int want = static_cast<int>(steps.size());
  Status s = c.Exec("BEGIN");
  if (!s.ok()) return s;
  auto fail = [&](Status st) {
    c.Rollback();
    return st;
  };
  // One lock for every component and host: 0x67666900 ("gfi\0").
  if (auto r = c.Query("SELECT pg_advisory_xact_lock(1734764800)"); !r.ok()) return fail(r.status());
  if (Status e = c.Exec("CREATE TABLE IF NOT EXISTS gfi_schema_version("
                        "component text PRIMARY KEY, version integer NOT NULL)");
      !e.ok())
    return fail(e);
  auto v = c.Query("SELECT version FROM gfi_schema_version WHERE component = $1", {{component}});
  if (!v.ok()) return fail(v.status());
  const int have = v.value().size() == 0 ? 0 : static_cast<int>(v.value().Int(0, 0));
  if (have > want)
    return fail(Status::Error(ErrorCode::kCorruption,
                              "postgresql " + component + " schema is version " +
                                  std::to_string(have) + ", newer than this gfi-milter's (" +
                                  std::to_string(want) + "): upgrade gfi-milter on this host"));
  for (int i = have; i < want; ++i)
    if (Status e = c.Exec(steps[static_cast<size_t>(i)]); !e.ok()) return fail(e);
  if (have < want) {
    auto u = c.Query(
        "INSERT INTO gfi_schema_version(component, version) VALUES ($1, $2) "
        "ON CONFLICT (component) DO UPDATE SET version = EXCLUDED.version",
        {{component}, {std::to_string(want)}});
    if (!u.ok()) return fail(u.status());
  }
  if (Status e = c.Exec("COMMIT"); !e.ok()) return fail(e);
  return Status::Ok();
}

Result<int> PgSchemaVersion(PgConn& c, const std::string& component) {
  auto t = c.Query("SELECT to_regclass('gfi_schema_version') IS NOT NULL");
  if (!t.ok()) return t.status();
  if (t.value().Text(0, 0) != "t") return 0;
  auto v = c.Query("SELECT version FROM gfi_schema_version WHERE component = $1", {{component}});
  if (!v.ok()) return v.status();
  return v.value().size() == 0 ? 0 : static_cast<int>(v.value().Int(0, 0));
}

Result<std::string> ReadDsnFile(const std::string& path) {
  const std::string what = "[store] dsn_file " + path;
  if (path.empty())
    return Status::Error(ErrorCode::kInvalid,
                         "[store] backend = \"postgresql\" needs dsn_file (a file holding the "
                         "libpq connection string)");
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) return Status::Error(ErrorCode::kIo, what + ": " + std::strerror(errno));
  struct stat st;
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return Status::Error(ErrorCode::kInvalid, what + ": not a regular file");
  }
  if ((st.st_mode & (S_IROTH | S_IWOTH)) != 0) {
    ::close(fd);
    char mode[8];
    std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return Status::Error(ErrorCode::kInvalid, what + " is readable or writable by others (mode " +
                                                  mode + "); refused: chmod o-rwx " + path);
  }
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0 && text.size() < 65536)
    text.append(buf, static_cast<size_t>(n));
  ::close(fd);
  if (n < 0) return Status::Error(ErrorCode::kIo, what + ": " + std::strerror(errno));
  size_t eol = text.find_first_of("\r\n");
  if (eol != std::string::npos) text.resize(eol);
  if (text.empty())
    return Status::Error(ErrorCode::kInvalid,
                         what + ": empty (the connection string is its first line)");
  return text;
}

}  // namespace gfi
