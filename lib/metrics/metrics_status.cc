#include "metrics/metrics_status.h"

#include <simdjson.h>

#include "util/json_writer.h"

namespace gfi {

std::string MetricsStatusJson(const MetricsStatus& s) {
  JsonWriter w;
  w.BeginObject().Key("listen").String(s.listen).Key("error").String(s.error).EndObject();
  return w.Take();
}

Result<MetricsStatus> ParseMetricsStatus(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::object o;
  if (parser.parse(json.data(), json.size()).get(o) != simdjson::SUCCESS)
    return Status::Error("not a metrics status object");
  MetricsStatus s;
  std::string_view v;
  if (o["listen"].get(v) == simdjson::SUCCESS) s.listen = std::string(v);
  if (o["error"].get(v) == simdjson::SUCCESS) s.error = std::string(v);
  return s;
}

}  // namespace gfi
