#include "util/time.h"

#include <catch2/catch.hpp>

namespace gfi {

TEST_CASE("RFC 3339: forms, fractions and offsets", "[time]") {
  auto t = ParseRfc3339("2026-01-01T00:00:00Z");
  REQUIRE(t);
  CHECK(t->seconds == 1767225600);
  CHECK(t->nanos == 0);
  auto f = ParseRfc3339("2026-01-01t00:00:00.123456789123z");
  REQUIRE(f);
  CHECK(f->seconds == 1767225600);
  CHECK(f->nanos == 123456789);
  auto p = ParseRfc3339("2026-01-01T02:00:00.5+02:00");
  REQUIRE(p);
  CHECK(p->seconds == 1767225600);
  CHECK(p->nanos == 500000000);
  CHECK(ParseRfc3339("2025-12-31T19:00:00-05:00")->seconds == 1767225600);
  CHECK(*ParseRfc3339("2026-01-01T00:00:00.1Z") > *ParseRfc3339("2026-01-01T00:00:00.09Z"));
  // A leap second counts as the next second.
  CHECK(ParseRfc3339("2016-12-31T23:59:60Z")->seconds == ParseRfc3339("2017-01-01T00:00:00Z")->seconds);
}

TEST_CASE("RFC 3339: what is refused", "[time]") {
  for (const char* bad :
       {"", "2026-01-01", "2026-01-01T00:00:00", "2026-01-01 00:00:00Z", "2026-02-29T00:00:00Z",
        "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z", "2026-01-01T00:00:61Z",
        "2026-01-01T00:00:00.Z", "2026-01-01T00:00:00+2:00", "2026-01-01T00:00:00+24:00",
        "2026-01-01T00:00:00+02:00x", "2026-01-01T00:00:00Zx", "2026-1-01T00:00:00Z",
        "2026-01-01T00:00:00+02"}) {
    INFO(bad);
    CHECK_FALSE(ParseRfc3339(bad));
  }
  CHECK(ParseRfc3339("2024-02-29T00:00:00Z"));  // leap year
  CHECK(ParseRfc3339("2000-02-29T00:00:00Z"));
  CHECK_FALSE(ParseRfc3339("1900-02-29T00:00:00Z"));
}

TEST_CASE("durations and points in time", "[time]") {
  CHECK(ParseDuration("90s") == 90);
  CHECK(ParseDuration("45m") == 2700);
  CHECK(ParseDuration("12h") == 43200);
  CHECK(ParseDuration("30d") == 2592000);
  CHECK(ParseDuration("2w") == 1209600);
  CHECK_FALSE(ParseDuration("h"));
  CHECK_FALSE(ParseDuration("12"));
  CHECK_FALSE(ParseDuration("12y"));
  CHECK_FALSE(ParseDuration("-3d"));
  CHECK_FALSE(ParseDuration("99999999999999d"));
  const int64_t now = 1767225600;
  CHECK(ParsePointInTime("2h", now) == now - 7200);
  CHECK(ParsePointInTime("1767225600", now) == 1767225600);
  CHECK(ParsePointInTime("2026-01-01", now) == 1767225600);
  CHECK(ParsePointInTime("2026-01-01T01:02", now) == 1767225600 + 3720);
  CHECK(ParsePointInTime("2026-01-01T01:02:03", now) == 1767225600 + 3723);
  CHECK(ParsePointInTime("2026-01-01T01:00:00+01:00", now) == 1767225600);
  CHECK(ParsePointInTime("now", now) == now);
  CHECK(ParsePointInTime("2026-01-01T01:02Z", now) == 1767225600 + 3720);
  CHECK_FALSE(ParsePointInTime("2026-01-01T01:02ZZ", now));
  CHECK(ParsePointInTime("@1767225600", now) == 1767225600);
  CHECK_FALSE(ParsePointInTime("@", now));
  CHECK_FALSE(ParsePointInTime("@2h", now));
  CHECK_FALSE(ParsePointInTime("yesterday", now));
  CHECK_FALSE(ParsePointInTime("2026-02-30", now));
  CHECK_FALSE(ParsePointInTime("2026-01-01T25:00", now));
}

TEST_CASE("FormatUtc round-trips", "[time]") {
  CHECK(FormatUtc(0) == "1970-01-01T00:00:00Z");
  CHECK(FormatUtc(1767225600) == "2026-01-01T00:00:00Z");
  CHECK(FormatUtc(951782400) == "2000-02-29T00:00:00Z");
  CHECK(FormatUtc(-1) == "1969-12-31T23:59:59Z");
  for (int64_t t = -86400 * 800; t < 86400LL * 365 * 200; t += 86400 * 37 + 3607) {
    auto back = ParseRfc3339(FormatUtc(t));
    REQUIRE(back);
    CHECK(back->seconds == t);
  }
}

}  // namespace gfi
