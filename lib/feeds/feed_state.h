// What gfi-milter remembers about each TAXII source between pulls, so that a restart resumes where
// the last pull stopped: {feeds dir}/.state/NAME.json (a dot-directory: the feed loader skips it).
//
// The merged object store is the feed file itself ({dir}/NAME.json, written only by a whole
// successful pull): the state records that file's identity (size, mtime, inode) when it was
// written, and a feed file that no longer matches (deleted, edited, restored from a backup) is not
// trusted as the store: the next pull is a full one. So there is one copy of the objects, and the
// file in service and the store cannot disagree.
//
// Plain values; LoadSourceState/SaveSourceState are thread-compatible (callers hold the source's
// lock, sync.h). Files are written atomically (temp file, fsync, rename).
#ifndef GFI_FEEDS_FEED_STATE_H_
#define GFI_FEEDS_FEED_STATE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "util/json_writer.h"
#include "util/status.h"

namespace gfi {

struct SourceState {
  std::string name;
  std::string url;           // the collection the state belongs to (a new URL starts afresh)
  int64_t last_attempt = 0;  // unix seconds; 0 = never
  int64_t last_success = 0;
  uint64_t objects = 0;         // objects held (in the feed file)
  std::string date_added_last;  // the server's X-TAXII-Date-Added-Last of the last success
  std::string last_error;       // of the last attempt; "" when it succeeded
  uint64_t consecutive_failures = 0;
  uint64_t last_new_objects = 0;  // objects received by the last successful pull
  uint64_t last_pages = 0;        // requests it took
  double last_seconds = 0;        // how long it took
  // The feed file as the last success wrote it; see above.
  uint64_t feed_size = 0;
  int64_t feed_mtime_ns = 0;
  uint64_t feed_inode = 0;
};

std::string StateDir(const std::string& feeds_dir);                            // DIR/.state
std::string StatePath(const std::string& feeds_dir, const std::string& name);  // .state/NAME.json
std::string FeedPath(const std::string& feeds_dir, const std::string& name);   // DIR/NAME.json

// A missing state file is a source never pulled (a default state named `name`, OK).
Result<SourceState> LoadSourceState(const std::string& feeds_dir, const std::string& name);
Status SaveSourceState(const std::string& feeds_dir, const SourceState& s);

// The state as one JSON object (what the state file holds; also `gfictl feeds status --json`).
std::string SourceStateJson(const SourceState& s);
// The same keys, into an object `w` has open.
void AddStateFields(const SourceState& s, JsonWriter* w);
// The reverse of SourceStateJson (also reads the objects AddStateFields wrote); unknown keys are
// ignored, missing ones keep their defaults.
Result<SourceState> ParseSourceStateJson(std::string_view json);

// When the daemon pulls next (unix seconds): never pulled: now; else last_attempt + interval,
// or after n consecutive failures last_attempt + min(interval * 2^n, max(interval, 3600)).
// interval 0: never (INT64_MAX).
int64_t NextPullDue(const SourceState& s, uint64_t interval);

// Writes `data` to `path` atomically: a dot-named temporary in the same directory, fsync, rename,
// fsync of the directory. When running as root, the file gets the directory's owner (the daemon
// user owns the feeds directory; a root gfictl must not leave files it cannot replace).
Status WriteFileAtomically(const std::string& path, std::string_view data, unsigned mode);

}  // namespace gfi

#endif  // GFI_FEEDS_FEED_STATE_H_
