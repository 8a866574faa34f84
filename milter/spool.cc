// Spool; see spool.h.
#include "milter/spool.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gfi {
namespace {

Status WriteAll(int fd, const char* p, size_t n, const std::string& what) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return Status::Error(what + ": " + std::strerror(errno));
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return Status::Ok();
}

}  // namespace

Spool::~Spool() {
  if (map_ != nullptr) ::munmap(map_, map_size_);
  if (fd_ >= 0) ::close(fd_);
}

Status Spool::SpillToFile() {
  fd_ = ::open(dir_.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
    // File systems without O_TMPFILE: a named file, unlinked at once.
    std::string tmpl = dir_ + "/spool.XXXXXX";
    fd_ = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(tmpl.c_str());
  }
  if (fd_ < 0) return Status::Error("spool " + dir_ + ": " + std::strerror(errno));
  Status s = WriteAll(fd_, buffer_.data(), buffer_.size(), "spool " + dir_);
  std::string().swap(buffer_);
  return s;
}

Status Spool::Append(std::string_view data) {
  if (!error_.ok()) return error_;
  if (oversize_) return Status::Ok();
  if (size_ + data.size() > max_bytes_) {
    oversize_ = true;
    return Status::Ok();
  }
  if (map_ != nullptr) {
    ::munmap(map_, map_size_);
    map_ = nullptr;
  }
  if (fd_ < 0 && buffer_.size() + data.size() > memory_limit_) error_ = SpillToFile();
  if (error_.ok()) {
    if (fd_ >= 0) {
      error_ = WriteAll(fd_, data.data(), data.size(), "spool " + dir_);
    } else {
      buffer_.append(data);
    }
  }
  if (error_.ok()) size_ += data.size();
  return error_;
}

Result<std::string_view> Spool::View() {
  if (!error_.ok()) return error_;
  if (fd_ < 0) return std::string_view(buffer_);
  if (size_ == 0) return std::string_view();
  if (map_ == nullptr) {
    void* m = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd_, 0);
    if (m == MAP_FAILED) return Status::Error("spool: mmap: " + std::string(std::strerror(errno)));
    map_ = m;
    map_size_ = size_;
  }
  return std::string_view(static_cast<const char*>(map_), map_size_);
}

}  // namespace gfi
