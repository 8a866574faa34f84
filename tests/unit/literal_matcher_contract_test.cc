// The contract every LiteralMatcher backend must honour, run against each of them; randomised
// cases compare Aho-Corasick with the naive reference byte for byte.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "match/literal_matcher.h"

namespace gfi {
namespace {

// The Aho-Corasick backend as built by default, and with each of its scans forced, so that both
// are tested whatever the patterns (kAuto picks the prefilter only when all are long enough).
template <LiteralOptions::Scan kScan>
struct AhoCorasickScanBackend {
  static Result<std::unique_ptr<LiteralMatcher>> Build(const std::vector<std::string>& patterns,
                                                      LiteralOptions options) {
    options.scan = kScan;
    return BuildAhoCorasick(patterns, options);
  }
};
using AhoCorasickBackend = AhoCorasickScanBackend<LiteralOptions::Scan::kAuto>;
using AutomatonBackend = AhoCorasickScanBackend<LiteralOptions::Scan::kAutomaton>;
using PrefilterBackend = AhoCorasickScanBackend<LiteralOptions::Scan::kPrefilter>;

struct NaiveBackend {
  static Result<std::unique_ptr<LiteralMatcher>> Build(const std::vector<std::string>& patterns,
                                                      const LiteralOptions& options) {
    return BuildNaiveLiteralMatcher(patterns, options);
  }
};

using Ids = std::vector<uint32_t>;

LiteralOptions CaseInsensitive(bool on) {
  LiteralOptions options;
  options.case_insensitive = on;
  return options;
}

template <typename Backend>
std::unique_ptr<LiteralMatcher> MustBuild(const std::vector<std::string>& patterns,
                                          LiteralOptions options = LiteralOptions()) {
  auto built = Backend::Build(patterns, options);
  REQUIRE(built.ok());
  return std::move(built).value();
}

Ids Find(const LiteralMatcher& m, std::string_view text) {
  Ids found;
  m.FindAll(text, &found);
  return found;
}

// A string of `n` bytes drawn from `alphabet`.
std::string RandomString(std::mt19937* rng, std::string_view alphabet, size_t n) {
  std::string s(n, '\0');
  for (char& c : s) c = alphabet[(*rng)() % alphabet.size()];
  return s;
}

}  // namespace

TEMPLATE_TEST_CASE("literal matcher: empty inputs", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto none = MustBuild<TestType>({});
  CHECK(Find(*none, "anything at all").empty());
  CHECK(Find(*none, "").empty());
  CHECK(none->MemoryBytes() > 0);

  auto m = MustBuild<TestType>({"abc"});
  CHECK(Find(*m, "").empty());
}

TEMPLATE_TEST_CASE("literal matcher: an empty pattern is an error naming it", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto built = TestType::Build({"abc", "", "def"}, LiteralOptions());
  REQUIRE_FALSE(built.ok());
  CHECK_THAT(built.error(), Catch::Contains("1"));
  CHECK_FALSE(TestType::Build({""}, LiteralOptions()).ok());
}

TEMPLATE_TEST_CASE("literal matcher: single-byte patterns", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto m = MustBuild<TestType>({"a", "b", "z", "."});
  CHECK(Find(*m, "b") == Ids{1});
  CHECK(Find(*m, "zab") == Ids{0, 1, 2});
  CHECK(Find(*m, "xyw").empty());
  CHECK(Find(*m, "x.y") == Ids{3});
}

TEMPLATE_TEST_CASE("literal matcher: overlapping and nested occurrences", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto overlap = MustBuild<TestType>({"abab", "baba", "aa"});
  CHECK(Find(*overlap, "ababab") == Ids{0, 1});
  CHECK(Find(*overlap, "aaa") == Ids{2});

  auto nested = MustBuild<TestType>({"he", "she", "hers", "his"});
  CHECK(Find(*nested, "ushers") == Ids{0, 1, 2});
  CHECK(Find(*nested, "this") == Ids{3});
  CHECK(Find(*nested, "hhis hershe") == Ids{0, 1, 2, 3});
  CHECK(Find(*nested, "h e s h").empty());
}

TEMPLATE_TEST_CASE("literal matcher: patterns that are prefixes and suffixes of each other",
                   "[literal]", AhoCorasickBackend, AutomatonBackend, PrefilterBackend,
                   NaiveBackend) {
  // Longer than 8 bytes too, so that matches continue past the automaton's depth bound.
  std::vector<std::string> patterns = {"a",          "ab",         "abc",        "abcdefghij",
                                       "abcdefghijk", "bcdefghijk", "ijk",        "k",
                                       "abcdefgh",    "abcdefghi",  "cdefghijkl"};
  auto m = MustBuild<TestType>(patterns);
  CHECK(Find(*m, "abcdefghijk") == Ids{0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  CHECK(Find(*m, "abcdefghi") == Ids{0, 1, 2, 8, 9});
  CHECK(Find(*m, "xbcdefghijkl") == Ids{5, 6, 7, 10});
  CHECK(Find(*m, "abcdefgh_abcdefghij") == Ids{0, 1, 2, 3, 8, 9});
}

TEMPLATE_TEST_CASE("literal matcher: duplicate patterns report every id", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto folded = MustBuild<TestType>(
      {"x1", "abc", "abc", "ABC", "longer-than-eight", "LONGER-than-eight"});
  CHECK(Find(*folded, "..abc..") == Ids{1, 2, 3});
  CHECK(Find(*folded, "a Longer-Than-Eight b") == Ids{4, 5});

  auto exact = MustBuild<TestType>({"x1", "abc", "abc", "ABC"}, CaseInsensitive(false));
  CHECK(Find(*exact, "..abc..") == Ids{1, 2});
  CHECK(Find(*exact, "..ABC..") == Ids{3});
}

TEMPLATE_TEST_CASE("literal matcher: ASCII case folding on and off", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  std::vector<std::string> patterns = {"Evil.Example", "paypal-LOGIN.com", "@", "\xc4"};
  auto folded = MustBuild<TestType>(patterns, CaseInsensitive(true));
  CHECK(Find(*folded, "see EVIL.example now") == Ids{0});
  CHECK(Find(*folded, "https://PayPal-Login.COM/") == Ids{1});
  // Only A-Z fold: '@' (0x40) is not '`' (0x60), and 0xC4 is not 0xE4.
  CHECK(Find(*folded, "`\xe4").empty());
  CHECK(Find(*folded, "x@\xc4") == Ids{2, 3});

  auto exact = MustBuild<TestType>(patterns, CaseInsensitive(false));
  CHECK(Find(*exact, "see EVIL.example now").empty());
  CHECK(Find(*exact, "see Evil.Example now") == Ids{0});
  CHECK(Find(*exact, "paypal-login.com").empty());
  CHECK(Find(*exact, "paypal-LOGIN.com") == Ids{1});
}

TEMPLATE_TEST_CASE("literal matcher: high bytes and NUL bytes", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  using namespace std::string_literals;
  std::vector<std::string> patterns = {"\x00"s, "a\x00" "b"s, "\xff\xfe"s, "caf\xc3\xa9"s,
                                       "\x80\x00\x81\x00\x82\x00\x83\x00\x84\x00"s};
  auto m = MustBuild<TestType>(patterns);
  CHECK(Find(*m, "a\x00" "b"s) == Ids{0, 1});
  CHECK(Find(*m, "xx\xff\xfeyy"s) == Ids{2});
  CHECK(Find(*m, "CAF\xc3\xa9"s) == Ids{3});
  CHECK(Find(*m, "CAF\xc3\x89"s).empty());
  CHECK(Find(*m, "-\x80\x00\x81\x00\x82\x00\x83\x00\x84\x00-"s) == Ids{0, 4});
  CHECK(Find(*m, "\x80\x00\x81\x00\x82\x00\x83\x00\x84\x01"s) == Ids{0});
}

TEMPLATE_TEST_CASE("literal matcher: every byte value in use", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  std::vector<std::string> patterns;
  for (int b = 0; b < 256; ++b) patterns.push_back(std::string(3, static_cast<char>(b)));
  auto m = MustBuild<TestType>(patterns, CaseInsensitive(false));
  std::string text;
  for (int b = 255; b >= 0; b -= 5) text += std::string(3, static_cast<char>(b)) + "\x01";
  Ids expected;
  for (int b = 0; b < 256; ++b) {
    if ((255 - b) % 5 == 0) expected.push_back(static_cast<uint32_t>(b));
  }
  CHECK(Find(*m, text) == expected);
}

TEMPLATE_TEST_CASE("literal matcher: matches at the very start and end", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto m = MustBuild<TestType>({"start", "the-end-of-it", "whole"});
  CHECK(Find(*m, "start of text") == Ids{0});
  CHECK(Find(*m, "this is the-end-of-it") == Ids{1});
  CHECK(Find(*m, "whole") == Ids{2});
  CHECK(Find(*m, "the-end-of-i").empty());  // truncated by the end of the text
  CHECK(Find(*m, "tart").empty());
}

TEMPLATE_TEST_CASE("literal matcher: long patterns", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  std::mt19937 rng(7);
  std::string long1 = RandomString(&rng, "abcdefghijklmnopqrstuvwxyz./-", 10000);
  std::string long2 = long1.substr(0, 9999) + "!";  // differs in the last byte
  std::string runs(10000, 'a');
  auto m = MustBuild<TestType>({long1, long2, runs, "aaaa"});
  CHECK(Find(*m, "xx" + long1 + "yy") == Ids{0});
  CHECK(Find(*m, long2) == Ids{1});
  CHECK(Find(*m, long1.substr(0, 9999)).empty());
  CHECK(Find(*m, std::string(10001, 'a')) == Ids{2, 3});
  CHECK(Find(*m, std::string(9999, 'a')) == Ids{3});
}

TEMPLATE_TEST_CASE("literal matcher: appends sorted ids after existing content", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  auto m = MustBuild<TestType>({"zeta", "alpha", "mid"});
  Ids found = {42};
  m->FindAll("alpha mid zeta alpha", &found);
  CHECK(found == Ids{42, 0, 1, 2});
}

TEMPLATE_TEST_CASE("literal matcher: FindAll is safe from concurrent threads", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  std::mt19937 rng(11);
  std::vector<std::string> patterns;
  for (int i = 0; i < 200; ++i) patterns.push_back(RandomString(&rng, "abc", 1 + rng() % 12));
  auto m = MustBuild<TestType>(patterns);
  std::string text = RandomString(&rng, "abcd", 5000);
  Ids expected = Find(*m, text);
  REQUIRE_FALSE(expected.empty());
  std::vector<Ids> results(4);
  std::vector<std::thread> threads;
  for (auto& r : results) {
    threads.emplace_back([&m, &text, &r] {
      for (int k = 0; k < 20; ++k) r = Find(*m, text);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) CHECK(r == expected);
}

// The prefilter keys patterns by their first 8 bytes, shorter ones by all their bytes and their
// length; windows near the end of the text are padded with zeros.
TEMPLATE_TEST_CASE("literal matcher: patterns of 1, 2 and 3 bytes beside longer ones", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  using namespace std::string_literals;
  auto m = MustBuild<TestType>({"q", "qr", "qrs", "qrstuvwxyz", "rs", "s", "qrstuvwx"});
  CHECK(Find(*m, "q") == Ids{0});
  CHECK(Find(*m, "qr") == Ids{0, 1});
  CHECK(Find(*m, "xqrs") == Ids{0, 1, 2, 4, 5});
  CHECK(Find(*m, "QRSTUVWXYZ") == Ids{0, 1, 2, 3, 4, 5, 6});
  CHECK(Find(*m, "qrstuvwxy") == Ids{0, 1, 2, 4, 5, 6});
  CHECK(Find(*m, "abc").empty());

  // A short key, its bytes then zeros and its length, must not meet a long key of those bytes,
  // nor the zero padding past the end of the text complete "ab\0".
  auto nul = MustBuild<TestType>({"ab", "ab\0"s, "ab\0\0\0\0\0\x02"s, "ab\0\0\0\0\0\x02tail"s});
  CHECK(Find(*nul, "ab") == Ids{0});
  CHECK(Find(*nul, "xxab") == Ids{0});
  CHECK(Find(*nul, "ab\0"s) == Ids{0, 1});
  CHECK(Find(*nul, "ab\0\0\0\0\0\x02"s) == Ids{0, 1, 2});
  CHECK(Find(*nul, "ab\0\0\0\0\0\x02tai"s) == Ids{0, 1, 2});
  CHECK(Find(*nul, "ab\0\0\0\0\0\x02tail"s) == Ids{0, 1, 2, 3});

  // A long key whose last bytes are zeros, and a text ending in its first bytes.
  auto zeros = MustBuild<TestType>({"abc\0\0\0\0\0"s, "abc\0\0\0\0\0z"s});
  CHECK(Find(*zeros, "abc").empty());
  CHECK(Find(*zeros, "xabc\0\0\0\0"s).empty());
  CHECK(Find(*zeros, "xabc\0\0\0\0\0"s) == Ids{0});
  CHECK(Find(*zeros, "abc\0\0\0\0\0z"s) == Ids{0, 1});
}

TEMPLATE_TEST_CASE("literal matcher: patterns that start with bytes above 0x7f", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  using namespace std::string_literals;
  std::vector<std::string> patterns = {"\xc3\xa9t\xc3\xa9-caf\xc3\xa9", std::string(9, '\xff'),
                                       "\x80", "\xe2\x80\x8bzero-width", "\xc1\xc2"};
  auto m = MustBuild<TestType>(patterns);
  CHECK(Find(*m, "x\xc3\xa9T\xc3\xa9-CAF\xc3\xa9y") == Ids{0});
  CHECK(Find(*m, "\xc3\x89t\xc3\xa9-caf\xc3\xa9").empty());  // only A-Z fold
  CHECK(Find(*m, std::string(9, '\xff')) == Ids{1});
  CHECK(Find(*m, std::string(8, '\xff')).empty());
  CHECK(Find(*m, "\xe2\x80\x8bZERO-WIDTH") == Ids{2, 3});
  CHECK(Find(*m, "\xe1\xe2").empty());  // 0xC1 is not 0xE1 folded
  CHECK(Find(*m, "-\xc1\xc2") == Ids{4});
}

TEMPLATE_TEST_CASE("literal matcher: overlapping patterns sharing their first 8 bytes", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  std::vector<std::string> patterns = {"password-reset.example", "password-reset.example.com",
                                       "password", "passwords.zip", "assword-reset",
                                       "reset.example.com/login", "Passwort"};
  auto folded = MustBuild<TestType>(patterns);
  CHECK(Find(*folded, "see https://Password-Reset.Example.COM/login now") ==
        Ids{0, 1, 2, 4, 5});
  CHECK(Find(*folded, "passwords.zip") == Ids{2, 3});
  CHECK(Find(*folded, "passwor").empty());
  CHECK(Find(*folded, "PASSWORT password") == Ids{2, 6});
  auto exact = MustBuild<TestType>(patterns, CaseInsensitive(false));
  CHECK(Find(*exact, "Password-Reset.Example.COM/login").empty());
  CHECK(Find(*exact, "password-reset.example.com/login") == Ids{0, 1, 2, 4, 5});
  CHECK(Find(*exact, "passwort Passwort") == Ids{6});
}

// Randomised comparison with the oracle: small alphabets make overlaps, nesting, shared
// prefixes and duplicates common; lengths beyond 8 cross the automaton's depth bound and the
// prefilter's key length. Every third seed has no pattern under 4 bytes, for kAuto's prefilter,
// and every sixth none under 8, for its sampled scan.
TEMPLATE_TEST_CASE("aho-corasick agrees with the naive matcher on random small alphabets",
                   "[literal]", AhoCorasickBackend, AutomatonBackend, PrefilterBackend) {
  const std::vector<std::string> alphabets = {"ab", "abc", "aB", "abcA", "a\x00\xff", "xyzXYZ"};
  for (uint32_t seed = 0; seed < 1500; ++seed) {
    std::mt19937 rng(seed);
    std::string_view alphabet = alphabets[seed % alphabets.size()];
    bool fold = (seed / alphabets.size()) % 2 == 0;
    std::vector<std::string> patterns(1 + rng() % 40);
    const size_t min_len = seed % 3 == 0 ? 4 : seed % 6 == 1 ? 8 : 1;
    for (auto& p : patterns) {
      size_t len = min_len + (rng() % 4 == 0 ? rng() % 24 : rng() % 6);
      p = RandomString(&rng, alphabet, len);
    }
    auto ac = MustBuild<TestType>(patterns, CaseInsensitive(fold));
    auto naive = MustBuild<NaiveBackend>(patterns, CaseInsensitive(fold));
    for (int t = 0; t < 4; ++t) {
      // Long texts too: matchers may split them, and matches must survive the seams.
      size_t len = t == 3 ? 1000 + rng() % 9000 : rng() % 400;
      std::string text = RandomString(&rng, alphabet, len);
      INFO("seed " << seed << " text " << t);
      REQUIRE(Find(*ac, text) == Find(*naive, text));
    }
  }
}

TEMPLATE_TEST_CASE("literal matcher: occurrences at every offset of longer texts", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  const std::string needle = "needle-longer-than-eight";
  auto m = MustBuild<TestType>({needle, "x", "tail"});
  for (size_t size : {1000u, 1024u, 1031u, 4096u, 4103u, 8200u}) {
    for (size_t at = 0; at + needle.size() <= size; ++at) {
      std::string text(size, '.');
      text.replace(at, needle.size(), needle);
      INFO("size " << size << " at " << at);
      REQUIRE(Find(*m, text) == Ids{0});
    }
  }
}

// With every pattern 8 bytes or longer the prefilter tests only every other position first, and
// finds an occurrence at an odd one through the next: test both parities at block seams.
TEMPLATE_TEST_CASE("literal matcher: patterns of 8 bytes and more at every offset", "[literal]",
                   AhoCorasickBackend, AutomatonBackend, PrefilterBackend, NaiveBackend) {
  const std::vector<std::string> needles = {"exactly8", "Nine-byte", "needle-longer-than-eight"};
  auto m = MustBuild<TestType>({"exactly8", "nine-byte", "needle-longer-than-eight", "zzzzzzzz"});
  for (size_t size : {9u, 30u, 4096u, 4097u, 8200u}) {
    for (uint32_t id = 0; id < needles.size(); ++id) {
      const std::string& needle = needles[id];
      for (size_t at = 0; at + needle.size() <= size; ++at) {
        if (size > 100 && at > 40 && at + 100 < size && (at < 4050 || at > 4110)) continue;
        std::string text(size, 'z');
        text.replace(at, needle.size(), needle);
        if (at > 0) text[at - 1] = '.';
        if (at + needle.size() < size) text[at + needle.size()] = '.';
        INFO("size " << size << " needle " << id << " at " << at);
        Ids expected = {id};
        if (at >= 9 || at + needle.size() + 9 <= size) expected.push_back(3);
        REQUIRE(Find(*m, text) == expected);
      }
    }
  }
}

TEMPLATE_TEST_CASE("aho-corasick agrees with the naive matcher on a large random set",
                   "[literal]", AhoCorasickBackend, AutomatonBackend, PrefilterBackend) {
  std::mt19937 rng(2024);
  std::vector<std::string> patterns(5000);
  for (auto& p : patterns) p = RandomString(&rng, "acgt", 1 + rng() % 16);
  std::string text = RandomString(&rng, "acgtACGT", 100000);
  auto ac = MustBuild<TestType>(patterns);
  auto naive = MustBuild<NaiveBackend>(patterns);
  Ids expected = Find(*naive, text);
  CHECK(expected.size() > 100);
  CHECK(expected.size() < patterns.size());
  CHECK(Find(*ac, text) == expected);
}

// With every byte value in some pattern the alphabet has 256 classes, so only a couple of
// thousand states get full transition rows and the rest use the sparse path: test that path.
TEMPLATE_TEST_CASE("aho-corasick agrees with the naive matcher beyond its dense states",
                   "[literal]", AhoCorasickBackend, AutomatonBackend, PrefilterBackend) {
  std::mt19937 rng(99);
  std::vector<std::string> patterns;
  for (int b = 0; b < 256; ++b) patterns.push_back(std::string(1, static_cast<char>(b)) + "\x01q");
  for (int i = 0; i < 6000; ++i) patterns.push_back(RandomString(&rng, "abc", 1 + rng() % 14));
  std::string text = RandomString(&rng, "abcd", 200000);
  for (bool fold : {true, false}) {
    auto ac = MustBuild<TestType>(patterns, CaseInsensitive(fold));
    auto naive = MustBuild<NaiveBackend>(patterns, CaseInsensitive(fold));
    CHECK(Find(*ac, text) == Find(*naive, text));
  }
}

}  // namespace gfi
