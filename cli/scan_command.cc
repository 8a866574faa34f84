// `gfictl scan`: the daemon's scan (engine/scan.h: allow lists, analysis, matching, SPF, policy per
// recipient tenant) on message files, with the state built as the daemon builds it. Exit 0 when
// no file matched, 1 when one did, 2 on an error (unreadable file, invalid feed or configuration).
#include <cstdio>
#include <ctime>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "engine/engine.h"
#include "engine/scan.h"
#include "engine_setup.h"
#include "extract/analyzer.h"
#include "util/json_writer.h"
#include "util/strings.h"

namespace gfi {
namespace {

struct ScanFlags {
  bool json = false;
  bool reveal = false;
  bool spf = false;
  std::string config_path;
  std::vector<std::string> indicators;
  Envelope envelope;
  std::string mta_host;
  std::vector<std::string> files;
};

std::string ScanJson(const std::string& file, const Verdict& v, const MessageAnalysis& a,
                     const std::string& allowed_by, bool tenants, const std::string& error) {
  JsonWriter w;
  w.BeginObject();
  w.Key("file").String(file);
  w.Key("action").String(ToString(v.action));
  if (tenants) w.Key("tenant").String(v.tenant);
  if (!allowed_by.empty()) w.Key("allowed_by").String(allowed_by);
  w.Key("matches").BeginArray();
  for (const MatchReport& m : v.matches) {
    w.BeginObject();
    w.Key("indicator").String(m.indicator);
    w.Key("feed").String(m.feed);
    w.Key("type").String(m.type);
    if (m.redacted) {
      w.Key("redacted").Bool(true);
    } else {
      w.Key("value").String(m.value);
      w.Key("observed").String(m.observed);
    }
    w.Key("where").String(ToString(m.where));
    w.Key("action").String(ToString(m.action));
    if (!m.marking.empty()) w.Key("marking").String(m.marking);
    w.EndObject();
  }
  w.EndArray();
  w.Key("defects").BeginArray();
  for (const std::string& d : a.defects) w.String(d);
  w.EndArray();
  if (!error.empty()) w.Key("error").String(error);
  w.EndObject();
  return w.Take();
}

std::string ScanText(const std::string& file, const Verdict& v, const MessageAnalysis& a,
                     const std::string& allowed_by, bool tenants, const std::string& error) {
  std::string out = PrintableUtf8(file) + ": " + std::string(ToString(v.action));
  if (tenants) out += " tenant=" + PrintableUtf8(v.tenant);
  if (!allowed_by.empty())
    out += " (allowed by [allow] " + allowed_by + ", not scanned)\n";
  else
    out += v.matches.empty() ? " (no match)\n"
                             : " (" + std::to_string(v.matches.size()) + " match" +
                                   (v.matches.size() == 1 ? "" : "es") + ")\n";
  for (const MatchReport& m : v.matches) {
    out += "  " + PrintableUtf8(m.indicator) + " [" + PrintableUtf8(m.feed) + "] " + m.type + " ";
    out += m.redacted ? (m.marking.empty() ? std::string("(value withheld)")
                                           : "(value withheld: " + m.marking + ")")
                      : PrintableUtf8(m.value) + " <- " + PrintableUtf8(m.observed);
    out +=
        " at " + std::string(ToString(m.where)) + " -> " + std::string(ToString(m.action)) + "\n";
  }
  for (const std::string& d : a.defects) out += "  defect: " + PrintableUtf8(d) + "\n";
  if (!error.empty()) out += "  error: " + error + "\n";
  return out;
}

int RunScan(const ScanFlags& o) {
  if (o.spf && o.envelope.client_ip.empty()) {
    std::fprintf(stderr, "gfictl scan: --spf needs --client-ip\n");
    return 2;
  }
  Result<Config> config = LoadConfigOrDefault(o.config_path);
  if (!config.ok()) {
    std::fprintf(stderr, "gfictl scan: %s\n", config.error().c_str());
    return 2;
  }
  const OnError on_error = config.value().milter.on_error;
  StateOptions so;
  so.indicator_paths = o.indicators;
  so.spf = o.spf ? StateOptions::Spf::kOn : StateOptions::Spf::kOff;
  auto built = BuildEngineState(std::move(config).value(), so);
  if (!built.ok()) {
    std::fprintf(stderr, "gfictl scan: indicators not loaded:\n%s\n", built.error().c_str());
    return 2;
  }
  const EngineState& st = *built.value();
  if (!st.invalid_feeds.empty()) {
    // The valid feeds are still used; the run ends in status 2 so scripts notice.
    std::fprintf(stderr, "gfictl scan: %zu invalid feed(s) left out:\n", st.invalid_feeds.size());
    for (const std::string& e : st.feed_errors) std::fprintf(stderr, "  %s\n", e.c_str());
  }
  const bool tenants = !st.policy.tenants.empty();
  int status = 0;
  for (const std::string& file : o.files) {
    std::string raw;
    Status s = ReadMessageFile(file, &raw);
    Result<ScanResult> r = Status::Error("");
    if (s.ok()) {
      ScanOptions opts;
      opts.now = static_cast<int64_t>(std::time(nullptr));
      opts.spf = o.spf;
      opts.mta_host = o.mta_host;
      opts.ref = "GFI-SCAN";
      opts.reveal = o.reveal;
      r = ScanMessage(st, o.envelope, raw, opts);
      if (!r.ok()) s = Status::Error(file + ": " + r.error());
    }
    if (!s.ok()) {
      std::fprintf(stderr, "gfictl scan: %s\n", s.message().c_str());
      status = 2;
      // One JSON object per input file, always: the action is what on_error would do.
      Verdict none;
      none.action = on_error == OnError::kAccept   ? Action::kAccept
                    : on_error == OnError::kReject ? Action::kReject
                                                   : Action::kTempfail;
      if (o.json)
        std::cout << ScanJson(file, none, MessageAnalysis{}, "", false, s.message()) << "\n";
      continue;
    }
    const ScanResult& res = r.value();
    std::cout << (o.json ? ScanJson(file, res.verdict, res.analysis, res.allowed_by, tenants, "") +
                               "\n"
                         : ScanText(file, res.verdict, res.analysis, res.allowed_by, tenants, ""));
    if (!res.verdict.matches.empty() && status == 0) status = 1;
  }
  std::cout.flush();
  return st.invalid_feeds.empty() ? status : 2;
}

}  // namespace

void RegisterScan(CLI::App& app, int* exit_code) {
  auto o = std::make_shared<ScanFlags>();
  CLI::App* cmd = app.add_subcommand(
      "scan", "Match messages against the indicators and print the verdict (exit 0/1/2)");
  cmd->add_flag("--json", o->json, "One JSON object per file, one per line");
  cmd->add_option("--config", o->config_path,
                  "Configuration file (default /etc/gfi-milter/gfi-milter.toml if present)");
  cmd->add_option("--indicators", o->indicators,
                  "Feed file or directory instead of the configured ones; repeatable")
      ->allow_extra_args(false);
  cmd->add_flag("--reveal", o->reveal,
                "Show values of indicators whose marking is sensitive (e.g. TLP:RED)");
  cmd->add_option("--mail-from", o->envelope.mail_from, "Envelope sender (MAIL FROM)");
  cmd->add_option("--rcpt", o->envelope.rcpt_to, "Envelope recipient (RCPT TO); repeatable")
      ->allow_extra_args(false);
  cmd->add_option("--client-ip", o->envelope.client_ip, "Connecting client's IP address");
  cmd->add_option("--helo", o->envelope.helo, "HELO/EHLO name");
  cmd->add_flag("--spf", o->spf,
                "Check SPF of the client (needs --client-ip) with the [spf] resolvers, as the "
                "daemon does; off by default");
  cmd->add_option("--mta-host", o->mta_host,
                  "The MTA's host name (its {j}): the authserv-id when [milter] authserv_id is "
                  "unset");
  cmd->add_option("FILE", o->files, "Message files; - reads standard input")->required();
  cmd->callback([o, exit_code] { *exit_code = RunScan(*o); });
}

}  // namespace gfi
