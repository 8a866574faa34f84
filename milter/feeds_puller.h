// The daemon's periodic TAXII 2.1 pull: one thread that pulls each [[feeds.taxii]] source every
// `interval` seconds with the very SyncSource `gfictl feeds sync` runs (same state files, same
// per-source lock, so the two never pull one source at once), backing off after failures
// (NextPullDue). A pull that replaced a feed file asks the reload thread for a reload (SIGUSR1 to
// the process), and the normal load applies its all-or-nothing rule. The sources' state goes to
// the status file's "taxii" section. The configuration is re-read from the engine's current
// state on each round, so a reload adds, removes or retimes sources.
//
// Why a thread in the daemon rather than a systemd timer running gfictl: it works without
// systemd, and it runs as the daemon user who owns the feeds directory.
//
// Start once, Stop once (Stop cancels a pull in progress within a second and joins).
#ifndef GFI_MILTER_FEEDS_PULLER_H_
#define GFI_MILTER_FEEDS_PULLER_H_

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "engine/engine.h"

namespace gfi {

class FeedPuller {
 public:
  explicit FeedPuller(Engine* engine) : engine_(engine) {}
  FeedPuller(const FeedPuller&) = delete;
  FeedPuller& operator=(const FeedPuller&) = delete;
  ~FeedPuller() { Stop(); }

  void Start();
  void Stop();

 private:
  void Loop();

  Engine* engine_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::condition_variable cv_;
};

}  // namespace gfi

#endif  // GFI_MILTER_FEEDS_PULLER_H_
