// The reference matcher: folds text and patterns once, then searches every pattern on its own.
// O(patterns x text) per call, so it is the oracle of the contract tests, never a production
// backend.
#include "match/literal_matcher.h"

#include <algorithm>
#include <string>
#include <utility>

namespace gfi {
namespace {

class NaiveMatcher final : public LiteralMatcher {
 public:
  NaiveMatcher(std::vector<std::string> folded, bool case_insensitive)
      : patterns_(std::move(folded)), case_insensitive_(case_insensitive) {}

  void FindAll(std::string_view text, std::vector<uint32_t>* found) const override {
    std::string folded(text);
    if (case_insensitive_) FoldAscii(&folded);
    std::string_view haystack(folded);
    for (size_t i = 0; i < patterns_.size(); ++i) {
      if (haystack.find(patterns_[i]) != std::string_view::npos) {
        found->push_back(static_cast<uint32_t>(i));
      }
    }
  }

  size_t MemoryBytes() const override {
    size_t bytes = sizeof(*this) + patterns_.capacity() * sizeof(std::string);
    for (const std::string& p : patterns_) bytes += p.capacity();
    return bytes;
  }

  static void FoldAscii(std::string* s) {
    for (char& c : *s) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
  }

 private:
  std::vector<std::string> patterns_;  // folded when case_insensitive_
  bool case_insensitive_;
};

}  // namespace

Result<std::unique_ptr<LiteralMatcher>> BuildNaiveLiteralMatcher(
    const std::vector<std::string>& patterns, const LiteralOptions& options) {
  if (patterns.size() > UINT32_MAX) return Status::Error("naive matcher: too many patterns");
  std::vector<std::string> folded = patterns;
  for (size_t i = 0; i < folded.size(); ++i) {
    if (folded[i].empty()) {
      return Status::Error("naive matcher: pattern " + std::to_string(i) + " is empty");
    }
    if (options.case_insensitive) NaiveMatcher::FoldAscii(&folded[i]);
  }
  return std::unique_ptr<LiteralMatcher>(
      std::make_unique<NaiveMatcher>(std::move(folded), options.case_insensitive));
}

}  // namespace gfi
