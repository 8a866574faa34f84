#include "extract/analyzer.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace gfi {
namespace {

bool Has(const MessageAnalysis& a, ObservableType t, std::string_view v, Where w) {
  for (const Observable& o : a.observables)
    if (o.type == t && o.value == v && o.where == w) return true;
  return false;
}

bool HasDefect(const MessageAnalysis& a, std::string_view prefix) {
  for (const std::string& d : a.defects)
    if (d.rfind(prefix, 0) == 0) return true;
  return false;
}

MessageAnalysis Run(const std::string& raw, const Envelope& env = {}) {
  return AnalyzeMessage(raw, env, AnalysisLimits{});
}

}  // namespace

TEST_CASE("envelope values become observables with their place") {
  Envelope env;
  env.client_ip = "203.0.113.45";
  env.helo = "Mail.Evil.Example.";
  env.mail_from = "<Bounce@Evil.Example>";
  env.rcpt_to = {"victim@corp.example"};
  MessageAnalysis a = Run("Subject: x\n\nhi\n", env);
  CHECK(Has(a, ObservableType::kIp, "203.0.113.45", Where::kClientIp));
  CHECK(Has(a, ObservableType::kDomain, "mail.evil.example", Where::kHelo));
  CHECK(Has(a, ObservableType::kEmail, "bounce@evil.example", Where::kMailFrom));  // local part lower-case
  CHECK(Has(a, ObservableType::kDomain, "evil.example", Where::kMailFrom));
  CHECK(Has(a, ObservableType::kEmail, "victim@corp.example", Where::kRcptTo));
}

TEST_CASE("address headers yield addresses and domains, not display-name look-alikes") {
  std::string raw =
      "From: \"ceo@good.example\" <attacker@evil.example>\n"
      "Reply-To: =?UTF-8?Q?Support?= <help@reply.example>\n"
      "Sender: s@sender.example\n"
      "Return-Path: <rp@return.example>\n"
      "To: Undisclosed: a@to.example, \"Doe, J\" <j@to2.example>;\n"
      "Cc: c@cc.example (comment@not.example)\n"
      "Message-ID: <1234@mid.example>\n"
      "\nbody\n";
  MessageAnalysis a = Run(raw);
  CHECK(Has(a, ObservableType::kEmail, "attacker@evil.example", Where::kHeaderFrom));
  CHECK_FALSE(Has(a, ObservableType::kEmail, "ceo@good.example", Where::kHeaderFrom));
  CHECK(Has(a, ObservableType::kDomain, "reply.example", Where::kHeaderReplyTo));
  CHECK(Has(a, ObservableType::kEmail, "s@sender.example", Where::kHeaderSender));
  CHECK(Has(a, ObservableType::kEmail, "rp@return.example", Where::kHeaderReturnPath));
  CHECK(Has(a, ObservableType::kEmail, "a@to.example", Where::kHeaderTo));
  CHECK(Has(a, ObservableType::kEmail, "j@to2.example", Where::kHeaderTo));
  CHECK(Has(a, ObservableType::kEmail, "c@cc.example", Where::kHeaderCc));
  CHECK_FALSE(Has(a, ObservableType::kEmail, "comment@not.example", Where::kHeaderCc));
  CHECK(Has(a, ObservableType::kDomain, "mid.example", Where::kHeaderMessageId));
}

TEST_CASE("Received and X-Originating-IP yield hosts and addresses") {
  std::string raw =
      "Received: from relay.evil.example (unknown [198.51.100.7])\n"
      "\tby mx.corp.example (Postfix 3.7.2) with ESMTPS id 4AbC for <v@corp.example>;\n"
      "\tMon, 23 Nov 2026 00:00:00 +0000\n"
      "Received: from [IPv6:2001:DB8::1] by mx.corp.example; Mon, 23 Nov 2026 00:00:00 +0000\n"
      "X-Originating-IP: [192.0.2.99]\n"
      "\nbody\n";
  MessageAnalysis a = Run(raw);
  CHECK(Has(a, ObservableType::kDomain, "relay.evil.example", Where::kHeaderReceived));
  CHECK(Has(a, ObservableType::kDomain, "mx.corp.example", Where::kHeaderReceived));
  CHECK(Has(a, ObservableType::kIp, "198.51.100.7", Where::kHeaderReceived));
  CHECK(Has(a, ObservableType::kIp, "2001:db8::1", Where::kHeaderReceived));
  CHECK(Has(a, ObservableType::kIp, "192.0.2.99", Where::kHeaderXOriginatingIp));
  CHECK_FALSE(Has(a, ObservableType::kDomain, "corp.example", Where::kHeaderReceived));
}

TEST_CASE("URLs in text and HTML parts carry their place, and hosts come with them") {
  std::string raw =
      "Content-Type: multipart/alternative; boundary=b\n\n"
      "--b\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n\n"
      "Visit http://Login.Evil=\n.Example/path now.\n"
      "--b\nContent-Type: text/html\n\n"
      "<a href=\"https://www.google.com/url?q=http://hidden.example/x&amp;sa=D\">x</a>\n"
      "--b--\n";
  MessageAnalysis a = Run(raw);
  CHECK(Has(a, ObservableType::kUrl, "http://login.evil.example/path", Where::kBodyText));
  CHECK(Has(a, ObservableType::kDomain, "login.evil.example", Where::kBodyText));
  CHECK(Has(a, ObservableType::kDomain, "www.google.com", Where::kBodyHtml));
  CHECK(Has(a, ObservableType::kDomain, "hidden.example", Where::kBodyHtml));
  REQUIRE(a.texts.size() == 2);
  CHECK(a.texts[0].where == Where::kBodyText);
  CHECK(a.texts[0].text.find("login.evil.example") == std::string::npos);  // case kept in text
  CHECK(a.texts[0].text.find("Login.Evil.Example") != std::string::npos);
}

TEST_CASE("attachments yield digests of decoded bytes and decoded file names") {
  std::string raw =
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n\nsee attached\n"
      "--b\nContent-Type: application/octet-stream\n"
      "Content-Disposition: attachment; filename=\"=?UTF-8?B?ZmFjdHVyZS5leGU=?=\"\n"
      "Content-Transfer-Encoding: base64\n\nYWJj\n"
      "--b--\n";
  MessageAnalysis a = Run(raw);
  REQUIRE(a.parts.size() == 2);
  CHECK_FALSE(a.parts[0].attachment);
  CHECK(a.parts[1].attachment);
  CHECK(a.parts[1].size == 3);
  CHECK(a.parts[1].filename == "facture.exe");
  const std::string kAbc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  CHECK(a.parts[1].digests.sha256 == kAbc);
  CHECK(Has(a, ObservableType::kSha256, kAbc, Where::kAttachment));
  CHECK(Has(a, ObservableType::kMd5, "900150983cd24fb0d6963f7d28e17f72", Where::kAttachment));
  CHECK(Has(a, ObservableType::kFilename, "facture.exe", Where::kAttachment));
}

TEST_CASE("a text part with a file name is an attachment and is still scanned for URLs") {
  std::string raw =
      "Content-Type: text/plain; name=notes.txt\n\nhttp://in-attachment.example/\n";
  MessageAnalysis a = Run(raw);
  REQUIRE(a.parts.size() == 1);
  CHECK(a.parts[0].attachment);
  CHECK(Has(a, ObservableType::kFilename, "notes.txt", Where::kAttachment));
  CHECK(Has(a, ObservableType::kDomain, "in-attachment.example", Where::kBodyText));
}

TEST_CASE("charset conversion applies before URL extraction") {
  // "http://bücher.example/" in ISO-8859-1
  std::string raw = "Content-Type: text/plain; charset=iso-8859-1\n\nhttp://b\xFC" "cher.example/\n";
  MessageAnalysis a = Run(raw);
  CHECK(Has(a, ObservableType::kDomain, "xn--bcher-kva.example", Where::kBodyText));
}

TEST_CASE("decoded size beyond the limit is truncated and reported") {
  std::string raw = "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n" +
                    std::string(4000, 'A') + "\n";
  AnalysisLimits lim;
  lim.max_decoded_bytes = 1000;
  MessageAnalysis a = AnalyzeMessage(raw, Envelope{}, lim);
  REQUIRE(a.parts.size() == 1);
  CHECK(a.parts[0].size <= 1000);
  CHECK(HasDefect(a, "limit.decoded_size"));
}

TEST_CASE("a passed deadline stops the analysis with limit.scan_time naming what is left out") {
  std::string raw = "From: a@from.example\nSubject: s\nContent-Type: text/plain\n\n"
                    "http://body.example/\n";
  Envelope env;
  env.mail_from = "env@sender.example";
  const Deadline passed = Deadline::At(Deadline::Clock::now() - std::chrono::seconds(1));
  MessageAnalysis late = AnalyzeMessage(raw, env, AnalysisLimits{}, passed);
  REQUIRE(late.defects.size() == 1);
  CHECK(late.defects[0] ==
        "limit.scan_time at header From: more than 2000 ms; the rest is not analysed");
  // The envelope is cheap and read first.
  CHECK(Has(late, ObservableType::kEmail, "env@sender.example", Where::kMailFrom));
  CHECK_FALSE(Has(late, ObservableType::kDomain, "from.example", Where::kHeaderFrom));
  CHECK_FALSE(Has(late, ObservableType::kDomain, "body.example", Where::kBodyText));
  MessageAnalysis in_time =
      AnalyzeMessage(raw, env, AnalysisLimits{}, Deadline::After(std::chrono::seconds(60)));
  CHECK(in_time.defects.empty());
  CHECK(Has(in_time, ObservableType::kDomain, "body.example", Where::kBodyText));
}

TEST_CASE("observables are distinct per type, value and place") {
  std::string raw = "Content-Type: text/plain\n\nhttp://a.example/ http://a.example/ http://a.example/\n";
  MessageAnalysis a = Run(raw);
  int n = 0;
  for (const Observable& o : a.observables)
    if (o.type == ObservableType::kUrl) ++n;
  CHECK(n == 1);
}

TEST_CASE("subject and headers are decoded for content rules") {
  MessageAnalysis a = Run("Subject: =?UTF-8?Q?Urgent=3A_invoice?=\n\nx\n");
  CHECK(a.subject == "Urgent: invoice");
  REQUIRE_FALSE(a.headers.empty());
  CHECK(a.headers[0].value == "Urgent: invoice");
}

}  // namespace gfi

namespace gfi {

TEST_CASE("redirectors inside redirectors are unwrapped a few levels deep") {
  std::string raw =
      "Content-Type: text/plain\n\n"
      "https://www.google.com/url?q=https%3A%2F%2Fnam02.safelinks.protection.outlook.com%2F%3F"
      "url%3Dhttps%253A%252F%252Fdeep.evil.example%252Fx%26data%3D1\n";
  MessageAnalysis a = AnalyzeMessage(raw, Envelope{}, AnalysisLimits{});
  bool found = false;
  for (const Observable& o : a.observables)
    if (o.type == ObservableType::kDomain && o.value == "deep.evil.example") found = true;
  CHECK(found);
}

}  // namespace gfi

namespace gfi {
namespace {

bool HasObs(const MessageAnalysis& a, ObservableType t, std::string_view v) {
  for (const Observable& o : a.observables)
    if (o.type == t && o.value == v) return true;
  return false;
}

bool HasDefectPrefix(const MessageAnalysis& a, std::string_view prefix) {
  for (const std::string& d : a.defects)
    if (d.rfind(prefix, 0) == 0) return true;
  return false;
}

MessageAnalysis Analyze(const std::string& raw) {
  return AnalyzeMessage(raw, Envelope{}, AnalysisLimits{});
}

}  // namespace

TEST_CASE("a part whose header runs straight into the next boundary does not swallow it") {
  MessageAnalysis a = Analyze(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\nContent-Type: text/plain\n"
      "--b\nContent-Type: application/octet-stream; name=\"evil.exe\"\n"
      "Content-Transfer-Encoding: base64\n\nTVqQAAMAAAAEAAAA\n--b--\n");
  REQUIRE(a.parts.size() == 2);
  CHECK(a.parts[1].filename == "evil.exe");
  CHECK(HasObs(a, ObservableType::kFilename, "evil.exe"));
}

TEST_CASE("a ':junk' header line is skipped, not the end of the header") {
  MessageAnalysis a = Analyze(
      "Content-Type: multipart/mixed; boundary=b\n\n"
      "--b\n:x\nContent-Type: application/octet-stream; name=\"evil.exe\"\n"
      "Content-Transfer-Encoding: base64\n\nTVqQ\n--b--\n");
  CHECK(HasObs(a, ObservableType::kFilename, "evil.exe"));
  CHECK(HasDefectPrefix(a, "mime.malformed_header"));
}

TEST_CASE("an mbox From_ line before the header is skipped") {
  MessageAnalysis a = Analyze("From bounce@x.example Mon Nov 23 00:00:00 2026\n"
                              "From: evil@bad.example\nSubject: s\n\nbody\n");
  CHECK(HasObs(a, ObservableType::kEmail, "evil@bad.example"));
  CHECK(a.subject == "s");
}

TEST_CASE("a multipart whose boundary never appears is scanned as text") {
  MessageAnalysis a = Analyze(
      "Content-Type: multipart/mixed; boundary=b\n\n--c\nContent-Type: text/html\n\n"
      "<a href=\"http://hidden.example/\">x</a>\n--c--\n");
  CHECK(HasObs(a, ObservableType::kDomain, "hidden.example"));
  CHECK(HasDefectPrefix(a, "mime.no_parts"));
}

TEST_CASE("7-bit charsets that are not ASCII are still converted") {
  // "see http://evil16.example/y" in UTF-16LE, base64
  MessageAnalysis u16 = Analyze(
      "Content-Type: text/plain; charset=utf-16le\nContent-Transfer-Encoding: base64\n\n"
      "cwBlAGUAIABoAHQAdABwADoALwAvAGUAdgBpAGwAMQA2AC4AZQB4AGEAbQBwAGwAZQAvAHkA\n");
  CHECK(HasObs(u16, ObservableType::kDomain, "evil16.example"));
  MessageAnalysis u7 = Analyze(
      "Content-Type: text/plain; charset=utf-7\n\n+AGgAdAB0AHAAOgAvAC8-evil7.example/x\n");
  CHECK(HasObs(u7, ObservableType::kDomain, "evil7.example"));
}

TEST_CASE("a character split across adjacent encoded words is joined") {
  MessageAnalysis a = Analyze(
      "Content-Type: application/octet-stream\n"
      "Content-Disposition: attachment; filename=\"=?utf-8?q?=C3?= =?utf-8?q?=A9vil.exe?=\"\n\nx\n");
  CHECK(HasObs(a, ObservableType::kFilename, "\xC3\xA9vil.exe"));
}

TEST_CASE("addresses with comments and blanks are read as RFC 5322 reads them") {
  for (const char* from : {"evil @ bad.example", "Bob <evil@bad.example (c)>",
                           "Bob <evil (c) @bad.example>", "Bob evil@bad.example"}) {
    INFO(from);
    MessageAnalysis a = Analyze(std::string("From: ") + from + "\n\nx\n");
    CHECK(HasObs(a, ObservableType::kEmail, "evil@bad.example"));
  }
  MessageAnalysis q = Analyze("From: Bob <\"e v\"@bad.example>\n\nx\n");
  CHECK(HasObs(q, ObservableType::kDomain, "bad.example"));
}

}  // namespace gfi

namespace gfi {

TEST_CASE("uuencoded files in text, and the x-uuencode transfer encoding, are attachments") {
  // "abc" uuencoded: length char '#' (3), then "86)C" (0x61 0x62 0x63)
  MessageAnalysis a = AnalyzeMessage(
      "Content-Type: text/plain\n\nsee attached\nbegin 644 evil.exe\n#86)C\n`\nend\nbye\n",
      Envelope{}, AnalysisLimits{});
  REQUIRE(a.parts.size() == 2);
  CHECK(a.parts[1].path == "1/uu1");
  CHECK(a.parts[1].filename == "evil.exe");
  CHECK(a.parts[1].digests.sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  bool named = false;
  for (const Observable& o : a.observables)
    if (o.type == ObservableType::kFilename && o.value == "evil.exe") named = true;
  CHECK(named);
  MessageAnalysis b = AnalyzeMessage(
      "Content-Type: application/octet-stream; name=x.bin\nContent-Transfer-Encoding: x-uuencode\n\n"
      "begin 600 x.bin\n#86)C\n`\nend\n",
      Envelope{}, AnalysisLimits{});
  REQUIRE(b.parts.size() == 1);
  CHECK(b.parts[0].size == 3);
  CHECK(b.parts[0].digests.sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  MessageAnalysis c = AnalyzeMessage(
      "Content-Type: text/plain\n\nbegin 644 cut.exe\n#86)C\n", Envelope{}, AnalysisLimits{});
  bool truncated = false;
  for (const std::string& d : c.defects)
    if (d.rfind("mime.uuencode_truncated", 0) == 0) truncated = true;
  CHECK(truncated);
}

TEST_CASE("every part with disposition attachment is an attachment, named or not") {
  MessageAnalysis a = Run(
      "Content-Type: text/plain\nContent-Disposition: attachment\n\nabc");
  REQUIRE(a.parts.size() == 1);
  CHECK(a.parts[0].attachment);
  CHECK(Has(a, ObservableType::kSha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
            Where::kAttachment));
  MessageAnalysis inline_text = Run("Content-Type: text/plain\nContent-Disposition: inline\n\nabc");
  CHECK_FALSE(inline_text.parts[0].attachment);
}

TEST_CASE("file names match as Windows saves them: trailing dots and spaces, NUL") {
  auto named = [](const std::string& disposition) {
    return Run("Content-Type: application/octet-stream\nContent-Disposition: attachment; " +
               disposition + "\n\nabc");
  };
  MessageAnalysis dot = named("filename=\"evil.exe.\"");
  CHECK(dot.parts[0].filename == "evil.exe.");  // reports show the name as sent
  CHECK(Has(dot, ObservableType::kFilename, "evil.exe", Where::kAttachment));
  CHECK(Has(named("filename=\"evil.exe \""), ObservableType::kFilename, "evil.exe",
            Where::kAttachment));
  CHECK(Has(named("filename=\"evil.exe . .\""), ObservableType::kFilename, "evil.exe",
            Where::kAttachment));
  // "%00" in an RFC 2231 name: the Win32 API stops at the NUL; readers that skip it see the rest.
  MessageAnalysis nul = named("filename*=utf-8''evil.exe%00.txt");
  CHECK(Has(nul, ObservableType::kFilename, "evil.exe", Where::kAttachment));
  CHECK(Has(nul, ObservableType::kFilename, "evil.exe.txt", Where::kAttachment));
  MessageAnalysis mid = named("filename*=utf-8''ev%00il.exe");
  CHECK(Has(mid, ObservableType::kFilename, "evil.exe", Where::kAttachment));
  // An orphan continuation keeps its name.
  CHECK(Has(named("filename*1=\"evil.exe\""), ObservableType::kFilename, "evil.exe",
            Where::kAttachment));
  MessageAnalysis none = named("filename=\"...\"");
  for (const Observable& o : none.observables) CHECK(o.type != ObservableType::kFilename);
}

TEST_CASE("a lenient transfer encoding and base64 data after padding are both decoded") {
  MessageAnalysis a = Run(
      "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64; (x)\n\n"
      "YWJj\n");
  CHECK(a.parts[0].size == 3);
  CHECK(a.parts[0].digests.sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // "YWI=" is "ab"; Python's email stops there, most readers go on with "Yw==" ("c").
  MessageAnalysis b = Run(
      "Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\nYWI=Yw==\n");
  CHECK(HasDefect(b, "mime.base64_data_after_padding at 1"));
  CHECK(b.parts[0].digests.sha256 ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");  // "abc"
  CHECK(Has(b, ObservableType::kSha256,
            "fb8e20fc2e4c3f248c60c39bd652f3c1347298bb977b8b4d5903b85055620603",  // "ab"
            Where::kAttachment));
}

TEST_CASE("an IPv4-mapped IPv6 URL host also yields the IPv4 address and URL") {
  MessageAnalysis a =
      Run("Content-Type: text/html\n\n<a href=\"http://[::ffff:192.0.2.1]/x\">y</a>");
  CHECK(Has(a, ObservableType::kIp, "::ffff:192.0.2.1", Where::kBodyHtml));
  CHECK(Has(a, ObservableType::kIp, "192.0.2.1", Where::kBodyHtml));
  CHECK(Has(a, ObservableType::kUrl, "http://192.0.2.1/x", Where::kBodyHtml));
}

TEST_CASE("zero-width characters and soft hyphens are not in the text content rules see") {
  MessageAnalysis a = Run(
      "Content-Type: multipart/alternative; boundary=b\n\n--b\n"
      "Content-Type: text/plain; charset=utf-8\n\n"
      "pass\xE2\x80\x8Bword re\xC2\xADset ve\xE2\x80\x8C\xE2\x80\x8Dri\xE2\x81\xA0" "fy "
      "ac\xEF\xBB\xBF" "count\n--b\n"
      "Content-Type: text/html; charset=utf-8\n\n"
      "<p>pass&#8203;word re&shy;set ve&zwnj;&zwj;ri&#x2060;fy ac&#xFEFF;count</p>\n--b--\n");
  REQUIRE(a.texts.size() == 2);
  MessageAnalysis s =
      Run("Subject: =?utf-8?Q?Pass=E2=80=8Bword_reset?=\nX-A: a\xC2\xAD" "b\n\nx\n");
  CHECK(s.subject == "Password reset");
  CHECK(s.headers.back().value == "ab");
  for (const TextSegment& t : a.texts) {
    CHECK(t.text.find("password reset verify account") != std::string::npos);
  }
}

}  // namespace gfi
