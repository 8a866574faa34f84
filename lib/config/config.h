// gfi-milter's configuration (TOML, default /etc/gfi-milter/gfi-milter.toml), shared by the daemon
// and gfictl. Key names are a contract (product.md; gfi-milter.toml(5) documents each).
//
// Loading is strict: an unknown table or key, a value of the wrong type or out of range is an
// error naming file, line and key, so a typo never silently falls back to a default. Config is a
// plain value; copy it freely.
#ifndef GFI_CONFIG_CONFIG_H_
#define GFI_CONFIG_CONFIG_H_

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "extract/limits.h"
#include "util/status.h"

namespace gfi {

inline constexpr const char* kDefaultConfigPath = "/etc/gfi-milter/gfi-milter.toml";

struct MilterConfig {
  std::string socket = "unix:/run/gfi-milter/milter.sock";
  std::string on_error = "tempfail";  // tempfail | accept | reject
  std::string user = "gfi-milter";
};

struct IndicatorsConfig {
  std::vector<std::string> paths = {"/etc/gfi-milter/indicators"};
};

struct PolicyConfig {
  std::string default_action = "quarantine";  // accept | tag | quarantine | discard | tempfail | reject
  std::map<std::string, std::string> feed_actions;            // feed file name -> action
  std::vector<std::string> sensitive_markings = {"TLP:RED"};  // values never shown in output
};

struct QuarantineConfig {
  std::string mode = "store";  // store | hold
  std::string dir = "/var/lib/gfi-milter/quarantine";
  std::string release_via = "smtp:127.0.0.1:10026";  // smtp:HOST:PORT | sendmail:PATH
};

struct Config {
  MilterConfig milter;
  IndicatorsConfig indicators;
  PolicyConfig policy;
  QuarantineConfig quarantine;
  AnalysisLimits limits;  // [limits]
  std::string source;     // file the values came from; "" for built-in defaults
};

// Reads and validates `path`.
Result<Config> LoadConfig(const std::string& path);

// Validates TOML text; `source` names it in error messages.
Result<Config> ParseConfig(std::string_view text, const std::string& source);

// The config gfictl uses: `path` when given (it must load), else the default file when it exists,
// else built-in defaults.
Result<Config> LoadConfigOrDefault(const std::string& path);

}  // namespace gfi

#endif  // GFI_CONFIG_CONFIG_H_
