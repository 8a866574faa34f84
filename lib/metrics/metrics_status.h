// The daemon's status file section on its metrics listener ("metrics": where it listens, or why
// it does not), written by the daemon and read by gfictl status: one writer, one reader.
#ifndef GFI_METRICS_METRICS_STATUS_H_
#define GFI_METRICS_METRICS_STATUS_H_

#include <string>
#include <string_view>

#include "util/status.h"

namespace gfi {

inline constexpr const char* kMetricsStatusSection = "metrics";

struct MetricsStatus {
  std::string listen;  // [metrics] listen; "" = off
  std::string error;   // why the listener could not start; "" = serving
};

std::string MetricsStatusJson(const MetricsStatus& s);
Result<MetricsStatus> ParseMetricsStatus(std::string_view json);

}  // namespace gfi

#endif  // GFI_METRICS_METRICS_STATUS_H_
