// Fuzzes ReadArchive on arbitrary bytes: every format and filter libarchive is allowed to use,
// nested archives and the limits that bound them. Small limits keep each run fast; the property is
// "no crash, no leak, no hang, budget never overspent", checked by the sanitizers and by abort().
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "extract/archive.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  gfi::AnalysisLimits limits;
  limits.max_archive_depth = 3;
  limits.max_archive_members = 64;
  limits.max_archive_bytes = 1 << 20;
  limits.max_archive_ratio = 100;
  gfi::ArchiveBudget budget{limits.max_archive_members, limits.max_archive_bytes};
  std::string_view input(reinterpret_cast<const char*>(data), size);
  gfi::ArchiveListing listing = gfi::ReadArchive(input, "fuzz.bin.gz", limits, &budget);

  // Invariants the callers rely on; a violation is a bug even when nothing crashed.
  if (listing.members.size() > limits.max_archive_members) std::abort();
  uint64_t total = 0;
  for (const gfi::ArchiveMember& m : listing.members) {
    if (m.depth < 1 || m.depth > limits.max_archive_depth) std::abort();
    total += m.size;
  }
  if (total > limits.max_archive_bytes || budget.bytes_left > limits.max_archive_bytes)
    std::abort();
  if (budget.members_left + listing.members.size() != limits.max_archive_members) std::abort();
  gfi::LooksLikeArchive(input);
  return 0;
}
