// The last version of each feed file that loaded, kept in a directory of its own so that a bad new
// version of one feed leaves that feed's previous indicators in service while every other feed's
// new version loads — across restarts too, since the copies are on disk.
//
// A copy is named after a hash of the feed's path plus its file name (same extension, so the same
// reader reads it), written atomically (temp file, fsync, rename) with the feed's mtime, and
// replaced only when the feed changed (size or mtime differ). Not thread-safe: the loader that
// uses it runs one load at a time (the daemon's reload lock).
#ifndef GFI_INDICATORS_LAST_GOOD_H_
#define GFI_INDICATORS_LAST_GOOD_H_

#include <cstdint>
#include <optional>
#include <string>

#include "util/status.h"

namespace gfi {

class LastGoodStore {
 public:
  // `dir` must exist; `writable` = false only reads copies (gfi-milter --check, gfictl).
  LastGoodStore(std::string dir, bool writable) : dir_(std::move(dir)), writable_(writable) {}

  // Where the copy of `feed_path` lives.
  std::string CopyPath(const std::string& feed_path) const;
  // Keeps `feed_path` (just loaded without error) as its last good version.
  Status Save(const std::string& feed_path) const;
  // Unix time of the kept version (the feed's mtime then); nullopt when there is none.
  std::optional<int64_t> SavedVersion(const std::string& feed_path) const;

  const std::string& dir() const { return dir_; }

 private:
  std::string dir_;
  bool writable_;
};

}  // namespace gfi

#endif  // GFI_INDICATORS_LAST_GOOD_H_
