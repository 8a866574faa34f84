// Refusing a release target that runs this milter: a message released there would be scanned
// again and quarantined again (or loop). Checked before `gfictl quarantine release` delivers
// over smtp:HOST:PORT (unless --force), for targets on this host (loopback, "localhost" or the
// host name) — remote targets cannot be judged from here:
//  1. the target is the milter socket itself ([milter] socket = "inet:PORT@HOST");
//  2. Postfix's master.cf (in [quarantine] postfix_config, else /etc/postfix; skipped when it is
//     not readable) has an inet smtpd service on the target's port whose milters — its own
//     `-o smtpd_milters=...`, else main.cf's smtpd_milters — name our socket, and that does not
//     turn milters off with `-o receive_override_options=...no_milters...`.
// A Postfix unix socket names ours when its last two path components are ours (smtpd may run
// chrooted, naming the socket relative to the queue directory); an inet one when the port is ours.
#ifndef GFI_QUARANTINE_RELEASE_GUARD_H_
#define GFI_QUARANTINE_RELEASE_GUARD_H_

#include <string>
#include <string_view>

#include "config/config.h"
#include "util/status.h"

namespace gfi {

// Error (naming the rule that fired) when HOST:PORT runs this milter.
Status CheckReleaseTarget(const Config& config, const std::string& host, const std::string& port);

// Rule 2 on given master.cf and main.cf texts; `port` numeric.
Status CheckPostfixServices(std::string_view master_cf, std::string_view main_cf,
                            const std::string& milter_socket, const std::string& port);

}  // namespace gfi

#endif  // GFI_QUARANTINE_RELEASE_GUARD_H_
