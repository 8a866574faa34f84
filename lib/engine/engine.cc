// Engine holder; see engine.h.
#include "engine/engine.h"

#include <fcntl.h>
#include <malloc.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "engine/status.h"
#include "indicators/feed.h"
#include "quarantine/reconcile.h"
#include "util/json_writer.h"

namespace gfi {
namespace {

int64_t Now() { return static_cast<int64_t>(std::time(nullptr)); }

// The feeds and the blinding keys: a key file replaced in place reloads like a changed feed.
std::vector<std::string> WatchedPaths(const Config& c) {
  std::vector<std::string> paths = IndicatorPaths(c);
  paths.insert(paths.end(), c.indicators.blind_keys.begin(), c.indicators.blind_keys.end());
  return paths;
}

void AppendStat(const std::string& path, std::string* sig) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *sig += path + ":missing;";
    return;
  }
  *sig += path + ":" + std::to_string(st.st_size) + ":" + std::to_string(st.st_ino) + ":" +
          std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec) + ";";
}

}  // namespace

std::string FilesSignature(const std::string& config_path, const std::vector<std::string>& paths) {
  std::string sig;
  AppendStat(config_path, &sig);
  auto files = ExpandFeedPaths(paths);
  if (!files.ok()) return sig + "error:" + files.error();
  for (const std::string& f : files.value()) {
    AppendStat(f, &sig);
    AppendStat(SignaturePathFor(f), &sig);  // a feed signed again (or its signature removed)
  }
  return sig;
}

FeedSignaturePolicy SignaturePolicyFromConfig(const Config& c) {
  FeedSignaturePolicy p;
  p.trusted_keys = c.indicators.trusted_public_keys;
  p.require_signature = c.indicators.require_signature;
  // Feeds pulled over TAXII are authenticated by TLS when pulled: exempt from require_signature.
  if (!c.feeds.dir.empty()) p.exempt_dirs.push_back(c.feeds.dir);
  return p;
}

Result<BlindKeyring> BlindKeysFromConfig(const Config& c) {
  auto ring = LoadBlindKeyring(c.indicators.blind_keys);
  if (!ring.ok()) return Status::Error("[indicators] blind_keys: " + ring.error());
  return ring;
}

Result<std::unique_ptr<Engine>> Engine::Start(const std::string& config_path, bool open_store,
                                              std::optional<std::pair<uid_t, gid_t>> owner) {
  std::unique_ptr<Engine> e(new Engine(config_path, open_store, owner));
  e->started_ = Now();
  auto state = e->Build();
  if (!state.ok()) return state.status();
  if (auto* q = dynamic_cast<SqliteQuarantineStore*>(state.value()->quarantine.get())) {
    // Message files a crash left without an index row are indexed again (nothing is lost). (A
    // database backend writes bytes and row in one transaction: nothing to reconcile.)
    ReconcileOptions ro;
    ro.repair_files = true;
    ro.min_age_seconds = 0;  // no writer yet: even a file written just before a crash counts
    ro.limits = state.value()->config.limits;
    auto rep = Reconcile(*q, ro);
    if (!rep.ok()) {
      syslog(LOG_WARNING, "quarantine check: %s", rep.error().c_str());
    } else {
      if (rep.value().files_recovered > 0)
        syslog(LOG_WARNING,
               "quarantine check: %zu orphan message file(s) indexed again, status held",
               rep.value().files_recovered);
      for (const std::string& err : rep.value().errors)
        syslog(LOG_ERR, "quarantine check: %s", err.c_str());
    }
  }
  e->state_.store(std::move(state).value());
  ::malloc_trim(0);  // hand the feed parsers' peak back to the system
  e->last_reload_ = e->started_;
  e->last_reload_result_ = "started";
  return e;
}

Result<std::shared_ptr<EngineState>> BuildEngineState(Config config, const StateOptions& options) {
  auto start = std::chrono::steady_clock::now();
  auto st = std::make_shared<EngineState>();
  st->config = std::move(config);
  st->policy = PolicyFromConfig(st->config);
  std::optional<LastGoodStore> last_good;
  if (options.use_last_good || options.keep_last_good) {
    // Each feed's last good version: kept by the serving daemon, only read by --check.
    const std::string lg_dir = LastGoodDir(st->config);
    struct stat lg_st;
    if (options.keep_last_good && ::stat(lg_dir.c_str(), &lg_st) != 0 &&
        ::mkdir(lg_dir.c_str(), 0750) != 0)
      return Status::Error(lg_dir + ": cannot create the last good feed directory: " +
                           std::strerror(errno));
    if (::stat(lg_dir.c_str(), &lg_st) == 0) last_good.emplace(lg_dir, options.keep_last_good);
  }
  const std::vector<std::string>& paths =
      options.indicator_paths.empty() ? IndicatorPaths(st->config) : options.indicator_paths;
  const FeedSignaturePolicy signatures = SignaturePolicyFromConfig(st->config);
  const std::map<std::string, std::string> feed_names = FeedNames(st->config);
  Result<BlindKeyring> blind_keys = BlindKeysFromConfig(st->config);
  if (!blind_keys.ok()) return blind_keys.status();
  Result<LoadedIndicators> ind =
      LoadIndicators(paths, SnapshotOptions{}, Now(), last_good ? &*last_good : nullptr,
                     &st->config.indicators.markings, &signatures, &feed_names,
                     &blind_keys.value(), st->config.indicators.max_shrink);
  if (!ind.ok()) return ind.status();
  st->snapshot = ind.value().snapshot;
  st->invalid_feeds = ind.value().invalid_feeds;
  st->stale_feeds = ind.value().stale_feeds;
  st->held_feeds = ind.value().held_feeds;
  st->skipped_files = ind.value().skipped_files;
  st->feed_errors = ind.value().feed_errors;
  const bool spf = options.spf == StateOptions::Spf::kOn ||
                   (options.spf == StateOptions::Spf::kAsConfigured && st->config.spf.enabled);
  if (spf) {
    SpfOptions o;
    o.resolvers = st->config.spf.resolvers;
    o.timeout_seconds = static_cast<int>(st->config.spf.timeout);
    o.receiving_host = st->config.milter.authserv_id;
    auto checker = SpfChecker::Create(o);
    if (!checker.ok()) return Status::Error("spf: " + checker.error());
    st->spf = std::shared_ptr<const SpfChecker>(std::move(checker).value());
  }
  if (options.open_store) {
    StoreOpenOptions so;
    so.create = true;
    so.owner = options.owner;
    auto q = OpenQuarantineStore(st->config, so);
    if (!q.ok()) return q.status();
    st->quarantine = std::shared_ptr<QuarantineStore>(std::move(q).value());
  }
  st->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  st->loaded_at = Now();
  return st;
}

Result<std::shared_ptr<const EngineState>> Engine::Build() const {
  auto start = std::chrono::steady_clock::now();
  // The signature is taken first: a file changed during the load is loaded again next time.
  Result<Config> config = LoadConfig(config_path_);
  if (!config.ok()) return config.status();
  std::string signature = FilesSignature(config_path_, WatchedPaths(config.value()));
  StateOptions o;
  o.open_store = open_store_;
  o.use_last_good = true;
  o.keep_last_good = open_store_;
  o.owner = owner_;
  auto st = BuildEngineState(std::move(config).value(), o);
  if (!st.ok()) return st.status();
  st.value()->signature = std::move(signature);
  st.value()->load_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return std::shared_ptr<const EngineState>(std::move(st).value());
}

bool Engine::FilesChanged() const {
  auto cur = state();
  std::string now = FilesSignature(config_path_, WatchedPaths(cur->config));
  std::lock_guard<std::mutex> lock(reload_mu_);
  // Against the files of the last attempt, failed or not: a refused reload is not retried every
  // interval (a large feed costs seconds of CPU each time) until a file changes again.
  return now != (attempted_signature_.empty() ? cur->signature : attempted_signature_);
}

Status Engine::Reload() {
  std::lock_guard<std::mutex> lock(reload_mu_);
  auto old = state();
  attempted_signature_ = FilesSignature(config_path_, WatchedPaths(old->config));
  auto next = Build();
  Status result;
  if (!next.ok()) {
    result = next.status();
  } else {
    // A feed in service that no longer loads refuses the reload.
    std::string broken;
    for (const FeedSummary& f : old->snapshot->stats().feeds) {
      const auto& inv = next.value()->invalid_feeds;
      if (std::find(inv.begin(), inv.end(), f.path) != inv.end())
        broken += (broken.empty() ? "" : ", ") + f.path;
    }
    if (!broken.empty()) {
      std::string errors;
      for (const std::string& e : next.value()->feed_errors) errors += "; " + e;
      result = Status::Error("feed(s) in service failed to load, previous indicators kept: " +
                             broken + errors);
    }
  }
  last_reload_ = Now();
  if (!result.ok()) {
    ++reloads_failed_;
    last_reload_result_ = "failed: " + result.message();
    return result;
  }
  attempted_signature_ = next.value()->signature;
  state_.store(std::move(next).value());
  std::erase_if(retired_, [](const auto& w) { return w.expired(); });
  retired_.push_back(old);
  old.reset();
  ::malloc_trim(0);  // the parsers' peak (and the old snapshot, once its last message is done)
  ++reloads_ok_;
  last_reload_result_ = "ok";
  std::vector<std::string> pending = RestartNeededLocked();
  if (!pending.empty()) {
    std::string keys;
    for (const std::string& k : pending) keys += (keys.empty() ? "" : ", ") + k;
    last_reload_result_ = "ok; restart needed for " + keys;
  }
  return Status::Ok();
}

void Engine::SetRunning(const MilterConfig& running) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  running_ = running;
}

void Engine::SetRunningReporting(HitsConfig hits, MetricsConfig metrics) {
  std::lock_guard<std::mutex> lock(reload_mu_);
  running_hits_ = std::move(hits);
  running_metrics_ = std::move(metrics);
}

std::vector<std::string> Engine::RestartNeeded() const {
  std::lock_guard<std::mutex> lock(reload_mu_);
  return RestartNeededLocked();
}

std::vector<std::string> Engine::RestartNeededLocked() const {
  std::vector<std::string> keys;
  if (!running_) return keys;  // not serving (gfi-milter --check)
  const MilterConfig& mc = state()->config.milter;
  if (mc.socket != running_->socket) keys.push_back("[milter] socket");
  if (mc.user != running_->user) keys.push_back("[milter] user");
  if (mc.socket_group != running_->socket_group) keys.push_back("[milter] socket_group");
  if (mc.pid_file != running_->pid_file) keys.push_back("[milter] pid_file");
  if (mc.timeout != running_->timeout) keys.push_back("[milter] timeout");
  if (running_hits_ && !(state()->config.hits == *running_hits_)) keys.push_back("[hits]");
  if (running_metrics_ && !(state()->config.metrics == *running_metrics_))
    keys.push_back("[metrics]");
  return keys;
}

void Engine::CountMessage(Action enforced) {
  messages_[static_cast<int>(enforced)].fetch_add(1, std::memory_order_relaxed);
}

std::string Engine::StatusJson() const {
  auto st = state();
  const SnapshotStats& stats = st->snapshot->stats();
  DaemonStatus s;
  s.pid = static_cast<int64_t>(::getpid());
  s.started = started_;
  s.written = Now();
  s.config = config_path_;
  {
    std::lock_guard<std::mutex> lock(reload_mu_);
    s.socket = running_ ? running_->socket : st->config.milter.socket;
    s.user = running_ ? running_->user : st->config.milter.user;
    s.restart_needed = RestartNeededLocked();
    s.last_reload = last_reload_;
    s.last_reload_result = last_reload_result_;
    s.reloads_ok = reloads_ok_;
    s.reloads_failed = reloads_failed_;
    std::erase_if(retired_, [](const auto& w) { return w.expired(); });
    s.retired_states = retired_.size();
  }
  s.loaded_at = st->loaded_at;
  s.load_seconds = st->load_seconds;
  s.indicators = stats.rules;
  s.memory_bytes = stats.memory_bytes;
  for (const auto& [k, v] : stats.terms_by_kind) s.types.emplace_back(k, v);
  for (const FeedSummary& f : stats.feeds) s.feeds.push_back({f.path, f.rules, f.load_seconds});
  // (The errors themselves go to the log only: a feed's error can quote an indicator's value.)
  s.invalid_feeds = st->invalid_feeds;
  for (const StaleFeed& f : st->stale_feeds) s.stale_feeds.push_back({f.path, f.version});
  for (const HeldFeed& f : st->held_feeds)
    s.held_feeds.push_back({f.path, f.indicators, f.kept, f.version});
  s.degraded = !st->invalid_feeds.empty() || !st->stale_feeds.empty() || !st->held_feeds.empty();
  for (size_t a = 0; a < s.messages.size(); ++a)
    s.messages[a] = messages_[a].load(std::memory_order_relaxed);
  s.scan_errors = errors_.load(std::memory_order_relaxed);
  s.split_recipients = split_rcpts_.load(std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(sections_mu_);
    for (const auto& [key, json] : sections_) s.sections.emplace(key, json);
  }
  return DaemonStatusJson(s);
}

void Engine::SetStatusSection(const std::string& key, std::string json) {
  std::lock_guard<std::mutex> lock(sections_mu_);
  sections_[key] = std::move(json);
}

Status Engine::WriteStatus(const std::string& path) const {
  std::string text = StatusJson() + "\n";
  std::string tmp = path + ".tmp";
  // 0640: the daemon and its group (the admins), not the MTA (gfi-milter(8), PRIVILEGES).
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
  if (fd < 0) return Status::Error(tmp + ": cannot create status file");
  (void)::fchmod(fd, 0640);  // a file left by an older version keeps its mode otherwise
  bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Error(path + ": cannot write status file");
  }
  return Status::Ok();
}

}  // namespace gfi
