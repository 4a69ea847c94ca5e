"""The yearly plan as ICS: one all-day VEVENT per milestone (and per moved event date) with a
stable UID, read alike by icalendar and the strict ``ical`` parser, with deterministic bytes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from reminders.config.load import load
from reminders.core.settings import Loaded
from reminders.plan.ics import plan_ics
from reminders.plan.output import make_plan
from reminders.plan.plan import Plan
from tests.regenerate_golden import PLAN_PAGE_CASES, render

from .conftest import GOLDEN, ROOT, TODAY
from .test_ics import events_by_ical, events_by_icalendar

DOMAIN = "reminders.example.org"


@pytest.fixture(scope="module")
def bundled() -> Loaded:
    return load(str(ROOT / "config.toml"), TODAY)


@pytest.fixture(scope="module")
def plan_2027(bundled: Loaded) -> Plan:
    return make_plan(bundled, 2027)


def golden() -> bytes:
    return (GOLDEN / "plan" / "plan-2027.ics").read_bytes()


def vevents(data: bytes) -> dict[str, icalendar.Component]:
    return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(data).walk("VEVENT")}


def test_plan_calendar_matches_the_golden_file() -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    (args,) = [args for name, args in PLAN_PAGE_CASES if name.endswith(".ics")]
    assert render(args) == golden()


def test_both_parsers_read_one_event_per_milestone(plan_2027: Plan) -> None:
    data = golden()
    by_icalendar = events_by_icalendar(data)
    assert by_icalendar == events_by_ical(data)  # the strict parser raises on anything off-spec
    assert len(by_icalendar) == data.count(b"BEGIN:VEVENT\r\n") == len(plan_2027.milestones) == 20


def test_book_the_venue_for_january_20_2027_is_an_all_day_transparent_event() -> None:
    event = vevents(golden())[f"remembrance-january-20-2027-book-venue@{DOMAIN}"]
    assert str(event["SUMMARY"]) == "Book the venue: 37th anniversary of the January 20 Tragedy"
    assert event.decoded("DTSTART") == date(2026, 12, 8)
    assert event.decoded("DTEND") == date(2026, 12, 9)
    assert str(event["TRANSP"]) == "TRANSPARENT"
    assert str(event["RELATED-TO"]) == f"remembrance-january-20-2027@{DOMAIN}"
    assert str(event["DESCRIPTION"]) == (
        "Book the venue for the 37th anniversary of the January 20 Tragedy.\n\n"
        "Event date: Wednesday 20 Jan 2027.\n"
        "Why that date: the day itself, a working day.\n"
        "30 working days before the event date, counted in working days of PK (weekends and "
        "public holidays skipped)."
    )
    raw = event.to_ical()
    assert b"DTSTART;VALUE=DATE:20261208\r\n" in raw
    assert b"DTEND;VALUE=DATE:20261209\r\n" in raw


def test_every_event_is_all_day_with_an_exclusive_end() -> None:
    for event in vevents(golden()).values():
        start, end = event.decoded("DTSTART"), event.decoded("DTEND")
        assert type(start) is date
        assert end == start + timedelta(days=1)
        assert str(event["TRANSP"]) == "TRANSPARENT"


def test_calendar_properties() -> None:
    parsed = icalendar.Calendar.from_ical(golden())
    assert str(parsed["NAME"]) == str(parsed["X-WR-CALNAME"])
    assert str(parsed["NAME"]) == "Sample Embassy, Islamabad: plan 2027"
    assert str(parsed["METHOD"]) == "PUBLISH"
    assert str(parsed["PRODID"]) == "-//reminders//Remembrance day calendar//EN"
    assert "UID" not in parsed  # no calendar-level UID (DESIGN.md rule 6)
    assert b"\r\nUID" not in golden().split(b"\r\nBEGIN:", 1)[0]
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in golden()
    assert b"\r\nX-PUBLISHED-TTL:PT12H\r\n" in golden()


def test_stamps_come_from_the_calendars_revised_not_the_clock() -> None:
    lines = golden().split(b"\r\n")
    assert {x for x in lines if x.startswith(b"DTSTAMP")} == {b"DTSTAMP:20261123T000000Z"}
    assert {x for x in lines if x.startswith(b"LAST-MODIFIED")} == {
        b"LAST-MODIFIED:20261123T000000Z"
    }


def test_uids_are_unique_and_never_shared_between_years(bundled: Loaded) -> None:
    years = {year: list(vevents(plan_ics(make_plan(bundled, year), bundled.settings)))
             for year in (2027, 2028, 2029)}  # fmt: skip
    for uids in years.values():
        assert len(uids) == len(set(uids))
    assert not set(years[2027]) & set(years[2028])
    assert not set(years[2028]) & set(years[2029])
    # The December milestone of the January 2028 day keeps the observance's year in its UID.
    december = vevents(plan_ics(make_plan(bundled, 2028), bundled.settings))
    assert december[f"remembrance-january-20-2028-book-venue@{DOMAIN}"].decoded("DTSTART") == date(
        2027, 12, 9
    )


def test_uids_stay_when_a_rule_moves_its_milestones(bundled: Loaded, plan_2027: Plan) -> None:
    rules = tuple(
        r._replace(working_days=25) if r.id == "book-venue" else r
        for r in bundled.settings.milestones
    )
    settings = bundled.settings._replace(milestones=rules)
    before = vevents(plan_ics(plan_2027, bundled.settings))
    after = vevents(plan_ics(make_plan(Loaded(settings, bundled.calendars), 2027), settings))
    assert set(before) == set(after)
    uid = f"remembrance-january-20-2027-book-venue@{DOMAIN}"
    assert after[uid].decoded("DTSTART") == date(2026, 12, 15)  # 25 working days before


def test_a_moved_event_date_is_its_own_event(bundled: Loaded) -> None:
    plan = make_plan(bundled, 2028)
    data = plan_ics(plan, bundled.settings)
    assert events_by_icalendar(data) == events_by_ical(data)
    found = vevents(data)
    assert len(found) == len(plan.milestones) + 1
    moved = found[f"remembrance-february-26-2028.event-date@{DOMAIN}"]
    assert str(moved["SUMMARY"]) == "Suggested event date: 36th anniversary of the Khojaly Genocide"
    assert moved.decoded("DTSTART") == date(2028, 2, 25)  # Saturday 26 is the weekend
    assert str(moved["DESCRIPTION"]).startswith("Saturday is a weekend day: a seminar")
    # The milestones count from the moved date.
    venue = found[f"remembrance-february-26-2028-book-venue@{DOMAIN}"]
    assert "Event date: Friday 25 Feb 2028." in str(venue["DESCRIPTION"])


PLANNED = """\
    [calendar]
    id = "open"
    name = "Open days"
    timezone = "Asia/Baku"
    revised = 2026-10-01T00:00:00Z

    [[observance]]
    id = "khojaly"
    title = "{ordinal} anniversary of the Khojaly Genocide"
    date = "02-26"
    since = 1992
    description = "Khojaly."

    [[event]]
    id = "seminar-2028"
    observance = "khojaly"
    title = "Seminar"
    date = 2028-02-24
    """

MILESTONES = """
[[milestone]]
id = "zal"
name = "Zalı sifariş et / ہال بک کریں"
working_days = 5
"""


def test_an_event_date_from_a_planned_event_is_left_to_the_feed(
    project: Callable[..., Path],
) -> None:
    config = project({"open.toml": PLANNED})
    config.write_text(config.read_text("utf-8") + MILESTONES, "utf-8")
    loaded = load(str(config), TODAY)
    plan = make_plan(loaded, 2028)
    (observance,) = [e for e in plan.entries if e.kind == "observance"]
    assert observance.moved
    assert observance.event_date == date(2028, 2, 24)
    data = plan_ics(plan, loaded.settings)
    assert list(vevents(data)) == ["open-khojaly-2028-zal@test.example.org"]


def test_non_ascii_milestone_names_round_trip_through_both_parsers(
    project: Callable[..., Path],
) -> None:
    config = project({"open.toml": PLANNED})
    config.write_text(config.read_text("utf-8") + MILESTONES, "utf-8")
    loaded = load(str(config), TODAY)
    data = plan_ics(make_plan(loaded, 2028), loaded.settings)
    (event,) = vevents(data).values()
    summary = "Zalı sifariş et / ہال بک کریں: 36th anniversary of the Khojaly Genocide"
    assert str(event["SUMMARY"]) == summary
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert strict.events[0].summary == summary
    assert b"DTSTAMP:20261001T000000Z" in data
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))


def test_a_plan_without_entries_is_an_empty_calendar(bundled: Loaded) -> None:
    from reminders.plan.hostcal import host_calendar
    from reminders.plan.plan import build_plan

    org = bundled.settings.organisation
    empty = build_plan(
        Loaded(bundled.settings, ()), 2027, host_calendar(org.country, org.weekend, 2027)
    )
    data = plan_ics(empty, bundled.settings)
    assert events_by_ical(data) == events_by_icalendar(data) == {}
    assert b"DTSTAMP" not in data
    assert b"LAST-MODIFIED:20000101T000000Z" in data


def test_same_plan_gives_identical_bytes(bundled: Loaded, plan_2027: Plan) -> None:
    assert plan_ics(plan_2027, bundled.settings) == golden()
    assert plan_ics(make_plan(load(str(ROOT / "config.toml"), date(2027, 6, 1)), 2027),
                    bundled.settings) == golden()  # fmt: skip
