"""Occurrences: the numbers the seeds report, windows, leap days, moments, events."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.config.calendars import load_calendars
from reminders.config.load import load
from reminders.core.errors import UsageError
from reminders.core.model import Occurrence
from reminders.core.occurrences import (
    event_occurrence,
    occurrences,
    sort_key,
    title_for,
    upcoming,
)

from .conftest import FIXTURES, ROOT, TODAY, assert_occurs, bundled_calendars

BUNDLED = bundled_calendars()
UTC = ZoneInfo("UTC")


@pytest.mark.parametrize(
    ("observance", "year", "ordinal", "weekday", "day"),
    [
        # The seeds' own numbers: the 34th of January 20 in 2024 (APA), the 31st of Khojaly in
        # 2023 (Azernews), the first anniversary of the war and its end in 2021.
        ("january-20", 2024, "34th", "Saturday", date(2024, 1, 20)),
        ("february-26", 2023, "31st", "Sunday", date(2023, 2, 26)),
        ("november-10", 2021, "1st", "Wednesday", date(2021, 11, 10)),
        ("september-27", 2021, "1st", "Monday", date(2021, 9, 27)),
        ("february-26", 2013, "21st", "Tuesday", date(2013, 2, 26)),
        # The plan year.
        ("january-20", 2027, "37th", "Wednesday", date(2027, 1, 20)),
        ("february-26", 2027, "35th", "Friday", date(2027, 2, 26)),
        ("september-27", 2027, "7th", "Monday", date(2027, 9, 27)),
        ("november-10", 2027, "7th", "Wednesday", date(2027, 11, 10)),
    ],
)
def test_anniversary_numbers_from_the_sources(
    observance: str, year: int, ordinal: str, weekday: str, day: date
) -> None:
    item = assert_occurs(BUNDLED, observance, year)
    assert (item.date, item.ordinal, item.weekday) == (day, ordinal, weekday)
    assert item.title.startswith(ordinal) or f" {ordinal} " in item.title


def test_titles_read_as_people_write_them() -> None:
    assert assert_occurs(BUNDLED, "january-20", 2024).title == (
        "34th anniversary of the January 20 Tragedy"
    )
    assert assert_occurs(BUNDLED, "september-27", 2027).title == (
        "Remembrance Day: 7th anniversary of the start of the 44-day war"
    )


def test_jubilees_and_round_numbers() -> None:
    khojaly_2017 = assert_occurs(BUNDLED, "february-26", 2017)  # 25th
    assert (khojaly_2017.jubilee, khojaly_2017.round_step) == (True, 25)
    january_2040 = assert_occurs(BUNDLED, "january-20", 2040)  # 50th
    assert (january_2040.jubilee, january_2040.round_step) == (True, 50)
    january_2020 = assert_occurs(BUNDLED, "january-20", 2020)  # 30th: a jubilee too
    assert (january_2020.jubilee, january_2020.round_step) == (True, 10)
    khojaly_2027 = assert_occurs(BUNDLED, "february-26", 2027)  # 35th
    assert (khojaly_2027.jubilee, khojaly_2027.round_step) == (False, 5)
    november_2030 = assert_occurs(BUNDLED, "november-10", 2030)  # 10th
    assert (november_2030.jubilee, november_2030.round_step) == (True, 10)


def test_no_occurrence_before_the_first_anniversary() -> None:
    found = occurrences(BUNDLED, date(2020, 1, 1), date(2021, 1, 1))
    ids = {item.observance.id for item in found if item.observance}
    assert "november-10" not in ids  # 2020 is the year of the ceasefire itself
    assert "september-27" not in ids
    assert {"january-20", "february-26"} <= ids


def test_window_is_half_open() -> None:
    found = occurrences(BUNDLED, date(2027, 1, 20), date(2027, 2, 26))
    assert [item.id for item in found] == ["remembrance:january-20:2027"]
    found = occurrences(BUNDLED, date(2027, 1, 21), date(2027, 2, 27))
    assert [item.id for item in found] == [
        "remembrance:february-26:2027",
        "remembrance:event:khojaly-roundtable-2027",
    ]


def test_minute_of_silence_is_noon_in_baku() -> None:
    item = assert_occurs(BUNDLED, "january-20", 2027)
    (placed,) = item.moments
    assert placed.moment.name == "Minute of silence"
    assert placed.start == datetime(2027, 1, 20, 12, 0, tzinfo=ZoneInfo("Asia/Baku"))
    assert placed.start.astimezone(UTC) == datetime(2027, 1, 20, 8, 0, tzinfo=UTC)
    assert placed.start.astimezone(ZoneInfo("Asia/Karachi")).hour == 13
    assert placed.end - placed.start == timedelta(minutes=1)


def test_example_event_is_linked_to_its_observance() -> None:
    found = occurrences(BUNDLED, date(2027, 2, 26), date(2027, 2, 27))
    event = found[-1]
    assert event.kind == "event"
    assert event.event is not None
    assert event.event.example
    assert event.event.start == datetime(2027, 2, 26, 15, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    assert event.event.end == datetime(2027, 2, 26, 17, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    assert (event.number, event.ordinal) == (35, "35th")
    without = occurrences(BUNDLED, date(2027, 2, 26), date(2027, 2, 27), examples=False)
    assert [item.kind for item in without] == ["observance"]


LEAP = load_calendars(FIXTURES / "cases", TODAY)


@pytest.mark.parametrize(
    ("observance", "year", "expected"),
    [
        ("default-policy", 2027, date(2027, 2, 28)),
        ("default-policy", 2028, date(2028, 2, 29)),
        ("march-first", 2027, date(2027, 3, 1)),
        ("march-first", 2028, date(2028, 2, 29)),
        ("skipped", 2028, date(2028, 2, 29)),
    ],
)
def test_feb29_common_year(observance: str, year: int, expected: date) -> None:
    item = assert_occurs(LEAP, observance, year)
    assert item.date == expected
    assert item.number == year - 2000  # the number counts years, not leap days


def test_feb29_skipped_in_common_year() -> None:
    found = occurrences(LEAP, date(2027, 1, 1), date(2028, 1, 1))
    assert "skipped" not in {item.observance.id for item in found if item.observance}


def test_movable_rrule_observance() -> None:
    item = assert_occurs(LEAP, "remembrance-sunday", 2027)
    assert item.date == date(2027, 11, 14)
    assert item.weekday == "Sunday"
    assert item.title == "Remembrance Sunday (108th since 1919)"


def test_dst_spring_forward_moments() -> None:
    item = assert_occurs(LEAP, "last-sunday-march", 2027)
    assert item.date == date(2027, 3, 28)
    morning, gap = item.moments
    assert morning.start == datetime(2027, 3, 28, 9, 0, tzinfo=ZoneInfo("Europe/London"))
    assert morning.start.utcoffset() == timedelta(hours=1)
    # 01:30 is skipped by the clocks that night; the moment moves to 02:30 BST, 01:30 UTC.
    assert gap.start.replace(tzinfo=None) == datetime(2027, 3, 28, 2, 30)
    assert gap.start.astimezone(UTC) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)


def test_far_off_zones() -> None:
    item = assert_occurs(LEAP, "apia-noon", 2027)
    apia, st_johns = item.moments
    assert apia.start.astimezone(UTC) == datetime(2027, 1, 19, 23, 0, tzinfo=UTC)
    assert st_johns.start.astimezone(UTC) == datetime(2027, 1, 20, 15, 30, tzinfo=UTC)


@settings(max_examples=150, deadline=None)
@given(
    start=st.dates(min_value=date(1990, 1, 1), max_value=date(2150, 12, 31)),
    length=st.integers(min_value=1, max_value=3 * 366),
)
def test_every_window_is_complete_sorted_and_exact(start: date, length: int) -> None:
    end = start + timedelta(days=length)
    found = occurrences(BUNDLED, start, end)
    assert all(start <= item.date < end for item in found)
    assert [item.date for item in found] == sorted(item.date for item in found)
    assert len({item.id for item in found}) == len(found)
    for observance in BUNDLED[0].observances:
        expected = sum(
            1
            for year in range(start.year, end.year + 1)
            if year > observance.since
            and start <= date(year, observance.rule.month, observance.rule.day) < end  # type: ignore[union-attr]
        )
        got = sum(1 for item in found if item.observance == observance and item.event is None)
        assert got == expected
    # Splitting the window in two gives the same occurrences.
    middle = start + timedelta(days=length // 2)
    assert occurrences(BUNDLED, start, middle) + occurrences(BUNDLED, middle, end) == found


# --- Cases found by mutation testing (bench/mutants.py): each fails on a small change ------------


def _ids(found: tuple[Occurrence, ...]) -> list[str]:
    return [item.id for item in found]


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (date(2027, 11, 14), date(2027, 11, 15), ["movable:remembrance-sunday:2027"]),
        (date(2027, 11, 13), date(2027, 11, 14), []),  # the end is not in the window
        (date(2027, 11, 15), date(2027, 12, 1), []),
        (date(2028, 2, 29), date(2028, 3, 1), ["leap:default-policy:2028",
                                               "leap:march-first:2028", "leap:skipped:2028"]),
        (date(2028, 2, 28), date(2028, 2, 29), []),
        (date(2027, 3, 1), date(2027, 3, 2), ["leap:march-first:2027"]),
        (date(2027, 2, 28), date(2027, 3, 1), ["leap:default-policy:2027"]),
    ],
)  # fmt: skip
def test_the_window_is_half_open_on_movable_and_leap_day_dates(
    start: date, end: date, expected: list[str]
) -> None:
    assert _ids(occurrences(LEAP, start, end)) == expected


def test_the_first_anniversary_of_a_movable_observance_is_the_year_after_since() -> None:
    assert _ids(occurrences(LEAP, date(1919, 1, 1), date(1920, 1, 1))) == []
    (first,) = occurrences(LEAP, date(1920, 11, 1), date(1920, 12, 1))
    assert (first.id, first.date, first.number) == (
        "movable:remembrance-sunday:1920",
        date(1920, 11, 14),
        1,
    )
    assert first.title == "Remembrance Sunday (1st since 1919)"


def test_the_first_anniversary_of_a_february_29_observance_is_the_year_after_since() -> None:
    leap_only = [c for c in LEAP if c.id == "leap"]
    assert _ids(occurrences(leap_only, date(2000, 1, 1), date(2001, 1, 1))) == []
    found = occurrences(leap_only, date(2001, 1, 1), date(2002, 1, 1))
    assert [(item.id, item.date, item.number) for item in found] == [
        ("leap:default-policy:2001", date(2001, 2, 28), 1),
        ("leap:march-first:2001", date(2001, 3, 1), 1),
    ]


def test_the_first_anniversary_of_a_fixed_date_observance_is_the_year_after_since() -> None:
    # A window that starts in the year of the event itself (2020 for November 10).
    found = occurrences(BUNDLED, date(2020, 1, 1), date(2022, 1, 1))
    first = [item for item in found if item.id.startswith("remembrance:november-10:")]
    assert [(item.id, item.date, item.number) for item in first] == [
        ("remembrance:november-10:2021", date(2021, 11, 10), 1)
    ]


def test_calendars_on_the_same_day_are_in_id_order_whatever_their_order() -> None:
    both = (*BUNDLED, *LEAP)
    window = (date(2027, 1, 1), date(2028, 12, 31))
    found = occurrences(both, *window)
    assert occurrences(tuple(reversed(both)), *window) == found
    apia_day = [item.id for item in found if item.date == date(2027, 1, 20)]
    assert apia_day == ["far:apia-noon:2027", "remembrance:january-20:2027"]


def test_an_event_before_its_observance_began_is_numbered_zero() -> None:
    (calendar,) = BUNDLED
    event = next(e for e in calendar.events if e.observance)
    assert event.start is not None
    assert event.end is not None
    early = event._replace(start=event.start.replace(year=1980), end=event.end.replace(year=1980))
    item = event_occurrence(calendar, early)
    assert item.number == 0
    assert item.date.year == 1980


@pytest.mark.parametrize(
    ("start", "days"),
    [(date(1899, 12, 31), 1), (date(2201, 1, 1), 1), (date(2200, 12, 31), 1)],
)
def test_upcoming_refuses_dates_outside_the_accepted_years(start: date, days: int) -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    with pytest.raises(UsageError, match="expected dates from 1900-01-01 to 2200-12-31"):
        upcoming(loaded, start, days)


def test_upcoming_accepts_the_first_and_last_accepted_days() -> None:
    loaded = load(str(ROOT / "config.toml"), TODAY)
    assert upcoming(loaded, date(1900, 1, 1), 1) == ()
    assert upcoming(loaded, date(2200, 12, 30), 1) == ()
    assert _ids(upcoming(loaded, date(2027, 1, 20), 1)) == ["remembrance:january-20:2027"]


def test_title_for_fills_the_ordinal_number_year_and_since() -> None:
    observance = LEAP[[c.id for c in LEAP].index("movable")].observances[0]
    assert title_for(observance, 2027) == "Remembrance Sunday (108th since 1919)"


ONE_DAY_OF_EACH_KIND = """\
[calendar]
id = "order"
name = "Order"
timezone = "Asia/Baku"
revised = 2026-11-23T00:00:00Z

[[observance]]
id = "aa-movable"
title = "{ordinal} movable"
rrule = "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=10"
since = 2000
description = "A day by a rule."

[[observance]]
id = "zz-fixed"
title = "{ordinal} fixed"
date = "03-10"
since = 2000
description = "A fixed date."

[[observance]]
id = "zz-movable"
title = "{ordinal} movable"
rrule = "FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=10"
since = 2000
description = "The same day by a rule."

[[event]]
id = "a-evening"
title = "Evening"
observance = "zz-fixed"
start = 2027-03-10T18:00:00
duration = "PT1H"

[[event]]
id = "b-morning"
title = "Morning"
start = 2027-03-10T09:00:00
duration = "PT1H"

[[event]]
id = "c-all-day"
title = "All day"
date = 2027-03-10
"""


def test_one_day_lists_observances_then_all_day_events_then_timed_events_by_start(
    tmp_path: Path,
) -> None:
    # Observances by id, whether worked out by rule or as fixed dates; then events, though their
    # ids ("order:event:...") sort before the observances' and the evening's before the morning's.
    (tmp_path / "order.toml").write_text(ONE_DAY_OF_EACH_KIND, "utf-8")
    found = occurrences(load_calendars(tmp_path, TODAY), date(2027, 3, 10), date(2027, 3, 11))
    assert _ids(found) == [
        "order:aa-movable:2027",
        "order:zz-fixed:2027",
        "order:zz-movable:2027",
        "order:event:c-all-day",
        "order:event:b-morning",
        "order:event:a-evening",
    ]
    # sort_key states that order (the plan's reference expansion sorts by it).
    assert sorted(found, key=sort_key) == list(found)
    # An event linked to no observance has no anniversary: it is numbered 0.
    assert [(item.number, item.ordinal) for item in found[3:]] == [(0, ""), (0, ""), (27, "27th")]
