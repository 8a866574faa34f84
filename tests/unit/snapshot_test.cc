#include "snapshot/snapshot.h"

#include <re2/re2.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>

#include "indicators/term.h"
#include "policy/policy.h"

namespace gfi {
namespace {

constexpr int64_t kNow = 1800000000;  // 2027-01-15

std::shared_ptr<const IndicatorSnapshot> Compile(const std::string& csv) {
  Feed f = ParseFeed(csv, "csv", "t.csv");
  REQUIRE(f.ok());
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow);
  REQUIRE(s.ok());
  return s.value();
}

std::vector<std::string> Ids(const IndicatorSnapshot& s, const std::vector<Match>& ms) {
  std::vector<std::string> out;
  for (const Match& m : ms) out.push_back(s.rule(m.rule).id);
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> MatchObs(const IndicatorSnapshot& s, ObservableType t, std::string v,
                                  Where w = Where::kBodyText) {
  std::vector<Match> ms;
  s.MatchObservables({Observable{t, std::move(v), w}}, kNow, false, false, &ms);
  return Ids(s, ms);
}

std::vector<std::string> MatchMsg(const IndicatorSnapshot& s, const std::string& raw,
                                  const Envelope& env = {}) {
  MessageAnalysis a = AnalyzeMessage(raw, env, AnalysisLimits{});
  std::vector<Match> ms;
  REQUIRE(s.MatchMessage(a, kNow, &ms).ok());
  return Ids(s, ms);
}

using V = std::vector<std::string>;

}  // namespace

TEST_CASE("a domain indicator matches the domain and its subdomains only") {
  auto s = Compile("domain,evil.example,,d1\ndomain,deep.sub.other.example,,d2\n");
  CHECK(MatchObs(*s, ObservableType::kDomain, "evil.example") == V{"d1"});
  CHECK(MatchObs(*s, ObservableType::kDomain, "a.b.evil.example") == V{"d1"});
  CHECK(MatchObs(*s, ObservableType::kDomain, "notevil.example").empty());
  CHECK(MatchObs(*s, ObservableType::kDomain, "evil.example.com").empty());
  CHECK(MatchObs(*s, ObservableType::kDomain, "other.example").empty());
  CHECK(MatchObs(*s, ObservableType::kDomain, "x.deep.sub.other.example") == V{"d2"});
}

TEST_CASE("IP indicators: exact, CIDR boundaries, v6, and every containing prefix") {
  auto s = Compile(
      "ip,198.51.100.7,,exact\nip,198.51.100.0/24,,net24\nip,198.0.0.0/8,,net8\n"
      "ip,2001:db8::/32,,v6net\nip,2001:db8::1,,v6exact\nip,10.0.0.0/31,,pair\n");
  CHECK(MatchObs(*s, ObservableType::kIp, "198.51.100.7") == V{"exact", "net24", "net8"});
  CHECK(MatchObs(*s, ObservableType::kIp, "198.51.100.255") == V{"net24", "net8"});
  CHECK(MatchObs(*s, ObservableType::kIp, "198.51.101.0") == V{"net8"});
  CHECK(MatchObs(*s, ObservableType::kIp, "199.0.0.0").empty());
  CHECK(MatchObs(*s, ObservableType::kIp, "10.0.0.1") == V{"pair"});
  CHECK(MatchObs(*s, ObservableType::kIp, "10.0.0.2").empty());
  CHECK(MatchObs(*s, ObservableType::kIp, "2001:db8::1") == V{"v6exact", "v6net"});
  CHECK(MatchObs(*s, ObservableType::kIp, "2001:db8:ffff::9") == V{"v6net"});
  CHECK(MatchObs(*s, ObservableType::kIp, "2001:db9::").empty());
}

TEST_CASE("e-mail, URL (scheme-agnostic, prefix), hash and file-name indicators") {
  auto s = Compile(
      "email,ceo@Evil.Example,,e1\n"
      "url,https://evil.example/login?a=1,,u1\n"
      "url-prefix,http://evil.example/kit/,,p1\n"
      "sha256,E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855,,h1\n"
      "filename,Invoice.exe,,f1\n"
      "filename,*.SCR,,g1\n");
  CHECK(MatchObs(*s, ObservableType::kEmail, "ceo@evil.example") == V{"e1"});
  // Observables come normalised (the analyzer lower-cases local parts): compared exactly here.
  CHECK(MatchObs(*s, ObservableType::kEmail, "cfo@evil.example").empty());
  CHECK(MatchObs(*s, ObservableType::kUrl, "http://evil.example/login?a=1") == V{"u1"});
  CHECK(MatchObs(*s, ObservableType::kUrl, "http://evil.example/login?a=2").empty());
  CHECK(MatchObs(*s, ObservableType::kUrl, "https://evil.example/kit/x/y") == V{"p1"});
  CHECK(MatchObs(*s, ObservableType::kUrl, "https://evil.example/ki").empty());
  CHECK(MatchObs(*s, ObservableType::kSha256,
                 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855") == V{"h1"});
  CHECK(MatchObs(*s, ObservableType::kFilename, "INVOICE.EXE") == V{"f1"});
  CHECK(MatchObs(*s, ObservableType::kFilename, "photo.scr") == V{"g1"});
  CHECK(MatchObs(*s, ObservableType::kFilename, "photo.scr.txt").empty());
}

TEST_CASE("where-restricted indicators match only in their place") {
  Feed f = ParseFeed("d41d8cd98f00b204e9800998ecf8427e:0:Clam.Sig\n", "hdb", "t.hdb");
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  CHECK(MatchObs(*s, ObservableType::kMd5, "d41d8cd98f00b204e9800998ecf8427e", Where::kAttachment) ==
        V{"Clam.Sig"});
  CHECK(MatchObs(*s, ObservableType::kMd5, "d41d8cd98f00b204e9800998ecf8427e",
                 Where::kArchiveMember) == V{"Clam.Sig"});
  CHECK(MatchObs(*s, ObservableType::kMd5, "d41d8cd98f00b204e9800998ecf8427e", Where::kBodyText)
            .empty());
}

TEST_CASE("content rules: subject, header and body regexes and literals, end to end") {
  auto s = Compile(
      "subject-regex,(?i)^urgent,,subj\n"
      "header-regex,X-Mailer: EvilMailer [0-9]+,,hdr\n"
      "body-regex,acct-[0-9]{4},,body\n"
      "content,Reset Your Password,,lit\n"
      "domain,evil.example,,dom\n");
  std::string raw =
      "Subject: URGENT: pay now\nX-Mailer: EvilMailer 5\n"
      "Content-Type: text/html\n\n<p>please RESET your password for acct-1234 at "
      "<a href=\"http://login.evil.example/\">here</a></p>\n";
  CHECK(MatchMsg(*s, raw) == V{"body", "dom", "hdr", "lit", "subj"});
  CHECK(MatchMsg(*s, "Subject: hello\n\nnothing to see\n").empty());
}

TEST_CASE("expired, revoked and not-yet-valid indicators never match") {
  Feed f;
  f.name = "manual";
  auto term = MakeTerm(TermKind::kDomain, "evil.example").value();
  for (int i = 0; i < 4; ++i) {
    Rule r;
    r.id = "r" + std::to_string(i);
    r.feed = "manual";
    r.any_of = {{term}};
    if (i == 1) r.valid_until = kNow - 1;  // expired
    if (i == 2) r.revoked = true;
    if (i == 3) r.valid_from = kNow + 100;  // not yet
    f.rules.push_back(r);
  }
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  CHECK(MatchObs(*s, ObservableType::kDomain, "evil.example") == V{"r0"});
  CHECK(s->stats().expired == 1);
  CHECK(s->stats().revoked == 1);
  CHECK(s->stats().not_yet_valid == 1);
  std::vector<Match> all;
  s->MatchObservables({Observable{ObservableType::kDomain, "evil.example", Where::kBodyText}}, kNow,
                      true, true, &all);
  CHECK(all.size() == 4);
}

TEST_CASE("an AND rule matches only when all its terms hold on the same message") {
  Feed f;
  f.name = "manual";
  Rule r;
  r.id = "both";
  r.feed = "manual";
  r.any_of = {{MakeTerm(TermKind::kEmail, "ceo@evil.example", WhereBit(Where::kHeaderFrom)).value(),
               MakeTerm(TermKind::kSubjectRegex, "invoice").value()}};
  f.rules.push_back(r);
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  CHECK(MatchMsg(*s, "From: ceo@evil.example\nSubject: invoice 42\n\nx\n") == V{"both"});
  CHECK(MatchMsg(*s, "From: ceo@evil.example\nSubject: hello\n\nx\n").empty());
  CHECK(MatchMsg(*s, "From: other@evil.example\nSubject: invoice\n\nx\n").empty());
  CHECK(MatchMsg(*s, "To: ceo@evil.example\nSubject: invoice\n\nx\n").empty());  // wrong place
}

TEST_CASE("policy: strictest action wins; indicator, feed and default actions") {
  auto s = Compile("domain,a.example,tag,a\ndomain,b.example,,b\ndomain,c.example,reject,c\n");
  std::vector<Match> ms;
  s->MatchObservables({Observable{ObservableType::kDomain, "a.example", Where::kBodyText},
                       Observable{ObservableType::kDomain, "b.example", Where::kBodyText}},
                      kNow, false, false, &ms);
  PolicySettings p;
  CHECK(Decide(ms, *s, p, false).action == Action::kQuarantine);  // b falls to the default
  p.feed_actions["t.csv"] = Action::kTempfail;
  CHECK(Decide(ms, *s, p, false).action == Action::kTempfail);
  ms.clear();
  s->MatchObservables({Observable{ObservableType::kDomain, "a.example", Where::kBodyText},
                       Observable{ObservableType::kDomain, "c.example", Where::kBodyText}},
                      kNow, false, false, &ms);
  CHECK(Decide(ms, *s, p, false).action == Action::kReject);
  CHECK(Decide({}, *s, p, false).action == Action::kAccept);
}

TEST_CASE("policy: values with a sensitive marking are redacted unless revealed") {
  Feed f;
  f.name = "red";
  Rule r;
  r.id = "secret-1";
  r.feed = "red";
  r.marking = "TLP:RED";
  r.display = "evil.example";
  r.any_of = {{MakeTerm(TermKind::kDomain, "evil.example").value()}};
  f.rules.push_back(r);
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  std::vector<Match> ms;
  s->MatchObservables({Observable{ObservableType::kDomain, "x.evil.example", Where::kBodyText}}, kNow,
                      false, false, &ms);
  REQUIRE(ms.size() == 1);
  Verdict v = Decide(ms, *s, PolicySettings{}, false);
  REQUIRE(v.matches.size() == 1);
  CHECK(v.matches[0].redacted);
  CHECK(v.matches[0].value.empty());
  CHECK(v.matches[0].observed.empty());
  CHECK(v.matches[0].indicator == "secret-1");
  Verdict shown = Decide(ms, *s, PolicySettings{}, true);
  CHECK(shown.matches[0].value == "evil.example");
  CHECK(shown.matches[0].observed == "x.evil.example");
}

TEST_CASE("policy: a marking reference that did not resolve is sensitive") {
  // A STIX indicator whose marking-definition is in another file, or nowhere, keeps the
  // reference as its label; nobody can say it may be shown.
  Feed f;
  f.name = "elsewhere";
  Rule r;
  r.id = "ref-1";
  r.feed = "elsewhere";
  r.marking = "marking-definition--defined-in-another-file";
  r.display = "evil.example";
  r.any_of = {{MakeTerm(TermKind::kDomain, "evil.example").value()}};
  f.rules.push_back(r);
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  std::vector<Match> ms;
  s->MatchObservables({Observable{ObservableType::kDomain, "evil.example", Where::kBodyText}}, kNow,
                      false, false, &ms);
  REQUIRE(ms.size() == 1);
  Verdict v = Decide(ms, *s, PolicySettings{}, false);
  REQUIRE(v.matches.size() == 1);
  CHECK(v.matches[0].redacted);
  CHECK(v.matches[0].value.empty());
  CHECK(IsSensitiveMarking(PolicySettings{}, "marking-definition--x"));
  CHECK_FALSE(IsSensitiveMarking(PolicySettings{}, "TLP:AMBER"));
  CHECK(IsSensitiveMarking(PolicySettings{}, "tlp:red"));
}

}  // namespace gfi

namespace gfi {

TEST_CASE("STIX ids survive compact storage exactly; other ids are kept as written") {
  Feed f;
  f.name = "ids";
  for (std::string id : {"indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f",
                         "indicator--8E2E2D2B-17D4-4CBF-938F-98EE46B3CD3F", "indicator--short",
                         "ids:12", "ids:x", "custom-id"}) {
    Rule r;
    r.id = id;
    r.feed = "ids";
    r.any_of = {{MakeTerm(TermKind::kDomain, "evil.example").value()}};
    f.rules.push_back(r);
  }
  auto s = IndicatorSnapshot::Build({f}, SnapshotOptions{}, kNow).value();
  REQUIRE(s->rule_count() == 6);
  for (uint32_t i = 0; i < 6; ++i) CHECK(s->rule(i).id == f.rules[i].id);
}

}  // namespace gfi

#include "extract/address.h"

namespace gfi {

TEST_CASE("IPv4-mapped IPv6 addresses are their IPv4 address, on both sides") {
  CHECK(CanonicalIp("::ffff:1.2.3.4") == std::optional<std::string>("1.2.3.4"));
  CHECK(CanonicalIp("::FFFF:0102:0304") == std::optional<std::string>("1.2.3.4"));
  auto s = Compile("ip,1.2.3.0/24,,v4\nip,::ffff:5.6.7.0/120,,mapped\n");
  Envelope env;
  env.client_ip = "::ffff:1.2.3.4";
  CHECK(MatchMsg(*s, "Subject: x\n\ny\n", env) == V{"v4"});
  CHECK(MatchObs(*s, ObservableType::kIp, "5.6.7.8") == V{"mapped"});
  CHECK_FALSE(ParseFeed("ip,::ffff:1.2.3.0/64\n", "csv", "t.csv").ok());
}

TEST_CASE("URL fragments are ignored when matching") {
  auto s = Compile("url,http://frag.example/login,,u\n");
  CHECK(MatchObs(*s, ObservableType::kUrl, "http://frag.example/login#victim@corp.example") ==
        V{"u"});
}

TEST_CASE("a content match reports the text the message held") {
  auto s = Compile("content,Reset Your Password,,lit\n");
  MessageAnalysis a = AnalyzeMessage("Subject: x\n\nplease RESET your password now\n", Envelope{},
                                     AnalysisLimits{});
  std::vector<Match> ms;
  REQUIRE(s->MatchMessage(a, kNow, &ms).ok());
  REQUIRE(ms.size() == 1);
  CHECK(ms[0].observed == "RESET your password");
}

TEST_CASE("of several STIX versions of one id the latest wins, so a revocation withdraws it") {
  auto version = [](int64_t modified, bool revoked) {
    Feed f;
    f.name = "v" + std::to_string(modified);
    Rule r;
    r.id = "indicator--00000000-0000-4000-8000-000000000021";
    r.feed = f.name;
    r.modified = modified;
    r.revoked = revoked;
    r.any_of = {{MakeTerm(TermKind::kDomain, "dup.example").value()}};
    f.rules.push_back(r);
    return f;
  };
  auto s = IndicatorSnapshot::Build({version(100, false), version(200, true)}, SnapshotOptions{},
                                    kNow)
               .value();
  CHECK(MatchObs(*s, ObservableType::kDomain, "dup.example").empty());
  CHECK(s->stats().superseded == 1);
  auto t = IndicatorSnapshot::Build({version(300, false), version(200, true)}, SnapshotOptions{},
                                    kNow)
               .value();
  CHECK(MatchObs(*t, ObservableType::kDomain, "dup.example").size() == 1);
}

}  // namespace gfi

namespace gfi {
namespace {

MessageAnalysis Texts(const std::vector<std::string>& texts) {
  MessageAnalysis a;
  for (size_t i = 0; i < texts.size(); ++i)
    a.texts.push_back(TextSegment{Where::kBodyText, std::to_string(i + 1), texts[i]});
  return a;
}

std::vector<std::string> MatchTexts(const IndicatorSnapshot& s, const MessageAnalysis& a,
                                    const MatchBudget& budget, std::vector<std::string>* defects) {
  std::vector<Match> ms;
  s.MatchMessage(a, kNow, budget, &ms, defects);
  return Ids(s, ms);
}

}  // namespace

TEST_CASE("prefiltered body regexes match exactly what each regex alone matches") {
  // With literals (prefiltered, run one by one), without (in the Set), case-insensitive, and a
  // non-ASCII literal (which the ASCII-folding automaton cannot prefilter: always run).
  const std::vector<std::pair<std::string, std::string>> rules = {
      {"lit", "(?i)account.*suspended"},  {"alt", "wire (transfer|payment)"},
      {"noatom", "[0-9]{4}-[0-9]{4}"},    {"short", "ab?c[xyz]"},
      {"utf8", "(?i)\xC3\xA9t\xC3\xA9 pay"}, {"anchored", "^invoice [0-9]+$"},
      {"class", "(?i)pass(word|phrase).{0,5}reset"},
  };
  std::string csv = "type,value,action,id\n";
  for (const auto& [id, re] : rules) csv += "body-regex,\"" + re + "\",," + id + "\n";
  auto s = Compile(csv);
  const std::vector<std::string> texts = {
      "Your ACCOUNT has been Suspended",
      "please send a wire payment today",
      "card 1234-5678 expires",
      "abcx and more",
      "\xC3\x89T\xC3\x89 PAY now",  // upper-case non-ASCII: only a Unicode fold finds it
      "invoice 42",
      "your PASSWORD  reset link",
      "nothing to see here: accounts, wires, passes",
      "account suspended? no, account s-u-s-p-e-n-d-e-d",
  };
  for (const std::string& t : texts) {
    std::vector<std::string> expected;
    for (const auto& [id, re] : rules) {
      RE2 one(re);
      REQUIRE(one.ok());
      if (RE2::PartialMatch(t, one)) expected.push_back(id);
    }
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> defects;
    INFO(t);
    CHECK(MatchTexts(*s, Texts({t}), MatchBudget{}, &defects) == expected);
    CHECK(defects.empty());
  }
}

TEST_CASE("past max_regex_bytes regexes stop with limit.regex_bytes naming the text") {
  auto s = Compile("body-regex,alpha,,a\nbody-regex,beta,,b\ncontent,gamma,,g\n");
  MessageAnalysis a =
      Texts({"alpha " + std::string(54, '.'), "beta gamma " + std::string(49, '.')});
  MatchBudget budget;
  budget.max_regex_bytes = 100;  // the first text (60 bytes) fits, the second does not
  std::vector<std::string> defects;
  CHECK(MatchTexts(*s, a, budget, &defects) == V{"a"});
  REQUIRE(defects.size() == 1);
  CHECK(defects[0] == "limit.regex_bytes at body.text 2: more than 100 bytes of text for regexes");
  // With room for both, both match, and the content literal too.
  defects.clear();
  budget.max_regex_bytes = 120;
  CHECK(MatchTexts(*s, a, budget, &defects) == V{"a", "b", "g"});
  CHECK(defects.empty());
}

TEST_CASE("a passed deadline stops text matching with limit.scan_time; observables still match") {
  auto s = Compile("body-regex,alpha,,a\ncontent,gamma,,g\ndomain,evil.example,,d\n");
  MessageAnalysis a = Texts({"alpha gamma"});
  a.observables.push_back(Observable{ObservableType::kDomain, "evil.example", Where::kBodyText});
  MatchBudget budget;
  budget.deadline = Deadline::At(Deadline::Clock::now() - std::chrono::seconds(1));
  std::vector<std::string> defects;
  CHECK(MatchTexts(*s, a, budget, &defects) == V{"d"});
  REQUIRE(defects.size() == 1);
  CHECK(defects[0].rfind("limit.scan_time at body.text 1: ", 0) == 0);
  // A deadline in the future changes nothing.
  defects.clear();
  budget.deadline = Deadline::After(std::chrono::seconds(60));
  CHECK(MatchTexts(*s, a, budget, &defects) == V{"a", "d", "g"});
  CHECK(defects.empty());
}

TEST_CASE("the convenience MatchMessage turns a budget defect into an error") {
  auto s = Compile("body-regex,alpha,,a\n");
  MessageAnalysis a = Texts({"alpha " + std::string(17 << 20, '.')});  // past the 16 MiB default
  std::vector<Match> ms;
  Status st = s->MatchMessage(a, kNow, &ms);
  CHECK_FALSE(st.ok());
  CHECK(st.message().rfind("limit.regex_bytes", 0) == 0);
}

}  // namespace gfi

namespace gfi {

TEST_CASE("a draining build compiles what Build does and frees the feeds' rules") {
  const std::string csv =
      "domain,drain.example,,d1\n"
      "email,bad@drain.example,,e1\n"
      "url,http://drain.example/kit,,u1\n"
      "filename,Invoice.EXE,,f1\n"
      "md5,d41d8cd98f00b204e9800998ecf8427e,,h1\n"
      "ip,198.51.100.0/24\n"
      "subject-regex,(?i)wire transfer,,s1\n";
  // Two STIX versions of one id in two feeds: the later one wins in both builds.
  auto version = [](int64_t modified, const std::string& domain) {
    Feed f;
    f.name = "v" + std::to_string(modified) + ".json";
    Rule r;
    r.id = "indicator--00000000-0000-4000-8000-000000000042";
    r.feed = f.name;
    r.modified = modified;
    r.display = domain;
    r.any_of = {{MakeTerm(TermKind::kDomain, domain).value()}};
    f.rules.push_back(r);
    return f;
  };
  std::vector<Feed> feeds{ParseFeed(csv, "csv", "t.csv"), version(200, "new.example"),
                          version(100, "old.example")};
  auto kept = IndicatorSnapshot::Build(feeds, SnapshotOptions{}, kNow).value();
  auto drained = IndicatorSnapshot::BuildDraining(&feeds, SnapshotOptions{}, kNow).value();
  for (const Feed& f : feeds) CHECK(f.rules.empty());
  REQUIRE(drained->rule_count() == kept->rule_count());
  CHECK(drained->stats().superseded == 1);
  CHECK(drained->stats().feeds[0].rules == 7);
  for (uint32_t i = 0; i < kept->rule_count(); ++i) {
    CHECK(drained->rule(i).id == kept->rule(i).id);
    CHECK(drained->rule(i).display == kept->rule(i).display);
  }
  // The display shares the key's text where they are equal, and is its own text where not.
  CHECK(drained->rule(0).display == "drain.example");
  CHECK(drained->rule(3).display == "Invoice.EXE");
  CHECK(MatchObs(*drained, ObservableType::kDomain, "a.drain.example") == V{"d1"});
  CHECK(MatchObs(*drained, ObservableType::kFilename, "invoice.exe") == V{"f1"});
  CHECK(MatchObs(*drained, ObservableType::kDomain, "new.example").size() == 1);
  CHECK(MatchObs(*drained, ObservableType::kDomain, "old.example").empty());
  CHECK(MatchMsg(*drained, "Subject: Wire Transfer\n\nx\n") == V{"s1"});
}

}  // namespace gfi
