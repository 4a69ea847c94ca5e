"""Validation: every problem of every file, each naming the file, key, line, bad value and what
was expected; and no traceback reaching the user for any of them.

Calendar cases live in ``tests/fixtures/<case>.toml``; each fixture's first line says what is
wrong with it.  The tests run in a fresh working folder, so messages show paths such as
``calendars/feb30.toml``, as a user running ``reminders`` in their project folder sees them.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from reminders.config import schema
from reminders.config.calendars import load_calendars
from reminders.config.config_file import load_config
from reminders.core.errors import MISSING, CalendarError, ConfigError, Problem
from tests.conftest import FIXTURES, ROOT, TODAY

IANA = "an IANA time zone name such as 'Asia/Baku' or 'Europe/London'"
MONTH_DAY = "a month and day written MM-DD, such as '01-20'"
ISO_DURATION = "an ISO 8601 duration such as 'PT1M', 'PT2H30M' or 'P1D'"
REFRESH_EXPECTED = "an ISO 8601 duration longer than zero, up to P366D, such as 'PT12H'"
LANGUAGE_EXPECTED = "a BCP 47 language tag that CLDR knows, such as 'en', 'az', 'ru' or 'ur-PK'"
OBSERVANCE_KEYS = (
    "id, title, date, rrule, leap_day, since, description, tags, fact, moment, translations"
)
CALENDAR_KEYS = "id, name, description, timezone, public, revised, language, translations"
ONE_OF_DATE_RRULE = "exactly one of date = 'MM-DD' or rrule = 'FREQ=YEARLY;...'"
ONE_LINE = "one line of text, without line breaks, tabs or other control characters"
ONE_OF_START_DATE = "exactly one of start = <local date-time> (with duration) or date = <date>"


# --- Helpers --------------------------------------------------------------------------------


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty working folder: messages name files relative to it."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def calendar_folder(workdir: Path) -> Callable[..., Path]:
    """``calendar_folder("feb30.toml", ...)``: a ``calendars/`` folder holding those fixtures."""
    folder = workdir / "calendars"
    folder.mkdir()

    def make(*names: str) -> Path:
        for name in names:
            shutil.copyfile(FIXTURES / name, folder / name)
        return folder

    return make


def fixture_text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def calendar_problems(folder: Path) -> list[str]:
    """What ``load_calendars`` reports for ``folder``, one line per problem, as users read it."""
    with pytest.raises(CalendarError) as caught:
        load_calendars(folder, TODAY)
    return [str(problem) for problem in caught.value.problems]


def config_problems(path: Path) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return [str(problem) for problem in caught.value.problems]


# --- Calendar files: one case per fixture -----------------------------------------------------

CALENDAR_CASES = [
    (
        "missing_keys.toml",
        [
            "calendars/missing_keys.toml:2: calendar.name: missing; "
            "expected the calendar's name as subscribers see it",
            "calendars/missing_keys.toml:6: observance 'january-20'.since: missing; "
            "expected the year of the commemorated event, such as 1990",
            "calendars/missing_keys.toml:6: observance 'january-20'.description: missing; "
            "expected a short description in the calendar's own words",
        ],
    ),
    (
        "unknown_keys.toml",
        [
            "calendars/unknown_keys.toml:6: calendar.colour: unknown key; "
            f"expected a known key ({CALENDAR_KEYS})",
            "calendars/unknown_keys.toml:14: observance 'january-20'.descripton: unknown key; "
            f"expected a known key ({OBSERVANCE_KEYS})",
        ],
    ),
    (
        "feb30.toml",
        [
            "calendars/feb30.toml:17: observance 'february-30'.date: got '02-30'; "
            f"expected {MONTH_DAY} (February has 29 days at most)",
        ],
    ),
    (
        "month13.toml",
        [
            "calendars/month13.toml:10: observance 'november-10'.date: got '13-10'; "
            f"expected {MONTH_DAY} (there is no month 13)",
        ],
    ),
    (
        "unknown_timezone.toml",
        [
            "calendars/unknown_timezone.toml:5: calendar.timezone: got 'Asia/Bakuu'; "
            f"expected {IANA}",
            "calendars/unknown_timezone.toml:19: observance 'january-20'.moment[1].timezone: "
            f"got 'Mars/Olympus_Mons'; expected {IANA}",
        ],
    ),
    (
        "duplicate_observance_id.toml",
        [
            "calendars/duplicate_observance_id.toml:15: observance[2].id: got 'january-20'; "
            "expected an id not used by another observance or event here (observance[1] has it)",
        ],
    ),
    (
        "rrule_unparsable.toml",
        [
            "calendars/rrule_unparsable.toml:10: observance 'mothers-day'.rrule: "
            "got 'FREQ=YEARLY;BYMONHT=5;BYDAY=2SU'; "
            "expected an RRULE that python-dateutil can parse (unknown parameter 'BYMONHT')",
        ],
    ),
    (
        "since_in_future.toml",
        [
            "calendars/since_in_future.toml:11: observance 'september-27'.since: got 2030; "
            "expected a year not after 2026 (this year)",
        ],
    ),
    (
        "event_missing_observance.toml",
        [
            "calendars/event_missing_observance.toml:17: event "
            "'khojaly-roundtable-2027'.observance: got 'febuary-26'; "
            "expected the id of an observance in this calendar (february-26)",
        ],
    ),
    (
        "rrule_monthly.toml",
        [
            "calendars/rrule_monthly.toml:10: observance 'monthly-vigil'.rrule: "
            "got 'FREQ=MONTHLY;BYMONTHDAY=20'; "
            "expected an RRULE with FREQ=YEARLY (an observance happens once a year)",
        ],
    ),
    (
        "rrule_twice_a_year.toml",
        [
            "calendars/rrule_twice_a_year.toml:10: observance 'half-yearly'.rrule: "
            "got 'FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=20'; expected an RRULE with at most one "
            "date a year (it gives 1990-01-20 and 1990-07-20 in 1990)",
        ],
    ),
    (
        "leap_day_not_feb29.toml",
        [
            "calendars/leap_day_not_feb29.toml:11: observance 'february-28'.leap_day: got 'mar1'; "
            "expected leap_day only with date = '02-29'",
        ],
    ),
    (
        "date_and_rrule.toml",
        [
            "calendars/date_and_rrule.toml:11: observance 'january-20'.rrule: "
            f"got 'FREQ=YEARLY;BYMONTH=1;BYMONTHDAY=20'; expected {ONE_OF_DATE_RRULE}",
        ],
    ),
    (
        "neither_date_nor_rrule.toml",
        [
            "calendars/neither_date_nor_rrule.toml:7: observance 'january-20'.date: missing; "
            f"expected {ONE_OF_DATE_RRULE}",
        ],
    ),
    (
        "unknown_placeholder.toml",
        [
            "calendars/unknown_placeholder.toml:9: observance 'january-20'.title: "
            "got '{ordinall} anniversary of the January 20 Tragedy'; "
            "expected a title whose only placeholders are {ordinal}, {number}, {year}, {since}",
        ],
    ),
    (
        "event_start_without_duration.toml",
        [
            "calendars/event_start_without_duration.toml:7: event 'seminar-2027'.duration: "
            "missing; "
            "expected an ISO 8601 duration such as 'PT2H' for a timed event",
        ],
    ),
    (
        "event_in_dst_gap.toml",
        [
            "calendars/event_in_dst_gap.toml:10: event 'london-vigil-2027'.start: got "
            "'2027-03-28T01:30:00'; "
            "expected a time that exists in Europe/London (it falls in a daylight-saving gap)",
        ],
    ),
    (
        "event_start_and_date.toml",
        [
            "calendars/event_start_and_date.toml:10: event 'seminar-2027'.start: "
            f"got '2027-09-27T10:00:00'; expected {ONE_OF_START_DATE}",
        ],
    ),
    (
        "event_date_with_duration.toml",
        [
            "calendars/event_date_with_duration.toml:11: event 'photo-exhibition-2027'.duration: "
            "got 'PT2H'; "
            "expected no duration for an all-day event (date = ...)",
        ],
    ),
    (
        "duplicate_moment_id.toml",
        [
            "calendars/duplicate_moment_id.toml:21: observance 'january-20'.moment[2].id: "
            "got 'minute-of-silence'; expected an id not used by another moment of this observance",
        ],
    ),
    (
        "unknown_top_level_table.toml",
        [
            "calendars/unknown_top_level_table.toml:14: events: unknown key; "
            "expected a known key (calendar, observance, event)",
        ],
    ),
    (
        "calendar_table_missing.toml",
        ["calendars/calendar_table_missing.toml: calendar: missing; expected a [calendar] table"],
    ),
]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [pytest.param(name, lines, id=name.removesuffix(".toml")) for name, lines in CALENDAR_CASES],
)
def test_calendar_problem_names_file_line_key_value_and_expectation(
    calendar_folder: Callable[..., Path], fixture: str, expected: list[str]
) -> None:
    assert calendar_problems(calendar_folder(fixture)) == expected


def test_the_valid_base_fixture_loads(calendar_folder: Callable[..., Path]) -> None:
    (calendar,) = load_calendars(calendar_folder("minimal.toml"), TODAY)
    assert calendar.id == "minimal"
    assert [o.id for o in calendar.observances] == ["january-20"]
    assert [e.observance for e in calendar.events] == ["january-20"]


def test_problem_carries_its_parts_as_values(calendar_folder: Callable[..., Path]) -> None:
    with pytest.raises(CalendarError) as caught:
        load_calendars(calendar_folder("feb30.toml"), TODAY)
    assert caught.value.problems == (
        Problem(
            file="calendars/feb30.toml",
            key="observance 'february-30'.date",
            value="02-30",
            expected=f"{MONTH_DAY} (February has 29 days at most)",
            line=17,
        ),
    )
    assert caught.value.message() == (
        "1 problem in the calendars:\n"
        "  calendars/feb30.toml:17: observance 'february-30'.date: got '02-30'; "
        f"expected {MONTH_DAY} (February has 29 days at most)"
    )


def test_missing_key_is_reported_as_missing_at_its_table_line(
    calendar_folder: Callable[..., Path],
) -> None:
    with pytest.raises(CalendarError) as caught:
        load_calendars(calendar_folder("neither_date_nor_rrule.toml"), TODAY)
    (problem,) = caught.value.problems
    assert problem.value is MISSING
    assert problem.line == 7  # the [[observance]] header: the key itself has no line
    assert fixture_text("neither_date_nor_rrule.toml").splitlines()[6] == "[[observance]]"


def test_bad_toml_names_the_parser_line(calendar_folder: Callable[..., Path]) -> None:
    (problem,) = calendar_problems(calendar_folder("bad_toml.toml"))
    assert problem == (
        "calendars/bad_toml.toml:8:17: TOML syntax error: a quoted string is not closed before "
        "the end of its line (close it with the same quote, or use triple quotes for several lines)"
    )


def test_empty_calendar_folder(calendar_folder: Callable[..., Path]) -> None:
    assert calendar_problems(calendar_folder()) == [
        "calendars: at least one calendar file (*.toml) in this folder"
    ]


def test_folder_with_no_toml_file_counts_as_empty(
    calendar_folder: Callable[..., Path],
) -> None:
    folder = calendar_folder()
    (folder / "README.md").write_text("Calendars go here.\n", encoding="utf-8")
    (folder / "old.toml.bak").write_text("[calendar]\n", encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars: at least one calendar file (*.toml) in this folder"
    ]


def test_missing_calendar_folder(workdir: Path) -> None:
    assert calendar_problems(workdir / "nowhere") == [
        "nowhere: a folder of calendar files (*.toml)"
    ]


def test_non_utf8_file_names_the_line_of_the_bad_byte(calendar_folder: Callable[..., Path]) -> None:
    folder = calendar_folder()
    # Saved as Latin-1 by an old editor: "é" is the single byte 0xE9 at offset 20, on line 2.
    (folder / "latin1.toml").write_bytes(b'[calendar]\nid = "caf\xe9"\n')
    assert calendar_problems(folder) == [
        "calendars/latin1.toml:2: UTF-8 text (bad byte at offset 20)"
    ]


def test_duplicate_calendar_id_across_two_files(calendar_folder: Callable[..., Path]) -> None:
    folder = calendar_folder()
    shutil.copyfile(FIXTURES / "minimal.toml", folder / "a.toml")
    shutil.copyfile(FIXTURES / "minimal.toml", folder / "b.toml")
    assert calendar_problems(folder) == [
        "calendars/b.toml:3: calendar.id: got 'minimal'; "
        "expected an id not used by another calendar (calendars/a.toml has it)"
    ]


def test_every_problem_of_one_file_is_reported(calendar_folder: Callable[..., Path]) -> None:
    file = "calendars/many_problems.toml"
    assert calendar_problems(calendar_folder("many_problems.toml")) == [
        f"{file}:35: oservance: unknown key; expected a known key (calendar, observance, event)",
        f"{file}:3: calendar.id: got 'Many Problems'; expected an id of lower-case letters, "
        "digits and inner hyphens, such as 'january-20'",
        f"{file}:6: calendar.public: got 'yes'; expected true or false",
        # Line 16, not line 14: "since = ..." on line 14 is inside a multi-line string.
        f"{file}:16: observance 'january-20'.since: got '1990'; expected a whole number from 1 to "
        "9999",
        f"{file}:18: observance 'january-20'.fact[1].source: missing; "
        "expected where the fact comes from (publication, date, speaker)",
        f"{file}:24: observance 'january-20'.moment[1].time: got 'noon'; "
        "expected a local time written HH:MM, such as '12:00'",
        f"{file}:25: observance 'january-20'.moment[1].duration: got 'PT0M'; "
        "expected an ISO 8601 duration longer than zero, up to P1D, such as 'PT1M'",
        f"{file}:30: observance 'february-26'.date: got '2-26'; expected {MONTH_DAY}",
        f"{file}:33: observance 'february-26'.tags: got ['khojaly', 'Genocide Day']; expected a "
        "list of "
        "ids; 'Genocide Day' is not an id of lower-case letters, digits and inner hyphens, "
        "such as 'january-20'",
        f"{file}:42: event 'khojaly-roundtable-2027'.start: got '2027-02-26T15:00:00+05:00'; "
        "expected a local date "
        "and time without offset, such as 2027-02-26T15:00:00 (the time zone goes in its own key)",
        f"{file}:43: event 'khojaly-roundtable-2027'.duration: got '2 hours'; "
        "expected an ISO 8601 duration longer than zero, up to P366D, such as 'PT2H'",
    ]


def test_every_problem_of_every_file_is_reported(calendar_folder: Callable[..., Path]) -> None:
    folder = calendar_folder(
        "feb30.toml", "minimal.toml", "month13.toml", "unknown_timezone.toml", "bad_toml.toml"
    )
    problems = calendar_problems(folder)
    # Files in name order; the valid minimal.toml adds nothing.
    assert [p.split(":", 1)[0] for p in problems] == [
        "calendars/bad_toml.toml",
        "calendars/feb30.toml",
        "calendars/month13.toml",
        "calendars/unknown_timezone.toml",
        "calendars/unknown_timezone.toml",
    ]
    expected_tail = [
        line
        for name in ("feb30.toml", "month13.toml", "unknown_timezone.toml")
        for line in dict(CALENDAR_CASES)[name]
    ]
    assert problems[1:] == expected_tail


def test_unknown_table_does_not_hide_the_other_problems(
    calendar_folder: Callable[..., Path],
) -> None:
    folder = calendar_folder()
    body = fixture_text("unknown_top_level_table.toml").replace('"01-20"', '"02-30"')
    (folder / "typo.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars/typo.toml:14: events: unknown key; "
        "expected a known key (calendar, observance, event)",
        "calendars/typo.toml:10: observance 'january-20'.date: got '02-30'; "
        f"expected {MONTH_DAY} (February has 29 days at most)",
    ]


def test_missing_calendar_table_does_not_hide_the_other_problems(
    calendar_folder: Callable[..., Path],
) -> None:
    folder = calendar_folder()
    body = fixture_text("calendar_table_missing.toml").replace("since = 1990", "since = 2030")
    (folder / "headless.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars/headless.toml: calendar: missing; expected a [calendar] table",
        "calendars/headless.toml:7: observance 'january-20'.since: got 2030; "
        "expected a year not after 2026 (this year)",
    ]


def test_event_linked_to_an_invalid_observance_is_not_reported_as_missing(
    calendar_folder: Callable[..., Path],
) -> None:
    """The observance exists; only its date is wrong, so that is the one problem."""
    folder = calendar_folder()
    body = fixture_text("minimal.toml").replace('"01-20"', '"01-32"')
    (folder / "linked.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars/linked.toml:10: observance 'january-20'.date: got '01-32'; "
        f"expected {MONTH_DAY} (January has 31 days at most)",
    ]


def test_duplicate_id_is_found_even_when_the_table_has_another_problem(
    calendar_folder: Callable[..., Path],
) -> None:
    folder = calendar_folder()
    body = fixture_text("duplicate_observance_id.toml").replace('"02-26"', '"02-30"')
    (folder / "both.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars/both.toml:17: observance[2].date: got '02-30'; "
        f"expected {MONTH_DAY} (February has 29 days at most)",
        "calendars/both.toml:15: observance[2].id: got 'january-20'; "
        "expected an id not used by another observance or event here (observance[1] has it)",
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ('rrule = "FREQ=YEARLY;BYMONHT=5;BYDAY=2SU"', 'rrule = "FREQ=YEARLY;INTERVAL=0"'),
            "got 'FREQ=YEARLY;INTERVAL=0'; "
            "expected an RRULE whose INTERVAL is a whole number from 1 to 100, "
            "such as 'INTERVAL=1'",
            id="interval-zero-would-loop-forever",
        ),
        pytest.param(
            (
                'rrule = "FREQ=YEARLY;BYMONHT=5;BYDAY=2SU"',
                'rrule = "FREQ=YEARLY;BYMONTH=5;BYDAY=2SU;INTERVAL=1000000000"',
            ),
            "got 'FREQ=YEARLY;BYMONTH=5;BYDAY=2SU;INTERVAL=1000000000'; "
            "expected an RRULE whose INTERVAL is a whole number from 1 to 100, "
            "such as 'INTERVAL=1'",
            id="interval-of-a-billion-years-gives-no-date",
        ),
        pytest.param(
            ('rrule = "FREQ=YEARLY;BYMONHT=5;BYDAY=2SU"', 'rrule = "FREQ=YEARLY;BYMONTH=13"'),
            "got 'FREQ=YEARLY;BYMONTH=13'; "
            "expected an RRULE that gives a date (it gives none from 1990 to 2139)",
            id="rule-that-never-happens",
        ),
        pytest.param(
            ('rrule = "FREQ=YEARLY;BYMONHT=5;BYDAY=2SU"', 'rrule = "FREQ=YEARLY;BYEASTER=1000"'),
            "got 'FREQ=YEARLY;BYEASTER=1000'; "
            "expected an RRULE that python-dateutil can parse (list assignment index out of range)",
            id="fails-while-expanding",
        ),
    ],
)
def test_rrule_that_dateutil_cannot_use(
    calendar_folder: Callable[..., Path], change: tuple[str, str], expected: str
) -> None:
    folder = calendar_folder()
    body = fixture_text("rrule_unparsable.toml").replace(*change)
    (folder / "rule.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        f"calendars/rule.toml:10: observance 'mothers-day'.rrule: {expected}"
    ]


def test_future_since_with_rrule_is_one_problem(calendar_folder: Callable[..., Path]) -> None:
    folder = calendar_folder()
    body = fixture_text("rrule_unparsable.toml").replace("BYMONHT", "BYMONTH")
    (folder / "rule.toml").write_text(body.replace("since = 1990", "since = 9990"), "utf-8")
    assert calendar_problems(folder) == [
        "calendars/rule.toml:11: observance 'mothers-day'.since: got 9990; "
        "expected a year not after 2026 (this year)"
    ]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        pytest.param(
            ("start = 2027-01-20T11:00:00", "start = 0001-01-01T00:00:00"),
            "calendars/edge.toml:18: event 'remembrance-session-2027'.start: got "
            "'0001-01-01T00:00:00'; "
            "expected a start and end within the years 1 to 9999, in UTC as well",
            id="event-before-year-1-in-utc",
        ),
        pytest.param(
            ("start = 2027-01-20T11:00:00", "start = 9999-12-31T23:30:00"),
            "calendars/edge.toml:18: event 'remembrance-session-2027'.start: got "
            "'9999-12-31T23:30:00'; "
            "expected a start and end within the years 1 to 9999, in UTC as well",
            id="event-ending-after-9999",
        ),
        pytest.param(
            ('duration = "PT2H"', 'duration = "P1000000000D"'),
            "calendars/edge.toml:19: event 'remembrance-session-2027'.duration: got "
            "'P1000000000D'; "
            "expected an ISO 8601 duration longer than zero, up to P366D, such as 'PT2H'",
            id="duration-too-long-for-python",
        ),
        pytest.param(
            (
                'timezone = "Asia/Baku"',
                'timezone = "Asia/Baku"\nrevised = 0001-01-01T00:00:00+05:00',
            ),
            "calendars/edge.toml:6: calendar.revised: got '0001-01-01T00:00:00+05:00'; "
            "expected a date-time with offset such as 2026-11-23T00:00:00Z, or a date "
            "(in UTC within years 1 to 9999)",
            id="revised-before-year-1-in-utc",
        ),
        pytest.param(
            ('description = "The night', 'fact = 5\ndescription = "The night'),
            "calendars/edge.toml:12: observance 'january-20'.fact: got 5; "
            "expected an array of tables ([[observance.fact]])",
            id="fact-not-a-table",
        ),
    ],
)
def test_values_python_cannot_hold_are_problems_not_tracebacks(
    calendar_folder: Callable[..., Path], change: tuple[str, str], expected: str
) -> None:
    folder = calendar_folder()
    body = fixture_text("minimal.toml")
    assert change[0] in body
    (folder / "edge.toml").write_text(body.replace(*change, 1), encoding="utf-8")
    assert calendar_problems(folder) == [expected]


# --- Config ---------------------------------------------------------------------------------

VALID_CONFIG = """\
[organisation]
name = "Test Institute"
timezone = "Asia/Karachi"
country = "PK"
weekend = ["Saturday", "Sunday"]
uid_domain = "test.example.org"

[paths]
calendars = "calendars"

[feed]
name = "Test feed"
refresh_interval = "PT12H"
"""
FEED_KEYS = (
    "name, description, listen, base_url, past_years, future_years, refresh_interval, "
    "include_examples, tokens_env, tokens_file, head_timeout, translations"
)


@pytest.fixture
def config_file(workdir: Path) -> Callable[[str], Path]:
    """``config_file(text)``: write ``config.toml`` in the working folder."""

    def make(text: str) -> Path:
        path = workdir / "config.toml"
        path.write_text(text, encoding="utf-8")
        return path

    return make


def test_valid_config_loads(config_file: Callable[[str], Path]) -> None:
    settings = load_config(config_file(VALID_CONFIG))
    assert settings.organisation.timezone == "Asia/Karachi"
    assert settings.feed.refresh_interval.total_seconds() == 12 * 3600
    assert settings.feed.head_timeout.total_seconds() == 10  # the default
    text = VALID_CONFIG.replace(
        'name = "Test feed"\n', 'name = "Test feed"\nhead_timeout = "PT3S"\n'
    )
    assert load_config(config_file(text)).feed.head_timeout.total_seconds() == 3


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        pytest.param(
            'name = "Test feed"\n',
            'name = "Test feed"\nrefresh = "PT1H"\n',
            f"config.toml:13: feed.refresh: unknown key; expected a known key ({FEED_KEYS})",
            id="unknown-key",
        ),
        pytest.param(
            '"Asia/Karachi"',
            '"Asia/Islamabad"',
            f"config.toml:3: organisation.timezone: got 'Asia/Islamabad'; expected {IANA}",
            id="bad-timezone",
        ),
        pytest.param(
            '["Saturday", "Sunday"]',
            '["Friday", "Sunnday"]',
            "config.toml:5: organisation.weekend: got ['Friday', 'Sunnday']; expected a list "
            "of weekday names; 'Sunnday' is not a weekday name: Monday, Tuesday, Wednesday, "
            "Thursday, Friday, Saturday, Sunday",
            id="bad-weekday",
        ),
        pytest.param(
            '"test.example.org"',
            '"https://test.example.org"',
            "config.toml:6: organisation.uid_domain: got 'https://test.example.org'; "
            "expected a lower-case domain name you control, such as 'embassy.example.org'",
            id="bad-uid-domain",
        ),
        pytest.param(
            '"PT12H"',
            '"12h"',
            f"config.toml:13: feed.refresh_interval: got '12h'; expected {REFRESH_EXPECTED}",
            id="bad-refresh-interval",
        ),
        pytest.param(
            '"PT12H"',
            '"PT0S"',
            f"config.toml:13: feed.refresh_interval: got 'PT0S'; expected {REFRESH_EXPECTED}",
            id="zero-refresh-interval",
        ),
        pytest.param(
            '"PT12H"',
            '"P9999999999D"',
            "config.toml:13: feed.refresh_interval: got 'P9999999999D'; "
            f"expected {REFRESH_EXPECTED}",
            id="refresh-interval-too-long",
        ),
        *(
            pytest.param(
                'name = "Test feed"\n',
                f'name = "Test feed"\nhead_timeout = {value}\n',
                f"config.toml:13: feed.head_timeout: got {shown}; "
                "expected an ISO 8601 duration longer than zero, up to PT5M, such as 'PT10S'",
                id=f"head-timeout-{label}",
            )
            for value, shown, label in [
                ('"PT0S"', "'PT0S'", "zero"),
                ('"PT6M"', "'PT6M'", "too-long"),
                ('"P1D"', "'P1D'", "a-day"),
                ("10", "10", "a-number"),
            ]
        ),
        pytest.param(
            'country = "PK"\n',
            'country = "PK"\nlanguage = "az\\r\\nBcc: x@example.org"\n',
            "config.toml:5: organisation.language: got 'az\\r\\nBcc: x@example.org'; "
            f"expected {LANGUAGE_EXPECTED}",
            id="bad-language",
        ),
        *(
            pytest.param(
                'country = "PK"\n',
                f'country = "PK"\nlanguage = "{tag}"\n',
                f"config.toml:5: organisation.language: got '{tag}'; expected {LANGUAGE_EXPECTED}",
                id=f"language-{tag}",
            )
            # Not a tag; a tag of no language CLDR knows; one Babel would read as English.
            for tag in ("french", "xx", "zz-ZZ", "und")
        ),
        pytest.param(
            'uid_domain = "test.example.org"\n',
            "",
            "config.toml:1: organisation.uid_domain: missing; "
            "expected a domain you control; it makes event UIDs unique",
            id="missing-key",
        ),
        pytest.param(
            VALID_CONFIG.split("[paths]")[0],
            "",
            "config.toml: organisation: missing; expected an [organisation] table",
            id="missing-organisation",
        ),
        pytest.param(
            "[feed]",
            "[[feed]]",
            "config.toml:11: feed: got a list; expected a table",
            id="section-not-a-table",
        ),
    ],
)
def test_config_problem_names_file_line_key_value_and_expectation(
    config_file: Callable[[str], Path], old: str, new: str, expected: str
) -> None:
    assert old in VALID_CONFIG
    assert config_problems(config_file(VALID_CONFIG.replace(old, new, 1))) == [expected]


def test_every_config_problem_is_reported(config_file: Callable[[str], Path]) -> None:
    text = (
        VALID_CONFIG.replace('"Asia/Karachi"', '"Asia/Islamabad"')
        .replace('["Saturday", "Sunday"]', '["Friday", "Sunnday"]')
        .replace('"PT12H"', '"12h"')
        + '\n[[reminder]]\nid = "press-note"\n'
    )
    problems = config_problems(config_file(text))
    assert [p.split(": ", 2)[:2] for p in problems] == [
        ["config.toml:15", "reminder"],  # the unknown table does not hide the others
        ["config.toml:3", "organisation.timezone"],
        ["config.toml:5", "organisation.weekend"],
        ["config.toml:13", "feed.refresh_interval"],
    ]


def test_missing_config_file(workdir: Path) -> None:
    assert config_problems(workdir / "missing.toml") == [
        "missing.toml: no such file; expected a config file (--config PATH or $REMINDERS_CONFIG)"
    ]


def test_bad_toml_in_config(config_file: Callable[[str], Path]) -> None:
    (problem,) = config_problems(config_file(VALID_CONFIG.replace('"PT12H"', "PT12H")))
    assert problem == (
        "config.toml:13:20: TOML syntax error: this is not a TOML value (text needs quotes, as "
        'in name = "Text"; numbers, true, false, dates and [lists] do not)'
    )


def test_non_utf8_config(workdir: Path) -> None:
    path = workdir / "config.toml"
    latin1 = VALID_CONFIG.replace("Test Institute", "Institut d'\xe9tudes").encode("latin-1")
    path.write_bytes(latin1)
    assert config_problems(path) == ["config.toml:2: UTF-8 text (bad byte at offset 34)"]


# --- Through the command line ---------------------------------------------------------------

Cli = Callable[..., tuple[int, str, str]]


def test_check_lists_every_problem_of_config_and_calendars(
    workdir: Path, project: Callable[..., Path], cli: Cli
) -> None:
    files = {name: fixture_text(name) for name in ("feb30.toml", "unknown_timezone.toml")}
    config = project(files, timezone="Asia/Islamabad")
    code, out, err = cli("--config", str(config), "check")
    expected = [
        "4 problems found:",
        f"  config.toml:3: organisation.timezone: got 'Asia/Islamabad'; expected {IANA}",
        *(f"  {line}" for line in dict(CALENDAR_CASES)["feb30.toml"]),
        *(f"  {line}" for line in dict(CALENDAR_CASES)["unknown_timezone.toml"]),
    ]
    assert (code, out, err.splitlines()) == (1, "", expected)


@pytest.mark.parametrize(
    "fixture",
    [
        pytest.param(name, id=name.removesuffix(".toml"))
        for name, _ in CALENDAR_CASES
        if name != "since_in_future.toml"  # the CLI's "today" is the real one
    ]
    + ["bad_toml.toml", "many_problems.toml"],
)
def test_check_reports_each_case_without_traceback(
    workdir: Path, project: Callable[..., Path], cli: Cli, fixture: str
) -> None:
    config = project({fixture: fixture_text(fixture)})
    code, out, err = cli("--config", str(config), "check")
    assert code == 1
    assert out == ""
    assert "Traceback" not in err
    lines = err.splitlines()
    assert lines[0] == f"{len(lines) - 1} problem{'s' if len(lines) > 2 else ''} found:"
    assert all(line.startswith(f"  calendars/{fixture}") for line in lines[1:])
    if fixture in dict(CALENDAR_CASES):
        assert lines[1:] == [f"  {line}" for line in dict(CALENDAR_CASES)[fixture]]


def test_check_on_missing_config_file(workdir: Path, cli: Cli) -> None:
    code, out, err = cli("--config", "missing.toml", "check")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "1 problem found:",
        "  missing.toml: no such file; expected a config file (--config PATH or $REMINDERS_CONFIG)",
    ]


def test_check_on_the_bundled_config_passes(cli: Cli) -> None:
    code, out, err = cli("--config", str(ROOT / "config.toml"), "check")
    assert code == 0
    assert all(line.startswith("warning: ") for line in err.splitlines()), err  # unreviewed ur
    assert "calendar remembrance (" in out
    assert out.splitlines()[-1].startswith("All checks passed: ")


def test_upcoming_on_an_invalid_calendar_prints_the_problem_and_nothing_else(
    workdir: Path, project: Callable[..., Path], cli: Cli
) -> None:
    config = project({"feb30.toml": fixture_text("feb30.toml")})
    code, out, err = cli("--config", str(config), "upcoming")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "reminders: 1 problem in the calendars:",
        *(f"  {line}" for line in dict(CALENDAR_CASES)["feb30.toml"]),
    ]


def test_export_on_an_invalid_calendar_writes_no_file(
    workdir: Path, project: Callable[..., Path], cli: Cli
) -> None:
    config = project({"month13.toml": fixture_text("month13.toml")})
    before = sorted(p.name for p in workdir.iterdir())
    code, out, err = cli("--config", str(config), "export", "-o", "remembrance.ics")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "reminders: 1 problem in the calendars:",
        *(f"  {line}" for line in dict(CALENDAR_CASES)["month13.toml"]),
    ]
    # Neither the file nor a temporary .remembrance.ics.* file is left behind.
    assert sorted(p.name for p in workdir.iterdir()) == before == ["calendars", "config.toml"]


def test_export_to_stdout_on_an_invalid_config_writes_nothing(
    workdir: Path, project: Callable[..., Path], cli: Cli
) -> None:
    config = project({"minimal.toml": fixture_text("minimal.toml")}, timezone="Asia/Islamabad")
    code, out, err = cli("--config", str(config), "export")
    assert (code, out) == (1, "")
    assert err.splitlines() == [
        "reminders: 1 problem in the configuration:",
        f"  config.toml:3: organisation.timezone: got 'Asia/Islamabad'; expected {IANA}",
    ]


def test_line_separators_inside_text_do_not_shift_line_numbers(
    calendar_folder: Callable[..., Path],
) -> None:
    """U+2028 and U+0085 (pasted from a word processor) break lines for str.splitlines(), not
    for TOML: the problem below the text is still on line 17.  In a name, a single line, they
    are a problem of their own."""
    folder = calendar_folder()
    body = fixture_text("feb30.toml").replace(
        'name = "February 30"', 'name = "February\u2028thirty\x85"'
    )
    (folder / "pasted.toml").write_text(body, encoding="utf-8")
    assert calendar_problems(folder) == [
        "calendars/pasted.toml:4: calendar.name: got 'February\\u2028thirty\\x85'; "
        f"expected {ONE_LINE} (this has U+2028, a line break, at character 9)",
        "calendars/pasted.toml:17: observance 'february-30'.date: got '02-30'; "
        f"expected {MONTH_DAY} (February has 29 days at most)",
    ]


def test_unknown_key_that_is_not_bare_is_quoted(calendar_folder: Callable[..., Path]) -> None:
    """A trailing space or a line break in a key stays visible and on one line."""
    folder = calendar_folder()
    body = fixture_text("minimal.toml").replace(
        'timezone = "Asia/Baku"', 'timezone = "Asia/Baku"\n"colour " = "red"\n"a\\nb" = 1'
    )
    (folder / "quoted.toml").write_text(body, encoding="utf-8")
    # Quoted keys are not followed by the line finder: the line is that of their table.
    assert calendar_problems(folder) == [
        "calendars/quoted.toml:2: calendar.'colour ': unknown key; "
        f"expected a known key ({CALENDAR_KEYS})",
        "calendars/quoted.toml:2: calendar.'a\\nb': unknown key; "
        f"expected a known key ({CALENDAR_KEYS})",
    ]


def test_an_unknown_key_is_named_and_its_value_never_shown(
    workdir: Path, project: Callable[..., Path], cli: Cli
) -> None:
    """A secrets file symlinked into calendars/ (or given as --config) by mistake: check names
    each key it does not know, and never prints what the key holds."""
    secrets = workdir / "secrets.toml"
    secrets.write_text(
        'password = "hunter2-secret"\n[smtp]\ntoken = "tok-abc123"\nport = 4242\n',
        encoding="utf-8",
    )
    config = project({"minimal.toml": fixture_text("minimal.toml")})
    (config.parent / "calendars" / "secrets.toml").symlink_to(secrets)
    code, out, err = cli("--config", str(config), "check")
    assert code == 1
    for secret in ("hunter2", "tok-abc123", "4242"):
        assert secret not in out + err
    assert "calendars/secrets.toml:1: password: unknown key; expected a known key " in err
    assert "calendars/secrets.toml:2: smtp: unknown key; expected a known key " in err
    code, out, err = cli("--config", str(secrets), "check")
    assert code == 1
    assert "hunter2" not in out + err
    assert "tok-abc123" not in out + err
    assert "secrets.toml:1: password: unknown key; expected a known key (organisation, " in err


@pytest.mark.parametrize(
    ("parser", "value"),
    [
        (schema.month_day, "٠١-٢٠"),  # Arabic-Indic digits: January 20 to a regex's \d
        (schema.local_time, "١٢:٠٠"),
        (schema.duration, "PT١M"),
    ],
)
def test_only_ascii_digits_are_numbers(parser: Callable[[object], object], value: str) -> None:
    with pytest.raises(schema.Invalid):
        parser(value)
