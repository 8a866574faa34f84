// Fuzzes the STIX reader: simdjson parsing, marking resolution, timestamps and the pattern parser
// with its DNF expansion. The property is "no crash, no leak, no hang, no exception", checked by
// the sanitizers and libFuzzer's timeouts; results are not inspected.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "indicators/feed.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gfi::Feed feed;
  feed.path = "fuzz.json";
  feed.name = "fuzz.json";
  gfi::ParseStixBundle(std::string_view(reinterpret_cast<const char*>(data), size), &feed);
  return 0;
}
