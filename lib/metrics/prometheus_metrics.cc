// The Prometheus metrics; see prometheus_metrics.h. prometheus-cpp throws (a port in use, a bad
// address): caught here and turned into a Status, so nothing escapes into the daemon.
#include "metrics/prometheus_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/exposer.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <exception>
#include <mutex>

namespace gfi {
namespace {

class PrometheusMetrics final : public Metrics {
 public:
  explicit PrometheusMetrics(std::unique_ptr<prometheus::Exposer> exposer)
      : exposer_(std::move(exposer)),
        registry_(std::make_shared<prometheus::Registry>()),
        messages_(prometheus::BuildCounter()
                      .Name("gfi_messages_total")
                      .Help("Messages scanned, by the action enforced")
                      .Register(*registry_)),
        matches_(prometheus::BuildCounter()
                     .Name("gfi_matches_total")
                     .Help("Indicator matches of enforced verdicts, by feed, type and action")
                     .Register(*registry_)),
        scan_(prometheus::BuildHistogram()
                  .Name("gfi_scan_duration_seconds")
                  .Help("Time to scan one message at its end (analysis, matching, SPF, policy)")
                  .Register(*registry_)
                  .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.0025, 0.005,
                                                                    0.01, 0.025, 0.05, 0.1, 0.25,
                                                                    0.5, 1, 2.5, 5, 10})),
        size_(prometheus::BuildHistogram()
                  .Name("gfi_message_size_bytes")
                  .Help("Size of scanned messages")
                  .Register(*registry_)
                  .Add({}, prometheus::Histogram::BucketBoundaries{
                               1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216,
                               67108864})),
        indicators_(prometheus::BuildGauge()
                        .Name("gfi_indicators")
                        .Help("Indicators in service, by feed")
                        .Register(*registry_)),
        reloads_(prometheus::BuildCounter()
                     .Name("gfi_reloads_total")
                     .Help("Reloads of configuration and feeds, by result")
                     .Register(*registry_)),
        feed_success_(prometheus::BuildGauge()
                          .Name("gfi_feed_last_success_timestamp_seconds")
                          .Help("Unix time of the last successful pull of a TAXII feed")
                          .Register(*registry_)),
        quarantine_(prometheus::BuildGauge()
                        .Name("gfi_quarantine_entries")
                        .Help("Quarantine entries, by status")
                        .Register(*registry_)),
        dropped_(prometheus::BuildCounter()
                     .Name("gfi_hit_records_dropped_total")
                     .Help("Hit records dropped because the writer's queue was full")
                     .Register(*registry_)
                     .Add({})) {
    for (size_t a = 0; a < kActionNames.size(); ++a)
      by_action_[a] = &messages_.Add({{"action", std::string(ToString(static_cast<Action>(a)))}});
    reload_ok_ = &reloads_.Add({{"result", "ok"}});
    reload_failed_ = &reloads_.Add({{"result", "failed"}});
    for (size_t s = 0; s < kQuarantineStatusNames.size(); ++s)
      by_status_[s] = &quarantine_.Add(
          {{"status", std::string(ToString(static_cast<QuarantineStatus>(s)))}});
    exposer_->RegisterCollectable(registry_);
  }

  void OnMessage(const ScanResult& r, double seconds, uint64_t bytes) override {
    by_action_[static_cast<size_t>(r.verdict.action)]->Increment();
    for (const MatchReport& m : r.verdict.matches)
      matches_
          .Add({{"feed", m.feed}, {"type", m.type}, {"action", std::string(ToString(m.action))}})
          .Increment();
    if (r.allowed_by.empty()) {
      scan_.Observe(seconds);
      size_.Observe(static_cast<double>(bytes));
    }
  }

  void OnReload(bool ok) override { (ok ? reload_ok_ : reload_failed_)->Increment(); }

  void SetIndicators(const std::map<std::string, uint64_t>& per_feed) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = feeds_.begin(); it != feeds_.end();) {
      if (per_feed.count(it->first) == 0) {
        indicators_.Remove(it->second);
        it = feeds_.erase(it);
      } else {
        ++it;
      }
    }
    for (const auto& [feed, n] : per_feed) {
      auto& g = feeds_[feed];
      if (g == nullptr) g = &indicators_.Add({{"feed", feed}});
      g->Set(static_cast<double>(n));
    }
  }

  void SetFeedLastSuccess(const std::string& feed, int64_t t) override {
    feed_success_.Add({{"feed", feed}}).Set(static_cast<double>(t));
  }

  void SetQuarantine(const std::map<QuarantineStatus, uint64_t>& per_status) override {
    for (size_t s = 0; s < kQuarantineStatusNames.size(); ++s) {
      auto it = per_status.find(static_cast<QuarantineStatus>(s));
      by_status_[s]->Set(it == per_status.end() ? 0.0 : static_cast<double>(it->second));
    }
  }

  void SetHitRecordsDropped(uint64_t total) override {
    std::lock_guard<std::mutex> lock(mu_);
    const double now = static_cast<double>(total);
    if (now > dropped_.Value()) dropped_.Increment(now - dropped_.Value());
  }

 private:
  std::unique_ptr<prometheus::Exposer> exposer_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& messages_;
  prometheus::Family<prometheus::Counter>& matches_;
  prometheus::Histogram& scan_;
  prometheus::Histogram& size_;
  prometheus::Family<prometheus::Gauge>& indicators_;
  prometheus::Family<prometheus::Counter>& reloads_;
  prometheus::Family<prometheus::Gauge>& feed_success_;
  prometheus::Family<prometheus::Gauge>& quarantine_;
  prometheus::Counter& dropped_;
  std::array<prometheus::Counter*, kActionNames.size()> by_action_{};
  std::array<prometheus::Gauge*, kQuarantineStatusNames.size()> by_status_{};
  prometheus::Counter* reload_ok_ = nullptr;
  prometheus::Counter* reload_failed_ = nullptr;
  std::mutex mu_;  // feeds_, dropped_'s read-modify-write
  std::map<std::string, prometheus::Gauge*> feeds_;
};

}  // namespace

Result<std::unique_ptr<Metrics>> StartPrometheusMetrics(const std::string& listen) {
  try {
    auto exposer = std::make_unique<prometheus::Exposer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "2",
                                 "request_timeout_ms", "10000"});
    return std::unique_ptr<Metrics>(new PrometheusMetrics(std::move(exposer)));
  } catch (const std::exception& e) {
    return Status::Error("[metrics] listen " + listen + ": cannot listen (" + e.what() +
                         "; in use, or not an address of this host?)");
  }
}

}  // namespace gfi
