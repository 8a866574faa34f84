#include "mime/transfer_decode.h"

#include <catch2/catch.hpp>
#include <random>
#include <string>

namespace gfi {
namespace {

std::string B64(std::string_view in) {
  std::string out;
  DecodeBase64(in, &out);
  return out;
}

std::string Qp(std::string_view in) {
  std::string out;
  DecodeQuotedPrintable(in, &out);
  return out;
}

// Reference encoder for round trips (RFC 4648, with line wrapping).
std::string EncodeB64(std::string_view in, size_t line, std::string_view eol) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string flat;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int k = 3; k >= 0; --k) flat.push_back(kAlpha[(v >> (6 * k)) & 63]);
  }
  if (in.size() - i == 1) {
    uint32_t v = uint8_t(in[i]) << 16;
    flat += {kAlpha[v >> 18], kAlpha[(v >> 12) & 63], '=', '='};
  } else if (in.size() - i == 2) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8);
    flat += {kAlpha[v >> 18], kAlpha[(v >> 12) & 63], kAlpha[(v >> 6) & 63], '='};
  }
  std::string out;
  for (size_t p = 0; p < flat.size(); p += line) {
    out += flat.substr(p, line);
    out += eol;
  }
  return out;
}

}  // namespace

TEST_CASE("base64 decodes RFC 4648 test vectors") {
  CHECK(B64("") == "");
  CHECK(B64("Zg==") == "f");
  CHECK(B64("Zm8=") == "fo");
  CHECK(B64("Zm9v") == "foo");
  CHECK(B64("Zm9vYg==") == "foob");
  CHECK(B64("Zm9vYmE=") == "fooba");
  CHECK(B64("Zm9vYmFy") == "foobar");
}

TEST_CASE("base64 tolerates missing padding, odd line lengths and stray whitespace") {
  CHECK(B64("Zm9vYg") == "foob");
  CHECK(B64("Zm9vYmE") == "fooba");
  CHECK(B64("Zm\r\n9v\nYm\t Fy") == "foobar");
  CHECK(B64("  Zm9v  YmFy  \r\n") == "foobar");
}

TEST_CASE("base64 counts invalid characters and skips them") {
  std::string out;
  DecodeStats st = DecodeBase64("Zm9v*YmFy!", &out);
  CHECK(out == "foobar");
  CHECK(st.invalid_chars == 2);
}

TEST_CASE("base64 round-trips random data at every line length and line ending") {
  std::mt19937 rng(42);
  for (size_t len : {0u, 1u, 2u, 3u, 57u, 1000u, 65537u}) {
    std::string data(len, '\0');
    for (char& c : data) c = static_cast<char>(rng());
    for (size_t line : {4u, 7u, 64u, 76u, 1000u}) {
      for (std::string_view eol : {"\r\n", "\n"}) {
        INFO("len " << len << " line " << line);
        CHECK(B64(EncodeB64(data, line, eol)) == data);
      }
    }
  }
}

TEST_CASE("base64 output stops at max_out and says so") {
  std::string out;
  DecodeStats st = DecodeBase64("Zm9vYmFyZm9vYmFy", &out, 5);
  CHECK(out.size() <= 5);
  CHECK(out == std::string("foobar").substr(0, out.size()));
  CHECK(st.truncated);
}

TEST_CASE("quoted-printable decodes escapes in either case and soft line breaks") {
  CHECK(Qp("caf=C3=A9") == "caf\xC3\xA9");
  CHECK(Qp("caf=c3=a9") == "caf\xC3\xA9");
  CHECK(Qp("http://ev=\r\nil.example/lo=\ngin") == "http://evil.example/login");
  CHECK(Qp("soft break with blanks =  \r\nnext") == "soft break with blanks next");
}

TEST_CASE("quoted-printable keeps hard line breaks and drops trailing blanks") {
  CHECK(Qp("a  \r\nb") == "a\r\nb");
  CHECK(Qp("a\t\nb") == "a\nb");
  CHECK(Qp("a b\n") == "a b\n");
}

TEST_CASE("quoted-printable keeps a stray '=' literally and counts it") {
  std::string out;
  DecodeStats st = DecodeQuotedPrintable("a=zzb=4", &out);
  CHECK(out == "a=zzb=4");
  CHECK(st.invalid_chars == 2);
  CHECK(Qp("end=") == "end");  // a soft break at the very end
}

}  // namespace gfi

namespace gfi {

TEST_CASE("quoted-printable escapes and line breaks are found at every offset of long lines") {
  for (size_t at = 0; at < 70; ++at) {
    std::string line(70, 'x');
    std::string want = line;
    line.replace(at, 1, "=41");
    want[at] = 'A';
    std::string out;
    DecodeQuotedPrintable(line + "=\n" + line + "  \n", &out);
    INFO("offset " << at);
    CHECK(out == want + want + "\n");
  }
}

TEST_CASE("base64 with data after its padding: both readings, as Python's email reads it") {
  // Expected values are what Python 3.11's email get_payload(decode=True) returns.
  auto py = [](std::string_view in) {
    std::string out;
    DecodeBase64StopAtPadding(in, &out);
    return out;
  };
  std::string out;
  CHECK(DecodeBase64("QUI=REVG", &out).data_after_padding);
  CHECK(out == "ABDEF");  // the reading that goes on
  CHECK(py("QUI=REVG") == "AB");
  CHECK(py("QQ==QUJD") == "A");
  CHECK(py("QUJD==REVG") == "ABCDEF");  // padding that completes no quantum is ignored
  CHECK(py("QQ=QUJD") == std::string("A\x04\x14$", 4));
  CHECK(py("Q=Q==") == "A");
  CHECK(py("QUJD\r\nRE\r\n") == "ABCD");
  CHECK(py("QU!JD") == "ABC");
  // Only data after a '=' is flagged; padding, blanks and line ends after it are not.
  out.clear();
  CHECK_FALSE(DecodeBase64("QUI=\r\n", &out).data_after_padding);
  CHECK_FALSE(DecodeBase64("QUJD", &out).data_after_padding);
  CHECK(DecodeBase64("QQ==\r\nQUJD\r\n", &out).data_after_padding);
  std::string capped;
  CHECK(DecodeBase64StopAtPadding("QUJDREVG", &capped, 4).truncated);
  CHECK(capped == "ABCD");
}

TEST_CASE("quoted-printable soft line breaks end in a bare CR too") {
  CHECK(Qp("http://logi=\rn.phish.example/") == "http://login.phish.example/");
  CHECK(Qp("a= \t\rb=\r\nc=\nd=\r") == "abcd");
  CHECK(Qp("keep\rhard\r\nbreaks\n") == "keep\rhard\r\nbreaks\n");
}

}  // namespace gfi
