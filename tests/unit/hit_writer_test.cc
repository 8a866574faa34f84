// The hit-record writer (hits/hit_writer.h) and what a message leaves in it (hits/recorder.h):
// a bounded queue whose drops are counted and logged, batches, a retry after a failed write, the
// flush at stop; and records that carry ids and names only, whatever the message held.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hits/hit_writer.h"
#include "hits/recorder.h"

namespace gfi {
namespace {

// An in-memory store that can be made to fail or to block its writes.
class FakeStore final : public HitStore {
 public:
  Status Write(const HitBatch& b) override {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [this] { return !blocked; });
    ++attempts;
    if (fail) return Status::Error(ErrorCode::kIo, "fake: disk on fire");
    hits.insert(hits.end(), b.hits.begin(), b.hits.end());
    for (const MessageCount& m : b.messages) messages += m.count;
    ++batches;
    return Status::Ok();
  }
  Result<HitAggregates> Aggregate(const HitQuery&) override { return HitAggregates{}; }
  Result<uint64_t> Purge(int64_t before) override {
    std::lock_guard<std::mutex> lock(mu);
    purged_before = before;
    return uint64_t{0};
  }
  Result<HitStoreCounts> Counts() override { return HitStoreCounts{}; }
  std::string Describe() const override { return "fake:"; }

  void Block(bool b) {
    {
      std::lock_guard<std::mutex> lock(mu);
      blocked = b;
    }
    cv.notify_all();
  }
  size_t HitCount() {
    std::lock_guard<std::mutex> lock(mu);
    return hits.size();
  }

  std::mutex mu;
  std::condition_variable cv;
  bool blocked = false, fail = false;
  std::vector<HitRecord> hits;
  uint64_t messages = 0;
  int attempts = 0, batches = 0;
  int64_t purged_before = 0;
};

MessageHits Message(int n_hits, int64_t time = 1764547200) {
  MessageHits m;
  m.time = time;
  m.action = Action::kQuarantine;
  m.tenants = {"acme"};
  for (int i = 0; i < n_hits; ++i) {
    HitRecord h;
    h.time = time;
    h.tenant = "acme";
    h.feed = "ecs";
    h.indicator = "ind-" + std::to_string(i);
    h.type = "domain";
    m.hits.push_back(h);
  }
  return m;
}

struct Log {
  std::mutex mu;
  std::vector<std::string> lines;
  std::function<void(int, const std::string&)> Sink() {
    return [this](int, const std::string& s) {
      std::lock_guard<std::mutex> lock(mu);
      lines.push_back(s);
    };
  }
  bool Has(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    for (const std::string& l : lines)
      if (l.find(needle) != std::string::npos) return true;
    return false;
  }
};

bool WaitFor(const std::function<bool()>& cond) {
  for (int i = 0; i < 500; ++i) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return cond();
}

}  // namespace

TEST_CASE("hit writer: records reach the store in batches, and Stop flushes", "[hits]") {
  auto store = std::make_shared<FakeStore>();
  Log log;
  HitWriterOptions o;
  o.batch_size = 10;
  o.flush_ms = 60000;  // only the batch size or Stop can write
  o.log = log.Sink();
  HitWriter w(store, o);
  w.Start();
  for (int i = 0; i < 5; ++i) REQUIRE(w.Push(Message(2)));  // 10 records: one batch
  CHECK(WaitFor([&] { return store->HitCount() == 10; }));
  REQUIRE(w.Push(Message(3)));  // below the batch size: waits for the flush
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(store->HitCount() == 10);
  w.Stop();
  CHECK(store->HitCount() == 13);
  CHECK(store->messages == 6);
  CHECK(w.stats().written == 13);
  CHECK(w.stats().dropped == 0);
}

TEST_CASE("hit writer: a full queue drops records, counts and logs them", "[hits]") {
  auto store = std::make_shared<FakeStore>();
  Log log;
  HitWriterOptions o;
  o.queue_size = 8;
  o.batch_size = 1000;
  o.flush_ms = 60000;
  o.log = log.Sink();
  store->Block(true);
  auto w = std::make_unique<HitWriter>(store, o);
  w->Start();
  CHECK(w->Push(Message(5)));
  CHECK(w->Push(Message(3)));   // 8: full
  CHECK_FALSE(w->Push(Message(1)));  // dropped whole
  CHECK_FALSE(w->Push(Message(4)));
  CHECK(w->Push(Message(0)));  // a message without hits still counts
  CHECK(w->stats().dropped == 5);
  CHECK(w->stats().queued == 8);
  store->Block(false);
  w->Stop();
  CHECK(store->HitCount() == 8);
  CHECK(store->messages == 5);  // every message counted, dropped hits or not
  CHECK(log.Has("5 record(s) dropped"));
  CHECK(log.Has("queue_size = 8"));
}

TEST_CASE("hit writer: a failed write is retried, nothing lost while it fits", "[hits]") {
  auto store = std::make_shared<FakeStore>();
  Log log;
  HitWriterOptions o;
  o.flush_ms = 20;
  o.log = log.Sink();
  store->fail = true;
  HitWriter w(store, o);
  w.Start();
  REQUIRE(w.Push(Message(4)));
  CHECK(WaitFor([&] { return w.stats().write_errors >= 2; }));
  CHECK(w.stats().queued == 4);
  CHECK(w.stats().last_error.find("disk on fire") != std::string::npos);
  CHECK(log.Has("write failed"));
  {
    std::lock_guard<std::mutex> lock(store->mu);
    store->fail = false;
  }
  CHECK(WaitFor([&] { return store->HitCount() == 4; }));
  w.Stop();
  CHECK(store->messages == 1);
  CHECK(w.stats().dropped == 0);
}

TEST_CASE("hit writer: retention purges on the writer thread", "[hits]") {
  auto store = std::make_shared<FakeStore>();
  HitWriterOptions o;
  o.flush_ms = 10;
  o.retention_days = 10;
  o.log = [](int, const std::string&) {};
  HitWriter w(store, o);
  w.Start();
  CHECK(WaitFor([&] {
    std::lock_guard<std::mutex> lock(store->mu);
    return store->purged_before != 0;
  }));
  w.Stop();
  const int64_t expected = static_cast<int64_t>(std::time(nullptr)) - 10 * 86400;
  CHECK(std::abs(store->purged_before - expected) < 60);
}

TEST_CASE("recorder: ids and names only, one counted record per indicator", "[hits]") {
  ScanResult r;
  Verdict v;
  v.tenant = "acme";
  v.action = Action::kReject;
  v.would_action = Action::kReject;
  MatchReport a;
  a.indicator = "indicator--0d0e7a2b-17d4-4cbf-938f-98ee46b3cd01";
  a.feed = "ecs";
  a.type = "domain";
  a.value = "evil.example";
  a.observed = "login.evil.example";
  a.where = Where::kBodyHtml;
  a.action = Action::kReject;
  MatchReport again = a;  // the same indicator, the same place: one record
  MatchReport text = a;
  text.where = Where::kBodyText;  // another place: a record, not counted again
  MatchReport red = a;
  red.indicator = "red-1";
  red.marking = "TLP:RED";
  red.redacted = true;
  red.value.clear();
  red.observed.clear();
  red.where = Where::kMailFrom;
  v.matches = {a, again, text, red};
  r.verdict = v;
  r.tenant_verdicts = {v};
  PolicySettings p;
  MessageHits m = HitsOf(r, p, 1764547200);
  CHECK(m.action == Action::kReject);
  REQUIRE(m.tenants == std::vector<std::string>{"acme"});
  REQUIRE(m.hits.size() == 3);
  CHECK(m.hits[0].counted);
  CHECK(m.hits[0].where == Where::kBodyHtml);
  CHECK_FALSE(m.hits[1].counted);
  CHECK(m.hits[1].where == Where::kBodyText);
  CHECK(m.hits[2].indicator == "red-1");
  CHECK(m.hits[2].sensitive);
  CHECK_FALSE(m.hits[0].sensitive);
  for (const HitRecord& h : m.hits) {
    CHECK(h.time == 1764547200);
    CHECK(h.tenant == "acme");
    // Nothing of the message: the record has no field for it, and no field holds it.
    for (const std::string& f : {h.tenant, h.feed, h.indicator, h.type}) {
      CHECK(f.find("evil.example") == std::string::npos);
    }
  }
}

TEST_CASE("recorder: each tenant counts the message; an allowed message counts as accept",
          "[hits]") {
  ScanResult r;
  Verdict v1, v2;
  v1.tenant = "acme";
  v2.tenant = "beta";
  v2.monitor = true;
  MatchReport a;
  a.indicator = "ind-1";
  a.feed = "f.csv";
  a.type = "ip";
  a.where = Where::kClientIp;
  a.action = Action::kReject;
  v1.matches = {a};
  v2.matches = {a};
  r.tenant_verdicts = {v1, v2};
  r.verdict = v1;
  r.verdict.action = Action::kReject;
  MessageHits m = HitsOf(r, PolicySettings{}, 100);
  CHECK(m.tenants == std::vector<std::string>{"acme", "beta"});
  REQUIRE(m.hits.size() == 2);
  CHECK_FALSE(m.hits[0].monitor);
  CHECK(m.hits[1].monitor);
  CHECK(m.hits[1].counted);

  ScanResult allowed;
  allowed.allowed_by = "senders";
  allowed.verdict.tenant = "acme";
  MessageHits ma = HitsOf(allowed, PolicySettings{}, 100);
  CHECK(ma.action == Action::kAccept);
  CHECK(ma.tenants == std::vector<std::string>{"acme"});
  CHECK(ma.hits.empty());
}

TEST_CASE("recorder: a released false positive is one record per indicator", "[hits]") {
  QuarantineEntry e;
  e.tenant = "acme";
  e.mail_from = "ceo@customer.example";
  e.subject = "Quarterly figures";
  e.matches = {{"ind-1", "domain", "body.html", "quarantine"},
               {"ind-1", "domain", "body.text", "quarantine"},
               {"ind-2", "sha256", "attachment", "quarantine"}};
  auto fps = FalsePositivesOf(e, 42);
  REQUIRE(fps.size() == 2);
  CHECK(fps[0].indicator == "ind-1");
  CHECK(fps[1].indicator == "ind-2");
  CHECK(fps[0].tenant == "acme");
  CHECK(fps[0].time == 42);
}

}  // namespace gfi
