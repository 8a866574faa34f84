// Releasing a quarantined entry: claim it (held -> releasing, once, in the store), hand it to the
// MTA the way [quarantine] says (store mode: the stored bytes, forged headers stripped, over
// release_via; hold mode: postsuper -H and postqueue -i), and record the outcome (released, or
// held again with the MTA's refusal in the history). Exactly-once: two concurrent releases of one
// entry cannot both deliver. `gfictl quarantine release` prints and audits what this returns.
#ifndef GFI_ENGINE_RELEASE_H_
#define GFI_ENGINE_RELEASE_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "quarantine/store.h"
#include "util/status.h"

namespace gfi {

// The stored message as it is re-injected (engine/forged.h): headers only gfi-milter may write
// are dropped — the message goes out through a port that bypasses the milter, which would
// otherwise remove them. The MTA's name at scan time is not known here, so an
// Authentication-Results claiming any authserv-id this host's filter could have used goes.
std::string ReleasedMessage(const Config& config, std::string_view raw);

// Error when [quarantine] release_via is an SMTP target that runs this milter (release_guard.h):
// a message released there would be quarantined again.
Status CheckReleaseVia(const Config& config);

struct ReleaseRequest {
  std::vector<std::string> to;  // recipients instead of the entry's own (store mode only)
  bool force = false;           // take over an entry left "releasing" by a release cut short
  std::string actor;            // recorded in the history
};

struct ReleaseResult {
  enum class Outcome {
    kReleased,  // the MTA accepted it; status released
    kRefused,   // not attempted (no recipients, claimed by another release, ...); unchanged
    kFailed,    // the MTA (or reading the bytes) failed; status held again, reason in history
  } outcome = Outcome::kRefused;
  std::string to_text;  // recipients, comma-separated
  std::string how;      // "smtp:127.0.0.1:10026", "postsuper -H QID, postqueue -i QID", ...
  std::string proof;    // what the MTA said ("; MTA replied: 250 ...; queue id ...")
  std::string error;    // kRefused, kFailed
  std::string warning;  // released, but with a caveat (postqueue -i failed)
};

ReleaseResult ReleaseEntry(QuarantineStore& store, const Config& config,
                           const QuarantineEntry& entry, const ReleaseRequest& request);

}  // namespace gfi

#endif  // GFI_ENGINE_RELEASE_H_
