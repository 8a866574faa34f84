// The PostgreSQL store beyond the contract: the schema version check, a release claimed once by
// two hosts, and the database stopped mid-use. Runs when GFI_TEST_PG_DSN names a test database
// (tests/pg/run.py starts a private cluster); "[stop]" needs GFI_TEST_PG_STOP, a command that
// stops the server, and runs last.
#include <catch2/catch.hpp>

#include <libpq-fe.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "hits/hit_store.h"
#include "quarantine/pg_store.h"

namespace gfi {
namespace {

const char* Dsn() { return std::getenv("GFI_TEST_PG_DSN"); }

void Sql(const std::string& sql) {
  PGconn* c = PQconnectdb(Dsn());
  REQUIRE(PQstatus(c) == CONNECTION_OK);
  PGresult* r = PQexec(c, sql.c_str());
  INFO(PQresultErrorMessage(r));
  CHECK((PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK));
  PQclear(r);
  PQfinish(c);
}

std::unique_ptr<QuarantineStore> OpenStore() {
  auto s = PgQuarantineStore::Open(Dsn(), PgStoreOptions{2, 3000});
  INFO(s.status().message());
  REQUIRE(s.ok());
  return std::move(s).value();
}

QuarantineEntry Sample() {
  QuarantineEntry e;
  e.mail_from = "x@evil.example";
  e.rcpts = {"a@acme.example"};
  e.matches = {{"ind-1", "domain", "body", "quarantine"}};
  return e;
}

}  // namespace

TEST_CASE("pg store: a schema newer than the program is refused", "[pg]") {
  if (Dsn() == nullptr) return;
  (void)OpenStore();
  Sql("UPDATE gfi_schema_version SET version = 99 WHERE component = 'quarantine'");
  auto s = PgQuarantineStore::Open(Dsn());
  Sql("UPDATE gfi_schema_version SET version = 1 WHERE component = 'quarantine'");
  REQUIRE_FALSE(s.ok());
  CHECK(s.status().code() == ErrorCode::kCorruption);
  CHECK(s.status().message().find("version 99, newer") != std::string::npos);
  CHECK(s.status().message().find(Dsn()) == std::string::npos);  // never the DSN
  CHECK(PgQuarantineStore::Open(Dsn()).ok());
}

TEST_CASE("pg store: the host that quarantined is kept", "[pg]") {
  if (Dsn() == nullptr) return;
  auto s = OpenStore();
  QuarantineEntry e = Sample();
  e.host = "mx2.provider.example";
  auto id = s->Put(e, std::string("m"));
  REQUIRE(id.ok());
  CHECK(s->Get(id.value()).value().host == "mx2.provider.example");
  auto local = s->Put(Sample(), std::string("m"));
  REQUIRE(local.ok());
  CHECK_FALSE(s->Get(local.value()).value().host.empty());
}

TEST_CASE("pg store: two hosts releasing at once deliver once", "[pg]") {
  if (Dsn() == nullptr) return;
  auto a = OpenStore();
  auto b = OpenStore();  // another host: its own pool
  for (int round = 0; round < 20; ++round) {
    std::string id = a->Put(Sample(), std::string("m")).value();
    std::atomic<int> claimed{0}, conflicts{0};
    std::vector<std::thread> ts;
    for (QuarantineStore* q : {a.get(), b.get(), a.get(), b.get()})
      ts.emplace_back([&, q] {
        Status st = q->ClaimForRelease(id, "admin");
        if (st.ok()) claimed++;
        else if (st.code() == ErrorCode::kConflict) conflicts++;
      });
    for (auto& t : ts) t.join();
    CHECK(claimed == 1);
    CHECK(conflicts == 3);
  }
}

TEST_CASE("pg store: dsn_file is a secret, named but never printed", "[pg][dsn]") {
  char tmpl[] = "/tmp/gfi-dsn.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  const std::string path = dir + "/store.dsn";
  const std::string dsn = Dsn() != nullptr ? Dsn() : "host=/nonexistent password=s3cret";
  { std::ofstream(path) << dsn << "\nignored second line\n"; }
  Config config;
  config.store.backend = StoreBackend::kPostgresql;
  config.store.dsn_file = path;
  ::chmod(path.c_str(), 0644);
  auto refused = OpenQuarantineStore(config, StoreOpenOptions{});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().find("readable or writable by others") != std::string::npos);
  CHECK(refused.error().find(path) != std::string::npos);
  CHECK(refused.error().find(dsn) == std::string::npos);
  CHECK(OpenHitStore(config, HitStoreOpenOptions{}).code() == ErrorCode::kInvalid);
  ::chmod(path.c_str(), 0640);
  CHECK(ReadDsnFile(path).value() == dsn);
  config.store.dsn_file.clear();
  CHECK(OpenQuarantineStore(config, StoreOpenOptions{}).error().find("needs dsn_file") !=
        std::string::npos);
  config.store.dsn_file = path;
  if (Dsn() != nullptr) {  // through the factory, as the daemon and gfictl open it
    auto s = OpenQuarantineStore(config, StoreOpenOptions{});
    INFO(s.status().message());
    REQUIRE(s.ok());
    CHECK(s.value()->Describe() == "postgresql quarantine");
    HitStoreOpenOptions ho;
    ho.create = true;
    CHECK(OpenHitStore(config, ho).ok());
  } else {
    auto down = OpenQuarantineStore(config, StoreOpenOptions{});
    REQUIRE_FALSE(down.ok());
    CHECK(down.code() == ErrorCode::kIo);
    CHECK(down.error().find("s3cret") == std::string::npos);
  }
  ::unlink(path.c_str());
  ::rmdir(dir.c_str());
}

TEST_CASE("pg store: the database stopped mid-use is an error, never a success", "[stop]") {
  if (Dsn() == nullptr || std::getenv("GFI_TEST_PG_STOP") == nullptr) return;
  auto s = OpenStore();
  auto before = s->Put(Sample(), std::string(10000, 'x'));
  REQUIRE(before.ok());
  REQUIRE(std::system(std::getenv("GFI_TEST_PG_STOP")) == 0);
  for (int i = 0; i < 3; ++i) {  // the broken pooled connection, then fresh connects failing
    auto put = s->Put(Sample(), std::string(10000, 'y'));
    REQUIRE_FALSE(put.ok());
    CHECK(put.status().code() == ErrorCode::kIo);
    CHECK(put.status().message().find("postgresql quarantine") != std::string::npos);
    CHECK(put.status().message().find(Dsn()) == std::string::npos);
  }
  CHECK(s->List(QuarantineFilter{}).status().code() == ErrorCode::kIo);
  CHECK(s->ClaimForRelease(before.value(), "admin").code() == ErrorCode::kIo);
}

}  // namespace gfi
