// Loading every configured feed and compiling them into one snapshot: what gfictl and the daemon
// share. Each feed file is all or nothing: an invalid feed is left out whole (its errors are
// returned) and never takes the other feeds down. With a LastGoodStore, a feed that loads is kept
// there, and a feed that does not is replaced by its last good version (stale: in service, but not
// the file on disk) instead of being left out. With `markings` ([indicators.markings]), a feed's
// configured marking goes to each of its rules that has none. A missing path or a failed compilation is an error
// for the whole load.
//
// Signatures (signature.h): every feed is read under a FeedSignaturePolicy (none given: one with
// no trusted key and nothing required, so a feed with a FILE.minisig is still checked, and
// fails). A feed whose signature fails is invalid like a feed with a bad line: it falls back to
// its last good version, which is verified again with its kept signature. With a LastGoodStore,
// a feed is also checked against the version in service (CheckVersionInService).
//
// Shrink guard: with a LastGoodStore and `max_shrink` below 1, a feed that loads but whose
// indicator count falls below (1 - max_shrink) x its last good version's count (kept beside the
// copy; counted from the copy when an older version kept none) is held back: its last good
// version stays in service, it is listed in held_feeds, and an error line names it, both
// counts and the command that confirms it. An emptied CSV or ClamAV file is thus not taken for
// a feed with no indicators. A held file whose SHA-256 the admin accepted (LastGoodStore::Accept,
// `gfictl indicators accept`) is taken, and becomes the last good version.
//
// Blinded feeds (.blind) are read with `blind_keys`: one blinded with a key not in it is invalid
// (named, and handled like any invalid feed: its last good version, whose key must be configured
// too, or left out).
#ifndef GFI_ENGINE_LOADER_H_
#define GFI_ENGINE_LOADER_H_

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "indicators/feed.h"
#include "indicators/last_good.h"
#include "indicators/signature.h"
#include "snapshot/snapshot.h"
#include "util/status.h"

namespace gfi {

// A feed in service at its last good version because the file on disk did not load.
struct StaleFeed {
  std::string path;
  int64_t version = 0;  // the kept version's mtime (unix seconds)
  std::string error;    // the first error of the current file
};

// A feed in service at its last good version because the file on disk shrank too much.
struct HeldFeed {
  std::string path;
  uint64_t indicators = 0;  // in the file on disk
  uint64_t kept = 0;        // in the last good version, in service
  int64_t version = 0;      // the kept version's mtime (unix seconds)
};

struct LoadedIndicators {
  std::shared_ptr<const IndicatorSnapshot> snapshot;
  std::vector<std::string> unsupported;  // patterns outside the supported subset, per feed
  std::vector<std::string> feed_errors;  // errors of the feeds left out (at most 50 kept)
  std::vector<std::string> invalid_feeds;  // paths of the feeds left out
  std::vector<StaleFeed> stale_feeds;      // in service at their last good version
  std::vector<HeldFeed> held_feeds;        // shrank too much: their last good version serves
  std::vector<std::string> accepted_feeds;  // shrank, taken because the admin accepted them
  std::vector<std::string> skipped_files;  // in feed directories, with an unknown extension
  double load_seconds = 0;               // reading and parsing all feeds
};

Result<LoadedIndicators> LoadIndicators(const std::vector<std::string>& paths,
                                        const SnapshotOptions& options, int64_t now,
                                        const LastGoodStore* last_good = nullptr,
                                        const std::map<std::string, std::string>* markings =
                                            nullptr,
                                        const FeedSignaturePolicy* signatures = nullptr,
                                        const std::map<std::string, std::string>* feed_names =
                                            nullptr,
                                        const BlindKeyring* blind_keys = nullptr,
                                        double max_shrink = 1.0);

// The shrink guard's test: whether `now` indicators are fewer than (1 - max_shrink) x `kept`.
bool ShrankTooMuch(uint64_t now, uint64_t kept, double max_shrink);

// Names a feed otherwise than by its file name (a TAXII source's file {dir}/NAME.json is feed
// NAME: in matches, policy feed_actions, [indicators.markings], status and reports): `feed_names`
// maps a feed's path to its name. Returns whether `feed` was renamed.
bool ApplyFeedName(const std::map<std::string, std::string>& feed_names, Feed* feed);

// A feed that just loaded (and verified, when signed) against its version in service, the last
// good copy kept in `last_good`: refused (its errors get the reason, its rules are dropped, and
// feed->signature.error says kReplayed or kStripped) when it was signed earlier than the version
// in service ("replayed: signed at X, older than the version in service signed at Y"; only when
// both signatures carry a timestamp), or when it is unsigned while the version in service was
// signed (unless `policy` exempts it). Returns false when refused.
bool CheckVersionInService(const LastGoodStore& last_good, const FeedSignaturePolicy& policy,
                           Feed* feed);

// [indicators.markings]: the marking configured for `feed` (by file name or full path), given to
// each of its rules that carries none, and to each whose own TLP marking is less strict than a
// configured TLP one (a configured TLP:RED wins over an object's TLP:GREEN; an object's TLP:RED
// over a configured TLP:AMBER; an own non-TLP marking stands). Returns how many rules got it.
size_t ApplyFeedMarking(const std::map<std::string, std::string>& markings, Feed* feed);

}  // namespace gfi

#endif  // GFI_ENGINE_LOADER_H_
