// gfictl: the admin's tool for gfi-milter. Subcommands live in their own files (commands.h).
#include <CLI/CLI.hpp>
#include <cstdio>

#include "commands.h"

#ifndef GFI_VERSION
#define GFI_VERSION "unknown"
#endif

int main(int argc, char** argv) {
  CLI::App app{"gfictl - inspect and scan messages, check indicator feeds, for gfi-milter", "gfictl"};
  app.set_version_flag("--version", std::string("gfictl ") + GFI_VERSION);
  app.require_subcommand(1);
  int exit_code = 0;
  gfi::RegisterInspect(app, &exit_code);
  gfi::RegisterScan(app, &exit_code);
  gfi::RegisterIndicators(app, &exit_code);
  gfi::RegisterQuarantine(app, &exit_code);
  gfi::RegisterStatus(app, &exit_code);
  gfi::RegisterReload(app, &exit_code);
  gfi::RegisterConfig(app, &exit_code);
  gfi::RegisterFeeds(app, &exit_code);
  gfi::RegisterReport(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    // Usage errors exit 2 (as the scan contract reserves 1 for "a match"); --help/--version exit 0.
    return rc == 0 ? 0 : 2;
  }
  return exit_code;
}
