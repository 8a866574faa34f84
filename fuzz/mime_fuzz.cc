// Fuzzes the whole analysis of one message: MIME structure, decoders, charsets, URL and HTML
// extraction, archives. Small limits keep each run fast; the property is "no crash, no leak, no
// hang", checked by the sanitizers and libFuzzer's timeouts.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "extract/analyzer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gfi::AnalysisLimits limits;
  limits.max_parts = 64;
  limits.max_nesting = 8;
  limits.max_decoded_bytes = 1 << 20;
  limits.max_archive_bytes = 1 << 20;
  limits.max_archive_members = 64;
  gfi::Envelope env;
  env.client_ip = "192.0.2.1";
  gfi::AnalyzeMessage(std::string_view(reinterpret_cast<const char*>(data), size), env, limits);
  return 0;
}
