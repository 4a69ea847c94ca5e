"""Date rules: round numbers, leap days, RRULEs, wall-clock times across DST."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from reminders.core import dates


@pytest.mark.parametrize(
    ("number", "step"),
    [(1, 0), (5, 5), (7, 0), (10, 10), (25, 25), (30, 10), (35, 5), (50, 50), (75, 25),
     (100, 100), (150, 50), (0, 0)],
)  # fmt: skip
def test_round_step(number: int, step: int) -> None:
    assert dates.round_step(number) == step


@pytest.mark.parametrize(
    ("year", "policy", "expected"),
    [
        (2028, "feb28", date(2028, 2, 29)),
        (2027, "feb28", date(2027, 2, 28)),
        (2027, "mar1", date(2027, 3, 1)),
        (2027, "skip", None),
        (2100, "feb28", date(2100, 2, 28)),  # 2100 is not a leap year
        (2000, "skip", date(2000, 2, 29)),  # 2000 is
    ],
)
def test_february_29_policy(year: int, policy: str, expected: date | None) -> None:
    assert dates.fixed_date_in(year, 2, 29, policy) == expected


def test_rrule_dates_second_sunday_of_november() -> None:
    found = dates.rrule_dates("FREQ=YEARLY;BYMONTH=11;BYDAY=2SU", 1919, 2026, 2028)
    assert found == {2026: date(2026, 11, 8), 2027: date(2027, 11, 14), 2028: date(2028, 11, 12)}


def test_rrule_count_counts_from_the_origin_year() -> None:
    # COUNT=3 from 2020: 2020, 2021, 2022 and no later year.
    found = dates.rrule_dates("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;COUNT=3", 2020, 2021, 2030)
    assert sorted(found) == [2021, 2022]


@pytest.mark.parametrize(
    ("rule", "fragment"),
    [
        ("FREQ=MONTHLY;BYMONTHDAY=1", "FREQ=YEARLY"),
        ("FREQ=YEARLY;BYMONTH=1,2;BYMONTHDAY=1", "at most one date a year"),
        ("FREQ=YEARLY;BYDAY=XX", "python-dateutil can parse"),
        ("DTSTART:20200101\nRRULE:FREQ=YEARLY", "without DTSTART"),
        ("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;UNTIL=20301231T000000Z", "UNTIL is a local date"),
    ],
)
def test_rrule_check_rejects(rule: str, fragment: str) -> None:
    problem = dates.rrule_check(rule, 2000)
    assert problem is not None
    assert fragment in problem


def test_rrule_check_accepts_a_yearly_rule() -> None:
    assert dates.rrule_check("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU", 1990) is None


# --- Wall-clock times and DST (a notice or moment at 09:00 stays at 09:00 on the clock) ----------


@pytest.mark.parametrize(
    ("zone", "day", "offset"),
    [
        ("Europe/London", date(2027, 3, 27), timedelta(0)),  # the day before spring-forward
        ("Europe/London", date(2027, 3, 28), timedelta(hours=1)),  # spring-forward day
        ("Europe/London", date(2027, 10, 31), timedelta(0)),  # fall-back day
        ("America/New_York", date(2027, 3, 14), timedelta(hours=-4)),
        ("America/New_York", date(2027, 11, 7), timedelta(hours=-5)),
        ("Asia/Karachi", date(2027, 6, 1), timedelta(hours=5)),  # no DST
        ("Asia/Baku", date(2027, 6, 1), timedelta(hours=4)),  # no DST since 2016
        ("Pacific/Apia", date(2027, 1, 20), timedelta(hours=13)),
        ("America/St_Johns", date(2027, 1, 20), timedelta(hours=-3, minutes=-30)),
    ],
)
def test_wall_time_keeps_the_clock_time(zone: str, day: date, offset: timedelta) -> None:
    placed = dates.wall_time(day, time(9, 0), zone)
    assert (placed.hour, placed.minute, placed.date()) == (9, 0, day)
    assert placed.utcoffset() == offset


def test_wall_time_in_spring_forward_gap_moves_forward() -> None:
    # 01:30 does not exist in London on 28 March 2027: clocks go from 01:00 to 02:00.
    placed = dates.wall_time(date(2027, 3, 28), time(1, 30), "Europe/London")
    assert placed.replace(tzinfo=None) == datetime(2027, 3, 28, 2, 30)
    assert placed.astimezone(ZoneInfo("UTC")).replace(tzinfo=None) == datetime(2027, 3, 28, 1, 30)


def test_wall_time_in_fall_back_overlap_takes_the_first() -> None:
    # 01:30 happens twice in London on 31 October 2027; the first (BST) is the one taken.
    placed = dates.wall_time(date(2027, 10, 31), time(1, 30), "Europe/London")
    assert placed.utcoffset() == timedelta(hours=1)


def test_exists_on_clock() -> None:
    assert not dates.exists_on_clock(datetime(2027, 3, 28, 1, 30), "Europe/London")
    assert dates.exists_on_clock(datetime(2027, 3, 28, 2, 30), "Europe/London")


def test_rrule_until_as_a_local_date_is_accepted() -> None:
    rule = "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;UNTIL=20301231"
    assert dates.rrule_check(rule, 2020) is None
    assert sorted(dates.rrule_dates(rule, 2020, 2028, 2035)) == [2028, 2029, 2030]
