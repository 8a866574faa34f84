// The hit-record writer thread; see hit_writer.h. The milter thread's part (Push) is an append
// under a mutex; everything slow — SQL, syslog, retention — happens on the writer thread.
#include "hits/hit_writer.h"

#include <simdjson.h>

#include <syslog.h>

#include <algorithm>
#include <cstddef>
#include <ctime>
#include <utility>

#include "util/json_writer.h"

namespace gfi {

HitWriter::HitWriter(std::shared_ptr<HitStore> store, HitWriterOptions options)
    : store_(std::move(store)), options_(std::move(options)) {
  if (!options_.log)
    options_.log = [](int priority, const std::string& m) { syslog(priority, "%s", m.c_str()); };
  if (options_.batch_size == 0) options_.batch_size = 1;
}

HitWriter::~HitWriter() { Stop(); }

void HitWriter::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Run(); });
}

bool HitWriter::Push(const MessageHits& m) {
  const int64_t hour = m.time - (m.time % 3600);
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& t : m.tenants) ++counts_[CountKey{hour, t, m.action}];
  if (m.hits.empty()) return true;
  if (hits_.size() + m.hits.size() > options_.queue_size) {
    stats_.dropped += m.hits.size();
    return false;
  }
  hits_.insert(hits_.end(), m.hits.begin(), m.hits.end());
  if (hits_.size() >= options_.batch_size) cv_.notify_one();
  return true;
}

Status HitWriter::WriteQueued(std::unique_lock<std::mutex>* lock) {
  if (hits_.empty() && counts_.empty()) return Status::Ok();
  HitBatch batch;
  batch.hits.swap(hits_);
  std::map<CountKey, uint64_t> counts;
  counts.swap(counts_);
  for (const auto& [key, n] : counts)
    batch.messages.push_back({std::get<0>(key), std::get<1>(key), std::get<2>(key), n, options_.host});
  lock->unlock();
  Status s = store_->Write(batch);
  lock->lock();
  if (s.ok()) {
    stats_.written += batch.hits.size();
    ++stats_.batches;
    return s;
  }
  ++stats_.write_errors;
  stats_.last_error = s.message();
  // Back in front of what came meanwhile, as far as the queue allows; the rest is dropped, counted.
  size_t room = options_.queue_size > hits_.size() ? options_.queue_size - hits_.size() : 0;
  size_t keep = std::min(room, batch.hits.size());
  stats_.dropped += batch.hits.size() - keep;
  batch.hits.erase(batch.hits.begin(),
                   batch.hits.begin() + static_cast<std::ptrdiff_t>(batch.hits.size() - keep));
  batch.hits.insert(batch.hits.end(), hits_.begin(), hits_.end());
  hits_.swap(batch.hits);
  for (const auto& [key, n] : counts) counts_[key] += n;
  return s;
}

Status HitWriter::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  return WriteQueued(&lock);
}

void HitWriter::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_ms),
                 [this] { return stop_ || hits_.size() >= options_.batch_size; });
    if (stop_) break;
    Status s = WriteQueued(&lock);
    lock.unlock();
    auto now = std::chrono::steady_clock::now();
    if (!s.ok() && now - last_error_log_ >= std::chrono::minutes(1)) {
      last_error_log_ = now;
      options_.log(LOG_ERR, "hit records: write failed, records kept queued: " + s.message());
    }
    LogDrops(false);
    MaybePurge();
    lock.lock();
  }
}

void HitWriter::LogDrops(bool force) {
  uint64_t dropped;
  {
    std::lock_guard<std::mutex> lock(mu_);
    dropped = stats_.dropped;
  }
  auto now = std::chrono::steady_clock::now();
  if (dropped == dropped_logged_ ||
      (!force && now - last_drop_log_ < std::chrono::minutes(1)))
    return;
  options_.log(LOG_WARNING, "hit records: " + std::to_string(dropped - dropped_logged_) +
                                " record(s) dropped, queue full ([hits] queue_size = " +
                                std::to_string(options_.queue_size) + "); " +
                                std::to_string(dropped) + " since start");
  dropped_logged_ = dropped;
  last_drop_log_ = now;
}

void HitWriter::MaybePurge() {
  if (options_.retention_days == 0) return;
  auto now = std::chrono::steady_clock::now();
  if (last_purge_ != std::chrono::steady_clock::time_point{} &&
      now - last_purge_ < options_.purge_interval)
    return;
  last_purge_ = now;
  const int64_t before = static_cast<int64_t>(std::time(nullptr)) -
                         static_cast<int64_t>(options_.retention_days) * 86400;
  Result<uint64_t> n = store_->Purge(before);
  if (!n.ok()) {
    options_.log(LOG_ERR, "hit records: retention purge: " + n.error());
    return;
  }
  std::lock_guard<std::mutex> lock(mu_);
  stats_.purged += n.value();
}

void HitWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  Status s = Flush();
  if (!s.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    options_.log(LOG_ERR, "hit records: final write failed, " + std::to_string(hits_.size()) +
                              " record(s) lost: " + s.message());
    stats_.dropped += hits_.size();
    hits_.clear();
  }
  LogDrops(true);
}

HitWriter::Stats HitWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  Stats s = stats_;
  s.queued = hits_.size();
  return s;
}

std::string HitWriter::StatusJson() const {
  Stats s = stats();
  JsonWriter w;
  w.BeginObject();
  w.Key("store").String(store_->Describe());
  w.Key("queued").Uint(s.queued);
  w.Key("queue_size").Uint(options_.queue_size);
  w.Key("written").Uint(s.written);
  w.Key("dropped").Uint(s.dropped);
  w.Key("batches").Uint(s.batches);
  w.Key("write_errors").Uint(s.write_errors);
  w.Key("purged").Uint(s.purged);
  w.Key("last_error").String(s.last_error);
  w.EndObject();
  return w.Take();
}

Result<HitWriterStatus> ParseHitWriterStatus(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS)
    return Status::Error("not a hit-writer status object");
  auto u64 = [&](const char* k) {
    uint64_t v = 0;
    return o[k].get(v) == simdjson::SUCCESS ? v : 0;
  };
  auto str = [&](const char* k) {
    std::string_view v;
    return o[k].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
  };
  HitWriterStatus s;
  s.store = str("store");
  s.queue_size = u64("queue_size");
  s.stats.queued = u64("queued");
  s.stats.written = u64("written");
  s.stats.dropped = u64("dropped");
  s.stats.batches = u64("batches");
  s.stats.write_errors = u64("write_errors");
  s.stats.purged = u64("purged");
  s.stats.last_error = str("last_error");
  return s;
}

}  // namespace gfi
