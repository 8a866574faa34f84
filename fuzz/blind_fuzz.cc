// Fuzzes the blinded-feed reader (.blind, indicators/blind_feed.cc) with a configured key, and
// the snapshot compilation and matching of whatever it accepts: the hashes it holds are looked
// up with the matcher's own forms of a few observables.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "snapshot/snapshot.h"

namespace {

// The key of fuzz/seeds/blind_fuzz: bytes 0, 1, ..., 31 (id 630dcd2966c43366, which the seeds name).
const gfi::BlindKeyring& Ring() {
  static const gfi::BlindKeyring ring = [] {
    std::array<uint8_t, gfi::kBlindKeyBytes> k{};
    for (size_t i = 0; i < k.size(); ++i) k[i] = static_cast<uint8_t>(i);
    gfi::BlindKeyring r;
    (void)r.Add(gfi::BlindKey::FromBytes(k, "fuzz.key"));
    return r;
  }();
  return ring;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  gfi::Feed feed = gfi::ParseFeed(text, "blind", "fuzz.blind", &Ring());
  if (!feed.rules.empty()) {
    auto snap = gfi::IndicatorSnapshot::Build({feed}, gfi::SnapshotOptions{}, 1800000000);
    if (snap.ok()) {
      std::vector<gfi::Match> out;
      snap.value()->MatchObservables(
          {{gfi::ObservableType::kDomain, "a.b.evil.example", gfi::Where::kBodyText},
           {gfi::ObservableType::kIp, "192.0.2.1", gfi::Where::kClientIp},
           {gfi::ObservableType::kIp, "2001:db8::1", gfi::Where::kClientIp},
           {gfi::ObservableType::kUrl, "https://evil.example/x#y", gfi::Where::kBodyHtml},
           {gfi::ObservableType::kFilename, "Invoice.EXE", gfi::Where::kAttachment}},
          1800000000, false, true, &out);
    }
  }
  return 0;
}
