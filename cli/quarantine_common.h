// What the `gfictl quarantine` subcommands share: opening the configured store, turning the ids
// users have (entry id, the GFI-... reference of the SMTP reply, the MTA's queue id, "-" for ids
// on standard input) into entry ids, and the audit trail (syslog, mail facility).
#ifndef GFI_CLI_QUARANTINE_COMMON_H_
#define GFI_CLI_QUARANTINE_COMMON_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "quarantine/store.h"
#include "util/status.h"

namespace gfi {

// Reads the configuration (`read_only`: leniently, LoadReadOnlyConfig) into *config and opens
// its store. On failure prints "COMMAND: why" to stderr and returns null.
std::unique_ptr<QuarantineStore> OpenConfiguredStore(const std::string& config_path,
                                                     const std::string& command, bool read_only,
                                                     Config* config);

// The one entry `key` names (id, reference or queue id). Ambiguous: an error listing the
// candidates; none: "no quarantine entry 'KEY'".
Result<std::string> ResolveEntryId(QuarantineStore& store, const std::string& key);

// The ids as given, each "-" replaced by the lines of standard input (blank lines and
// surrounding white space dropped).
std::vector<std::string> ExpandStdinIds(const std::vector<std::string>& ids);

// Who runs gfictl ("alice", "alice (via sudo)").
std::string Actor();
// One audit line to syslog: "quarantine: WHAT by ACTOR".
void Audit(const std::string& what);
// "2026-01-31T12:00:00Z"
std::string TimeText(int64_t unix_time);

}  // namespace gfi

#endif  // GFI_CLI_QUARANTINE_COMMON_H_
