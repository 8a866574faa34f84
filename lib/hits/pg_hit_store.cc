// The PostgreSQL hit-record store; see pg_hit_store.h.
#include "hits/pg_hit_store.h"

#include <algorithm>
#include <limits>
#include <tuple>

namespace gfi {
namespace {

const std::vector<std::string> kMigrations = {
    R"(
CREATE TABLE gfi_hits(
  time bigint NOT NULL, tenant text NOT NULL, feed text NOT NULL, indicator text NOT NULL,
  type text NOT NULL, where_seen text NOT NULL, action text NOT NULL, monitor boolean NOT NULL,
  sensitive boolean NOT NULL, counted boolean NOT NULL);
CREATE INDEX gfi_hits_time ON gfi_hits(time);
CREATE TABLE gfi_hit_message_counts(
  hour bigint NOT NULL, tenant text NOT NULL, action text NOT NULL, count bigint NOT NULL,
  PRIMARY KEY (hour, tenant, action));
CREATE TABLE gfi_hit_false_positives(
  time bigint NOT NULL, tenant text NOT NULL, indicator text NOT NULL, type text NOT NULL);
CREATE INDEX gfi_hit_false_positives_time ON gfi_hit_false_positives(time);
)",
    // 2: the filter host in the message counts (a fleet's report per host). Counts written
    // before it get host ''.
    R"(
ALTER TABLE gfi_hit_message_counts ADD COLUMN host text NOT NULL DEFAULT '';
ALTER TABLE gfi_hit_message_counts DROP CONSTRAINT gfi_hit_message_counts_pkey;
ALTER TABLE gfi_hit_message_counts ADD PRIMARY KEY (hour, tenant, action, host);
)"};

std::string N(int64_t v) { return std::to_string(v); }
std::string B(bool v) { return v ? "true" : "false"; }

}  // namespace

const std::vector<std::string>& PgHitStore::Migrations() { return kMigrations; }

Result<std::unique_ptr<PgHitStore>> PgHitStore::Open(const std::string& dsn,
                                                     const HitStoreOpenOptions& options,
                                                     size_t max_connections,
                                                     int statement_timeout_ms) {
  std::unique_ptr<PgHitStore> s(new PgHitStore());
  auto pool = PgPool::Open(dsn, "postgresql hit records", max_connections, statement_timeout_ms);
  if (!pool.ok()) return pool.status();
  s->pool_ = std::move(pool).value();
  auto c = s->pool_->Acquire();
  if (!c.ok()) return c.status();
  if (!options.create) {
    auto v = PgSchemaVersion(c.value(), "hits");
    if (!v.ok()) return v.status();
    if (v.value() == 0)
      return Status::Error(ErrorCode::kNotFound,
                           "no hit records in postgresql (no hit-record schema in the database "
                           "[store] dsn_file names: has gfi-milter run with [hits] enabled?)");
    if (options.read_only) {
      if (v.value() > kSchemaVersion)
        return Status::Error(ErrorCode::kCorruption,
                             "postgresql hits schema is version " + std::to_string(v.value()) +
                                 ", newer than this gfi-milter's (" +
                                 std::to_string(kSchemaVersion) + "): upgrade gfi-milter");
      if (v.value() < kSchemaVersion)
        return Status::Error(ErrorCode::kCorruption,
                             "postgresql hits schema is version " + std::to_string(v.value()) +
                                 ", older than this gfi-milter's: start the upgraded daemon first");
      return s;
    }
  }
  if (Status m = PgMigrate(c.value(), "hits", kMigrations); !m.ok()) return m;
  return s;
}

Status PgHitStore::Write(const HitBatch& b) {
  if (b.empty()) return Status::Ok();
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  PgConn& db = c.value();
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  auto fail = [&](Status s) {
    db.Rollback();
    return s;
  };
  for (const HitRecord& h : b.hits) {
    auto r = db.Query(
        "INSERT INTO gfi_hits(time, tenant, feed, indicator, type, where_seen, action, monitor, "
        "sensitive, counted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        {{N(h.time)}, {h.tenant}, {h.feed}, {h.indicator}, {h.type},
         {std::string(ToString(h.where))}, {std::string(ToString(h.action))}, {B(h.monitor)},
         {B(h.sensitive)}, {B(h.counted)}});
    if (!r.ok()) return fail(r.status());
  }
  for (const MessageCount& m : b.messages) {
    auto r = db.Query(
        "INSERT INTO gfi_hit_message_counts(hour, tenant, action, count, host) "
        "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hour, tenant, action, host) DO UPDATE SET "
        "count = gfi_hit_message_counts.count + EXCLUDED.count",
        {{N(m.hour)}, {m.tenant}, {std::string(ToString(m.action))},
         {N(static_cast<int64_t>(m.count))}, {m.host}});
    if (!r.ok()) return fail(r.status());
  }
  for (const FalsePositive& f : b.false_positives) {
    auto r = db.Query(
        "INSERT INTO gfi_hit_false_positives(time, tenant, indicator, type) "
        "VALUES ($1, $2, $3, $4)",
        {{N(f.time)}, {f.tenant}, {f.indicator}, {f.type}});
    if (!r.ok()) return fail(r.status());
  }
  if (Status s = db.Exec("COMMIT"); !s.ok()) return fail(s);
  return Status::Ok();
}

Result<HitAggregates> PgHitStore::Aggregate(const HitQuery& q) {
  const int64_t lo = q.since;
  const int64_t hi = q.until > 0 ? q.until : std::numeric_limits<int64_t>::max();
  const bool by_tenant = !q.tenant.empty();
  std::vector<PgParam> params = {{N(lo)}, {N(hi)}};
  if (by_tenant) params.push_back({q.tenant});
  const std::string tenant_sql = by_tenant ? " AND tenant = $3" : "";
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  PgConn& db = c.value();
  HitAggregates out;
  // Grouped on the server: one row per indicator, place, action, tenant and flags.
  auto r = db.Query(
      "SELECT indicator, feed, type, where_seen, action, tenant, counted, monitor, "
      "count(*), min(time), max(time), bool_or(sensitive) FROM gfi_hits "
      "WHERE time >= $1::bigint AND time < $2::bigint" + tenant_sql +
          " GROUP BY indicator, feed, type, where_seen, action, tenant, counted, monitor "
          "ORDER BY indicator, feed, type",
      params);
  if (!r.ok()) return r.status();
  const PgRows& rows = r.value();
  for (int i = 0; i < rows.size(); ++i) {
    const std::string ind = rows.Text(i, 0), feed = rows.Text(i, 1), type = rows.Text(i, 2);
    if (out.indicators.empty() || out.indicators.back().indicator != ind ||
        out.indicators.back().feed != feed || out.indicators.back().type != type) {
      IndicatorAggregate a;
      a.indicator = ind;
      a.feed = feed;
      a.type = type;
      a.first_seen = rows.Int(i, 9);
      a.last_seen = rows.Int(i, 10);
      out.indicators.push_back(std::move(a));
    }
    IndicatorAggregate& a = out.indicators.back();
    const uint64_t n = static_cast<uint64_t>(rows.Int(i, 8));
    a.first_seen = std::min(a.first_seen, rows.Int(i, 9));
    a.last_seen = std::max(a.last_seen, rows.Int(i, 10));
    a.sensitive = a.sensitive || rows.Text(i, 11) == "t";
    if (auto w = ParseWhere(rows.Text(i, 3))) a.where[*w] += n;
    if (rows.Text(i, 6) != "t") continue;  // not counted
    a.count += n;
    if (rows.Text(i, 7) == "t") a.monitor += n;
    if (auto act = ParseAction(rows.Text(i, 4))) a.actions[*act] += n;
    a.tenants[rows.Text(i, 5)] += n;
  }
  // The server's collation may order differently from bytes: the interface orders by bytes.
  std::sort(out.indicators.begin(), out.indicators.end(), [](const auto& a, const auto& b) {
    return std::tie(a.indicator, a.feed, a.type) < std::tie(b.indicator, b.feed, b.type);
  });

  const int64_t first_hour = lo % 3600 == 0 ? lo : lo - (lo % 3600) + 3600;
  std::vector<PgParam> mparams = {{N(lo <= 0 ? 0 : first_hour)}, {N(hi)}};
  if (by_tenant) mparams.push_back({q.tenant});
  auto m = db.Query(
      "SELECT hour, action, sum(count) FROM gfi_hit_message_counts "
      "WHERE hour >= $1::bigint AND hour < $2::bigint" + tenant_sql +
          " GROUP BY hour, action",
      mparams);
  if (!m.ok()) return m.status();
  for (int i = 0; i < m.value().size(); ++i) {
    auto act = ParseAction(m.value().Text(i, 1));
    if (!act) continue;
    out.messages.push_back(
        {m.value().Int(i, 0), *act, static_cast<uint64_t>(m.value().Int(i, 2))});
  }
  std::sort(out.messages.begin(), out.messages.end(), [](const auto& a, const auto& b) {
    return std::tie(a.hour, a.action) < std::tie(b.hour, b.action);
  });
  auto hm = db.Query(
      "SELECT host, action, sum(count) FROM gfi_hit_message_counts "
      "WHERE hour >= $1::bigint AND hour < $2::bigint" + tenant_sql +
          " GROUP BY host, action",
      mparams);
  if (!hm.ok()) return hm.status();
  for (int i = 0; i < hm.value().size(); ++i) {
    if (auto act = ParseAction(hm.value().Text(i, 1)))
      out.hosts[hm.value().Text(i, 0)][*act] += static_cast<uint64_t>(hm.value().Int(i, 2));
  }

  auto f = db.Query(
      "SELECT indicator, count(*) FROM gfi_hit_false_positives "
      "WHERE time >= $1::bigint AND time < $2::bigint" + tenant_sql + " GROUP BY indicator",
      params);
  if (!f.ok()) return f.status();
  std::map<std::string, uint64_t> fps;
  for (int i = 0; i < f.value().size(); ++i)
    fps[f.value().Text(i, 0)] = static_cast<uint64_t>(f.value().Int(i, 1));
  for (IndicatorAggregate& a : out.indicators) {
    auto it = fps.find(a.indicator);
    if (it == fps.end()) continue;
    a.false_positives = it->second;
    fps.erase(it);
  }
  out.false_positives_only = std::move(fps);
  return out;
}

Result<uint64_t> PgHitStore::Purge(int64_t before) {
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  PgConn& db = c.value();
  if (Status s = db.Exec("BEGIN"); !s.ok()) return s;
  uint64_t n = 0;
  for (const char* sql : {"DELETE FROM gfi_hits WHERE time < $1::bigint",
                          "DELETE FROM gfi_hit_message_counts WHERE hour < $1::bigint",
                          "DELETE FROM gfi_hit_false_positives WHERE time < $1::bigint"}) {
    auto r = db.Query(sql, {{N(before)}});
    if (!r.ok()) {
      db.Rollback();
      return r.status();
    }
    n += static_cast<uint64_t>(r.value().affected());
  }
  if (Status s = db.Exec("COMMIT"); !s.ok()) {
    db.Rollback();
    return s;
  }
  return n;
}

Result<HitStoreCounts> PgHitStore::Counts() {
  auto c = pool_->Acquire();
  if (!c.ok()) return c.status();
  auto r = c.value().Query(
      "SELECT (SELECT count(*) FROM gfi_hits), (SELECT coalesce(min(time), 0) FROM gfi_hits), "
      "(SELECT coalesce(max(time), 0) FROM gfi_hits), (SELECT count(*) FROM "
      "gfi_hit_message_counts), (SELECT coalesce(sum(count), 0) FROM gfi_hit_message_counts), "
      "(SELECT count(*) FROM gfi_hit_false_positives)");
  if (!r.ok()) return r.status();
  const PgRows& v = r.value();
  HitStoreCounts out;
  out.hits = static_cast<uint64_t>(v.Int(0, 0));
  out.oldest = v.Int(0, 1);
  out.newest = v.Int(0, 2);
  out.message_rows = static_cast<uint64_t>(v.Int(0, 3));
  out.messages = static_cast<uint64_t>(v.Int(0, 4));
  out.false_positives = static_cast<uint64_t>(v.Int(0, 5));
  return out;
}

}  // namespace gfi
