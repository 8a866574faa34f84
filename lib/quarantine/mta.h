// Handing a message back to the MTA, for release: an SMTP client (release_via = smtp:HOST:PORT,
// a port that bypasses the milter), a sendmail-style pipe (release_via = sendmail:/PATH), and
// Postfix's postsuper/postqueue for the hold queue. Plain blocking calls with timeouts (60 s per
// SMTP read or write); used by `gfictl quarantine release` through engine/release.h.
#ifndef GFI_QUARANTINE_MTA_H_
#define GFI_QUARANTINE_MTA_H_

#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "util/net.h"
#include "util/status.h"

namespace gfi {

// Delivers `raw` over SMTP (EHLO with the host name, MAIL FROM, RCPT TO each, DATA with dot
// stuffing and bare LF made CRLF). Returns the MTA's reply to the message data ("250 2.0.0 Ok:
// queued as ..."); an error names the step and the MTA's reply.
Result<std::string> SendSmtp(const HostPort& target, const std::string& mail_from,
                             const std::vector<std::string>& rcpts, std::string_view raw);

// The queue id in an MTA's reply to DATA ("250 2.0.0 Ok: queued as 4Xk2Lq1zQz"), or "".
std::string QueuedAs(const std::string& reply);

// Runs argv (argv[0] an absolute path) with `input` on stdin; ok when it exits 0.
Status RunProgram(const std::vector<std::string>& argv, std::string_view input);

// Postfix's name of its hold queue (postsuper -d QID hold).
inline constexpr const char* kPostfixHoldQueue = "hold";

// [quarantine] postsuper (or `program`, e.g. postqueue) with -c [quarantine] postfix_config when
// set, then `args`.
Status RunPostsuper(const Config& config, std::vector<std::string> args,
                    const std::string& program = "");

// Postfix's myhostname (postconf -h, -c [quarantine] postfix_config when set; postconf beside
// [quarantine] postsuper), "" when it cannot be asked. The daemon's authserv-id falls back to the
// MTA's {j}, which is this name.
std::string PostfixMyhostname(const Config& config);

}  // namespace gfi

#endif  // GFI_QUARANTINE_MTA_H_
