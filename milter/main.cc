// gfi-milter: the daemon. gfi-milter [--config F] [--foreground] [--check]
//
// Start-up order: configuration and indicators are loaded first (a fatal error exits before the
// MTA ever sees the socket), then the socket is opened (as root when started as root), privileges
// are dropped to [milter] user, the daemon forks (unless --foreground), writes its pid file and
// hands control to libmilter. A reload thread waits for SIGUSR1 and checks the feed and config
// files every [indicators] reload_interval seconds; it also rewrites the status file. SIGTERM,
// SIGINT and SIGHUP stop the daemon (libmilter's signal thread handles those).
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <pwd.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <thread>

#include "config/config.h"
#include "milter/engine.h"
#include "milter/filter.h"

namespace gfi {
namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr int kExitSoftware = 70;

std::atomic<bool> g_stop{false};

void Fatal(const std::string& msg) {
  std::fprintf(stderr, "gfi-milter: %s\n", msg.c_str());
  syslog(LOG_ERR, "fatal: %s", msg.c_str());
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos || slash == 0 ? "/" : path.substr(0, slash);
}

// Creates `dir` (one level) owned by the daemon user when it is missing.
bool EnsureDir(const std::string& dir, uid_t uid, gid_t gid, mode_t mode) {
  struct stat st;
  if (::stat(dir.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  if (::mkdir(dir.c_str(), mode) != 0) return false;
  if (::geteuid() == 0 && ::chown(dir.c_str(), uid, gid) != 0) return false;
  return true;
}

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  bool drop = false;
};

Result<Identity> LookupUser(const std::string& user) {
  Identity id;
  id.uid = ::getuid();
  id.gid = ::getgid();
  if (::geteuid() != 0) return id;  // not root: run as whoever started us
  struct passwd* pw = ::getpwnam(user.c_str());
  if (pw == nullptr) return Status::Error("[milter] user '" + user + "' does not exist");
  id.uid = pw->pw_uid;
  id.gid = pw->pw_gid;
  id.drop = pw->pw_uid != 0;
  return id;
}

Status DropPrivileges(const std::string& user, const Identity& id) {
  if (!id.drop) return Status::Ok();
  if (::initgroups(user.c_str(), id.gid) != 0 || ::setgid(id.gid) != 0 || ::setuid(id.uid) != 0)
    return Status::Error("cannot drop privileges to '" + user + "': " + std::strerror(errno));
  if (::setuid(0) == 0) return Status::Error("privileges were not dropped (setuid(0) succeeded)");
  ::prctl(PR_SET_DUMPABLE, 0);
  return Status::Ok();
}

void ReloadLoop(Engine* engine, sigset_t usr1) {
  using Clock = std::chrono::steady_clock;
  auto last_check = Clock::now();
  auto last_status = Clock::time_point{};
  auto last_purge = Clock::time_point{};
  while (!g_stop.load()) {
    struct timespec ts = {1, 0};
    int sig = ::sigtimedwait(&usr1, nullptr, &ts);
    auto st = engine->state();
    bool reload = sig == SIGUSR1;
    uint64_t interval = st->config.indicators.reload_interval;
    if (!reload && interval > 0 &&
        Clock::now() - last_check >= std::chrono::seconds(static_cast<int64_t>(interval))) {
      last_check = Clock::now();
      reload = engine->FilesChanged();
    }
    if (reload) {
      Status s = engine->Reload();
      auto now = engine->state();
      if (s.ok()) {
        syslog(LOG_INFO, "reload: %zu indicators from %zu feed(s) in %.2f s%s",
               now->snapshot->stats().rules, now->snapshot->stats().feeds.size(),
               now->load_seconds, now->invalid_feeds.empty() ? "" : "; invalid feeds left out");
        for (const std::string& e : now->feed_errors) syslog(LOG_WARNING, "reload: %s", e.c_str());
      } else {
        syslog(LOG_ERR, "reload refused, previous indicators stay in service: %s",
               s.message().c_str());
      }
      last_status = Clock::time_point{};
    }
    // Retention: entries older than [quarantine] retention_days are purged once an hour.
    uint64_t days = st->config.quarantine.retention_days;
    if (days > 0 && st->quarantine &&
        (last_purge == Clock::time_point{} || Clock::now() - last_purge >= std::chrono::hours(1))) {
      last_purge = Clock::now();
      int64_t before = static_cast<int64_t>(std::time(nullptr)) - static_cast<int64_t>(days) * 86400;
      auto n = st->quarantine->Purge(before, "gfi-milter (retention)");
      if (!n.ok()) {
        syslog(LOG_ERR, "quarantine retention purge: %s", n.error().c_str());
      } else if (n.value() > 0) {
        syslog(LOG_INFO, "quarantine retention purge: %zu entries older than %llu days removed",
               n.value(), static_cast<unsigned long long>(days));
      }
    }
    if (Clock::now() - last_status >= std::chrono::seconds(5)) {
      last_status = Clock::now();
      Status w = engine->WriteStatus(engine->state()->config.milter.status_file);
      if (!w.ok()) syslog(LOG_WARNING, "%s", w.message().c_str());
    }
  }
}

int Run(const std::string& config_path, bool foreground, bool check) {
  openlog("gfi-milter", LOG_PID | LOG_NDELAY | (foreground ? LOG_PERROR : 0), LOG_MAIL);
  Result<std::unique_ptr<Engine>> started = Engine::Start(config_path, /*open_store=*/!check);
  if (!started.ok()) {
    Fatal(started.error());
    return kExitConfig;
  }
  std::unique_ptr<Engine> engine = std::move(started).value();
  auto st = engine->state();
  const MilterConfig& mc = st->config.milter;
  for (const std::string& e : st->feed_errors) syslog(LOG_WARNING, "feed left out: %s", e.c_str());
  syslog(LOG_INFO, "loaded %zu indicators from %zu feed(s) in %.2f s (%zu invalid feed(s) left out)",
         st->snapshot->stats().rules, st->snapshot->stats().feeds.size(), st->load_seconds,
         st->invalid_feeds.size());
  if (check) {
    for (const std::string& e : st->feed_errors) std::fprintf(stderr, "feed left out: %s\n", e.c_str());
    std::printf("configuration %s: ok; %zu indicators from %zu feed(s); %zu invalid feed(s)\n",
                config_path.c_str(), st->snapshot->stats().rules,
                st->snapshot->stats().feeds.size(), st->invalid_feeds.size());
    return st->invalid_feeds.empty() ? 0 : 1;
  }

  Result<Identity> id = LookupUser(mc.user);
  if (!id.ok()) {
    Fatal(id.error());
    return kExitConfig;
  }
  for (const std::string& dir : {DirOf(mc.pid_file), DirOf(mc.status_file), mc.spool_dir}) {
    if (!EnsureDir(dir, id.value().uid, id.value().gid, 0750)) {
      Fatal(dir + ": cannot create or use directory: " + std::strerror(errno));
      return kExitConfig;
    }
  }
  if (::geteuid() == 0) {  // the store was created by root at load; it belongs to the daemon
    const std::string& q = st->config.quarantine.dir;
    for (const std::string& p : {q, q + "/messages", q + "/index.sqlite", q + "/index.sqlite-wal",
                                 q + "/index.sqlite-shm"})
      if (::chown(p.c_str(), id.value().uid, id.value().gid) != 0 && errno != ENOENT) {
        Fatal(p + ": chown: " + std::strerror(errno));
        return kExitConfig;
      }
  }

  // Socket: opened now, before privileges are dropped; a unix socket belongs to the daemon user
  // and its group (add the MTA's user to that group), mode 0660.
  std::string conn = mc.socket;
  if (smfi_setconn(conn.data()) != MI_SUCCESS) {
    Fatal("cannot use socket " + conn);
    return kExitConfig;
  }
  smfi_settimeout(static_cast<int>(mc.timeout));
  smfiDesc desc = MakeFilter(engine.get());
  if (smfi_register(desc) != MI_SUCCESS) {
    Fatal("smfi_register failed");
    return kExitSoftware;
  }
  // libmilter removes an existing unix socket file before binding; if a daemon still answers on
  // it, this is a second instance and must not steal the socket.
  if (conn.rfind("unix:", 0) == 0 || conn.rfind("local:", 0) == 0) {
    std::string path = conn.substr(conn.find(':') + 1);
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    if (fd >= 0 && path.size() < sizeof(sa.sun_path)) {
      std::memcpy(sa.sun_path, path.c_str(), path.size() + 1);
      bool live = ::connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) == 0;
      ::close(fd);
      if (live) {
        Fatal("socket " + path + " is in use by a running gfi-milter");
        return kExitConfig;
      }
    } else if (fd >= 0) {
      ::close(fd);
    }
  }
  mode_t old_umask = ::umask(0117);
  int rc = smfi_opensocket(true);
  ::umask(old_umask);
  if (rc != MI_SUCCESS) {
    Fatal("cannot open socket " + conn + " (in use, or its directory is missing or not writable)");
    return kExitConfig;
  }
  if (conn.rfind("unix:", 0) == 0 || conn.rfind("local:", 0) == 0) {
    std::string path = conn.substr(conn.find(':') + 1);
    if (::geteuid() == 0 && ::chown(path.c_str(), id.value().uid, id.value().gid) != 0) {
      Fatal(path + ": chown: " + std::strerror(errno));
      return kExitConfig;
    }
  }
  if (Status s = DropPrivileges(mc.user, id.value()); !s.ok()) {
    Fatal(s.message());
    return kExitSoftware;
  }

  if (!foreground) {
    pid_t pid = ::fork();
    if (pid < 0) {
      Fatal(std::string("fork: ") + std::strerror(errno));
      return kExitSoftware;
    }
    if (pid > 0) return 0;
    ::setsid();
    if (::chdir("/") != 0) return kExitSoftware;
    int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(null, 2);
      if (null > 2) ::close(null);
    }
  }
  {
    std::string text = std::to_string(::getpid()) + "\n";
    int fd = ::open(mc.pid_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
      Fatal(mc.pid_file + ": cannot write pid file: " + std::strerror(errno));
      if (fd >= 0) ::close(fd);
      return kExitConfig;
    }
    ::close(fd);
  }

  // SIGUSR1 is taken by the reload thread only; every thread (libmilter's too) blocks it. The
  // stop signals are blocked too before our thread starts: libmilter's signal thread sigwaits for
  // them, and a thread that left them unblocked would let the default action kill the process.
  sigset_t usr1, all;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  all = usr1;
  sigaddset(&all, SIGTERM);
  sigaddset(&all, SIGINT);
  sigaddset(&all, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  std::thread reloader(ReloadLoop, engine.get(), usr1);
  syslog(LOG_INFO, "listening on %s as user %s", conn.c_str(), mc.user.c_str());
  engine->WriteStatus(mc.status_file);
  rc = smfi_main();
  g_stop = true;
  reloader.join();
  engine->WriteStatus(mc.status_file);
  ::unlink(mc.pid_file.c_str());
  syslog(LOG_INFO, "stopped");
  closelog();
  return rc == MI_SUCCESS ? 0 : kExitSoftware;
}

}  // namespace
}  // namespace gfi

int main(int argc, char** argv) {
  CLI::App app{"gfi-milter: mail filter for government-furnished threat indicators"};
  std::string config = gfi::kDefaultConfigPath;
  bool foreground = false, check = false;
  app.add_option("-c,--config", config, "Configuration file")->capture_default_str();
  app.add_flag("-f,--foreground", foreground, "Stay in the foreground and log to stderr too");
  app.add_flag("--check", check,
               "Load the configuration and indicators, report, and exit (1 if a feed is invalid)");
  app.set_version_flag("--version", std::string("gfi-milter 0.1.0"));
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }
  try {
    return gfi::Run(config, foreground, check);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gfi-milter: fatal: %s\n", e.what());
    return 70;
  }
}
