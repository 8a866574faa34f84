// gfi-milter: the daemon. gfi-milter [--config F] [--foreground] [--check]
//
// Start-up order: the configuration is read (its errors go straight to the terminal), then the
// daemon detaches (unless --foreground) before it opens anything: the parent waits for the child's
// "ready" or its error and exits with it. The child locks the pid file (a second instance refuses),
// loads the indicators and opens the store (a fatal error exits before the MTA ever sees the
// socket), opens the socket (as root when started as root), drops privileges to [milter] user,
// checks that it can write its spool and quarantine, writes its pid, reports ready and hands
// control to libmilter. A reload thread waits for SIGUSR1 and checks the feed and config
// files every [indicators] reload_interval seconds; it also rewrites the status file. SIGTERM,
// SIGINT and SIGHUP stop the daemon (libmilter's signal thread handles those).
#include <fcntl.h>
#include <grp.h>
#include <libmilter/mfapi.h>
#include <malloc.h>
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
#include <filesystem>
#include <map>
#include <vector>
#include <string>
#include <thread>

#include "config/config.h"
#include "engine/engine.h"
#include "feeds/feed_state.h"
#include "hits/hit_writer.h"
#include "metrics/metrics.h"
#include "metrics/metrics_status.h"
#include "metrics/prometheus_metrics.h"
#include "quarantine/store.h"
#include "milter/feeds_puller.h"
#include "milter/filter.h"
#include "milter/startup.h"
#include "milter/state_dirs.h"
#include "util/json_writer.h"
#include "util/net.h"

namespace gfi {
namespace {

constexpr int kExitConfig = 78;  // EX_CONFIG
constexpr int kExitSoftware = 70;
constexpr size_t kMaxMilterPacket = (1024 * 1024) - 1;  // libmilter's MILTER_MDS_1M

std::atomic<bool> g_stop{false};

void Fatal(const std::string& msg) {
  std::fprintf(stderr, "gfi-milter: %s\n", msg.c_str());
  syslog(LOG_ERR, "fatal: %s", msg.c_str());
}

struct Identity {
  uid_t uid = 0;
  gid_t gid = 0;
  bool drop = false;
  gid_t socket_gid = 0;  // [milter] socket_group, or gid
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

// [milter] socket_group: the group the socket is given ("" = the user's own).
Status LookupSocketGroup(const std::string& group, Identity* id) {
  id->socket_gid = id->gid;
  if (group.empty()) return Status::Ok();
  struct group* gr = ::getgrnam(group.c_str());
  if (gr == nullptr)
    return Status::Error("[milter] socket_group '" + group +
                         "' does not exist (create it: groupadd --system " + group +
                         ", and add the MTA's user to it)");
  id->socket_gid = gr->gr_gid;
  return Status::Ok();
}

Status DropPrivileges(const std::string& user, const Identity& id) {
  if (!id.drop) return Status::Ok();
  if (::initgroups(user.c_str(), id.gid) != 0 || ::setgid(id.gid) != 0 || ::setuid(id.uid) != 0)
    return Status::Error("cannot drop privileges to '" + user + "': " + std::strerror(errno));
  if (::setuid(0) == 0) return Status::Error("privileges were not dropped (setuid(0) succeeded)");
  ::prctl(PR_SET_DUMPABLE, 0);
  return Status::Ok();
}

// The gauges: indicators per feed, TAXII pulls, quarantine entries by status (counted every 30 s:
// a query per status), hit records dropped.
void UpdateGauges(const EngineState& st, const HitWriter* hits, Metrics* metrics,
                  bool quarantine) {
  std::map<std::string, uint64_t> per_feed;
  for (const FeedSummary& f : st.snapshot->stats().feeds)
    per_feed[f.name.empty() ? f.path : f.name] += f.rules;
  metrics->SetIndicators(per_feed);
  for (const TaxiiSourceConfig& t : st.config.feeds.taxii) {
    Result<SourceState> s = LoadSourceState(st.config.feeds.dir, t.name);
    if (s.ok() && s.value().last_success > 0) metrics->SetFeedLastSuccess(t.name, s.value().last_success);
  }
  if (hits != nullptr) metrics->SetHitRecordsDropped(hits->stats().dropped);
  if (quarantine && st.quarantine) {
    std::map<QuarantineStatus, uint64_t> per_status;
    for (size_t i = 0; i < kQuarantineStatusNames.size(); ++i) {
      QuarantineFilter f;
      f.status = static_cast<QuarantineStatus>(i);
      auto n = st.quarantine->Count(f);
      if (n.ok()) per_status[*f.status] = n.value().entries;
    }
    metrics->SetQuarantine(per_status);
  }
}

void ReloadLoop(Engine* engine, sigset_t usr1, HitWriter* hits, Metrics* metrics) {
  using Clock = std::chrono::steady_clock;
  auto last_check = Clock::now();
  auto last_status = Clock::time_point{};
  auto last_purge = Clock::time_point{};
  auto last_quarantine_count = Clock::time_point{};
  bool trim_pending = false;
  while (!g_stop.load()) {
    struct timespec ts = {1, 0};
    int sig = ::sigtimedwait(&usr1, nullptr, &ts);
    bool reload = sig == SIGUSR1;
    // No state is held across Reload(): the old snapshot must go as soon as the last message
    // scanned against it is done, not a loop turn later.
    const uint64_t interval = engine->state()->config.indicators.reload_interval;
    if (!reload && interval > 0 &&
        Clock::now() - last_check >= std::chrono::seconds(static_cast<int64_t>(interval))) {
      last_check = Clock::now();
      reload = engine->FilesChanged();
    }
    if (reload) {
      Status s = engine->Reload();
      metrics->OnReload(s.ok());
      auto now = engine->state();
      if (s.ok()) {
        syslog(LOG_INFO, "reload: %zu indicators from %zu feed(s) in %.2f s%s",
               now->snapshot->stats().rules, now->snapshot->stats().feeds.size(),
               now->load_seconds, now->invalid_feeds.empty() ? "" : "; invalid feeds left out");
        for (const std::string& e : now->feed_errors) syslog(LOG_WARNING, "reload: %s", e.c_str());
        for (const std::string& f : now->skipped_files)
          syslog(LOG_WARNING, "reload: not a feed (unknown extension), skipped: %s", f.c_str());
        for (const std::string& k : engine->RestartNeeded())
          syslog(LOG_WARNING, "reload: %s changed; the running value stays until gfi-milter is "
                 "restarted", k.c_str());
      } else {
        syslog(LOG_ERR, "reload refused, previous indicators stay in service: %s",
               s.message().c_str());
      }
      last_status = Clock::time_point{};
      trim_pending = true;
    } else if (trim_pending) {
      // A second after a reload, messages that were being scanned against the old snapshot are
      // done: hand its memory (and the loaders' peak) back to the system.
      ::malloc_trim(0);
      trim_pending = false;
    }
    auto st = engine->state();
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
      const bool count_quarantine = Clock::now() - last_quarantine_count >= std::chrono::seconds(30);
      if (count_quarantine) last_quarantine_count = Clock::now();
      UpdateGauges(*engine->state(), hits, metrics, count_quarantine);
      if (hits != nullptr) engine->SetStatusSection(kHitsStatusSection, hits->StatusJson());
      Status w = engine->WriteStatus(engine->state()->config.milter.status_file);
      if (!w.ok()) syslog(LOG_WARNING, "%s", w.message().c_str());
    }
  }
}

// Directories the daemon writes: the spool and the quarantine's messages (store mode).
// One that does not exist yet is created at start (and checked then).
Status CheckWritable(const EngineState& st, const Identity& id) {
  struct stat sb;
  const std::string& spool = st.config.milter.spool_dir;
  if (::stat(spool.c_str(), &sb) == 0) {
    if (Status s = CheckWritableAs(spool, id.uid, id.gid, "[milter] spool_dir"); !s.ok()) return s;
  }
  const std::string msgs = st.config.quarantine.dir + "/messages";
  if (::stat(msgs.c_str(), &sb) != 0) return Status::Ok();
  return CheckWritableAs(msgs, id.uid, id.gid, "[quarantine] dir");
}

int Check(const std::string& config_path) {
  Result<std::unique_ptr<Engine>> started = Engine::Start(config_path, /*open_store=*/false);
  if (!started.ok()) {
    Fatal(started.error());
    return kExitConfig;
  }
  auto st = started.value()->state();
  for (const std::string& e : st->feed_errors) std::fprintf(stderr, "feed left out: %s\n", e.c_str());
  for (const std::string& f : st->skipped_files)
    std::fprintf(stderr, "not a feed (unknown extension), skipped: %s\n", f.c_str());
  for (const StaleFeed& f : st->stale_feeds)
    std::fprintf(stderr, "stale feed: %s: its last good version (of %lld) would stay in service\n",
                 f.path.c_str(), static_cast<long long>(f.version));
  for (const HeldFeed& f : st->held_feeds)
    std::fprintf(stderr,
                 "held feed: %s: %llu indicators, down from %llu; its last good version (of "
                 "%lld) would stay in service\n",
                 f.path.c_str(), static_cast<unsigned long long>(f.indicators),
                 static_cast<unsigned long long>(f.kept), static_cast<long long>(f.version));
  int rc = st->invalid_feeds.empty() && st->stale_feeds.empty() && st->held_feeds.empty() ? 0 : 1;
  Result<Identity> id = LookupUser(st->config.milter.user);
  if (!id.ok()) {
    std::fprintf(stderr, "gfi-milter: %s\n", id.error().c_str());
    rc = kExitConfig;
  } else if (Status w = CheckWritable(*st, id.value()); !w.ok()) {
    std::fprintf(stderr, "gfi-milter: %s\n", w.message().c_str());
    rc = kExitConfig;
  }
  std::printf("configuration %s: %s; %zu indicators from %zu feed(s); %zu invalid feed(s); "
              "%zu stale feed(s)\n",
              config_path.c_str(), rc == 0 ? "ok" : "NOT ok", st->snapshot->stats().rules,
              st->snapshot->stats().feeds.size(), st->invalid_feeds.size(),
              st->stale_feeds.size());
  return rc;
}

// Socket: opened before privileges are dropped; a unix socket belongs to the daemon user and its
// group (add the MTA's user to that group), mode 0660. TCP listeners get TCP_NODELAY.
Status OpenSocket(Engine* engine, const Identity& id, HitWriter* hits) {
  const MilterConfig& mc = engine->state()->config.milter;
  std::string conn = mc.socket;
  if (smfi_setconn(conn.data()) != MI_SUCCESS) return Status::Error("cannot use socket " + conn);
  smfi_settimeout(static_cast<int>(mc.timeout));
  // Postfix sends each header whole, up to its header_size_limit (100 KiB by default, more when
  // raised): libmilter's default 64 KiB packet limit would drop such a connection, and the
  // message would get milter_default_action. Accept packets up to 1 MiB.
  smfi_setmaxdatasize(kMaxMilterPacket);
  smfiDesc desc = MakeFilter(engine, hits);
  if (smfi_register(desc) != MI_SUCCESS) return Status::Error("smfi_register failed");
  Result<MilterSocket> sock = ParseMilterSocket(conn);  // checked with the config; util/net.h
  if (!sock.ok()) return Status::Error("[milter] socket: " + sock.error());
  const bool unix_socket = sock.value().kind == MilterSocket::Kind::kUnix;
  const std::string path = sock.value().path;
  // libmilter removes an existing unix socket file before binding; if a daemon still answers on
  // it, this is a second instance and must not steal the socket.
  if (unix_socket && UnixSocketAnswers(path))
    return Status::Error("socket " + path + " is in use by a running gfi-milter");
  mode_t old_umask = ::umask(0117);
  int rc = smfi_opensocket(true);
  ::umask(old_umask);
  if (rc != MI_SUCCESS)
    return Status::Error("cannot open socket " + conn +
                         " (in use, or its directory is missing or not writable)");
  // The daemon's user owns the socket; its group is [milter] socket_group. Not root, the daemon
  // can still give it a group it belongs to (systemd: SupplementaryGroups=).
  if (unix_socket) {
    const bool root = ::geteuid() == 0;
    if ((root || id.socket_gid != ::getegid()) &&
        ::chown(path.c_str(), root ? id.uid : static_cast<uid_t>(-1), id.socket_gid) != 0)
      return Status::Error(path + ": cannot give the socket to group " +
                           std::to_string(id.socket_gid) + " ([milter] socket_group): " +
                           std::strerror(errno) +
                           (root ? "" : " (the daemon's user must be a member of that group)"));
  }
  if (!unix_socket && SetNoDelayOnTcpListeners() == 0)
    syslog(LOG_WARNING, "socket %s: could not set TCP_NODELAY; replies may wait for delayed ACKs",
           conn.c_str());
  return Status::Ok();
}

int Run(const std::string& config_path, bool foreground) {
  openlog("gfi-milter", LOG_PID | LOG_NDELAY | (foreground ? LOG_PERROR : 0), LOG_MAIL);
  // The configuration is read once before detaching so that its errors reach the terminal
  // directly; everything that holds a file, a socket or a thread is opened after the fork.
  Result<Config> config = LoadConfig(config_path);
  if (!config.ok()) {
    Fatal(config.error());
    return kExitConfig;
  }
  StartupChannel channel;
  if (!foreground) {
    if (Status s = channel.Detach(); !s.ok()) {
      Fatal(s.message());
      return kExitSoftware;
    }
  }
  auto fail = [&](int code, const std::string& msg) {
    Fatal(msg);
    channel.Failed(code);
    return code;
  };
  const MilterConfig& boot = config.value().milter;
  Result<Identity> id = LookupUser(boot.user);
  if (!id.ok()) return fail(kExitConfig, id.error());
  if (Status s = LookupSocketGroup(boot.socket_group, &id.value()); !s.ok())
    return fail(kExitConfig, s.message());
  // A socket directory made here is the socket group's (0751: the MTA's user reaches the socket
  // without the daemon's group, the admins of that group reach the status file that may share the
  // directory); each file's own mode decides who may use it.
  if (Result<MilterSocket> sock = ParseMilterSocket(boot.socket);
      sock.ok() && sock.value().kind == MilterSocket::Kind::kUnix) {
    const std::string& p = sock.value().path;
    const size_t slash = p.rfind('/');
    if (slash != std::string::npos && slash > 0) {
      Status s = EnsureStateDir(p.substr(0, slash), id.value().uid, id.value().socket_gid,
                                boot.user, /*mode=*/0751);
      if (!s.ok()) return fail(kExitConfig, s.message());
    }
  }
  for (const std::string& dir : StateDirs(config.value())) {
    if (Status s = EnsureStateDir(dir, id.value().uid, id.value().gid, boot.user); !s.ok())
      return fail(kExitConfig, s.message());
  }
  PidFile pid_file;
  if (Status s = pid_file.Acquire(boot.pid_file, id.value().uid, id.value().gid); !s.ok())
    return fail(kExitConfig, s.message());

  Result<std::unique_ptr<Engine>> started =
      Engine::Start(config_path, /*open_store=*/true, std::make_pair(id.value().uid, id.value().gid));
  if (!started.ok()) return fail(kExitConfig, started.error());
  std::unique_ptr<Engine> engine = std::move(started).value();
  // `st` is the first engine state; it is let go before serving (below), or the first snapshot
  // would stay in memory beside every reloaded one.
  auto st = engine->state();
  const MilterConfig mc = st->config.milter;
  for (const std::string& e : st->feed_errors) syslog(LOG_WARNING, "feed left out: %s", e.c_str());
  for (const std::string& f : st->skipped_files)
    syslog(LOG_WARNING, "not a feed (unknown extension), skipped: %s", f.c_str());
  syslog(LOG_INFO, "loaded %zu indicators from %zu feed(s) in %.2f s (%zu invalid feed(s) left out)",
         st->snapshot->stats().rules, st->snapshot->stats().feeds.size(), st->load_seconds,
         st->invalid_feeds.size());
  if (::geteuid() == 0) {  // the last good feeds were saved by root at load (the store chowns its own)
    const std::string lg = LastGoodDir(st->config);
    std::vector<std::string> owned = {lg};
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(lg, ec)) owned.push_back(e.path());
    // The TAXII puller writes the feeds directory, its files and its .state as the daemon user
    // (a root `gfictl feeds sync` before the first start may have made them).
    if (!st->config.feeds.taxii.empty()) {
      const std::string fd = st->config.feeds.dir;
      for (const std::string& d : {fd, fd + "/.state"}) {
        owned.push_back(d);
        for (const auto& e : std::filesystem::directory_iterator(d, ec))
          if (e.is_regular_file(ec)) owned.push_back(e.path());
      }
    }
    for (const std::string& p : owned)
      if (::chown(p.c_str(), id.value().uid, id.value().gid) != 0 && errno != ENOENT)
        return fail(kExitConfig, p + ": chown: " + std::strerror(errno));
  }
  // SIGUSR1 is taken by the reload thread only; every thread (libmilter's too) blocks it. The
  // stop signals are blocked too before any thread of ours starts (the metrics' HTTP threads, the
  // hit writer, the reloader): libmilter's signal thread sigwaits for them, and a thread that
  // left them unblocked would let the default action kill the process.
  sigset_t usr1, all;
  sigemptyset(&usr1);
  sigaddset(&usr1, SIGUSR1);
  all = usr1;
  sigaddset(&all, SIGTERM);
  sigaddset(&all, SIGINT);
  sigaddset(&all, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &all, nullptr);
  ::signal(SIGPIPE, SIG_IGN);
  // Hit records: the store is created (and handed to the daemon's user) now, the writer thread
  // starts once we serve. [hits] and [metrics] are read at start only.
  std::unique_ptr<HitWriter> hits;
  if (st->config.hits.enabled) {
    HitStoreOpenOptions ho;
    ho.create = true;
    ho.owner = std::make_pair(id.value().uid, id.value().gid);
    auto store = OpenHitStore(st->config, ho);
    if (!store.ok()) return fail(kExitConfig, "[hits]: " + store.error());
    HitWriterOptions wo;
    wo.queue_size = st->config.hits.queue_size;
    wo.batch_size = st->config.hits.batch_size;
    wo.flush_ms = st->config.hits.flush_ms;
    wo.retention_days = st->config.hits.retention_days;
    wo.host = StoreHostName(st->config);
    hits = std::make_unique<HitWriter>(std::shared_ptr<HitStore>(std::move(store).value()), wo);
    engine->SetStatusSection(kHitsStatusSection, hits->StatusJson());
  }
  if (Status s = OpenSocket(engine.get(), id.value(), hits.get()); !s.ok())
    return fail(kExitConfig, s.message());
  if (Status s = DropPrivileges(mc.user, id.value()); !s.ok()) return fail(kExitSoftware, s.message());
  if (Status s = CheckWritable(*st, id.value()); !s.ok()) return fail(kExitConfig, s.message());
  if (Status s = pid_file.WritePid(); !s.ok()) return fail(kExitConfig, s.message());
  MilterConfig running = mc;
  running.pid_file = boot.pid_file;  // the one acquired at start
  engine->SetRunning(running);
  engine->SetRunningReporting(st->config.hits, st->config.metrics);
  // Metrics are not worth refusing mail for: a listener that cannot be opened is logged, shown
  // in the status file and left off. Started once every check passed (a failed start has no
  // HTTP threads to wind down), as the daemon's user.
  std::unique_ptr<Metrics> metrics = std::make_unique<NullMetrics>();
  {
    const std::string& listen = st->config.metrics.listen;
    std::string error;
    if (!listen.empty()) {
      auto m = StartPrometheusMetrics(listen);
      if (m.ok()) {
        metrics = std::move(m).value();
        syslog(LOG_INFO, "metrics at http://%s/metrics", listen.c_str());
      } else {
        syslog(LOG_ERR, "metrics off: %s", m.error().c_str());
        error = m.error();
      }
    }
    engine->SetStatusSection(kMetricsStatusSection, MetricsStatusJson({listen, error}));
  }
  SetFilterMetrics(metrics.get());

  engine->WriteStatus(mc.status_file);
  syslog(LOG_INFO, "listening on %s as user %s", mc.socket.c_str(), mc.user.c_str());
  channel.Ready();
  if (hits) hits->Start();
  UpdateGauges(*st, hits.get(), metrics.get(), /*quarantine=*/true);  // before the first scrape
  st.reset();
  std::thread reloader(ReloadLoop, engine.get(), usr1, hits.get(), metrics.get());
  FeedPuller puller(engine.get());
  puller.Start();
  int rc = smfi_main();
  g_stop = true;
  puller.Stop();
  reloader.join();
  if (hits) {  // what is queued is written before we go
    hits->Stop();
    engine->SetStatusSection(kHitsStatusSection, hits->StatusJson());
  }
  engine->WriteStatus(engine->state()->config.milter.status_file);
  pid_file.Remove();
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
    return check ? gfi::Check(config) : gfi::Run(config, foreground);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gfi-milter: fatal: %s\n", e.what());
    return 70;
  }
}
