#include "mime/header_decode.h"
#include "util/strings.h"

#include <catch2/catch.hpp>

namespace gfi {

TEST_CASE("RFC 2047 B and Q words decode to UTF-8") {
  CHECK(DecodeEncodedWords("=?UTF-8?B?w6lsw6h2ZQ==?=") == "\xC3\xA9l\xC3\xA8ve");
  CHECK(DecodeEncodedWords("=?iso-8859-1?q?caf=E9_au_lait?=") == "caf\xC3\xA9 au lait");
  CHECK(DecodeEncodedWords("=?ISO-8859-1?Q?a?=") == "a");
}

TEST_CASE("whitespace between adjacent encoded words is dropped, elsewhere kept") {
  CHECK(DecodeEncodedWords("=?UTF-8?Q?a?= =?UTF-8?Q?b?=") == "ab");
  CHECK(DecodeEncodedWords("=?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=") == "ab");
  CHECK(DecodeEncodedWords("x =?UTF-8?Q?a?= y") == "x a y");
}

TEST_CASE("malformed encoded words stay as written") {
  CHECK(DecodeEncodedWords("=?UTF-8?X?abc?=") == "=?UTF-8?X?abc?=");
  CHECK(DecodeEncodedWords("=?UTF-8?Q?unterminated") == "=?UTF-8?Q?unterminated");
  CHECK(DecodeEncodedWords("plain") == "plain");
}

TEST_CASE("encoded word with RFC 2231 language suffix and unknown charset") {
  CHECK(DecodeEncodedWords("=?utf-8*en?Q?hi?=") == "hi");
  // Unknown charsets are read as Windows-1252 rather than lost.
  CHECK(DecodeEncodedWords("=?x-unknown?Q?caf=E9?=") == "caf\xC3\xA9");
}

TEST_CASE("Content-Type value and parameters are case-insensitive and unquoted") {
  MediaParams p = ParseMediaParams("Multipart/Mixed; BOUNDARY=\"=_abc; def\"; charset=us-ascii");
  CHECK(p.value == "multipart/mixed");
  CHECK(p.Param("boundary") == "=_abc; def");
  CHECK(p.Param("charset") == "us-ascii");
  CHECK_FALSE(p.malformed);
}

TEST_CASE("RFC 2231 continuations with charset and percent-encoding are joined") {
  MediaParams p = ParseMediaParams(
      "attachment; filename*0*=UTF-8''%E2%82%AC%20rep; filename*1*=ort; filename*2=\".pdf\"");
  CHECK(p.value == "attachment");
  CHECK(p.Param("filename") == "\xE2\x82\xAC report.pdf");
}

TEST_CASE("RFC 2231 single extended value with a legacy charset") {
  MediaParams p = ParseMediaParams("attachment; filename*=iso-8859-1'fr'caf%E9.txt");
  CHECK(p.Param("filename") == "caf\xC3\xA9.txt");
}

TEST_CASE("RFC 2231 form wins over the plain parameter of the same name") {
  MediaParams p = ParseMediaParams("attachment; filename=\"old.txt\"; filename*=utf-8''new.txt");
  CHECK(p.Param("filename") == "new.txt");
}

TEST_CASE("RFC 2047 words inside a quoted parameter are decoded as clients do") {
  MediaParams p = ParseMediaParams("application/pdf; name=\"=?UTF-8?B?w6lsw6h2ZS5wZGY=?=\"");
  CHECK(p.Param("name") == "\xC3\xA9l\xC3\xA8ve.pdf");
}

TEST_CASE("unterminated quotes and missing '=' are tolerated and flagged") {
  MediaParams p = ParseMediaParams("text/plain; charset=\"utf-8; format");
  CHECK(p.value == "text/plain");
  CHECK(p.Param("charset") == "utf-8; format");
  CHECK(p.malformed);
  MediaParams q = ParseMediaParams("text/plain; junk; charset=utf-8");
  CHECK(q.Param("charset") == "utf-8");
  CHECK(q.malformed);
}

TEST_CASE("a gap in RFC 2231 sections joins what is there, as Python's email does") {
  MediaParams p = ParseMediaParams("attachment; filename*0=a; filename*2=c");
  CHECK(p.Param("filename") == "ac");
  CHECK(p.malformed);
}

TEST_CASE("an orphan RFC 2231 continuation keeps its text") {
  MediaParams p = ParseMediaParams("attachment; filename*1=\"evil.exe\"");
  CHECK(p.Param("filename") == "evil.exe");
  CHECK(p.malformed);
  MediaParams q = ParseMediaParams("attachment; filename*1*=utf-8''evil%2Eexe; filename*2=.");
  CHECK(q.Param("filename") == "evil.exe.");
}

}  // namespace gfi

namespace gfi {

TEST_CASE("terminal output escapes control characters") {
  CHECK(PrintableUtf8("a\x1b]0;x\x07\rb") == "a\\x1b]0;x\\x07\\x0db");
  CHECK(PrintableUtf8("\xC2\x9B" "2K caf\xC3\xA9") == "\\x9b2K caf\xC3\xA9");
}

}  // namespace gfi
