#include "util/charset.h"

#include <iconv.h>

#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

namespace gfi {
namespace {

// What a converter opened for this one text alone makes of it (the behaviour before converters
// were cached); valid input only, so no replacement logic is needed.
std::string FreshConversion(const std::string& bytes, const char* charset) {
  iconv_t cd = iconv_open("UTF-8", charset);
  REQUIRE(cd != reinterpret_cast<iconv_t>(-1));
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* o = out.data();
  size_t o_left = out.size();
  REQUIRE(iconv(cd, &in, &in_left, &o, &o_left) != static_cast<size_t>(-1));
  REQUIRE(iconv(cd, nullptr, nullptr, &o, &o_left) != static_cast<size_t>(-1));
  out.resize(out.size() - o_left);
  iconv_close(cd);
  return out;
}

struct Sample {
  const char* charset;
  std::string bytes;
};

const std::vector<Sample>& Samples() {
  static const std::vector<Sample> kSamples = {
      {"koi8-r", "\xF0\xD2\xC9\xD7\xC5\xD4"},
      {"iso-2022-jp", "\x1B$B$3$s$K$A$O\x1B(B!"},
      {"shift_jis", "\x82\xB1\x82\xF1\x82\xC9\x82\xBF\x82\xCD"},
      {"windows-1251", "\xCF\xF0\xE8\xE2\xE5\xF2"},
      {"big5", "\xA4\xA4\xA4\xE5"},
      {"euc-kr", "\xC7\xD1\xB1\xB9"},
      {"iso-8859-7", "\xE3\xE5\xE9\xE1"},
      {"utf-16le", std::string("h\0i\0", 4)},
  };
  return kSamples;
}

TEST_CASE("cached converters give what a fresh converter gives, across charset switches") {
  for (int round = 0; round < 3; ++round) {
    for (const Sample& s : Samples()) {
      INFO(s.charset << " round " << round);
      Utf8Text t = ToUtf8(s.bytes, s.charset);
      CHECK_FALSE(t.unknown_charset);
      CHECK_FALSE(t.had_invalid);
      CHECK(t.text == FreshConversion(s.bytes, s.charset));
    }
  }
  CHECK(ThreadConverterCacheSize() >= Samples().size());
}

TEST_CASE("a text ending inside a shift sequence does not change the next text") {
  // ISO-2022-JP left in JIS X 0208 mode: a converter reused without a reset would read the next
  // text's ASCII as kanji.
  Utf8Text cut = ToUtf8("\x1B$B$3", "iso-2022-jp");
  CHECK_FALSE(cut.text.empty());
  Utf8Text next = ToUtf8("$3abc", "iso-2022-jp");
  CHECK(next.text == "$3abc");
  // An invalid byte in the middle leaves the converter reset too.
  Utf8Text bad = ToUtf8("\x1B$B\xFF$3", "iso-2022-jp");
  CHECK(bad.had_invalid);
  CHECK(ToUtf8("$3", "iso-2022-jp").text == "$3");
}

TEST_CASE("the converter cache is bounded and evicts the least recently used") {
  std::vector<std::string> names;
  for (int i = 1; i <= 16; ++i) {
    if (i == 12) continue;  // there is no ISO-8859-12
    names.push_back("iso-8859-" + std::to_string(i));
  }
  for (const char* n :
       {"koi8-r",       "koi8-u",       "windows-1250", "windows-1251", "windows-1253",
        "windows-1254", "windows-1255", "windows-1256", "windows-1257", "windows-1258",
        "cp866",        "cp850",        "cp437",        "shift_jis",    "euc-jp",
        "big5",         "euc-kr",       "utf-16le",     "utf-16be",     "iso-2022-jp",
        "tis-620",      "cp1125"})
    names.push_back(n);
  REQUIRE(names.size() > kThreadConverterCacheEntries);
  for (const std::string& n : names) {
    INFO(n);
    Utf8Text t = ToUtf8("\xE9", n);  // one non-ASCII byte: every charset goes to iconv
    CHECK_FALSE(t.text.empty());
  }
  CHECK(ThreadConverterCacheSize() == kThreadConverterCacheEntries);
  // The first names were evicted; converting with them again is still right.
  CHECK(ToUtf8("\xE9", "iso-8859-1").text == "\xC3\xA9");  // windows-1252
  CHECK(ToUtf8("\xC1", "koi8-r").text == FreshConversion("\xC1", "KOI8-R"));
}

TEST_CASE("an unknown charset is read as windows-1252, also when asked again") {
  for (int i = 0; i < 2; ++i) {
    Utf8Text t = ToUtf8("caf\xE9", "x-no-such-charset");
    CHECK(t.unknown_charset);
    CHECK(t.text == "caf\xC3\xA9");
  }
}

TEST_CASE("each thread has its own converters") {
  // Catch2 assertions are not thread-safe: the threads only compare.
  std::vector<std::string> expected;
  for (const Sample& s : Samples()) expected.push_back(FreshConversion(s.bytes, s.charset));
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (size_t i = 0; i < ok.size(); ++i) {
    threads.emplace_back([&ok, &expected, i] {
      bool all = true;
      for (int round = 0; round < 200; ++round)
        for (size_t k = 0; k < Samples().size(); ++k)
          all = all && ToUtf8(Samples()[k].bytes, Samples()[k].charset).text == expected[k];
      ok[i] = all ? 1 : 0;
    });
  }
  for (std::thread& t : threads) t.join();
  CHECK(ok == std::vector<int>(4, 1));
}

}  // namespace
}  // namespace gfi
