// `gfictl quarantine list|show|release|delete|purge` and `gfictl status` (`check` is in
// quarantine_check.cc, the shared helpers in quarantine_common.h). Entries are named by id, by the
// GFI-... reference of the SMTP reply or by the MTA's queue id.
//
// Every change an admin makes is recorded in the entry's history (who, when, what) and sent to
// syslog (mail facility) — the audit log. Release is exactly-once: the entry is claimed
// (held -> releasing) in one SQLite transaction before delivery, so two concurrent releases of one
// id cannot both deliver; it is marked released only after the MTA accepted the message, and goes
// back to held (with the refusal in its history) when the MTA refuses.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>


#include "commands.h"
#include "config/config.h"
#include "engine/release.h"
#include "hits/hit_store.h"
#include "hits/recorder.h"
#include "engine_setup.h"
#include "extract/analyzer.h"
#include "quarantine/store.h"
#include "quarantine_common.h"
#include "quarantine/mta.h"
#include "util/json_writer.h"
#include "util/net.h"
#include "util/strings.h"
#include "util/time.h"

namespace gfi {
namespace {

std::optional<int64_t> ParseTime(const std::string& s) {
  return ParsePointInTime(s, static_cast<int64_t>(std::time(nullptr)));
}

struct Common {
  std::string config_path;
  bool json = false;
};

void WriteEntryJson(JsonWriter& w, const QuarantineEntry& e, bool history) {
  w.BeginObject();
  w.Key("id").String(e.id);
  w.Key("time").String(TimeText(e.time));
  w.Key("ref").String(e.ref);
  w.Key("queue_id").String(e.queue_id);
  w.Key("client_ip").String(e.client_ip);
  w.Key("client_name").String(e.client_name);
  w.Key("helo").String(e.helo);
  w.Key("mail_from").String(e.mail_from);
  w.Key("rcpt").BeginArray();
  for (const std::string& r : e.rcpts) w.String(r);
  w.EndArray();
  w.Key("from").String(e.header_from);
  w.Key("subject").String(e.subject);
  w.Key("size").Uint(e.size);
  w.Key("sha256").String(e.sha256);
  w.Key("tenant").String(e.tenant);
  w.Key("host").String(e.host);
  w.Key("action").String(e.action);
  w.Key("mode").String(ToString(e.mode));
  w.Key("status").String(ToString(e.status));
  w.Key("matches").BeginArray();
  for (const QuarantineMatch& m : e.matches) {
    w.BeginObject();
    w.Key("indicator").String(m.indicator);
    w.Key("type").String(m.type);
    w.Key("where").String(m.where);
    w.Key("action").String(m.action);
    w.EndObject();
  }
  w.EndArray();
  if (history) {
    w.Key("history").BeginArray();
    for (const QuarantineEvent& h : e.history) {
      w.BeginObject();
      w.Key("time").String(TimeText(h.time));
      w.Key("status").String(ToString(h.status));
      w.Key("by").String(h.by);
      if (!h.detail.empty()) w.Key("detail").String(h.detail);
      w.EndObject();
    }
    w.EndArray();
  }
  w.EndObject();
}

// A typed name, for printf.
template <typename E>
const char* Name(E e) {
  return ToString(e).data();  // the name tables hold string literals: NUL-terminated
}

std::string Cut(const std::string& s, size_t n) {
  std::string p = PrintableUtf8(s);
  return p.size() <= n ? p : p.substr(0, n - 3) + "...";
}

// --- list -------------------------------------------------------------------------------------

struct ListOptions : Common {
  std::string since, until, status;
  QuarantineFilter filter;
};

int RunList(const ListOptions& o) {
  QuarantineFilter f = o.filter;
  if (!o.status.empty()) f.status = kQuarantineStatusNames.Parse(o.status);  // checked by CLI11
  for (auto [text, dst] : {std::pair{o.since, &f.since}, std::pair{o.until, &f.until}}) {
    if (text.empty()) continue;
    auto t = ParseTime(text);
    if (!t) {
      std::fprintf(stderr, "gfictl quarantine list: '%s' is not a time (YYYY-MM-DD[THH:MM[:SS]], "
                           "unix seconds, or an age like 2h or 7d)\n", text.c_str());
      return 2;
    }
    *dst = *t;
  }
  Config config;
  auto store = OpenConfiguredStore(o.config_path, "gfictl quarantine list", true, &config);
  if (store == nullptr) return 2;
  auto entries = store->List(f);
  if (!entries.ok()) {
    std::fprintf(stderr, "gfictl quarantine list: %s\n", entries.error().c_str());
    return 2;
  }
  if (o.json) {
    for (const QuarantineEntry& e : entries.value()) {
      JsonWriter w;
      WriteEntryJson(w, e, false);
      std::cout << w.Take() << "\n";
    }
    return 0;
  }
  std::printf("%-32s %-20s %-16s %-9s %-10s %-28s %-28s %s\n", "ID", "TIME", "HOST", "STATUS",
              "ACTION", "FROM", "TO", "SUBJECT / MATCHES");
  for (const QuarantineEntry& e : entries.value()) {
    std::string to = e.rcpts.empty() ? "" : e.rcpts[0];
    if (e.rcpts.size() > 1) to += " +" + std::to_string(e.rcpts.size() - 1);
    std::string ids;
    for (const QuarantineMatch& m : e.matches) ids += (ids.empty() ? "" : ",") + m.indicator;
    std::printf("%-32s %-20s %-16s %-9s %-10s %-28s %-28s %s [%s]\n", e.id.c_str(),
                TimeText(e.time).c_str(), Cut(e.host, 16).c_str(), Name(e.status), e.action.c_str(),
                Cut(e.mail_from, 28).c_str(), Cut(to, 28).c_str(), Cut(e.subject, 40).c_str(),
                Cut(ids, 60).c_str());
  }
  // A total line, as postqueue -p ends with: all entries the filter selects, not just those shown.
  auto total = store->Count(f);
  if (!total.ok()) {
    std::fprintf(stderr, "gfictl quarantine list: %s\n", total.error().c_str());
    return 2;
  }
  const QuarantineStore::Totals& t = total.value();
  std::printf("-- %zu %s, %llu KB", t.entries, t.entries == 1 ? "entry" : "entries",
              static_cast<unsigned long long>((t.bytes + 1023) / 1024));
  if (entries.value().size() < t.entries)
    std::printf(" (%zu shown; --limit N for more)", entries.value().size());
  std::printf("\n");
  return 0;
}

// --- show -------------------------------------------------------------------------------------

struct ShowOptions : Common {
  std::string id;
  bool raw = false;
};

int RunShow(const ShowOptions& o) {
  Config config;
  auto store = OpenConfiguredStore(o.config_path, "gfictl quarantine show", true, &config);
  if (store == nullptr) return 2;
  auto id = ResolveEntryId(*store, o.id);
  if (!id.ok()) {
    std::fprintf(stderr, "gfictl quarantine show: %s\n", id.error().c_str());
    return 2;
  }
  if (o.raw) {
    auto raw = store->ReadRaw(id.value());
    if (!raw.ok()) {
      std::fprintf(stderr, "gfictl quarantine show: %s\n", raw.error().c_str());
      return 2;
    }
    std::cout << raw.value();
    std::cout.flush();
    return 0;
  }
  auto e = store->Get(id.value());
  if (!e.ok()) {
    std::fprintf(stderr, "gfictl quarantine show: %s\n", e.error().c_str());
    return 2;
  }
  const QuarantineEntry& q = e.value();
  // The message bytes of a store-mode entry must be there and intact: exit 1 when not (the
  // metadata is printed all the same).
  std::optional<Result<std::string>> raw;
  if (q.mode == QuarantineMode::kStore && q.status != QuarantineStatus::kDeleted)
    raw = store->ReadRaw(q.id);
  const int rc = raw && !raw->ok() ? 1 : 0;
  if (raw && !raw->ok()) std::fprintf(stderr, "gfictl quarantine show: %s\n", raw->error().c_str());
  if (o.json) {
    JsonWriter w;
    WriteEntryJson(w, q, true);
    std::cout << w.Take() << "\n";
    return rc;
  }
  std::printf("id:        %s\ntime:      %s\nhost:      %s\nstatus:    %s\naction:    %s (%s)\n"
              "reference: %s\n",
              q.id.c_str(), TimeText(q.time).c_str(), PrintableUtf8(q.host).c_str(), Name(q.status),
              q.action.c_str(), Name(q.mode), q.ref.c_str());
  std::printf("queue id:  %s\nclient:    %s [%s] helo=%s\nmail from: <%s>\n", q.queue_id.c_str(),
              PrintableUtf8(q.client_name).c_str(), q.client_ip.c_str(),
              PrintableUtf8(q.helo).c_str(), PrintableUtf8(q.mail_from).c_str());
  for (const std::string& r : q.rcpts) std::printf("rcpt to:   <%s>\n", PrintableUtf8(r).c_str());
  std::printf("from:      %s\nsubject:   %s\ntenant:    %s\nsize:      %llu\nsha256:    %s\n",
              PrintableUtf8(q.header_from).c_str(), PrintableUtf8(q.subject).c_str(),
              q.tenant.c_str(), static_cast<unsigned long long>(q.size), q.sha256.c_str());
  std::printf("matches:\n");
  for (const QuarantineMatch& m : q.matches)
    std::printf("  indicator %s (%s) matched in %s -> %s\n", PrintableUtf8(m.indicator).c_str(),
                m.type.c_str(), m.where.c_str(), m.action.c_str());
  if (q.matches.empty()) std::printf("  (none recorded)\n");
  std::printf("history:\n");
  for (const QuarantineEvent& h : q.history)
    std::printf("  %s %s by %s%s%s\n", TimeText(h.time).c_str(), Name(h.status),
                PrintableUtf8(h.by).c_str(), h.detail.empty() ? "" : ": ",
                PrintableUtf8(h.detail).c_str());
  if (raw) {
    if (!raw->ok()) {
      std::printf("message:   unavailable: %s\n", raw->error().c_str());
    } else {
      std::string_view m = raw->value();
      size_t end = m.find("\r\n\r\n");
      if (end == std::string_view::npos) end = m.find("\n\n");
      std::printf("headers:\n");
      std::istringstream hs(std::string(m.substr(0, end == std::string_view::npos ? m.size() : end)));
      std::string line;
      while (std::getline(hs, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::printf("  %s\n", PrintableUtf8(line).c_str());
      }
      // MIME structure, as the engine reads it (the limits of the configuration apply).
      MessageAnalysis a = AnalyzeMessage(m, Envelope{}, config.limits);
      std::printf("structure:\n");
      for (const PartReport& p : a.parts) {
        std::printf("  %-8s %-32s %10llu bytes%s%s%s\n", p.path.c_str(),
                    PrintableUtf8(p.content_type).c_str(), static_cast<unsigned long long>(p.size),
                    p.filename.empty() ? "" : "  \"", PrintableUtf8(p.filename).c_str(),
                    p.filename.empty() ? "" : "\"");
        for (const ArchiveMember& am : p.members)
          std::printf("           member %s (%llu bytes)\n", PrintableUtf8(am.name).c_str(),
                      static_cast<unsigned long long>(am.size));
      }
      for (const std::string& d : a.defects) std::printf("  defect: %s\n", PrintableUtf8(d).c_str());
    }
  }
  return rc;
}

// --- release ----------------------------------------------------------------------------------

struct ReleaseOptions : Common {
  std::vector<std::string> ids;
  std::vector<std::string> to;
  bool force = false;
  bool false_positive = false;
};

// A release as a false positive goes into the hit records (hits/recorder.h), for gfictl report.
Status RecordFalsePositive(const Config& config, const QuarantineEntry& e) {
  HitStoreOpenOptions so;  // not created here: the daemon's file, with the daemon's owner
  auto store = OpenHitStore(config, so);
  if (!store.ok()) return store.status();
  HitBatch b;
  b.false_positives = FalsePositivesOf(e, static_cast<int64_t>(std::time(nullptr)));
  return store.value()->Write(b);
}

int RunRelease(const ReleaseOptions& o) {
  Config config;
  auto store = OpenConfiguredStore(o.config_path, "gfictl quarantine release", false, &config);
  if (store == nullptr) return 2;
  QuarantineStore& q = *store;
  // A target that runs this milter would quarantine the message again (release_guard.h).
  if (Status s = CheckReleaseVia(config); !s.ok()) {
    if (!o.force) {
      std::fprintf(stderr,
                   "gfictl quarantine release: refusing release_via %s: %s (--force to "
                   "release there anyway)\n",
                   config.quarantine.release_via.c_str(), s.message().c_str());
      return 2;
    }
    std::fprintf(stderr, "gfictl quarantine release: warning: %s (--force)\n", s.message().c_str());
  }
  int rc = 0;
  for (const std::string& key : ExpandStdinIds(o.ids)) {
    auto resolved = ResolveEntryId(q, key);
    if (!resolved.ok()) {
      std::fprintf(stderr, "gfictl quarantine release: %s\n", resolved.error().c_str());
      rc = 2;
      continue;
    }
    const std::string& id = resolved.value();
    auto e = q.Get(id);
    if (!e.ok()) {
      std::fprintf(stderr, "gfictl quarantine release: %s\n", e.error().c_str());
      rc = 2;
      continue;
    }
    ReleaseRequest req;
    req.to = o.to;
    req.force = o.force;
    req.actor = Actor();
    const ReleaseResult r = ReleaseEntry(q, config, e.value(), req);
    switch (r.outcome) {
      case ReleaseResult::Outcome::kReleased:
        if (!r.warning.empty())
          std::fprintf(stderr, "gfictl quarantine release: %s: warning: %s\n", id.c_str(),
                       r.warning.c_str());
        Audit("released " + id + " to " + r.to_text + " via " + r.how + r.proof +
              (o.false_positive ? " as a false positive" : ""));
        std::printf("%s: released to %s%s\n", id.c_str(), r.to_text.c_str(), r.proof.c_str());
        if (o.false_positive) {
          if (Status fp = RecordFalsePositive(config, e.value()); !fp.ok()) {
            std::fprintf(stderr,
                         "gfictl quarantine release: %s: released, but the false positive was "
                         "not recorded: %s\n",
                         id.c_str(), fp.message().c_str());
            rc = rc == 0 ? 1 : rc;
          } else {
            std::printf("%s: recorded as a false positive of %zu indicator(s)\n", id.c_str(),
                        FalsePositivesOf(e.value(), 0).size());
          }
        }
        break;
      case ReleaseResult::Outcome::kRefused:
        std::fprintf(stderr, "gfictl quarantine release: %s\n", r.error.c_str());
        rc = rc == 0 ? 1 : rc;
        break;
      case ReleaseResult::Outcome::kFailed:
        Audit("release of " + id + " failed: " + r.error);
        std::fprintf(stderr, "gfictl quarantine release: %s: %s (still held)\n", id.c_str(),
                     r.error.c_str());
        rc = rc == 0 ? 1 : rc;
        break;
    }
  }
  return rc;
}

// --- delete / purge ---------------------------------------------------------------------------

struct DeleteOptions : Common {
  std::vector<std::string> ids;
};

int RunDelete(const DeleteOptions& o) {
  Config config;
  auto store = OpenConfiguredStore(o.config_path, "gfictl quarantine delete", false, &config);
  if (store == nullptr) return 2;
  int rc = 0;
  for (const std::string& key : ExpandStdinIds(o.ids)) {
    auto resolved = ResolveEntryId(*store, key);
    if (!resolved.ok()) {
      std::fprintf(stderr, "gfictl quarantine delete: %s\n", resolved.error().c_str());
      rc = rc == 0 ? 1 : rc;
      continue;
    }
    const std::string& id = resolved.value();
    // Mode hold: the message itself is in the MTA's hold queue; it goes first.
    auto e = store->Get(id);
    if (e.ok() && e.value().mode == QuarantineMode::kHold &&
        e.value().status == QuarantineStatus::kHeld) {
      if (Status s = RunPostsuper(config, {"-d", e.value().queue_id, kPostfixHoldQueue}); !s.ok()) {
        std::fprintf(stderr, "gfictl quarantine delete: %s: %s\n", id.c_str(), s.message().c_str());
        rc = 1;
        continue;
      }
    }
    if (Status s = store->Delete(id, Actor()); !s.ok()) {
      std::fprintf(stderr, "gfictl quarantine delete: %s\n", s.message().c_str());
      rc = 1;
      continue;
    }
    Audit("deleted " + id);
    std::printf("%s: deleted\n", id.c_str());
  }
  return rc;
}

struct PurgeOptions : Common {
  std::string older_than;
  bool dry_run = false;
};

int RunPurge(const PurgeOptions& o) {
  auto age = ParseDuration(o.older_than);
  if (!age) {
    std::fprintf(stderr, "gfictl quarantine purge: --older-than '%s' is not a duration like 30d, "
                         "12h, 2w\n", o.older_than.c_str());
    return 2;
  }
  Config config;
  auto store = OpenConfiguredStore(o.config_path, "gfictl quarantine purge", o.dry_run, &config);
  if (store == nullptr) return 2;
  int64_t before = static_cast<int64_t>(std::time(nullptr)) - *age;
  if (o.dry_run) {
    auto would = store->PurgeCandidates(before);
    if (!would.ok()) {
      std::fprintf(stderr, "gfictl quarantine purge: %s\n", would.error().c_str());
      return 2;
    }
    for (const QuarantineEntry& e : would.value())
      std::printf("%s %s %-8s %s <%s> %s\n", e.id.c_str(), TimeText(e.time).c_str(),
                  Name(e.status), Name(e.mode), PrintableUtf8(e.mail_from).c_str(),
                  PrintableUtf8(e.subject).c_str());
    std::printf("would purge %zu entries older than %s (dry run: nothing changed)\n",
                would.value().size(), o.older_than.c_str());
    return 0;
  }
  bool tty = ::isatty(2) != 0;
  auto progress = [tty](size_t done, size_t total) {
    if (tty && (done % 100 == 0 || done == total)) {
      int width = 40;
      int filled = static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * width);
      std::fprintf(stderr, "\r[%s%s] %zu/%zu", std::string(static_cast<size_t>(filled), '#').c_str(),
                   std::string(static_cast<size_t>(width - filled), ' ').c_str(), done, total);
      if (done == total) std::fprintf(stderr, "\n");
    }
  };
  // Mode hold: the messages themselves are in Postfix's hold queue and go first.
  QuarantineFilter held;
  held.until = before;
  held.status = QuarantineStatus::kHeld;
  held.limit = static_cast<size_t>(-1) / 2;
  if (auto old = store->List(held); old.ok()) {
    for (const QuarantineEntry& e : old.value()) {
      if (e.mode != QuarantineMode::kHold) continue;
      if (Status s = RunPostsuper(config, {"-d", e.queue_id, kPostfixHoldQueue}); !s.ok())
        std::fprintf(stderr, "gfictl quarantine purge: %s: %s\n", e.id.c_str(),
                     s.message().c_str());
    }
  }
  auto n = store->Purge(before, Actor(), progress);
  if (!n.ok()) {
    std::fprintf(stderr, "gfictl quarantine purge: %s\n", n.error().c_str());
    return 2;
  }
  Audit("purged " + std::to_string(n.value()) + " entries older than " + o.older_than);
  std::printf("purged %zu entries older than %s\n", n.value(), o.older_than.c_str());
  return 0;
}

}  // namespace

void RegisterQuarantine(CLI::App& app, int* exit_code) {
  CLI::App* q = app.add_subcommand("quarantine", "Review, release and delete quarantined mail");
  q->require_subcommand(1);

  auto lo = std::make_shared<ListOptions>();
  CLI::App* list = q->add_subcommand("list", "List entries, newest first");
  list->add_option("--config", lo->config_path, "Configuration file");
  list->add_flag("--json", lo->json, "One JSON object per entry, one per line");
  list->add_option("--since", lo->since, "From this time (YYYY-MM-DD[THH:MM[:SS]] UTC, or 2h, 7d)");
  list->add_option("--until", lo->until, "Before this time");
  list->add_option("--sender", lo->filter.sender, "Envelope sender contains");
  list->add_option("--recipient", lo->filter.recipient, "A recipient contains");
  list->add_option("--tenant", lo->filter.tenant, "Tenant name");
  list->add_option("--host", lo->filter.host, "Host that quarantined it ([store] host_name)");
  list->add_option("--indicator", lo->filter.indicator, "An indicator id contains");
  list->add_option("--status", lo->status, "held, releasing, released, deleted or missing")
      ->check(CLI::IsMember(kQuarantineStatusNames.Names()));
  list->add_option("--limit", lo->filter.limit, "At most this many (default 50)");
  list->callback([lo, exit_code] { *exit_code = RunList(*lo); });

  auto so = std::make_shared<ShowOptions>();
  CLI::App* show = q->add_subcommand("show", "Show one entry: summary, matches, history, headers");
  show->add_option("--config", so->config_path, "Configuration file");
  show->add_flag("--json", so->json, "As one JSON object");
  show->add_flag("--raw", so->raw, "Print the stored message exactly");
  show->add_option("ID", so->id, "Entry id, GFI-... reference or MTA queue id")->required();
  show->callback([so, exit_code] { *exit_code = RunShow(*so); });

  auto ro = std::make_shared<ReleaseOptions>();
  CLI::App* rel = q->add_subcommand("release", "Deliver entries (exit 0 only if all accepted)");
  rel->add_option("--config", ro->config_path, "Configuration file");
  rel->add_option("--to", ro->to, "Deliver to these recipients instead; repeatable")
      ->allow_extra_args(false);
  rel->add_flag("--force", ro->force,
                "Also release entries left 'releasing' by an interrupted release, and to a "
                "target that runs this milter");
  rel->add_flag("--false-positive", ro->false_positive,
                "The entry was wrongly held: record it against its indicators (gfictl report)");
  rel->add_option("ID", ro->ids, "Entry ids, references or queue ids; - reads them from stdin")
      ->required();
  rel->callback([ro, exit_code] { *exit_code = RunRelease(*ro); });

  auto dlo = std::make_shared<DeleteOptions>();
  CLI::App* del = q->add_subcommand("delete", "Delete entries (the message file is removed)");
  del->add_option("--config", dlo->config_path, "Configuration file");
  del->add_option("ID", dlo->ids, "Entry ids, references or queue ids; - reads them from stdin")
      ->required();
  del->callback([dlo, exit_code] { *exit_code = RunDelete(*dlo); });

  auto po = std::make_shared<PurgeOptions>();
  CLI::App* purge = q->add_subcommand("purge", "Delete entries older than an age");
  purge->add_option("--config", po->config_path, "Configuration file");
  purge->add_option("--older-than", po->older_than, "Age, e.g. 30d, 12h, 2w")->required();
  purge->add_flag("--dry-run,-n", po->dry_run, "List what would be purged; change nothing");
  purge->callback([po, exit_code] { *exit_code = RunPurge(*po); });

  RegisterQuarantineCheck(*q, exit_code);
}

}  // namespace gfi
