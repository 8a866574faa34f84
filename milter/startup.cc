// Start-up helpers of the daemon; see startup.h. Everything here runs on the start-up thread
// before libmilter takes over, except PidFile::Remove at the stop.
#include "milter/startup.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace gfi {
namespace {

constexpr int kExitSoftware = 70;

std::string Errno() { return std::strerror(errno); }

// Creates and removes a private file in `dir`: what the spool and the store do.
int TryCreate(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR)) {
    std::string tmpl = dir + "/.gfi-write-test.XXXXXX";
    fd = ::mkostemp(tmpl.data(), O_CLOEXEC);
    if (fd >= 0) ::unlink(tmpl.c_str());
  }
  if (fd < 0) return errno;
  ::close(fd);
  return 0;
}

}  // namespace

StartupChannel::~StartupChannel() {
  if (fd_ >= 0) ::close(fd_);
}

Status StartupChannel::Detach() {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return Status::Error("pipe: " + Errno());
  std::fflush(nullptr);
  pid_t pid = ::fork();
  if (pid < 0) {
    ::close(p[0]);
    ::close(p[1]);
    return Status::Error("fork: " + Errno());
  }
  if (pid > 0) {  // the parent: wait for the report, exit with it
    ::close(p[1]);
    unsigned char code = 0;
    ssize_t n;
    do {
      n = ::read(p[0], &code, 1);
    } while (n < 0 && errno == EINTR);
    if (n == 1) ::_exit(code);
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    if (WIFEXITED(wstatus)) {
      std::fprintf(stderr, "gfi-milter: the daemon exited during start-up with status %d\n",
                   WEXITSTATUS(wstatus));
      ::_exit(WEXITSTATUS(wstatus) != 0 ? WEXITSTATUS(wstatus) : kExitSoftware);
    }
    std::fprintf(stderr, "gfi-milter: the daemon died during start-up (signal %d)\n",
                 WIFSIGNALED(wstatus) ? WTERMSIG(wstatus) : 0);
    ::_exit(kExitSoftware);
  }
  ::close(p[0]);
  fd_ = p[1];
  ::setsid();
  return Status::Ok();
}

void StartupChannel::Ready() {
  if (fd_ < 0) return;
  if (::chdir("/") != 0) {
    // Not fatal: every path the daemon uses is absolute or was resolved at load.
  }
  int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (null >= 0) {
    ::dup2(null, 0);
    ::dup2(null, 1);
    ::dup2(null, 2);
    if (null > 2) ::close(null);
  }
  unsigned char ok = 0;
  (void)!::write(fd_, &ok, 1);
  ::close(fd_);
  fd_ = -1;
}

void StartupChannel::Failed(int exit_code) {
  if (fd_ < 0) return;
  unsigned char code = static_cast<unsigned char>(exit_code == 0 ? kExitSoftware : exit_code);
  (void)!::write(fd_, &code, 1);
  ::close(fd_);
  fd_ = -1;
}

PidFile::~PidFile() { Remove(); }

Status PidFile::Acquire(const std::string& path, uid_t uid, gid_t gid) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
  if (fd < 0) return Status::Error(path + ": cannot open pid file: " + Errno());
  struct flock lk = {};
  lk.l_type = F_WRLCK;
  lk.l_whence = SEEK_SET;
  if (::fcntl(fd, F_SETLK, &lk) != 0) {
    int err = errno;
    std::string holder;
    if (err == EAGAIN || err == EACCES) {
      struct flock who = lk;
      if (::fcntl(fd, F_GETLK, &who) == 0 && who.l_type != F_UNLCK)
        holder = " (pid " + std::to_string(who.l_pid) + ")";
      ::close(fd);
      return Status::Error(path + ": another gfi-milter" + holder +
                           " is running with this pid file; stop it first");
    }
    ::close(fd);
    return Status::Error(path + ": cannot lock pid file: " + std::strerror(err));
  }
  if (::geteuid() == 0 && ::fchown(fd, uid, gid) != 0) {
    std::string e = Errno();
    ::close(fd);
    return Status::Error(path + ": chown: " + e);
  }
  path_ = path;
  fd_ = fd;
  return Status::Ok();
}

Status PidFile::WritePid() {
  std::string text = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) != 0 ||
      ::pwrite(fd_, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size()))
    return Status::Error(path_ + ": cannot write pid file: " + Errno());
  return Status::Ok();
}

void PidFile::Remove() {
  if (fd_ < 0) return;
  // Only our own: the file at the path must still be the one we hold, with our pid in it.
  struct stat held, now;
  char buf[32] = {0};
  ssize_t n = ::pread(fd_, buf, sizeof(buf) - 1, 0);
  // (Empty: a start that failed before writing its pid; the lock says the file is ours.)
  if (n >= 0 && (n == 0 || std::atol(buf) == static_cast<long>(::getpid())) &&
      ::fstat(fd_, &held) == 0 &&
      ::stat(path_.c_str(), &now) == 0 && held.st_ino == now.st_ino && held.st_dev == now.st_dev)
    ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

int SetNoDelayOnTcpListeners() {
  int set = 0;
  DIR* d = ::opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  std::vector<int> fds;
  while (struct dirent* e = ::readdir(d)) {
    if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
    fds.push_back(std::atoi(e->d_name));
  }
  ::closedir(d);
  for (int fd : fds) {
    int listening = 0, domain = 0, one = 1;
    socklen_t len = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) continue;
    len = sizeof(domain);
    if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) continue;
    if (domain != AF_INET && domain != AF_INET6) continue;
    if (::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) == 0) ++set;
  }
  return set;
}

bool UnixSocketAnswers(const std::string& path) {
  struct sockaddr_un sa = {};
  sa.sun_family = AF_UNIX;
  if (path.size() >= sizeof(sa.sun_path)) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
  bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
  ::close(fd);
  return live;
}

Status CheckWritableAs(const std::string& dir, uid_t uid, gid_t gid, const std::string& what) {
  struct stat st;
  if (::stat(dir.c_str(), &st) != 0)
    return Status::Error(what + " " + dir + ": " + Errno());
  if (!S_ISDIR(st.st_mode)) return Status::Error(what + " " + dir + ": not a directory");
  int err = 0;
  if (::geteuid() != 0 || uid == 0) {
    err = TryCreate(dir);
  } else {
    // As root: try as the daemon's user, with its groups, in a child.
    std::vector<gid_t> groups(64);
    int ngroups = static_cast<int>(groups.size());
    struct passwd* pw = ::getpwuid(uid);
    if (pw != nullptr &&
        ::getgrouplist(pw->pw_name, gid, groups.data(), &ngroups) < 0) {
      groups.resize(static_cast<size_t>(ngroups));
      ::getgrouplist(pw->pw_name, gid, groups.data(), &ngroups);
    }
    if (pw == nullptr) {
      groups.assign(1, gid);
      ngroups = 1;
    }
    std::fflush(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return Status::Error("fork: " + Errno());
    if (pid == 0) {
      if (::setgroups(static_cast<size_t>(ngroups), groups.data()) != 0 || ::setgid(gid) != 0 ||
          ::setuid(uid) != 0)
        ::_exit(250);
      ::_exit(TryCreate(dir) & 0xff);
    }
    int wstatus = 0;
    ::waitpid(pid, &wstatus, 0);
    err = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : EIO;
    if (err == 250) return Status::Error(what + " " + dir + ": cannot test as uid " +
                                         std::to_string(uid));
  }
  if (err != 0)
    return Status::Error(what + " " + dir + " is not writable by uid " + std::to_string(uid) +
                         ": " + std::strerror(err));
  return Status::Ok();
}

}  // namespace gfi
