// `gfictl indicators keygen` (a new blinding key, mode 0600) and `gfictl indicators blind` (the
// indicator provider's side: feeds of any format into one .blind feed; blind_feed.h). Neither
// ever prints a key or an indicator value: refusals name the feed and the indicator id.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "engine/loader.h"
#include "engine_setup.h"
#include "indicators/blind_feed.h"
#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "util/strings.h"

namespace gfi {
namespace {

struct KeygenOptions {
  std::string output;
};

int RunKeygen(const KeygenOptions& o) {
  const auto bytes = GenerateBlindKey();
  if (Status s = WriteBlindKeyFile(o.output, bytes); !s.ok()) {
    std::fprintf(stderr, "gfictl indicators keygen: %s\n", s.message().c_str());
    return 2;
  }
  auto key = BlindKey::FromBytes(bytes);
  std::printf("%s: new blinding key %s (mode 0600)\n", o.output.c_str(), key->id().c_str());
  return 0;
}

struct BlindOptions {
  std::string config_path;  // "" = none: [indicators.markings] applies only when given
  std::string key;
  std::string output;
  bool skip_unblindable = false;
  std::vector<std::string> feeds;
};

// Writes `text` to `path` through a temporary file renamed over it: a reader never sees half.
Status WriteAtomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return Status::Error(tmp + ": cannot create: " + std::strerror(errno));
    out.write(text.data(), static_cast<std::streamsize>(text.size()));
    out.flush();
    if (!out) {
      ::unlink(tmp.c_str());
      return Status::Error(tmp + ": cannot write: " + std::strerror(errno));
    }
  }
  ::chmod(tmp.c_str(), 0644);  // a blinded feed holds no value: it may be shared like any feed
  if (std::rename(tmp.c_str(), path.c_str()) != 0) {
    int e = errno;
    ::unlink(tmp.c_str());
    return Status::Error(path + ": cannot replace: " + std::strerror(e));
  }
  return Status::Ok();
}

int RunBlind(const BlindOptions& o) {
  auto start = std::chrono::steady_clock::now();
  auto key = ReadBlindKeyFile(o.key);
  if (!key.ok()) {
    std::fprintf(stderr, "gfictl indicators blind: %s\n", key.error().c_str());
    return 2;
  }
  // The markings a receiver would give feeds that cannot carry one (CSV, Zeek, ClamAV) travel
  // with the blinded rows, since the .blind file has another name.
  std::map<std::string, std::string> markings;
  if (!o.config_path.empty()) {
    Config config;
    if (!LoadReadOnlyConfig(o.config_path, "gfictl indicators blind", &config)) return 2;
    markings = config.indicators.markings;
  }
  auto files = ExpandFeedPaths(o.feeds);
  if (!files.ok()) {
    std::fprintf(stderr, "gfictl indicators blind: %s\n", files.error().c_str());
    return 2;
  }
  std::vector<Feed> feeds;
  bool bad = false;
  for (const std::string& f : files.value()) {
    if (EndsWithIgnoreCase(f, ".blind")) {
      std::fprintf(stderr, "gfictl indicators blind: %s: already blinded\n", f.c_str());
      bad = true;
      continue;
    }
    Feed feed = LoadFeed(f);
    for (const std::string& e : feed.errors)
      std::fprintf(stderr, "gfictl indicators blind: %s\n", e.c_str());
    if (!feed.ok()) {
      bad = true;
      continue;
    }
    for (const std::string& u : feed.unsupported)
      std::fprintf(stderr, "gfictl indicators blind: not blinded (unsupported pattern): %s\n",
                   u.c_str());
    ApplyFeedMarking(markings, &feed);
    feeds.push_back(std::move(feed));
  }
  if (bad) {
    std::fprintf(stderr, "gfictl indicators blind: invalid feeds: nothing written\n");
    return 2;
  }
  BlindedFeed out = BlindFeeds(feeds, *key.value());
  for (const std::string& r : out.refused)
    std::fprintf(stderr, "gfictl indicators blind: %s: %s\n",
                 o.skip_unblindable ? "left out" : "cannot blind", r.c_str());
  if (!out.refused.empty() && !o.skip_unblindable) {
    std::fprintf(stderr,
                 "gfictl indicators blind: %zu indicator(s) cannot be blinded: nothing written "
                 "(--skip-unblindable leaves them out)\n",
                 out.refused.size());
    return 1;
  }
  if (o.output.empty() || o.output == "-") {
    std::cout << out.text;
    std::cout.flush();
    if (!std::cout) return 2;
  } else {
    if (!EndsWithIgnoreCase(o.output, ".blind"))
      std::fprintf(stderr,
                   "gfictl indicators blind: warning: %s does not end in .blind: the filter "
                   "reads a feed's format from its extension\n",
                   o.output.c_str());
    if (Status s = WriteAtomically(o.output, out.text); !s.ok()) {
      std::fprintf(stderr, "gfictl indicators blind: %s\n", s.message().c_str());
      return 2;
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr,
               "gfictl indicators blind: %zu indicator(s), %zu term(s) from %zu feed(s) blinded "
               "with key %s in %.3f s%s%s\n",
               out.rules, out.terms, feeds.size(), key.value()->id().c_str(), secs,
               o.output.empty() ? "" : " into ", o.output.c_str());
  return 0;
}

}  // namespace

void RegisterBlind(CLI::App* ind, int* exit_code) {
  auto k = std::make_shared<KeygenOptions>();
  CLI::App* keygen = ind->add_subcommand(
      "keygen", "Make a new random 256-bit blinding key (file mode 0600; never overwritten)");
  keygen->add_option("--output,-o", k->output, "The key file to create")->required();
  keygen->callback([k, exit_code] { *exit_code = RunKeygen(*k); });

  auto b = std::make_shared<BlindOptions>();
  CLI::App* blind = ind->add_subcommand(
      "blind",
      "Turn feeds (any format) into one .blind feed of keyed hashes (exit 1 if an indicator "
      "cannot be blinded)");
  blind->add_option("--key,-k", b->key, "Blinding key file (gfictl indicators keygen)")
      ->required();
  blind->add_option("--output,-o", b->output, "The .blind feed to write (default: stdout)");
  blind->add_option("--config", b->config_path,
                    "Configuration whose [indicators.markings] give feeds their marking");
  blind->add_flag("--skip-unblindable", b->skip_unblindable,
                  "Leave out (and list) indicators that cannot be blinded instead of refusing");
  blind->add_option("FEED", b->feeds, "Feed files or directories")->required();
  blind->callback([b, exit_code] { *exit_code = RunBlind(*b); });
}

}  // namespace gfi
