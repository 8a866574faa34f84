// State directories; see state_dirs.h.
#include "milter/state_dirs.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace gfi {
namespace {

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

bool IsDir(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

}  // namespace

std::vector<std::string> StateDirs(const Config& config) {
  std::vector<std::string> dirs = {DirOf(config.milter.pid_file), DirOf(config.milter.status_file),
                                   config.milter.spool_dir, config.quarantine.dir,
                                   LastGoodDir(config)};
  // The TAXII puller runs as the daemon user: the feeds directory (and its .state) are its own.
  if (!config.feeds.taxii.empty()) {
    dirs.push_back(config.feeds.dir);
    dirs.push_back(config.feeds.dir + "/.state");
  }
  std::vector<std::string> out;
  for (const std::string& d : dirs) {
    bool seen = false;
    for (const std::string& o : out) seen = seen || o == d;
    if (!seen) out.push_back(d);
  }
  return out;
}

Status EnsureStateDir(const std::string& dir, uid_t uid, gid_t gid, const std::string& user,
                      mode_t mode) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return Status::Error(dir + ": exists and is not a directory");
    return Status::Ok();
  }
  if (errno != ENOENT) return Status::Error(dir + ": " + std::strerror(errno));
  if (dir.empty() || dir[0] != '/') return Status::Error(dir + ": not an absolute path");
  if (::geteuid() != 0) {
    // Not root: a directory we may make ourselves (under our own, say) is made; anything else
    // is the admin's to create.
    if (::mkdir(dir.c_str(), mode) == 0 || errno == EEXIST) return Status::Ok();
    char octal[8];
    std::snprintf(octal, sizeof(octal), "%04o", static_cast<unsigned>(mode));
    return Status::Error(dir + ": does not exist (" + std::strerror(errno) +
                         "); create it as root (install -d -o " + user + " -g " + user +
                         " -m " + octal + " " + dir +
                         "), or start gfi-milter as root once: it creates its directories");
  }
  // Missing parents first: root's, 0755, as install -d makes them.
  std::vector<std::string> missing;
  for (std::string p = DirOf(dir); p != "/" && !IsDir(p); p = DirOf(p)) missing.push_back(p);
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (::mkdir(it->c_str(), 0755) != 0 && errno != EEXIST)
      return Status::Error(*it + ": cannot create directory: " + std::strerror(errno));
  if (::mkdir(dir.c_str(), mode) != 0 && errno != EEXIST)
    return Status::Error(dir + ": cannot create directory: " + std::strerror(errno));
  if (::chown(dir.c_str(), uid, gid) != 0)
    return Status::Error(dir + ": chown: " + std::strerror(errno));
  if (::chmod(dir.c_str(), mode) != 0)  // whatever the umask took away
    return Status::Error(dir + ": chmod: " + std::strerror(errno));
  return Status::Ok();
}

}  // namespace gfi
