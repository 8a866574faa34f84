#include <re2/re2.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "indicators/feed.h"
#include "indicators/stix_pattern.h"
#include "policy/policy.h"

namespace gfi {
namespace {

constexpr WhereMask kAttachments = WhereBit(Where::kAttachment) | WhereBit(Where::kArchiveMember);

// Catch2 keeps an INFO only for its enclosing scope, so messages are logged as one string.
std::string Joined(const std::vector<std::string>& lines) {
  std::string s;
  for (const std::string& l : lines) s += l + "\n";
  return s;
}

Feed Parse(std::string_view json) {
  Feed f;
  f.path = "t.json";
  f.name = "t.json";
  ParseStixBundle(json, &f);
  return f;
}

std::string JsonString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out + "\"";
}

// One STIX 2.1 indicator object; `extra` is spliced in as more properties (",\"k\":v").
std::string Indicator(std::string_view pattern, std::string_view extra = "",
                      std::string_view id = "indicator--00000000-0000-4000-8000-000000000001") {
  return "{\"type\":\"indicator\",\"spec_version\":\"2.1\",\"id\":\"" + std::string(id) +
         "\",\"pattern_type\":\"stix\",\"valid_from\":\"2026-01-01T00:00:00Z\",\"pattern\":" +
         JsonString(pattern) + std::string(extra) + "}";
}

std::string Bundle(const std::vector<std::string>& objects) {
  std::string s = "{\"type\":\"bundle\",\"id\":\"bundle--1\",\"objects\":[";
  for (size_t i = 0; i < objects.size(); ++i) s += (i ? "," : "") + objects[i];
  return s + "]}";
}

Feed One(std::string_view pattern, std::string_view extra = "") {
  return Parse(Bundle({Indicator(pattern, extra)}));
}

// "kind:value" terms joined by " & ", alternatives by " | ".
std::string Render(const Rule& r) {
  std::string s;
  for (size_t i = 0; i < r.any_of.size(); ++i) {
    if (i) s += " | ";
    for (size_t j = 0; j < r.any_of[i].size(); ++j) {
      const Term& t = r.any_of[i][j];
      if (j) s += " & ";
      s += std::string(ToString(t.kind)) + ":" +
           (t.header_name.empty() ? "" : t.header_name + ":") + t.value;
    }
  }
  return s;
}

// The single term of a supported one-term pattern.
Term Single(std::string_view pattern) {
  Feed f = One(pattern);
  INFO(pattern);
  INFO(Joined(f.errors));
  INFO(Joined(f.unsupported));
  REQUIRE(f.ok());
  REQUIRE(f.unsupported.empty());
  REQUIRE(f.rules.size() == 1);
  REQUIRE(f.rules[0].any_of.size() == 1);
  REQUIRE(f.rules[0].any_of[0].size() == 1);
  return f.rules[0].any_of[0][0];
}

bool HasError(const Feed& f, std::string_view needle) {
  for (const std::string& e : f.errors)
    if (e.find(needle) != std::string::npos) return true;
  return false;
}

// A pattern outside the subset: listed as unsupported with `reason`, not an error, no rule.
void CheckUnsupported(std::string_view pattern, std::string_view reason) {
  Feed f = One(pattern);
  INFO(pattern);
  INFO(Joined(f.errors));
  CHECK(f.ok());
  CHECK(f.rules.empty());
  REQUIRE(f.unsupported.size() == 1);
  CHECK(f.unsupported[0].rfind("t.json: $.objects[0]: ", 0) == 0);
  CHECK(f.unsupported[0].find(reason) != std::string::npos);
}

bool RegexMatches(const Term& t, std::string_view text) {
  RE2 re(t.value);
  REQUIRE(re.ok());
  return RE2::PartialMatch(text, re);
}

}  // namespace

TEST_CASE("STIX: a domain indicator becomes a rule with the indicator's properties") {
  Feed f = Parse(Bundle({
      R"({"type":"identity","id":"identity--1","name":"CISA"})",
      Indicator("[domain-name:value = 'Evil.Example.']",
                R"(,"name":"phishing kit","description":"long text","confidence":80)"),
      R"({"type":"relationship","id":"relationship--1","source_ref":"indicator--1"})",
  }));
  REQUIRE(f.ok());
  CHECK(f.unsupported.empty());
  REQUIRE(f.rules.size() == 1);
  const Rule& r = f.rules[0];
  CHECK(r.id == "indicator--00000000-0000-4000-8000-000000000001");
  CHECK(r.feed == "t.json");
  CHECK(r.description == "phishing kit");
  CHECK(r.display == "evil.example");  // a plain equality shows as its normalised value
  CHECK(r.confidence == 80);
  CHECK(r.valid_from == 1767225600);
  CHECK(r.valid_until == 0);
  CHECK_FALSE(r.revoked);
  CHECK(r.marking.empty());
  CHECK_FALSE(r.action.has_value());
  CHECK(Render(r) == "domain:evil.example");
  CHECK(r.any_of[0][0].where == kAnywhere);
}

TEST_CASE("STIX: description falls back to the description property") {
  Feed f = One("[domain-name:value = 'evil.example']", R"(,"description":"from the report")");
  REQUIRE(f.rules.size() == 1);
  CHECK(f.rules[0].description == "from the report");
}

TEST_CASE("STIX: a bare array of objects and a single indicator object are accepted") {
  Feed a = Parse("[" + Indicator("[url:value = 'http://evil.example/login']") + "]");
  REQUIRE(a.ok());
  REQUIRE(a.rules.size() == 1);
  CHECK(Render(a.rules[0]) == "url:http://evil.example/login");

  Feed b = Parse(Indicator("[email-addr:value = 'bad@Evil.Example']"));
  REQUIRE(b.ok());
  REQUIRE(b.rules.size() == 1);
  CHECK(Render(b.rules[0]) == "email:bad@evil.example");

  Feed empty = Parse(R"({"type":"bundle","id":"bundle--1"})");
  CHECK(empty.ok());
  CHECK(empty.rules.empty());
}

TEST_CASE("STIX: e-mail message address paths keep where they were seen") {
  struct Case {
    const char* path;
    Where where;
  } cases[] = {
      {"email-message:from_ref.value", Where::kHeaderFrom},
      {"email-message:sender_ref.value", Where::kHeaderSender},
      {"email-message:to_refs[*].value", Where::kHeaderTo},
      {"email-message:cc_refs[*].value", Where::kHeaderCc},
      {"email-message:bcc_refs[*].value", Where::kRcptTo},
      {"email-message:additional_header_fields.reply_to", Where::kHeaderReplyTo},
      {"email-message:additional_header_fields.'Reply-To'", Where::kHeaderReplyTo},
  };
  for (const Case& c : cases) {
    Term t = Single("[" + std::string(c.path) + " = 'ceo@Evil.Example']");
    INFO(c.path);
    CHECK(t.kind == TermKind::kEmail);
    CHECK(t.value == "ceo@evil.example");
    CHECK(t.where == WhereBit(c.where));
  }
  CheckUnsupported("[email-message:to_refs[0].value = 'a@evil.example']", "to_refs[0].value");
  CheckUnsupported("[email-message:from_ref.display_name = 'CEO']", "not supported");
}

TEST_CASE("STIX: subject and header comparisons become anchored or given regexes") {
  Term eq = Single("[email-message:subject = 'Urgent: invoice (1)']");
  CHECK(eq.kind == TermKind::kSubjectRegex);
  CHECK(RegexMatches(eq, "Urgent: invoice (1)"));
  CHECK_FALSE(RegexMatches(eq, "Re: Urgent: invoice (1)"));
  CHECK_FALSE(RegexMatches(eq, "Urgent: invoice (1) x"));

  Term m = Single("[email-message:subject MATCHES '(?i)^wire transfer']");
  CHECK(m.kind == TermKind::kSubjectRegex);
  CHECK(m.value == "(?i)^wire transfer");

  Term like = Single("[email-message:subject LIKE 'Invoice %_.pdf']");
  CHECK(like.kind == TermKind::kSubjectRegex);
  CHECK(RegexMatches(like, "Invoice 12.pdf"));
  CHECK_FALSE(RegexMatches(like, "Invoice .pdf"));
  CHECK_FALSE(RegexMatches(like, "Invoice 12xpdf"));

  Term h = Single("[email-message:additional_header_fields.'X-Mailer' = 'EvilMailer 1.0']");
  CHECK(h.kind == TermKind::kHeaderRegex);
  CHECK(h.header_name == "x-mailer");
  CHECK(RegexMatches(h, "EvilMailer 1.0"));
  CHECK_FALSE(RegexMatches(h, "EvilMailer 1x0"));

  Term h2 = Single("[email-message:additional_header_fields.x_mailer MATCHES '^Evil']");
  CHECK(h2.header_name == "x-mailer");
  CHECK(h2.value == "^Evil");

  // A Reply-To that is not a bare address is compared as header text.
  Term rt = Single("[email-message:additional_header_fields.reply_to = 'CEO <ceo@evil.example>']");
  CHECK(rt.kind == TermKind::kHeaderRegex);
  CHECK(rt.header_name == "reply-to");

  // Leading blanks are part of a regex; they survive MakeTerm's trimming.
  Term sp = Single("[email-message:subject MATCHES ' urgent']");
  CHECK(RegexMatches(sp, "very urgent"));
  CHECK_FALSE(RegexMatches(sp, "urgent"));
}

TEST_CASE("STIX: body comparisons") {
  Term m = Single("[email-message:body MATCHES 'acct[0-9]{6}']");
  CHECK(m.kind == TermKind::kBodyRegex);
  CHECK(m.value == "acct[0-9]{6}");
  Term c = Single("[email-message:body = 'reset your password']");
  CHECK(c.kind == TermKind::kContent);
  CHECK(c.value == "reset your password");
  Term p = Single("[email-message:body_multipart[*].body MATCHES 'wire']");
  CHECK(p.kind == TermKind::kBodyRegex);
}

TEST_CASE("STIX: attachment names and hashes are restricted to attachments") {
  Term n = Single("[email-message:body_multipart[*].body_raw_ref.name = 'Invoice.EXE']");
  CHECK(n.kind == TermKind::kFilename);
  CHECK(n.value == "invoice.exe");
  CHECK(n.where == kAttachments);

  Term g = Single("[email-message:body_multipart[*].body_raw_ref.name LIKE '%.scr']");
  CHECK(g.kind == TermKind::kFilenameGlob);
  CHECK(g.value == "*.scr");
  CHECK(g.where == kAttachments);

  Term h = Single(
      "[email-message:body_multipart[*].body_raw_ref.hashes.'SHA-256' = "
      "'E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855']");
  CHECK(h.kind == TermKind::kSha256);
  CHECK(h.value == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(h.where == kAttachments);

  Term m = Single(
      "[email-message:body_multipart[*].body_raw_ref.hashes.MD5 = "
      "'d41d8cd98f00b204e9800998ecf8427e']");
  CHECK(m.kind == TermKind::kMd5);
}

TEST_CASE("STIX: file hashes in every spelling, and file names") {
  const std::string sha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  const std::string sha1 = "da39a3ee5e6b4b0d3255bfef95601890afd80709";
  const std::string md5 = "d41d8cd98f00b204e9800998ecf8427e";
  CHECK(Single("[file:hashes.'SHA-256' = '" + sha256 + "']").kind == TermKind::kSha256);
  CHECK(Single("[file:hashes.SHA256 = '" + sha256 + "']").kind == TermKind::kSha256);
  CHECK(Single("[file:hashes.SHA-256 = '" + sha256 + "']").kind == TermKind::kSha256);
  CHECK(Single("[file:hashes.'SHA-1' = '" + sha1 + "']").kind == TermKind::kSha1);
  CHECK(Single("[file:hashes.SHA1 = '" + sha1 + "']").kind == TermKind::kSha1);
  CHECK(Single("[file:hashes.MD5 = '" + md5 + "']").kind == TermKind::kMd5);
  CHECK(Single("[file:hashes.'MD5' = '" + md5 + "']").kind == TermKind::kMd5);
  CHECK(Single("[file:hashes.MD5 = '" + md5 + "']").where == kAnywhere);
  CheckUnsupported("[file:hashes.'SHA-512' = 'ab']", "hash algorithm 'SHA-512'");

  CHECK(Single("[file:name = 'payload.js']").kind == TermKind::kFilename);
  Term g = Single("[file:name LIKE 'inv_ice[1]*%.exe']");
  CHECK(g.kind == TermKind::kFilenameGlob);
  CHECK(g.value == "inv?ice[[]1][*]*.exe");
  // LIKE without wildcards is equality.
  CHECK(Single("[file:name LIKE 'a.exe']").kind == TermKind::kFilename);
}

TEST_CASE("STIX: IPv4 and IPv6 addresses, networks and ISSUBSET") {
  Term a = Single("[ipv4-addr:value = '198.51.100.7']");
  CHECK(a.kind == TermKind::kIp);
  CHECK(a.value == "198.51.100.7");
  CHECK(Single("[ipv4-addr:value = '198.51.100.0/24']").value == "198.51.100.0/24");
  CHECK(Single("[ipv4-addr:value ISSUBSET '10.0.0.0/8']").value == "10.0.0.0/8");
  CHECK(Single("[ipv6-addr:value = '2001:DB8::1']").value == "2001:db8::1");
  CHECK(Single("[ipv6-addr:value ISSUBSET '2001:db8::/32']").value == "2001:db8::/32");
  CheckUnsupported("[ipv4-addr:value ISSUPERSET '10.0.0.0/8']", "ISSUPERSET");

  Feed f = One("[ipv4-addr:value = '2001:db8::1']");
  CHECK(HasError(f, "t.json: $.objects[0].pattern: '2001:db8::1' is not an IPv4 address"));
}

TEST_CASE("STIX: MISP network-traffic source becomes the client IP; type is a constraint") {
  Feed f =
      One("[network-traffic:src_ref.type = 'ipv4-addr' AND "
          "network-traffic:src_ref.value = '198.51.100.1']");
  REQUIRE(f.ok());
  REQUIRE(f.rules.size() == 1);
  CHECK(Render(f.rules[0]) == "ip:198.51.100.1");
  CHECK(f.rules[0].any_of[0][0].where == WhereBit(Where::kClientIp));

  CheckUnsupported(
      "[network-traffic:dst_ref.type = 'ipv4-addr' AND network-traffic:dst_ref.value = '1.2.3.4']",
      "dst_ref");
  CheckUnsupported("[network-traffic:src_ref.type = 'ipv4-addr']", "only constraints");
  CheckUnsupported(
      "[network-traffic:src_ref.type = 'ipv4-addr' OR network-traffic:src_ref.value = '1.2.3.4']",
      "only constraints");
}

TEST_CASE("STIX: URLs, exact and as prefixes where LIKE reduces exactly") {
  Term u = Single("[url:value = 'HTTP://Evil.Example:80/login']");
  CHECK(u.kind == TermKind::kUrl);
  CHECK(u.value == "http://evil.example/login");
  Term p = Single("[url:value LIKE 'http://evil.example/kit/%']");
  CHECK(p.kind == TermKind::kUrlPrefix);
  CHECK(p.value == "http://evil.example/kit/");
  // Would also match http://evil.example.com/: no normalised prefix says that.
  CheckUnsupported("[url:value LIKE 'http://evil.example%']", "LIKE on url:value");
  CheckUnsupported("[url:value LIKE 'http://evil.example/%/x']", "LIKE on url:value");
  CheckUnsupported("[url:value MATCHES 'evil']", "MATCHES is not supported on url:value");
}

TEST_CASE("STIX: domain LIKE '%.x' becomes the domain; other shapes are unsupported") {
  Term d = Single("[domain-name:value LIKE '%.evil.example']");
  CHECK(d.kind == TermKind::kDomain);
  CHECK(d.value == "evil.example");
  CheckUnsupported("[domain-name:value LIKE '%evil.example']", "'%.domain'");
  CheckUnsupported("[domain-name:value MATCHES 'evil']", "MATCHES is not supported");
}

TEST_CASE("STIX: IN lists, OR and AND inside and between observations, parentheses") {
  Feed in = One("[domain-name:value IN ('a.example', 'b.example', 'c.example')]");
  REQUIRE(in.rules.size() == 1);
  CHECK(Render(in.rules[0]) == "domain:a.example | domain:b.example | domain:c.example");

  Feed orr = One("[domain-name:value = 'a.example' OR url:value = 'http://b.example/x']");
  REQUIRE(orr.rules.size() == 1);
  CHECK(Render(orr.rules[0]) == "domain:a.example | url:http://b.example/x");

  Feed andd =
      One("[email-message:from_ref.value = 'a@evil.example' AND "
          "email-message:subject = 'Invoice']");
  REQUIRE(andd.rules.size() == 1);
  REQUIRE(andd.rules[0].any_of.size() == 1);
  CHECK(andd.rules[0].any_of[0].size() == 2);

  Feed paren =
      One("[file:name = 'a.exe' AND (domain-name:value = 'x.example' OR domain-name:value = "
          "'y.example')]");
  REQUIRE(paren.rules.size() == 1);
  CHECK(Render(paren.rules[0]) ==
        "filename:a.exe & domain:x.example | filename:a.exe & domain:y.example");

  Feed obs =
      One("([domain-name:value = 'x.example'] OR [ipv4-addr:value = '192.0.2.1']) AND "
          "[file:name = 'a.exe']");
  REQUIRE(obs.rules.size() == 1);
  CHECK(Render(obs.rules[0]) ==
        "domain:x.example & filename:a.exe | ip:192.0.2.1 & filename:a.exe");

  Feed lower = One("[domain-name:value = 'a.example' or domain-name:value = 'b.example']");
  REQUIRE(lower.rules.size() == 1);
  CHECK(lower.rules[0].any_of.size() == 2);
}

TEST_CASE("STIX: string literal escapes") {
  CHECK(Single(R"([file:name = 'o\'brien.exe'])").value == "o'brien.exe");
  CHECK(Single(R"([file:name = 'a\\b.exe'])").value == "a\\b.exe");
  // Producers often leave regex backslashes single; they are kept.
  CHECK(Single(R"([email-message:subject MATCHES '^\d+$'])").value == R"(^\d+$)");
}

TEST_CASE("STIX: qualifiers and operators outside the subset are unsupported, not errors") {
  CheckUnsupported("[domain-name:value = 'a.example'] FOLLOWEDBY [url:value = 'http://b.example/']",
                   "FOLLOWEDBY");
  CheckUnsupported("[domain-name:value = 'a.example'] WITHIN 300 SECONDS", "WITHIN");
  CheckUnsupported("[domain-name:value = 'a.example'] REPEATS 5 TIMES", "REPEATS");
  CheckUnsupported(
      "[domain-name:value = 'a.example'] START t'2026-01-01T00:00:00Z' STOP "
      "t'2026-02-01T00:00:00Z'",
      "START/STOP");
  CheckUnsupported("[domain-name:value NOT = 'a.example']", "NOT");
  CheckUnsupported("[domain-name:value != 'a.example']", "!=");
  CheckUnsupported("[file:size > 100]", "not supported");
  CheckUnsupported("[x509-certificate:serial_number = '01']", "x509-certificate:serial_number");
  CheckUnsupported("[windows-registry-key:key = 'HKLM\\\\x']", "windows-registry-key");
  CheckUnsupported("[file:name = b'ZXZpbA==']", "binary");
  CheckUnsupported("[email-message:subject MATCHES '(?=x)y']", "RE2");
  CheckUnsupported("[email-message:subject MATCHES '(a)\\1']", "RE2");
  CheckUnsupported("[EXISTS file:name]", "EXISTS");
  // An unsupported half of an OR makes the whole pattern unsupported: dropping it would narrow
  // what the analyst asked for.
  CheckUnsupported("[domain-name:value = 'a.example' OR process:name = 'x']", "process:name");
}

TEST_CASE("STIX: other pattern types are unsupported") {
  Feed f = Parse(Bundle({R"json({"type":"indicator","id":"indicator--s","pattern_type":"snort",
                             "pattern":"alert tcp any any -> any any (msg:\"x\";)"})json"}));
  CHECK(f.ok());
  CHECK(f.rules.empty());
  REQUIRE(f.unsupported.size() == 1);
  CHECK(f.unsupported[0] == "t.json: $.objects[0]: pattern_type 'snort' is not supported");

  // STIX 2.0 indicators have no pattern_type: stix is meant.
  Feed old = Parse(Bundle({R"({"type":"indicator","id":"indicator--o",
                               "pattern":"[domain-name:value = 'old.example']"})"}));
  REQUIRE(old.rules.size() == 1);
}

TEST_CASE("STIX: timestamps, revocation and confidence") {
  Feed f = One("[domain-name:value = 'a.example']",
               R"(,"valid_until":"2026-06-30T12:34:56.789Z","revoked":true,"confidence":0)");
  REQUIRE(f.ok());
  REQUIRE(f.rules.size() == 1);
  CHECK(f.rules[0].valid_until == 1782822896);
  CHECK(f.rules[0].revoked);
  CHECK(f.rules[0].confidence == 0);
  CHECK_FALSE(f.rules[0].ActiveAt(1767225600 + 10));

  Feed off = Parse(Bundle({R"({"type":"indicator","id":"indicator--t",
      "valid_from":"2026-01-01T02:00:00.5+02:00","valid_until":"2025-12-31T19:00:01-05:00",
      "pattern":"[domain-name:value = 'a.example']"})"}));
  REQUIRE(off.rules.size() == 1);
  CHECK(off.rules[0].valid_from == 1767225600);
  CHECK(off.rules[0].valid_until == 1767225601);
  CHECK(off.rules[0].ActiveAt(1767225600));
  CHECK_FALSE(off.rules[0].ActiveAt(1767225601));

  for (const char* bad : {"2026-01-01", "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z",
                          "2026-01-01T00:00:00", "2026-01-01T24:00:00Z", "2026-01-01T00:00:00.Z",
                          "2026-01-01T00:00:00+2:00", "2026-01-01T00:00:00Zjunk"}) {
    Feed b =
        One("[domain-name:value = 'a.example']", std::string(R"(,"valid_until":")") + bad + "\"");
    INFO(bad);
    CHECK(HasError(b, "t.json: $.objects[0].valid_until: bad timestamp"));
    CHECK(b.rules.empty());
  }
  Feed leap = One("[domain-name:value = 'a.example']", R"(,"valid_until":"2028-02-29T00:00:00Z")");
  CHECK(leap.ok());

  Feed order = One("[domain-name:value = 'a.example']", R"(,"valid_until":"2025-01-01T00:00:00Z")");
  CHECK(HasError(order, "$.objects[0].valid_until: must be later than valid_from"));

  CHECK(HasError(One("[domain-name:value = 'a.example']", R"(,"confidence":101)"),
                 "$.objects[0].confidence: expected an integer from 0 to 100"));
  CHECK(HasError(One("[domain-name:value = 'a.example']", R"(,"confidence":"high")"),
                 "$.objects[0].confidence"));
  CHECK(HasError(One("[domain-name:value = 'a.example']", R"(,"revoked":"yes")"),
                 "$.objects[0].revoked: expected true or false"));
}

TEST_CASE("STIX: TLP 2.0 and 1.0 markings, custom statements, the most restrictive wins") {
  auto marking = [](std::string_view refs, std::vector<std::string> extra = {}) {
    extra.insert(extra.begin(), Indicator("[domain-name:value = 'a.example']",
                                          ",\"object_marking_refs\":[" + std::string(refs) + "]"));
    Feed f = Parse(Bundle(extra));
    INFO(Joined(f.errors));
    REQUIRE(f.ok());
    REQUIRE(f.rules.size() == 1);
    return f.rules[0].marking;
  };
  CHECK(marking(R"("marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487")") == "TLP:CLEAR");
  CHECK(marking(R"("marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb")") == "TLP:GREEN");
  CHECK(marking(R"("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")") == "TLP:AMBER");
  CHECK(marking(R"("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003")") ==
        "TLP:AMBER+STRICT");
  CHECK(marking(R"("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")") == "TLP:RED");
  CHECK(marking(R"("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9")") == "TLP:CLEAR");
  CHECK(marking(R"("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da")") == "TLP:GREEN");
  CHECK(marking(R"("marking-definition--f88d31f6-486f-44da-b317-01333bde0b82")") == "TLP:AMBER");
  CHECK(marking(R"("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed")") == "TLP:RED");
  // Several: the most restrictive TLP, whatever the order.
  CHECK(marking(R"("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                   "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da")") == "TLP:RED");
  CHECK(marking(R"("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da",
                   "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")") == "TLP:AMBER");

  // Definitions in the bundle, after the indicator that uses them.
  std::string statement = R"({"type":"marking-definition","id":"marking-definition--c1",
      "definition_type":"statement","definition":{"statement":"GFI//NOFORN"}})";
  std::string tlp = R"({"type":"marking-definition","id":"marking-definition--c2",
      "definition_type":"tlp","definition":{"tlp":"amber"}})";
  std::string named = R"({"type":"marking-definition","id":"marking-definition--c3",
      "name":"ACME Internal",
      "extensions":{"extension-definition--x":{"extension_type":"property-extension"}}})";
  CHECK(marking(R"("marking-definition--c1")", {statement}) == "GFI//NOFORN");
  CHECK(marking(R"("marking-definition--c2")", {tlp}) == "TLP:AMBER");
  CHECK(marking(R"("marking-definition--c3")", {named}) == "ACME Internal");
  // Two different custom labels: no one label says how to handle it; sensitive, in any order.
  CHECK(marking(R"("marking-definition--c3", "marking-definition--c1")", {statement, named}) ==
        "marking-definition--c1");
  CHECK(marking(R"("marking-definition--c1", "marking-definition--c3")", {statement, named}) ==
        "marking-definition--c1");
  CHECK(
      marking(
          R"("marking-definition--c1", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb")",
          {statement}) == "GFI//NOFORN");  // a custom restriction outranks TLP:GREEN
  CHECK(marking(R"("marking-definition--c1", "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")",
                {statement}) == "TLP:RED");  // but TLP:RED is always withheld
  CHECK(marking(R"("marking-definition--unknown")") == "marking-definition--unknown");
  CHECK(marking(R"("marking-definition--unknown", "marking-definition--c1")", {statement}) ==
        "marking-definition--unknown");  // unresolved outranks a custom label

  Feed bad = One("[domain-name:value = 'a.example']", R"(,"object_marking_refs":[1])");
  CHECK(HasError(bad,
                 "t.json: $.objects[0].object_marking_refs[0]: expected a marking-definition id"));
  CHECK(bad.rules.empty());
}

TEST_CASE("STIX: a key given twice refuses the object, whatever the first says") {
  // "object_marking_refs": [] then a TLP:RED list: a reader that takes the first would show the
  // value as unmarked.
  Feed f = One("[domain-name:value = 'red-dup.example']",
               R"(,"object_marking_refs":[],"object_marking_refs":)"
               R"(["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"])");
  CHECK(HasError(f, "t.json: $.objects[0].object_marking_refs: the key appears more than once"));
  CHECK(f.rules.empty());
  Feed pattern_twice = Parse(Bundle({R"({"type":"indicator","id":"indicator--d","pattern_type":"stix",
      "pattern":"[domain-name:value = 'a.example']","pattern":"[domain-name:value = 'b.example']"})"}));
  CHECK(HasError(pattern_twice, "$.objects[0].pattern: the key appears more than once"));
  CHECK(pattern_twice.rules.empty());
}

TEST_CASE("STIX: errors of an object with any marking reference never quote its values") {
  // A marking reference that does not resolve, or is malformed, still withholds the pattern.
  for (const char* refs : {R"(["marking-definition--elsewhere"])", R"([1, "x"])",
                           R"("not-an-array")",
                           R"(["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"])"}) {
    Feed f = One("[ipv4-addr:value = '2001:db8::5']",
                 std::string(R"(,"object_marking_refs":)") + refs);
    INFO(refs);
    CHECK_FALSE(f.ok());
    for (const std::string& e : f.errors) CHECK(e.find("2001:db8::5") == std::string::npos);
  }
  // Even TLP:CLEAR or TLP:GREEN: the reader cannot know what [policy] sensitive_markings says.
  for (const char* refs :
       {R"(["marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da"])",
        R"(["marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487"])", "[]"}) {
    Feed f = One("[ipv4-addr:value = '2001:db8::6']",
                 std::string(R"(,"object_marking_refs":)") + refs);
    INFO(refs);
    CHECK(HasError(f, "$.objects[0].pattern: invalid pattern (details withheld"));
    for (const std::string& e : f.errors) CHECK(e.find("2001:db8::6") == std::string::npos);
  }
  Feed granular = One("[ipv4-addr:value = '2001:db8::7']",
                      R"(,"granular_markings":[{"lang":"en","selectors":["pattern"]}])");
  CHECK(HasError(granular, "details withheld"));
  for (const std::string& e : granular.errors) CHECK(e.find("2001:db8::7") == std::string::npos);
  // Unmarked: the error says what is wrong, value included.
  CHECK(HasError(One("[ipv4-addr:value = '2001:db8::6']"),
                 "'2001:db8::6' is not an IPv4 address"));
  // An unsupported reason may quote a regex fragment: withheld too.
  Feed unsupported = One("[email-message:subject MATCHES '(?P<secret-fragment>x)']",
                         R"(,"object_marking_refs":["marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"])");
  REQUIRE(unsupported.unsupported.size() == 1);
  CHECK(unsupported.unsupported[0].find("details withheld") != std::string::npos);
  CHECK(unsupported.unsupported[0].find("secret-fragment") == std::string::npos);
  CHECK(One("[email-message:subject MATCHES '(?P<secret-fragment>x)']").unsupported[0].find(
            "secret-fragment") != std::string::npos);
}

// The marking of one indicator with `object_marking_refs` and `granular` (JSON array bodies),
// the bundle holding `extra` objects too.
std::string MarkingOf(std::string_view refs, std::string_view granular,
                      std::vector<std::string> extra = {}) {
  std::string props;
  if (!refs.empty()) props += ",\"object_marking_refs\":[" + std::string(refs) + "]";
  if (!granular.empty()) props += ",\"granular_markings\":[" + std::string(granular) + "]";
  extra.insert(extra.begin(), Indicator("[domain-name:value = 'a.example']", props));
  Feed f = Parse(Bundle(extra));
  INFO(Joined(f.errors));
  REQUIRE(f.ok());
  REQUIRE(f.rules.size() == 1);
  return f.rules[0].marking;
}

constexpr const char* kRed2 = R"("marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1")";
constexpr const char* kRed1 = R"("marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed")";
constexpr const char* kAmber2 = R"("marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")";
constexpr const char* kStrict2 = R"("marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003")";
constexpr const char* kGreen1 = R"("marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da")";
constexpr const char* kWhite1 = R"("marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9")";
constexpr const char* kElsewhere = R"("marking-definition--0d1e5e00-0000-4000-8000-00000000e15e")";
constexpr const char* kStatementDef = R"({"type":"marking-definition","id":"marking-definition--c1",
    "definition_type":"statement","definition":{"statement":"GFI//NOFORN"}})";

std::string Refs(std::initializer_list<std::string_view> ids) {
  std::string s;
  for (std::string_view id : ids) s += (s.empty() ? "" : ",") + std::string(id);
  return s;
}

TEST_CASE("STIX markings: RED > unresolved > custom > the strictest TLP, in any order") {
  const std::string custom = R"("marking-definition--c1")";
  const std::string unresolved = "marking-definition--0d1e5e00-0000-4000-8000-00000000e15e";
  for (const char* red : {kRed2, kRed1}) {
    CHECK(MarkingOf(Refs({kElsewhere, red}), "", {kStatementDef}) == "TLP:RED");
    CHECK(MarkingOf(Refs({custom, red, kGreen1}), "", {kStatementDef}) == "TLP:RED");
  }
  CHECK(MarkingOf(Refs({custom, kElsewhere}), "", {kStatementDef}) == unresolved);
  CHECK(MarkingOf(Refs({kElsewhere, custom}), "", {kStatementDef}) == unresolved);
  CHECK(MarkingOf(Refs({kStrict2, kElsewhere}), "") == unresolved);
  // Several unresolved: the smallest id, whatever the order.
  const char* other = R"("marking-definition--0a000000-0000-4000-8000-000000000000")";
  CHECK(MarkingOf(Refs({kElsewhere, other}), "") ==
        "marking-definition--0a000000-0000-4000-8000-000000000000");
  CHECK(MarkingOf(Refs({other, kElsewhere}), "") ==
        "marking-definition--0a000000-0000-4000-8000-000000000000");
  CHECK(MarkingOf(Refs({kAmber2, custom}), "", {kStatementDef}) == "GFI//NOFORN");
  CHECK(MarkingOf(Refs({kGreen1, kStrict2, kAmber2}), "") == "TLP:AMBER+STRICT");
  CHECK(MarkingOf(Refs({kWhite1, kGreen1}), "") == "TLP:GREEN");
  // An unresolved reference is sensitive whatever the configured list holds.
  PolicySettings p;
  p.sensitive_markings = {};
  CHECK(IsSensitiveMarking(p, MarkingOf(kElsewhere, "")));
  CHECK_FALSE(IsSensitiveMarking(p, MarkingOf(kAmber2, "")));
}

TEST_CASE("STIX markings: granular markings count like object markings") {
  auto g = [](std::string_view ref) {
    return R"({"selectors":["pattern"],"marking_ref":)" + std::string(ref) + "}";
  };
  CHECK(MarkingOf("", g(kRed2)) == "TLP:RED");
  CHECK(MarkingOf(kGreen1, g(kRed1)) == "TLP:RED");
  CHECK(MarkingOf(kRed2, g(kGreen1)) == "TLP:RED");
  CHECK(MarkingOf(kAmber2, g(kElsewhere)) ==
        "marking-definition--0d1e5e00-0000-4000-8000-00000000e15e");
  CHECK(MarkingOf(kGreen1, g(kStrict2)) == "TLP:AMBER+STRICT");
  CHECK(MarkingOf("", g(R"("marking-definition--c1")"), {kStatementDef}) == "GFI//NOFORN");
  CHECK(MarkingOf("", R"({"selectors":["description"],"lang":"fr"})").empty());
  CHECK(MarkingOf(kGreen1, R"({"selectors":["description"],"lang":"fr"})") == "TLP:GREEN");
}

TEST_CASE("STIX markings: a definition in another file, or none usable, is unresolved") {
  // Two files: the definition's own file loads it, the indicator's file cannot see it.
  Feed defs = Parse(Bundle({kStatementDef}));
  CHECK(defs.ok());
  CHECK(MarkingOf(R"("marking-definition--c1")", "") == "marking-definition--c1");
  // A TLP level outside TLP 1.0 and 2.0, an empty statement, no label at all.
  for (const char* def :
       {R"({"type":"marking-definition","id":"marking-definition--d1","definition_type":"tlp",
            "definition":{"tlp":"purple"},"name":"TLP:CLEAR"})",
        R"({"type":"marking-definition","id":"marking-definition--d1",
            "definition_type":"statement","definition":{"statement":"  "}})",
        R"({"type":"marking-definition","id":"marking-definition--d1"})"}) {
    INFO(def);
    CHECK(MarkingOf(R"("marking-definition--d1")", "", {def}) == "marking-definition--d1");
  }
  // A bundle's own definition cannot relabel a TLP id.
  CHECK(MarkingOf(kRed2, "",
                  {R"({"type":"marking-definition",
                       "id":"marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
                       "definition_type":"tlp","definition":{"tlp":"clear"}})"}) == "TLP:RED");
}

TEST_CASE("STIX markings: malformed references and repeated keys are refused") {
  for (const char* bad : {R"(,"object_marking_refs":[""])", R"(,"object_marking_refs":["x"])",
                          R"(,"object_marking_refs":["marking-definition--"])",
                          R"(,"granular_markings":[{"marking_ref":7}])",
                          R"(,"granular_markings":[3])"}) {
    Feed f = One("[domain-name:value = 'a.example']", bad);
    INFO(bad);
    INFO(Joined(f.errors));
    CHECK(HasError(f, "expected a marking-definition id"));
    CHECK(f.rules.empty());
  }
  // A granular marking naming two refs: refused, not read as its first.
  Feed twice = One("[domain-name:value = 'a.example']",
                   std::string(R"(,"granular_markings":[{"marking_ref":)") + kGreen1 +
                       R"(,"marking_ref":)" + kRed2 + "}]");
  CHECK(HasError(twice, "$.objects[0].granular_markings[0].marking_ref: the key appears more"));
  CHECK(twice.rules.empty());
  // A definition with a key twice: an error, and its references stay unresolved (sensitive).
  Feed def = Parse(Bundle({Indicator("[domain-name:value = 'a.example']",
                                     R"(,"object_marking_refs":["marking-definition--d2"])"),
                           R"({"type":"marking-definition","id":"marking-definition--d2",
                               "definition_type":"tlp","definition":{"tlp":"clear","tlp":"red"}})"}));
  CHECK(HasError(def, "$.objects[1].definition.tlp: the key appears more than once"));
  REQUIRE(def.rules.size() == 1);
  CHECK(def.rules[0].marking == "marking-definition--d2");
  // A bundle with "objects" twice, an object whose "type" is given twice.
  Feed bundle = Parse(R"({"type":"bundle","objects":[],"objects":[)" +
                      Indicator("[domain-name:value = 'a.example']") + "]}");
  CHECK(HasError(bundle, "t.json: $.objects: the key appears more than once"));
  CHECK(bundle.rules.empty());
  Feed type = Parse(Bundle({R"({"type":"identity","type":"indicator","id":"indicator--t",
      "pattern_type":"stix","pattern":"[domain-name:value = 'a.example']"})"}));
  CHECK(HasError(type, "$.objects[0].type: the key appears more than once"));
}

TEST_CASE("STIX: x_gfi_action sets the rule's action") {
  Feed f = One("[domain-name:value = 'a.example']", R"(,"x_gfi_action":"Reject")");
  REQUIRE(f.rules.size() == 1);
  CHECK(f.rules[0].action == Action::kReject);
  Feed bad = One("[domain-name:value = 'a.example']", R"(,"x_gfi_action":"bounce")");
  CHECK(HasError(bad, "t.json: $.objects[0].x_gfi_action: unknown action 'bounce'"));
  CHECK(bad.rules.empty());
}

TEST_CASE("STIX: malformed input is an error naming the file and JSON path") {
  Feed trunc = Parse(R"({"type":"bundle","objects":[{"type":"indicator","id":"indicator--1",)");
  REQUIRE(trunc.errors.size() == 1);
  CHECK(trunc.errors[0].rfind("t.json: invalid JSON: ", 0) == 0);
  CHECK(trunc.rules.empty());

  CHECK(Parse("").errors.size() == 1);
  CHECK(HasError(Parse("42"), "t.json: $: expected a STIX bundle"));
  CHECK(
      HasError(Parse(R"({"type":"bundle","objects":{}})"), "t.json: $.objects: expected an array"));
  CHECK(HasError(Parse(R"([{"type":"indicator","id":"i"}, 3])"),
                 "t.json: $[1]: expected a STIX object"));
  CHECK(HasError(Parse(R"([{"id":"x"}])"), "t.json: $[0].type: required property is missing"));

  Feed noid =
      Parse(Bundle({R"({"type":"identity","id":"identity--1"})",
                    R"({"type":"indicator","pattern":"[domain-name:value = 'a.example']"})"}));
  CHECK(HasError(noid, "t.json: $.objects[1].id: required property is missing"));
  CHECK(noid.rules.empty());

  Feed nopattern = Parse(Bundle({R"({"type":"indicator","id":"indicator--1"})"}));
  CHECK(HasError(nopattern, "t.json: $.objects[0].pattern: required property is missing"));

  CHECK(HasError(One("[domain-name:value = 'evil.example]"),
                 "t.json: $.objects[0].pattern: unterminated string literal at offset 21"));
  CHECK(HasError(One("[domain-name:value = 'evil.example'"),
                 "t.json: $.objects[0].pattern: unbalanced '[' at offset 0"));
  CHECK(HasError(One("[domain-name:value = 'evil.example']]"),
                 "t.json: $.objects[0].pattern: unexpected ']' at offset 36"));
  CHECK(HasError(One("([domain-name:value = 'evil.example']"), "unbalanced '(' at offset 0"));
  CHECK(HasError(One("domain-name:value = 'evil.example'"), "expected '[' or '(' at offset 0"));
  CHECK(HasError(One("[domain-name:value 'evil.example']"), "expected a comparison operator"));
  CHECK(HasError(One("[domain-name = 'evil.example']"), "expected ':' after the object type"));
  CHECK(HasError(One("[domain-name:value = 'a.example' XOR domain-name:value = 'b.example']"),
                 "expected AND, OR or ']' at offset 33"));
  CHECK(HasError(One("[domain-name:value IN ('a.example', 'b.example']"), "expected ',' or ')'"));
  CHECK(HasError(One("[domain-name:value = 'a.example'] WITHIN 'x' SECONDS"),
                 "expected a number after WITHIN"));
  CHECK(HasError(One("[domain-name:value = 'a.example'] WITHIN 5"), "expected SECONDS"));
  CHECK(HasError(One(""), "expected '[' or '(' but the pattern ends at offset 0"));

  // Values are checked by MakeTerm, as in every feed format.
  CHECK(HasError(One("[ipv4-addr:value = '10.0.0.0/33']"),
                 "t.json: $.objects[0].pattern: bad CIDR '10.0.0.0/33'"));
  CHECK(HasError(One("[ipv4-addr:value = '10.0.0.0/33']"), "at offset 19"));
  CHECK(HasError(One("[file:hashes.MD5 = 'abc']"), "md5 must be 32 hex digits"));
  CHECK(HasError(One("[email-message:subject MATCHES '(unclosed']"), "bad regex"));
  CHECK(HasError(One("[email-message:additional_header_fields.'Bad Name' = 'x']"),
                 "bad header field name"));
  // A bad value is reported even inside a pattern we would not load.
  CHECK(HasError(One("[ipv4-addr:value = '1.2.3.999'] FOLLOWEDBY [file:name = 'x']"),
                 "bad IP address"));
}

TEST_CASE("STIX: one bad indicator makes the feed invalid but the good ones are still read") {
  Feed f = Parse(Bundle({
      Indicator("[domain-name:value = 'good.example']", "", "indicator--good"),
      Indicator("[ipv4-addr:value = '300.1.1.1']", "", "indicator--bad"),
      Indicator("[domain-name:value = 'a.example'] FOLLOWEDBY [domain-name:value = 'b.example']",
                "", "indicator--unsupported"),
  }));
  CHECK_FALSE(f.ok());
  REQUIRE(f.errors.size() == 1);
  CHECK(f.errors[0].rfind("t.json: $.objects[1].pattern: ", 0) == 0);
  REQUIRE(f.rules.size() == 1);
  CHECK(f.rules[0].id == "indicator--good");
  CHECK(f.unsupported.size() == 1);
}

TEST_CASE("STIX: expansion, nesting and error count are bounded") {
  std::string in = "[domain-name:value IN (";
  for (int i = 0; i <= 1024; ++i) in += (i ? ",'d" : "'d") + std::to_string(i) + ".example'";
  in += ")]";
  CHECK(HasError(One(in), "more than 1024 alternatives"));

  std::string product;
  for (int i = 0; i < 11; ++i)
    product += std::string(i ? " AND " : "") + "[domain-name:value IN ('a" + std::to_string(i) +
               ".example', 'b.example')]";
  CHECK(HasError(One(product), "more than 1024 alternatives"));

  std::string deep(5000, '(');
  CHECK(HasError(One(deep), "nesting deeper than"));
  CHECK(HasError(One("[" + std::string(5000, '(')), "nesting deeper than"));

  std::vector<std::string> bad;
  for (int i = 0; i < 150; ++i) bad.push_back(R"({"type":"indicator"})");
  Feed many = Parse(Bundle(bad));
  CHECK(many.errors.size() == kMaxErrorsPerFeed + 1);
  CHECK(many.errors.back() == "t.json: more errors not shown");
}

TEST_CASE("STIX pattern: compiled directly") {
  Result<CompiledPattern> ok = CompileStixPattern("[domain-name:value = 'x.example']");
  REQUIRE(ok.ok());
  CHECK(ok.value().unsupported.empty());
  CHECK(ok.value().any_of.size() == 1);
  Result<CompiledPattern> un = CompileStixPattern("[process:name = 'x']");
  REQUIRE(un.ok());
  CHECK(un.value().any_of.empty());
  CHECK(un.value().unsupported == "object path 'process:name' is not supported");
  Result<CompiledPattern> bad = CompileStixPattern("[domain-name:value = 'x.example' AND]");
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error() == "expected an object path at offset 36");
}

}  // namespace gfi
