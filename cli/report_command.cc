// `gfictl report [--config F] [--since T] [--until T] [--tenant NAME] [--format F] [--output FILE]
// [--round] [--min-count N] [--top N]`: the hit records of a period as text, JSON, CSV, a STIX
// 2.1 bundle or an HTML page (report/report.h builds and renders; here are the options, the
// store and the file). `gfictl report --purge` removes records older than [hits] retention_days.
// Exit 0 on success, 2 on any error (named: option and value, store and path, output file).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <optional>
#include <string>

#include "commands.h"
#include "engine_setup.h"
#include "hits/hit_store.h"
#include "report/report.h"

namespace gfi {
namespace {

constexpr const char* kCmd = "gfictl report";

struct ReportCommandOptions {
  std::string config_path;
  std::string since, until, tenant, format = "text", output;
  bool round = false, purge = false;
  uint64_t min_count = 0;
  size_t top = 20;
};

int Fail(const std::string& msg) {
  std::fprintf(stderr, "%s: %s\n", kCmd, msg.c_str());
  return 2;
}

// Written whole or not at all: a temp file beside FILE, renamed over it.
Status WriteOutput(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::Error("cannot write " + path + ": " + std::strerror(errno));
  const char* p = text.data();
  size_t n = text.size();
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) {
      Status s = Status::Error("cannot write " + path + ": " + std::strerror(errno));
      ::close(fd);
      ::unlink(tmp.c_str());
      return s;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  if (::close(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    Status s = Status::Error("cannot write " + path + ": " + std::strerror(errno));
    ::unlink(tmp.c_str());
    return s;
  }
  return Status::Ok();
}

int RunPurge(const Config& config) {
  if (config.hits.retention_days == 0)
    return Fail("[hits] retention_days is 0 (records are kept for ever): nothing to purge");
  HitStoreOpenOptions so;
  auto store = OpenHitStore(config, so);
  if (!store.ok()) return Fail(store.error());
  const int64_t before = static_cast<int64_t>(std::time(nullptr)) -
                         static_cast<int64_t>(config.hits.retention_days) * 86400;
  auto n = store.value()->Purge(before);
  if (!n.ok()) return Fail(n.error());
  std::printf("%llu row(s) older than %s ([hits] retention_days = %llu) removed from %s\n",
              static_cast<unsigned long long>(n.value()), FormatTime(before).c_str(),
              static_cast<unsigned long long>(config.hits.retention_days),
              store.value()->Describe().c_str());
  return 0;
}

int RunReport(const ReportCommandOptions& o) {
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, kCmd, &config)) return 2;
  if (o.purge) return RunPurge(config);
  std::optional<ReportFormat> format = kReportFormatNames.Parse(o.format);
  if (!format) {
    std::string names;
    for (const std::string& n : kReportFormatNames.Names()) names += (names.empty() ? "" : ", ") + n;
    return Fail("--format '" + o.format + "' is not one of: " + names);
  }
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  ReportOptions ro;
  ro.generated = now;
  ro.until = now;
  if (!o.until.empty()) {
    auto t = ParseReportTime(o.until, now);
    if (!t.ok()) return Fail("--until: " + t.error());
    ro.until = t.value();
  }
  ro.since = ro.until - 30 * 86400;  // a month before the end, by default
  if (!o.since.empty()) {
    auto t = ParseReportTime(o.since, now);
    if (!t.ok()) return Fail("--since: " + t.error());
    ro.since = t.value();
  }
  if (ro.since >= ro.until)
    return Fail("--since " + FormatTime(ro.since) + " is not before --until " +
                FormatTime(ro.until));
  if (!o.tenant.empty()) {
    bool known = o.tenant == "default";
    std::string names = "default";
    for (const TenantConfig& t : config.tenants) {
      known = known || t.name == o.tenant;
      names += ", " + t.name;
    }
    if (!known)
      return Fail("--tenant '" + o.tenant + "' is not a tenant of " +
                  (config.source.empty() ? std::string("the configuration") : config.source) +
                  " (tenants: " + names + ")");
  }
  ro.tenant = o.tenant;
  ro.round = o.round;
  ro.min_count = o.min_count;
  ro.top = o.top;
  ro.identity_name = config.report.identity_name;

  HitStoreOpenOptions so;
  so.read_only = true;
  auto store = OpenHitStore(config, so);
  if (!store.ok()) return Fail(store.error());
  HitQuery q;
  q.since = ro.since;
  q.until = ro.until;
  q.tenant = ro.tenant;
  auto agg = store.value()->Aggregate(q);
  if (!agg.ok()) return Fail(agg.error());
  const std::string text = Render(BuildReport(std::move(agg).value(), ro), *format);
  if (o.output.empty() || o.output == "-") {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return Fail(std::string("cannot write standard output: ") + std::strerror(errno));
    return 0;
  }
  if (Status s = WriteOutput(o.output, text); !s.ok()) return Fail(s.message());
  return 0;
}

}  // namespace

void RegisterReport(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ReportCommandOptions>();
  CLI::App* r = app.add_subcommand(
      "report", "Report indicator hits of a period (no customer content): text, json, csv, stix, html");
  r->add_option("--config", o->config_path, "Configuration file");
  r->add_option("--since", o->since,
                "Start: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS]Z, @UNIX, now or an age (30d, 12h); "
                "default 30 days before --until");
  r->add_option("--until", o->until, "End (excluded), same forms; default now");
  r->add_option("--tenant", o->tenant, "Only this tenant's hits and messages");
  r->add_option("--format", o->format, "text, json, csv, stix or html")->capture_default_str();
  r->add_option("--output", o->output, "Write to FILE (whole or not at all) instead of stdout");
  r->add_flag("--round", o->round, "Report first/last seen as the period's bounds");
  r->add_option("--min-count", o->min_count, "Leave out indicators with fewer hits");
  r->add_option("--top", o->top, "Indicators in the HTML chart of top indicators")
      ->capture_default_str();
  r->add_flag("--purge", o->purge,
              "Remove records older than [hits] retention_days (what the daemon does hourly)");
  r->callback([o, exit_code] { *exit_code = RunReport(*o); });
}

}  // namespace gfi
