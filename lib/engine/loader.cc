// Feed loading and snapshot compilation; see loader.h. Feeds are read one after another, which
// keeps peak memory to one feed's text besides the parsed rules (packed: RuleList), and the rules
// are freed as the snapshot is compiled from them.
#include "engine/loader.h"

#include <chrono>
#include <cstdio>

#include "indicators/feed.h"
#include "util/time.h"

namespace gfi {

Result<LoadedIndicators> LoadIndicators(const std::vector<std::string>& paths,
                                        const SnapshotOptions& options, int64_t now,
                                        const LastGoodStore* last_good,
                                        const std::map<std::string, std::string>* markings,
                                        const FeedSignaturePolicy* signatures,
                                        const std::map<std::string, std::string>* feed_names,
                                        const BlindKeyring* blind_keys, double max_shrink) {
  static const FeedSignaturePolicy kNoKeys;
  const FeedSignaturePolicy& policy = signatures != nullptr ? *signatures : kNoKeys;
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
      // Verified again, with the signature kept beside it: a key no longer trusted, or a copy
      // that does not match, keeps it out of service.
      Feed kept = LoadFeedAs(last_good->CopyPath(f), f,
                             FeedReadOptions{&policy, last_good->SignatureCopyPath(f), blind_keys});
      if (!kept.ok()) {
        for (const std::string& e : kept.errors)
          if (++n_errors <= 50) out.feed_errors.push_back("its last good version: " + e);
      } else {
        out.feed_errors.push_back(f + ": its last good version (of " + std::to_string(*version) +
                                  ") stays in service");
        out.stale_feeds.push_back({f, *version, first_error});
        if (feed_names) ApplyFeedName(*feed_names, &kept);
        if (markings) ApplyFeedMarking(*markings, &kept);
        feeds.push_back(std::move(kept));
        from_file.push_back(false);
        return;
      }
    }
    out.invalid_feeds.push_back(f);  // the whole file is left out; the others load
  };
  // The shrink guard (loader.h): true when `feed` is held back, its last good version (already
  // verified to load) pushed in its place.
  auto hold_back = [&](const std::string& f, const Feed& feed) {
    if (last_good == nullptr || max_shrink >= 1.0) return false;
    std::optional<int64_t> version = last_good->SavedVersion(f);
    if (!version) return false;  // a new feed: nothing to compare with
    const FeedReadOptions kept_options{&policy, last_good->SignatureCopyPath(f), blind_keys};
    std::optional<uint64_t> kept_count = last_good->SavedCount(f);
    std::optional<Feed> kept;
    if (!kept_count) {  // kept by a version without counts: count the copy
      kept = LoadFeedAs(last_good->CopyPath(f), f, kept_options);
      if (!kept->ok()) return false;
      kept_count = kept->rules.size();
    }
    if (!ShrankTooMuch(feed.rules.size(), *kept_count, max_shrink)) return false;
    Result<std::string> sha = FileSha256Hex(f);
    if (sha.ok() && last_good->Accepted(f) == sha.value()) {
      out.accepted_feeds.push_back(f);
      out.feed_errors.push_back(f + ": " + std::to_string(feed.rules.size()) +
                                " indicators, down from " + std::to_string(*kept_count) +
                                ": accepted by the admin, now in service");
      return false;
    }
    if (!kept) kept = LoadFeedAs(last_good->CopyPath(f), f, kept_options);
    if (!kept->ok()) {
      for (const std::string& e : kept->errors)
        if (++n_errors <= 50) out.feed_errors.push_back("its last good version: " + e);
      return false;  // nothing better to serve: the new file is taken
    }
    char pct[16];
    std::snprintf(pct, sizeof(pct), "%g", max_shrink);
    out.feed_errors.push_back(
        f + ": HELD BACK: " + std::to_string(feed.rules.size()) + " indicators, down from " +
        std::to_string(*kept_count) + " in its last good version (of " + FormatUtc(*version) +
        "), a drop of more than [indicators] max_shrink = " + pct +
        "; the last good version stays in service. If the new file is right: gfictl indicators "
        "accept " + f + ", then gfictl reload");
    out.held_feeds.push_back({f, feed.rules.size(), *kept_count, *version});
    if (feed_names) ApplyFeedName(*feed_names, &*kept);
    if (markings) ApplyFeedMarking(*markings, &*kept);
    feeds.push_back(std::move(*kept));
    from_file.push_back(false);
    return true;
  };
  auto read_all = [&] {
  for (const std::string& f : files.value()) {
    Feed feed = LoadFeed(f, FeedReadOptions{&policy, "", blind_keys});
    if (feed.ok() && last_good) CheckVersionInService(*last_good, policy, &feed);
    out.unsupported.insert(out.unsupported.end(), feed.unsupported.begin(),
                           feed.unsupported.end());
    if (!feed.ok()) {
      for (const std::string& e : feed.errors)
        if (++n_errors <= 50) out.feed_errors.push_back(e);
      fall_back(f, feed.errors.front());
      continue;
    }
    if (hold_back(f, feed)) continue;
    if (feed_names) ApplyFeedName(*feed_names, &feed);
    if (markings) ApplyFeedMarking(*markings, &feed);
    feeds.push_back(std::move(feed));
    from_file.push_back(true);
  }
  if (n_errors > 50)
    out.feed_errors.push_back("(" + std::to_string(n_errors - 50) + " more errors)");
  out.load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  read_all();
  std::vector<size_t> counts;  // rules per feed, for its last good record
  for (const Feed& f : feeds) counts.push_back(f.rules.size());
  // Issue 18: the rules are freed as they are compiled, so a feed and its snapshot are never
  // whole side by side.
  auto snap = IndicatorSnapshot::BuildDraining(&feeds, options, now);
  if (!snap.ok()) {
    // The feeds are drained: read them again (the failure path only), with what was said of
    // them the first time said once.
    const std::vector<std::string> skipped = std::move(out.skipped_files);
    out = LoadedIndicators{};
    out.skipped_files = skipped;
    feeds.clear();
    from_file.clear();
    n_errors = 0;
    read_all();
    counts.clear();
    for (const Feed& f : feeds) counts.push_back(f.rules.size());
    snap = IndicatorSnapshot::Build(feeds, options, now);
  }
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
      else {
        out.invalid_feeds.push_back(bad.path);
        std::erase_if(out.held_feeds, [&](const HeldFeed& h) { return h.path == bad.path; });
      }
      if (feeds.size() > before && !IndicatorSnapshot::Build(feeds, options, now).ok()) {
        feeds.pop_back();  // its last good version does not compile here either
        from_file.pop_back();
        out.stale_feeds.pop_back();
        out.invalid_feeds.push_back(bad.path);
      }
    }
    snap = IndicatorSnapshot::Build(feeds, options, now);
    if (!snap.ok()) return snap.status();
    counts.clear();
    for (const Feed& f : feeds) counts.push_back(f.rules.size());
  }
  // Only what compiled becomes a feed's last good version.
  if (last_good) {
    for (size_t i = 0; i < feeds.size(); ++i) {
      if (!from_file[i]) continue;
      const FeedSignature& sig = feeds[i].signature;
      if (Status s = last_good->Save(feeds[i].path, sig.verified ? sig.text : std::string(),
                                     counts[i]);
          !s.ok())
        out.feed_errors.push_back(s.message());
    }
  }
  out.snapshot = std::move(snap).value();
  return out;
}

bool ShrankTooMuch(uint64_t now, uint64_t kept, double max_shrink) {
  if (max_shrink >= 1.0 || kept == 0) return false;
  return static_cast<double>(now) < (1.0 - max_shrink) * static_cast<double>(kept);
}

bool CheckVersionInService(const LastGoodStore& last_good, const FeedSignaturePolicy& policy,
                           Feed* feed) {
  std::optional<std::string> kept = last_good.SavedSignature(feed->path);
  if (!kept) return true;  // nothing kept, or kept unsigned: nothing to compare with
  const std::optional<int64_t> in_service = SignatureTimestamp(*kept);
  std::string why;
  FeedSignatureError e = FeedSignatureError::kNone;
  if (!feed->signature.verified) {
    if (policy.Exempt(feed->path)) return true;
    e = FeedSignatureError::kStripped;
    std::string key = SignatureKeyId(*kept);
    why = feed->path + ": signature removed: the version in service was signed" +
          (key.empty() ? "" : " by key " + key) +
          (in_service ? " at " + SigningTime(*in_service) : "") +
          "; sign this file too, or remove its last good copy " + last_good.CopyPath(feed->path) +
          " to accept it unsigned";
  } else if (in_service && feed->signature.timestamp && *feed->signature.timestamp < *in_service) {
    e = FeedSignatureError::kReplayed;
    why = feed->path + ": replayed: signed at " + SigningTime(*feed->signature.timestamp) +
          ", older than the version in service signed at " + SigningTime(*in_service);
  } else {
    return true;
  }
  feed->signature.error = e;
  feed->signature.message = why;
  feed->errors.insert(feed->errors.begin(), why);
  feed->rules.clear();
  feed->unsupported.clear();
  return false;
}

bool ApplyFeedName(const std::map<std::string, std::string>& feed_names, Feed* feed) {
  auto it = feed_names.find(feed->path);
  if (it == feed_names.end() || it->second == feed->name) return false;
  feed->name = it->second;
  feed->rules.Transform([&](Rule& r) { r.feed = it->second; });
  return true;
}

size_t ApplyFeedMarking(const std::map<std::string, std::string>& markings, Feed* feed) {
  auto it = markings.find(feed->path);
  if (it == markings.end()) it = markings.find(feed->name);
  if (it == markings.end()) return 0;
  size_t n = 0;
  const int configured = TlpMarkingRank(it->second);
  feed->rules.Transform([&](Rule& r) {
    // Unmarked: the configured marking. Both TLP: the stricter (a collection configured
    // TLP:RED keeps its TLP:GREEN objects' values withheld too). An indicator's own non-TLP
    // marking stands (its label is what [policy] sensitive_markings and marking_actions name).
    const int own = TlpMarkingRank(r.marking);
    if (!r.marking.empty() && (own < 0 || configured <= own)) return;
    r.marking = it->second;
    ++n;
  });
  return n;
}

}  // namespace gfi
