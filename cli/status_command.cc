// gfictl status: the running daemon's status file, read through its one schema (engine/status.h)
// and the TAXII puller's section (feeds/sync.h), as a summary or as JSON.
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>

#include "commands.h"
#include "config/config.h"
#include "engine/status.h"
#include "engine_setup.h"
#include "feeds/sync.h"
#include "hits/hit_writer.h"
#include "metrics/metrics_status.h"
#include "quarantine_common.h"
#include "util/strings.h"

namespace gfi {
namespace {

struct StatusOptions {
  std::string config_path;
  bool json = false;
};

std::string JoinPrintable(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ", ") + PrintableUtf8(s);
  return out;
}

void PrintStatus(const DaemonStatus& s, bool alive) {
  std::printf("gfi-milter %s (pid %lld), started %s, socket %s\n",
              alive ? "running" : "NOT running", static_cast<long long>(s.pid),
              TimeText(s.started).c_str(), PrintableUtf8(s.socket).c_str());
  std::printf("indicators: %llu, loaded %s in %.2f s, %.1f MB\n",
              static_cast<unsigned long long>(s.indicators), TimeText(s.loaded_at).c_str(),
              s.load_seconds, static_cast<double>(s.memory_bytes) / 1048576.0);
  if (!s.types.empty()) {
    std::string line;
    for (const auto& [kind, n] : s.types)
      line += (line.empty() ? "" : ", ") + PrintableUtf8(kind) + " " + std::to_string(n);
    std::printf("  by type: %s\n", line.c_str());
  }
  for (const DaemonStatus::Feed& f : s.feeds)
    std::printf("  feed %s: %llu\n", PrintableUtf8(f.path).c_str(),
                static_cast<unsigned long long>(f.indicators));
  for (const std::string& f : s.invalid_feeds)
    std::printf("  feed %s: INVALID, left out\n", PrintableUtf8(f).c_str());
  for (const DaemonStatus::Stale& f : s.stale_feeds)
    std::printf("  feed %s: STALE, the file does not load; its last good version (of %s) is in "
                "service\n",
                PrintableUtf8(f.path).c_str(), TimeText(f.version).c_str());
  for (const DaemonStatus::Held& f : s.held_feeds)
    std::printf("  feed %s: HELD BACK, the file has %llu indicators, down from %llu; its last good "
                "version (of %s) is in service (gfictl indicators accept %s, then gfictl reload, "
                "takes the file)\n",
                PrintableUtf8(f.path).c_str(), static_cast<unsigned long long>(f.indicators),
                static_cast<unsigned long long>(f.kept), TimeText(f.version).c_str(),
                PrintableUtf8(f.path).c_str());
  // TAXII sources the daemon pulls (gfictl feeds status has the details).
  if (auto it = s.sections.find(kFeedsStatusSection); it != s.sections.end()) {
    Result<std::vector<SourceState>> sources = ParseFeedsStatus(it->second);
    if (!sources.ok()) {
      std::printf("  taxii: the status file's \"%s\" section is unreadable: %s\n",
                  kFeedsStatusSection, sources.error().c_str());
    } else {
      for (const SourceState& t : sources.value())
        std::printf("  taxii %s: last success %s, %llu objects%s%s\n",
                    PrintableUtf8(t.name).c_str(),
                    t.last_success == 0 ? "never" : TimeText(t.last_success).c_str(),
                    static_cast<unsigned long long>(t.objects),
                    t.last_error.empty() ? "" : "; last error: ",
                    PrintableUtf8(t.last_error).c_str());
    }
  }
  if (!s.restart_needed.empty())
    std::printf("restart needed: %s changed in the configuration; the running values stay until "
                "gfi-milter is restarted\n",
                JoinPrintable(s.restart_needed).c_str());
  std::printf("last reload: %s: %s (%llu ok, %llu refused)\n", TimeText(s.last_reload).c_str(),
              PrintableUtf8(s.last_reload_result).c_str(),
              static_cast<unsigned long long>(s.reloads_ok),
              static_cast<unsigned long long>(s.reloads_failed));
  if (s.retired_states > 0)
    std::printf("replaced indicator sets still in memory: %llu (held by messages being scanned)\n",
                static_cast<unsigned long long>(s.retired_states));
  std::string by_action;
  for (const auto& [action, name] : kActionNames.entries)
    by_action += (by_action.empty() ? "" : ", ") + std::string(name) + " " +
                 std::to_string(s.messages[static_cast<size_t>(action)]);
  std::printf("messages: %llu (%s); scan errors %llu; recipients split %llu\n",
              static_cast<unsigned long long>(s.MessagesTotal()), by_action.c_str(),
              static_cast<unsigned long long>(s.scan_errors),
              static_cast<unsigned long long>(s.split_recipients));
  if (auto it = s.sections.find(kHitsStatusSection); it != s.sections.end()) {
    Result<HitWriterStatus> h = ParseHitWriterStatus(it->second);
    if (h.ok()) {
      const HitWriter::Stats& st = h.value().stats;
      std::printf("hit records: %llu written, %llu queued, %llu dropped%s%s\n",
                  static_cast<unsigned long long>(st.written),
                  static_cast<unsigned long long>(st.queued),
                  static_cast<unsigned long long>(st.dropped),
                  st.last_error.empty() ? "" : "; last error: ",
                  PrintableUtf8(st.last_error).c_str());
    } else {
      std::printf("hit records: the status file's \"%s\" section is unreadable: %s\n",
                  kHitsStatusSection, h.error().c_str());
    }
  }
  if (auto it = s.sections.find(kMetricsStatusSection); it != s.sections.end()) {
    Result<MetricsStatus> m = ParseMetricsStatus(it->second);
    if (m.ok() && !m.value().listen.empty())
      std::printf("metrics: %s%s%s\n", PrintableUtf8(m.value().listen).c_str(),
                  m.value().error.empty() ? "" : ": OFF, ", PrintableUtf8(m.value().error).c_str());
  }
  std::printf("(status written %s)\n", TimeText(s.written).c_str());
}

int RunStatus(const StatusOptions& o) {
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, "gfictl status", &config)) return 2;
  const std::string& path = config.milter.status_file;
  std::string text;
  if (Status s = ReadStatusFile(path, &text); !s.ok()) {
    bool missing = errno == ENOENT;  // not running; anything else (EACCES) is an error
    std::fprintf(stderr, "gfictl status: %s\n", s.message().c_str());
    return missing ? 1 : 2;
  }
  Result<DaemonStatus> parsed = ParseDaemonStatus(text);
  if (!parsed.ok()) {
    std::fprintf(stderr, "gfictl status: status file %s is unreadable: %s\n", path.c_str(),
                 parsed.error().c_str());
    return 2;
  }
  const DaemonStatus& status = parsed.value();
  // The daemon is running when the pid it wrote is alive. A pid file we may not look at (EACCES)
  // does not say "not running": kill(0) decides.
  const bool alive = status.pid > 0 &&
                     (::access(config.milter.pid_file.c_str(), F_OK) == 0 || errno == EACCES) &&
                     (::kill(static_cast<pid_t>(status.pid), 0) == 0 || errno == EPERM);
  if (o.json) {
    // The file's object as the daemon wrote it, plus "running".
    DaemonStatus out = status;
    out.sections["running"] = alive ? "true" : "false";
    std::cout << DaemonStatusJson(out) << "\n";
  } else {
    PrintStatus(status, alive);
  }
  if (!alive) return 1;
  // Running but degraded (a feed left out, or served at its last good version: stale or held
  // back): exit 3.
  const bool degraded = status.degraded || !status.held_feeds.empty();
  if (degraded && !o.json)
    std::fprintf(stderr, "gfictl status: degraded: a feed is left out, stale or held back (see "
                         "above)\n");
  return degraded ? 3 : 0;
}

}  // namespace

void RegisterStatus(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<StatusOptions>();
  CLI::App* st = app.add_subcommand(
      "status", "Show the running daemon's feeds, counts, reloads and message counters");
  st->add_option("--config", o->config_path, "Configuration file");
  st->add_flag("--json", o->json, "As one JSON object");
  st->callback([o, exit_code] { *exit_code = RunStatus(*o); });
}

}  // namespace gfi
