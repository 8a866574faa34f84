// The shared PostgreSQL quarantine store; see pg_store.h.
#include "quarantine/pg_store.h"

#include <openssl/evp.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

namespace gfi {
namespace {

// steps[v] upgrades schema version v to v + 1.
const std::vector<std::string> kMigrations = {
    // 1: entries, their bytes apart (a list never reads them), and history.
    R"(
CREATE TABLE gfi_quarantine_entries(
  id text PRIMARY KEY, time bigint NOT NULL, host text NOT NULL, ref text NOT NULL,
  queue_id text NOT NULL, client_ip text NOT NULL, client_name text NOT NULL, helo text NOT NULL,
  mail_from text NOT NULL, rcpts text NOT NULL, header_from text NOT NULL, subject text NOT NULL,
  tenant text NOT NULL, action text NOT NULL, mode text NOT NULL, size bigint NOT NULL,
  sha256 text NOT NULL, matches text NOT NULL, status text NOT NULL);
CREATE INDEX gfi_quarantine_entries_time ON gfi_quarantine_entries(time, id);
CREATE INDEX gfi_quarantine_entries_ref ON gfi_quarantine_entries(ref) WHERE ref <> '';
CREATE INDEX gfi_quarantine_entries_queue_id ON gfi_quarantine_entries(queue_id) WHERE queue_id <> '';
CREATE TABLE gfi_quarantine_messages(
  id text PRIMARY KEY REFERENCES gfi_quarantine_entries(id), raw bytea NOT NULL);
CREATE TABLE gfi_quarantine_history(
  seq bigserial PRIMARY KEY, id text NOT NULL REFERENCES gfi_quarantine_entries(id),
  time bigint NOT NULL, status text NOT NULL, actor text NOT NULL, detail text NOT NULL);
CREATE INDEX gfi_quarantine_history_id ON gfi_quarantine_history(id, seq);
)"};

Status NotFound(const std::string& id) {
  return Status::Error(ErrorCode::kNotFound, "no quarantine entry '" + id + "'");
}

std::string Name(QuarantineStatus st) { return std::string(ToString(st)); }
std::string Name(QuarantineMode m) { return std::string(ToString(m)); }




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

std::string Clean(std::string s) {
  for (char& c : s)
    if (c == '\t' || c == '\n' || c == '\r') c = ' ';
  return s;
}

constexpr const char* kColumns =
    "id, time, ref, queue_id, client_ip, client_name, helo, mail_from, rcpts, header_from, "
    "subject, tenant, action, mode, size, sha256, matches, status, host";

std::optional<QuarantineEntry> Row(const PgRows& r, int i) {
  QuarantineEntry e;
  e.id = r.Text(i, 0);
  e.time = r.Int(i, 1);
  e.ref = r.Text(i, 2);
  e.queue_id = r.Text(i, 3);
  e.client_ip = r.Text(i, 4);
  e.client_name = r.Text(i, 5);
  e.helo = r.Text(i, 6);
  e.mail_from = r.Text(i, 7);
  e.rcpts = Split(r.Text(i, 8), '\n');
  e.header_from = r.Text(i, 9);
  e.subject = r.Text(i, 10);
  e.tenant = r.Text(i, 11);
  e.action = r.Text(i, 12);
  auto mode = kQuarantineModeNames.Parse(r.Text(i, 13));
  if (!mode) return std::nullopt;
  e.mode = *mode;
  e.size = static_cast<uint64_t>(r.Int(i, 14));
  e.sha256 = r.Text(i, 15);
  for (const std::string& line : Split(r.Text(i, 16), '\n')) {
    auto f = Split(line, '\t');
    f.resize(4);
    e.matches.push_back({f[0], f[1], f[2], f[3]});
  }
  auto status = kQuarantineStatusNames.Parse(r.Text(i, 17));
  if (!status) return std::nullopt;
  e.status = *status;
  e.host = r.Text(i, 18);
  return e;
}

Status UnknownRow(const std::string& id) {
  return Status::Error(ErrorCode::kCorruption,
                       "postgresql quarantine: entry '" + id +
                           "' has a mode or status this version does not know (written by a "
                           "newer gfi-milter?)");
}

Result<std::vector<QuarantineEntry>> Rows(const PgRows& r) {
  std::vector<QuarantineEntry> out;
  for (int i = 0; i < r.size(); ++i) {
    auto e = Row(r, i);
    if (!e) return UnknownRow(r.Text(i, 0));
    out.push_back(std::move(*e));
  }
  return out;
}

// The WHERE clause of a filter and its parameters, numbered from $1.
std::string FilterSql(const QuarantineFilter& f, std::vector<PgParam>* params) {
  std::string sql = " WHERE true";
  auto param = [&](std::string v) {
    params->push_back({std::move(v)});
    return "$" + std::to_string(params->size());
  };
  if (f.since != 0) sql += " AND time >= " + param(std::to_string(f.since)) + "::bigint";
  if (f.until != 0) sql += " AND time < " + param(std::to_string(f.until)) + "::bigint";
  auto like = [&](const std::string& col, const std::string& v) {
    if (v.empty()) return;
    sql += " AND strpos(lower(" + col + "), lower(" + param(v) + ")) > 0";
  };
  like("mail_from", f.sender);
  like("rcpts", f.recipient);
  like("matches", f.indicator);
  if (!f.tenant.empty()) sql += " AND tenant = " + param(f.tenant);
  if (!f.host.empty()) sql += " AND host = " + param(f.host);
  if (f.status) sql += " AND status = " + param(Name(*f.status));
  return sql;
}

}  // namespace

Result<std::unique_ptr<PgQuarantineStore>> PgQuarantineStore::Open(const std::string& dsn,
                                                                   const PgStoreOptions& options) {
  std::unique_ptr<PgQuarantineStore> q(new PgQuarantineStore());
  auto pool = PgPool::Open(dsn, "postgresql quarantine", options.max_connections,
                           options.statement_timeout_ms);
  if (!pool.ok()) return pool.status();
  q->pool_ = std::move(pool).value();
  if (Status s = q->Migrate(); !s.ok()) return s;
  return q;
}

Status PgQuarantineStore::Migrate() {
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  return PgMigrate(c.value(), "quarantine", kMigrations);
}

Result<std::string> PgQuarantineStore::Put(QuarantineEntry e,
                                           std::optional<std::string_view> raw) {
  int64_t now = 0;
  e.id = NewQuarantineId(&now);
  if (e.time == 0) e.time = now;
  if (e.host.empty()) e.host = LocalStoreHost();
  if (raw) {
    e.size = raw->size();
    e.sha256 = QuarantineSha256Hex(*raw);
  } else {
    e.size = 0;
    e.sha256.clear();
  }
  std::string matches;
  for (const QuarantineMatch& m : e.matches)
    matches += (matches.empty() ? "" : "\n") + Clean(m.indicator) + "\t" + Clean(m.type) + "\t" +
               Clean(m.where) + "\t" + Clean(m.action);
  std::vector<std::string> rcpts;
  for (const std::string& r : e.rcpts) rcpts.push_back(Clean(r));
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  PgConn& db = c.value();
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  auto fail = [&](Status s) {
    db.Rollback();
    return s;
  };
  auto ins = db.Query(
      "INSERT INTO gfi_quarantine_entries(id, time, ref, queue_id, client_ip, client_name, helo, "
      "mail_from, rcpts, header_from, subject, tenant, action, mode, size, sha256, matches, "
      "status, host) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19)",
      {{e.id}, {std::to_string(e.time)}, {e.ref}, {e.queue_id}, {e.client_ip}, {e.client_name},
       {e.helo}, {e.mail_from}, {Join(rcpts)}, {e.header_from}, {e.subject}, {e.tenant},
       {e.action}, {Name(e.mode)}, {std::to_string(e.size)}, {e.sha256}, {matches},
       {Name(QuarantineStatus::kHeld)}, {e.host}});
  if (!ins.ok()) return fail(ins.status());
  if (raw) {
    PgParam bytes{std::string(*raw)};
    bytes.binary = true;
    auto m = db.Query("INSERT INTO gfi_quarantine_messages(id, raw) VALUES ($1, $2)",
                      {{e.id}, bytes});
    if (!m.ok()) return fail(m.status());
  }
  auto h = db.Query(
      "INSERT INTO gfi_quarantine_history(id, time, status, actor, detail) "
      "VALUES ($1, $2, $3, $4, $5)",
      {{e.id}, {std::to_string(now)}, {Name(QuarantineStatus::kHeld)}, {"gfi-milter"},
       {Name(e.mode)}});
  if (!h.ok()) return fail(h.status());
  // Durable when COMMIT answers; an error here (the server gone) is never taken as success.
  if (Status s = db.Exec("COMMIT"); !s.ok()) return fail(s);
  return e.id;
}

Result<std::vector<QuarantineEntry>> PgQuarantineStore::List(const QuarantineFilter& f) {
  std::vector<PgParam> params;
  std::string sql = "SELECT " + std::string(kColumns) + " FROM gfi_quarantine_entries" +
                    FilterSql(f, &params);
  params.push_back({std::to_string(f.limit)});
  sql += " ORDER BY time DESC, id DESC LIMIT $" + std::to_string(params.size()) + "::bigint";
  params.push_back({std::to_string(f.offset)});
  sql += " OFFSET $" + std::to_string(params.size()) + "::bigint";
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query(sql, params);
  if (!r.ok()) return r.status();
  return Rows(r.value());
}

Result<QuarantineStore::Totals> PgQuarantineStore::Count(const QuarantineFilter& f) {
  std::vector<PgParam> params;
  std::string sql = "SELECT count(*), coalesce(sum(size), 0) FROM gfi_quarantine_entries" +
                    FilterSql(f, &params);
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query(sql, params);
  if (!r.ok()) return r.status();
  return Totals{static_cast<size_t>(r.value().Int(0, 0)),
                static_cast<uint64_t>(r.value().Int(0, 1))};
}

Result<std::vector<std::string>> PgQuarantineStore::Find(const std::string& key) {
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query(
      "SELECT id FROM gfi_quarantine_entries WHERE id = $1 OR ($1 <> '' AND (ref = $1 OR "
      "queue_id = $1)) ORDER BY time DESC, id DESC",
      {{key}});
  if (!r.ok()) return r.status();
  std::vector<std::string> out;
  for (int i = 0; i < r.value().size(); ++i) out.push_back(r.value().Text(i, 0));
  return out;
}

Result<QuarantineEntry> PgQuarantineStore::Get(const std::string& id) {
  if (!ValidQuarantineId(id)) return NotFound(id);
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query(
      "SELECT " + std::string(kColumns) + " FROM gfi_quarantine_entries WHERE id = $1", {{id}});
  if (!r.ok()) return r.status();
  if (r.value().size() == 0) return NotFound(id);
  auto row = Row(r.value(), 0);
  if (!row) return UnknownRow(id);
  QuarantineEntry e = std::move(*row);
  auto h = c.value().Query(
      "SELECT time, status, actor, detail FROM gfi_quarantine_history WHERE id = $1 ORDER BY seq",
      {{id}});
  if (!h.ok()) return h.status();
  for (int i = 0; i < h.value().size(); ++i) {
    auto st = kQuarantineStatusNames.Parse(h.value().Text(i, 1));
    if (!st) return UnknownRow(id);
    e.history.push_back({h.value().Int(i, 0), *st, h.value().Text(i, 2), h.value().Text(i, 3)});
  }
  return e;
}

Result<std::string> PgQuarantineStore::ReadRaw(const std::string& id) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().mode == QuarantineMode::kHold)
    return Status::Error(ErrorCode::kNotFound,
                         id + ": held in the MTA's hold queue (queue id " + e.value().queue_id +
                             "); the store keeps no copy");
  if (e.value().status == QuarantineStatus::kDeleted)
    return Status::Error(ErrorCode::kNotFound, id + ": deleted");
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query("SELECT raw FROM gfi_quarantine_messages WHERE id = $1", {{id}},
                           /*binary_result=*/true);
  if (!r.ok()) return r.status();
  if (r.value().size() == 0)
    return Status::Error(ErrorCode::kCorruption,
                         "postgresql quarantine: " + id + ": message bytes missing");
  std::string data = r.value().Text(0, 0);
  if (QuarantineSha256Hex(data) != e.value().sha256)
    return Status::Error(ErrorCode::kCorruption,
                         "postgresql quarantine: " + id + ": message bytes are corrupted "
                                                          "(sha256 differs)");
  return data;
}

// One statement: the conditional update and its history row commit together or not at all.
Status PgQuarantineStore::Change(PgConn& db, const std::string& id, QuarantineStatus expect,
                                 QuarantineStatus status, const std::string& by,
                                 const std::string& detail) {
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  auto r = db.Query(
      "WITH claimed AS (UPDATE gfi_quarantine_entries SET status = $2 WHERE id = $1 AND "
      "status = $3 RETURNING id) INSERT INTO gfi_quarantine_history(id, time, status, actor, "
      "detail) SELECT id, $4, $2, $5, $6 FROM claimed RETURNING id",
      {{id}, {Name(status)}, {Name(expect)}, {std::to_string(now)}, {by}, {detail}});
  if (!r.ok()) return r.status();
  if (r.value().size() == 1) return Status::Ok();
  auto exists = db.Query("SELECT 1 FROM gfi_quarantine_entries WHERE id = $1", {{id}});
  if (!exists.ok()) return exists.status();
  if (exists.value().size() == 0) return NotFound(id);
  return Status::Error(ErrorCode::kConflict,
                       id + ": not " + Name(expect) + " (changed by someone else meanwhile)");
}

Status PgQuarantineStore::SetStatus(const std::string& id, QuarantineStatus expect,
                                    QuarantineStatus status, const std::string& by,
                                    const std::string& detail) {
  if (!ValidQuarantineId(id)) return NotFound(id);
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  return Change(c.value(), id, expect, status, by, detail);
}

Status PgQuarantineStore::ClaimForRelease(const std::string& id, const std::string& by) {
  return SetStatus(id, QuarantineStatus::kHeld, QuarantineStatus::kReleasing, by, "");
}

Status PgQuarantineStore::Delete(const std::string& id, const std::string& by) {
  auto e = Get(id);
  if (!e.ok()) return e.status();
  if (e.value().status == QuarantineStatus::kDeleted)
    return Status::Error(ErrorCode::kConflict, id + ": already deleted");
  if (e.value().status == QuarantineStatus::kReleasing)
    return Status::Error(ErrorCode::kConflict, id + ": a release is in progress");
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  PgConn& db = c.value();
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  Status s = Change(db, id, e.value().status, QuarantineStatus::kDeleted, by, "");
  if (s.ok()) {
    auto d = db.Query("DELETE FROM gfi_quarantine_messages WHERE id = $1", {{id}});
    if (!d.ok()) s = d.status();
  }
  if (s.ok()) s = db.Exec("COMMIT");
  if (!s.ok()) db.Rollback();
  return s;
}

Result<std::vector<QuarantineEntry>> PgQuarantineStore::PurgeCandidates(int64_t before) {
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query("SELECT " + std::string(kColumns) +
                               " FROM gfi_quarantine_entries WHERE time < $1::bigint AND "
                               "status <> $2 AND status <> $3 ORDER BY time, id",
                           {{std::to_string(before)},
                            {Name(QuarantineStatus::kDeleted)},
                            {Name(QuarantineStatus::kReleasing)}});
  if (!r.ok()) return r.status();
  return Rows(r.value());
}

Result<size_t> PgQuarantineStore::Purge(int64_t before, const std::string& by,
                                        const std::function<void(size_t, size_t)>& progress) {
  std::vector<std::string> ids;
  {
    auto c = pool_->Acquire();
    if (!c.ok()) return c.status();
    auto r = c.value().Query(
        "SELECT id FROM gfi_quarantine_entries WHERE time < $1::bigint AND status <> $2 AND "
        "status <> $3 ORDER BY time, id",
        {{std::to_string(before)},
         {Name(QuarantineStatus::kDeleted)},
         {Name(QuarantineStatus::kReleasing)}});
    if (!r.ok()) return r.status();
    for (int i = 0; i < r.value().size(); ++i) ids.push_back(r.value().Text(i, 0));
  }
  size_t done = 0, seen = 0;
  for (const std::string& id : ids) {
    Status st = Delete(id, by);
    ++seen;
    // Another host purging (or releasing) the same entry meanwhile: theirs, not an error.
    if (st.ok()) ++done;
    else if (st.code() != ErrorCode::kConflict && st.code() != ErrorCode::kNotFound) return st;
    if (progress) progress(seen, ids.size());
  }
  return done;
}

}  // namespace gfi
