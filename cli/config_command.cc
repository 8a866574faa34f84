// `gfictl config check` (does the configuration load? every error with file, line and key) and
// `gfictl config show [-n]` (the effective configuration as section.key = value lines, like
// postconf; -n: only what the file sets, like postconf -n).
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>

#include "commands.h"
#include "config/config.h"
#include "config/config_dump.h"

namespace gfi {
namespace {

struct ConfigOptions {
  std::string config_path;
  bool non_default = false;
};

int RunCheck(const ConfigOptions& o) {
  LenientConfig c = LoadConfigLenient(o.config_path);
  for (const std::string& e : c.errors)
    std::fprintf(stderr, "gfictl config check: %s\n", e.c_str());
  if (!c.errors.empty()) return 1;
  // The strict loader is what the daemon uses: it must agree.
  if (!c.config.source.empty()) {
    Result<Config> strict = LoadConfig(c.config.source);
    if (!strict.ok()) {
      std::fprintf(stderr, "gfictl config check: %s\n", strict.error().c_str());
      return 1;
    }
    std::printf("%s: ok\n", c.config.source.c_str());
  } else {
    std::printf("no configuration file (%s): built-in defaults\n", kDefaultConfigPath);
  }
  return 0;
}

int RunShow(const ConfigOptions& o) {
  LenientConfig c = LoadConfigLenient(o.config_path);
  for (const std::string& e : c.errors)
    std::fprintf(stderr, "gfictl config show: warning: %s (default shown)\n", e.c_str());
  if (!c.file_read) return 2;
  for (const ConfigLine& l : DescribeConfig(c.config)) {
    if (o.non_default &&
        std::find(c.keys_set.begin(), c.keys_set.end(), l.table) == c.keys_set.end())
      continue;
    std::printf("%s = %s\n", l.key.c_str(), l.value.c_str());
  }
  return 0;
}

}  // namespace

void RegisterConfig(CLI::App& app, int* exit_code) {
  CLI::App* cfg = app.add_subcommand("config", "Check or show the configuration");
  cfg->require_subcommand(1);
  auto co = std::make_shared<ConfigOptions>();
  CLI::App* check = cfg->add_subcommand(
      "check", "Load the configuration: exit 0 when valid, 1 with each error (file, line, key)");
  check->add_option("--config", co->config_path, "Configuration file");
  check->callback([co, exit_code] { *exit_code = RunCheck(*co); });
  auto so = std::make_shared<ConfigOptions>();
  CLI::App* show = cfg->add_subcommand(
      "show", "Print the effective configuration as section.key = value (like postconf)");
  show->add_option("--config", so->config_path, "Configuration file");
  show->add_flag("-n", so->non_default, "Only the keys the file sets (like postconf -n)");
  show->callback([so, exit_code] { *exit_code = RunShow(*so); });
}

}  // namespace gfi
