// Feed loading and snapshot compilation; see loader.h. Feeds are read one after another, which
// keeps peak memory to one feed's text besides the parsed rules.
#include "indicators/loader.h"

#include <chrono>

#include "indicators/feed.h"

namespace gfi {

Result<LoadedIndicators> LoadIndicators(const std::vector<std::string>& paths,
                                        const SnapshotOptions& options, int64_t now,
                                        const LastGoodStore* last_good,
                                        const std::map<std::string, std::string>* markings) {
  LoadedIndicators out;
  auto files = ExpandFeedPaths(paths, &out.skipped_files);
  if (!files.ok()) return files.status();
  auto start = std::chrono::steady_clock::now();
  std::vector<Feed> feeds;
  size_t n_errors = 0;
  for (const std::string& f : files.value()) {
    Feed feed = LoadFeed(f);
    out.unsupported.insert(out.unsupported.end(), feed.unsupported.begin(),
                           feed.unsupported.end());
    if (!feed.ok()) {
      for (const std::string& e : feed.errors)
        if (++n_errors <= 50) out.feed_errors.push_back(e);
      std::optional<int64_t> version = last_good ? last_good->SavedVersion(f) : std::nullopt;
      if (version) {
        Feed kept = LoadFeedAs(last_good->CopyPath(f), f);
        if (kept.ok()) {
          out.feed_errors.push_back(f + ": its last good version (of " + std::to_string(*version) +
                                    ") stays in service");
          out.stale_feeds.push_back({f, *version, feed.errors.front()});
          if (markings) ApplyFeedMarking(*markings, &kept);
          feeds.push_back(std::move(kept));
          continue;
        }
      }
      out.invalid_feeds.push_back(f);
      continue;  // the whole file is left out; the others load
    }
    if (last_good) {
      if (Status s = last_good->Save(f); !s.ok()) out.feed_errors.push_back(s.message());
    }
    if (markings) ApplyFeedMarking(*markings, &feed);
    feeds.push_back(std::move(feed));
  }
  if (n_errors > 50)
    out.feed_errors.push_back("(" + std::to_string(n_errors - 50) + " more errors)");
  out.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto snap = IndicatorSnapshot::Build(feeds, options, now);
  if (!snap.ok()) return snap.status();
  out.snapshot = std::move(snap).value();
  return out;
}

size_t ApplyFeedMarking(const std::map<std::string, std::string>& markings, Feed* feed) {
  auto it = markings.find(feed->path);
  if (it == markings.end()) it = markings.find(feed->name);
  if (it == markings.end()) return 0;
  size_t n = 0;
  for (Rule& r : feed->rules) {
    if (!r.marking.empty()) continue;  // the feed's own marking stands
    r.marking = it->second;
    ++n;
  }
  return n;
}

}  // namespace gfi
