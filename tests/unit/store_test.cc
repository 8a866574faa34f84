// What is particular to the embedded SQLite store (quarantine/sqlite_store.h), on a real database
// in a temp dir: file modes and ownership, corruption, a full disk, reconcile. What every backend
// must do is in store_contract_test.cc.
#include "quarantine/sqlite_store.h"

#include <pwd.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <thread>

#include "quarantine/reconcile.h"

namespace gfi {
namespace {

struct TempDir {
  std::string path;
  TempDir() {
    char tmpl[] = "/tmp/gfi-store-test.XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { (void)!std::system(("rm -rf '" + path + "'").c_str()); }
};

QuarantineEntry Sample(const std::string& from, int64_t time = 0) {
  QuarantineEntry e;
  e.time = time;
  e.ref = "GFI-1";
  e.queue_id = "4ABC";
  e.client_ip = "192.0.2.1";
  e.mail_from = from;
  e.rcpts = {"a@acme.example", "b@acme.example"};
  e.subject = "Invoice";
  e.tenant = "acme";
  e.action = "quarantine";
  e.mode = QuarantineMode::kStore;
  e.matches = {{"ind-1", "domain", "body.html", "quarantine"}, {"ind-2", "sha256", "attachment",
                                                                 "quarantine"}};
  return e;
}

StoreOpenOptions Create() {
  StoreOpenOptions o;
  o.create = true;
  return o;
}

}  // namespace

TEST_CASE("a stored message is listed, shown and read back exactly") {
  TempDir d;
  auto s = SqliteQuarantineStore::Open(d.path + "/q", Create());
  REQUIRE(s.ok());
  std::string raw = "From: x@y\r\nSubject: Invoice\r\n\r\nbody\r\n.\r\n";
  auto id = s.value()->Put(Sample("x@evil.example"), raw);
  REQUIRE(id.ok());
  auto list = s.value()->List(QuarantineFilter{});
  REQUIRE(list.ok());
  REQUIRE(list.value().size() == 1);
  const QuarantineEntry& e = list.value()[0];
  CHECK(e.id == id.value());
  CHECK(e.rcpts == std::vector<std::string>{"a@acme.example", "b@acme.example"});
  REQUIRE(e.matches.size() == 2);
  CHECK(e.matches[1].indicator == "ind-2");
  CHECK(e.matches[1].where == "attachment");
  CHECK(e.status == QuarantineStatus::kHeld);
  CHECK(e.size == raw.size());
  CHECK(s.value()->ReadRaw(id.value()).value() == raw);
  struct stat st;
  REQUIRE(::stat(s.value()->MessagePath(id.value()).c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0640);
  auto got = s.value()->Get(id.value());
  REQUIRE(got.ok());
  REQUIRE(got.value().history.size() == 1);
  CHECK(got.value().history[0].status == QuarantineStatus::kHeld);
}

TEST_CASE("unknown ids, a missing store and a corrupted message file are clear errors") {
  TempDir d;
  CHECK(SqliteQuarantineStore::Open(d.path + "/missing", StoreOpenOptions{}).error().find(
            "missing") !=
        std::string::npos);
  auto s = SqliteQuarantineStore::Open(d.path, Create()).value();
  CHECK(s->Get("20990101T000000.000000Z-abc").error().find("no quarantine entry") !=
        std::string::npos);
  CHECK(s->Get("../../etc/passwd").error().find("no quarantine entry") != std::string::npos);
  std::string id = s->Put(Sample("x@y.example"), std::string("original")).value();
  { std::ofstream(s->MessagePath(id)) << "tampered"; }
  CHECK(s->ReadRaw(id).error().find("corrupted") != std::string::npos);
  CHECK(s->ReadRaw(id).code() == ErrorCode::kCorruption);
  ::unlink(s->MessagePath(id).c_str());
  CHECK(s->ReadRaw(id).error().find("message file") != std::string::npos);
  CHECK(s->List(QuarantineFilter{}).value().size() == 1);  // the listing still works
  // A file that is not a store index.
  { std::ofstream(d.path + "/bad/index.sqlite"); }
  ::mkdir((d.path + "/bad").c_str(), 0700);
  { std::ofstream(d.path + "/bad/index.sqlite") << "not sqlite at all, really not"; }
  ::mkdir((d.path + "/bad/messages").c_str(), 0700);
  CHECK_FALSE(SqliteQuarantineStore::Open(d.path + "/bad", StoreOpenOptions{}).ok());
}

TEST_CASE("a full disk fails Put with an error, no index row and no partial file") {
  // Needs root for the mount (CI runs as root); elsewhere the case is reported and skipped.
  TempDir d;
  std::string mnt = d.path + "/small";
  ::mkdir(mnt.c_str(), 0700);
  if (std::system(("mount -t tmpfs -o size=256k tmpfs '" + mnt + "' 2>/dev/null").c_str()) != 0) {
    WARN("cannot mount a tmpfs here (not root?): full-disk case not run");
    return;
  }
  {
    auto s = SqliteQuarantineStore::Open(mnt + "/q", Create());
    REQUIRE(s.ok());
    std::string small(1000, 'a');
    REQUIRE(s.value()->Put(Sample("ok@y.example"), small).ok());
    std::string big(400 * 1024, 'b');
    auto id = s.value()->Put(Sample("big@y.example"), big);
    CHECK_FALSE(id.ok());
    CHECK(id.error().find("No space left on device") != std::string::npos);
    auto list = s.value()->List(QuarantineFilter{}).value();
    REQUIRE(list.size() == 1);
    CHECK(list[0].mail_from == "ok@y.example");
    std::string leftovers;
    std::FILE* p = ::popen(("ls -A '" + mnt + "/q/messages'").c_str(), "r");
    char buf[256];
    while (std::fgets(buf, sizeof(buf), p) != nullptr) leftovers += buf;
    ::pclose(p);
    CHECK(leftovers == list[0].id + ".eml\n");  // no temp file left behind
  }
  (void)!std::system(("umount '" + mnt + "'").c_str());
}

namespace {

// Sets a file's mtime `age` seconds into the past (reconcile leaves fresh files alone).
void Age(const std::string& path, int64_t age) {
  struct timeval tv[2];
  tv[0].tv_sec = tv[1].tv_sec = static_cast<time_t>(std::time(nullptr) - age);
  tv[0].tv_usec = tv[1].tv_usec = 0;
  REQUIRE(::utimes(path.c_str(), tv) == 0);
}

}  // namespace

TEST_CASE("reconcile finds orphan files and rows without bytes, and repairs both") {
  TempDir d;
  auto s = SqliteQuarantineStore::Open(d.path, Create()).value();
  std::string kept =
      s->Put(Sample("kept@y.example"), std::string("Subject: kept\r\n\r\nx")).value();
  std::string lost =
      s->Put(Sample("lost@y.example"), std::string("Subject: lost\r\n\r\nx")).value();
  std::string gone = s->Put(Sample("gone@y.example"), std::string("y")).value();
  REQUIRE(s->Delete(gone, "admin").ok());  // deleted: no file, and that is fine
  ::unlink(s->MessagePath(lost).c_str());
  const std::string orphan = "20260102T030405.000006Z-abc";
  const std::string raw =
      "From: =?UTF-8?Q?J=C3=BCrgen?= <j@evil.example>\r\nSubject: =?UTF-8?Q?Rechnung_f=C3=BCr?= "
      "Mai\r\nTo: a@acme.example\r\n\r\nbody\r\n";
  { std::ofstream(s->MessagePath(orphan), std::ios::binary) << raw; }
  Age(s->MessagePath(orphan), 3600);
  const std::string fresh = "20260102T030405.000007Z-abd";  // being stored right now
  { std::ofstream(s->MessagePath(fresh)) << "Subject: fresh\r\n\r\n"; }
  { std::ofstream(d.path + "/messages/.x.eml.tmp") << "temp"; }  // never an orphan

  ReconcileOptions o;
  auto found = Reconcile(*s, o);
  REQUIRE(found.ok());
  CHECK(found.value().orphan_files == std::vector<std::string>{orphan});
  CHECK(found.value().missing_files == std::vector<std::string>{lost});
  CHECK(found.value().unrepaired() == 2);
  CHECK_FALSE(s->Get(orphan).ok());  // a check alone changes nothing

  o.repair_files = o.repair_rows = true;
  o.by = "admin";
  auto fixed = Reconcile(*s, o);
  REQUIRE(fixed.ok());
  CHECK(fixed.value().files_recovered == 1);
  CHECK(fixed.value().rows_marked == 1);
  CHECK(fixed.value().unrepaired() == 0);
  CHECK(fixed.value().errors.empty());

  auto rec = s->Get(orphan);
  REQUIRE(rec.ok());
  CHECK(rec.value().status == QuarantineStatus::kHeld);
  CHECK(rec.value().mode == QuarantineMode::kStore);
  CHECK(rec.value().subject == "Rechnung für Mai");
  CHECK(rec.value().header_from.find("j@evil.example") != std::string::npos);
  CHECK(rec.value().time == 1767323045);  // 2026-01-02T03:04:05Z, from the id
  REQUIRE(rec.value().history.size() == 1);
  CHECK(rec.value().history[0].detail == "recovered from an orphan file");
  CHECK(rec.value().history[0].by == "admin");
  CHECK(s->ReadRaw(orphan).value() == raw);  // size and sha256 taken from the file

  auto missing = s->Get(lost).value();
  CHECK(missing.status == QuarantineStatus::kMissing);
  CHECK(missing.history.back().detail.find("is missing") != std::string::npos);
  QuarantineFilter f;
  f.status = QuarantineStatus::kMissing;
  CHECK(s->List(f).value().size() == 1);                // still listed
  CHECK_FALSE(s->ClaimForRelease(lost, "admin").ok());  // nothing to release
  CHECK(s->Delete(lost, "admin").ok());                 // but it can be deleted
  CHECK(s->Get(kept).value().status == QuarantineStatus::kHeld);

  auto again = Reconcile(*s, o);
  REQUIRE(again.ok());
  CHECK(again.value().orphan_files.empty());
  CHECK(again.value().missing_files.empty());
  o.min_age_seconds = 0;  // the daemon at start: no writer yet, fresh files count too
  CHECK(Reconcile(*s, o).value().files_recovered == 1);
  CHECK(s->Get(fresh).ok());
}

TEST_CASE("started as root, the store hands its files to the daemon's user") {
  if (::geteuid() != 0) {
    WARN("not root: chown cannot be tested here");
    return;
  }
  struct passwd* pw = ::getpwnam("nobody");
  REQUIRE(pw != nullptr);
  TempDir d;
  StoreOpenOptions o = Create();
  o.owner = std::make_pair(pw->pw_uid, pw->pw_gid);
  auto s = SqliteQuarantineStore::Open(d.path + "/q", o);
  REQUIRE(s.ok());
  for (const char* p : {"/q", "/q/messages", "/q/index.sqlite"}) {
    INFO(p);
    struct stat st;
    REQUIRE(::stat((d.path + p).c_str(), &st) == 0);
    CHECK(st.st_uid == pw->pw_uid);
    CHECK(st.st_gid == pw->pw_gid);
  }
  struct stat st;
  REQUIRE(::stat((d.path + "/q").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0750);
}

TEST_CASE("a row with a status this version does not know is corruption, not a guess") {
  TempDir d;
  auto s = SqliteQuarantineStore::Open(d.path, Create()).value();
  std::string id = s->Put(Sample("x@y.example"), std::string("m")).value();
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open((d.path + "/index.sqlite").c_str(), &db) == SQLITE_OK);
  REQUIRE(sqlite3_exec(db, "UPDATE entries SET status = 'frozen'", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
  sqlite3_close(db);
  auto g = s->Get(id);
  REQUIRE_FALSE(g.ok());
  CHECK(g.code() == ErrorCode::kCorruption);
  CHECK(g.error().find("newer gfi-milter") != std::string::npos);
  CHECK(s->List(QuarantineFilter{}).code() == ErrorCode::kCorruption);
}

}  // namespace gfi

namespace gfi {
namespace {

// The index as gfi-milter wrote it before schema versions (version 0): no host column.
constexpr const char* kIndexV0 = R"(
CREATE TABLE entries(
  id TEXT PRIMARY KEY, time INTEGER NOT NULL, ref TEXT, queue_id TEXT, client_ip TEXT,
  client_name TEXT, helo TEXT, mail_from TEXT, rcpts TEXT, header_from TEXT, subject TEXT,
  tenant TEXT, action TEXT, mode TEXT, size INTEGER, sha256 TEXT, matches TEXT,
  status TEXT NOT NULL);
CREATE INDEX entries_time ON entries(time);
CREATE TABLE history(
  id TEXT NOT NULL, time INTEGER NOT NULL, status TEXT NOT NULL, actor TEXT, detail TEXT);
CREATE INDEX history_id ON history(id);
INSERT INTO entries VALUES ('20261101T000000.000000Z-abc', 1793491200, 'GFI-OLD', 'Q1',
  '192.0.2.9', '', 'helo', 'old@evil.example', 'a@acme.example', '', 'Old one', 'acme',
  'quarantine', 'hold', 0, '', 'ind-1	domain	body	quarantine', 'held');
INSERT INTO history VALUES ('20261101T000000.000000Z-abc', 1793491200, 'held', 'gfi-milter',
  'hold');
)";

void SqliteExec(const std::string& db, const std::string& sql) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(h, sql.c_str(), nullptr, nullptr, &err);
  INFO((err != nullptr ? err : ""));
  sqlite3_free(err);
  sqlite3_close(h);
  REQUIRE(rc == SQLITE_OK);
}

int64_t UserVersion(const std::string& db) {
  sqlite3* h = nullptr;
  REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
  sqlite3_stmt* s = nullptr;
  REQUIRE(sqlite3_prepare_v2(h, "PRAGMA user_version", -1, &s, nullptr) == SQLITE_OK);
  REQUIRE(sqlite3_step(s) == SQLITE_ROW);
  int64_t v = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  sqlite3_close(h);
  return v;
}

}  // namespace

TEST_CASE("an index from before schema versions is upgraded in place: entries kept, host added") {
  TempDir d;
  REQUIRE(::mkdir((d.path + "/messages").c_str(), 0750) == 0);
  SqliteExec(d.path + "/index.sqlite", kIndexV0);
  StoreOpenOptions o;  // gfictl's open (no create) upgrades too
  auto q = SqliteQuarantineStore::Open(d.path, o);
  INFO(q.status().message());
  REQUIRE(q.ok());
  CHECK(UserVersion(d.path + "/index.sqlite") == 1);
  auto old = q.value()->Get("20261101T000000.000000Z-abc");
  REQUIRE(old.ok());
  CHECK(old.value().mail_from == "old@evil.example");
  CHECK(old.value().host.empty());
  CHECK(old.value().history.size() == 1);
  QuarantineEntry e = Sample("new@evil.example");
  e.host = "mx7";
  auto id = q.value()->Put(e, std::string("message"));
  REQUIRE(id.ok());
  CHECK(q.value()->Get(id.value()).value().host == "mx7");
  QuarantineFilter f;
  f.host = "mx7";
  auto l = q.value()->List(f);
  REQUIRE(l.ok());
  REQUIRE(l.value().size() == 1);
  CHECK(l.value()[0].id == id.value());
  CHECK(q.value()->List({}).value().size() == 2);
  // Opened again: nothing to do, nothing changes.
  q = SqliteQuarantineStore::Open(d.path, o);
  REQUIRE(q.ok());
  CHECK(q.value()->List({}).value().size() == 2);
  // An entry put without a host gets this machine's.
  auto local = q.value()->Put(Sample("x@evil.example"), std::string("m"));
  CHECK(q.value()->Get(local.value()).value().host == LocalStoreHost());
}

TEST_CASE("an index newer than this program is refused, not read") {
  TempDir d;
  { auto q = SqliteQuarantineStore::Open(d.path, Create()); REQUIRE(q.ok()); }
  SqliteExec(d.path + "/index.sqlite", "PRAGMA user_version = 42");
  auto q = SqliteQuarantineStore::Open(d.path, StoreOpenOptions{});
  REQUIRE_FALSE(q.ok());
  CHECK(q.status().code() == ErrorCode::kCorruption);
  CHECK(q.status().message().find("schema version 42 is newer") != std::string::npos);
}

}  // namespace gfi
