// Background start-up with an honest exit status, and the locked pid file.
//
// Detach() forks before anything is opened (the store, the socket, threads): the parent only waits
// for the child to report "ready" or a failure over a pipe, and exits with that status, so an init
// script or `GFI_DAEMON=1 scripts/run` sees a failed start as a failure. (Opening SQLite and then
// forking left the parent's exit to unlink the WAL of the child's database: quarantined mail was
// lost.) The child keeps the caller's stderr until it is ready, so start-up errors reach the
// terminal as well as syslog; then stdin/stdout/stderr go to /dev/null.
//
// PidFile holds an exclusive fcntl lock for the life of the process: a second instance refuses to
// start, naming the pid that holds it, whatever socket it was given. Only the owner removes it.
// Neither class is thread-safe; both are used by the start-up thread only.
#ifndef GFI_MILTER_STARTUP_H_
#define GFI_MILTER_STARTUP_H_

#include <sys/types.h>

#include <string>

#include "util/status.h"

namespace gfi {

class StartupChannel {
 public:
  StartupChannel() = default;
  StartupChannel(const StartupChannel&) = delete;
  StartupChannel& operator=(const StartupChannel&) = delete;
  ~StartupChannel();

  // Forks. In the parent it never returns: it waits for the child's report and exits with it
  // (70 when the child died without one). In the child it returns Ok; an error when fork fails.
  Status Detach();
  // Child only (no-ops in the foreground): report success, detach from the terminal (stdio to
  // /dev/null, new session, cwd /) and close the channel.
  void Ready();
  // Child only: report a failed start; the parent exits with `exit_code`.
  void Failed(int exit_code);

 private:
  int fd_ = -1;  // write end of the pipe to the waiting parent; -1 in the foreground
};

class PidFile {
 public:
  PidFile() = default;
  PidFile(const PidFile&) = delete;
  PidFile& operator=(const PidFile&) = delete;
  ~PidFile();

  // Opens (creating, mode 0644) and locks `path`. Refused when another process holds the lock:
  // the message names its pid. The file is owned by uid:gid (so the daemon can remove it after
  // dropping privileges) when running as root.
  Status Acquire(const std::string& path, uid_t uid, gid_t gid);
  // Writes the current pid (after any fork). Call after Acquire.
  Status WritePid();
  // Removes the file if it still holds our pid; called at a clean stop (and by the destructor).
  void Remove();

 private:
  std::string path_;
  int fd_ = -1;
};

// Sets TCP_NODELAY on every listening TCP socket of this process (libmilter's; it keeps the
// descriptor to itself). Accepted connections inherit the option on Linux, so the replies to the
// end of a message (header changes, then the verdict: several small writes) leave at once instead
// of waiting behind Nagle for the MTA's delayed ACK (~40 ms a message). Returns how many sockets
// were set.
int SetNoDelayOnTcpListeners();

// True when a process answers on the unix socket at `path` (a running instance).
bool UnixSocketAnswers(const std::string& path);

// Checks that the user uid:gid can create a private file in `dir` (the spool, the quarantine):
// as root, in a child process that takes that identity. The error names the directory and cause.
Status CheckWritableAs(const std::string& dir, uid_t uid, gid_t gid, const std::string& what);

}  // namespace gfi

#endif  // GFI_MILTER_STARTUP_H_
