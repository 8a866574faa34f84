// Fuzzes the line-oriented feed readers (CSV, Zeek intel, ClamAV) and snapshot compilation of
// whatever they accept: the first input byte picks the format.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "indicators/feed.h"
#include "snapshot/snapshot.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr std::string_view kFormats[] = {"csv", "intel", "hdb", "hsb"};
  std::string_view format = kFormats[data[0] % 4];
  std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  gfi::Feed feed = gfi::ParseFeed(text, format, "fuzz");
  if (!feed.rules.empty()) {
    gfi::SnapshotOptions opts;
    opts.regex_max_mem = 8 << 20;
    auto snap = gfi::IndicatorSnapshot::Build({feed}, opts, 1800000000);
    (void)snap;
  }
  return 0;
}
