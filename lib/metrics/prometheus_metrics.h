// Metrics served in Prometheus's text format at GET /metrics on [metrics] listen, with
// prometheus-cpp (Debian's: core, and pull for the civetweb exposer, two HTTP threads).
//
//   gfi_messages_total{action}                   counter
//   gfi_matches_total{feed,type,action}          counter (the enforced verdict's matches)
//   gfi_scan_duration_seconds                    histogram
//   gfi_message_size_bytes                       histogram
//   gfi_indicators{feed}                         gauge
//   gfi_reloads_total{result="ok"|"failed"}      counter
//   gfi_feed_last_success_timestamp_seconds{feed} gauge (TAXII sources)
//   gfi_quarantine_entries{status}               gauge
//   gfi_hit_records_dropped_total                counter
//
// Thread-safe (prometheus-cpp's families lock; per-action counters are made once).
#ifndef GFI_METRICS_PROMETHEUS_METRICS_H_
#define GFI_METRICS_PROMETHEUS_METRICS_H_

#include <memory>
#include <string>

#include "metrics/metrics.h"
#include "util/status.h"

namespace gfi {

// Listens on `listen` ("IP:PORT", "[IPv6]:PORT"). An error names the address and why (in use).
Result<std::unique_ptr<Metrics>> StartPrometheusMetrics(const std::string& listen);

}  // namespace gfi

#endif  // GFI_METRICS_PROMETHEUS_METRICS_H_
