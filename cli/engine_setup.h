// What several gfictl subcommands share: reading a message file, turning the configuration into
// policy settings, and loading the indicators named by --indicators or the configuration.
#ifndef GFI_CLI_ENGINE_SETUP_H_
#define GFI_CLI_ENGINE_SETUP_H_

#include <string>
#include <vector>

#include "config/config.h"
#include "engine/loader.h"
#include "policy/policy.h"
#include "util/status.h"

namespace gfi {

// Reads FILE, or standard input for "-".
Status ReadMessageFile(const std::string& path, std::string* out);

// The configuration for a command that only reads (status, quarantine list/show, indicators
// lookup, reload): a config with errors still gives the keys that parse (LoadConfigLenient), each
// error printed to stderr as a warning prefixed with `command`. False (an error printed) only when
// an explicitly given --config file does not exist.
bool LoadReadOnlyConfig(const std::string& path, const std::string& command, Config* out);

// Reads the daemon's status file. Errors say why: "no status file PATH (is gfi-milter running?)"
// when it does not exist (errno is left ENOENT), else "cannot open PATH: Permission denied"...
Status ReadStatusFile(const std::string& path, std::string* out);

// --indicators paths when given, else the configuration's (IndicatorPaths: [indicators] paths and
// [feeds] dir). Blinded feeds are read with the keys of [indicators] blind_keys and `extra_keys`
// (key files, e.g. gfictl indicators lookup --key).
Result<LoadedIndicators> LoadConfiguredIndicators(const Config& config,
                                                  const std::vector<std::string>& override_paths,
                                                  const std::vector<std::string>& extra_keys = {});

}  // namespace gfi

#endif  // GFI_CLI_ENGINE_SETUP_H_
