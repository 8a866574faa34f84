// Time grammars, one parser each: RFC 3339 date-times (STIX, TAXII), the admin's points in time
// and durations on gfictl's command line ("2h", "2026-11-01", "2026-11-01T08:00"), and the one
// UTC text form every output uses ("2026-11-01T08:00:00Z").
#ifndef GFI_UTIL_TIME_H_
#define GFI_UTIL_TIME_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace gfi {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
int64_t DaysFromCivil(int64_t year, int month, int day);

struct Rfc3339Time {
  int64_t seconds = 0;  // unix time, UTC
  int64_t nanos = 0;    // the fraction, truncated to 9 digits
  bool operator<(const Rfc3339Time& o) const {
    return seconds != o.seconds ? seconds < o.seconds : nanos < o.nanos;
  }
  bool operator>(const Rfc3339Time& o) const { return o < *this; }
  bool operator==(const Rfc3339Time& o) const { return seconds == o.seconds && nanos == o.nanos; }
};

// An RFC 3339 date-time: "2026-01-01T00:00:00Z", "2026-01-01t00:00:00.123+02:00". The day must
// exist in its month (leap years counted); a leap second (:60) counts as the next second; any
// number of fraction digits. Nullopt for anything else.
std::optional<Rfc3339Time> ParseRfc3339(std::string_view s);

// "30d", "12h", "45m", "90s", "2w" -> seconds; nullopt when malformed or absurdly large.
std::optional<int64_t> ParseDuration(std::string_view s);

// A point in time as an admin types it: unix seconds (or @seconds), YYYY-MM-DD[THH:MM[:SS]] (UTC),
// an RFC 3339 date-time, "now", or a duration ago ("2h" = two hours before `now`).
std::optional<int64_t> ParsePointInTime(std::string_view s, int64_t now);

// "2026-11-01T08:00:00Z".
std::string FormatUtc(int64_t unix_seconds);

}  // namespace gfi

#endif  // GFI_UTIL_TIME_H_
