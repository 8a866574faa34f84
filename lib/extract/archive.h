// Archive members (zip and everything libarchive reads): names, sizes and digests, nested archives
// to a depth limit, with bounds on member count, total expansion and per-member expansion ratio
// (each member's expanded bytes against the compressed bytes read for it).
//
// Thread-safe. Reads from memory; never writes to disk. Hostile archives (bombs, deep nesting,
// corrupt headers, encrypted members) yield defects and whatever was read before the problem.
#ifndef GFI_EXTRACT_ARCHIVE_H_
#define GFI_EXTRACT_ARCHIVE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "global/limits.h"
#include "util/digest.h"

namespace gfi {

struct ArchiveMember {
  // Path inside the archive; a member of a nested archive is named "outer/path.zip!/inner/path".
  std::string name;
  uint64_t size = 0;  // bytes read (the whole member unless a limit cut it)
  Digests digests;    // of the whole member; empty when a limit, an error or encryption cut it
  int depth = 1;  // 1 for members of the top archive
};

// What a member may expand to beyond max_archive_ratio times its compressed size, all members of
// all archives of one message together: a ratio measured on a few hundred bytes of input would
// flag ordinary small files, and a shared allowance (unlike one per member) cannot be multiplied
// by a thousand members.
inline constexpr uint64_t kRatioAllowanceBytes = 1 << 20;

// Budget shared by all archives of one message; ReadArchive spends from it.
struct ArchiveBudget {
  size_t members_left;
  uint64_t bytes_left;
  uint64_t ratio_allowance_left = kRatioAllowanceBytes;
};

struct ArchiveListing {
  bool is_archive = false;  // libarchive recognised a format, or a compression filter (bare .gz)
  std::vector<ArchiveMember> members;
  std::vector<std::string> defects;  // e.g. "limit.archive_ratio: member a.txt exceeds 100:1"
};

// True when `data` starts like an archive format we expand (zip, 7z, rar, tar, gzip, bzip2, xz,
// cab, iso9660, cpio, ar), or ends like a zip (an end-of-central-directory record in its last
// 64 KiB: a zip behind a self-extractor stub or junk bytes); cheap.
bool LooksLikeArchive(std::string_view data);

// Lists and hashes the members of the archive in `data` (and of archives inside it, down to
// limits.max_archive_depth). A plain gzip/bzip2/xz stream yields one member named after `name`
// without its suffix.
ArchiveListing ReadArchive(std::string_view data, std::string_view name,
                           const AnalysisLimits& limits, ArchiveBudget* budget);

}  // namespace gfi

#endif  // GFI_EXTRACT_ARCHIVE_H_
