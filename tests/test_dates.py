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


# --- Cases found by mutation testing (bench/mutants.py): each fails on a small change ------------


@pytest.mark.parametrize(
    ("number", "jubilee"),
    [(10, True), (20, True), (25, True), (50, True), (75, True), (100, True), (5, False),
     (15, False), (26, False), (0, False), (-10, False), (-25, False)],
)  # fmt: skip
def test_is_jubilee(number: int, jubilee: bool) -> None:
    assert dates.is_jubilee(number) is jubilee


@pytest.mark.parametrize(
    ("number", "following"), [(-3, 10), (0, 10), (9, 10), (10, 20), (20, 25), (25, 30), (70, 75)]
)
def test_next_jubilee(number: int, following: int) -> None:
    assert dates.next_jubilee(number) == following


@pytest.mark.parametrize("number", [-1, -5, -100])
def test_round_step_of_a_negative_number_is_zero(number: int) -> None:
    assert dates.round_step(number) == 0


@pytest.mark.parametrize(
    ("year", "leap"), [(2024, True), (2027, False), (1900, False), (2000, True)]
)
def test_is_leap(year: int, leap: bool) -> None:
    assert dates.is_leap(year) is leap


def test_the_first_and_last_years_asked_for_are_included() -> None:
    # The origin year's own date (the first anniversary's year is since + 1) and a December 31
    # in the last year both count: the window is inclusive at both ends.
    new_year = "FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1"
    assert sorted(dates.rrule_dates(new_year, 2020, 2020, 2022)) == [2020, 2021, 2022]
    year_end = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31"
    assert dates.rrule_dates(year_end, 2020, 2021, 2022) == {
        2021: date(2021, 12, 31),
        2022: date(2022, 12, 31),
    }


def test_the_last_year_asked_for_ends_at_the_last_moment_of_december_31() -> None:
    # A rule may carry a time of day; its date counts whatever the time (it was lost after 23:59).
    late = "FREQ=YEARLY;BYMONTH=12;BYMONTHDAY=31;BYHOUR=23;BYMINUTE=59;BYSECOND=59"
    assert dates.rrule_dates(late, 2020, 2021, 2022) == {
        2021: date(2021, 12, 31),
        2022: date(2022, 12, 31),
    }


def test_an_rrule_on_february_29_gives_leap_years_only() -> None:
    found = dates.rrule_dates("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", 2020, 2020, 2028)
    assert found == {2020: date(2020, 2, 29), 2024: date(2024, 2, 29), 2028: date(2028, 2, 29)}
    assert dates.rrule_check("RRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29", 2020) is None


@pytest.mark.parametrize("interval", ["1", "100", "0100"])  # at most four digits
def test_rrule_interval_from_1_to_100_is_accepted(interval: str) -> None:
    assert (
        dates.rrule_check(f"FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;INTERVAL={interval}", 1900) is None
    )


@pytest.mark.parametrize("interval", ["0", "101", "-1", "00001", "x", "²"])
def test_rrule_interval_outside_1_to_100_is_refused(interval: str) -> None:
    problem = dates.rrule_check(f"FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;INTERVAL={interval}", 2000)
    assert problem == (
        "an RRULE whose INTERVAL is a whole number from 1 to 100, such as 'INTERVAL=1'"
    )


def test_rrule_check_names_a_rule_that_never_happens() -> None:
    problem = dates.rrule_check("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", 2000)
    assert problem == "an RRULE that gives a date (it gives none from 2000 to 2149)"


def test_rrule_check_names_both_dates_of_a_rule_with_two_a_year() -> None:
    problem = dates.rrule_check("FREQ=YEARLY;BYMONTH=1,2;BYMONTHDAY=1", 2000)
    assert problem == (
        "an RRULE with at most one date a year (it gives 2000-01-01 and 2000-02-01 in 2000)"
    )


def test_rrule_check_shortens_a_long_parser_message_to_80_characters() -> None:
    problem = dates.rrule_check("FREQ=YEARLY;BYDAY=" + "X" * 200, 2000)
    assert problem is not None
    reason = problem.removeprefix("an RRULE that python-dateutil can parse (").removesuffix(")")
    assert len(reason) == 80
    assert reason.endswith("...")
    short = dates.rrule_check("FREQ=YEARLY;BYDAY=XX", 2000)
    assert short is not None
    assert not short.endswith("...)")


def test_an_rrule_prefix_and_spaces_are_removed() -> None:
    assert dates.normalise_rrule("  RRULE:FREQ=YEARLY;BYMONTH=5 ") == "FREQ=YEARLY;BYMONTH=5"
    assert dates.normalise_rrule("rrule:FREQ=YEARLY") == "FREQ=YEARLY"
    assert dates.normalise_rrule("FREQ=YEARLY") == "FREQ=YEARLY"


def test_local_date_is_the_date_in_the_zone() -> None:
    now = datetime(2027, 1, 19, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert dates.local_date(now, "Asia/Karachi") == date(2027, 1, 20)
    assert dates.local_date(now, "America/New_York") == date(2027, 1, 19)


@pytest.mark.parametrize(
    "rule",
    ["FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1;DTSTART=20200101", "FREQ=YEARLY\nBYMONTH=1"],
)
def test_rrule_check_wants_one_line_without_dtstart(rule: str) -> None:
    problem = dates.rrule_check(rule, 2000)
    assert problem == (
        "a single RRULE line without DTSTART, such as 'FREQ=YEARLY;BYMONTH=5;BYDAY=2SU'"
    )


def test_an_equals_sign_inside_a_value_is_the_parsers_to_refuse() -> None:
    problem = dates.rrule_check("FREQ=YEARLY;BYMONTH=1=2", 2000)
    assert problem is not None
    assert problem.startswith("an RRULE that python-dateutil can parse (")


def test_a_parser_message_of_80_characters_is_kept_whole_and_of_81_shortened() -> None:
    prefix, bad = "an RRULE that python-dateutil can parse (", "FREQ=YEARLY;BYDAY="
    whole = dates.rrule_check(bad + "X" * 63, 2000)  # "invalid 'BYDAY': XXX...": 80 characters
    assert whole == f"{prefix}invalid 'BYDAY': {'X' * 63})"
    shortened = dates.rrule_check(bad + "X" * 64, 2000)  # 81 characters: cut to 77 and "..."
    assert shortened == f"{prefix}invalid 'BYDAY': {'X' * 60}...)"


def test_two_dates_in_the_origin_year_alone_are_refused() -> None:
    # Only 2000 has dates (COUNT=2): the check starts on January 1 of the origin year.
    problem = dates.rrule_check("FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=1,2;COUNT=2", 2000)
    assert problem == (
        "an RRULE with at most one date a year (it gives 2000-01-01 and 2000-01-02 in 2000)"
    )


EASTER_ON_APRIL_25 = "FREQ=YEARLY;BYEASTER=0;BYMONTH=4;BYMONTHDAY=25"  # 1734, 1886, 1943, 2038
# Every 50 years, on January 2 when it is a Monday: 1950, not 1800, 1850 or 1900.
JANUARY_2_ON_A_MONDAY = "FREQ=YEARLY;INTERVAL=50;BYMONTH=1;BYMONTHDAY=2;BYDAY=MO"


@pytest.mark.parametrize(
    ("rule", "since", "none_from"),
    [
        (EASTER_ON_APRIL_25, 1737, None),  # 1886, 149 years on: the last year looked at
        (EASTER_ON_APRIL_25, 1736, "1736 to 1885"),  # 1886, 150 years on: too late
        (JANUARY_2_ON_A_MONDAY, 1800, "1800 to 1949"),  # 2 January 1950: a day too late
    ],
)
def test_rrule_check_looks_for_a_date_in_the_150_years_from_the_origin_year(
    rule: str, since: int, none_from: str | None
) -> None:
    problem = (
        None
        if none_from is None
        else f"an RRULE that gives a date (it gives none from {none_from})"
    )
    assert dates.rrule_check(rule, since) == problem
