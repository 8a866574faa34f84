// The contract every hit-record store backend must honour (hits/hit_store.h), through the
// interface only: what the daemon's writer and gfictl report rely on. A new backend (PostgreSQL)
// is added to the backend list and must pass every case unchanged.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "hits/hit_store.h"
#include "hits/pg_hit_store.h"

namespace gfi {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/gfi-hit-contract.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

struct SqliteBackend {
  static bool Available() { return true; }
  TempDir dir;
  Config config;
  SqliteBackend() {
    config.store.backend = StoreBackend::kSqlite;
    config.quarantine.dir = dir.path;
  }
  std::unique_ptr<HitStore> Open(bool create = true, bool read_only = false) {
    HitStoreOpenOptions o;
    o.create = create;
    o.read_only = read_only;
    auto s = OpenHitStore(config, o);
    INFO(s.status().message());
    REQUIRE(s.ok());
    return std::move(s).value();
  }
  Result<std::unique_ptr<HitStore>> TryOpen(bool create) {
    HitStoreOpenOptions o;
    o.create = create;
    return OpenHitStore(config, o);
  }
};

// The shared PostgreSQL store, when GFI_TEST_PG_DSN names a database for tests (tests/pg/run.py
// starts a private cluster); without it, its cases pass without running. Each case starts with
// no hit-record schema at all. `dir.path` is what its messages name instead of a file.
struct PgBackend {
  static bool Available() { return std::getenv("GFI_TEST_PG_DSN") != nullptr; }
  struct {
    std::string path = "postgresql";
  } dir;
  PgBackend() {
    if (!Available()) return;
    PGconn* c = PQconnectdb(std::getenv("GFI_TEST_PG_DSN"));
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PQclear(PQexec(c, "SET client_min_messages = warning"));
    PGresult* r = PQexec(c,
                         "DROP TABLE IF EXISTS gfi_hits, gfi_hit_message_counts, "
                         "gfi_hit_false_positives");
    REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    PQclear(PQexec(c, "DELETE FROM gfi_schema_version WHERE component = 'hits'"));
    PQfinish(c);
  }
  Result<std::unique_ptr<HitStore>> TryOpen(bool create, bool read_only = false) {
    HitStoreOpenOptions o;
    o.create = create;
    o.read_only = read_only;
    auto s = PgHitStore::Open(std::getenv("GFI_TEST_PG_DSN"), o);
    if (!s.ok()) return s.status();
    return std::unique_ptr<HitStore>(std::move(s).value());
  }
  std::unique_ptr<HitStore> Open(bool create = true, bool read_only = false) {
    auto s = TryOpen(create, read_only);
    INFO(s.status().message());
    REQUIRE(s.ok());
    return std::move(s).value();
  }
};

HitRecord Hit(int64_t time, const std::string& indicator, Where where = Where::kBodyHtml,
              Action action = Action::kQuarantine, const std::string& tenant = "acme",
              bool counted = true) {
  HitRecord h;
  h.time = time;
  h.tenant = tenant;
  h.feed = "ecs";
  h.indicator = indicator;
  h.type = "domain";
  h.where = where;
  h.action = action;
  h.counted = counted;
  return h;
}

const IndicatorAggregate* Find(const HitAggregates& a, const std::string& id) {
  for (const IndicatorAggregate& i : a.indicators)
    if (i.indicator == id) return &i;
  return nullptr;
}

constexpr int64_t kT = 1764547200;  // 2025-12-01T00:00:00Z

}  // namespace

TEMPLATE_TEST_CASE("hit store contract: an empty store aggregates to nothing", "[hits]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  CHECK(a.value().indicators.empty());
  CHECK(a.value().messages.empty());
  auto c = s->Counts();
  REQUIRE(c.ok());
  CHECK(c.value().hits == 0);
  CHECK(c.value().messages == 0);
}

TEMPLATE_TEST_CASE("hit store contract: a store that does not exist is named, not created",
                   "[hits]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.TryOpen(/*create=*/false);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == ErrorCode::kNotFound);
  CHECK(s.error().find(b.dir.path) != std::string::npos);
  CHECK(s.error().find("no hit records") != std::string::npos);
}

TEMPLATE_TEST_CASE("hit store contract: aggregates count messages, places, actions, tenants",
                   "[hits]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  HitBatch batch;
  // ind-1: three messages; in the second it is seen at two places (one counted record).
  batch.hits.push_back(Hit(kT + 10, "ind-1"));
  batch.hits.push_back(Hit(kT + 20, "ind-1", Where::kBodyText));
  batch.hits.push_back(Hit(kT + 20, "ind-1", Where::kBodyHtml, Action::kQuarantine, "acme", false));
  batch.hits.push_back(Hit(kT + 30, "ind-1", Where::kMailFrom, Action::kTag, "beta"));
  batch.hits.push_back(Hit(kT + 40, "ind-2", Where::kAttachment, Action::kReject));
  batch.messages.push_back({kT, "acme", Action::kQuarantine, 2, "mx1"});
  batch.messages.push_back({kT, "beta", Action::kTag, 1, "mx2"});
  batch.messages.push_back({kT, "acme", Action::kAccept, 7, "mx1"});
  REQUIRE(s->Write(batch).ok());
  // Counts add up across writes.
  HitBatch more;
  more.messages.push_back({kT, "acme", Action::kAccept, 3, "mx2"});
  REQUIRE(s->Write(more).ok());

  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  REQUIRE(a.value().indicators.size() == 2);
  const IndicatorAggregate* i1 = Find(a.value(), "ind-1");
  REQUIRE(i1 != nullptr);
  CHECK(i1->count == 3);
  CHECK(i1->feed == "ecs");
  CHECK(i1->type == "domain");
  CHECK(i1->first_seen == kT + 10);
  CHECK(i1->last_seen == kT + 30);
  CHECK(i1->where.at(Where::kBodyHtml) == 2);
  CHECK(i1->where.at(Where::kBodyText) == 1);
  CHECK(i1->where.at(Where::kMailFrom) == 1);
  CHECK(i1->actions.at(Action::kQuarantine) == 2);
  CHECK(i1->actions.at(Action::kTag) == 1);
  CHECK(i1->tenants.at("acme") == 2);
  CHECK(i1->tenants.at("beta") == 1);
  const IndicatorAggregate* i2 = Find(a.value(), "ind-2");
  REQUIRE(i2 != nullptr);
  CHECK(i2->count == 1);
  CHECK(i2->actions.at(Action::kReject) == 1);

  uint64_t accept = 0, total = 0;
  for (const MessageBucket& m : a.value().messages) {
    total += m.count;
    if (m.action == Action::kAccept) accept += m.count;
    CHECK(m.hour == kT);
  }
  CHECK(accept == 10);
  CHECK(total == 13);
  // Per filter host: mx1 quarantine 2 + accept 7, mx2 tag 1 + accept 3.
  const auto& hosts = a.value().hosts;
  REQUIRE(hosts.size() == 2);
  CHECK(hosts.at("mx1").at(Action::kQuarantine) == 2);
  CHECK(hosts.at("mx1").at(Action::kAccept) == 7);
  CHECK(hosts.at("mx2").at(Action::kTag) == 1);
  CHECK(hosts.at("mx2").at(Action::kAccept) == 3);
  CHECK(hosts.at("mx1").count(Action::kTag) == 0);
  // The same tenant's per-host view.
  auto acme = s->Aggregate({0, 0, "acme"});
  REQUIRE(acme.ok());
  CHECK(acme.value().hosts.size() == 2);
  CHECK(acme.value().hosts.at("mx2").count(Action::kTag) == 0);
  auto c = s->Counts();
  REQUIRE(c.ok());
  CHECK(c.value().hits == 5);
  CHECK(c.value().messages == 13);
  CHECK(c.value().oldest == kT + 10);
  CHECK(c.value().newest == kT + 40);
}

TEMPLATE_TEST_CASE("hit store contract: period and tenant select", "[hits]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  HitBatch batch;
  batch.hits.push_back(Hit(kT, "early"));
  batch.hits.push_back(Hit(kT + 3600, "mid", Where::kBodyHtml, Action::kQuarantine, "acme"));
  batch.hits.push_back(Hit(kT + 3600, "mid", Where::kBodyHtml, Action::kQuarantine, "beta"));
  batch.hits.push_back(Hit(kT + 7200, "late"));
  batch.messages.push_back({kT, "acme", Action::kAccept, 1, ""});
  batch.messages.push_back({kT + 3600, "acme", Action::kAccept, 2, ""});
  batch.messages.push_back({kT + 3600, "beta", Action::kAccept, 4, ""});
  batch.messages.push_back({kT + 7200, "acme", Action::kAccept, 8, ""});
  REQUIRE(s->Write(batch).ok());

  // [since, until): the end is excluded.
  auto a = s->Aggregate({kT + 3600, kT + 7200, ""});
  REQUIRE(a.ok());
  REQUIRE(a.value().indicators.size() == 1);
  CHECK(a.value().indicators[0].indicator == "mid");
  CHECK(a.value().indicators[0].count == 2);
  REQUIRE(a.value().messages.size() == 1);
  CHECK(a.value().messages[0].count == 6);

  auto t = s->Aggregate({0, 0, "beta"});
  REQUIRE(t.ok());
  REQUIRE(t.value().indicators.size() == 1);
  CHECK(t.value().indicators[0].count == 1);
  CHECK(t.value().indicators[0].tenants.size() == 1);
  REQUIRE(t.value().messages.size() == 1);
  CHECK(t.value().messages[0].count == 4);

  // An hour counts when it starts inside the period.
  auto half = s->Aggregate({kT + 1800, kT + 7200, ""});
  REQUIRE(half.ok());
  REQUIRE(half.value().messages.size() == 1);
  CHECK(half.value().messages[0].hour == kT + 3600);
}

TEMPLATE_TEST_CASE("hit store contract: false positives join their indicator", "[hits]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  HitBatch batch;
  batch.hits.push_back(Hit(kT, "ind-1"));
  batch.false_positives.push_back({kT + 60, "acme", "ind-1", "domain"});
  batch.false_positives.push_back({kT + 70, "acme", "ind-1", "domain"});
  batch.false_positives.push_back({kT + 80, "acme", "ind-9", "url"});
  REQUIRE(s->Write(batch).ok());
  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  REQUIRE(Find(a.value(), "ind-1") != nullptr);
  CHECK(Find(a.value(), "ind-1")->false_positives == 2);
  CHECK(a.value().false_positives_only.at("ind-9") == 1);
}

TEMPLATE_TEST_CASE("hit store contract: purge removes what is older, keeps the rest", "[hits]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  HitBatch batch;
  batch.hits.push_back(Hit(kT, "old"));
  batch.hits.push_back(Hit(kT + 86400, "new"));
  batch.messages.push_back({kT, "acme", Action::kAccept, 5, ""});
  batch.messages.push_back({kT + 86400, "acme", Action::kAccept, 6, ""});
  batch.false_positives.push_back({kT, "acme", "old", "domain"});
  REQUIRE(s->Write(batch).ok());
  auto n = s->Purge(kT + 3600);
  REQUIRE(n.ok());
  CHECK(n.value() == 3);
  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  REQUIRE(a.value().indicators.size() == 1);
  CHECK(a.value().indicators[0].indicator == "new");
  REQUIRE(a.value().messages.size() == 1);
  CHECK(a.value().messages[0].count == 6);
}

TEMPLATE_TEST_CASE("hit store contract: a second handle sees what the first wrote", "[hits]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto writer = b.Open();
  auto reader = b.Open(/*create=*/false, /*read_only=*/true);
  HitBatch batch;
  for (int i = 0; i < 100; ++i) batch.hits.push_back(Hit(kT + i, "ind-" + std::to_string(i % 7)));
  REQUIRE(writer->Write(batch).ok());
  auto c = reader->Counts();
  REQUIRE(c.ok());
  CHECK(c.value().hits == 100);
  auto a = reader->Aggregate({});
  REQUIRE(a.ok());
  CHECK(a.value().indicators.size() == 7);
}

TEMPLATE_TEST_CASE("hit store contract: concurrent writers lose nothing", "[hits]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int k = 0; k < 25; ++k) {
        HitBatch batch;
        batch.hits.push_back(Hit(kT + k, "ind-" + std::to_string(t)));
        batch.messages.push_back({kT, "acme", Action::kQuarantine, 1, ""});
        REQUIRE(s->Write(batch).ok());
      }
    });
  }
  for (auto& th : threads) th.join();
  auto c = s->Counts();
  REQUIRE(c.ok());
  CHECK(c.value().hits == 100);
  CHECK(c.value().messages == 100);
}

// Backend-specific: the SQLite file.
TEST_CASE("sqlite hit store: a file that is not a hit store is named as such", "[hits]") {
  SqliteBackend b;
  {
    FILE* f = std::fopen(HitStorePath(b.config).c_str(), "w");
    REQUIRE(f != nullptr);
    std::fputs("not a database at all, just some text that is long enough", f);
    std::fclose(f);
  }
  auto s = b.TryOpen(/*create=*/false);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == ErrorCode::kCorruption);
  CHECK(s.error().find(HitStorePath(b.config)) != std::string::npos);
  CHECK(HitStorePath(b.config) == b.dir.path + "/hits.sqlite");
}

// The SQLite file as the first version wrote it: message counts without a host.
TEST_CASE("sqlite hit store: a version-0 file is read as it is, and upgraded when written",
          "[hits]") {
  SqliteBackend b;
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(HitStorePath(b.config).c_str(), &h) == SQLITE_OK);
    const char* v0 = R"(
CREATE TABLE hits(
  time BIGINT NOT NULL, tenant TEXT NOT NULL, feed TEXT NOT NULL, indicator TEXT NOT NULL,
  type TEXT NOT NULL, where_seen TEXT NOT NULL, action TEXT NOT NULL, monitor INTEGER NOT NULL,
  sensitive INTEGER NOT NULL, counted INTEGER NOT NULL);
CREATE TABLE message_counts(
  hour BIGINT NOT NULL, tenant TEXT NOT NULL, action TEXT NOT NULL, count BIGINT NOT NULL,
  PRIMARY KEY (hour, tenant, action));
CREATE TABLE false_positives(
  time BIGINT NOT NULL, tenant TEXT NOT NULL, indicator TEXT NOT NULL, type TEXT NOT NULL);
INSERT INTO hits VALUES (1796083200, 'acme', 'ecs', 'ind-old', 'domain', 'body.text',
  'quarantine', 0, 0, 1);
INSERT INTO message_counts VALUES (1796083200, 'acme', 'quarantine', 4);
)";
    REQUIRE(sqlite3_exec(h, v0, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  {  // gfictl report: read only, the old layout read as it is
    auto s = b.Open(/*create=*/false, /*read_only=*/true);
    auto a = s->Aggregate({});
    REQUIRE(a.ok());
    REQUIRE(a.value().messages.size() == 1);
    CHECK(a.value().messages[0].count == 4);
    REQUIRE(a.value().hosts.size() == 1);
    CHECK(a.value().hosts.at("").at(Action::kQuarantine) == 4);
  }
  auto s = b.Open();  // the daemon: upgraded
  HitBatch more;
  more.messages.push_back({1796083200, "acme", Action::kQuarantine, 3, "mx1"});
  REQUIRE(s->Write(more).ok());
  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  CHECK(a.value().indicators.size() == 1);
  CHECK(a.value().hosts.at("").at(Action::kQuarantine) == 4);
  CHECK(a.value().hosts.at("mx1").at(Action::kQuarantine) == 3);
  uint64_t total = 0;
  for (const MessageBucket& m : a.value().messages) total += m.count;
  CHECK(total == 7);
}

TEST_CASE("sqlite hit store: a file newer than this program is refused", "[hits]") {
  SqliteBackend b;
  (void)b.Open();
  {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(HitStorePath(b.config).c_str(), &h) == SQLITE_OK);
    REQUIRE(sqlite3_exec(h, "PRAGMA user_version = 9", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
  }
  auto s = b.TryOpen(/*create=*/true);
  REQUIRE_FALSE(s.ok());
  CHECK(s.code() == ErrorCode::kCorruption);
  CHECK(s.error().find("schema version 9 is newer") != std::string::npos);
}

// PostgreSQL: a database at schema version 1 (the first release of the fleet store) is upgraded
// by the next program that opens it for writing, the rows kept; a reader refuses to guess.
TEST_CASE("pg hit store: schema 1 is upgraded to the current one, rows kept", "[hits]") {
  if (!PgBackend::Available()) return;
  PgBackend b;
  const char* dsn = std::getenv("GFI_TEST_PG_DSN");
  {
    auto pool = PgPool::Open(dsn, "test", 1, 5000);
    REQUIRE(pool.ok());
    auto c = pool.value()->Acquire();
    REQUIRE(c.ok());
    const std::vector<std::string> first = {PgHitStore::Migrations().at(0)};
    Status m = PgMigrate(c.value(), "hits", first);
    INFO(m.message());
    REQUIRE(m.ok());
    REQUIRE(PgSchemaVersion(c.value(), "hits").value() == 1);
  }
  {
    PGconn* c = PQconnectdb(dsn);
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c,
                         "INSERT INTO gfi_hit_message_counts(hour, tenant, action, count) "
                         "VALUES (1796083200, 'acme', 'quarantine', 4)");
    REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
  }
  auto ro = b.TryOpen(/*create=*/false, /*read_only=*/true);
  REQUIRE_FALSE(ro.ok());
  CHECK(ro.error().find("older than this gfi-milter") != std::string::npos);
  auto s = b.Open();
  {
    auto pool = PgPool::Open(dsn, "test", 1, 5000);
    auto c = pool.value()->Acquire();
    CHECK(PgSchemaVersion(c.value(), "hits").value() == PgHitStore::kSchemaVersion);
  }
  HitBatch more;
  more.messages.push_back({1796083200, "acme", Action::kQuarantine, 3, "mx1"});
  more.messages.push_back({1796083200, "acme", Action::kQuarantine, 2, "mx1"});
  REQUIRE(s->Write(more).ok());
  auto a = s->Aggregate({});
  REQUIRE(a.ok());
  CHECK(a.value().hosts.at("").at(Action::kQuarantine) == 4);
  CHECK(a.value().hosts.at("mx1").at(Action::kQuarantine) == 5);
}

}  // namespace gfi
