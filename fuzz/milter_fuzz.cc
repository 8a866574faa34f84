// Fuzzes the milter adapter's input path (milter/assemble.h) as the callbacks drive it, then the
// engine's scan of what it assembled: the input is a sequence of callback events (connect, HELO,
// the {i} macro, MAIL FROM, RCPT TO, header, end of headers, body chunk) with arbitrary data,
// ended by the end of message. Checked: no crash, leak, hang or exception (sanitizers,
// libFuzzer), the message assembled is the header lines with CRLF endings, and a sensitive
// (TLP:RED) match is redacted and shows no value in the verdict log line.
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "engine/engine.h"
#include "engine/scan.h"
#include "indicators/feed.h"
#include "milter/assemble.h"
#include "snapshot/snapshot.h"

namespace {

constexpr int64_t kNow = 1800000000;
constexpr uint64_t kMaxBytes = 256 << 10;

// The values of the TLP:RED feed.
constexpr const char* kRedValues[] = {"red-secret.example", "redsecret@phish.example"};

// One state for every input: a plain feed of every kind the matcher has, and a TLP:RED one.
const gfi::EngineState& State() {
  static const gfi::EngineState* state = [] {
    auto* st = new gfi::EngineState();
    st->config.policy.default_action = gfi::Action::kQuarantine;
    st->policy = gfi::PolicyFromConfig(st->config);
    gfi::Feed plain = gfi::ParseFeed(
        "domain,evil.example,reject,d1\n"
        "email,bad@phish.example,quarantine,e1\n"
        "ip,192.0.2.0/24,tag,i1\n"
        "url,http://login.evil.example/verify,reject,u1\n"
        "subject-regex,(?i)invoice [0-9]+,tag,s1\n"
        "header-regex,X-Mailer: (?i)bulk,tag,h1\n"
        "body-regex,(?i)pass(word)?,tag,b1\n"
        "content,wire transfer,tag,c1\n"
        "filename,*.exe,quarantine,f1\n"
        "sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855,reject,h2\n",
        "csv", "plain.csv");
    gfi::Feed red = gfi::ParseFeed(std::string("domain,") + kRedValues[0] + ",reject,r1\nemail," +
                                       kRedValues[1] + ",reject,r2\n",
                                   "csv", "red.csv");
    red.rules.Transform([](gfi::Rule& r) { r.marking = "TLP:RED"; });
    gfi::SnapshotOptions opts;
    opts.regex_max_mem = 8 << 20;
    auto snap = gfi::IndicatorSnapshot::Build({plain, red}, opts, kNow);
    if (!plain.ok() || !red.ok() || !snap.ok()) std::abort();
    st->snapshot = std::move(snap).value();
    return st;
  }();
  return *state;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const gfi::EngineState& st = State();
  gfi::MessageAssembly m("/tmp", kMaxBytes, kMaxBytes);  // never spills: memory limit = max
  std::string expected;  // what the spool should hold, built independently of AppendHeaderLine
  bool spool_error = false;
  while (in.remaining_bytes() > 0) {
    // libmilter hands C strings: data stops at a NUL, as it would.
    std::string text = in.ConsumeRandomLengthString(4096);
    const char* arg = text.c_str();
    switch (in.ConsumeIntegralInRange<int>(0, 7)) {
      case 0:
        m.env.client_ip = arg;
        m.env.client_name = in.ConsumeRandomLengthString(64);
        break;
      case 1:
        m.env.helo = arg;
        break;
      case 2:
        m.env.queue_id = arg;
        break;
      case 3:
        m.env.mail_from = gfi::EnvelopeAddress(arg);
        (void)gfi::SenderAllowed(st.policy, -1, m.env.mail_from);
        break;
      case 4: {
        std::string rcpt = gfi::EnvelopeAddress(in.ConsumeBool() ? arg : nullptr);
        (void)gfi::RecipientPolicyOf(st.policy, rcpt);
        m.env.rcpt_to.push_back(std::move(rcpt));
        break;
      }
      case 5: {
        std::string value = in.ConsumeRandomLengthString(4096);
        if (!m.Header(arg, value.c_str()).ok()) spool_error = true;
        std::string line = std::string(arg) + ": ";
        for (size_t i = 0; value.c_str()[i] != '\0'; ++i) {
          const char c = value[i];
          if (c == '\r' && value[i + 1] == '\n') continue;
          line += c == '\n' ? std::string("\r\n") : std::string(1, c);
        }
        expected += line + "\r\n";
        break;
      }
      case 6:
        if (!m.EndOfHeaders().ok()) spool_error = true;
        expected += "\r\n";
        break;
      case 7:
        if (!m.Body(reinterpret_cast<const unsigned char*>(text.data()), text.size()).ok())
          spool_error = true;
        expected += text;
        break;
    }
  }
  gfi::Result<std::string_view> raw = m.Message();
  if (!raw.ok()) {
    if (expected.size() <= kMaxBytes && !spool_error) std::abort();  // refused a message in bounds
    return 0;
  }
  if (raw.value() != expected) std::abort();  // the assembled bytes differ from the callbacks'
  gfi::ScanOptions so;
  so.now = kNow;
  so.spf = false;
  so.ref = "GFI-FUZZ";
  gfi::Result<gfi::ScanResult> r = gfi::ScanMessage(st, m.env, raw.value(), so);
  if (!r.ok()) return 0;
  gfi::LogContext lc{m.env.queue_id, so.ref, raw.value().size(), 1.0, ""};
  const std::string line = gfi::VerdictLogLine(r.value(), m.env, lc);
  // A TLP:RED match is redacted, and its log entry ("[r1 domain WHERE ACTION]") shows no value.
  for (const gfi::MatchReport& match : r.value().verdict.matches) {
    if (match.indicator != "r1" && match.indicator != "r2") continue;
    if (!match.redacted || !match.value.empty() || !match.observed.empty()) std::abort();
    const size_t at = line.find("[" + match.indicator + " ");
    if (at != std::string::npos && line.substr(at, line.find(']', at) - at).find("value=") !=
                                       std::string::npos)
      std::abort();
  }
  return 0;
}
