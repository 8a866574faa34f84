// ScanMessage: one message, one EngineState, one verdict — the whole application core that the
// daemon (milter/filter.cc, at the end of a message) and `gfictl scan` (on a file) both run, so
// what an admin tests by hand is what the daemon does:
//   allow lists -> analysis -> matching -> SPF -> policy per recipient tenant -> the strictest
//   -> the header edits (forged copies to delete, our headers to add) and the verdict log line.
// It only computes: replies, quarantine and header calls are the caller's (the daemon maps the
// result to libmilter calls; gfictl prints it).
//
// Thread-safe: reads the (immutable) state only; SPF does DNS queries and may block up to [spf]
// timeout. No exceptions. Cost is bounded per message by [limits] (max_scan_ms, max_regex_bytes
// and the others): running out is a limit.* defect the policy acts on, not an error.
#ifndef GFI_ENGINE_SCAN_H_
#define GFI_ENGINE_SCAN_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/engine.h"
#include "engine/forged.h"
#include "extract/analyzer.h"
#include "snapshot/snapshot.h"
#include "policy/policy.h"
#include "spf/spf.h"
#include "util/status.h"

namespace gfi {

// What one recipient means for the policy: its tenant and whether [allow] recipients lists it.
// The daemon's split mode keeps recipients with different RecipientPolicy apart (one transaction,
// one policy); ScanMessage derives the same from the envelope's recipients, so a daemon message
// and `gfictl scan --rcpt ...` get the same tenants.
struct RecipientPolicy {
  int tenant = -1;  // index into PolicySettings::tenants, -1 = none ("default")
  bool allowed = false;
  bool operator==(const RecipientPolicy&) const = default;
};
RecipientPolicy RecipientPolicyOf(const PolicySettings& policy, std::string_view rcpt);

// The distinct tenants of the recipients, in order of first appearance; {-1} when there are none.
std::vector<int> RecipientTenants(const PolicySettings& policy,
                                  const std::vector<std::string>& rcpts);

struct ScanOptions {
  int64_t now = 0;  // unix time: indicator validity
  // Check SPF (when the state has a checker and the envelope a client IP). gfictl: --spf.
  bool spf = true;
  std::string mta_host;  // the MTA's host name ({j}); "" when unknown (authserv-id fallback)
  std::string ref;       // the reference id that replies, headers and the log carry
  bool reveal = false;   // show sensitive values in the verdict (gfictl scan --reveal)
  // When the message's scan started, for [limits] max_scan_ms; nullopt = when ScanMessage is
  // called. The daemon may pass the end of the message's data.
  std::optional<Deadline::Clock::time_point> started;
};

struct ScanResult {
  // Which allow list let the message through unscanned ("client_networks", "senders",
  // "recipients"), "" when it was scanned. Allowed: nothing below is filled in, verdict accept.
  std::string allowed_by;
  MessageAnalysis analysis;
  std::vector<Match> matches;
  std::optional<SpfCheck> spf;  // when checked
  std::string authserv_id;
  // Per recipient tenant (in RecipientTenants order) and the strictest of them, which is what is
  // enforced (the first tenant's on a tie).
  std::vector<Verdict> tenant_verdicts;
  Verdict verdict;
  // For a message that is delivered (accept, tag, quarantine in the MTA's hold queue): the forged
  // headers to delete (delete the highest index first so the others stay valid) and the headers
  // to insert at the top, in this order (SPF results; X-GFI-Verdict and X-GFI-Match for tag and
  // quarantine).
  std::vector<HeaderRef> remove_headers;
  std::vector<std::pair<std::string, std::string>> add_headers;
  // Observed values of sensitive matches: never written to a log (VerdictLogLine).
  std::vector<std::string> withheld_values;
};

Result<ScanResult> ScanMessage(const EngineState& state, const Envelope& envelope,
                               std::string_view message, const ScanOptions& options);

// What the daemon knows beyond the scan, for the log line.
struct LogContext {
  std::string queue_id;  // "NOQUEUE" when empty
  std::string ref;
  uint64_t size = 0;
  double scan_ms = 0;
  std::string note;  // "quarantine=store id=...", ...; may be empty
};

// The daemon's verdict log line (one syslog line, greppable by queue id):
//   QID: ref=R action=A [would=A monitor=yes] tenant=T from=<S> rcpts=N client=IP spf=R size=B
//   defects=N scan_ms=F [note] matches=N [ID TYPE WHERE ACTION [value=V]]...
// or, for an allowed message, "QID: ref=R from=<S> rcpts=N allowed by [allow] LIST, not scanned".
// A field whose text contains the observed value of a sensitive match (from=, client=) is written
// as `withheld`; sensitive matches never show their value.
std::string VerdictLogLine(const ScanResult& result, const Envelope& envelope,
                           const LogContext& context);

}  // namespace gfi

#endif  // GFI_ENGINE_SCAN_H_
