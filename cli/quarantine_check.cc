// `gfictl quarantine check [--repair]`: the index and the message files agree (reconcile.h).
// Exit 0: nothing found (or all of it repaired); 1: found and not repaired; 2: an error.
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "quarantine/reconcile.h"
#include "quarantine_common.h"

namespace gfi {
namespace {

struct CheckOptions {
  std::string config_path;
  bool repair = false;
  int64_t min_age = 60;
};

int RunCheck(const CheckOptions& o) {
  Config config;
  // Repairs write to the index: only with a configuration that loads.
  auto opened = OpenConfiguredStore(o.config_path, "gfictl quarantine check", !o.repair, &config);
  if (opened == nullptr) return 2;
  auto* store = dynamic_cast<SqliteQuarantineStore*>(opened.get());
  if (store == nullptr) {  // a database keeps bytes and index in one transaction
    std::printf("quarantine %s: nothing to reconcile (no message files beside an index)\n",
                opened->Describe().c_str());
    return 0;
  }
  ReconcileOptions ro;
  ro.repair_files = o.repair;
  ro.repair_rows = o.repair;
  ro.min_age_seconds = o.min_age;
  ro.by = Actor();
  ro.limits = config.limits;
  auto rep = Reconcile(*store, ro);
  if (!rep.ok()) {
    std::fprintf(stderr, "gfictl quarantine check: %s\n", rep.error().c_str());
    return 2;
  }
  const ReconcileReport& r = rep.value();
  for (const std::string& id : r.orphan_files)
    std::printf("orphan file: %s (no index entry)%s\n", store->MessagePath(id).c_str(),
                o.repair ? "" : "; --repair indexes it");
  for (const std::string& id : r.missing_files)
    std::printf("missing file: entry %s has no message file %s%s\n", id.c_str(),
                store->MessagePath(id).c_str(), o.repair ? "" : "; --repair marks it missing");
  for (const std::string& e : r.errors)
    std::fprintf(stderr, "gfictl quarantine check: repair failed: %s\n", e.c_str());
  if (o.repair) {
    std::printf("repaired: %zu orphan file(s) indexed (status held), %zu entr%s marked missing\n",
                r.files_recovered, r.rows_marked, r.rows_marked == 1 ? "y" : "ies");
    if (r.files_recovered + r.rows_marked > 0)
      Audit("check --repair: " + std::to_string(r.files_recovered) + " orphan file(s) indexed, " +
            std::to_string(r.rows_marked) + " entries marked missing");
  }
  if (r.orphan_files.empty() && r.missing_files.empty())
    std::printf("quarantine %s: index and message files agree\n", store->dir().c_str());
  return r.unrepaired() > 0 || !r.errors.empty() ? 1 : 0;
}

}  // namespace

void RegisterQuarantineCheck(CLI::App& q, int* exit_code) {
  auto o = std::make_shared<CheckOptions>();
  CLI::App* check = q.add_subcommand(
      "check", "Find message files without an index entry and entries without a message file");
  check->add_option("--config", o->config_path, "Configuration file");
  check->add_flag("--repair", o->repair,
                  "Index orphan files (status held) and mark entries without bytes 'missing'");
  check->add_option("--min-age", o->min_age,
                    "Leave files younger than this many seconds alone (default 60: a message "
                    "being stored right now)");
  check->callback([o, exit_code] { *exit_code = RunCheck(*o); });
}

}  // namespace gfi
