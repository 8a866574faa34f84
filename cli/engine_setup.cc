// Shared set-up for gfictl subcommands; see engine_setup.h.
#include "engine_setup.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "engine/engine.h"

namespace gfi {

Status ReadMessageFile(const std::string& path, std::string* out) {
  if (path == "-") {
    out->assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
    return Status::Ok();
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error("cannot open " + path + ": " + std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return Status::Error("cannot read " + path + ": " + std::strerror(errno));
  *out = std::move(ss).str();
  return Status::Ok();
}

bool LoadReadOnlyConfig(const std::string& path, const std::string& command, Config* out) {
  struct stat st;
  if (!path.empty() && ::stat(path.c_str(), &st) != 0 && errno == ENOENT) {
    std::fprintf(stderr, "%s: cannot open configuration file %s: %s\n", command.c_str(),
                 path.c_str(), std::strerror(ENOENT));
    return false;
  }
  LenientConfig c = LoadConfigLenient(path);
  for (const std::string& e : c.errors)
    std::fprintf(stderr, "%s: warning: configuration error, default used: %s\n", command.c_str(),
                 e.c_str());
  *out = std::move(c.config);
  return true;
}

Status ReadStatusFile(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in) {
    int err = errno;
    Status s = err == ENOENT
                   ? Status::Error("no status file " + path + " (is gfi-milter running?)")
                   : Status::Error("cannot open status file " + path + ": " + std::strerror(err));
    errno = err;
    return s;
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad())
    return Status::Error("cannot read status file " + path + ": " + std::strerror(errno));
  *out = std::move(ss).str();
  errno = 0;
  return Status::Ok();
}

Result<LoadedIndicators> LoadConfiguredIndicators(const Config& config,
                                                  const std::vector<std::string>& override_paths,
                                                  const std::vector<std::string>& extra_keys) {
  const std::vector<std::string>& paths =
      override_paths.empty() ? IndicatorPaths(config) : override_paths;
  const FeedSignaturePolicy signatures = SignaturePolicyFromConfig(config);
  const std::map<std::string, std::string> feed_names = FeedNames(config);
  Result<BlindKeyring> keys = BlindKeysFromConfig(config);
  if (!keys.ok()) return keys.status();
  for (const std::string& k : extra_keys) {
    auto key = ReadBlindKeyFile(k);
    if (!key.ok()) return key.status();
    if (keys.value().Find(key.value()->id())) continue;  // configured too
    if (Status s = keys.value().Add(std::move(key).value()); !s.ok()) return s;
  }
  return LoadIndicators(paths, SnapshotOptions{}, static_cast<int64_t>(std::time(nullptr)),
                        /*last_good=*/nullptr, &config.indicators.markings, &signatures,
                        &feed_names, &keys.value());
}

}  // namespace gfi
