// Last good feed copies; see last_good.h. Copies are 0640: feeds may hold sensitive indicators.
#include "indicators/last_good.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "util/digest.h"

namespace gfi {
namespace {

uint64_t Fnv1a64(const std::string& s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

std::string Errno() { return std::strerror(errno); }

}  // namespace

std::string LastGoodStore::CopyPath(const std::string& feed_path) const {
  char hex[17];
  std::snprintf(hex, sizeof(hex), "%016llx",
                static_cast<unsigned long long>(Fnv1a64(feed_path)));
  return dir_ + "/" + hex + "-" + std::filesystem::path(feed_path).filename().string();
}

std::optional<int64_t> LastGoodStore::SavedVersion(const std::string& feed_path) const {
  struct stat st;
  if (::stat(CopyPath(feed_path).c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return static_cast<int64_t>(st.st_mtim.tv_sec);
}

std::string LastGoodStore::SignatureCopyPath(const std::string& feed_path) const {
  return CopyPath(feed_path) + ".minisig";
}

std::optional<std::string> LastGoodStore::SavedSignature(const std::string& feed_path) const {
  std::ifstream in(SignatureCopyPath(feed_path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<std::string> FileSha256Hex(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Status::Error(path + ": cannot read: " + Errno());
  DigestBuilder digest;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      std::string e = Errno();
      ::close(fd);
      return Status::Error(path + ": cannot read: " + e);
    }
    if (n == 0) break;
    digest.Update(std::string_view(buf, static_cast<size_t>(n)));
  }
  ::close(fd);
  return digest.Finish().sha256;
}

Status LastGoodStore::Save(const std::string& feed_path, std::string_view signature,
                           std::optional<uint64_t> rules) const {
  if (!writable_) return Status::Ok();
  if (Status s = SaveCopy(feed_path); !s.ok()) return s;
  if (Status s = SaveSignature(feed_path, signature); !s.ok()) return s;
  if (rules && SavedCount(feed_path) != rules) {
    if (Status s = WriteSmallFile(CopyPath(feed_path) + ".count", std::to_string(*rules) + "\n",
                                  "kept indicator count");
        !s.ok())
      return s;
  }
  // A new version in service: an acceptance of an earlier held file no longer applies.
  const std::string accept = AcceptPath(feed_path);
  if (::unlink(accept.c_str()) != 0 && errno != ENOENT)
    return Status::Error(accept + ": cannot remove the acceptance: " + Errno());
  return Status::Ok();
}

std::optional<uint64_t> LastGoodStore::SavedCount(const std::string& feed_path) const {
  if (!SavedVersion(feed_path)) return std::nullopt;
  std::ifstream in(CopyPath(feed_path) + ".count");
  unsigned long long n = 0;
  if (!(in >> n)) return std::nullopt;
  return static_cast<uint64_t>(n);
}

std::string LastGoodStore::AcceptPath(const std::string& feed_path) const {
  return CopyPath(feed_path) + ".accept";
}

Status LastGoodStore::Accept(const std::string& feed_path, const std::string& sha256_hex) const {
  if (!writable_) return Status::Error(dir_ + ": the last good store is read-only here");
  return WriteSmallFile(AcceptPath(feed_path), sha256_hex + "\n", "acceptance");
}

std::optional<std::string> LastGoodStore::Accepted(const std::string& feed_path) const {
  std::ifstream in(AcceptPath(feed_path));
  std::string hex;
  if (!(in >> hex) || hex.size() != 64) return std::nullopt;
  return hex;
}

Status LastGoodStore::SaveSignature(const std::string& feed_path,
                                    std::string_view signature) const {
  const std::string path = SignatureCopyPath(feed_path);
  if (signature.empty()) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
      return Status::Error(path + ": cannot remove kept signature: " + Errno());
    return Status::Ok();
  }
  if (std::optional<std::string> old = SavedSignature(feed_path); old && *old == signature)
    return Status::Ok();  // already kept
  return WriteSmallFile(path, signature, "kept signature");
}

Status LastGoodStore::WriteSmallFile(const std::string& path, std::string_view text,
                                     const std::string& what) const {
  const std::string tmp = path + ".tmp";
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out < 0) return Status::Error(tmp + ": cannot write " + what + ": " + Errno());
  struct stat dir_st;
  bool ok = !(::geteuid() == 0 && ::stat(dir_.c_str(), &dir_st) == 0 &&
              ::fchown(out, dir_st.st_uid, dir_st.st_gid) != 0);
  for (size_t off = 0; ok && off < text.size();) {
    ssize_t w = ::write(out, text.data() + off, text.size() - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) ok = false;
    else off += static_cast<size_t>(w);
  }
  ok = ok && ::fsync(out) == 0;
  std::string err = ok ? "" : Errno();
  if (::close(out) != 0 && ok) {
    ok = false;
    err = Errno();
  }
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    if (err.empty()) err = Errno();
    ::unlink(tmp.c_str());
    return Status::Error(path + ": cannot write " + what + ": " + err);
  }
  int d = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return Status::Ok();
}

Status LastGoodStore::SaveCopy(const std::string& feed_path) const {
  const std::string copy = CopyPath(feed_path);
  struct stat src, old;
  if (::stat(feed_path.c_str(), &src) != 0)
    return Status::Error(feed_path + ": cannot keep a last good copy: " + Errno());
  if (::stat(copy.c_str(), &old) == 0 && old.st_size == src.st_size &&
      old.st_mtim.tv_sec == src.st_mtim.tv_sec && old.st_mtim.tv_nsec == src.st_mtim.tv_nsec)
    return Status::Ok();  // already kept
  const std::string tmp = copy + ".tmp";
  int in = ::open(feed_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (in < 0) return Status::Error(feed_path + ": cannot keep a last good copy: " + Errno());
  int out = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (out < 0) {
    std::string e = Errno();
    ::close(in);
    return Status::Error(tmp + ": cannot write last good copy: " + e);
  }
  struct stat dir_st;  // copies made as root (at start) belong to the daemon, like the directory
  if (::geteuid() == 0 && ::stat(dir_.c_str(), &dir_st) == 0 &&
      ::fchown(out, dir_st.st_uid, dir_st.st_gid) != 0) {
    std::string e = Errno();
    ::close(in);
    ::close(out);
    ::unlink(tmp.c_str());
    return Status::Error(tmp + ": chown: " + e);
  }
  bool ok = true;
  char buf[1 << 16];
  for (;;) {
    ssize_t n = ::read(in, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ok = n == 0;
      break;
    }
    for (ssize_t off = 0; off < n;) {
      ssize_t w = ::write(out, buf + off, static_cast<size_t>(n - off));
      if (w < 0 && errno == EINTR) continue;
      if (w <= 0) {
        ok = false;
        break;
      }
      off += w;
    }
    if (!ok) break;
  }
  std::string err = ok ? "" : Errno();
  struct timespec times[2] = {src.st_atim, src.st_mtim};
  ok = ok && ::futimens(out, times) == 0 && ::fsync(out) == 0;
  if (ok) err.clear(); else if (err.empty()) err = Errno();
  ::close(in);
  if (::close(out) != 0 && ok) {
    ok = false;
    err = Errno();
  }
  if (!ok || ::rename(tmp.c_str(), copy.c_str()) != 0) {
    if (err.empty()) err = Errno();
    ::unlink(tmp.c_str());
    return Status::Error(copy + ": cannot write last good copy: " + err);
  }
  int d = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (d >= 0) {
    ::fsync(d);
    ::close(d);
  }
  return Status::Ok();
}

}  // namespace gfi
