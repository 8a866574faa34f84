#include "extract/url.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace gfi {
namespace {

// The normalised URL, or "<none>" so a failed CHECK shows what came out.
std::string Norm(std::string_view raw) {
  auto u = NormalizeUrl(raw);
  return u ? u->url : "<none>";
}

std::string HostOf(std::string_view raw) {
  auto u = NormalizeUrl(raw);
  return u ? u->host : "<none>";
}

std::vector<std::string> Find(std::string_view text, size_t max = 100) {
  std::vector<std::string> out;
  for (std::string_view u : FindUrlsInText(text, max)) out.emplace_back(u);
  return out;
}

std::vector<std::string> Unwrap(std::string_view raw) {
  auto u = NormalizeUrl(raw);
  REQUIRE(u);
  return UnwrapRedirects(*u);
}

}  // namespace

TEST_CASE("normalise: scheme and host case, empty path, trailing dot") {
  auto u = NormalizeUrl("HTTP://Login.EVIL.Example./Path/X");
  REQUIRE(u);
  CHECK(u->url == "http://login.evil.example/Path/X");  // path case is kept
  CHECK(u->scheme == "http");
  CHECK(u->host == "login.evil.example");
  CHECK_FALSE(u->host_is_ip);
  CHECK(Norm("https://a.example") == "https://a.example/");
  CHECK(Norm("https://a.example?x=1") == "https://a.example/?x=1");
  CHECK(Norm("https://a.example#top") == "https://a.example/#top");
}

TEST_CASE("normalise: default ports are dropped, others kept") {
  CHECK(Norm("http://a.example:80/x") == "http://a.example/x");
  CHECK(Norm("https://a.example:443/x") == "https://a.example/x");
  CHECK(Norm("ftp://a.example:21/x") == "ftp://a.example/x");
  CHECK(Norm("http://a.example:443/x") == "http://a.example:443/x");
  CHECK(Norm("https://a.example:8443/x") == "https://a.example:8443/x");
  CHECK(Norm("http://a.example:0080/") == "http://a.example/");
  CHECK(Norm("http://a.example:/x") == "http://a.example/x");  // empty port, as browsers
}

TEST_CASE("normalise: userinfo is dropped and the host is after the last @") {
  auto u = NormalizeUrl("http://good.com@evil.example/login");
  REQUIRE(u);
  CHECK(u->host == "evil.example");
  CHECK(u->url == "http://evil.example/login");
  CHECK(HostOf("http://user:pass@www.bank.example@evil.example/") == "evil.example");
  CHECK(HostOf("https://www.bank.example%40evil.example/") == "<none>");  // '@' inside a host
}

TEST_CASE("normalise: backslashes act as slashes in http(s), as in browsers") {
  CHECK(Norm("http:\\\\evil.example\\a\\b") == "http://evil.example/a/b");
  CHECK(Norm("https:/\\evil.example/x") == "https://evil.example/x");
  CHECK(HostOf("http://evil.example\\@good.example/") == "evil.example");
  CHECK(Norm("http:///evil.example/x") == "http://evil.example/x");  // extra slashes skipped
}

TEST_CASE("normalise: numeric IPv4 forms become a dotted quad (WHATWG host parser)") {
  auto u = NormalizeUrl("http://3232235777/");
  REQUIRE(u);
  CHECK(u->host == "192.168.1.1");
  CHECK(u->host_is_ip);
  CHECK(u->url == "http://192.168.1.1/");
  CHECK(HostOf("http://0xC0.0xA8.1.1/") == "192.168.1.1");
  CHECK(HostOf("http://0300.0250.01.01/") == "192.168.1.1");
  CHECK(HostOf("http://192.168.257/") == "192.168.1.1");  // last part fills two bytes
  CHECK(HostOf("http://192.11010305/") == "192.168.1.1");
  CHECK(HostOf("http://0x7f.1/") == "127.0.0.1");
  CHECK(HostOf("http://0xc0a80101/") == "192.168.1.1");
  CHECK(HostOf("http://127.0.0.1./") == "127.0.0.1");
  CHECK(HostOf("http://1.2.3.256/") == "<none>");
  CHECK(HostOf("http://256.1.1.1/") == "<none>");
  CHECK(HostOf("http://1.2.3.4.5/") == "<none>");
  CHECK(HostOf("http://4294967296/") == "<none>");
  CHECK(HostOf("http://99999999999999999999999/") == "<none>");  // no overflow
  CHECK(HostOf("http://08.1.1.1/") == "<none>");                 // 8 is no octal digit
  CHECK(HostOf("http://evil.123/") == "<none>");  // ends in a number, so must be IPv4
  CHECK(HostOf("http://1.2.3.example/") == "1.2.3.example");
}

TEST_CASE("normalise: IPv6 literals in brackets, compressed") {
  auto u = NormalizeUrl("http://[2001:DB8:0:0:0:0:0:1]:8080/x");
  REQUIRE(u);
  CHECK(u->host == "2001:db8::1");
  CHECK(u->host_is_ip);
  CHECK(u->url == "http://[2001:db8::1]:8080/x");
  CHECK(Norm("http://[::1]/") == "http://[::1]/");
  CHECK(Norm("http://[2001:db8::1/") == "<none>");
  CHECK(Norm("http://[2001:db8::zz]/") == "<none>");
  CHECK(Norm("http://[fe80::1%25eth0]/") == "<none>");
}

TEST_CASE("normalise: IDN hosts go to punycode, after percent-decoding") {
  CHECK(HostOf("http://bücher.example/") == "xn--bcher-kva.example");
  CHECK(Norm("http://BÜCHER.example/a") == "http://xn--bcher-kva.example/a");
  CHECK(HostOf("http://b%C3%BCcher.example/") == "xn--bcher-kva.example");
  CHECK(HostOf("http://%65vil.example/") == "evil.example");
  // Non-transitional: German sharp s is kept distinct (as browsers do today).
  CHECK(HostOf("http://faß.example/") == "xn--fa-hia.example");
  CHECK(HostOf("http://xn--bcher-kva.example/") == "xn--bcher-kva.example");
  CHECK(HostOf("http://b\xFF" "cher.example/") == "<none>");  // not UTF-8
}

TEST_CASE("normalise: percent-encoding of unreserved decoded, other escapes upper-cased") {
  CHECK(Norm("http://a.example/%7euser/%61%62c") == "http://a.example/~user/abc");
  CHECK(Norm("http://a.example/a%2fb?x=%3a%3A") == "http://a.example/a%2Fb?x=%3A%3A");
  CHECK(Norm("http://a.example/a b") == "http://a.example/a%20b");
  CHECK(Norm("http://a.example/caf\xC3\xA9") == "http://a.example/caf%C3%A9");
  CHECK(Norm("http://a.example/100%") == "http://a.example/100%25");
  // Normalising is idempotent: a decoded escape cannot form a new one with a stray '%'.
  CHECK(Norm("http://a.example/%A%62") == "http://a.example/%25Ab");
  CHECK(Norm(Norm("http://a.example/%A%62")) == Norm("http://a.example/%A%62"));
}

TEST_CASE("normalise: dot segments are resolved") {
  CHECK(Norm("http://a.example/x/../login") == "http://a.example/login");
  CHECK(Norm("http://a.example/./a/./b/") == "http://a.example/a/b/");
  CHECK(Norm("http://a.example/a/b/..") == "http://a.example/a/");
  CHECK(Norm("http://a.example/../../x") == "http://a.example/x");
  CHECK(Norm("http://a.example/a/%2e%2E/b") == "http://a.example/b");
}

TEST_CASE("normalise: without a scheme, http is assumed") {
  CHECK(Norm("www.Evil.example/x") == "http://www.evil.example/x");
  CHECK(Norm("evil.example/path") == "http://evil.example/path");
  CHECK(Norm("evil.example:8080/x") == "http://evil.example:8080/x");
  CHECK(Norm("//evil.example/x") == "http://evil.example/x");
  CHECK(Norm("<http://evil.example/x>") == "http://evil.example/x");
  CHECK(Norm("  http://evil.\nexample/x \n") == "http://evil.example/x");  // folded line
  CHECK(Norm("localhost/x") == "<none>");  // a dotless word is prose, not a host
}

TEST_CASE("normalise: invalid input is refused") {
  CHECK(Norm("http://a.example:99999/") == "<none>");
  CHECK(Norm("http://a.example:65536/") == "<none>");
  CHECK(Norm("http://a.example:8o/") == "<none>");
  CHECK(Norm("http://:80/") == "<none>");  // empty host
  CHECK(Norm("http://?x") == "<none>");
  CHECK(Norm("http://") == "<none>");
  CHECK(Norm("http://user@/") == "<none>");
  CHECK(Norm("http://ev il.example/") == "<none>");
  CHECK(Norm("http://ev%20il.example/") == "<none>");
  CHECK(Norm("http://a..example/") == "<none>");
  CHECK(Norm("http://a.example<b/") == "<none>");
  CHECK(Norm("mailto:someone@evil.example") == "<none>");
  CHECK(Norm("javascript:alert(1)") == "<none>");
  CHECK(Norm("") == "<none>");
  CHECK(Norm("http://" + std::string(300, 'a') + ".example/") == "<none>");  // > 253
}

TEST_CASE("normalise: other schemes with an authority keep their scheme") {
  auto u = NormalizeUrl("HXXP://Evil.Example/x");
  REQUIRE(u);
  CHECK(u->scheme == "hxxp");
  CHECK(u->url == "hxxp://evil.example/x");
}

TEST_CASE("NormalizeHost: names, IDN, address literals") {
  CHECK(NormalizeHost("Evil.Example.") == "evil.example");
  CHECK(NormalizeHost("bücher.example") == "xn--bcher-kva.example");
  CHECK(NormalizeHost("0x7f.0.0.1") == "127.0.0.1");
  CHECK(NormalizeHost("[2001:db8::1]") == "2001:db8::1");
  CHECK(NormalizeHost("2001:DB8:0::1") == "2001:db8::1");
  CHECK(NormalizeHost("under_score.example") == "under_score.example");
  CHECK_FALSE(NormalizeHost(""));
  CHECK_FALSE(NormalizeHost("."));
  CHECK_FALSE(NormalizeHost("a b.example"));
  CHECK_FALSE(NormalizeHost("a/b.example"));
}

TEST_CASE("text: URLs with a scheme, trailing punctuation trimmed") {
  CHECK(Find("see http://a.example/x.") == std::vector<std::string>{"http://a.example/x"});
  CHECK(Find("(see http://a.example/x).") == std::vector<std::string>{"http://a.example/x"});
  CHECK(Find("http://a.example/wiki/Foo_(bar)") ==
        std::vector<std::string>{"http://a.example/wiki/Foo_(bar)"});
  CHECK(Find("[http://a.example/x]") == std::vector<std::string>{"http://a.example/x"});
  CHECK(Find("HTTPS://A.example/?q=1&r=2, then") ==
        std::vector<std::string>{"HTTPS://A.example/?q=1&r=2"});
  CHECK(Find("'http://a.example/x'!") == std::vector<std::string>{"http://a.example/x"});
  CHECK(Find("\"http://a.example/\"") == std::vector<std::string>{"http://a.example/"});
  CHECK(Find("ftp://files.example/a b") == std::vector<std::string>{"ftp://files.example/a"});
  CHECK(Find("http:// nothing").empty());
  CHECK(Find("xhttp://a.example/").empty());
}

TEST_CASE("text: angle brackets, Unicode spaces and quotes end a URL") {
  CHECK(Find("<http://a.example/x>") == std::vector<std::string>{"http://a.example/x"});
  CHECK(Find("Link: <URL:http://a.example/y>") == std::vector<std::string>{"http://a.example/y"});
  CHECK(Find("\xE2\x80\x9Chttp://a.example/z\xE2\x80\x9D") ==
        std::vector<std::string>{"http://a.example/z"});
  CHECK(Find("go http://a.example/\xC2\xA0now") == std::vector<std::string>{"http://a.example/"});
  CHECK(Find("http://bücher.example/") == std::vector<std::string>{"http://bücher.example/"});
}

TEST_CASE("text: www. without scheme, and bare domains only when a path follows") {
  CHECK(Find("or www.phish.example/x.") == std::vector<std::string>{"www.phish.example/x"});
  CHECK(Find("Visit WWW.Phish.Example today") ==
        std::vector<std::string>{"WWW.Phish.Example"});
  CHECK(Find("go to evil.example/login now") ==
        std::vector<std::string>{"evil.example/login"});
  CHECK(Find("evil.example:8080/x") == std::vector<std::string>{"evil.example:8080/x"});
  // No false positives from file names, abbreviations, numbers, e-mail addresses, paths.
  CHECK(Find("open file.txt, e.g. now, i.e./etc, 1.5/2, v2.0/x, and/or").empty());
  CHECK(Find("mail bob@www.corp.example or bob@corp.example/").empty());
  CHECK(Find("evil.example without a path").empty());
  CHECK(Find("/usr/share/doc.example/x").empty());
}

TEST_CASE("text: several URLs in order, at most max_urls") {
  std::string t = "a http://one.example/ b www.two.example c three.example/x d";
  CHECK(Find(t) == std::vector<std::string>{"http://one.example/", "www.two.example",
                                            "three.example/x"});
  CHECK(Find(t, 2).size() == 2);
  CHECK(Find(t, 0).empty());
}

TEST_CASE("text: hostile input is linear and correct") {
  std::string dots(2'000'000, '.');
  CHECK(Find(dots).empty());
  std::string no_space = "http://a.example/" + std::string(3'000'000, 'x');
  auto found = Find(no_space);
  REQUIRE(found.size() == 1);
  CHECK(found[0].size() == no_space.size());
  std::string many_www;
  for (int i = 0; i < 100000; ++i) many_www += "www.";
  CHECK(Find(many_www).size() == 1);
  std::string parens(1'000'000, ')');
  CHECK(Find("http://a.example/" + parens) == std::vector<std::string>{"http://a.example/"});
  auto u = NormalizeUrl("http://a.example/" + std::string(1'000'000, '.') + "/x");
  REQUIRE(u);
  CHECK(u->host == "a.example");
  CHECK_FALSE(NormalizeUrl("http://" + std::string(1'000'000, '.') + "/"));
  CHECK_FALSE(NormalizeUrl("http://" + dots.substr(0, 999) + "1/"));
}

TEST_CASE("redirects: Google, Safelinks and generic parameters are unwrapped") {
  CHECK(Unwrap("https://www.google.com/url?q=http://evil.example/&sa=D") ==
        std::vector<std::string>{"http://evil.example/"});
  CHECK(Unwrap("https://www.google.com/url?sa=t&url=https%3A%2F%2Fevil.example%2Fa%3Fb%3Dc") ==
        std::vector<std::string>{"https://evil.example/a?b=c"});
  CHECK(Unwrap("https://nam02.safelinks.protection.outlook.com/?url=https%3A%2F%2Fevil.example%2F"
               "&data=04%7C01%7Cx&sdata=abc&reserved=0") ==
        std::vector<std::string>{"https://evil.example/"});
  for (const char* p : {"u", "target", "redirect", "dest", "link"}) {
    std::string w = std::string("http://r.example/go?") + p + "=www.evil.example%2Fx";
    CHECK(Unwrap(w) == std::vector<std::string>{"www.evil.example/x"});
  }
  CHECK(Unwrap("http://r.example/go?a=1&b=hello&c=ftp%3A%2F%2Fx.example").empty());
  CHECK(Unwrap("http://r.example/go?next=%2Flocal%2Fpath").empty());
  CHECK(Unwrap("http://r.example/#u=http://evil.example/").empty());  // fragments are not sent
  CHECK(Unwrap("http://r.example/plain").empty());
}

TEST_CASE("redirects: nested wrapping and repeated percent-encoding") {
  // Google wrapping Safelinks wrapping the target: each level unwraps once.
  auto outer = Unwrap(
      "https://www.google.com/url?q=https%3A%2F%2Fnam02.safelinks.protection.outlook.com%2F%3F"
      "url%3Dhttps%253A%252F%252Fevil.example%252Fpay%26data%3Dx");
  REQUIRE(outer.size() == 1);
  auto mid = NormalizeUrl(outer[0]);
  REQUIRE(mid);
  CHECK(mid->host == "nam02.safelinks.protection.outlook.com");
  CHECK(UnwrapRedirects(*mid) == std::vector<std::string>{"https://evil.example/pay"});
  // A value encoded twice at one level is still recognised.
  CHECK(Unwrap("http://r.example/?url=https%253A%252F%252Fevil.example%252F") ==
        std::vector<std::string>{"https://evil.example/"});
}

TEST_CASE("normalise: tabs and newlines anywhere are removed, as WHATWG does") {
  CHECK(Norm("ht\ntp://evil.example/") == "http://evil.example/");
  CHECK(Norm("http://ev\til.example/") == "http://evil.example/");
  CHECK(Norm("http://evil.exa\r\nmple/a\tb") == "http://evil.example/ab");
  CHECK(Norm(" \x01http://evil.example/\x1f ") == "http://evil.example/");
}

TEST_CASE("normalise: an IPv4-mapped IPv6 host also gives its IPv4 form") {
  auto u = NormalizeUrl("http://[::ffff:192.0.2.1]/x");
  REQUIRE(u);
  CHECK(u->host == "::ffff:192.0.2.1");
  CHECK(u->mapped_ipv4 == "192.0.2.1");
  auto hex = NormalizeUrl("http://[0:0:0:0:0:ffff:c000:0201]/");  // same address, other spelling
  REQUIRE(hex);
  CHECK(hex->mapped_ipv4 == "192.0.2.1");
  auto plain = NormalizeUrl("http://[2001:db8::1]/");
  REQUIRE(plain);
  CHECK(plain->mapped_ipv4.empty());
}

TEST_CASE("text: a URL glued to CJK or other non-ASCII text is found") {
  CHECK(Find("\xE8\xAF\xB7\xE7\x82\xB9\xE5\x87\xBBhttp://evil.example/x") ==  // 请点击
        std::vector<std::string>{"http://evil.example/x"});
  CHECK(Find("\xE8\xAF\xB7https://evil.example/a \xD0\xB6www.evil2.example") ==
        std::vector<std::string>{"https://evil.example/a", "www.evil2.example"});
  // CJK right after the URL: whole, and cut before the CJK.
  CHECK(Find("www.evil.example\xE6\x9F\xA5\xE7\x9C\x8B ok") ==  // 查看
        std::vector<std::string>{"www.evil.example\xE6\x9F\xA5\xE7\x9C\x8B", "www.evil.example"});
  CHECK(Find("http://b\xC3\xBC" "cher.example/") ==  // an IDN is not cut
        std::vector<std::string>{"http://b\xC3\xBC" "cher.example/"});
  // Inside an ASCII word a scheme is still no URL start ("xhttp://" is not linkified either).
  CHECK(Find("xhttp://evil.example/") == std::vector<std::string>{});
}

}  // namespace gfi
