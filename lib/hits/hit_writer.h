// HitWriter: takes hit records off the milter's threads and writes them in batches.
//
// Push() is what a milter thread does per message: it appends to a bounded in-memory queue under
// a mutex (no I/O, no syslog) and returns. One writer thread wakes every `flush_ms`, or as soon
// as `batch_size` records wait, and writes everything queued in one transaction. When the queue
// holds `queue_size` records, a message's records are dropped — never silently: each dropped
// record is counted (stats(), the status file's "hits" section, gfi_hit_records_dropped_total)
// and the writer thread logs the drops, at most once a minute. Message counts per action are
// aggregated in memory (one entry per hour, tenant and action), so they are never dropped.
// A failed write keeps its records queued for the next attempt while they fit (the store down
// for a while), then drops the oldest, counted the same way. Stop() (and the destructor) write
// what is queued before returning. Every `purge_interval` the writer also purges records older
// than `retention_days`.
//
// Thread-safe: Push() and stats() from any thread; Start()/Stop() from one.
#ifndef GFI_HITS_HIT_WRITER_H_
#define GFI_HITS_HIT_WRITER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include "hits/hit_store.h"
#include "hits/recorder.h"

namespace gfi {

struct HitWriterOptions {
  size_t queue_size = 100000;  // records waiting at most ([hits] queue_size)
  size_t batch_size = 1000;    // a write starts as soon as this many wait ([hits] batch_size)
  uint64_t flush_ms = 1000;    // and at least this often ([hits] flush_ms)
  uint64_t retention_days = 400;  // older records are purged; 0 = kept for ever
  std::chrono::seconds purge_interval{3600};
  std::string host;  // this filter host, written with the message counts ([store] host_name)
  // Where the writer's own messages go (priority as syslog's); default syslog(3).
  std::function<void(int priority, const std::string& message)> log;
};

class HitWriter {
 public:
  HitWriter(std::shared_ptr<HitStore> store, HitWriterOptions options);
  ~HitWriter();  // Stop()
  HitWriter(const HitWriter&) = delete;
  HitWriter& operator=(const HitWriter&) = delete;

  void Start();  // the writer thread
  // Queues one message's count and hit records; never blocks on I/O. False when its records
  // were dropped (queue full).
  bool Push(const MessageHits& message);
  // Writes what is queued now, on the calling thread (Stop() does it after the thread ended).
  Status Flush();
  void Stop();

  struct Stats {
    uint64_t queued = 0;        // records waiting now
    uint64_t written = 0;       // records written
    uint64_t dropped = 0;       // records dropped (queue full), since start
    uint64_t batches = 0;       // transactions committed
    uint64_t write_errors = 0;  // failed transactions
    uint64_t purged = 0;        // rows removed by retention
    std::string last_error;
  };
  Stats stats() const;
  // The status file's "hits" section: {"store", "queued", "written", "dropped", ...}.
  std::string StatusJson() const;

 private:
  using CountKey = std::tuple<int64_t, std::string, Action>;  // hour, tenant, action
  void Run();
  // Takes the queue (mu_ held), writes it (mu_ released), puts it back on failure.
  Status WriteQueued(std::unique_lock<std::mutex>* lock);
  void MaybePurge();
  void LogDrops(bool force);

  std::shared_ptr<HitStore> store_;
  HitWriterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<HitRecord> hits_;           // guarded by mu_
  std::map<CountKey, uint64_t> counts_;   // guarded by mu_
  bool stop_ = false;                     // guarded by mu_
  Stats stats_;                           // guarded by mu_
  uint64_t dropped_logged_ = 0;           // writer thread only
  std::chrono::steady_clock::time_point last_drop_log_{}, last_purge_{}, last_error_log_{};
  std::thread thread_;
};

// The key the daemon's status file keeps HitWriter::StatusJson under, and its reader (gfictl
// status): the counters back, and the store's description.
inline constexpr const char* kHitsStatusSection = "hits";
struct HitWriterStatus {
  std::string store;
  uint64_t queue_size = 0;
  HitWriter::Stats stats;
};
Result<HitWriterStatus> ParseHitWriterStatus(std::string_view json);

}  // namespace gfi

#endif  // GFI_HITS_HIT_WRITER_H_
