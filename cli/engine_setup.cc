// Shared set-up for gfictl subcommands; see engine_setup.h.
#include "engine_setup.h"

#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

namespace gfi {

Status ReadMessageFile(const std::string& path, std::string* out) {
  if (path == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path + ": cannot open");
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error(path + ": read error");
  *out = std::move(ss).str();
  return Status::Ok();
}

Result<LoadedIndicators> LoadConfiguredIndicators(const Config& config,
                                                  const std::vector<std::string>& override_paths) {
  const std::vector<std::string>& paths =
      override_paths.empty() ? config.indicators.paths : override_paths;
  return LoadIndicators(paths, SnapshotOptions{}, static_cast<int64_t>(std::time(nullptr)));
}

}  // namespace gfi
