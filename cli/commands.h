// gfictl's subcommands. Each Register* adds its subcommand to the CLI11 app; the handler returns
// the process exit status.
#ifndef GFI_CLI_COMMANDS_H_
#define GFI_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

namespace gfi {

// Registers `inspect`; *exit_code receives the status when it runs.
void RegisterInspect(CLI::App& app, int* exit_code);
void RegisterScan(CLI::App& app, int* exit_code);
void RegisterIndicators(CLI::App& app, int* exit_code);
// keygen and blind, under `indicators` (blind_command.cc).
void RegisterBlind(CLI::App* indicators, int* exit_code);
void RegisterQuarantine(CLI::App& app, int* exit_code);
void RegisterStatus(CLI::App& app, int* exit_code);
void RegisterReload(CLI::App& app, int* exit_code);
void RegisterConfig(CLI::App& app, int* exit_code);
// `feeds sync|status` (TAXII 2.1 pulls).
void RegisterFeeds(CLI::App& app, int* exit_code);
// `report`: the hit records of a period (report_command.cc).
void RegisterReport(CLI::App& app, int* exit_code);
// `quarantine check`, under the `quarantine` subcommand `q`.
void RegisterQuarantineCheck(CLI::App& q, int* exit_code);

}  // namespace gfi

#endif  // GFI_CLI_COMMANDS_H_
