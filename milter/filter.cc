// libmilter callbacks; see filter.h.
//
// Per connection a Connection (client, HELO) and per message a Message: the EngineState pinned at
// MAIL FROM, the envelope, the first recipient's policy (split mode), and the Spool holding the
// header block (rebuilt from the header callbacks, CRLF-terminated) followed by the body as the
// MTA sent it (milter/assemble.h: the input path, without libmilter, which the fuzzer drives).
// The scan itself is the library's (engine/scan.h); here it is mapped to libmilter.
#include "milter/filter.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <syslog.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <ctime>
#include <optional>
#include <memory>
#include <string>
#include <vector>

#include "engine/scan.h"
#include "extract/analyzer.h"
#include "hits/recorder.h"
#include "milter/assemble.h"
#include "milter/spool.h"
#include "quarantine/store.h"
#include "util/strings.h"

namespace gfi {
namespace {

Engine* g_engine = nullptr;
HitWriter* g_hits = nullptr;
NullMetrics g_no_metrics;
Metrics* g_metrics = &g_no_metrics;

struct Message {
  explicit Message(std::shared_ptr<const EngineState> s)
      : state(std::move(s)),
        in(state->config.milter.spool_dir, state->config.milter.memory_per_message,
           state->config.milter.max_message_bytes) {}
  std::shared_ptr<const EngineState> state;
  MessageAssembly in;  // the envelope and the spooled message
  Envelope& env = in.env;
  std::string ref;
  std::optional<RecipientPolicy> first_rcpt;  // split mode: every recipient's
  std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
  std::string deferred_error;  // met where no reply could be sent; answered at end of message
};

struct Connection {
  std::string client_ip;
  std::string client_name;
  std::string helo;
  std::string mta_host;  // {j}
  bool smtp = false;     // a network client (not local submission)
  bool quiet_headers = false;  // SMFIP_NR_HDR negotiated: no replies to headers
  bool quiet_body = false;     // SMFIP_NR_EOH and SMFIP_NR_BODY: none to those either
  bool quiet_connect = false;  // SMFIP_NR_CONN
  bool quiet_helo = false;     // SMFIP_NR_HELO
  std::string deferred_error;  // met at connect/HELO without a reply; answered at end of message
  std::unique_ptr<Message> msg;
};

std::string NewRef() {
  static std::atomic<uint32_t> counter{0};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "GFI-%08lX%05X", static_cast<unsigned long>(std::time(nullptr)),
                counter.fetch_add(1, std::memory_order_relaxed) & 0xFFFFFu);
  return buf;
}

std::string Macro(SMFICTX* ctx, const char* name) {
  char* v = smfi_getsymval(ctx, const_cast<char*>(name));
  return v == nullptr ? std::string() : std::string(v);
}

std::string ReplyText(const std::string& tmpl, const std::string& ref) {
  std::string out = tmpl;
  size_t p = out.find("{ref}");
  if (p != std::string::npos) out.replace(p, 5, ref);
  return out;
}

Connection* Conn(SMFICTX* ctx) { return static_cast<Connection*>(smfi_getpriv(ctx)); }

std::shared_ptr<const EngineState> CurrentState(Connection* c) {
  if (c != nullptr && c->msg && c->msg->state) return c->msg->state;
  return g_engine->state();
}

Message* EnsureMessage(SMFICTX* ctx, Connection* c) {
  if (!c->msg) {
    auto m = std::make_unique<Message>(g_engine->state());
    m->ref = NewRef();
    m->env.client_ip = c->client_ip;
    m->env.client_name = c->client_name;
    m->env.helo = c->helo;
    m->env.queue_id = Macro(ctx, "i");
    m->deferred_error = c->deferred_error;
    c->msg = std::move(m);
  }
  return c->msg.get();
}

std::string QueueId(SMFICTX* ctx, Message* m) {
  if (m->env.queue_id.empty()) m->env.queue_id = Macro(ctx, "i");
  return m->env.queue_id.empty() ? "NOQUEUE" : m->env.queue_id;
}

// [milter] on_error for a message that cannot be scanned: logged with the reason, counted.
sfsistat AnswerOnError(SMFICTX* ctx, Connection* c, const std::string& why) {
  g_engine->CountError();
  auto st = CurrentState(c);
  const OnError mode = st->config.milter.on_error;
  std::string qid = "NOQUEUE", ref = "-";
  if (c != nullptr && c->msg) {
    qid = QueueId(ctx, c->msg.get());
    ref = c->msg->ref;
  }
  syslog(LOG_ERR, "%s: ref=%s error=\"%s\" on_error=%s", qid.c_str(), ref.c_str(),
         PrintableUtf8(why).c_str(), ToString(mode).data());
  if (mode == OnError::kAccept) return SMFIS_ACCEPT;
  if (mode == OnError::kReject) {
    std::string text = ReplyText(st->config.milter.reject_reply, ref);
    smfi_setreply(ctx, const_cast<char*>("550"), const_cast<char*>("5.7.1"), text.data());
    return SMFIS_REJECT;
  }
  std::string text = "Message could not be scanned, try again later (reference " + ref + ")";
  smfi_setreply(ctx, const_cast<char*>("451"), const_cast<char*>("4.7.1"), text.data());
  return SMFIS_TEMPFAIL;
}

// Runs a callback body; any exception becomes on_error.
template <typename F>
sfsistat Guard(SMFICTX* ctx, const char* where, F&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    try {
      return AnswerOnError(ctx, Conn(ctx), std::string(where) + ": " + e.what());
    } catch (...) {
      return SMFIS_TEMPFAIL;
    }
  } catch (...) {
    try {
      return AnswerOnError(ctx, Conn(ctx), std::string(where) + ": unknown exception");
    } catch (...) {
      return SMFIS_TEMPFAIL;
    }
  }
}

std::string AddressText(const sockaddr* sa) {
  if (sa == nullptr) return "";
  char buf[INET6_ADDRSTRLEN] = {0};
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, buf, sizeof(buf));
  } else if (sa->sa_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(sa);
    if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
      inet_ntop(AF_INET, in6->sin6_addr.s6_addr + 12, buf, sizeof(buf));
    } else {
      inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof(buf));
    }
  }
  return buf;
}

sfsistat OnNegotiate(SMFICTX* ctx, unsigned long f0, unsigned long f1, unsigned long /*f2*/,
                     unsigned long /*f3*/, unsigned long* pf0, unsigned long* pf1,
                     unsigned long* pf2, unsigned long* pf3) {
  return Guard(ctx, "negotiate", [&]() -> sfsistat {
    const unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE | SMFIF_SETSYMLIST;
    *pf0 = f0 & want;
    // Steps we do not need. We reply to every command (no SMFIP_NR_*) and keep the DATA step:
    // Postfix sends a macro packet at DATA whatever we ask; without a DATA command for us to
    // answer, that packet waits for our delayed ACK and cleanup's first write after it stalls
    // behind Nagle, ~40 ms per message over TCP. Our reply to DATA carries the ACK at once.
    *pf1 = f1 & SMFIP_NOUNKNOWN;
    // Packets up to 1 MiB (main.cc sets libmilter's limit); an MTA that negotiates the size
    // (Sendmail) is told so. Postfix does not negotiate it and sends headers whole.
    *pf1 |= f1 & SMFIP_MDS_1M;
    // Headers need no reply (every error there is answered at the end of the message): a round
    // trip less per header, on both transports now that our listening socket has TCP_NODELAY
    // (the e2e stall test: +0.7 ms a message over TCP, against +3 ms with replies). The end of
    // the headers and body chunks go without replies over a unix socket only: over TCP our reply
    // to EOH and to each chunk is what ACKs Postfix's last partial segment at once; without it,
    // Postfix's end-of-message packet can wait behind Nagle for our delayed ACK (a 79 ms p99 was
    // seen in bench/milter_bench.py with them unanswered).
    const std::string& sock = g_engine->state()->config.milter.socket;
    const unsigned long quiet_body = SMFIP_NR_EOH | SMFIP_NR_BODY;
    bool unix_socket = sock.rfind("unix:", 0) == 0 || sock.rfind("local:", 0) == 0;
    Connection* c = Conn(ctx);
    if (c == nullptr) {
      c = new Connection();
      smfi_setpriv(ctx, c);
    }
    c->quiet_headers = (f1 & SMFIP_NR_HDR) != 0;
    if (c->quiet_headers) *pf1 |= SMFIP_NR_HDR;
    c->quiet_body = unix_socket && c->quiet_headers && (f1 & quiet_body) == quiet_body;
    if (c->quiet_body) *pf1 |= quiet_body;
    // Likewise connect (unless client networks are allow-listed: that answer is "accept") and
    // HELO; and no DATA step (the stall it avoids is a TCP one).
    c->quiet_helo = unix_socket && (f1 & SMFIP_NR_HELO) != 0;
    if (c->quiet_helo) *pf1 |= SMFIP_NR_HELO;
    c->quiet_connect = unix_socket && (f1 & SMFIP_NR_CONN) != 0 &&
                       g_engine->state()->policy.allow_networks.empty();
    if (c->quiet_connect) *pf1 |= SMFIP_NR_CONN;
    if (unix_socket) *pf1 |= f1 & SMFIP_NODATA;
    *pf2 = 0;
    *pf3 = 0;
    if (f0 & SMFIF_SETSYMLIST) {
      smfi_setsymlist(ctx, SMFIM_CONNECT, const_cast<char*>("j"));
      smfi_setsymlist(ctx, SMFIM_ENVFROM, const_cast<char*>("i"));
      smfi_setsymlist(ctx, SMFIM_ENVRCPT, const_cast<char*>("i"));
      smfi_setsymlist(ctx, SMFIM_EOM, const_cast<char*>("i"));
    }
    return SMFIS_CONTINUE;
  });
}

// Connect and HELO without a reply (quiet): errors wait for the end of the message.
template <typename F>
sfsistat QuietOr(SMFICTX* ctx, const char* where, bool quiet, F&& body) noexcept {
  if (!quiet) return Guard(ctx, where, body);
  try {
    body();
  } catch (const std::exception& e) {
    try {
      if (Connection* c = Conn(ctx); c != nullptr && c->deferred_error.empty())
        c->deferred_error = std::string(where) + ": " + e.what();
    } catch (...) {
    }
  } catch (...) {
  }
  return SMFIS_NOREPLY;
}

sfsistat OnConnect(SMFICTX* ctx, char* hostname, _SOCK_ADDR* hostaddr) {
  Connection* pre = Conn(ctx);
  return QuietOr(ctx, "connect", pre != nullptr && pre->quiet_connect, [&]() -> sfsistat {
    Connection* c = Conn(ctx);  // made at negotiation, or now for an MTA that skips it
    if (c == nullptr) {
      c = new Connection();
      smfi_setpriv(ctx, c);
    }
    c->client_name = hostname != nullptr ? hostname : "";
    c->client_ip = AddressText(hostaddr);
    c->smtp = !c->client_ip.empty();
    c->mta_host = Macro(ctx, "j");
    auto st = g_engine->state();
    if (c->smtp && ClientAllowed(st->policy, c->client_ip)) {
      syslog(LOG_INFO, "NOQUEUE: client=%s[%s] allowed by [allow] client_networks",
             PrintableUtf8(c->client_name).c_str(), c->client_ip.c_str());
      return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
  });
}

sfsistat OnHelo(SMFICTX* ctx, char* helo) {
  Connection* pre = Conn(ctx);
  return QuietOr(ctx, "helo", pre != nullptr && pre->quiet_helo, [&]() -> sfsistat {
    Connection* c = Conn(ctx);
    if (c != nullptr && helo != nullptr) c->helo = helo;
    return SMFIS_CONTINUE;
  });
}

sfsistat OnEnvFrom(SMFICTX* ctx, char** argv) {
  return Guard(ctx, "mail", [&]() -> sfsistat {
    Connection* c = Conn(ctx);
    if (c == nullptr) return AnswerOnError(ctx, c, "MAIL FROM before connect");
    c->msg.reset();
    Message* m = EnsureMessage(ctx, c);
    m->env.mail_from = EnvelopeAddress(argv != nullptr ? argv[0] : nullptr);
    if (SenderAllowed(m->state->policy, -1, m->env.mail_from)) {
      syslog(LOG_INFO, "%s: ref=%s from=<%s> allowed by [allow] senders",
             QueueId(ctx, m).c_str(), m->ref.c_str(), PrintableUtf8(m->env.mail_from).c_str());
      c->msg.reset();
      return SMFIS_ACCEPT;
    }
    return SMFIS_CONTINUE;
  });
}

sfsistat OnEnvRcpt(SMFICTX* ctx, char** argv) {
  return Guard(ctx, "rcpt", [&]() -> sfsistat {
    Connection* c = Conn(ctx);
    if (c == nullptr) return AnswerOnError(ctx, c, "RCPT TO before connect");
    Message* m = EnsureMessage(ctx, c);
    std::string rcpt = EnvelopeAddress(argv != nullptr ? argv[0] : nullptr);
    const PolicySettings& p = m->state->policy;
    RecipientPolicy rp = RecipientPolicyOf(p, rcpt);
    if (!m->first_rcpt) {
      m->first_rcpt = rp;
    } else if (p.split_mixed_tenants && c->smtp && !c->helo.empty() && rp != *m->first_rcpt) {
      // (Local submission — Postfix's non_smtpd_milters, no HELO — cannot retry a recipient, so
      // it always gets the strictest verdict of all tenants instead.)
      // One policy per transaction: the client sends this recipient again, separately.
      g_engine->CountSplit();
      smfi_setreply(ctx, const_cast<char*>("452"), const_cast<char*>("4.5.3"),
                    const_cast<char*>("Recipients with a different filtering policy must be "
                                      "sent in a separate transaction; try again"));
      return SMFIS_TEMPFAIL;
    }
    m->env.rcpt_to.push_back(std::move(rcpt));
    return SMFIS_CONTINUE;
  });
}

sfsistat OnData(SMFICTX* ctx) {
  return Guard(ctx, "data", [&]() -> sfsistat {
    return SMFIS_CONTINUE;
  });
}

// Header, end of headers and body: when their replies were negotiated away none may be sent,
// so errors (and exceptions) are kept for the end of the message.
template <typename F>
sfsistat Content(SMFICTX* ctx, const char* where, bool header, F&& body) noexcept {
  Connection* c = Conn(ctx);
  bool quiet = c != nullptr && (header ? c->quiet_headers : c->quiet_body);
  auto defer = [&](const std::string& why) -> sfsistat {
    if (!quiet) return AnswerOnError(ctx, c, why);
    if (c->msg && c->msg->deferred_error.empty()) c->msg->deferred_error = why;
    return SMFIS_NOREPLY;
  };
  try {
    if (c == nullptr) return AnswerOnError(ctx, c, std::string(where) + " before connect");
    Message* m = EnsureMessage(ctx, c);
    if (Status st = body(m); !st.ok()) return defer(st.message());
    return quiet ? SMFIS_NOREPLY : SMFIS_CONTINUE;
  } catch (const std::exception& e) {
    try {
      return defer(std::string(where) + ": " + e.what());
    } catch (...) {
      return quiet ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
    }
  } catch (...) {
    return quiet ? SMFIS_NOREPLY : SMFIS_TEMPFAIL;
  }
}

sfsistat OnHeader(SMFICTX* ctx, char* name, char* value) {
  return Content(ctx, "header", /*header=*/true, [&](Message* m) -> Status {
    // (Forged copies of our headers are found by ScanMessage in the spooled header block, which
    // keeps the headers in the MTA's order: the indices it gives are smfi_chgheader's.)
    return m->in.Header(name, value);
  });
}

sfsistat OnEoh(SMFICTX* ctx) {
  return Content(ctx, "eoh", /*header=*/false,
                 [&](Message* m) -> Status { return m->in.EndOfHeaders(); });
}

sfsistat OnBody(SMFICTX* ctx, unsigned char* chunk, size_t len) {
  return Content(ctx, "body", /*header=*/false, [&](Message* m) -> Status {
    return m->in.Body(chunk, len);
  });
}

QuarantineEntry EntryFor(const Message& m, const Verdict& v, const MessageAnalysis& a,
                         QuarantineMode mode) {
  QuarantineEntry e;
  e.ref = m.ref;
  e.queue_id = m.env.queue_id;
  e.client_ip = m.env.client_ip;
  e.client_name = m.env.client_name;
  e.helo = m.env.helo;
  e.mail_from = m.env.mail_from;
  e.rcpts = m.env.rcpt_to;
  for (const HeaderField& h : a.headers) {
    if (EqualsIgnoreCase(h.name, "from") && e.header_from.empty()) e.header_from = h.value;
  }
  e.subject = a.subject;
  e.tenant = v.tenant;
  e.host = StoreHostName(m.state->config);
  e.action = std::string(ToString(v.action));
  e.mode = mode;
  e.size = m.in.spool.size();
  for (const MatchReport& r : v.matches)
    e.matches.push_back({r.indicator, r.type, std::string(ToString(r.where)),
                         std::string(ToString(r.action))});
  return e;
}

// Forged copies of our headers go first (highest index first: indices stay valid), then ours at
// the top, in the library's order.
void EditHeaders(SMFICTX* ctx, const ScanResult& r) {
  for (auto it = r.remove_headers.rbegin(); it != r.remove_headers.rend(); ++it)
    smfi_chgheader(ctx, const_cast<char*>(it->name.c_str()), it->index, nullptr);
  for (auto it = r.add_headers.rbegin(); it != r.add_headers.rend(); ++it)
    smfi_insheader(ctx, 0, const_cast<char*>(it->first.c_str()),
                   const_cast<char*>(it->second.c_str()));
}

sfsistat OnEom(SMFICTX* ctx) {
  return Guard(ctx, "eom", [&]() -> sfsistat {
    Connection* c = Conn(ctx);
    if (c == nullptr) return AnswerOnError(ctx, c, "end of message before connect");
    Message* m = EnsureMessage(ctx, c);
    const EngineState& st = *m->state;
    const MilterConfig& mc = st.config.milter;
    m->start = std::chrono::steady_clock::now();  // scan_ms: our time at the end of the message
    QueueId(ctx, m);
    if (!m->deferred_error.empty()) return AnswerOnError(ctx, c, m->deferred_error);
    Result<std::string_view> raw = m->in.Message();
    if (!raw.ok()) return AnswerOnError(ctx, c, raw.error());

    ScanOptions so;
    so.now = static_cast<int64_t>(std::time(nullptr));
    so.spf = c->smtp;
    so.mta_host = c->mta_host;
    so.ref = m->ref;
    Result<ScanResult> scanned = ScanMessage(st, m->env, raw.value(), so);
    if (!scanned.ok()) return AnswerOnError(ctx, c, scanned.error());
    const ScanResult& r = scanned.value();
    LogContext lc{
        m->env.queue_id, m->ref, m->in.spool.size(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m->start)
            .count(),
        ""};
    const Verdict& v = r.verdict;

    sfsistat result = SMFIS_CONTINUE;
    if (!r.allowed_by.empty()) {
      // Unscanned: left as it is.
    } else if (v.action == Action::kAccept || v.action == Action::kTag) {
      EditHeaders(ctx, r);
    } else if (v.action == Action::kQuarantine && st.config.quarantine.mode == QuarantineMode::kHold) {
      std::string reason = "gfi-milter " + m->ref;
      if (smfi_quarantine(ctx, reason.data()) != MI_SUCCESS)
        return AnswerOnError(ctx, c, "the MTA refused to quarantine (smfi_quarantine)");
      EditHeaders(ctx, r);
      lc.note = "quarantine=hold";
      if (st.quarantine) {  // recorded without the body; the MTA keeps the message
        Result<std::string> id =
            st.quarantine->Put(EntryFor(*m, v, r.analysis, QuarantineMode::kHold), std::nullopt);
        if (!id.ok())
          syslog(LOG_ERR, "%s: ref=%s quarantine index: %s (message is in the hold queue)",
                 m->env.queue_id.c_str(), m->ref.c_str(), id.error().c_str());
      }
    } else if (v.action == Action::kQuarantine) {
      if (!st.quarantine) return AnswerOnError(ctx, c, "quarantine store not open");
      Result<std::string> id =
          st.quarantine->Put(EntryFor(*m, v, r.analysis, QuarantineMode::kStore), raw.value());
      if (!id.ok()) return AnswerOnError(ctx, c, id.error());
      lc.note = "quarantine=store id=" + id.value();
      result = SMFIS_DISCARD;
    } else if (v.action == Action::kTempfail || v.action == Action::kReject) {
      bool reject = v.action == Action::kReject;
      std::string text = ReplyText(reject ? mc.reject_reply : mc.tempfail_reply, m->ref);
      smfi_setreply(ctx, const_cast<char*>(reject ? "550" : "451"),
                    const_cast<char*>(reject ? "5.7.1" : "4.7.1"), text.data());
      result = reject ? SMFIS_REJECT : SMFIS_TEMPFAIL;
    } else {
      result = SMFIS_DISCARD;
    }
    syslog(LOG_INFO, "%s", VerdictLogLine(r, m->env, lc).c_str());
    g_engine->CountMessage(v.action);
    // Ids and names only (hits/recorder.h); the writer thread does the I/O.
    if (g_hits != nullptr) g_hits->Push(HitsOf(r, st.policy, so.now));
    g_metrics->OnMessage(r, lc.scan_ms / 1000.0, lc.size);
    c->msg.reset();
    return result;
  });
}

sfsistat OnAbort(SMFICTX* ctx) {
  return Guard(ctx, "abort", [&]() -> sfsistat {
    Connection* c = Conn(ctx);
    if (c != nullptr) c->msg.reset();
    return SMFIS_CONTINUE;
  });
}

sfsistat OnClose(SMFICTX* ctx) {
  return Guard(ctx, "close", [&]() -> sfsistat {
    delete Conn(ctx);
    smfi_setpriv(ctx, nullptr);
    return SMFIS_CONTINUE;
  });
}

}  // namespace

void SetFilterMetrics(Metrics* metrics) { g_metrics = metrics != nullptr ? metrics : &g_no_metrics; }

smfiDesc MakeFilter(Engine* engine, HitWriter* hits) {
  g_engine = engine;
  g_hits = hits;
  smfiDesc d{};
  d.xxfi_name = const_cast<char*>("gfi-milter");
  d.xxfi_version = SMFI_VERSION;
  d.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE;
  d.xxfi_connect = OnConnect;
  d.xxfi_helo = OnHelo;
  d.xxfi_envfrom = OnEnvFrom;
  d.xxfi_envrcpt = OnEnvRcpt;
  d.xxfi_header = OnHeader;
  d.xxfi_eoh = OnEoh;
  d.xxfi_body = OnBody;
  d.xxfi_eom = OnEom;
  d.xxfi_abort = OnAbort;
  d.xxfi_close = OnClose;
  d.xxfi_unknown = nullptr;
  d.xxfi_data = OnData;
  d.xxfi_negotiate = OnNegotiate;
  return d;
}

}  // namespace gfi
