// Blinded against plain indicators: the same COUNT indicators (default 1,000,000, the mix of
// indicator_bench) as a CSV feed and as a .blind feed made from it.
//   blind_bench [COUNT] [TMPDIR]
// Prints: the time to blind them (gfictl indicators blind's work: read the CSV, hash, write), the
// time to read and compile each, resident memory and snapshot bytes per indicator, and the cost of
// analysis plus matching of the same generated messages against each snapshot (rounds alternate
// plain and blinded, so that both see the same machine state), with the ratio. Single-threaded.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "extract/analyzer.h"
#include "indicators/blind_feed.h"
#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "snapshot/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr int64_t kNow = 1800000000;

double Since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

long RssKiB() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

std::string Word(std::mt19937_64& rng) {
  static const char* syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "xe", "zu",
                              "bra", "cle", "dro", "fin", "gar", "hul", "jen", "pix"};
  std::string w;
  int n = 2 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n; ++i) w += syl[rng() % 18];
  return w;
}

std::string Hex(std::mt19937_64& rng, int bytes) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (int i = 0; i < bytes; ++i) {
    uint64_t v = rng();
    s.push_back(k[v & 15]);
    s.push_back(k[(v >> 4) & 15]);
  }
  return s;
}

struct Ind {
  std::string type, value;
};

// indicator_bench's mix: 40% domains, 20% IPs and networks (v4 /32 and /24, v6 /64), 10% e-mail,
// 15% URLs, 13% digests, 2% file names.
std::vector<Ind> Generate(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<Ind> out;
  out.reserve(n);
  static const char* tlds[] = {"com", "net", "org", "info", "example", "biz", "io"};
  for (size_t i = 0; i < n; ++i) {
    unsigned r = static_cast<unsigned>(rng() % 100);
    std::string dom = Word(rng) + std::to_string(i) + "." + tlds[rng() % 7];
    std::string net = std::to_string(1 + i % 223) + "." + std::to_string((i >> 8) & 255) + "." +
                      std::to_string((i >> 16) & 255);
    if (r < 40) out.push_back({"domain", dom});
    else if (r < 50) out.push_back({"ip", net + "." + std::to_string(rng() % 256)});
    else if (r < 58) out.push_back({"ip", net + ".0/24"});
    else if (r < 60)
      out.push_back({"ip", "2001:db8:" + std::to_string(i % 9999) + ":" +
                               std::to_string((i >> 4) % 9999) + "::/64"});
    else if (r < 70) out.push_back({"email", Word(rng) + "@" + dom});
    else if (r < 85)
      out.push_back({"url", "https://" + dom + "/" + Word(rng) + ".php?id=" + std::to_string(i)});
    else if (r < 95) out.push_back({"sha256", Hex(rng, 32)});
    else if (r < 98) out.push_back({"md5", Hex(rng, 16)});
    else out.push_back({"filename", Word(rng) + std::to_string(i) + ".exe"});
  }
  return out;
}

// Messages with a text and an HTML part, links, a sender, an attachment; one in ten carries an
// indicator's domain or URL.
std::vector<std::string> Messages(const std::vector<Ind>& inds, size_t count) {
  std::mt19937_64 rng(11);
  std::vector<std::string> out;
  for (size_t m = 0; m < count; ++m) {
    std::string body;
    for (int line = 0; line < 60; ++line) {
      for (int w = 0; w < 10; ++w) body += Word(rng) + " ";
      if (line % 6 == 0) body += "https://" + Word(rng) + ".example.com/" + Word(rng) + "?q=1 ";
      body += "\n";
    }
    if (m % 10 == 0) {
      const Ind& i = inds[rng() % inds.size()];
      if (i.type == "domain" || i.type == "url") body += "see " + i.value + "/x\n";
    }
    std::string html = "<html><body><p>" + body.substr(0, 2000) + "</p><a href=\"https://track." +
                       Word(rng) + ".net/c?u=1\">x</a></body></html>";
    out.push_back("From: " + Word(rng) + "@" + Word(rng) + ".example\nTo: v@corp.example\n"
                  "Received: from mx." + Word(rng) + ".net ([192.0.2." +
                  std::to_string(rng() % 256) + "]) by mx.corp.example\n"
                  "Subject: " + Word(rng) + "\nMIME-Version: 1.0\n"
                  "Content-Type: multipart/mixed; boundary=b\n\n--b\n"
                  "Content-Type: text/plain\n\n" + body + "\n--b\nContent-Type: text/html\n\n" +
                  html + "\n--b\nContent-Type: application/pdf\n"
                  "Content-Disposition: attachment; filename=\"" + Word(rng) + ".pdf\"\n\n" +
                  Word(rng) + "\n--b--\n");
  }
  return out;
}

std::shared_ptr<const gfi::IndicatorSnapshot> LoadAndReport(const char* label,
                                                            const std::string& path, size_t n,
                                                            const gfi::BlindKeyring* ring) {
  malloc_trim(0);
  long rss0 = RssKiB();
  auto t0 = Clock::now();
  std::vector<gfi::Feed> feeds;
  feeds.push_back(gfi::LoadFeed(path, gfi::FeedReadOptions{nullptr, "", ring}));
  double read = Since(t0);
  if (!feeds[0].ok()) {
    std::printf("%s: feed invalid: %s\n", label, feeds[0].errors.front().c_str());
    return nullptr;
  }
  auto t1 = Clock::now();
  auto snap = gfi::IndicatorSnapshot::Build(feeds, gfi::SnapshotOptions{}, kNow);
  double compile = Since(t1);
  if (!snap.ok()) {
    std::printf("%s: compile failed: %s\n", label, snap.error().c_str());
    return nullptr;
  }
  feeds.clear();
  feeds.shrink_to_fit();
  malloc_trim(0);
  long rss1 = RssKiB();
  const auto& st = snap.value()->stats();
  std::printf("| %s | %zu | %.2f s | %.2f s | %.0f B | %.0f B |\n", label, st.rules, read, compile,
              (rss1 - rss0) * 1024.0 / static_cast<double>(n),
              st.memory_bytes / static_cast<double>(n));
  return snap.value();
}

}  // namespace

int main(int argc, char** argv) {
  const size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  const std::string dir = argc > 2 ? argv[2] : "/tmp";
  const std::string csv = dir + "/gfi-blind-bench.csv";
  const std::string blind = dir + "/gfi-blind-bench.blind";
  std::vector<Ind> inds = Generate(n);
  {
    std::ofstream f(csv);
    for (const Ind& i : inds) f << i.type << ',' << i.value << '\n';
  }
  std::array<uint8_t, gfi::kBlindKeyBytes> bytes{};
  for (size_t i = 0; i < bytes.size(); ++i) bytes[i] = static_cast<uint8_t>(i * 13 + 5);
  auto key = gfi::BlindKey::FromBytes(bytes, "bench.key");
  gfi::BlindKeyring ring;
  (void)ring.Add(key);

  // Blinding, as gfictl indicators blind does it: read, hash, write.
  {
    auto t0 = Clock::now();
    std::vector<gfi::Feed> feeds{gfi::LoadFeed(csv)};
    double read = Since(t0);
    auto t1 = Clock::now();
    gfi::BlindedFeed b = gfi::BlindFeeds(feeds, *key);
    double hash = Since(t1);
    auto t2 = Clock::now();
    std::ofstream(blind, std::ios::binary) << b.text;
    double write = Since(t2);
    std::printf("blind %zu indicators: %.2f s (read %.2f s, hash and format %.2f s, write %.2f s); "
                "%.1f MB, %.0f bytes per indicator\n\n",
                b.rules, Since(t0), read, hash, write, b.text.size() / 1e6,
                b.text.size() / static_cast<double>(b.rules));
  }
  {
    gfi::BlindHash sink{};
    const int kHashes = 2000000;
    auto t0 = Clock::now();
    for (int i = 0; i < kHashes; ++i) {
      gfi::BlindHash h = key->Hash(gfi::ObservableType::kDomain, inds[static_cast<size_t>(i) % n].value);
      sink[0] ^= h[0];
    }
    double s = Since(t0);
    std::printf("one keyed hash (HMAC-SHA256, precomputed states): %.0f ns (%u)\n\n",
                s / kHashes * 1e9, sink[0]);
  }
  std::printf("| feed | indicators | read | compile | RSS per indicator | snapshot per indicator |\n");
  std::printf("|---|---|---|---|---|---|\n");
  auto plain = LoadAndReport("plain (.csv)", csv, n, nullptr);
  auto blinded = LoadAndReport("blinded (.blind)", blind, n, &ring);
  std::remove(csv.c_str());
  std::remove(blind.c_str());
  if (!plain || !blinded) return 1;
  std::printf("blinded hash table: %.1f B per indicator (128-bit hash + 32-bit term index)\n",
              blinded->stats().blinded_table_bytes / static_cast<double>(n));

  std::vector<std::string> msgs = Messages(inds, 2000);
  gfi::Envelope env;
  env.client_ip = "198.51.100.23";
  env.mail_from = "sender@corp-mail.example";
  env.helo = "mx.corp-mail.example";
  double t_plain = 0, t_blind = 0, m_plain = 0, m_blind = 0;
  size_t hits_plain = 0, hits_blind = 0, observables = 0;
  const int kRounds = 3;
  for (int round = 0; round < kRounds; ++round) {
    for (int which = 0; which < 2; ++which) {
      const gfi::IndicatorSnapshot& s = which == 0 ? *plain : *blinded;
      for (const std::string& m : msgs) {
        auto t0 = Clock::now();
        gfi::MessageAnalysis a = gfi::AnalyzeMessage(m, env, gfi::AnalysisLimits{});
        auto t1 = Clock::now();
        std::vector<gfi::Match> ms;
        (void)s.MatchMessage(a, kNow, &ms);
        double total = Since(t0), match = Since(t1);
        if (which == 0) {
          t_plain += total;
          m_plain += match;
          hits_plain += ms.size();
          observables += a.observables.size();
        } else {
          t_blind += total;
          m_blind += match;
          hits_blind += ms.size();
        }
      }
    }
  }
  const double count = static_cast<double>(msgs.size() * kRounds);
  std::printf("\nanalysis + matching of %zu messages (%.0f observables each), %d rounds:\n",
              msgs.size(), observables / count, kRounds);
  std::printf("  plain:   %.1f us per message (matching %.1f us); %zu matches\n",
              t_plain / count * 1e6, m_plain / count * 1e6, hits_plain);
  std::printf("  blinded: %.1f us per message (matching %.1f us); %zu matches\n",
              t_blind / count * 1e6, m_blind / count * 1e6, hits_blind);
  std::printf("  blinded / plain: %.3fx (matching alone %.2fx)\n", t_blind / t_plain,
              m_blind / m_plain);
  return hits_plain == hits_blind ? 0 : 3;  // they must find the same indicators
}
