// The daemon's TAXII pull thread; see feeds_puller.h. Rounds every second: cheap (a state file
// read per source), and a source's interval is honoured to the second.
#include "milter/feeds_puller.h"

#include <signal.h>
#include <syslog.h>
#include <unistd.h>

#include <chrono>
#include <ctime>

#include "feeds/sync.h"

namespace gfi {

void FeedPuller::Start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { Loop(); });
}

void FeedPuller::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FeedPuller::Loop() {
  int64_t last_status = 0;
  while (!stop_.load()) {
    // A copy of the sources, not the engine state: holding that across the wait would keep a
    // replaced snapshot in memory.
    const FeedsConfig feeds = engine_->state()->config.feeds;
    bool pulled = false;
    for (const TaxiiSourceConfig& src : feeds.taxii) {
      if (stop_.load()) break;
      if (src.interval == 0) continue;
      const int64_t now = static_cast<int64_t>(std::time(nullptr));
      Result<SourceState> s = LoadSourceState(feeds.dir, src.name);
      if (s.ok() && now < NextPullDue(s.value(), src.interval)) continue;
      SyncOptions o;
      o.cancel = &stop_;
      SyncOutcome r = SyncSource(feeds, src, o);
      pulled = true;
      if (r.ok) {
        syslog(LOG_INFO, "taxii %s: %llu objects held, %llu received in %llu page(s), %.1f s%s%s",
               src.name.c_str(), static_cast<unsigned long long>(r.objects),
               static_cast<unsigned long long>(r.received),
               static_cast<unsigned long long>(r.pages), r.seconds,
               r.replaced ? "; feed replaced" : "; feed unchanged",
               r.note.empty() ? "" : ("; " + r.note).c_str());
        if (r.replaced) ::kill(::getpid(), SIGUSR1);  // the reload thread loads it
      } else if (r.busy) {
        syslog(LOG_INFO, "taxii %s: %s", src.name.c_str(), r.error.c_str());
      } else if (!stop_.load()) {
        syslog(LOG_WARNING, "taxii %s: pull failed: %s: %s", src.name.c_str(), src.url.c_str(),
               r.error.c_str());
      }
    }
    const int64_t now = static_cast<int64_t>(std::time(nullptr));
    if (!feeds.taxii.empty() && (pulled || now - last_status >= 5)) {
      last_status = now;
      engine_->SetStatusSection(kFeedsStatusSection, FeedsStatusJson(feeds, now));
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_for(lock, std::chrono::seconds(1), [this] { return stop_.load(); });
  }
}

}  // namespace gfi
