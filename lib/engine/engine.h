// The engine holder: the configuration, the compiled indicators and the policy that messages are
// scanned with (ScanMessage, scan.h), swapped atomically on reload, plus the counters `gfictl
// status` shows. The daemon serves from it; it never sees libmilter.
//
// A message pins the EngineState current when it starts (MAIL FROM) and finishes on it, whatever
// reloads happen meanwhile. Reload builds a complete new state off the hot path; it is refused — the
// old state stays in service — when the configuration does not load, a configured path is missing,
// or a feed that is in service now fails to load (a bad feed never replaces a good one). Feeds that
// were already invalid when the current state was built do not block a reload.
#ifndef GFI_ENGINE_ENGINE_H_
#define GFI_ENGINE_ENGINE_H_

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "config/config.h"
#include "engine/loader.h"
#include "policy/policy.h"
#include "quarantine/store.h"
#include "spf/spf.h"
#include "util/status.h"

namespace gfi {

struct EngineState {
  Config config;
  PolicySettings policy;
  std::shared_ptr<const IndicatorSnapshot> snapshot;
  std::shared_ptr<const SpfChecker> spf;  // null when [spf] enabled = false
  std::shared_ptr<QuarantineStore> quarantine;  // the embedded store (both modes record there)
  std::vector<std::string> invalid_feeds;  // left out at this load
  std::vector<StaleFeed> stale_feeds;      // in service at their last good version
  std::vector<HeldFeed> held_feeds;        // shrank too much: their last good version serves
  std::vector<std::string> skipped_files;  // unknown extensions in feed directories
  std::vector<std::string> feed_errors;
  double load_seconds = 0;  // reading + compiling
  int64_t loaded_at = 0;    // unix time
  std::string signature;    // of the config and feed files (size, mtime, inode) at load
};

// How BuildEngineState builds: what the daemon needs (store, last good feeds) and what `gfictl
// scan` changes (other feed paths, SPF on demand).
struct StateOptions {
  bool open_store = false;  // open (create) the quarantine store
  // Started as root: the store's files are handed to the daemon's user and group (uid, gid).
  std::optional<std::pair<uid_t, gid_t>> owner;
  // Each feed's last good version (LastGoodDir): kept and used when keep_last_good, only read
  // (gfi-milter --check) when use_last_good alone, ignored otherwise.
  bool use_last_good = false;
  bool keep_last_good = false;
  std::vector<std::string> indicator_paths;  // instead of [indicators] paths when not empty
  // The SPF checker: as [spf] enabled says (the daemon), always (gfictl scan --spf, even with
  // enabled = false), or never (gfictl scan without --spf: a file scanned by hand asks no DNS).
  enum class Spf { kAsConfigured, kOn, kOff };
  Spf spf = Spf::kAsConfigured;
};

// The one build of a state from a loaded configuration (the daemon's start and reload, gfictl
// scan): policy, indicators, SPF checker, store. Invalid feeds are left out and listed; an SPF or
// store error, or a missing path, is an error. `signature` and `loaded_at` are the caller's.
Result<std::shared_ptr<EngineState>> BuildEngineState(Config config, const StateOptions& options);

class Engine {
 public:
  // The first load: invalid feeds are left out (and reported); a configuration error or a missing
  // path is fatal.
  // open_store = false (gfi-milter --check) loads everything but leaves the quarantine alone.
  static Result<std::unique_ptr<Engine>> Start(
      const std::string& config_path, bool open_store = true,
      std::optional<std::pair<uid_t, gid_t>> owner = std::nullopt);

  std::shared_ptr<const EngineState> state() const { return state_.load(); }

  // Builds and swaps in a new state. Returns the reason when refused; the old state stays.
  Status Reload();
  // True when the config or a feed file changed since the current state was built.
  bool FilesChanged() const;

  // What the running process uses and a reload cannot change: the socket it listens on, the user
  // it runs as, its pid file and the libmilter timeout. Status shows these (not the config file's
  // current values); a reload whose configuration changes one says a restart is needed.
  void SetRunning(const MilterConfig& running);
  // [hits] and [metrics] are read at start too (the writer thread, the listener).
  void SetRunningReporting(HitsConfig hits, MetricsConfig metrics);
  // The keys whose new value waits for a restart ("[milter] socket", ...); empty when none.
  std::vector<std::string> RestartNeeded() const;

  // Counters.
  void CountMessage(Action enforced);
  void CountError() { errors_.fetch_add(1, std::memory_order_relaxed); }
  void CountSplit() { split_rcpts_.fetch_add(1, std::memory_order_relaxed); }

  // A section of the status file owned by another part of the daemon (the TAXII puller's "taxii"):
  // `json` is one JSON value, written as is under `key`. Thread-safe.
  void SetStatusSection(const std::string& key, std::string json);

  // Status as one JSON object (what the status file holds).
  std::string StatusJson() const;
  // Writes StatusJson() to `path` atomically (temp file + rename).
  Status WriteStatus(const std::string& path) const;

 private:
  Engine(std::string config_path, bool open_store, std::optional<std::pair<uid_t, gid_t>> owner)
      : config_path_(std::move(config_path)), open_store_(open_store), owner_(owner) {}
  Result<std::shared_ptr<const EngineState>> Build() const;
  std::vector<std::string> RestartNeededLocked() const;  // reload_mu_ held

  std::string config_path_;
  bool open_store_ = true;
  std::optional<std::pair<uid_t, gid_t>> owner_;
  std::atomic<std::shared_ptr<const EngineState>> state_;
  int64_t started_ = 0;
  std::atomic<uint64_t> messages_[kActionNames.size()] = {};  // by Action
  std::atomic<uint64_t> errors_{0}, split_rcpts_{0};
  mutable std::mutex reload_mu_;  // one reload at a time; guards the fields below
  std::string attempted_signature_;  // files of the last reload attempt ("" = none yet)
  uint64_t reloads_ok_ = 0, reloads_failed_ = 0;
  // States replaced by reloads, watched (not held) until their last message lets go.
  mutable std::vector<std::weak_ptr<const EngineState>> retired_;
  int64_t last_reload_ = 0;
  std::string last_reload_result_ = "none yet";
  std::optional<MilterConfig> running_;  // what serves (SetRunning); restart-only keys
  std::optional<HitsConfig> running_hits_;
  std::optional<MetricsConfig> running_metrics_;
  mutable std::mutex sections_mu_;
  std::map<std::string, std::string> sections_;  // key -> JSON value (SetStatusSection)
};

// Signature of the files a state was built from: changes when one is replaced or edited.
std::string FilesSignature(const std::string& config_path, const std::vector<std::string>& paths);

// [indicators] trusted_keys and require_signature as the loader's policy (signature.h), with the
// directories exempt from require_signature.
FeedSignaturePolicy SignaturePolicyFromConfig(const Config& config);
// The keys of [indicators] blind_keys; an error names the key file that cannot be used (missing,
// readable by others, not a key).
Result<BlindKeyring> BlindKeysFromConfig(const Config& config);

}  // namespace gfi

#endif  // GFI_ENGINE_ENGINE_H_
