// Load, compile, memory and scan figures for a large mixed indicator set.
//   indicator_bench [COUNT] [TMPDIR]     default 1,000,000 indicators in /tmp
// Writes the same indicators as a CSV feed and as a STIX 2.1 bundle, then for each: read time,
// compile time, resident memory per indicator (VmRSS after the feed text and parsed rules are freed
// and malloc_trim'd, minus before), and the snapshot's own accounting. Finally scans generated
// messages (analysis + matching) against the CSV snapshot. Single-threaded.
#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "extract/analyzer.h"
#include "indicators/feed.h"
#include "snapshot/snapshot.h"

namespace {

using Clock = std::chrono::steady_clock;

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

struct Ind {
  std::string type;
  std::string value;
};

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

std::string Word(std::mt19937_64& rng) {
  static const char* syl[] = {"ka", "lo", "mi", "ne", "ru", "sa", "to", "vi", "xe", "zu",
                              "bra", "cle", "dro", "fin", "gar", "hul", "jen", "pix"};
  std::string w;
  int n = 2 + static_cast<int>(rng() % 3);
  for (int i = 0; i < n; ++i) w += syl[rng() % 18];
  return w;
}

std::vector<Ind> Generate(size_t n) {
  std::mt19937_64 rng(7);
  std::vector<Ind> out;
  out.reserve(n);
  static const char* tlds[] = {"com", "net", "org", "info", "example", "biz", "io"};
  for (size_t i = 0; i < n; ++i) {
    unsigned r = static_cast<unsigned>(rng() % 100);
    std::string dom = Word(rng) + std::to_string(i) + "." + tlds[rng() % 7];
    if (r < 40) {
      out.push_back({"domain", dom});
    } else if (r < 50) {
      out.push_back({"ip", std::to_string(1 + i % 223) + "." + std::to_string((i >> 8) & 255) +
                               "." + std::to_string((i >> 16) & 255) + "." +
                               std::to_string(rng() % 256)});
    } else if (r < 58) {
      out.push_back({"ip", std::to_string(1 + i % 223) + "." + std::to_string((i >> 8) & 255) +
                               "." + std::to_string((i >> 16) & 255) + ".0/24"});
    } else if (r < 60) {
      out.push_back({"ip", "2001:db8:" + std::to_string(i % 9999) + ":" +
                               std::to_string((i >> 4) % 9999) + "::/64"});
    } else if (r < 70) {
      out.push_back({"email", Word(rng) + "@" + dom});
    } else if (r < 85) {
      out.push_back({"url", "https://" + dom + "/" + Word(rng) + "/" + Word(rng) + ".php?id=" +
                                std::to_string(i)});
    } else if (r < 95) {
      out.push_back({"sha256", Hex(rng, 32)});
    } else if (r < 98) {
      out.push_back({"md5", Hex(rng, 16)});
    } else {
      out.push_back({"filename", Word(rng) + std::to_string(i) + ".exe"});
    }
  }
  return out;
}

void WriteCsv(const std::vector<Ind>& v, const std::string& path) {
  std::ofstream f(path);
  for (const Ind& i : v) f << i.type << ',' << i.value << '\n';
}

std::string StixPattern(const Ind& i) {
  if (i.type == "domain") return "[domain-name:value = '" + i.value + "']";
  if (i.type == "ip")
    return i.value.find(':') != std::string::npos ? "[ipv6-addr:value = '" + i.value + "']"
                                                  : "[ipv4-addr:value = '" + i.value + "']";
  if (i.type == "email") return "[email-addr:value = '" + i.value + "']";
  if (i.type == "url") return "[url:value = '" + i.value + "']";
  if (i.type == "sha256") return "[file:hashes.'SHA-256' = '" + i.value + "']";
  if (i.type == "md5") return "[file:hashes.MD5 = '" + i.value + "']";
  return "[file:name = '" + i.value + "']";
}

void WriteStix(const std::vector<Ind>& v, const std::string& path) {
  std::ofstream f(path);
  f << "{\"type\":\"bundle\",\"id\":\"bundle--00000000-0000-4000-8000-000000000000\",\"objects\":[\n";
  char id[64];
  for (size_t n = 0; n < v.size(); ++n) {
    std::snprintf(id, sizeof id, "indicator--%08zx-0000-4000-8000-%012zx", n, n);
    f << (n ? ",\n" : "") << "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" << id
      << "\",\"created\":\"2026-01-01T00:00:00Z\",\"modified\":\"2026-01-01T00:00:00Z\","
         "\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":\""
      << StixPattern(v[n]) << "\"}";
  }
  f << "\n]}\n";
}

std::shared_ptr<const gfi::IndicatorSnapshot> LoadAndReport(const char* label,
                                                            const std::string& path, size_t n) {
  malloc_trim(0);
  long rss0 = RssKiB();
  auto t0 = Clock::now();
  std::vector<gfi::Feed> feeds;
  feeds.push_back(gfi::LoadFeed(path));
  double read = Since(t0);
  if (!feeds[0].ok()) {
    std::printf("%s: feed invalid: %s\n", label, feeds[0].errors.front().c_str());
    return nullptr;
  }
  auto t1 = Clock::now();
  auto snap = gfi::IndicatorSnapshot::Build(feeds, gfi::SnapshotOptions{}, 1800000000);
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
  std::printf("| %s | %zu | %.2f s | %.2f s | %.2f s | %.0f B | %.0f B |\n", label, st.rules, read,
              compile, read + compile, (rss1 - rss0) * 1024.0 / static_cast<double>(n),
              st.memory_bytes / static_cast<double>(n));
  return snap.value();
}

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
    if (m % 10 == 0) {  // one message in ten carries an indicator
      const Ind& i = inds[rng() % inds.size()];
      if (i.type == "domain" || i.type == "url") body += "see " + i.value + "/x\n";
    }
    std::string html = "<html><body><p>" + body.substr(0, 2000) +
                       "</p><a href=\"https://track." + Word(rng) + ".net/c?u=1\">x</a></body></html>";
    out.push_back("From: " + Word(rng) + "@" + Word(rng) + ".example\nTo: v@corp.example\n"
                  "Subject: " + Word(rng) + "\nMIME-Version: 1.0\n"
                  "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
                  "Content-Type: text/plain\n\n" + body + "\n--b\nContent-Type: text/html\n\n" +
                  html + "\n--b--\n");
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 1000000;
  std::string dir = argc > 2 ? argv[2] : "/tmp";
  std::vector<Ind> inds = Generate(n);
  std::string csv = dir + "/gfi-bench-indicators.csv";
  std::string json = dir + "/gfi-bench-indicators.json";
  WriteCsv(inds, csv);
  WriteStix(inds, json);
  std::printf("| feed | indicators | read | compile | total | RSS per indicator | snapshot per indicator |\n");
  std::printf("|---|---|---|---|---|---|---|\n");
  auto stix = LoadAndReport("STIX 2.1 (.json)", json, n);
  stix.reset();
  auto snap = LoadAndReport("CSV (.csv)", csv, n);
  std::remove(csv.c_str());
  std::remove(json.c_str());
  if (!snap) return 1;

  std::vector<std::string> msgs = Messages(inds, 2000);
  size_t bytes = 0, matched = 0, observables = 0;
  double analyze = 0, match = 0;
  gfi::Envelope env;
  env.client_ip = "198.51.100.23";
  for (int round = 0; round < 3; ++round) {
    for (const std::string& m : msgs) {
      auto t0 = Clock::now();
      gfi::MessageAnalysis a = gfi::AnalyzeMessage(m, env, gfi::AnalysisLimits{});
      auto t1 = Clock::now();
      std::vector<gfi::Match> ms;
      (void)snap->MatchMessage(a, 1800000000, &ms);
      match += Since(t1);
      analyze += std::chrono::duration<double>(t1 - t0).count();
      bytes += m.size();
      observables += a.observables.size();
      matched += ms.empty() ? 0 : 1;
    }
  }
  size_t count = msgs.size() * 3;
  std::printf("\nscan of %zu messages (%.1f KB average, %.0f observables each) against %zu indicators:\n",
              count, bytes / 1024.0 / count, observables / double(count), n);
  std::printf("  analysis %.0f msg/s (%.1f MB/s); matching %.0f msg/s (%.1f us per message); "
              "together %.0f msg/s; %zu messages matched\n",
              count / analyze, bytes / analyze / 1e6, count / match, match / count * 1e6,
              count / (analyze + match), matched);
  return 0;
}
