// Cost of small hostile messages: generates each class of message built to make a filter work
// hard (encoded words rotating through charsets, zip bomb members, a body crafted against a set
// of ordinary regexes, deep nesting, many parts, big HTML), analyses and matches each against a
// snapshot of ten ordinary body regexes, and prints the worst case in seconds per MB of message
// for each class.
//   hostile_bench [REPS [CLASS]]   REPS runs of each message (default 3), the fastest run counts;
//                                  CLASS: only the classes whose name contains it
// Figures are CPU seconds of the scanning thread (the machine is shared; wall-clock seconds under
// load are printed beside them). Single-threaded, no scan deadline ([limits] max_scan_ms bounds the
// daemon's scans; this shows what the work itself costs). Uses only the analysis and matching
// interfaces, so the same file measures an older tree too.
#include <archive.h>
#include <archive_entry.h>
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "extract/analyzer.h"
#include "indicators/feed.h"
#include "snapshot/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;

constexpr int64_t kNow = 1800000000;

double ThreadCpuSeconds() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// Ten body regexes of the kind phishing feeds carry: a word, a short gap, another word.
const char* const kBodyRegexes[] = {
    "(?i)account.{0,40}suspended", "(?i)verify.{0,40}password",
    "(?i)wire.{0,30}transfer",     "(?i)invoice.{0,30}overdue",
    "(?i)bitcoin.{0,40}wallet",    "(?i)click.{0,20}here.{0,20}login",
    "(?i)urgent.{0,30}payment",    "(?i)gift.{0,20}card",
    "(?i)tax.{0,30}refund",        "(?i)your.{0,30}mailbox.{0,30}full",
};

std::shared_ptr<const gfi::IndicatorSnapshot> BuildSnapshot() {
  gfi::Feed feed;
  feed.path = "bench.csv";
  feed.name = "bench.csv";
  int n = 0;
  for (const char* re : kBodyRegexes) {
    gfi::Rule r;
    r.id = "bench.csv:" + std::to_string(++n);
    r.feed = feed.name;
    r.display = re;
    r.any_of = {{gfi::Term{gfi::TermKind::kBodyRegex, re, "", gfi::kAnywhere, false}}};
    feed.rules.push_back(std::move(r));
  }
  auto s = gfi::IndicatorSnapshot::Build({feed}, gfi::SnapshotOptions{}, kNow);
  if (!s.ok()) {
    std::fprintf(stderr, "snapshot: %s\n", s.status().message().c_str());
    std::exit(1);
  }
  return std::move(s).value();
}

std::string Base64(const std::string& in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t line = 0;
  for (size_t i = 0; i < in.size(); i += 3) {
    uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (i + 2 < in.size()) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += i + 2 < in.size() ? kAlphabet[v & 63] : '=';
    if ((line += 4) >= 76) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

la_ssize_t Append(archive*, void* client, const void* buf, size_t n) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// A zip of `members` members of `member_bytes` zero bytes each (deflate: about 1000:1).
std::string ZerosZip(int members, size_t member_bytes) {
  std::string out;
  archive* a = archive_write_new();
  archive_write_set_format_zip(a);
  archive_write_set_bytes_in_last_block(a, 1);
  archive_write_open(a, &out, nullptr, Append, nullptr);
  const std::string zeros(member_bytes, '\0');
  for (int i = 0; i < members; ++i) {
    archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, ("z" + std::to_string(i) + ".bin").c_str());
    archive_entry_set_filetype(e, AE_IFREG);
    archive_entry_set_perm(e, 0644);
    archive_entry_set_size(e, static_cast<la_int64_t>(zeros.size()));
    archive_write_header(a, e);
    archive_write_data(a, zeros.data(), zeros.size());
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
  return out;
}

const char kTop[] =
    "From: a@sender.example\r\nTo: b@rcpt.example\r\nMessage-ID: <1@sender.example>\r\n";

std::string WithAttachment(const std::string& data, const char* name) {
  return std::string(kTop) +
         "Subject: files\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n"
         "\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\n"
         "Content-Type: application/zip\r\nContent-Transfer-Encoding: base64\r\n"
         "Content-Disposition: attachment; filename=\"" +
         name + "\"\r\n\r\n" + Base64(data) + "--b--\r\n";
}

// Header fields of encoded words, each word in the next of a dozen charsets (each needing iconv).
std::string RotatingCharsets(size_t bytes) {
  static const std::pair<const char*, const char*> kWords[] = {
      {"koi8-r", "8NLJ18XU"},
      {"shift_jis", "grGC8YLJgr+CzQ=="},
      {"iso-2022-jp", "GyRCJDMkcyQbKEI="},
      {"big5", "pKSk5Q=="},
      {"euc-kr", "x9Gxuw=="},
      {"windows-1251", "z/Do4uXy"},
      {"iso-8859-7", "4+Xp4Q=="},
      {"euc-jp", "pLOk86TL"},
      {"iso-8859-5", "v+DY0tXi"},
      {"cp866", "j+Co4qUg"},
      {"windows-1255", "6eXp"},
      {"tis-620", "yuHH"},
  };
  std::string h = std::string(kTop) + "Subject: rotating\r\n";
  size_t w = 0;
  while (h.size() < bytes) {
    h += "X-Words:";
    for (int i = 0; i < 12; ++i, ++w) {
      const auto& [cs, b64] = kWords[w % 12];
      h += std::string(" =?") + cs + "?B?" + b64 + "?=";
    }
    h += "\r\n";
  }
  return h + "\r\n body\r\n";
}

// Words that start every regex, none of their endings: a Set's DFA meets a new state at almost
// every byte. With `endings`, the endings occur too (a literal prefilter lets every regex run).
std::string CraftedBody(size_t bytes, bool endings, bool html) {
  static const char* const kStarts[] = {"account ", "verify ", "wire ",   "invoice ",
                                        "bitcoin ", "click ",  "urgent ", "gift ",
                                        "tax ",     "your ",   "here ",   "mailbox "};
  static const char* const kEnds[] = {"suspended", "password", "transfer", "overdue", "wallet",
                                      "login",     "payment",  "card",     "refund",  "full"};
  std::mt19937 rng(1);
  std::string body;
  size_t n = 0;
  while (body.size() < bytes) {
    body += kStarts[rng() % 12];
    if (endings && ++n % 97 == 0) body += std::string(kEnds[rng() % 10]) + " ";
    if (html && n % 50 == 0)
      body += "<br>\r\n";
    else if (!html && body.size() % 900 < 10)
      body += "\r\n";
  }
  return std::string(kTop) + "Subject: hello\r\nMIME-Version: 1.0\r\nContent-Type: " +
         (html ? "text/html" : "text/plain") + "\r\n\r\n" + body + "\r\n";
}

// Multiparts inside multiparts, `depth` deep (past [limits] max_nesting), repeated to `bytes`.
std::string DeepNesting(size_t bytes, int depth) {
  std::string m = std::string(kTop) + "Subject: deep\r\nMIME-Version: 1.0\r\n";
  std::string body;
  int copy = 0;
  while (body.size() < bytes) {
    std::string part = "Content-Type: text/plain\r\n\r\nleaf\r\n";
    for (int d = depth; d > 0; --d) {
      std::string b = "b" + std::to_string(copy) + "x" + std::to_string(d);
      part = "Content-Type: multipart/mixed; boundary=\"" + b + "\"\r\n\r\n--" + b + "\r\n" + part +
             "--" + b + "--\r\n";
    }
    body += "--top\r\n" + part;
    ++copy;
  }
  return m + "Content-Type: multipart/mixed; boundary=\"top\"\r\n\r\n" + body + "--top--\r\n";
}

// One multipart of `parts` small parts (past [limits] max_parts when more than 1000).
std::string ManyParts(int parts, bool attachments) {
  std::string m = std::string(kTop) +
                  "Subject: parts\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; "
                  "boundary=\"p\"\r\n\r\n";
  for (int i = 0; i < parts; ++i) {
    if (attachments)
      m += "--p\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; "
           "filename=\"f" +
           std::to_string(i) + ".exe\"\r\n\r\nMZ" + std::to_string(i) + "\r\n";
    else
      m += "--p\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xF0\xD2\xC9 http://h" +
           std::to_string(i) + ".example/x\r\n";
  }
  return m + "--p--\r\n";
}

// HTML: deeply nested elements, or a page of links, or a page of text between tags.
std::string BigHtml(size_t bytes, int kind) {
  std::string h;
  int i = 0;
  while (h.size() < bytes) {
    switch (kind) {
      case 0:
        h += "<div><span><b>";
        break;
      case 1:
        h += "<a href=\"http://l" + std::to_string(i % 20000) +
             ".example/p?q=" + std::to_string(i) + "\">x</a>\r\n";
        break;
      default:
        h += "<p>account verify <i>wire</i> invoice bitcoin</p>\r\n";
        break;
    }
    ++i;
  }
  return std::string(kTop) +
         "Subject: html\r\nMIME-Version: 1.0\r\nContent-Type: text/html\r\n\r\n" + h + "\r\n";
}

struct Case {
  std::string klass;
  std::string variant;
  std::function<std::string()> make;
};

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::max(1, std::atoi(argv[1])) : 3;
  const std::string only = argc > 2 ? argv[2] : "";
  auto snapshot = BuildSnapshot();
  const size_t kMb = 1 << 20;
  std::vector<Case> cases = {
      {"charset-rotating encoded words", "900 KB of headers, 12 charsets",
       [&] { return RotatingCharsets(900 << 10); }},
      {"zip bomb members", "1 MB zip: 100 members of 10 MiB zeros",
       [&] { return WithAttachment(ZerosZip(100, 10 << 20), "bomb.zip"); }},
      {"zip bomb members", "zip: 1000 members of 1 MiB zeros",
       [&] { return WithAttachment(ZerosZip(1000, 1 << 20), "many.zip"); }},
      {"crafted regex body", "900 KB text/plain, regex starts only",
       [&] { return CraftedBody(900 << 10, false, false); }},
      {"crafted regex body", "900 KB text/plain, starts and endings",
       [&] { return CraftedBody(900 << 10, true, false); }},
      {"crafted regex body", "900 KB text/html, regex starts only",
       [&] { return CraftedBody(900 << 10, false, true); }},
      {"deep nesting", "1 MB, 200 levels per copy", [&] { return DeepNesting(kMb, 200); }},
      {"deep nesting", "1 MB, 19 levels per copy", [&] { return DeepNesting(kMb, 19); }},
      {"many parts", "5000 text parts", [&] { return ManyParts(5000, false); }},
      {"many parts", "990 attachments", [&] { return ManyParts(990, true); }},
      {"big HTML", "2 MB nested elements", [&] { return BigHtml(2 * kMb, 0); }},
      {"big HTML", "2 MB of links", [&] { return BigHtml(2 * kMb, 1); }},
      {"big HTML", "2 MB of text in tags", [&] { return BigHtml(2 * kMb, 2); }},
  };
  std::map<std::string, std::pair<double, std::string>> worst;
  std::vector<std::string> order;
  std::printf(
      "| class | message | size | CPU s | CPU s/MB | wall s | defects |\n"
      "|---|---|---|---|---|---|---|\n");
  for (const Case& c : cases) {
    if (c.klass.find(only) == std::string::npos) continue;
    const std::string msg = c.make();
    double best = 1e100, best_wall = 1e100;
    size_t defects = 0, matches = 0;
    for (int r = 0; r < reps; ++r) {
      auto t0 = Clock::now();
      const double c0 = ThreadCpuSeconds();
      gfi::MessageAnalysis a = gfi::AnalyzeMessage(msg, gfi::Envelope{}, gfi::AnalysisLimits{});
      std::vector<gfi::Match> ms;
      gfi::Status st = snapshot->MatchMessage(a, kNow, &ms);
      best = std::min(best, ThreadCpuSeconds() - c0);
      best_wall = std::min(best_wall, std::chrono::duration<double>(Clock::now() - t0).count());
      defects = a.defects.size() + (st.ok() ? 0 : 1);
      matches = ms.size();
    }
    const double mb = static_cast<double>(msg.size()) / kMb;
    const double per_mb = best / mb;
    std::printf("| %s | %s | %.2f MB | %.3f | %.3f | %.3f | %zu (matches %zu) |\n", c.klass.c_str(),
                c.variant.c_str(), mb, best, per_mb, best_wall, defects, matches);
    std::fflush(stdout);
    if (!worst.count(c.klass)) order.push_back(c.klass);
    auto& w = worst[c.klass];
    if (per_mb > w.first) w = {per_mb, c.variant};
  }
  std::printf(
      "\nworst case per class (fastest of %d runs):\n\n| class | worst CPU s/MB | message |\n"
      "|---|---|---|\n",
      reps);
  for (const std::string& k : order)
    std::printf("| %s | %.3f | %s |\n", k.c_str(), worst[k].first, worst[k].second.c_str());
  return 0;
}
