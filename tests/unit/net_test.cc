// The one module for network grammars (util/net.h): every value config, policy, indicators, SPF
// and the milter read goes through these functions.
#include <catch2/catch.hpp>

#include "util/net.h"

using namespace gfi;

namespace {
bool In(const char* net, const char* ip) {
  auto n = ParseNetwork(net);
  auto a = ParseIpLiteral(ip);
  REQUIRE(n.ok());
  REQUIRE(a);
  return n.value().Contains(*a);
}
}  // namespace

TEST_CASE("net: addresses: canonical text and IPv4-mapped folding") {
  CHECK(ParseIp("192.0.2.1")->ToString() == "192.0.2.1");
  CHECK(ParseIp("2001:DB8:0:0::1")->ToString() == "2001:db8::1");
  CHECK(ParseIp("::ffff:192.0.2.1")->ToString() == "192.0.2.1");
  CHECK_FALSE(ParseIp("::ffff:192.0.2.1")->v6);
  CHECK(ParseIp("::ffff:192.0.2.1") == ParseIp("192.0.2.1"));
  CHECK(ParseIp("::1")->v6);
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.4 ", " 1.2.3.4",
                          "[1.2.3.4]", "1.2.3.4/8", "2001:db8::1::2", "gggg::1", "0x7f.0.0.1"})
    CHECK_FALSE(ParseIp(bad));
  // Mail's forms around an address.
  CHECK(ParseIpLiteral(" [192.0.2.1] ")->ToString() == "192.0.2.1");
  CHECK(ParseIpLiteral("[IPv6:2001:db8::1]")->ToString() == "2001:db8::1");
  CHECK(ParseIpLiteral("ipv6:::ffff:10.0.0.1")->ToString() == "10.0.0.1");
  CHECK_FALSE(ParseIpLiteral("[mail.example]"));
}

TEST_CASE("net: networks parse and contain") {
  CHECK(In("10.0.0.0/8", "10.255.1.2"));
  CHECK_FALSE(In("10.0.0.0/8", "11.0.0.1"));
  CHECK(In("10.1.2.3/31", "10.1.2.2"));
  CHECK_FALSE(In("10.1.2.3/31", "10.1.2.4"));
  CHECK(In("0.0.0.0/0", "203.0.113.9"));
  CHECK_FALSE(In("0.0.0.0/0", "2001:db8::1"));  // IPv4 networks hold IPv4 addresses only
  CHECK(In("10.0.0.0/8", "::ffff:10.1.1.1"));    // a dual-stack listener's IPv4 client
  CHECK(In("::ffff:10.0.0.0/104", "10.9.9.9"));  // a mapped network is its IPv4 network
  CHECK_FALSE(In("::ffff:10.0.0.0/104", "11.0.0.1"));
  CHECK(In("2001:db8::/32", "2001:db8:ffff::1"));
  CHECK_FALSE(In("2001:db8::/32", "2001:db9::1"));
  CHECK(In("192.0.2.7", "192.0.2.7"));
  CHECK_FALSE(In("192.0.2.7", "192.0.2.8"));
  CHECK(ParseNetwork("10.1.2.3/24").value().ToString() == "10.1.2.3/24");  // kept as written
  CHECK(ParseNetwork("::ffff:10.0.0.0/104").value().ToString() == "10.0.0.0/8");
  CHECK(ParseNetwork("192.0.2.1/32").value().ToString() == "192.0.2.1");
  for (const char* bad : {"10.0.0.0/33", "10.0.0/8", "::1/129", "10.0.0.0/", "10.0.0.0/x",
                          "10.0.0.0/-1", "::ffff:10.0.0.0/95", "/8", "10.0.0.0/0008"})
    CHECK_FALSE(ParseNetwork(bad).ok());
  CHECK(ParseNetwork("10.0.0.0/33").error().find("prefix longer than /32") != std::string::npos);
}

TEST_CASE("net: ports and endpoints") {
  CHECK(ParsePort("1") == 1);
  CHECK(ParsePort("65535") == 65535);
  for (const char* bad : {"", "0", "65536", "99999", "123456", "-1", "+25", "25 ", "0x19", "2a"})
    CHECK_FALSE(ParsePort(bad));
  auto hp = ParseHostPort("127.0.0.1:10026");
  REQUIRE(hp.ok());
  CHECK(hp.value().host == "127.0.0.1");
  CHECK(hp.value().port == 10026);
  hp = ParseHostPort("[::1]:10026");
  REQUIRE(hp.ok());
  CHECK(hp.value().host == "::1");
  hp = ParseHostPort("mx.example:25");
  REQUIRE(hp.ok());
  CHECK(hp.value().host == "mx.example");
  // release_via = "smtp:h:99999" was accepted once; no port past 65535, no missing port.
  for (const char* bad : {"h:99999", "h", "h:", ":25", "::1:25", "[::1", "[::1]25", "[mx]:25",
                          "a b:25", "h:0", "h:25:26"})
    CHECK_FALSE(ParseHostPort(bad).ok());
  CHECK(ParseHostPort("h:99999").error().find("1 to 65535") != std::string::npos);
  // With a default port.
  hp = ParseHostPort("2001:db8::53", 53);
  REQUIRE(hp.ok());
  CHECK(hp.value().port == 53);
  CHECK(ParseHostPort("h", 25).value().port == 25);
}

TEST_CASE("net: resolvers and the milter socket") {
  auto r = ParseResolver("127.0.0.1:5353");
  REQUIRE(r.ok());
  CHECK(r.value().port == 5353);
  CHECK(ParseResolver("::1").value().port == 53);
  CHECK(ParseResolver("[::1]:54").value().port == 54);
  CHECK(ParseResolver("[::1]:54").value().addr.v6);
  for (const char* bad : {"dns.example", "127.0.0.1:0", "127.0.0.1:", "[127.0.0.1]:53", "1.2.3:53"})
    CHECK_FALSE(ParseResolver(bad).ok());

  auto s = ParseMilterSocket("unix:/run/gfi-milter/milter.sock");
  REQUIRE(s.ok());
  CHECK(s.value().kind == MilterSocket::Kind::kUnix);
  CHECK(s.value().path == "/run/gfi-milter/milter.sock");
  s = ParseMilterSocket("inet:8891@127.0.0.1");
  REQUIRE(s.ok());
  CHECK(s.value().kind == MilterSocket::Kind::kInet);
  CHECK(s.value().port == 8891);
  CHECK(s.value().host == "127.0.0.1");
  CHECK(ParseMilterSocket("inet6:8891").value().host.empty());
  for (const char* bad : {"unix:relative.sock", "inet:99999@127.0.0.1", "inet:@127.0.0.1", "inet:",
                          "tcp:8891", "inet:8891@", "/run/x.sock"})
    CHECK_FALSE(ParseMilterSocket(bad).ok());
}
