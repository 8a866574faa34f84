#include "util/time.h"

#include <cstdio>

namespace gfi {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Reads `len` digits at `pos`.
bool Digits(std::string_view s, size_t pos, size_t len, int* out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (!IsDigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

bool DayExists(int y, int mo, int d) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return false;
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return d <= kDays[mo - 1] + (mo == 2 && leap ? 1 : 0);
}

// YYYY-MM-DD[THH:MM[:SS][Z]], nothing after; UTC.
std::optional<int64_t> ParseCalendar(std::string_view s) {
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (!Digits(s, 0, 4, &y) || s.size() < 10 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d))
    return std::nullopt;
  size_t i = 10;
  if (i < s.size()) {
    if ((s[i] != 'T' && s[i] != 't' && s[i] != ' ') || !Digits(s, 11, 2, &h) || s.size() < 16 ||
        s[13] != ':' || !Digits(s, 14, 2, &mi))
      return std::nullopt;
    i = 16;
    if (i < s.size() && s[i] == ':') {
      if (!Digits(s, 17, 2, &sec)) return std::nullopt;
      i = 19;
    }
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) ++i;  // UTC said explicitly
  }
  if (i != s.size() || !DayExists(y, mo, d) || h > 23 || mi > 59 || sec > 59) return std::nullopt;
  return DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
}

}  // namespace

int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

std::optional<Rfc3339Time> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (s.size() < 20 || !Digits(s, 0, 4, &y) || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec))
    return std::nullopt;
  size_t i = 19;
  int64_t nanos = 0;
  if (s[i] == '.') {
    ++i;
    int digits = 0;
    while (i < s.size() && IsDigit(s[i])) {
      if (digits++ < 9) nanos = nanos * 10 + (s[i] - '0');
      ++i;
    }
    if (digits == 0) return std::nullopt;
    for (; digits < 9; ++digits) nanos *= 10;
  }
  int64_t offset = 0;
  if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
    ++i;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    int oh, om;
    if (!Digits(s, i + 1, 2, &oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
        !Digits(s, i + 4, 2, &om) || oh > 23 || om > 59)
      return std::nullopt;
    offset = (oh * 60 + om) * 60 * (s[i] == '-' ? -1 : 1);
    i += 6;
  } else {
    return std::nullopt;
  }
  if (i != s.size() || !DayExists(y, mo, d) || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  Rfc3339Time t;
  t.seconds = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset;
  t.nanos = nanos;
  return t;
}

std::optional<int64_t> ParseDuration(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  int64_t n = 0;
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (!IsDigit(s[i]) || n > 100000000) return std::nullopt;
    n = n * 10 + (s[i] - '0');
  }
  switch (s.back()) {
    case 's': return n;
    case 'm': return n * 60;
    case 'h': return n * 3600;
    case 'd': return n * 86400;
    case 'w': return n * 7 * 86400;
    default: return std::nullopt;
  }
}

std::optional<int64_t> ParsePointInTime(std::string_view s, int64_t now) {
  if (s == "now") return now;
  if (s.size() > 1 && s[0] == '@') s.remove_prefix(1);  // @UNIXSECONDS, as date(1) reads it
  else if (auto d = ParseDuration(s)) return now - *d;
  if (!s.empty() && s.size() < 12 && s.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t v = 0;
    for (char c : s) v = v * 10 + (c - '0');
    return v;
  }
  if (auto t = ParseCalendar(s)) return t;
  if (auto t = ParseRfc3339(s)) return t->seconds;
  return std::nullopt;
}

std::string FormatUtc(int64_t t) {
  // civil_from_days (H. Hinnant), so no libc time zone state is touched.
  int64_t days = t / 86400, rem = t % 86400;
  if (rem < 0) {
    rem += 86400;
    --days;
  }
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const int64_t doe = z - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  const int64_t d = doy - (153 * mp + 2) / 5 + 1;
  const int64_t m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = yoe + era * 400 + (m <= 2);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "%04lld-%02lld-%02lldT%02lld:%02lld:%02lldZ",
                static_cast<long long>(y), static_cast<long long>(m), static_cast<long long>(d),
                static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

}  // namespace gfi
