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
  std::vector<bool> from_file;  // per feed: read from its file now (not its last good copy)
  size_t n_errors = 0;
  // A feed that cannot be used: its last good version when there is one, else left out.
  auto fall_back = [&](const std::string& f, const std::string& first_error) {
    std::optional<int64_t> version = last_good ? last_good->SavedVersion(f) : std::nullopt;
    if (version) {
      Feed kept = LoadFeedAs(last_good->CopyPath(f), f);
      if (kept.ok()) {
        out.feed_errors.push_back(f + ": its last good version (of " + std::to_string(*version) +
                                  ") stays in service");
        out.stale_feeds.push_back({f, *version, first_error});
        if (markings) ApplyFeedMarking(*markings, &kept);
        feeds.push_back(std::move(kept));
        from_file.push_back(false);
        return;
      }
    }
    out.invalid_feeds.push_back(f);  // the whole file is left out; the others load
  };
  for (const std::string& f : files.value()) {
    Feed feed = LoadFeed(f);
    out.unsupported.insert(out.unsupported.end(), feed.unsupported.begin(),
                           feed.unsupported.end());
    if (!feed.ok()) {
      for (const std::string& e : feed.errors)
        if (++n_errors <= 50) out.feed_errors.push_back(e);
      fall_back(f, feed.errors.front());
      continue;
    }
    if (markings) ApplyFeedMarking(*markings, &feed);
    feeds.push_back(std::move(feed));
    from_file.push_back(true);
  }
  if (n_errors > 50)
    out.feed_errors.push_back("(" + std::to_string(n_errors - 50) + " more errors)");
  out.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  auto snap = IndicatorSnapshot::Build(feeds, options, now);
  if (!snap.ok()) {
    // Every feed read, yet they do not compile together (RE2 sets over their memory bound, say):
    // find the feeds that break the build, adding one at a time, and leave each of them out (or
    // use its last good version) instead of refusing every feed. Only on this failure path.
    std::vector<Feed> all = std::move(feeds);
    std::vector<bool> all_from_file = std::move(from_file);
    feeds.clear();
    from_file.clear();
    for (size_t i = 0; i < all.size(); ++i) {
      feeds.push_back(std::move(all[i]));
      from_file.push_back(all_from_file[i]);
      auto trial = IndicatorSnapshot::Build(feeds, options, now);
      if (trial.ok()) continue;
      Feed bad = std::move(feeds.back());
      feeds.pop_back();
      const bool was_file = from_file.back();
      from_file.pop_back();
      std::string why = bad.path + ": does not compile with the feeds before it: " + trial.error();
      out.feed_errors.push_back(why);
      const size_t before = feeds.size();
      if (was_file) fall_back(bad.path, why);
      else out.invalid_feeds.push_back(bad.path);
      if (feeds.size() > before && !IndicatorSnapshot::Build(feeds, options, now).ok()) {
        feeds.pop_back();  // its last good version does not compile here either
        from_file.pop_back();
        out.stale_feeds.pop_back();
        out.invalid_feeds.push_back(bad.path);
      }
    }
    snap = IndicatorSnapshot::Build(feeds, options, now);
    if (!snap.ok()) return snap.status();
  }
  // Only what compiled becomes a feed's last good version.
  if (last_good) {
    for (size_t i = 0; i < feeds.size(); ++i) {
      if (!from_file[i]) continue;
      if (Status s = last_good->Save(feeds[i].path); !s.ok()) out.feed_errors.push_back(s.message());
    }
  }
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
