// Metrics: what the daemon counts for Prometheus, behind a small interface so that the daemon runs
// the same with [metrics] listen = "" (NullMetrics) and the engine never links an HTTP server.
// The Prometheus implementation (metrics/prometheus_metrics.h) serves them at GET /metrics.
//
// Labels are fixed vocabularies and config names only: actions, types, reload results, quarantine
// statuses, feed names ([[feeds.taxii]] names and feed file names). Never an indicator's id or
// value, an address or anything from a message.
//
// Every method is thread-safe and cheap (the milter threads call OnMessage per message).
#ifndef GFI_METRICS_METRICS_H_
#define GFI_METRICS_METRICS_H_

#include <cstdint>
#include <map>
#include <string>

#include "engine/scan.h"
#include "global/vocabulary.h"

namespace gfi {

class Metrics {
 public:
  virtual ~Metrics() = default;
  // A scanned message: its enforced action, its matches (feed, type, action), how long the scan
  // took and its size.
  virtual void OnMessage(const ScanResult& result, double scan_seconds, uint64_t bytes) = 0;
  virtual void OnReload(bool ok) = 0;
  // Indicators loaded per feed name (feeds no longer loaded disappear).
  virtual void SetIndicators(const std::map<std::string, uint64_t>& per_feed) = 0;
  // Unix time of a TAXII source's last successful pull.
  virtual void SetFeedLastSuccess(const std::string& feed, int64_t time) = 0;
  virtual void SetQuarantine(const std::map<QuarantineStatus, uint64_t>& per_status) = 0;
  // Hit records dropped since start (hits/hit_writer.h); a counter that only grows.
  virtual void SetHitRecordsDropped(uint64_t total) = 0;
};

class NullMetrics final : public Metrics {
 public:
  void OnMessage(const ScanResult&, double, uint64_t) override {}
  void OnReload(bool) override {}
  void SetIndicators(const std::map<std::string, uint64_t>&) override {}
  void SetFeedLastSuccess(const std::string&, int64_t) override {}
  void SetQuarantine(const std::map<QuarantineStatus, uint64_t>&) override {}
  void SetHitRecordsDropped(uint64_t) override {}
};

}  // namespace gfi

#endif  // GFI_METRICS_METRICS_H_
