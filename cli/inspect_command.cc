// `gfictl inspect`: run the extraction engine on message files and print what it saw. Exit 0 when
// every file was read, 2 when one could not be (the others are still reported).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "config/config.h"
#include "extract/analyzer.h"
#include "inspect_render.h"

namespace gfi {
namespace {

struct InspectOptions {
  bool json = false;
  std::string config_path;
  Envelope envelope;
  std::vector<std::string> files;
  std::optional<int> max_nesting;
  std::optional<size_t> max_parts;
};

bool ReadFile(const std::string& path, std::string* out, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = "cannot open " + path + ": " + std::strerror(errno);
    return false;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) {
    *error = "cannot read " + path + ": " + std::strerror(errno);
    return false;
  }
  *out = std::move(ss).str();
  return true;
}

int RunInspect(InspectOptions& o) {
  Result<Config> config = LoadConfigOrDefault(o.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "gfictl inspect: %s\n", config.error().c_str());
    return 2;
  }
  AnalysisLimits limits = config.value().limits;
  if (o.max_nesting) limits.max_nesting = *o.max_nesting;
  if (o.max_parts) limits.max_parts = *o.max_parts;
  int status = 0;
  for (const std::string& file : o.files) {
    std::string raw, error;
    if (file == "-") {
      raw.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    } else if (!ReadFile(file, &raw, &error)) {
      std::fprintf(stderr, "gfictl inspect: %s\n", error.c_str());
      status = 2;
      continue;
    }
    MessageAnalysis a = AnalyzeMessage(raw, o.envelope, limits);
    if (o.json) {
      std::cout << InspectJson(file, a) << '\n';
    } else {
      std::cout << InspectText(file, a);
    }
  }
  std::cout.flush();
  return status;
}

}  // namespace

void RegisterInspect(CLI::App& app, int* exit_code) {
  auto opts = std::make_shared<InspectOptions>();
  CLI::App* cmd = app.add_subcommand(
      "inspect", "Parse messages and print their MIME parts, attachments and observables");
  cmd->add_flag("--json", opts->json, "One JSON object per file, one per line");
  cmd->add_option("--mail-from", opts->envelope.mail_from, "Envelope sender (MAIL FROM)");
  cmd->add_option("--rcpt", opts->envelope.rcpt_to, "Envelope recipient (RCPT TO); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--client-ip", opts->envelope.client_ip, "Connecting client's IP address");
  cmd->add_option("--helo", opts->envelope.helo, "HELO/EHLO name");
  cmd->add_option("--config", opts->config_path,
                  "Configuration file (default /etc/gfi-milter/gfi-milter.toml if present)");
  cmd->add_option("--max-nesting", opts->max_nesting, "MIME nesting limit")
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--max-parts", opts->max_parts, "MIME part limit")
      ->check(CLI::Range(1, 1000000));
  cmd->add_option("FILE", opts->files, "Message files (RFC 5322); - reads standard input")
      ->required();
  cmd->callback([opts, exit_code] { *exit_code = RunInspect(*opts); });
}

}  // namespace gfi
