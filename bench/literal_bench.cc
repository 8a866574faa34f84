// Content-literal matching: our Aho-Corasick against Vectorscan and RE2::Set on 10k, 100k and 1M
// generated indicator literals over ~32 MB of generated mail text. Prints a Markdown table.
//   literal_bench [--max N] [--corpus-mb MB] [--ac-only] [--ac-scan auto|automaton|prefilter]
//   (--ac-only: skip the other backends, for profiling; --ac-scan: force one Aho-Corasick scan,
//   LiteralOptions::Scan, to compare them)
// Single-threaded, so figures are per core. Everything is generated from fixed seeds; the run
// stops loudly (exit 1) if the backends disagree on which literals occur in any message.
#include <hs/hs.h>
#include <re2/re2.h>
#include <re2/set.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cmath>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "match/literal_matcher.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Scan timings use this thread's CPU time: the bench machine is shared, and wall time would
// charge other processes' slices to whichever backend happened to be running.
double ThreadCpuSeconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

size_t RssBytes() {
  long pages = 0, resident = 0;
  if (FILE* f = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<size_t>(resident) * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// ---- Deterministic generators -----------------------------------------------------------------

class Gen {
 public:
  explicit Gen(uint64_t seed) : rng_(seed) {
    static const char* kOnsets[] = {"b",  "c",  "d",  "f",  "g",  "h",  "j",  "k",  "l",
                                    "m",  "n",  "p",  "r",  "s",  "t",  "v",  "w",  "z",
                                    "br", "cl", "st", "tr", "pl", "gr", "sh", "ch", "th"};
    static const char* kNuclei[] = {"a", "e", "i", "o", "u", "ai", "ea", "ou", "y"};
    static const char* kCodas[] = {"", "", "", "n", "r", "s", "t", "l", "ck", "nd", "st"};
    std::mt19937_64 words_rng(12345);  // the vocabulary is the same for every Gen
    for (int i = 0; i < 6000; ++i) {
      std::string w;
      int syllables = 1 + static_cast<int>(words_rng() % 3);
      for (int s = 0; s < syllables; ++s) {
        w += kOnsets[words_rng() % std::size(kOnsets)];
        w += kNuclei[words_rng() % std::size(kNuclei)];
        w += kCodas[words_rng() % std::size(kCodas)];
      }
      words_.push_back(w);
    }
  }

  uint64_t Next() { return rng_(); }
  size_t Below(size_t n) { return static_cast<size_t>(rng_() % n); }

  // Zipf-ish: low ranks are far more frequent, as in real text.
  const std::string& Word() {
    double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    size_t rank = static_cast<size_t>(std::pow(static_cast<double>(words_.size()), u)) - 1;
    return words_[std::min(rank, words_.size() - 1)];
  }
  const std::string& RareWord() { return words_[Below(words_.size())]; }

  std::string Alnum(size_t n) {
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    std::string s;
    for (size_t i = 0; i < n; ++i) s += kChars[Below(36)];
    return s;
  }

  std::string Domain() {
    static const char* kTlds[] = {"com", "net", "org", "info", "ru", "cn", "xyz", "top",
                                  "io",  "biz", "co",  "de",   "uk", "online", "site"};
    std::string d;
    switch (Below(5)) {
      case 0: d = RareWord() + "-" + RareWord(); break;
      case 1: d = RareWord() + RareWord() + std::to_string(Below(100)); break;
      case 2: d = std::string(Below(2) ? "mail." : "login.") + RareWord() + RareWord(); break;
      case 3: d = Alnum(6 + Below(10)); break;
      default: d = RareWord() + "-" + Word() + "-" + RareWord(); break;
    }
    return d + "." + kTlds[Below(std::size(kTlds))];
  }

  std::string Url() {
    std::string u = Below(3) == 0 ? "http://" : "https://";
    if (Below(4) == 0) u += "www.";
    u += Domain() + "/";
    u += Below(2) ? RareWord() : Alnum(4 + Below(8));
    if (Below(2)) u += "/" + RareWord() + (Below(2) ? ".php" : ".html");
    if (Below(3) == 0) u += "?id=" + std::to_string(Next() % 1000000);
    return u;
  }

  std::string Email() { return RareWord() + (Below(2) ? "." : "") + RareWord() + "@" + Domain(); }

  // One content indicator, 8-60 bytes, mixed case as feeds deliver them.
  std::string Literal() {
    std::string s;
    switch (Below(10)) {
      case 0: case 1: case 2: case 3: s = Domain(); break;
      case 4: case 5: case 6: s = Url(); break;
      case 7: s = Email(); break;
      case 8: s = Alnum(26 + Below(9)); break;  // wallet-address-like token
      default: s = RareWord() + "_" + std::to_string(Below(100000)) + (Below(2) ? ".exe" : ".zip");
    }
    if (s.size() > 60) s.resize(60);
    while (s.size() < 8) s += Alnum(1);
    if (Below(8) == 0) s[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[0])));
    return s;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> words_;
};

// Messages of decoded text: sentences, some URLs and addresses, a few planted literals.
std::vector<std::string> MakeCorpus(const std::vector<std::string>& planted_from, size_t bytes,
                                    size_t* planted) {
  Gen g(777);
  std::vector<std::string> messages;
  size_t total = 0;
  *planted = 0;
  while (total < bytes) {
    std::string m;
    size_t target = 1000 + g.Below(15000);
    while (m.size() < target) {
      size_t words = 5 + g.Below(20);
      for (size_t w = 0; w < words; ++w) {
        std::string word = g.Word();
        if (w == 0) word[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(word[0])));
        m += word;
        m += (g.Below(12) == 0) ? ", " : " ";
      }
      m.back() = '.';
      size_t r = g.Below(100);
      if (r < 8) m += " See " + g.Url() + " .";
      else if (r < 11) m += " Contact " + g.Email() + ".";
      else if (r < 12 && g.Below(4) == 0) {  // about one message in 20 carries an indicator
        m += " " + planted_from[g.Below(planted_from.size())] + " ";
        ++*planted;
      }
      m += g.Below(4) == 0 ? "\r\n\r\n" : "\r\n";
    }
    total += m.size();
    messages.push_back(std::move(m));
  }
  return messages;
}

// ---- Backends ---------------------------------------------------------------------------------

struct Row {
  std::string backend;
  std::string build;
  std::string memory;
  std::string throughput;
  std::string note;
};

// Formats one number; `f` is always one of this file's literals.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
std::string Fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}
#pragma GCC diagnostic pop

// Ids found per message, as a backend reports them (sorted, unique).
using PerMessage = std::vector<std::vector<uint32_t>>;

// Scans messages [0, limit) and returns seconds.
double Scan(const std::vector<std::string>& corpus, size_t limit,
            const std::function<void(const std::string&, std::vector<uint32_t>*)>& find,
            PerMessage* out) {
  out->assign(limit, {});
  double t0 = ThreadCpuSeconds();
  for (size_t i = 0; i < limit; ++i) find(corpus[i], &(*out)[i]);
  return ThreadCpuSeconds() - t0;
}

size_t Bytes(const std::vector<std::string>& corpus, size_t limit) {
  size_t b = 0;
  for (size_t i = 0; i < limit; ++i) b += corpus[i].size();
  return b;
}

// Compares with the reference; prints every disagreement it finds (up to a few).
bool Agree(const char* who, const PerMessage& ref, const PerMessage& got) {
  size_t bad = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    if (got[i] != ref[i]) {
      if (bad++ < 5) {
        std::fprintf(stderr, "MISMATCH %s message %zu: %zu ids vs aho-corasick %zu\n", who, i,
                     got[i].size(), ref[i].size());
      }
    }
  }
  if (bad) {
    std::fprintf(stderr, "!!! %s DISAGREES with aho-corasick on %zu messages !!!\n", who, bad);
  }
  return bad == 0;
}

int HsCollect(unsigned id, unsigned long long, unsigned long long, unsigned, void* ctx) {
  static_cast<std::vector<uint32_t>*>(ctx)->push_back(id);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  size_t max_literals = 1000000;
  size_t corpus_mb = 32;
  bool ac_only = false;
  gfi::LiteralOptions::Scan ac_scan = gfi::LiteralOptions::Scan::kAuto;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--ac-only") == 0) ac_only = true;
    if (i + 1 == argc) break;
    if (std::strcmp(argv[i], "--max") == 0) {
      max_literals = std::stoul(argv[++i]);
    } else if (std::strcmp(argv[i], "--corpus-mb") == 0) {
      corpus_mb = std::stoul(argv[++i]);
    } else if (std::strcmp(argv[i], "--ac-scan") == 0) {
      std::string scan = argv[++i];
      if (scan == "automaton") {
        ac_scan = gfi::LiteralOptions::Scan::kAutomaton;
      } else if (scan == "prefilter") {
        ac_scan = gfi::LiteralOptions::Scan::kPrefilter;
      } else if (scan != "auto") {
        std::fprintf(stderr, "literal_bench: --ac-scan: '%s' is not auto, automaton or prefilter\n",
                     scan.c_str());
        return 2;
      }
    }
  }

  auto t0 = Clock::now();
  Gen lit_gen(42);
  std::vector<std::string> all(max_literals);
  for (auto& l : all) l = lit_gen.Literal();
  size_t planted = 0;
  // Planted literals come from the first 10k, so every set size sees the same hits.
  std::vector<std::string> plant_pool(all.begin(),
                                      all.begin() + std::min<size_t>(10000, all.size()));
  std::vector<std::string> corpus = MakeCorpus(plant_pool, corpus_mb << 20, &planted);
  size_t corpus_bytes = Bytes(corpus, corpus.size());
  std::printf("generated %zu literals and %zu messages (%.1f MB, %zu planted) in %.1f s\n\n",
              all.size(), corpus.size(), corpus_bytes / 1e6, planted, Seconds(t0, Clock::now()));

  std::vector<std::string> table;
  bool all_agree = true;
  for (size_t n : {size_t{10000}, size_t{100000}, size_t{1000000}}) {
    if (n > all.size()) break;
    std::vector<std::string> lits(all.begin(), all.begin() + n);
    size_t lit_bytes = 0;
    for (const auto& l : lits) lit_bytes += l.size();
    std::vector<Row> rows;

    // Aho-Corasick: the reference for agreement.
    PerMessage ref;
    {
      gfi::LiteralOptions options;
      options.scan = ac_scan;
      auto b0 = Clock::now();
      auto built = gfi::BuildAhoCorasick(lits, options);
      double build = Seconds(b0, Clock::now());
      if (!built.ok()) {
        std::fprintf(stderr, "aho-corasick build failed: %s\n", built.error().c_str());
        return 1;
      }
      const gfi::LiteralMatcher& m = *built.value();
      double secs = Scan(corpus, corpus.size(),
                         [&](const std::string& t, std::vector<uint32_t>* f) { m.FindAll(t, f); },
                         &ref);
      size_t hits = 0;
      for (const auto& v : ref) hits += v.size();
      rows.push_back({"gfi Aho-Corasick", Fmt("%.2f s", build),
                      Fmt("%.1f MB", m.MemoryBytes() / 1e6),
                      Fmt("%.0f MB/s", corpus_bytes / 1e6 / secs),
                      "full corpus, " + std::to_string(hits) + " (message, id) hits"});
    }

    // Vectorscan, block mode, literal API.
    if (!ac_only) {
      std::vector<const char*> exprs;
      std::vector<size_t> lens;
      std::vector<unsigned> flags(n, HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH), ids(n);
      for (size_t i = 0; i < n; ++i) {
        exprs.push_back(lits[i].data());
        lens.push_back(lits[i].size());
        ids[i] = static_cast<unsigned>(i);
      }
      hs_database_t* db = nullptr;
      hs_compile_error_t* err = nullptr;
      auto b0 = Clock::now();
      if (hs_compile_lit_multi(exprs.data(), flags.data(), ids.data(), lens.data(),
                               static_cast<unsigned>(n), HS_MODE_BLOCK, nullptr, &db,
                               &err) != HS_SUCCESS) {
        rows.push_back(
            {"Vectorscan 5.4", "-", "-", "-", std::string("compile failed: ") + err->message});
        hs_free_compile_error(err);
      } else {
        double build = Seconds(b0, Clock::now());
        hs_scratch_t* scratch = nullptr;
        hs_alloc_scratch(db, &scratch);
        size_t db_size = 0, scratch_size = 0;
        hs_database_size(db, &db_size);
        hs_scratch_size(scratch, &scratch_size);
        PerMessage got;
        double secs = Scan(corpus, corpus.size(),
                           [&](const std::string& t, std::vector<uint32_t>* f) {
                             hs_scan(db, t.data(), static_cast<unsigned>(t.size()), 0, scratch,
                                     HsCollect, f);
                             std::sort(f->begin(), f->end());
                             f->erase(std::unique(f->begin(), f->end()), f->end());
                           },
                           &got);
        bool ok = Agree("vectorscan", ref, got);
        all_agree &= ok;
        rows.push_back({"Vectorscan 5.4", Fmt("%.2f s", build),
                        Fmt("%.1f MB", (db_size + scratch_size) / 1e6),
                        Fmt("%.0f MB/s", corpus_bytes / 1e6 / secs),
                        std::string("full corpus; db + scratch") +
                            (ok ? ", agrees" : ", MISMATCH")});
        hs_free_scratch(scratch);
        hs_free_database(db);
      }
    }

    // RE2::Set: slow on this many alternatives, so it scans a prefix of the corpus.
    if (!ac_only) {
      RE2::Options options;
      options.set_case_sensitive(false);
      options.set_log_errors(false);
      options.set_max_mem(int64_t{4} << 30);
      options.set_encoding(RE2::Options::EncodingLatin1);  // bytes, like the other two
      size_t rss0 = RssBytes();
      auto b0 = Clock::now();
      auto set = std::make_unique<RE2::Set>(options, RE2::UNANCHORED);
      bool ok = true;
      for (size_t i = 0; i < n && ok; ++i) ok = set->Add(RE2::QuoteMeta(lits[i]), nullptr) >= 0;
      ok = ok && set->Compile();
      double build = Seconds(b0, Clock::now());
      size_t rss = RssBytes() - std::min(RssBytes(), rss0);
      if (!ok) {
        rows.push_back({"RE2::Set", Fmt("%.2f s", build), "-", "-", "out of memory (compile)"});
      } else {
        size_t budget = n <= 10000 ? (4u << 20) : (1u << 20);
        size_t limit = 0, bytes = 0;
        while (limit < corpus.size() && bytes < budget) bytes += corpus[limit++].size();
        PerMessage got;
        bool oom = false;
        double secs = Scan(corpus, limit,
                           [&](const std::string& t, std::vector<uint32_t>* f) {
                             std::vector<int> v;
                             RE2::Set::ErrorInfo info;
                             if (!set->Match(t, &v, &info) && info.kind != RE2::Set::kNoError) {
                               oom = true;
                             }
                             for (int id : v) f->push_back(static_cast<uint32_t>(id));
                             std::sort(f->begin(), f->end());
                           },
                           &got);
        PerMessage ref_prefix(ref.begin(), ref.begin() + static_cast<std::ptrdiff_t>(limit));
        bool agree = !oom && Agree("re2-set", ref_prefix, got);
        all_agree &= oom || agree;
        rows.push_back({"RE2::Set", Fmt("%.2f s", build), Fmt("%.1f MB (RSS)", rss / 1e6),
                        oom ? "-" : Fmt("%.1f MB/s", bytes / 1e6 / secs),
                        oom ? "out of memory (DFA) while matching"
                            : Fmt("first %.1f MB of corpus", bytes / 1e6) +
                                  (agree ? ", agrees" : ", MISMATCH")});
      }
    }

    for (const Row& r : rows) {
      char line[512];
      std::snprintf(line, sizeof line, "| %zuk (%.1f MB) | %s | %s | %s | %s | %s |", n / 1000,
                    lit_bytes / 1e6, r.backend.c_str(), r.build.c_str(), r.memory.c_str(),
                    r.throughput.c_str(), r.note.c_str());
      table.push_back(line);
      std::printf("%s\n", line);
      std::fflush(stdout);
    }
  }

  std::printf("\n| literals (bytes) | backend | build | memory | scan | notes |\n");
  std::printf("|---|---|---|---|---|---|\n");
  for (const auto& l : table) std::printf("%s\n", l.c_str());
  std::printf("\ncorpus %.1f MB in %zu messages, case-insensitive, one FindAll/hs_scan/Match per "
              "message; total run %.0f s\n",
              corpus_bytes / 1e6, corpus.size(), Seconds(t0, Clock::now()));
  if (!all_agree) {
    std::printf("\n!!! BACKENDS DISAGREE — see MISMATCH lines on stderr !!!\n");
    return 1;
  }
  return 0;
}
