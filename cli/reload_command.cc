// `gfictl reload [--wait] [--timeout S]`: SIGUSR1 to the daemon named by [milter] pid_file; with
// --wait, the status file ([milter] status_file) is polled until its reload counters move, and the
// outcome decides the exit: 0 reloaded, 1 refused (the old indicators stay; the reason printed),
// 2 no daemon, no permission, or no answer within the timeout.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "commands.h"
#include "engine/status.h"
#include "engine_setup.h"

namespace gfi {
namespace {

struct ReloadOptions {
  std::string config_path;
  bool wait = false;
  double timeout = 30;
};

// The reload counters from the status file (engine/status.h is its schema).
bool ParseCounters(const std::string& text, DaemonStatus* c) {
  Result<DaemonStatus> s = ParseDaemonStatus(text);
  if (!s.ok()) return false;
  *c = std::move(s.value());
  return true;
}

int RunReload(const ReloadOptions& o) {
  const char* cmd = "gfictl reload";
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, cmd, &config)) return 2;
  const std::string& pid_file = config.milter.pid_file;
  std::ifstream in(pid_file);
  if (!in) {
    int err = errno;
    if (err == ENOENT)
      std::fprintf(stderr, "%s: no pid file %s (is gfi-milter running?)\n", cmd, pid_file.c_str());
    else
      std::fprintf(stderr, "%s: cannot open pid file %s: %s\n", cmd, pid_file.c_str(),
                   std::strerror(err));
    return 2;
  }
  long pid = 0;
  if (!(in >> pid) || pid <= 1) {
    std::fprintf(stderr, "%s: pid file %s holds no process id\n", cmd, pid_file.c_str());
    return 2;
  }
  DaemonStatus before;
  const std::string& status_file = config.milter.status_file;
  if (o.wait) {
    std::string text;
    if (Status s = ReadStatusFile(status_file, &text); !s.ok()) {
      std::fprintf(stderr, "%s: %s\n", cmd, s.message().c_str());
      return 2;
    }
    if (!ParseCounters(text, &before)) {
      std::fprintf(stderr, "%s: status file %s is not a gfi-milter status file\n", cmd, status_file.c_str());
      return 2;
    }
  }
  if (::kill(static_cast<pid_t>(pid), SIGUSR1) != 0) {
    int err = errno;
    if (err == ESRCH)
      std::fprintf(stderr, "%s: gfi-milter (pid %ld from %s) is not running\n", cmd, pid,
                   pid_file.c_str());
    else
      std::fprintf(stderr, "%s: cannot signal gfi-milter (pid %ld): %s\n", cmd, pid,
                   std::strerror(err));
    return 2;
  }
  if (!o.wait) {
    std::printf("gfi-milter (pid %ld): reload requested\n", pid);
    return 0;
  }
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(static_cast<int64_t>(o.timeout * 1000));
  while (std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::string text;
    DaemonStatus now;
    if (!ReadStatusFile(status_file, &text).ok() || !ParseCounters(text, &now)) continue;
    if (now.reloads_ok == before.reloads_ok && now.reloads_failed == before.reloads_failed) continue;
    if (now.reloads_ok > before.reloads_ok && now.reloads_failed == before.reloads_failed) {
      std::printf("gfi-milter (pid %ld): reloaded: %s\n", pid, now.last_reload_result.c_str());
      return 0;
    }
    std::printf(
        "gfi-milter (pid %ld): reload refused, previous configuration and indicators "
        "stay in service: %s\n",
        pid, now.last_reload_result.c_str());
    return 1;
  }
  std::fprintf(stderr, "%s: no reload reported in %s within %g s (gfi-milter pid %ld)\n", cmd,
               status_file.c_str(), o.timeout, pid);
  return 2;
}

}  // namespace

void RegisterReload(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ReloadOptions>();
  CLI::App* r = app.add_subcommand(
      "reload", "Make the running daemon reload its configuration and feeds (SIGUSR1)");
  r->add_option("--config", o->config_path, "Configuration file");
  r->add_flag("--wait", o->wait,
              "Wait for the outcome: exit 0 reloaded, 1 refused, 2 no daemon or timeout");
  r->add_option("--timeout", o->timeout, "Seconds --wait waits (default 30)")
      ->check(CLI::PositiveNumber);
  r->callback([o, exit_code] { *exit_code = RunReload(*o); });
}

}  // namespace gfi
