#!/usr/bin/env python3
"""The Received-date pattern of postfix_harness.py against Postfix's own date format.

Postfix's mail_date() (src/global/mail_date.c) writes
    strftime("%a, %e %b %Y %H:%M:%S ") + "%+03d%02d" (UTC offset) + strftime(" (%Z)")
This test renders that format for every day of a common and a leap year, at the edges of the
day, in zones with whole, half-hour and negative offsets and with numeric abbreviations, and
checks that the pattern the e2e self-test uses accepts each one. It needs no Postfix and does
not depend on today's date (the self-test failed on the 1st to the 9th of every month because
"%e" pads a one-digit day with a space).
"""

import calendar
import os
import re
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from postfix_harness import POSTFIX_DATE_RX  # noqa: E402

FULL = re.compile(POSTFIX_DATE_RX + rb"\Z")
# Zones: UTC, a negative whole hour with a letter abbreviation, a half-hour negative offset, a
# numeric abbreviation ("-03"), +05:30, +13:45 (Chatham), and a DST zone.
ZONES = ["UTC", "America/New_York", "America/St_Johns", "America/Sao_Paulo", "Asia/Kolkata",
         "Pacific/Chatham", "Europe/Berlin"]


def mail_date(when):
    """Python rendering of Postfix's mail_date() for the current TZ."""
    lt = time.localtime(when)
    off = lt.tm_gmtoff // 60
    sign = "-" if off < 0 else "+"
    off = abs(off)
    return (time.strftime("%a, %e %b %Y %H:%M:%S ", lt) + "%s%02d%02d" % (sign, off // 60, off % 60)
            + time.strftime(" (%Z)", lt)).encode()


class PostfixDatePattern(unittest.TestCase):
    def setUp(self):
        self.saved_tz = os.environ.get("TZ")

    def tearDown(self):
        if self.saved_tz is None:
            os.environ.pop("TZ", None)
        else:
            os.environ["TZ"] = self.saved_tz
        time.tzset()

    def test_every_day_of_a_common_and_a_leap_year(self):
        checked = 0
        for zone in ZONES:
            os.environ["TZ"] = zone
            time.tzset()
            for year in (2026, 2028):
                for month in range(1, 13):
                    for day in range(1, calendar.monthrange(year, month)[1] + 1):
                        for hms in ((0, 0, 0), (9, 5, 7), (23, 59, 59)):
                            when = time.mktime((year, month, day) + hms + (0, 0, -1))
                            text = mail_date(when)
                            self.assertRegex(text, FULL, "zone %s" % zone)
                            checked += 1
        self.assertGreater(checked, 7 * 731 * 3 - 1)

    def test_single_digit_days_are_space_padded_and_accepted(self):
        os.environ["TZ"] = "UTC"
        time.tzset()
        text = mail_date(calendar.timegm((2026, 12, 1, 10, 0, 0)))
        self.assertEqual(text, b"Tue,  1 Dec 2026 10:00:00 +0000 (UTC)")
        self.assertRegex(text, FULL)

    def test_folding_white_space_and_numeric_zone_comments(self):
        for text in (b"Tue,\t1 Dec 2026 10:00:00 +0000 (UTC)",
                     b"Tue, 01 Dec 2026 10:00:00 -0300 (-03)",
                     b"Tue, 1 Dec 2026 10:00:00 +0530",
                     b"Tue,  1  Dec  2026  10:00:00  +1345 (+1345)"):
            self.assertRegex(text, FULL)

    def test_what_is_not_a_date_is_refused(self):
        for text in (b"Tue, Dec 2026 10:00:00 +0000 (UTC)",
                     b"Tue,  1 Dec 26 10:00:00 +0000 (UTC)",
                     b"Tue,  1 Dec 2026 10:00 +0000 (UTC)",
                     b"Tue,  1 Dec 2026 10:00:00 UTC",
                     b"Tue,  1 Dec 2026 10:00:00 +0000 (UTC",
                     b"Tue,  1 Dec 2026 10:00:00 +0000 (U\r\nTC)"):
            self.assertIsNone(FULL.match(text), text)


if __name__ == "__main__":
    unittest.main(verbosity=1)
