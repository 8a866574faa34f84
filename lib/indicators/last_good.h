// The last version of each feed file that loaded, kept in a directory of its own so that a bad new
// version of one feed leaves that feed's previous indicators in service while every other feed's
// new version loads — across restarts too, since the copies are on disk.
//
// A copy is named after a hash of the feed's path plus its file name (same extension, so the same
// reader reads it), written atomically (temp file, fsync, rename) with the feed's mtime, and
// replaced only when the feed changed (size or mtime differ). A signed feed's signature is kept
// beside its copy (COPY.minisig, the text that verified), so that the copy is verified again
// whenever it stands in for its feed and so that the signing time of the version in service is
// known (replay, signature.h); a feed kept unsigned has its kept signature removed. The
// indicator count of each kept version is kept beside it too (COPY.count), for the shrink guard
// (loader.h): a feed that shrinks too much is held back until the admin accepts it, which
// records the SHA-256 of the accepted file (COPY.accept); saving a new version clears it. Not
// thread-safe: the loader that uses it runs one load at a time (the daemon's reload lock), and
// `gfictl indicators accept` only writes one acceptance file, atomically.
#ifndef GFI_INDICATORS_LAST_GOOD_H_
#define GFI_INDICATORS_LAST_GOOD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "util/status.h"

namespace gfi {

// SHA-256 of a file's content, lower-case hex (what an acceptance records).
Result<std::string> FileSha256Hex(const std::string& path);

class LastGoodStore {
 public:
  // `dir` must exist; `writable` = false only reads copies (gfi-milter --check, gfictl).
  LastGoodStore(std::string dir, bool writable) : dir_(std::move(dir)), writable_(writable) {}

  // Where the copy of `feed_path` lives.
  std::string CopyPath(const std::string& feed_path) const;
  // Where the kept signature of `feed_path`'s copy lives.
  std::string SignatureCopyPath(const std::string& feed_path) const;
  // Keeps `feed_path` (just loaded without error) as its last good version, with `signature`
  // (the text of its FILE.minisig that verified; "" = unsigned).
  // `rules` (its indicator count) is kept for the shrink guard. A pending acceptance is cleared.
  Status Save(const std::string& feed_path, std::string_view signature = {},
              std::optional<uint64_t> rules = std::nullopt) const;
  // Unix time of the kept version (the feed's mtime then); nullopt when there is none.
  std::optional<int64_t> SavedVersion(const std::string& feed_path) const;
  // The kept signature's text; nullopt when the kept version is unsigned (or none is kept).
  std::optional<std::string> SavedSignature(const std::string& feed_path) const;
  // The kept version's indicator count; nullopt when none was kept (a copy saved by an older
  // version, or no copy).
  std::optional<uint64_t> SavedCount(const std::string& feed_path) const;

  // The admin's confirmation that `feed_path`, whose content has SHA-256 `sha256_hex`, may
  // replace its last good version although it shrank. Written atomically; needs a writable store.
  std::string AcceptPath(const std::string& feed_path) const;
  Status Accept(const std::string& feed_path, const std::string& sha256_hex) const;
  // The SHA-256 (hex) an acceptance names; nullopt when there is none.
  std::optional<std::string> Accepted(const std::string& feed_path) const;

  const std::string& dir() const { return dir_; }

 private:
  Status SaveCopy(const std::string& feed_path) const;
  Status SaveSignature(const std::string& feed_path, std::string_view signature) const;
  // Writes `text` to `path` atomically (temp file, fsync, rename), 0640, owned like the dir.
  Status WriteSmallFile(const std::string& path, std::string_view text,
                        const std::string& what) const;

  std::string dir_;
  bool writable_;
};

}  // namespace gfi

#endif  // GFI_INDICATORS_LAST_GOOD_H_
