"""ICS export: golden files, both parsers, determinism and the ICS rules of DESIGN.md."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

from reminders.config.load import load
from reminders.core import words
from reminders.core.errors import UsageError
from reminders.core.ics import (
    FeedInfo,
    build_ics,
    calendar_text,
    describe_moment,
    export_ics,
    occurrence_ics,
    year_window,
)
from reminders.core.model import Calendar, Event, FixedDate
from reminders.core.occurrences import occurrences
from reminders.plan.ics import plan_ics
from reminders.plan.output import make_plan
from tests.regenerate_golden import CASES, render

from .conftest import GOLDEN, ROOT

GOLDEN_CASES = [(name, args) for name, args in CASES if name.endswith(".ics")]


def golden(name: str) -> bytes:
    return (GOLDEN / name).read_bytes()


@pytest.mark.parametrize(("name", "args"), GOLDEN_CASES, ids=[n for n, _ in GOLDEN_CASES])
def test_export_matches_golden_file(name: str, args: tuple[str, ...]) -> None:
    # On a mismatch: run `python tests/regenerate_golden.py` and review `git diff tests/golden`.
    assert render(args) == golden(name)


def events_by_icalendar(data: bytes) -> dict[str, tuple[object, object, str]]:
    parsed = icalendar.Calendar.from_ical(data)
    return {
        str(event["UID"]): (event.start, event.end, str(event["SUMMARY"]))
        for event in parsed.walk("VEVENT")
    }


def events_by_ical(data: bytes) -> dict[str, tuple[object, object, str]]:
    parsed = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    return {event.uid: (event.dtstart, event.dtend, event.summary) for event in parsed.events}


@pytest.mark.parametrize(("name", "args"), GOLDEN_CASES, ids=[n for n, _ in GOLDEN_CASES])
def test_both_parsers_read_the_same_events(name: str, args: tuple[str, ...]) -> None:
    data = golden(name)
    by_icalendar = events_by_icalendar(data)
    by_ical = events_by_ical(data)  # the strict parser: raises on anything out of spec
    assert by_icalendar == by_ical
    assert len(by_icalendar) == data.count(b"BEGIN:VEVENT\r\n")


def test_one_event_per_observance_per_year_with_its_ordinal() -> None:
    events = events_by_icalendar(golden("remembrance-2025-2031.ics"))
    january = {
        uid: summary for uid, (_s, _e, summary) in events.items()
        if uid.startswith("remembrance-january-20-") and "minute" not in uid
    }  # fmt: skip
    ordinals = ["35th", "36th", "37th", "38th", "39th", "40th", "41st"]
    assert january == {
        f"remembrance-january-20-{year}@reminders.example.org":
            f"{ordinal} anniversary of the January 20 Tragedy"
        for year, ordinal in zip(range(2025, 2032), ordinals, strict=True)
    }  # fmt: skip
    # 4 observances x 7 years, one minute of silence a year, one (example) event.
    assert len(events) == 4 * 7 + 7 + 1
    assert b"RRULE" not in golden("remembrance-2025-2031.ics")


def test_all_day_observance_has_exclusive_end_and_is_transparent() -> None:
    parsed = icalendar.Calendar.from_ical(golden("remembrance-only-2027.ics"))
    khojaly = next(e for e in parsed.walk("VEVENT") if "february-26-2027@" in str(e["UID"]))
    assert khojaly.start == date(2027, 2, 26)
    assert khojaly.end == date(2027, 2, 27)
    assert str(khojaly["TRANSP"]) == "TRANSPARENT"
    raw = khojaly.to_ical()
    assert b"DTSTART;VALUE=DATE:20270226\r\n" in raw
    assert b"DTEND;VALUE=DATE:20270227\r\n" in raw


def test_moment_is_zoned_with_a_matching_vtimezone() -> None:
    data = golden("remembrance-only-2027.ics")
    assert b"DTSTART;TZID=Asia/Baku:20270120T120000\r\n" in data
    assert b"DTEND;TZID=Asia/Baku:20270120T120100\r\n" in data
    parsed = icalendar.Calendar.from_ical(data)
    assert [tz.tz_name for tz in parsed.timezones] == ["Asia/Baku"]
    minute = next(e for e in parsed.walk("VEVENT") if "minute-of-silence" in str(e["UID"]))
    assert minute.start.astimezone(ZoneInfo("UTC")) == datetime(
        2027, 1, 20, 8, 0, tzinfo=ZoneInfo("UTC")
    )
    assert str(minute["RELATED-TO"]) == "remembrance-january-20-2027@reminders.example.org"


def test_no_floating_times() -> None:
    for name, _args in GOLDEN_CASES:
        for event in icalendar.Calendar.from_ical(golden(name)).walk("VEVENT"):
            for key in ("DTSTART", "DTEND"):
                value = event.decoded(key)
                if isinstance(value, datetime):
                    assert value.tzinfo is not None, f"{name}: {event['UID']} {key} is floating"


def test_calendar_properties() -> None:
    parsed = icalendar.Calendar.from_ical(golden("remembrance-2025-2031.ics"))
    assert str(parsed["METHOD"]) == "PUBLISH"
    assert str(parsed["NAME"]) == str(parsed["X-WR-CALNAME"]) == "Remembrance days"
    assert "Remembrance days of Azerbaijan" in str(parsed["X-WR-CALDESC"])
    assert str(parsed["PRODID"]) == "-//reminders//Remembrance day calendar//EN"
    data = golden("remembrance-2025-2031.ics")
    # No UID on the VCALENDAR (DESIGN.md rule 6): vdirsyncer would make every event one item.
    assert "UID" not in parsed
    head = data.split(b"\r\nBEGIN:", 1)[0]
    assert b"\r\nUID" not in head
    assert b"\r\nREFRESH-INTERVAL;VALUE=DURATION:PT12H\r\n" in data
    assert b"\r\nX-PUBLISHED-TTL:PT12H\r\n" in data


def test_stamps_come_from_the_data_not_the_clock() -> None:
    data = golden("remembrance-2025-2031.ics")
    stamps = {line for line in data.split(b"\r\n") if line.startswith(b"DTSTAMP")}
    assert stamps == {b"DTSTAMP:20261123T000000Z"}  # the calendar's `revised`
    modified = {line for line in data.split(b"\r\n") if line.startswith(b"LAST-MODIFIED")}
    assert modified == {b"LAST-MODIFIED:20261123T000000Z"}


def test_descriptions_carry_facts_and_sources() -> None:
    parsed = icalendar.Calendar.from_ical(golden("remembrance-only-2027.ics"))
    january = next(e for e in parsed.walk("VEVENT") if "january-20-2027@" in str(e["UID"]))
    text = str(january["DESCRIPTION"])
    assert "131 people were killed and 744 injured" in text
    assert "(Source: APA news agency, report on the 34th anniversary, 20 January 2024.)" in text
    assert "Around 150 unarmed civilians" in text  # the other figure, attributed too
    assert "2027 marks the 37th anniversary" in text
    assert "- 12:00 Asia/Baku: Minute of silence" in text


def test_lines_are_crlf_folded_at_75_octets_without_splitting_utf8() -> None:
    for name, _args in GOLDEN_CASES:
        data = golden(name)
        assert data.endswith(b"END:VCALENDAR\r\n")
        lines = data.split(b"\r\n")[:-1]
        assert all(b"\n" not in line and b"\r" not in line for line in lines)
        for line in lines:
            assert len(line) <= 75, f"{name}: {len(line)} octets: {line[:40]!r}"
            line.decode("utf-8")  # a split multi-byte sequence would raise here


def test_non_ascii_text_round_trips_through_both_parsers() -> None:
    data = golden("multilingual-2027.ics")
    assert b"\r\n " in data  # long Urdu lines were folded
    parsed = icalendar.Calendar.from_ical(data)
    khojaly = next(e for e in parsed.walk("VEVENT") if "khojaly" in str(e["UID"]))
    assert str(khojaly["SUMMARY"]) == ("Xocalı soyqırımının 35th ildönümü — خوجالی نسل کشی کی برسی")
    assert 'semicolons; commas, and "quotes" \\ backslashes' in str(khojaly["DESCRIPTION"])
    strict = IcsCalendarStream.calendar_from_ics(data.decode("utf-8"))
    assert strict.events[0].summary == str(khojaly["SUMMARY"])
    assert strict.events[0].description == str(khojaly["DESCRIPTION"])
    assert strict.events[1].location == "Qafqaz zalı, اسلام آباد"


def test_event_is_zoned_in_karachi_and_linked() -> None:
    parsed = icalendar.Calendar.from_ical(golden("remembrance-2025-2031.ics"))
    event = next(e for e in parsed.walk("VEVENT") if "-event-" in str(e["UID"]))
    assert str(event["UID"]) == "remembrance-event-khojaly-roundtable-2027@reminders.example.org"
    assert event.start == datetime(2027, 2, 26, 15, 0, tzinfo=ZoneInfo("Asia/Karachi"))
    assert event.end - event.start == timedelta(hours=2)
    assert str(event["SUMMARY"]) == "Example: Roundtable: 35 years since Khojaly"
    assert str(event["LOCATION"]) == "Main Hall, Example Institute, Islamabad"
    assert str(event["RELATED-TO"]) == "remembrance-february-26-2027@reminders.example.org"


def test_private_calendar_is_left_out_of_the_combined_export() -> None:
    args = ("--config", str(ROOT / "tests/fixtures/config-cases.toml"), "export",
            "--from", "2027", "--to", "2027")  # fmt: skip
    combined = render(args)
    assert b"multilingual" not in combined
    assert b"UID:leap-default-policy-2027@test.example.org" in combined
    alone = render((*args, "--calendar", "multilingual"))
    assert b"UID:multilingual-khojaly-2027@test.example.org" in alone


def test_two_exports_are_byte_identical_across_processes(tmp_path: Path) -> None:
    # Different hash seeds change set and dict-of-set orders; the bytes must not change.
    outputs = []
    for seed in ("1", "2", "3", "4"):
        target = tmp_path / f"out-{seed}.ics"
        subprocess.run(
            [sys.executable, "-m", "reminders", "--config", str(ROOT / "config.toml"),
             "export", "--from", "2025", "--to", "2031", "-o", str(target)],
            check=True, env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True,
        )  # fmt: skip
        outputs.append(target.read_bytes())
    assert all(output == golden("remembrance-2025-2031.ics") for output in outputs)


# ---- calendar-level text: no control character reaches a content line ---------------------

CONTROL_NAME = "Cal\rX-INJ-CR:1\x00\x1b[31m\nX-INJ-LF:1"
CONTROL_DESCRIPTION = "First line\r\nsecond\rthird\nfourth\x00 with NUL, ESC \x1b and DEL \x7f."


def calendar_lines(data: bytes) -> list[bytes]:
    """The content lines of ``data`` before its first component, unfolded."""
    head = data.split(b"\r\nBEGIN:V", 2)[0] if data.count(b"BEGIN:V") > 1 else data
    return head.replace(b"\r\n ", b"").split(b"\r\n")


def assert_clean_lines(data: bytes) -> None:
    """Every line ends in CRLF, and no line holds a CR, LF, NUL or other control character."""
    assert data.endswith(b"\r\n")
    for line in data[:-2].split(b"\r\n"):
        assert not any(byte < 0x20 or byte == 0x7F for byte in line), line


def test_control_characters_in_a_calendar_name_and_description_never_reach_a_line() -> None:
    info = FeedInfo(CONTROL_NAME, CONTROL_DESCRIPTION, "example.org", timedelta(hours=12))
    data = build_ics((), 2027, 2027, info, examples=False)
    assert_clean_lines(data)
    lines = calendar_lines(data)
    # Each run of control characters in a name is one space: no injected property.
    assert b"NAME;VALUE=TEXT:Cal X-INJ-CR:1 [31m X-INJ-LF:1" in lines
    assert not any(line.startswith(b"X-INJ") for line in lines)
    parsed = icalendar.Calendar.from_ical(data)
    assert str(parsed["X-WR-CALNAME"]) == "Cal X-INJ-CR:1 [31m X-INJ-LF:1"
    # A description keeps its line breaks (CRLF, CR and LF alike), escaped as \n.
    shown = "First line\nsecond\nthird\nfourth  with NUL, ESC   and DEL  ."  # one space a run
    assert str(parsed["DESCRIPTION"]) == str(parsed["X-WR-CALDESC"]) == shown


def test_the_plans_calendar_name_is_written_safely_too() -> None:
    loaded = load(str(ROOT / "config.toml"), date(2026, 11, 23))
    plan = make_plan(loaded, 2027)._replace(organisation="Embassy\rX-INJ:1")
    data = plan_ics(plan, loaded.settings)
    assert_clean_lines(data)
    assert b"\r\nNAME;VALUE=TEXT:Embassy X-INJ:1: plan 2027\r\n" in data


@given(
    name=st.text(max_size=40),
    description=st.text(max_size=80),
)
@settings(max_examples=150, deadline=None)
def test_any_calendar_name_and_description_give_clean_lines_that_read_back(
    name: str, description: str
) -> None:
    info = FeedInfo(name, description, "example.org", timedelta(hours=12))
    data = build_ics((), 2027, 2027, info, examples=False)
    assert_clean_lines(data)
    parsed = icalendar.Calendar.from_ical(data)
    clean_name = calendar_text(name, multiline=False)
    clean_description = calendar_text(description, multiline=True)
    assert str(parsed.get("X-WR-CALNAME", "")) == str(parsed.get("NAME", "")) == clean_name
    assert str(parsed.get("X-WR-CALDESC", "")) == clean_description
    assert str(parsed.get("DESCRIPTION", "")) == clean_description
    assert "UID" not in parsed


# --- Cases found by mutation testing (bench/mutants.py): each fails on a small change ------------

INFO = FeedInfo("Feed", "About it", "test.example.org", timedelta(hours=12))


def _bundled() -> tuple[Calendar, ...]:
    return load(str(ROOT / "config.toml"), date(2026, 11, 23)).calendars


def test_an_all_day_planned_event_is_a_date_valued_vevent() -> None:
    (calendar,) = _bundled()
    all_day = Event(
        "open-day", "Open day", "Asia/Karachi", day=date(2027, 5, 4), description="Doors open."
    )
    data = build_ics((calendar._replace(events=(all_day,)),), 2027, 2027, INFO, examples=True)
    parsed = icalendar.Calendar.from_ical(data)
    (event,) = [e for e in parsed.walk("VEVENT") if "-event-" in str(e["UID"])]
    assert str(event["UID"]) == "remembrance-event-open-day@test.example.org"
    assert (event.decoded("DTSTART"), event.decoded("DTEND")) == (
        date(2027, 5, 4),
        date(2027, 5, 5),
    )
    assert b"DTSTART;VALUE=DATE:20270504\r\n" in data
    assert str(event["SUMMARY"]) == "Open day"  # not an example: no "Example: "
    assert str(event["DESCRIPTION"]) == "Doors open."
    assert "LOCATION" not in event  # no venue
    assert "RELATED-TO" not in event  # no observance
    assert "CATEGORIES" not in event  # no tags
    assert b"TZID=Asia/Karachi" not in data  # nothing zoned in Karachi, so no VTIMEZONE for it


def test_the_attachment_of_one_occurrence_has_its_day_moments_and_events() -> None:
    calendars = _bundled()
    found = occurrences(calendars, date(2027, 1, 1), date(2028, 1, 1))
    item = next(o for o in found if o.id == "remembrance:january-20:2027")
    roundtable = next(o for o in found if o.event is not None)
    data = occurrence_ics(item, (roundtable,), INFO)
    parsed = icalendar.Calendar.from_ical(data)
    uids = [str(e["UID"]) for e in parsed.walk("VEVENT")]
    assert uids == [
        "remembrance-january-20-2027@test.example.org",
        "remembrance-january-20-2027-minute-of-silence@test.example.org",
        "remembrance-event-khojaly-roundtable-2027@test.example.org",
    ]
    assert b"REFRESH-INTERVAL" not in data  # an attachment is not a subscription
    assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == ["Asia/Baku", "Asia/Karachi"]
    moment = parsed.walk("VEVENT")[1]
    assert str(moment["RELATED-TO"]) == uids[0]
    assert str(moment["DESCRIPTION"]).endswith(
        "\n\n12:00 Asia/Baku time, 37th anniversary of the January 20 Tragedy."
    )


def test_a_moment_without_a_description_is_described_by_its_time_alone() -> None:
    calendars = _bundled()
    item = next(
        o
        for o in occurrences(calendars, date(2027, 1, 20), date(2027, 1, 21))
        if o.observance is not None
    )
    plain = item.moments[0]._replace(moment=item.moments[0].moment._replace(description=""))
    assert describe_moment(item, plain, "en") == (
        "12:00 Asia/Baku time, 37th anniversary of the January 20 Tragedy."
    )


def test_year_window_defaults_and_errors() -> None:
    loaded = load(str(ROOT / "config.toml"), date(2026, 11, 23))
    feed = loaded.settings.feed
    assert year_window(loaded, date(2026, 11, 23), None, None) == (
        2026 - feed.past_years,
        2026 + feed.future_years,
    )
    assert year_window(loaded, date(2026, 11, 23), 2030, 2030) == (2030, 2030)
    assert year_window(loaded, date(2026, 11, 23), 1900, 2200) == (1900, 2200)
    with pytest.raises(UsageError, match="--from 2031 is after --to 2030; expected --from <= --to"):
        year_window(loaded, date(2026, 11, 23), 2031, 2030)
    for first, last in ((1899, 2000), (2000, 2201)):
        with pytest.raises(UsageError, match="out of range; expected years 1900 to 2200"):
            year_window(loaded, date(2026, 11, 23), first, last)


def test_export_of_an_unknown_calendar_names_the_known_ones() -> None:
    loaded = load(str(ROOT / "config.toml"), date(2026, 11, 23))
    with pytest.raises(UsageError, match="--calendar 'nope': no such calendar; expected one of: "
                       "remembrance"):  # fmt: skip
        export_ics(loaded, 2027, 2027, "nope", None)
    alone = export_ics(loaded, 2027, 2027, "remembrance", False)
    assert b"khojaly-roundtable" not in alone
    assert b"khojaly-roundtable" in export_ics(loaded, 2027, 2027, "remembrance", True)


def test_empty_names_and_descriptions_are_left_out_and_the_stamp_has_a_default() -> None:
    data = build_ics(
        (), 2027, 2027, FeedInfo("", " \n ", "x.org", timedelta(hours=1)), examples=True
    )
    assert b"NAME" not in data
    assert b"DESCRIPTION" not in data
    assert b"LAST-MODIFIED:20000101T000000Z\r\n" in data


@pytest.mark.parametrize(
    ("value", "multiline", "expected"),
    [
        ("  A\tname\r\n ", False, "A name"),
        ("line one  \r\nline\x00two\n\n", True, "line one\nline two"),
        ("a\u2028b", True, "a\nb"),
    ],
)
def test_calendar_text_cases(value: str, multiline: bool, expected: str) -> None:
    assert calendar_text(value, multiline=multiline) == expected


def test_an_observance_on_new_years_day_belongs_to_its_own_year_only() -> None:
    (calendar,) = _bundled()
    first = calendar.observances[0]._replace(rule=FixedDate(1, 1))
    data = build_ics((calendar._replace(observances=(first,)),), 2027, 2027, INFO, examples=False)
    days = [
        (str(e["UID"]), e.decoded("DTSTART"))
        for e in icalendar.Calendar.from_ical(data).walk("VEVENT")
        if "minute" not in str(e["UID"])
    ]
    assert days == [("remembrance-january-20-2027@test.example.org", date(2027, 1, 1))]


def test_the_feed_asks_for_its_words_in_the_organisations_language(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    loaded = load(str(ROOT / "config.toml"), date(2026, 11, 23))
    org = loaded.settings.organisation._replace(language="az")
    loaded = loaded._replace(settings=loaded.settings._replace(organisation=org))
    heard = []
    real = words.ordinal

    def ordinal(value: int, language: str) -> str:
        heard.append(language)
        return real(value, language)

    monkeypatch.setattr(words, "ordinal", ordinal)
    in_french = loaded.settings.organisation._replace(language="fr", languages=("fr",))
    export_ics(
        loaded._replace(settings=loaded.settings._replace(organisation=in_french)),
        2027,
        2027,
        None,
        None,
    )
    # No catalog translates the program's text into French: English throughout, never mixed.
    assert set(heard) == {"en"}
    heard.clear()
    export_ics(loaded, 2027, 2027, None, None)
    # The descriptions speak the organisation's language (the titles are the calendar's own).
    assert "az" in heard


def test_the_attachments_time_zones_cover_what_a_one_year_export_covers() -> None:
    calendars = _bundled()
    found = occurrences(calendars, date(2027, 1, 1), date(2028, 1, 1))
    item = next(o for o in found if o.id == "remembrance:january-20:2027")
    roundtable = next(o for o in found if o.event is not None)

    def zones(data: bytes) -> list[bytes]:
        return [tz.to_ical() for tz in icalendar.Calendar.from_ical(data).walk("VTIMEZONE")]

    attached = zones(occurrence_ics(item, (roundtable,), INFO))
    assert attached == zones(build_ics(calendars, 2027, 2027, INFO, examples=True))
    assert b"COMMENT:This timezone only works from 2027-01-01 to 2028-12-31" in attached[0]
