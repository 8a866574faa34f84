// E-mail address normal form (extract/address.h): local parts compared case-insensitively, a
// quoted local part equal to its unquoted form when that is valid, addresses shown by encoded-word
// display names extracted; one normal form for feeds, messages and blinded feeds.
#include "extract/address.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "extract/analyzer.h"
#include "indicators/blind_feed.h"
#include "indicators/blind_key.h"
#include "indicators/feed.h"
#include "indicators/term.h"
#include "snapshot/snapshot.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;

using V = std::vector<std::string>;

std::string Norm(std::string_view a) { return NormalizeAddress(a).value_or("(none)"); }

bool HasEmail(const MessageAnalysis& a, std::string_view v, Where w) {
  return std::any_of(a.observables.begin(), a.observables.end(), [&](const Observable& o) {
    return o.type == ObservableType::kEmail && o.value == v && o.where == w;
  });
}

}  // namespace

TEST_CASE("address: the local part is compared case-insensitively, the domain too") {
  CHECK(Norm("John.Doe@Evil.Example") == "john.doe@evil.example");
  CHECK(Norm("<JOHN@EVIL.EXAMPLE.>") == "john@evil.example");
  CHECK(Norm("Mixed+Tag@[IPv6:2001:DB8::1]") == "mixed+tag@[2001:db8::1]");
  // Only ASCII letters fold: UTF-8 local parts (RFC 6531) are kept as written.
  CHECK(Norm("Jörg@evil.example") == "jörg@evil.example");
  CHECK(Norm("@evil.example") == "(none)");
  CHECK(Norm("john doe@evil.example") == "johndoe@evil.example");  // RFC 5322 reads blanks away
  CHECK(Norm("jo<hn@evil.example") == "(none)");
}

TEST_CASE("address: a quoted local part equals its unquoted form when that is valid") {
  CHECK(Norm("\"john\"@evil.example") == "john@evil.example");
  CHECK(Norm("\"John.Doe\"@Evil.Example") == "john.doe@evil.example");
  CHECK(Norm("\"jo\\hn\"@evil.example") == "john@evil.example");  // a quoted-pair
  CHECK(Norm("\"o'brien+x\"@evil.example") == "o'brien+x@evil.example");
  // Not a dot-atom unquoted: the quotes stay, content lower-case, '"' and '\' escaped.
  CHECK(Norm("\"John Doe\"@evil.example") == "\"john doe\"@evil.example");
  CHECK(Norm("\"john..doe\"@evil.example") == "\"john..doe\"@evil.example");
  CHECK(Norm("\".john\"@evil.example") == "\".john\"@evil.example");
  CHECK(Norm("\"a@b\"@evil.example") == "\"a@b\"@evil.example");
  CHECK(Norm("\"a\\\"b\"@evil.example") == "\"a\\\"b\"@evil.example");
  CHECK(Norm("\"\"@evil.example") == "\"\"@evil.example");
}

TEST_CASE("address: address lists keep quoted local parts whole") {
  CHECK(ExtractAddresses("\"John\"@Evil.Example, \"john doe\"@evil.example") ==
        V{"john@evil.example", "\"john doe\"@evil.example"});
  CHECK(ExtractAddresses("Team <\"Help.Desk\"@evil.example>") == V{"help.desk@evil.example"});
  CHECK(ExtractAddresses("\"Bob, Inc\" <BOB@evil.example>") == V{"bob@evil.example"});
  CHECK(ExtractAddresses("\"say \\\"hi\\\"\"@evil.example") == V{"\"say \\\"hi\\\"\"@evil.example"});
  // A plain display name is not read, even when it looks like an address.
  CHECK(ExtractAddresses("lookalike@display.example <x@corp.example>") == V{"x@corp.example"});
}

TEST_CASE("address: an encoded-word display name that shows an address yields it") {
  // "Security Team <Evil@X.Test>", base64.
  CHECK(ExtractEncodedDisplayNameAddresses(
            "=?utf-8?b?U2VjdXJpdHkgVGVhbSA8RXZpbEBYLlRlc3Q+?= <noreply@corp.example>") ==
        V{"evil@x.test"});
  CHECK(ExtractEncodedDisplayNameAddresses("=?utf-8?b?ZXZpbEB4LnRlc3Q=?= <a@corp.example>, "
                                           "\"=?utf-8?q?Help=40Spoof.Example?=\" <b@corp.example>") ==
        V{"evil@x.test", "help@spoof.example"});
  // A bare encoded word (no angle address at all) and a group.
  CHECK(ExtractEncodedDisplayNameAddresses("grp: =?utf-8?b?ZXZpbEB4LnRlc3Q=?=;") ==
        V{"evil@x.test"});
  // Nothing encoded, or encoded text without an address: nothing.
  CHECK(ExtractEncodedDisplayNameAddresses("lookalike@display.example <x@corp.example>").empty());
  CHECK(ExtractEncodedDisplayNameAddresses("=?utf-8?q?Caf=C3=A9?= <x@corp.example>").empty());
  // An encoded word inside the angle address is not a display name.
  CHECK(ExtractEncodedDisplayNameAddresses("Name <=?utf-8?b?ZXZpbEB4LnRlc3Q=?=@corp.example>")
            .empty());

  MessageAnalysis a = AnalyzeMessage(
      "From: =?utf-8?b?U2VjdXJpdHkgVGVhbSA8RXZpbEBYLlRlc3Q+?= <noreply@corp.example>\n"
      "Subject: x\n\nhi\n",
      Envelope{}, AnalysisLimits{});
  CHECK(HasEmail(a, "evil@x.test", Where::kHeaderFrom));
  CHECK(HasEmail(a, "noreply@corp.example", Where::kHeaderFrom));
}

TEST_CASE("address: feeds, messages and blinded feeds share the normal form") {
  // Feed side (MakeTerm, every feed format) and message side (the analyzer) agree.
  for (const char* feed_value : {"John.Doe@Evil.Example", "\"john.doe\"@evil.example",
                                 "JOHN.DOE@EVIL.EXAMPLE"}) {
    Result<Term> t = MakeTerm(TermKind::kEmail, feed_value);
    REQUIRE(t.ok());
    CHECK(t.value().value == "john.doe@evil.example");
  }
  Feed plain = ParseFeed("email,John.Doe@Evil.Example,reject,jd\n"
                         "email,\"\"\"Help Desk\"\"@Evil.Example\",reject,hd\n",  // CSV quoting
                         "csv", "t.csv");
  REQUIRE(plain.ok());
  auto key = BlindKey::FromBytes(std::array<uint8_t, kBlindKeyBytes>{7}, "k.key");
  BlindKeyring ring;
  REQUIRE(ring.Add(key).ok());
  BlindedFeed b = BlindFeeds({plain}, *key);
  REQUIRE(b.refused.empty());
  Feed blinded = ParseFeed(b.text, "blind", "t.blind", &ring);
  REQUIRE(blinded.ok());
  for (const Feed* f : {&plain, &blinded}) {
    auto snap = IndicatorSnapshot::Build({*f}, SnapshotOptions{}, kNow);
    REQUIRE(snap.ok());
    auto ids = [&](const std::string& from) {
      MessageAnalysis a = AnalyzeMessage("From: " + from + "\nSubject: x\n\nhi\n", Envelope{},
                                         AnalysisLimits{});
      std::vector<Match> ms;
      REQUIRE(snap.value()->MatchMessage(a, kNow, &ms).ok());
      V out;
      for (const Match& m : ms) out.push_back(std::string(snap.value()->rule(m.rule).id));
      std::sort(out.begin(), out.end());
      out.erase(std::unique(out.begin(), out.end()), out.end());
      return out;
    };
    INFO(f->path);
    CHECK(ids("<JOHN.DOE@evil.example>") == V{"jd"});
    CHECK(ids("\"John.Doe\"@evil.example") == V{"jd"});
    CHECK(ids("=?utf-8?b?am9obi5kb2VAZXZpbC5leGFtcGxl?= <ok@corp.example>") == V{"jd"});
    CHECK(ids("\"help desk\"@evil.example") == V{"hd"});
    CHECK(ids("jane.doe@evil.example").empty());
  }
}

}  // namespace gfi
