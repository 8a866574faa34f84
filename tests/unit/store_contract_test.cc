// The contract every quarantine store backend must honour (quarantine/store.h), run against each
// of them through the interface only: what the daemon, gfictl and release rely on. A new backend
// is added to the backend list below and must pass every case unchanged. Backend-specific
// behaviour (the SQLite store's files, modes and reconcile) is in store_test.cc.
#include <catch2/catch.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "quarantine/pg_store.h"
#include "quarantine/store.h"

namespace gfi {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/gfi-store-contract.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

// Each backend: a fresh, empty store, and a second handle on the same store (another process's
// view: gfictl beside the daemon).
struct SqliteBackend {
  static bool Available() { return true; }
  TempDir dir;
  Config config;
  SqliteBackend() {
    config.store.backend = StoreBackend::kSqlite;
    config.quarantine.dir = dir.path + "/q";
  }
  std::unique_ptr<QuarantineStore> Open(bool create = true) {
    StoreOpenOptions o;
    o.create = create;
    auto s = OpenQuarantineStore(config, o);
    REQUIRE(s.ok());
    return std::move(s).value();
  }
};

// The shared PostgreSQL store, when GFI_TEST_PG_DSN names a database for tests (tests/pg/run.py
// starts a private cluster and sets it); without it, its cases pass without running. Each case
// starts from empty tables.
struct PgBackend {
  static bool Available() { return std::getenv("GFI_TEST_PG_DSN") != nullptr; }
  PgBackend() {
    if (!Available()) return;
    (void)Open();  // the schema
    PGconn* c = PQconnectdb(std::getenv("GFI_TEST_PG_DSN"));
    REQUIRE(PQstatus(c) == CONNECTION_OK);
    PGresult* r = PQexec(c,
                         "TRUNCATE gfi_quarantine_history, gfi_quarantine_messages, "
                         "gfi_quarantine_entries");
    REQUIRE(PQresultStatus(r) == PGRES_COMMAND_OK);
    PQclear(r);
    PQfinish(c);
  }
  std::unique_ptr<QuarantineStore> Open(bool = true) {
    auto s = PgQuarantineStore::Open(std::getenv("GFI_TEST_PG_DSN"));
    INFO(s.status().message());
    REQUIRE(s.ok());
    return std::move(s).value();
  }
};

QuarantineEntry Sample(const std::string& from, int64_t time = 0) {
  QuarantineEntry e;
  e.time = time;
  e.ref = "GFI-1";
  e.queue_id = "4ABC";
  e.client_ip = "192.0.2.1";
  e.client_name = "mx.sender.example";
  e.helo = "mx.sender.example";
  e.mail_from = from;
  e.rcpts = {"a@acme.example", "b@acme.example"};
  e.header_from = "\"Billing\" <billing@sender.example>";
  e.subject = "Invoice";
  e.tenant = "acme";
  e.action = "quarantine";
  e.mode = QuarantineMode::kStore;
  e.matches = {{"ind-1", "domain", "body.html", "quarantine"},
               {"ind-2", "sha256", "attachment", "quarantine"}};
  return e;
}

}  // namespace

TEMPLATE_TEST_CASE("store contract: what is put is read back exactly", "[store]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  // Bytes a message may hold: CRLF and bare LF and CR, a NUL, a lone dot line, 8-bit text.
  std::string raw = "From: x@y\r\nSubject: Invoice\r\n\r\nbody\r\n.\r\nbare\nlf\rcr\n";
  raw += std::string("nul\0byte\xff\xfe\r\n", 12);
  raw += std::string(1 << 20, 'x');  // and a megabyte
  QuarantineEntry in = Sample("x@evil.example", 1700000000);
  in.subject = "Fактура — 請求書";
  auto id = s->Put(in, raw);
  REQUIRE(id.ok());
  CHECK_FALSE(id.value().empty());
  auto got = s->Get(id.value());
  REQUIRE(got.ok());
  const QuarantineEntry& e = got.value();
  CHECK(e.id == id.value());
  CHECK(e.time == 1700000000);
  CHECK(e.ref == in.ref);
  CHECK(e.queue_id == in.queue_id);
  CHECK(e.client_ip == in.client_ip);
  CHECK(e.client_name == in.client_name);
  CHECK(e.helo == in.helo);
  CHECK(e.mail_from == in.mail_from);
  CHECK(e.rcpts == in.rcpts);
  CHECK(e.header_from == in.header_from);
  CHECK(e.subject == in.subject);
  CHECK(e.tenant == "acme");
  CHECK(e.action == "quarantine");
  CHECK(e.mode == QuarantineMode::kStore);
  CHECK(e.status == QuarantineStatus::kHeld);
  CHECK(e.size == raw.size());
  CHECK(e.sha256.size() == 64);
  REQUIRE(e.matches.size() == 2);
  CHECK(e.matches[1].indicator == "ind-2");
  CHECK(e.matches[1].type == "sha256");
  CHECK(e.matches[1].where == "attachment");
  CHECK(e.matches[1].action == "quarantine");
  REQUIRE(e.history.size() == 1);
  CHECK(e.history[0].status == QuarantineStatus::kHeld);
  auto bytes = s->ReadRaw(id.value());
  REQUIRE(bytes.ok());
  CHECK(bytes.value() == raw);
  // Another handle on the same store sees it (gfictl beside the daemon).
  auto other = b.Open(false);
  CHECK(other->ReadRaw(id.value()).value() == raw);
  CHECK(other->List(QuarantineFilter{}).value().size() == 1);
}

TEMPLATE_TEST_CASE("store contract: a time of 0 is the time of Put; ids are distinct under load",
                   "[store]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  const int64_t before = static_cast<int64_t>(std::time(nullptr));
  auto id = s->Put(Sample("now@x.example"), std::string("m"));
  REQUIRE(id.ok());
  CHECK(s->Get(id.value()).value().time >= before);
  std::vector<std::thread> ts;
  std::vector<std::vector<std::string>> ids(4);
  for (int t = 0; t < 4; ++t)
    ts.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = s->Put(Sample("p" + std::to_string(t) + "@x.example"), std::string("b"));
        if (r.ok()) ids[static_cast<size_t>(t)].push_back(r.value());
      }
    });
  for (auto& t : ts) t.join();
  std::set<std::string> all;
  for (const auto& v : ids) all.insert(v.begin(), v.end());
  CHECK(all.size() == 100);
  QuarantineFilter f;
  f.limit = 1000;
  CHECK(s->List(f).value().size() == 101);
}

TEMPLATE_TEST_CASE("store contract: hold-mode entries keep no bytes", "[store]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  QuarantineEntry e = Sample("h@x.example");
  e.mode = QuarantineMode::kHold;
  e.queue_id = "4HOLD1";
  auto id = s->Put(e, std::nullopt);
  REQUIRE(id.ok());
  auto got = s->Get(id.value()).value();
  CHECK(got.mode == QuarantineMode::kHold);
  CHECK(got.size == 0);
  CHECK(got.sha256.empty());
  auto raw = s->ReadRaw(id.value());
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.code() == ErrorCode::kNotFound);
  CHECK(raw.error().find("hold queue") != std::string::npos);
  CHECK(s->Find("4HOLD1").value() == std::vector<std::string>{id.value()});
}

TEMPLATE_TEST_CASE("store contract: list filters and orders newest first", "[store]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  REQUIRE(s->Put(Sample("old@a.example", 1000), std::string("x")).ok());
  REQUIRE(s->Put(Sample("new@b.example", 3000), std::string("y")).ok());
  QuarantineEntry mid = Sample("mid@a.example", 2000);
  mid.tenant = "globex";
  mid.rcpts = {"c@globex.example"};
  REQUIRE(s->Put(mid, std::string("z")).ok());
  auto all = s->List(QuarantineFilter{}).value();
  REQUIRE(all.size() == 3);
  CHECK(all[0].mail_from == "new@b.example");
  CHECK(all[1].mail_from == "mid@a.example");
  CHECK(all[2].mail_from == "old@a.example");
  QuarantineFilter f;
  f.sender = "A.EXAMPLE";  // substring, any case
  CHECK(s->List(f).value().size() == 2);
  f = {};
  f.since = 1500;
  f.until = 2500;
  auto in_range = s->List(f).value();
  REQUIRE(in_range.size() == 1);
  CHECK(in_range[0].mail_from == "mid@a.example");
  f = {};
  f.until = 2000;  // until is exclusive
  CHECK(s->List(f).value().size() == 1);
  f = {};
  f.indicator = "ind-2";
  CHECK(s->List(f).value().size() == 3);
  f.indicator = "nope";
  CHECK(s->List(f).value().empty());
  f = {};
  f.recipient = "globex";
  CHECK(s->List(f).value().size() == 1);
  f = {};
  f.tenant = "globex";
  CHECK(s->List(f).value().size() == 1);
  f.tenant = "glob";  // a tenant is named exactly
  CHECK(s->List(f).value().empty());
  f = {};
  f.limit = 1;
  f.offset = 1;
  auto page = s->List(f).value();
  REQUIRE(page.size() == 1);
  CHECK(page[0].mail_from == "mid@a.example");
}

TEMPLATE_TEST_CASE("store contract: a release is claimed once; status changes are compare-and-set",
                   "[store]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  std::string id = s->Put(Sample("x@y.example"), std::string("m")).value();
  std::atomic<int> claimed{0}, conflicts{0};
  std::vector<std::thread> ts;
  for (int i = 0; i < 8; ++i)
    ts.emplace_back([&, i] {
      // Half through a second handle: another gfictl on the same store.
      auto other = i % 2 == 0 ? nullptr : b.Open(false);
      QuarantineStore& q = other ? *other : *s;
      Status st = q.ClaimForRelease(id, "admin" + std::to_string(i));
      if (st.ok()) claimed++;
      else if (st.code() == ErrorCode::kConflict) conflicts++;
    });
  for (auto& t : ts) t.join();
  CHECK(claimed == 1);
  CHECK(conflicts == 7);
  CHECK(s->Get(id).value().status == QuarantineStatus::kReleasing);
  // The expected status no longer holds: a conflict, nothing changes.
  Status wrong = s->SetStatus(id, QuarantineStatus::kHeld, QuarantineStatus::kDeleted, "x", "");
  CHECK(wrong.code() == ErrorCode::kConflict);
  REQUIRE(s->SetStatus(id, QuarantineStatus::kReleasing, QuarantineStatus::kReleased, "admin",
                       "to a@b")
              .ok());
  CHECK(s->ClaimForRelease(id, "admin").code() == ErrorCode::kConflict);  // already released
  auto e = s->Get(id).value();
  CHECK(e.status == QuarantineStatus::kReleased);
  REQUIRE(e.history.size() == 3);  // held, releasing, released: in order, with who and what
  CHECK(e.history[0].status == QuarantineStatus::kHeld);
  CHECK(e.history[1].status == QuarantineStatus::kReleasing);
  CHECK(e.history[2].status == QuarantineStatus::kReleased);
  CHECK(e.history[2].by == "admin");
  CHECK(e.history[2].detail == "to a@b");
  CHECK(e.history[0].time <= e.history[2].time);
}

TEMPLATE_TEST_CASE("store contract: delete and purge remove bytes and keep the record", "[store]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  std::string id = s->Put(Sample("x@y.example"), std::string("m")).value();
  REQUIRE(s->Delete(id, "admin").ok());
  CHECK(s->Get(id).value().status == QuarantineStatus::kDeleted);
  CHECK(s->ReadRaw(id).code() == ErrorCode::kNotFound);
  CHECK(s->Delete(id, "admin").code() == ErrorCode::kConflict);  // already deleted
  std::string busy = s->Put(Sample("busy@y.example", 50), std::string("b")).value();
  REQUIRE(s->ClaimForRelease(busy, "admin").ok());
  CHECK(s->Delete(busy, "admin").code() == ErrorCode::kConflict);  // a release is in progress

  REQUIRE(s->Put(Sample("a@old.example", 100), std::string("1")).ok());
  REQUIRE(s->Put(Sample("b@new.example", 4000000000), std::string("2")).ok());
  auto candidates = s->PurgeCandidates(1000).value();
  REQUIRE(candidates.size() == 1);  // not the deleted one, not the one being released
  CHECK(candidates[0].mail_from == "a@old.example");
  size_t calls = 0;
  auto n = s->Purge(1000, "admin", [&](size_t, size_t) { ++calls; });
  REQUIRE(n.ok());
  CHECK(n.value() == 1);
  CHECK(calls == 1);
  QuarantineFilter f;
  f.status = QuarantineStatus::kHeld;
  auto held = s->List(f).value();
  REQUIRE(held.size() == 1);
  CHECK(held[0].mail_from == "b@new.example");
  f.status = QuarantineStatus::kDeleted;
  CHECK(s->List(f).value().size() == 2);  // deleted entries stay listed, with their history
}

TEMPLATE_TEST_CASE("store contract: unknown and malformed ids are not found", "[store]",
                   SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  for (const char* id : {"20990101T000000.000000Z-abc", "../../etc/passwd", "", "x'; DROP--"}) {
    INFO(id);
    auto g = s->Get(id);
    REQUIRE_FALSE(g.ok());
    CHECK(g.code() == ErrorCode::kNotFound);
    CHECK(g.error().find("no quarantine entry") != std::string::npos);
    CHECK(s->ReadRaw(id).code() == ErrorCode::kNotFound);
    CHECK(s->Delete(id, "admin").code() == ErrorCode::kNotFound);
    CHECK(s->ClaimForRelease(id, "admin").code() == ErrorCode::kNotFound);
  }
  CHECK(s->List(QuarantineFilter{}).value().empty());
}

TEMPLATE_TEST_CASE("store contract: found by id, reference or queue id; counts cover the filter",
                   "[store]", SqliteBackend, PgBackend) {
  if (!TestType::Available()) return;
  TestType b;
  auto s = b.Open();
  QuarantineEntry a = Sample("a@x.example");
  a.ref = "GFI-AAAA";
  a.queue_id = "4QA1";
  QuarantineEntry bb = Sample("b@x.example");
  bb.ref = "GFI-BBBB";
  bb.queue_id = "4QSAME";
  QuarantineEntry c = Sample("c@x.example");
  c.ref = "GFI-CCCC";
  c.queue_id = "4QSAME";  // one message split into two entries (recipients of two tenants)
  QuarantineEntry none = Sample("n@x.example");
  none.ref = "";
  none.queue_id = "";
  std::string ia = s->Put(a, std::string(2000, 'a')).value();
  std::string ib = s->Put(bb, std::string(3000, 'b')).value();
  std::string ic = s->Put(c, std::string("c")).value();
  REQUIRE(s->Put(none, std::string("n")).ok());
  CHECK(s->Find(ia).value() == std::vector<std::string>{ia});
  CHECK(s->Find("GFI-AAAA").value() == std::vector<std::string>{ia});
  CHECK(s->Find("4QA1").value() == std::vector<std::string>{ia});
  auto both = s->Find("4QSAME").value();
  CHECK(both.size() == 2);
  CHECK(std::find(both.begin(), both.end(), ib) != both.end());
  CHECK(std::find(both.begin(), both.end(), ic) != both.end());
  CHECK(s->Find("").value().empty());  // an empty key never matches entries without a ref
  CHECK(s->Find("GFI-NONE").value().empty());

  QuarantineFilter f;
  f.limit = 1;  // ignored by Count
  auto t = s->Count(f).value();
  CHECK(t.entries == 4);
  CHECK(t.bytes == 5002);
  f.sender = "b@";
  CHECK(s->Count(f).value().entries == 1);
  CHECK(s->Count(f).value().bytes == 3000);
  CHECK(s->PurgeCandidates(4000000000).value().size() == 4);
  CHECK(s->PurgeCandidates(1).value().empty());
  CHECK_FALSE(s->Describe().empty());
}

}  // namespace gfi
