#include "match/glob.h"

#include <catch2/catch.hpp>
#include <string>

namespace gfi {

TEST_CASE("globs: star, question mark, classes, case folding") {
  CHECK(GlobMatch("*.exe", "invoice.EXE"));
  CHECK(GlobMatch("inv*ce.*", "invoice.pdf"));
  CHECK_FALSE(GlobMatch("*.exe", "invoice.exe.txt"));
  CHECK(GlobMatch("?.js", "a.js"));
  CHECK_FALSE(GlobMatch("?.js", "ab.js"));
  CHECK(GlobMatch("report[0-9].doc", "report7.doc"));
  CHECK_FALSE(GlobMatch("report[!0-9].doc", "report7.doc"));
  CHECK(GlobMatch("report[!0-9].doc", "reportx.doc"));
  CHECK(GlobMatch("[abc]*", "Bob"));
  CHECK(GlobMatch("*", ""));
  CHECK_FALSE(GlobMatch("?", ""));
  CHECK(GlobMatch("a[", "a["));  // an unterminated class is a literal '['
  CHECK(GlobMatch("**a", "a"));
}

TEST_CASE("globs: hostile patterns stay polynomial") {
  std::string name(5000, 'a');
  CHECK_FALSE(GlobMatch("*a*a*a*a*a*a*a*a*a*a*b", name));
}

}  // namespace gfi
