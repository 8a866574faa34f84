// The milter adapter's input path (milter/assemble.h): callback data into the engine's envelope
// and message bytes, as filter.cc and fuzz/milter_fuzz.cc drive it.
#include "milter/assemble.h"

#include <catch2/catch.hpp>
#include <string>

namespace gfi {

TEST_CASE("assemble: MAIL FROM and RCPT TO arguments lose their angle brackets and blanks") {
  CHECK(EnvelopeAddress("<a@b.example>") == "a@b.example");
  CHECK(EnvelopeAddress(" <a@b.example> ") == "a@b.example");
  CHECK(EnvelopeAddress("a@b.example") == "a@b.example");
  CHECK(EnvelopeAddress("<>").empty());  // the null sender
  CHECK(EnvelopeAddress("").empty());
  CHECK(EnvelopeAddress(nullptr).empty());
}

TEST_CASE("assemble: header lines end in CRLF, folded lines too") {
  std::string out;
  AppendHeaderLine(&out, "Subject", "one\n\ttwo\r\n three");
  CHECK(out == "Subject: one\r\n\ttwo\r\n three\r\n");
  out.clear();
  AppendHeaderLine(&out, "X-Empty", "");
  CHECK(out == "X-Empty: \r\n");
  out.clear();
  AppendHeaderLine(&out, "X-Cr", "a\rb");  // a lone CR is data, not a line end
  CHECK(out == "X-Cr: a\rb\r\n");
}

TEST_CASE("assemble: headers, the blank line and body chunks make the message") {
  MessageAssembly m("/tmp", 1 << 16, 1 << 16);
  REQUIRE(m.Header("From", "<a@b.example>").ok());
  REQUIRE(m.Header(nullptr, nullptr).ok());
  REQUIRE(m.EndOfHeaders().ok());
  const unsigned char body[] = "hello\r\n";
  REQUIRE(m.Body(body, sizeof(body) - 1).ok());
  REQUIRE(m.Body(nullptr, 0).ok());
  Result<std::string_view> raw = m.Message();
  REQUIRE(raw.ok());
  CHECK(raw.value() == "From: <a@b.example>\r\n: \r\n\r\nhello\r\n");
}

TEST_CASE("assemble: a message past max_message_bytes is refused, naming the limit") {
  MessageAssembly m("/tmp", 64, 100);
  const std::string chunk(60, 'x');
  REQUIRE(m.Body(reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size()).ok());
  REQUIRE(m.Message().ok());
  REQUIRE(m.Body(reinterpret_cast<const unsigned char*>(chunk.data()), chunk.size()).ok());
  Result<std::string_view> raw = m.Message();
  REQUIRE_FALSE(raw.ok());
  CHECK(raw.error().find("larger than [milter] max_message_bytes (100)") != std::string::npos);
}

}  // namespace gfi
