// Hit records at scale: writes N records (default 1,000,000) to a fresh SQLite hit store in
// batches as the daemon's writer does, then times `gfictl report` over them in JSON and HTML (the
// whole command: open, aggregate, render, write), and the same in process. Prints the figures the
// README quotes.
//
//   build/bench/hit_report_bench --gfictl build/cli/gfictl [--records 1000000] [--indicators 5000]
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "hits/hit_store.h"
#include "report/report.h"

namespace {

double Since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::string gfictl;
  uint64_t records = 1000000, indicators = 5000, batch = 1000;
  bool keep = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--gfictl") gfictl = next();
    else if (a == "--records") records = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--indicators") indicators = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--batch") batch = std::strtoull(next().c_str(), nullptr, 10);
    else if (a == "--keep") keep = true;
    else {
      std::fprintf(stderr, "usage: %s --gfictl PATH [--records N] [--indicators K] [--batch B] [--keep]\n",
                   argv[0]);
      return 2;
    }
  }
  if (gfictl.empty() || records == 0 || indicators == 0 || batch == 0) {
    std::fprintf(stderr, "%s: --gfictl is required; counts must be > 0\n", argv[0]);
    return 2;
  }
  char tmpl[] = "/tmp/gfi-hit-bench.XXXXXX";
  const std::string dir = ::mkdtemp(tmpl);
  gfi::Config config;
  config.quarantine.dir = dir;
  gfi::HitStoreOpenOptions o;
  o.create = true;
  auto store = gfi::OpenHitStore(config, o);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.error().c_str());
    return 1;
  }
  // A month of records: indicators with a long tail (Zipf-like), half of them STIX ids.
  const int64_t end = static_cast<int64_t>(std::time(nullptr));
  const int64_t start = end - 30 * 86400;
  std::mt19937_64 rng(42);
  std::vector<std::string> ids;
  for (uint64_t k = 0; k < indicators; ++k) {
    char buf[64];
    if (k % 2 == 0)
      std::snprintf(buf, sizeof(buf), "indicator--%08llx-0000-4000-8000-%012llx",
                    static_cast<unsigned long long>(k), static_cast<unsigned long long>(k * 7919));
    else
      std::snprintf(buf, sizeof(buf), "partner.csv:%llu", static_cast<unsigned long long>(k));
    ids.push_back(buf);
  }
  const char* wheres[] = {"body.html", "body.text", "mail_from", "attachment", "client_ip"};
  const char* tenants[] = {"default", "acme", "beta", "gamma"};
  auto t0 = std::chrono::steady_clock::now();
  gfi::HitBatch b;
  for (uint64_t n = 0; n < records; ++n) {
    gfi::HitRecord h;
    h.time = start + static_cast<int64_t>(n * static_cast<uint64_t>(end - start) / records);
    const double u = std::uniform_real_distribution<double>(0, 1)(rng);
    const uint64_t k = static_cast<uint64_t>(std::pow(static_cast<double>(indicators), u)) - 1;
    h.indicator = ids[k % indicators];
    h.feed = k % 2 == 0 ? "ecs" : "partner.csv";
    h.type = k % 3 == 0 ? "url" : "domain";
    h.where = *gfi::ParseWhere(wheres[k % 5]);
    h.action = k % 4 == 0 ? gfi::Action::kReject : gfi::Action::kQuarantine;
    h.tenant = tenants[rng() % 4];
    b.hits.push_back(std::move(h));
    if (n % 3 == 0)
      b.messages.push_back({b.hits.back().time - b.hits.back().time % 3600, b.hits.back().tenant,
                            b.hits.back().action, 1, "bench"});
    if (b.hits.size() >= batch) {
      if (auto s = store.value()->Write(b); !s.ok()) {
        std::fprintf(stderr, "%s\n", s.message().c_str());
        return 1;
      }
      b = {};
    }
  }
  if (auto s = store.value()->Write(b); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.message().c_str());
    return 1;
  }
  const double write_s = Since(t0);
  struct stat st;
  ::stat(gfi::HitStorePath(config).c_str(), &st);
  std::printf("%llu hit records, %llu indicators, written in batches of %llu: %.1f s (%.0f "
              "records/s), %.0f MB\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(indicators),
              static_cast<unsigned long long>(batch), write_s, static_cast<double>(records) / write_s,
              static_cast<double>(st.st_size) / 1e6);

  // In process: aggregate once, render each format.
  gfi::HitQuery q;
  q.since = start;
  q.until = end + 1;
  t0 = std::chrono::steady_clock::now();
  auto agg = store.value()->Aggregate(q);
  const double agg_s = Since(t0);
  if (!agg.ok()) {
    std::fprintf(stderr, "%s\n", agg.error().c_str());
    return 1;
  }
  gfi::ReportOptions ro;
  ro.since = q.since;
  ro.until = q.until;
  ro.generated = end;
  gfi::Report r = gfi::BuildReport(agg.value(), ro);
  std::printf("in process: aggregate %.2f s (%zu indicators)", agg_s, r.indicators.size());
  for (gfi::ReportFormat f : {gfi::ReportFormat::kJson, gfi::ReportFormat::kHtml,
                              gfi::ReportFormat::kStix, gfi::ReportFormat::kCsv}) {
    t0 = std::chrono::steady_clock::now();
    std::string text = gfi::Render(r, f);
    std::printf(", %s %.3f s (%.1f MB)", std::string(gfi::ToString(f)).c_str(), Since(t0),
                static_cast<double>(text.size()) / 1e6);
  }
  std::printf("\n");

  const std::string cfg = dir + "/bench.toml";
  std::ofstream(cfg) << "[quarantine]\ndir = \"" << dir << "\"\n";
  for (const char* fmt : {"json", "html"}) {
    const std::string cmd = gfictl + " report --config " + cfg + " --since @" +
                            std::to_string(q.since) + " --until @" + std::to_string(q.until) +
                            " --format " + fmt + " --output " + dir + "/report." + fmt;
    t0 = std::chrono::steady_clock::now();
    int rc = std::system(cmd.c_str());
    const double s = Since(t0);
    if (rc != 0) {
      std::fprintf(stderr, "%s: exit %d\n", cmd.c_str(), rc);
      return 1;
    }
    std::printf("gfictl report --format %s over %llu records: %.2f s\n", fmt,
                static_cast<unsigned long long>(records), s);
  }
  if (keep)
    std::printf("kept %s\n", dir.c_str());
  else
    (void)!std::system(("rm -rf '" + dir + "'").c_str());
  return 0;
}
