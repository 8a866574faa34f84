// Throughput of the analysis engine on a directory of messages, and of the base64 decoder.
//   parse_bench DIR [SECONDS]   prints MB/s and messages/s for: parse (MIME structure only),
//                               parse+decode (every leaf decoded, as Python's "full decode"),
//                               parse+decode+hash (and md5+sha1+sha256 of attachments), and
//                               analyze (the full AnalyzeMessage: URLs, HTML, archives too).
//   parse_bench DIR SECONDS MODE runs one mode (parse, decode, hash, analyze), for profiling.
//   parse_bench --base64        decodes 64 MiB of 76-column CRLF base64 and prints GB/s.
// Single-threaded: figures are per core. Run by bench/run_parse_bench.sh beside Python's parser.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "extract/analyzer.h"
#include "mime/mime_parser.h"
#include "mime/transfer_decode.h"
#include "util/digest.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Runs `fn` over all messages repeatedly for at least `min_seconds`; prints the rates.
void Measure(const char* name, const std::vector<std::string>& msgs, double min_seconds,
             const std::function<size_t(const std::string&)>& fn) {
  size_t bytes = 0, count = 0, sink = 0;
  auto start = Clock::now();
  double elapsed = 0;
  do {
    for (const std::string& m : msgs) {
      sink += fn(m);
      bytes += m.size();
      ++count;
    }
    elapsed = Seconds(start, Clock::now());
  } while (elapsed < min_seconds);
  std::printf("%-20s %10.1f MB/s %10.0f msg/s   (%zu messages, %.2f s, check %zu)\n", name,
              bytes / elapsed / 1e6, count / elapsed, count, elapsed, sink % 10);
}

void Leaves(const gfi::MimePart& p, std::vector<const gfi::MimePart*>* out) {
  if (p.IsLeaf()) {
    out->push_back(&p);
    return;
  }
  for (const gfi::MimePart& c : p.children) Leaves(c, out);
}

size_t ParseDecodeHash(const std::string& raw, const gfi::AnalysisLimits& limits, bool hash) {
  gfi::ParsedMessage m = gfi::ParseMime(raw, limits);
  std::vector<const gfi::MimePart*> leaves;
  Leaves(m.root, &leaves);
  size_t n = 0;
  for (const gfi::MimePart* p : leaves) {
    std::string buffer;
    std::string_view data = p->body;  // identity encodings are used in place, as the engine does
    if (p->transfer_encoding == "base64") {
      gfi::DecodeBase64(p->body, &buffer);
      data = buffer;
    } else if (p->transfer_encoding == "quoted-printable") {
      gfi::DecodeQuotedPrintable(p->body, &buffer);
      data = buffer;
    }
    bool text = p->content_type.value.rfind("text/", 0) == 0;
    if (hash && (!text || !p->filename.empty())) n += gfi::ComputeDigests(data).sha256.size();
    n += data.size();
  }
  return n;
}

int Base64Bench() {
  std::mt19937_64 rng(1);
  std::string bin(48 << 20, '\0');
  for (size_t i = 0; i + 8 <= bin.size(); i += 8) {
    uint64_t v = rng();
    std::memcpy(&bin[i], &v, 8);
  }
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string enc;
  enc.reserve(bin.size() / 3 * 4 + bin.size() / 57 * 2 + 8);
  size_t col = 0;
  for (size_t i = 0; i + 2 < bin.size(); i += 3) {
    uint32_t v = (uint8_t(bin[i]) << 16) | (uint8_t(bin[i + 1]) << 8) | uint8_t(bin[i + 2]);
    for (int k = 3; k >= 0; --k) enc.push_back(kAlpha[(v >> (6 * k)) & 63]);
    if ((col += 4) == 76) {
      enc += "\r\n";
      col = 0;
    }
  }
  std::string out;
  out.reserve(bin.size());
  const int kRounds = 20;
  auto start = Clock::now();
  for (int r = 0; r < kRounds; ++r) {
    out.clear();
    gfi::DecodeBase64(enc, &out);
  }
  double s = Seconds(start, Clock::now());
  bool ok = out == bin;
  std::printf("base64 decode (76-col CRLF): %.2f GB/s of encoded input, %.2f GB/s decoded (%s)\n",
              enc.size() * double(kRounds) / s / 1e9, bin.size() * double(kRounds) / s / 1e9,
              ok ? "verified" : "MISMATCH");
  return ok ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc >= 2 && std::strcmp(argv[1], "--base64") == 0) return Base64Bench();
  if (argc < 2) {
    std::fprintf(stderr, "usage: parse_bench DIR [SECONDS] | parse_bench --base64\n");
    return 2;
  }
  double min_seconds = argc >= 3 ? std::atof(argv[2]) : 3.0;
  std::string only = argc >= 4 ? argv[3] : "";  // run one mode: parse, decode or analyze
  std::vector<std::string> msgs;
  size_t total = 0;
  for (const auto& e : std::filesystem::directory_iterator(argv[1])) {
    if (!e.is_regular_file()) continue;
    std::ifstream in(e.path(), std::ios::binary);
    std::ostringstream ss;
    ss << in.rdbuf();
    msgs.push_back(std::move(ss).str());
    total += msgs.back().size();
  }
  if (msgs.empty()) {
    std::fprintf(stderr, "parse_bench: no messages in %s\n", argv[1]);
    return 2;
  }
  std::printf("corpus %s: %zu messages, %.1f MB\n", argv[1], msgs.size(), total / 1e6);
  gfi::AnalysisLimits limits;
  if (only.empty() || only == "parse")
    Measure("parse", msgs, min_seconds, [&](const std::string& m) {
      return gfi::ParseMime(m, limits).part_count;
    });
  if (only.empty() || only == "decode")
    Measure("parse+decode", msgs, min_seconds,
            [&](const std::string& m) { return ParseDecodeHash(m, limits, false); });
  if (only.empty() || only == "hash")
    Measure("parse+decode+hash", msgs, min_seconds,
            [&](const std::string& m) { return ParseDecodeHash(m, limits, true); });
  gfi::Envelope env;
  if (only.empty() || only == "analyze")
    Measure("analyze (full)", msgs, min_seconds, [&](const std::string& m) {
      return gfi::AnalyzeMessage(m, env, limits).observables.size();
    });
  return 0;
}
