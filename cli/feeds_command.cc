// gfictl feeds sync|status: pulls the [[feeds.taxii]] sources now (the same SyncSource the
// daemon runs every interval, under the same per-source lock), and shows what each source's
// state file says.
#include <simdjson.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "config/config.h"
#include "engine_setup.h"
#include "feeds/sync.h"
#include "quarantine_common.h"
#include "util/strings.h"

namespace gfi {
namespace {

struct FeedsOptions {
  std::string config_path;
  std::vector<std::string> names;
  bool json = false;
};

// The sources NAMES selects (all when empty); false (printed) for a name not configured.
bool Select(const Config& config, const std::vector<std::string>& names, const char* command,
            std::vector<const TaxiiSourceConfig*>* out) {
  for (const TaxiiSourceConfig& s : config.feeds.taxii) {
    if (names.empty()) out->push_back(&s);
  }
  bool ok = true;
  for (const std::string& n : names) {
    const TaxiiSourceConfig* found = nullptr;
    for (const TaxiiSourceConfig& s : config.feeds.taxii)
      if (s.name == n) found = &s;
    if (found == nullptr) {
      std::fprintf(stderr, "%s: no [[feeds.taxii]] source named '%s'\n", command,
                   PrintableUtf8(n).c_str());
      ok = false;
    } else {
      out->push_back(found);
    }
  }
  return ok;
}

int RunSync(const FeedsOptions& o) {
  Result<Config> config = LoadConfigOrDefault(o.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "gfictl feeds sync: %s\n", config.error().c_str());
    return 2;
  }
  std::vector<const TaxiiSourceConfig*> sources;
  if (!Select(config.value(), o.names, "gfictl feeds sync", &sources)) return 2;
  if (sources.empty()) {
    std::fprintf(
        stderr, "gfictl feeds sync: no [[feeds.taxii]] source is configured in %s\n",
        config.value().source.empty() ? "the built-in defaults" : config.value().source.c_str());
    return 1;
  }
  const bool tty = ::isatty(STDERR_FILENO) == 1;
  int rc = 0;
  for (const TaxiiSourceConfig* src : sources) {
    SyncOptions so;
    auto last = std::chrono::steady_clock::time_point{};
    bool shown = false;
    if (tty) {
      so.progress = [&](const SyncProgress& p) {
        auto now = std::chrono::steady_clock::now();
        if (now - last < std::chrono::milliseconds(200)) return;
        last = now;
        shown = true;
        std::fprintf(stderr, "\r%s: page %llu, %llu objects, %.1f MB\033[K", src->name.c_str(),
                     static_cast<unsigned long long>(p.pages),
                     static_cast<unsigned long long>(p.objects_received),
                     static_cast<double>(p.bytes_received) / 1e6);
        std::fflush(stderr);
      };
    }
    SyncOutcome r = SyncSource(config.value().feeds, *src, so);
    if (shown) std::fprintf(stderr, "\r\033[K");
    if (!r.ok) {
      rc = 1;
      std::fprintf(stderr, "%s: FAILED: %s: %s\n", src->name.c_str(), src->url.c_str(),
                   r.error.c_str());
      continue;
    }
    std::printf("%s: ok: %llu objects held, %llu received in %llu page(s), %.1f s%s%s; %s %s\n",
                src->name.c_str(), static_cast<unsigned long long>(r.objects),
                static_cast<unsigned long long>(r.received),
                static_cast<unsigned long long>(r.pages), r.seconds,
                r.full_pull ? ", full pull" : "",
                r.note.empty() ? "" : (" (" + r.note + ")").c_str(),
                FeedPath(config.value().feeds.dir, src->name).c_str(),
                r.replaced ? "replaced" : "unchanged");
  }
  std::fflush(stdout);
  return rc;
}

std::string When(int64_t t) { return t == 0 ? "never" : TimeText(t); }

int RunFeedsStatus(const FeedsOptions& o) {
  Config config;
  if (!LoadReadOnlyConfig(o.config_path, "gfictl feeds status", &config)) return 2;
  std::vector<const TaxiiSourceConfig*> sources;
  if (!Select(config, o.names, "gfictl feeds status", &sources)) return 2;
  FeedsConfig shown = config.feeds;
  shown.taxii.clear();
  for (const TaxiiSourceConfig* s : sources) shown.taxii.push_back(*s);
  const int64_t now = static_cast<int64_t>(std::time(nullptr));
  const std::string text = FeedsStatusJson(shown, now);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  if (parser.parse(text).get(doc) != simdjson::SUCCESS) {
    std::fprintf(stderr, "gfictl feeds status: internal error: bad status JSON\n");
    return 2;
  }
  int rc = 0;
  simdjson::dom::array list;
  if (doc["sources"].get(list) == simdjson::SUCCESS) {
    for (simdjson::dom::element s : list) {
      std::string_view err;
      int64_t success = 0;
      if (s["last_error"].get(err) != simdjson::SUCCESS) err = {};
      if (s["last_success"].get(success) != simdjson::SUCCESS) success = 0;
      if (!err.empty() || success == 0) rc = 1;
    }
  }
  if (o.json) {
    std::printf("%s\n", text.c_str());
    return rc;
  }
  if (sources.empty())
    std::printf("no [[feeds.taxii]] source configured (feeds dir %s)\n", config.feeds.dir.c_str());
  for (simdjson::dom::element s : list) {
    auto str = [&](const char* k) {
      std::string_view v;
      return s[k].get(v) == simdjson::SUCCESS ? PrintableUtf8(v) : std::string();
    };
    auto num = [&](const char* k) {
      int64_t v = 0;
      if (s[k].get(v) != simdjson::SUCCESS) v = 0;
      return v;
    };
    int64_t next = 0;
    const bool scheduled = s["next_pull"].get(next) == simdjson::SUCCESS;
    std::printf("%s: %s\n", str("name").c_str(), str("collection").c_str());
    std::printf(
        "  last attempt: %s; last success: %s; objects held: %lld; server's last "
        "date_added: %s\n",
        When(num("last_attempt")).c_str(), When(num("last_success")).c_str(),
        static_cast<long long>(num("objects")),
        str("date_added_last").empty() ? "-" : str("date_added_last").c_str());
    std::printf("  next pull: %s; consecutive failures: %lld; feed %s\n",
                scheduled ? When(next).c_str() : "only when asked (interval 0)",
                static_cast<long long>(num("consecutive_failures")), str("feed").c_str());
    std::printf("  last error: %s\n", str("last_error").empty() ? "-" : str("last_error").c_str());
  }
  return rc;
}

}  // namespace

void RegisterFeeds(CLI::App& app, int* exit_code) {
  CLI::App* f = app.add_subcommand("feeds", "Pull TAXII 2.1 feeds and show their state");
  f->require_subcommand(1);

  auto so = std::make_shared<FeedsOptions>();
  CLI::App* sync = f->add_subcommand(
      "sync", "Pull [[feeds.taxii]] sources now (exit 0 only if every one was pulled)");
  sync->add_option("--config", so->config_path, "Configuration file");
  sync->add_option("NAME", so->names, "Sources to pull (default: all)");
  sync->callback([so, exit_code] { *exit_code = RunSync(*so); });

  auto st = std::make_shared<FeedsOptions>();
  CLI::App* status = f->add_subcommand(
      "status", "Per source: last attempt, last success, objects held, last date_added, error");
  status->add_option("--config", st->config_path, "Configuration file");
  status->add_flag("--json", st->json, "As one JSON object");
  status->add_option("NAME", st->names, "Sources to show (default: all)");
  status->callback([st, exit_code] { *exit_code = RunFeedsStatus(*st); });
}

}  // namespace gfi
