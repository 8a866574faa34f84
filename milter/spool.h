// A message being received: kept in memory up to a limit, then in a private temporary file (no
// name on disk: O_TMPFILE, mode 0600) so a 50 MB message does not cost 50 MB of memory per thread.
// View() hands the engine the whole message as one contiguous read-only view (the buffer, or the
// file mapped read-only). Beyond max_bytes nothing more is stored and oversize() is set: such a
// message cannot be scanned whole and gets [milter] on_error.
#ifndef GFI_MILTER_SPOOL_H_
#define GFI_MILTER_SPOOL_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/status.h"

namespace gfi {

class Spool {
 public:
  Spool(std::string dir, uint64_t memory_limit, uint64_t max_bytes)
      : dir_(std::move(dir)), memory_limit_(memory_limit), max_bytes_(max_bytes) {}
  ~Spool();
  Spool(const Spool&) = delete;
  Spool& operator=(const Spool&) = delete;

  // Appends bytes; an error (disk full, spool directory unusable) is sticky.
  Status Append(std::string_view data);
  // The whole message; valid until the Spool is destroyed or appended to.
  Result<std::string_view> View();

  uint64_t size() const { return size_; }
  bool oversize() const { return oversize_; }
  bool spooled() const { return fd_ >= 0; }

 private:
  Status SpillToFile();

  std::string dir_;
  uint64_t memory_limit_;
  uint64_t max_bytes_;
  std::string buffer_;
  int fd_ = -1;
  uint64_t size_ = 0;
  bool oversize_ = false;
  Status error_;
  void* map_ = nullptr;
  size_t map_size_ = 0;
};

}  // namespace gfi

#endif  // GFI_MILTER_SPOOL_H_
