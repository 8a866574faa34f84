// Multi-pattern literal search: which of N literals occur in a text. One interface, several
// backends (our Aho-Corasick automaton, a naive reference used as the test oracle); every backend
// passes the same contract suite (tests/unit/literal_matcher_contract_test.cc).
//
// A matcher is built once, is immutable afterwards, and FindAll is thread-safe. Not copyable;
// hold it by unique_ptr/shared_ptr.
#ifndef GFI_MATCH_LITERAL_MATCHER_H_
#define GFI_MATCH_LITERAL_MATCHER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "util/status.h"

namespace gfi {

struct LiteralOptions {
  // Compare ASCII letters without regard to case (other bytes exactly). Content indicators in mail
  // are matched case-insensitively by default.
  bool case_insensitive = true;

  // How the Aho-Corasick backend scans a text (other backends ignore it). kAuto lets the build
  // choose from the patterns; the other two force one path, for tests and benchmarks.
  //   kAutomaton: one automaton step per text byte.
  //   kPrefilter: a bitmap of hashed pattern keys (their first 8 bytes, or all of a shorter
  //               pattern) tested at every position, or every other one when no pattern is
  //               under 8 bytes; an exact table of the keys and a trie of the rest of the
  //               patterns only where it passes. kAuto takes it when no pattern is under 4
  //               bytes (shorter ones pass the bitmap too often).
  enum class Scan { kAuto, kAutomaton, kPrefilter };
  Scan scan = Scan::kAuto;
};

class LiteralMatcher {
 public:
  virtual ~LiteralMatcher() = default;
  LiteralMatcher(const LiteralMatcher&) = delete;
  LiteralMatcher& operator=(const LiteralMatcher&) = delete;

  // Appends to *found the id (index in the build vector) of every pattern that occurs at least once
  // in `text`, each id once, in ascending order. Overlapping and nested occurrences all count.
  virtual void FindAll(std::string_view text, std::vector<uint32_t>* found) const = 0;

  // Bytes of memory the matcher holds (for benchmarks and `gfictl indicators check`).
  virtual size_t MemoryBytes() const = 0;

 protected:
  LiteralMatcher() = default;
};

// Our Aho-Corasick automaton (or its prefilter scan, see LiteralOptions::Scan). Empty patterns
// are an error; duplicate patterns are allowed (each id is reported). Building is O(total
// pattern bytes).
Result<std::unique_ptr<LiteralMatcher>> BuildAhoCorasick(const std::vector<std::string>& patterns,
                                                        const LiteralOptions& options);

// The reference: memmem-style search of every pattern. O(patterns x text); tests only.
Result<std::unique_ptr<LiteralMatcher>> BuildNaiveLiteralMatcher(
    const std::vector<std::string>& patterns, const LiteralOptions& options);

}  // namespace gfi

#endif  // GFI_MATCH_LITERAL_MATCHER_H_
