// Pulling a TAXII 2.1 collection into a feed file: what `gfictl feeds sync` and the daemon's
// periodic pull both run (one function, one state, one lock).
//
// A pull of source NAME:
//   1. takes {dir}/.state/NAME.lock (flock, not waiting: a source being pulled by another process
//      is reported busy, never pulled twice at once);
//   2. reads the state; when the feed file is still the one the last success wrote (the merged
//      store; feed_state.h) the pull is incremental, else it is a full one from nothing;
//   3. GETs {url}objects/?limit=page_size[&added_after=T] with Accept: application/taxii+json;
//      version=2.1, T being the X-TAXII-Date-Added-Last of the last success (none on a first or
//      full pull), and follows `next` while `more` is true (a server that pages without `next`
//      gets added_after = the page's X-TAXII-Date-Added-Last, which must advance);
//   4. merges the objects by id, the latest `modified` (else `created`) winning, so a revoked or
//      expired latest version replaces the version in service and the loader withdraws it (the
//      feed file is read back only when something came: a pull with nothing new reads nothing);
//   5. checks the merged bundle with the feed loader's own STIX reader, and only then replaces
//      {dir}/NAME.json atomically (temp dot-file, fsync, rename). When nothing changed the file
//      is left alone (no reload). Any failure — HTTP error, TLS, timeout, oversized or invalid
//      response, a page that fails mid-pull, a bundle the reader refuses — changes no feed file
//      and no stored date: the next pull asks again from the same point.
//   6. records the outcome in the state (last attempt, success, error, failures for backoff).
// Errors name the cause: "page 3: HTTP 500 (server error): <TAXII error title>", "HTTP 401
// (authentication failed): ...", "timed out ...", "TLS: ...", "response larger than ...".
// Thread-safe for distinct sources; the lock serialises one source across processes.
#ifndef GFI_FEEDS_SYNC_H_
#define GFI_FEEDS_SYNC_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "feeds/feed_state.h"

namespace gfi {

struct SyncProgress {
  uint64_t pages = 0;
  uint64_t objects_received = 0;
  uint64_t bytes_received = 0;
};

struct SyncOptions {
  // Called after each page (gfictl shows it on a terminal). May be empty.
  std::function<void(const SyncProgress&)> progress;
  // When it becomes true the pull stops soon (within a second), as a failure that changes
  // nothing: the daemon stopping does not wait for a slow server. May be null.
  const std::atomic<bool>* cancel = nullptr;
};

struct SyncOutcome {
  bool ok = false;
  bool busy = false;       // another process holds the source's lock; nothing was done
  bool replaced = false;   // the feed file was replaced (the daemon reloads)
  bool full_pull = false;  // pulled from the start (first pull, or the store was not trusted)
  std::string error;       // the cause, when !ok
  std::string note;        // why a full pull, when it was not the first
  uint64_t objects = 0;    // held after the pull
  uint64_t received = 0;   // objects received
  uint64_t pages = 0;
  double seconds = 0;
};

SyncOutcome SyncSource(const FeedsConfig& feeds, const TaxiiSourceConfig& source,
                       const SyncOptions& options = {});

// Every configured source's state (gfictl feeds status, the daemon's status file), in
// configuration order: {"dir": ..., "sources": [{state..., "interval", "next_pull"}]}.
std::string FeedsStatusJson(const FeedsConfig& feeds, int64_t now);
// The key the daemon's status file keeps FeedsStatusJson under.
inline constexpr const char* kFeedsStatusSection = "taxii";
// The sources' states back from FeedsStatusJson's text (gfictl status).
Result<std::vector<SourceState>> ParseFeedsStatus(std::string_view json);

}  // namespace gfi

#endif  // GFI_FEEDS_SYNC_H_
