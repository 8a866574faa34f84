#include "indicators/feed.h"
#include "engine/loader.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

namespace gfi {
namespace {

bool HasError(const Feed& f, std::string_view needle) {
  for (const std::string& e : f.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("CSV: every type, optional action, id and description") {
  Feed f = ParseFeed(
      "type,value,action,id,description\n"
      "# a comment\n"
      "\n"
      "domain,Evil.Example.,reject,ind-1,phishing kit\n"
      "ip,198.51.100.0/24\n"
      "email,Bad@Evil.Example\n"
      "url,HTTP://Evil.Example:80/login\n"
      "url-prefix,http://evil.example/kit/\n"
      "md5,D41D8CD98F00B204E9800998ECF8427E\n"
      "sha1,da39a3ee5e6b4b0d3255bfef95601890afd80709\n"
      "sha256,e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n"
      "filename,Invoice.EXE\n"
      "filename,*.scr\n"
      "subject-regex,\"(?i)urgent, wire\"\n"
      "header-regex,X-Mailer: ^EvilMailer\n"
      "body-regex,acct[0-9]{6}\n"
      "content,\"reset your password\"\n",
      "csv", "feeds/t.csv");
  REQUIRE(f.ok());
  REQUIRE(f.rules.size() == 14);
  CHECK(f.rules[0].id == "ind-1");
  CHECK(f.rules[0].action == Action::kReject);
  CHECK(f.rules[0].description == "phishing kit");
  CHECK(f.rules[0].any_of[0][0].value == "evil.example");
  CHECK(f.rules[1].id == "t.csv:5");
  CHECK(f.rules[1].any_of[0][0].value == "198.51.100.0/24");
  CHECK(f.rules[2].any_of[0][0].value == "bad@evil.example");  // the local part lower-case too
  CHECK(f.rules[3].any_of[0][0].value == "http://evil.example/login");
  CHECK(f.rules[4].any_of[0][0].kind == TermKind::kUrlPrefix);
  CHECK(f.rules[5].any_of[0][0].value == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(f.rules[8].any_of[0][0].kind == TermKind::kFilename);
  CHECK(f.rules[8].any_of[0][0].value == "invoice.exe");
  CHECK(f.rules[9].any_of[0][0].kind == TermKind::kFilenameGlob);
  CHECK(f.rules[10].any_of[0][0].value == "(?i)urgent, wire");
  CHECK(f.rules[11].any_of[0][0].header_name == "x-mailer");
  CHECK(f.rules[13].any_of[0][0].kind == TermKind::kContent);
}

TEST_CASE("CSV: bad values are errors with file and line, and the good lines are kept") {
  Feed f = ParseFeed(
      "domain,good.example\n"
      "ip,10.0.0.0/33\n"
      "md5,abc\n"
      "subject-regex,(unclosed\n"
      "nonsense,x\n"
      "domain,ok.example,explode\n"
      "content,\"unterminated\n"
      "header-regex,no colon here\n"
      "a,b,c,d,e,f\n",
      "csv", "t.csv");
  CHECK_FALSE(f.ok());
  CHECK(HasError(f, "t.csv:2: bad CIDR"));
  CHECK(HasError(f, "t.csv:3: md5 must be 32 hex digits"));
  CHECK(HasError(f, "t.csv:4: bad regex"));
  CHECK(HasError(f, "t.csv:5: unknown type 'nonsense'"));
  CHECK(HasError(f, "t.csv:6: unknown action 'explode'"));
  CHECK(HasError(f, "t.csv:7: unterminated quoted field"));
  CHECK(HasError(f, "t.csv:8: header-regex must be"));
  CHECK(HasError(f, "t.csv:9: too many fields"));
  REQUIRE(f.rules.size() == 1);
  CHECK(f.rules[0].any_of[0][0].value == "good.example");
}

TEST_CASE("over-broad indicators are refused and each is named") {
  Feed f = ParseFeed(
      "ip,0.0.0.0/0\n"
      "ip,::/0\n"
      "ip,10.0.0.0/7\n"
      "domain,co.uk\n"
      "domain,com\n"
      "filename,*\n"
      "filename,*.*\n"
      "content,a\n"
      "ip,10.0.0.0/8\n"       // the narrowest of the broad ones is still allowed
      "domain,evil.co.uk\n"
      "filename,*.exe\n"
      "content,abc\n",
      "csv", "t.csv");
  CHECK_FALSE(f.ok());
  CHECK(HasError(f, "t.csv:1: network '0.0.0.0/0' is too broad"));
  CHECK(HasError(f, "t.csv:2: network '::/0' is too broad"));
  CHECK(HasError(f, "t.csv:3: network '10.0.0.0/7' is too broad"));
  CHECK(HasError(f, "t.csv:4: domain 'co.uk' is a public suffix"));
  CHECK(HasError(f, "t.csv:5: bad domain 'com'"));  // one label: refused before the list
  CHECK(HasError(f, "t.csv:6: file name glob '*' matches every file name"));
  CHECK(HasError(f, "t.csv:7: file name glob '*.*' matches every file name"));
  CHECK(HasError(f, "t.csv:8: content literal 'a' is shorter than 3 bytes"));
  CHECK(f.rules.size() == 4);
}

TEST_CASE("a marking configured per feed marks its unmarked indicators; the stricter TLP wins") {
  Feed f = ParseFeed("domain,a.example\ndomain,b.example\ndomain,c.example\ndomain,d.example\n",
                     "csv", "/feeds/partner.csv");
  auto mark = [&](size_t i, const char* m) {
    Rule r = f.rules[i];
    r.marking = m;  // as a STIX object's own marking
    f.rules.Set(i, r);
  };
  mark(1, "TLP:GREEN");
  mark(2, "TLP:RED");
  mark(3, "GFI//NOFORN");
  CHECK(ApplyFeedMarking({{"other.csv", "TLP:AMBER"}}, &f) == 0);
  CHECK(ApplyFeedMarking({{"partner.csv", "TLP:AMBER"}}, &f) == 2);
  CHECK(f.rules[0].marking == "TLP:AMBER");    // unmarked
  CHECK(f.rules[1].marking == "TLP:AMBER");    // less strict than configured
  CHECK(f.rules[2].marking == "TLP:RED");      // stricter than configured: stands
  CHECK(f.rules[3].marking == "GFI//NOFORN");  // its own label stands
  CHECK(ApplyFeedMarking({{"partner.csv", "TLP:RED"}}, &f) == 2);
  CHECK(f.rules[0].marking == "TLP:RED");
  CHECK(f.rules[1].marking == "TLP:RED");
  CHECK(f.rules[3].marking == "GFI//NOFORN");
  Feed g = ParseFeed("domain,a.example\n", "csv", "/feeds/partner.csv");
  CHECK(ApplyFeedMarking({{"/feeds/partner.csv", "GFI//NOFORN"}}, &g) == 1);  // by full path
  CHECK(g.rules[0].marking == "GFI//NOFORN");
}

TEST_CASE("Zeek intel: types, unset fields, unsupported types") {
  Feed f = ParseFeed(
      "#separator \\x09\n"
      "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\n"
      "evil.example\tIntel::DOMAIN\tpartner\t-\n"
      "203.0.113.9\tIntel::ADDR\tpartner\tc2 server\n"
      "2001:db8::/32\tIntel::SUBNET\t-\t-\n"
      "evil.example/login\tIntel::URL\t-\t-\n"
      "bad@evil.example\tIntel::EMAIL\t-\t-\n"
      "d41d8cd98f00b204e9800998ecf8427e\tIntel::FILE_HASH\t-\t-\n"
      "invoice.exe\tIntel::FILE_NAME\t-\t-\n"
      "Mozilla/4.0\tIntel::SOFTWARE\t-\t-\n",
      "intel", "t.intel");
  REQUIRE(f.ok());
  REQUIRE(f.rules.size() == 7);
  CHECK(f.rules[0].description == "partner");
  CHECK(f.rules[1].description == "c2 server");
  CHECK(f.rules[2].any_of[0][0].value == "2001:db8::/32");
  CHECK(f.rules[3].any_of[0][0].value == "http://evil.example/login");
  CHECK(f.rules[5].any_of[0][0].kind == TermKind::kMd5);
  CHECK(f.unsupported.size() == 1);
  CHECK(f.rules[0].id == "t.intel:3");
}

TEST_CASE("Zeek intel: malformed files") {
  CHECK(HasError(ParseFeed("evil.example\tIntel::DOMAIN\n", "intel", "t.intel"),
                 "t.intel:1: data before the #fields header"));
  CHECK(HasError(ParseFeed("#fields\tindicator\n", "intel", "t.intel"), "indicator_type"));
  CHECK(HasError(ParseFeed("#fields\tindicator\tindicator_type\nx\n", "intel", "t.intel"),
                 "t.intel:2: expected 2 tab-separated fields"));
  CHECK(HasError(ParseFeed("#fields\tindicator\tindicator_type\n1.2.3/8\tIntel::SUBNET\n",
                           "intel", "t.intel"),
                 "t.intel:2: bad IP"));
  CHECK(HasError(ParseFeed("#fields\tindicator\tindicator_type\nx\tBogus\n", "intel", "t.intel"),
                 "unknown indicator_type"));
  CHECK(HasError(ParseFeed("", "intel", "t.intel"), "no #fields header"));
}

TEST_CASE("ClamAV .hdb and .hsb") {
  Feed h = ParseFeed("d41d8cd98f00b204e9800998ecf8427e:0:Empty.File\n", "hdb", "t.hdb");
  REQUIRE(h.ok());
  REQUIRE(h.rules.size() == 1);
  CHECK(h.rules[0].id == "Empty.File");
  CHECK(h.rules[0].any_of[0][0].kind == TermKind::kMd5);
  CHECK(h.rules[0].any_of[0][0].where ==
        (WhereBit(Where::kAttachment) | WhereBit(Where::kArchiveMember)));
  Feed s = ParseFeed(
      "da39a3ee5e6b4b0d3255bfef95601890afd80709:*:Sha1.Sig:73\n"
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855:0:Sha256.Sig\n",
      "hsb", "t.hsb");
  REQUIRE(s.ok());
  CHECK(s.rules[0].any_of[0][0].kind == TermKind::kSha1);
  CHECK(s.rules[1].any_of[0][0].kind == TermKind::kSha256);
  CHECK(HasError(ParseFeed("abc:0:X\n", "hdb", "t.hdb"), "t.hdb:1: md5 must be"));
  CHECK(HasError(ParseFeed("d41d8cd98f00b204e9800998ecf8427e\n", "hdb", "t.hdb"), "HASH:SIZE:NAME"));
  CHECK(HasError(ParseFeed("d41d8cd98f00b204e9800998ecf8427e:x:N\n", "hdb", "t.hdb"), "bad size"));
  CHECK(HasError(ParseFeed("abcd:0:N\n", "hsb", "t.hsb"), "40 (SHA-1) or 64"));
}

TEST_CASE("directories expand to their feed files in name order; missing paths are errors") {
  auto dir = std::filesystem::temp_directory_path() / "gfi-feed-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* n : {"b.csv", "a.intel", "c.txt", ".hidden.csv"})
    std::ofstream(dir / n) << "\n";
  std::ofstream(dir / "d.csv.minisig") << "\n";
  std::vector<std::string> skipped;
  auto r = ExpandFeedPaths({dir.string()}, &skipped);
  REQUIRE(r.ok());
  REQUIRE(r.value().size() == 2);
  // Reported, not silently dropped (a signature is read with its feed; hidden files are temps).
  CHECK(skipped == std::vector<std::string>{(dir / "c.txt").string()});
  CHECK(r.value()[0] == (dir / "a.intel").string());
  CHECK(r.value()[1] == (dir / "b.csv").string());
  auto missing = ExpandFeedPaths({(dir / "nope").string()});
  CHECK_FALSE(missing.ok());
  CHECK(missing.error().find("nope") != std::string::npos);
  std::filesystem::remove_all(dir);
}

TEST_CASE("an unknown extension is an error naming the file") {
  Feed f = ParseFeed("x", "txt", "feeds/x.txt");
  CHECK(HasError(f, "feeds/x.txt: unknown feed format"));
}

}  // namespace gfi

#include "engine/loader.h"

namespace gfi {

TEST_CASE("an invalid feed is left out whole and the other feeds still load") {
  auto dir = std::filesystem::temp_directory_path() / "gfi-loader-test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "good.csv") << "domain,good-feed.example\n";
  std::ofstream(dir / "bad.csv") << "domain,half-good.example\nip,300.1.2.3\n";
  std::ofstream(dir / "truncated.json") << "{\"type\":\"bundle\",\"objects\":[{\"type\":\"indi";
  auto r = LoadIndicators({dir.string()}, SnapshotOptions{}, 1800000000);
  REQUIRE(r.ok());
  CHECK(r.value().invalid_feeds.size() == 2);
  CHECK(r.value().snapshot->rule_count() == 1);  // not even bad.csv's valid first line
  CHECK(r.value().snapshot->rule(0).display == "good-feed.example");
  bool named = false;
  for (const std::string& e : r.value().feed_errors)
    if (e.find("bad.csv:2") != std::string::npos) named = true;
  CHECK(named);
  std::filesystem::remove_all(dir);
  CHECK_FALSE(LoadIndicators({(dir / "gone").string()}, SnapshotOptions{}, 0).ok());
}

}  // namespace gfi

namespace gfi {

TEST_CASE("Zeek: a second #fields header (concatenated files) starts afresh, no crash") {
  Feed f = ParseFeed(
      "#fields\ta\tb\tc\td\te\tf\tg\th\tindicator\tindicator_type\n#fields\tx\nfoo\n", "intel",
      "z.intel");
  CHECK_FALSE(f.ok());
  CHECK(HasError(f, "indicator_type"));
}

TEST_CASE("STIX: granular TLP:RED marks the value, and errors of marked patterns withhold values") {
  Feed g = ParseFeed(R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--1",
      "pattern":"[domain-name:value = 'gran-red.example']","pattern_type":"stix",
      "granular_markings":[{"marking_ref":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
      "selectors":["pattern"]}]}]})",
                     "json", "g.json");
  REQUIRE(g.ok());
  CHECK(g.rules[0].marking == "TLP:RED");
  Feed bad = ParseFeed(R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--2",
      "pattern":"[ipv4-addr:value = '10.9.8.0/33']","pattern_type":"stix",
      "object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"]}]})",
                       "json", "r.json");
  CHECK_FALSE(bad.ok());
  for (const std::string& e : bad.errors) CHECK(e.find("10.9.8") == std::string::npos);
  CHECK(HasError(bad, "details withheld"));
}

}  // namespace gfi
