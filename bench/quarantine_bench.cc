// Quarantine store: durable write throughput, and listing latency with a large index.
//
//   build/bench/quarantine_bench [DIR] [ENTRIES] [GFICTL]        the embedded SQLite store
//   build/bench/quarantine_bench --pg DSN [ENTRIES]              the PostgreSQL store
//                                                                (bench/pg_bench.py runs it
//                                                                against a private cluster)
//
// 1. Put() of 10 KB and 200 KB messages, each durable before it returns (file fsync, rename,
//    directory fsync, SQLite commit with synchronous=FULL), one writer and four writers.
// 2. ENTRIES (default 1,000,000) index rows added in bulk (one transaction: this part measures
//    reading, not writing), then List(): the newest 50; with a sender filter; with a status filter;
//    the newest 50 since an hour ago; and `gfictl quarantine list --json` as a process (when GFICTL
//    is given), which includes start-up and opening the store.
// DIR must be on the disk under test (default /var/tmp); it is created and removed.
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <libpq-fe.h>

#include "quarantine/pg_store.h"
#include "quarantine/sqlite_store.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

gfi::QuarantineEntry Entry(int i) {
  gfi::QuarantineEntry e;
  e.ref = "GFI-BENCH" + std::to_string(i);
  e.queue_id = "Q" + std::to_string(i);
  e.client_ip = "192.0.2." + std::to_string(i % 250);
  e.mail_from = "sender" + std::to_string(i % 1000) + "@example.org";
  e.rcpts = {"user" + std::to_string(i % 5000) + "@acme.example"};
  e.subject = "Invoice " + std::to_string(i);
  e.tenant = "acme";
  e.action = "quarantine";
  e.mode = gfi::QuarantineMode::kStore;
  e.matches = {{"ind-" + std::to_string(i % 777), "domain", "body.html", "quarantine"}};
  return e;
}

void PgExec(const std::string& dsn, const std::string& sql) {
  PGconn* c = PQconnectdb(dsn.c_str());
  PGresult* r = PQexec(c, sql.c_str());
  if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
    std::fprintf(stderr, "%s: %s\n", sql.substr(0, 60).c_str(), PQresultErrorMessage(r));
    std::exit(1);
  }
  PQclear(r);
  PQfinish(c);
}

// An empty store of the backend under test.
gfi::Result<std::unique_ptr<gfi::QuarantineStore>> Fresh(const std::string& dir,
                                                         const std::string& dsn) {
  if (!dsn.empty()) {
    PgExec(dsn, "SET client_min_messages = warning; DROP TABLE IF EXISTS gfi_quarantine_history, "
                "gfi_quarantine_messages, gfi_quarantine_entries; CREATE TABLE IF NOT EXISTS "
                "gfi_schema_version (component text PRIMARY KEY, version integer NOT NULL); "
                "DELETE FROM gfi_schema_version WHERE component = 'quarantine'");
    auto s = gfi::PgQuarantineStore::Open(dsn, gfi::PgStoreOptions{4, 30000});
    if (!s.ok()) return s.status();
    return std::unique_ptr<gfi::QuarantineStore>(std::move(s).value());
  }
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
  auto s = gfi::SqliteQuarantineStore::Open(dir, gfi::StoreOpenOptions{true, std::nullopt});
  if (!s.ok()) return s.status();
  return std::unique_ptr<gfi::QuarantineStore>(std::move(s).value());
}

void Writes(const std::string& dir, const std::string& dsn, size_t size, int count, int threads) {
  auto store = Fresh(dir, dsn);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    std::exit(1);
  }
  std::string msg = "Subject: bench\r\n\r\n" + std::string(size, 'x');
  auto t0 = Clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      for (int i = t; i < count; i += threads) {
        auto id = store.value()->Put(Entry(i), msg);
        if (!id.ok()) {
          std::fprintf(stderr, "%s\n", id.error().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& t : ts) t.join();
  double s = Seconds(t0);
  std::printf("durable Put, %4zu KB, %d writer(s): %6.0f messages/s (%d in %.2f s)\n",
              size / 1024, threads, count / s, count, s);
}

void ListTimings(gfi::QuarantineStore& store, int64_t now) {
  auto time_list = [&](const char* what, gfi::QuarantineFilter f) {
    double best = 1e9;
    size_t n = 0;
    for (int r = 0; r < 5; ++r) {
      auto t = Clock::now();
      auto l = store.List(f);
      best = std::min(best, Seconds(t));
      n = l.ok() ? l.value().size() : 0;
    }
    std::printf("List %-34s %3zu entries in %7.2f ms (best of 5)\n", what, n, best * 1000);
  };
  gfi::QuarantineFilter f;
  time_list("newest 50", f);
  f.sender = "sender7@";
  time_list("newest 50, sender contains", f);
  f = {};
  f.status = gfi::QuarantineStatus::kReleased;
  time_list("newest 50, status released", f);
  f = {};
  f.since = now - 3600;
  time_list("newest 50 of the last hour", f);
  f = {};
  f.host = "mx2";
  time_list("newest 50 of one host", f);
  f = {};
  f.offset = 500000;
  time_list("50 at offset 500000 (deep page)", f);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::string dsn;
  if (args.size() >= 2 && args[0] == "--pg") {
    dsn = args[1];
    args.erase(args.begin(), args.begin() + 2);
    args.insert(args.begin(), "");  // no DIR: the positions below are the same
  }
  std::string base = !args.empty() && !args[0].empty() ? args[0] : "/var/tmp";
  long entries = args.size() > 1 ? std::atol(args[1].c_str()) : 1000000;
  std::string gfictl = dsn.empty() && args.size() > 2 ? args[2] : "";
  std::string dir = base + "/gfi-quarantine-bench";
  std::printf("backend: %s\n", dsn.empty() ? ("sqlite under " + base).c_str() : "postgresql");

  Writes(dir, dsn, 10 * 1024, 300, 1);
  Writes(dir, dsn, 10 * 1024, 300, 4);
  Writes(dir, dsn, 200 * 1024, 100, 1);
  Writes(dir, dsn, 200 * 1024, 100, 4);
  if (!dsn.empty()) {
    // A large table, built on the server in one statement (this part measures reading).
    (void)Fresh(dir, dsn);
    auto t0 = Clock::now();
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    PgExec(dsn,
           "INSERT INTO gfi_quarantine_entries SELECT 'B' || lpad((" + std::to_string(now) +
               " - (" + std::to_string(entries) + " - i) * 2)::text, 12, '0') || '-' || "
               "lpad(i::text, 7, '0'), " + std::to_string(now) + " - (" +
               std::to_string(entries) + " - i) * 2, 'mx' || (i % 4), 'GFI-BENCH' || i, "
               "'Q' || i, '192.0.2.' || (i % 250), '', 'helo', 'sender' || (i % 1000) || "
               "'@example.org', 'user' || (i % 5000) || '@acme.example', '', 'Invoice ' || i, "
               "'acme', 'quarantine', 'store', 10240, '', 'ind-' || (i % 777) || "
               "E'\\tdomain\\tbody.html\\tquarantine', CASE WHEN i % 10 = 0 THEN 'released' "
               "ELSE 'held' END FROM generate_series(0, " + std::to_string(entries - 1) +
               ") AS i; ANALYZE gfi_quarantine_entries");
    std::printf("table of %ld entries built in %.1f s\n", entries, Seconds(t0));
    auto store = gfi::PgQuarantineStore::Open(dsn, gfi::PgStoreOptions{4, 30000});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", store.error().c_str());
      return 1;
    }
    ListTimings(*store.value(), now);
    (void)Fresh(dir, dsn);
    return 0;
  }

  // A large index, in bulk.
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
  { auto s = gfi::SqliteQuarantineStore::Open(dir, gfi::StoreOpenOptions{true, std::nullopt}); }
  sqlite3* db = nullptr;
  sqlite3_open((dir + "/index.sqlite").c_str(), &db);
  auto t0 = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
                     &st, nullptr);
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  for (long i = 0; i < entries; ++i) {
    gfi::QuarantineEntry e = Entry(static_cast<int>(i));
    char id[64];
    int64_t t = now - (entries - i) * 2;  // one every 2 s, the newest now
    std::snprintf(id, sizeof(id), "B%012lld-%07ld", static_cast<long long>(t), i);
    std::string vals[] = {id, "", e.ref, e.queue_id, e.client_ip, "", "helo", e.mail_from,
                          e.rcpts[0], "", e.subject, e.tenant, e.action,
                          std::string(gfi::ToString(e.mode)), "", "",
                          e.matches[0].indicator + "\tdomain\tbody.html\tquarantine",
                          std::string(gfi::ToString(i % 10 == 0 ? gfi::QuarantineStatus::kReleased
                                                              : gfi::QuarantineStatus::kHeld)),
                          "mx" + std::to_string(i % 4)};
    for (int c = 0; c < 19; ++c)
      sqlite3_bind_text(st, c + 1, vals[c].data(), static_cast<int>(vals[c].size()),
                        SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, t);
    sqlite3_bind_int64(st, 15, 10240);
    if (sqlite3_step(st) != SQLITE_DONE) {
      std::fprintf(stderr, "bulk insert: %s\n", sqlite3_errmsg(db));
      return 1;
    }
    sqlite3_reset(st);
  }
  sqlite3_finalize(st);
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  sqlite3_close(db);
  std::printf("index of %ld entries built in %.1f s\n", entries, Seconds(t0));

  auto store = gfi::SqliteQuarantineStore::Open(dir, gfi::StoreOpenOptions{});
  ListTimings(*store.value(), now);
  if (!gfictl.empty()) {
    std::string conf = dir + "/bench.toml";
    std::ofstream(conf) << "[quarantine]\ndir = \"" << dir << "\"\n";
    double best = 1e9;
    for (int r = 0; r < 5; ++r) {
      auto t = Clock::now();
      (void)!std::system((gfictl + " quarantine list --json --config " + conf + " > /dev/null")
                             .c_str());
      best = std::min(best, Seconds(t));
    }
    std::printf("gfictl quarantine list --json (process)   50 entries in %7.2f ms (best of 5)\n",
                best * 1000);
  }
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
  return 0;
}
