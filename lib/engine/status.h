// The daemon's status file: one schema, one writer and one reader. gfi-milter writes it
// ([milter] status_file, atomically, on every change and every few seconds); `gfictl status` and
// `gfictl reload` read it. Both sides go through DaemonStatus, so a key can only be renamed here,
// and the round-trip test (status_test) fails when writer and reader drift apart.
//
// Sections written by other modules (the TAXII puller's "taxii", ...) are kept as raw JSON under
// their key; each module that writes one also parses it (feeds/sync.h: ParseFeedsStatus).
#ifndef GFI_ENGINE_STATUS_H_
#define GFI_ENGINE_STATUS_H_

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "global/vocabulary.h"
#include "util/status.h"

namespace gfi {

struct DaemonStatus {
  struct Feed {
    std::string path;
    uint64_t indicators = 0;
    double load_seconds = 0;
  };
  struct Stale {
    std::string path;
    int64_t version = 0;  // mtime of the last good version in service
  };

  struct Held {  // shrank too much (engine/loader.h, the shrink guard)
    std::string path;
    uint64_t indicators = 0;  // in the file on disk
    uint64_t kept = 0;        // in the last good version in service
    int64_t version = 0;      // mtime of that version
  };

  int64_t pid = 0;
  int64_t started = 0;  // unix seconds
  int64_t written = 0;
  std::string config;
  std::string socket;
  std::string user;
  std::vector<std::string> restart_needed;  // config keys that changed and need a restart

  int64_t loaded_at = 0;
  double load_seconds = 0;
  uint64_t indicators = 0;
  uint64_t memory_bytes = 0;
  std::vector<std::pair<std::string, uint64_t>> types;  // term kind -> count
  std::vector<Feed> feeds;
  std::vector<std::string> invalid_feeds;  // paths only: an error can quote an indicator
  std::vector<Stale> stale_feeds;
  std::vector<Held> held_feeds;
  bool degraded = false;  // a feed invalid, stale or held back

  int64_t last_reload = 0;
  std::string last_reload_result;
  uint64_t reloads_ok = 0;
  uint64_t reloads_failed = 0;
  // Engine states replaced by a reload and still in memory: held by a message being scanned
  // against them. It falls back to 0 once those messages are done; one that stays above 0 is a
  // stuck scan (or a leak) keeping a whole snapshot resident.
  uint64_t retired_states = 0;

  std::array<uint64_t, kActionNames.size()> messages{};  // by Action
  uint64_t scan_errors = 0;
  uint64_t split_recipients = 0;

  // Other modules' sections: key -> one JSON value, written and read verbatim.
  std::map<std::string, std::string> sections;

  uint64_t MessagesTotal() const;
};

// One JSON object, no newline.
std::string DaemonStatusJson(const DaemonStatus& s);

// The reverse; an error for text that is not a status object. Keys a newer daemon added are
// ignored, missing ones keep their defaults (an older daemon's file still reads).
Result<DaemonStatus> ParseDaemonStatus(std::string_view json);

}  // namespace gfi

#endif  // GFI_ENGINE_STATUS_H_
