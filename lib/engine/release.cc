// Release of quarantined entries; see release.h.
#include "engine/release.h"

#include "engine/forged.h"
#include "quarantine/mta.h"
#include "quarantine/release_guard.h"
#include "util/net.h"

namespace gfi {
namespace {

constexpr std::string_view kSmtpPrefix = "smtp:";
constexpr std::string_view kSendmailPrefix = "sendmail:";

bool ViaSmtp(const Config& config) {
  return std::string_view(config.quarantine.release_via).substr(0, kSmtpPrefix.size()) ==
         kSmtpPrefix;
}

// smtp:HOST:PORT (checked when the config was read).
Result<HostPort> SmtpTarget(const Config& config) {
  auto hp = ParseHostPort(std::string_view(config.quarantine.release_via).substr(kSmtpPrefix.size()));
  if (!hp.ok()) return Status::Error("[quarantine] release_via: " + hp.error());
  return hp;
}

}  // namespace

std::string ReleasedMessage(const Config& config, std::string_view raw) {
  return StripForgedHeaders(raw, PossibleAuthservIds(config.milter, PostfixMyhostname(config)));
}

Status CheckReleaseVia(const Config& config) {
  if (!ViaSmtp(config)) return Status::Ok();
  auto target = SmtpTarget(config);
  if (!target.ok()) return target.status();
  return CheckReleaseTarget(config, target.value().host, std::to_string(target.value().port));
}

ReleaseResult ReleaseEntry(QuarantineStore& q, const Config& config, const QuarantineEntry& entry,
                           const ReleaseRequest& r) {
  ReleaseResult out;
  const std::string& id = entry.id;
  const std::vector<std::string>& rcpts = r.to.empty() ? entry.rcpts : r.to;
  for (const std::string& rc : rcpts) out.to_text += (out.to_text.empty() ? "" : ",") + rc;
  if (rcpts.empty()) {
    out.error = id + ": no recipients known (a recovered entry?); give them with --to";
    return out;
  }
  if (entry.mode == QuarantineMode::kHold && !r.to.empty()) {
    out.error = id + ": --to cannot redirect a message in the MTA's hold queue";
    return out;
  }
  // --force takes over an entry left releasing by a release that was cut short (it may have been
  // delivered already: the admin decides).
  Status claim = r.force && entry.status == QuarantineStatus::kReleasing
                     ? q.SetStatus(id, QuarantineStatus::kReleasing, QuarantineStatus::kReleasing,
                                   r.actor, "forced release")
                     : q.ClaimForRelease(id, r.actor);
  if (!claim.ok()) {
    out.error = claim.message();
    return out;
  }
  Status delivered;
  if (entry.mode == QuarantineMode::kHold) {
    out.how = "postsuper -H " + entry.queue_id;
    delivered = RunPostsuper(config, {"-H", entry.queue_id});
    // Out of the hold queue it would wait for the next queue run: deliver it now.
    if (delivered.ok()) {
      out.how += ", postqueue -i " + entry.queue_id;
      if (Status f = RunPostsuper(config, {"-i", entry.queue_id}, config.quarantine.postqueue);
          !f.ok()) {
        out.proof = "; released from hold, but postqueue -i failed (" + f.message() +
                    "): it leaves with the next queue run";
        out.warning = f.message();
      }
    }
  } else {
    auto raw = q.ReadRaw(id);
    out.how = config.quarantine.release_via;
    if (!raw.ok()) {
      delivered = raw.status();
    } else if (ViaSmtp(config)) {
      auto target = SmtpTarget(config);
      Result<std::string> reply =
          target.ok() ? SendSmtp(target.value(), entry.mail_from, rcpts,
                                 ReleasedMessage(config, raw.value()))
                      : Result<std::string>(target.status());
      delivered = reply.status();
      if (reply.ok()) {
        out.proof = "; MTA replied: " + reply.value();
        if (std::string qid = QueuedAs(reply.value()); !qid.empty())
          out.proof += "; queue id " + qid;
      }
    } else {
      std::vector<std::string> argv = {config.quarantine.release_via.substr(kSendmailPrefix.size()),
                                       "-i", "-f",
                                       entry.mail_from.empty() ? "<>" : entry.mail_from, "--"};
      argv.insert(argv.end(), rcpts.begin(), rcpts.end());
      delivered = RunProgram(argv, ReleasedMessage(config, raw.value()));
      if (delivered.ok()) out.proof = "; sendmail exited 0";
    }
  }
  if (delivered.ok()) {
    q.SetStatus(id, QuarantineStatus::kReleasing, QuarantineStatus::kReleased, r.actor,
                "to " + out.to_text + " via " + out.how + out.proof);
    out.outcome = ReleaseResult::Outcome::kReleased;
  } else {
    q.SetStatus(id, QuarantineStatus::kReleasing, QuarantineStatus::kHeld, r.actor,
                "release failed: " + delivered.message());
    out.outcome = ReleaseResult::Outcome::kFailed;
    out.error = delivered.message();
  }
  return out;
}

}  // namespace gfi
