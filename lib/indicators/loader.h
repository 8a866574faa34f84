// Loading every configured feed and compiling them into one snapshot: what gfictl and the daemon
// share. All or nothing: when any feed is invalid the result is an error listing every problem,
// so a caller keeps its previous snapshot (the daemon) or refuses to go on (gfictl, start-up).
#ifndef GFI_INDICATORS_LOADER_H_
#define GFI_INDICATORS_LOADER_H_

#include <memory>
#include <string>
#include <vector>

#include "match/snapshot.h"
#include "util/status.h"

namespace gfi {

struct LoadedIndicators {
  std::shared_ptr<const IndicatorSnapshot> snapshot;
  std::vector<std::string> unsupported;  // patterns outside the supported subset, per feed
  double load_seconds = 0;               // reading and parsing all feeds
};

Result<LoadedIndicators> LoadIndicators(const std::vector<std::string>& paths,
                                        const SnapshotOptions& options, int64_t now);

}  // namespace gfi

#endif  // GFI_INDICATORS_LOADER_H_
