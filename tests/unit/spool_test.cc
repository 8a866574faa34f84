// The milter's message spool (milter/spool.h): memory, then a private temp file, then oversize.
#include "milter/spool.h"

#include <catch2/catch.hpp>
#include <cstdlib>
#include <string>

namespace gfi {

TEST_CASE("small messages stay in memory, large ones spill to a file, the view is exact") {
  char tmpl[] = "/tmp/gfi-spool-test.XXXXXX";
  std::string dir = ::mkdtemp(tmpl);
  std::string expect;
  {
    Spool s(dir, 1000, 1 << 20);
    for (int i = 0; i < 5; ++i) {
      std::string chunk(150, static_cast<char>('a' + i));
      REQUIRE(s.Append(chunk).ok());
      expect += chunk;
    }
    CHECK_FALSE(s.spooled());
    CHECK(s.View().value() == expect);
    for (int i = 0; i < 100; ++i) {
      std::string chunk(997, static_cast<char>('A' + i % 26));
      REQUIRE(s.Append(chunk).ok());
      expect += chunk;
    }
    CHECK(s.spooled());
    CHECK(s.size() == expect.size());
    CHECK(s.View().value() == expect);
    REQUIRE(s.Append("tail").ok());  // appending after a view re-maps
    CHECK(s.View().value() == expect + "tail");
    CHECK_FALSE(s.oversize());
  }
  // The temp file had no name: the directory is empty.
  CHECK(std::system(("test -z \"$(ls -A '" + dir + "')\"").c_str()) == 0);
  (void)!std::system(("rm -rf '" + dir + "'").c_str());
}

TEST_CASE("beyond max_bytes the spool stops storing and says oversize") {
  Spool s("/tmp", 100, 200);
  REQUIRE(s.Append(std::string(150, 'x')).ok());
  REQUIRE(s.Append(std::string(100, 'y')).ok());
  CHECK(s.oversize());
  CHECK(s.size() == 150);
}

TEST_CASE("an unusable spool directory is an error, and it sticks") {
  Spool s("/nonexistent/spool", 10, 1000);
  CHECK(s.Append("12345").ok());
  Status e = s.Append("678901234567");
  CHECK_FALSE(e.ok());
  CHECK(e.message().find("/nonexistent/spool") != std::string::npos);
  CHECK_FALSE(s.Append("x").ok());
  CHECK_FALSE(s.View().ok());
}

}  // namespace gfi
