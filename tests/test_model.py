"""The domain records' own behaviour (core/model.py): a date rule's dates and description, an
event's local date, a calendar's observance by id, and what an occurrence says of itself."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from reminders.core.model import (
    Calendar,
    Event,
    Fact,
    FixedDate,
    Moment,
    Observance,
    Occurrence,
    YearlyRule,
)

from .conftest import assert_occurs, bundled_calendars

THANKSGIVING = "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"  # the fourth Thursday of November


def test_a_fixed_date_is_described_by_its_month_and_day() -> None:
    assert FixedDate(1, 20).describe() == "every January 20"
    assert FixedDate(2, 29).describe() == "every February 29"  # a leap day has a name too


def test_a_fixed_date_gives_one_date_a_year_both_ends_included() -> None:
    assert FixedDate(1, 20).dates(2027, 2029) == {
        2027: date(2027, 1, 20),
        2028: date(2028, 1, 20),
        2029: date(2029, 1, 20),
    }
    assert FixedDate(1, 20).dates(2027, 2027) == {2027: date(2027, 1, 20)}
    assert FixedDate(1, 20).dates(2028, 2027) == {}


def test_a_leap_day_follows_its_rule_in_a_common_year() -> None:
    assert FixedDate(2, 29).dates(2027, 2028) == {2027: date(2027, 2, 28), 2028: date(2028, 2, 29)}
    assert FixedDate(2, 29, "mar1").dates(2027, 2027) == {2027: date(2027, 3, 1)}
    assert FixedDate(2, 29, "skip").dates(2027, 2029) == {2028: date(2028, 2, 29)}


def test_a_yearly_rule_is_described_by_its_rrule_and_gives_its_dates() -> None:
    rule = YearlyRule(THANKSGIVING, 1990)
    assert rule.describe() == f"by the rule {THANKSGIVING}"
    assert rule.dates(2026, 2027) == {2026: date(2026, 11, 26), 2027: date(2027, 11, 25)}


def test_an_events_local_date_is_where_it_takes_place() -> None:
    # 02:00 in Karachi is still the day before in UTC: the date is Karachi's.
    karachi = ZoneInfo("Asia/Karachi")
    dawn = Event(
        "dawn",
        "Dawn vigil",
        "Asia/Karachi",
        start=datetime(2027, 2, 27, 2, 0, tzinfo=karachi),
        end=datetime(2027, 2, 27, 3, 0, tzinfo=karachi),
    )
    assert dawn.start is not None
    assert dawn.start.astimezone(UTC).date() == date(2027, 2, 26)
    assert dawn.local_date == date(2027, 2, 27)
    all_day = Event("day", "Open day", "Asia/Karachi", day=date(2027, 5, 4))
    assert all_day.local_date == date(2027, 5, 4)


def test_a_calendar_finds_its_observance_by_id() -> None:
    (calendar,) = bundled_calendars()
    assert [calendar.observance(o.id) for o in calendar.observances] == list(calendar.observances)
    assert calendar.observance("nope") is None


def _occurrence(number: int, event: Event | None = None) -> Occurrence:
    calendar = Calendar(
        "cal", "Cal", "", "Asia/Baku", True, datetime(2026, 1, 1, tzinfo=UTC), "cal.toml"
    )
    observance = Observance(
        "day",
        "{ordinal} day",
        FixedDate(1, 20),
        2027 - number,
        "",
        facts=(Fact("It happened.", "A source", date(2024, 1, 20)),),
        moments=(Moment("silence", "Silence", time(12), timedelta(minutes=1), "Asia/Baku"),),
    )
    return Occurrence(calendar, date(2027, 1, 20), "A day", number, observance, event)


def test_an_observance_occurrence_says_what_it_is() -> None:
    item = assert_occurs(bundled_calendars(), "january-20", 2027)
    assert item.kind == "observance"
    assert item.id == "remembrance:january-20:2027"
    assert item.weekday == "Wednesday"
    assert (item.number, item.ordinal, item.jubilee, item.round_step) == (37, "37th", False, 0)
    baku = ZoneInfo("Asia/Baku")
    assert [(p.moment.id, p.start, p.end) for p in item.moments] == [
        (
            "minute-of-silence",
            datetime(2027, 1, 20, 12, tzinfo=baku),
            datetime(2027, 1, 20, 12, 1, tzinfo=baku),
        )
    ]
    assert _occurrence(1).moments == ()  # none placed unless given


def test_the_ordinal_jubilee_and_round_step_follow_the_number() -> None:
    assert _occurrence(0).ordinal == ""  # the origin year is no anniversary
    assert _occurrence(1).ordinal == "1st"
    assert (_occurrence(30).jubilee, _occurrence(30).round_step) == (True, 10)
    assert (_occurrence(35).jubilee, _occurrence(35).round_step) == (False, 5)
    assert (_occurrence(50).jubilee, _occurrence(50).round_step) == (True, 50)


def test_an_event_occurrence_is_named_by_its_event() -> None:
    event = Event("talk", "Talk", "Asia/Baku", day=date(2027, 1, 20), observance="day")
    item = _occurrence(37, event)
    assert item.kind == "event"
    assert item.id == "cal:event:talk"
    unlinked = item._replace(observance=None, number=0)
    assert (unlinked.id, unlinked.ordinal) == ("cal:event:talk", "")
