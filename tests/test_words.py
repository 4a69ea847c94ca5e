"""The words a person reads (core/words.py): ordinals, plurals, dates, times and durations in
English, for every English tag; and the rule that no other module writes them.  The other
languages: tests/test_languages.py."""

from __future__ import annotations

import ast
import inspect
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reminders.config.load import load
from reminders.core import words
from reminders.core.settings import Loaded

from .conftest import ROOT, TODAY

PACKAGE = Path(words.__file__).resolve().parents[1]
# Every English tag writes the project's English; a language with no table (de) English words.
ENGLISH_TAGS = st.sampled_from(["en", "en-GB", "en-US", "EN-gb"])
LANGUAGES = st.sampled_from(["en", "en-GB", "en-US", "de", "fr-CA"])
DAYS = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        (1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (10, "10th"), (11, "11th"),
        (12, "12th"), (13, "13th"), (14, "14th"), (21, "21st"), (22, "22nd"), (23, "23rd"),
        (37, "37th"), (100, "100th"), (101, "101st"), (102, "102nd"), (103, "103rd"),
        (111, "111th"), (112, "112th"), (113, "113th"), (121, "121st"), (1011, "1011th"),
    ],
)  # fmt: skip
def test_ordinal(number: int, expected: str) -> None:
    assert words.ordinal(number, "en") == expected


# The first example of a language asks Babel for its data: no deadline.
@settings(deadline=None)
@given(st.integers(min_value=1, max_value=100_000), LANGUAGES)
def test_ordinal_suffix_follows_english_rules(number: int, language: str) -> None:
    text = words.ordinal(number, language)
    assert text[:-2] == words.number(number, language) == str(number)
    if number % 100 in (11, 12, 13):
        assert text.endswith("th")
    else:
        assert text[-2:] == {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")


@pytest.mark.parametrize(
    ("count", "word", "many", "expected"),
    [
        (0, "day", "", "0 days"), (1, "day", "", "1 day"), (2, "day", "", "2 days"),
        (1, "working day", "", "1 working day"), (21, "event", "", "21 events"),
        (1, "person", "people", "1 person"), (3, "person", "people", "3 people"),
    ],
)  # fmt: skip
def test_plural(count: int, word: str, many: str, expected: str) -> None:
    assert words.plural(count, word, "en", many) == expected


# The first example of a language asks Babel for its data: no deadline.
@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**6), LANGUAGES)
def test_plural_is_the_singular_for_one_only(count: int, language: str) -> None:
    text = words.plural(count, "notice", language)
    assert text == f"{count} {words.plural_word(count, 'notice', language)}"
    assert text.endswith("notice" if count == 1 else "notices")


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        (words.LONG, "Wednesday, 20 January 2027"),
        (words.MEDIUM, "Wednesday 20 Jan 2027"),
        (words.SHORT, "Wed 20 Jan 2027"),
        (words.TABLE, "Wed 20 Jan 2027"),
        (words.DAY_MONTH, "Wednesday 20 January"),
        (words.WEEKDAY_DAY, "Wed 20"),
        (words.MONTH_YEAR, "January 2027"),
        (words.MONTH_DAY, "January 20"),
    ],
)
def test_date_forms(form: str, expected: str) -> None:
    assert words.format_date(date(2027, 1, 20), form, "en") == expected


def test_the_table_form_pads_the_day_so_columns_align() -> None:
    assert words.format_date(date(2027, 3, 6), words.TABLE, "en") == "Sat 06 Mar 2027"
    assert words.format_date(date(2027, 3, 6), words.TABLE_NO_YEAR, "en") == "Sat 06 Mar"
    assert words.format_date(date(2027, 3, 6), words.SHORT, "en") == "Sat 6 Mar 2027"


def test_the_named_forms_and_widths() -> None:
    day = date(2027, 1, 20)
    assert words.long_date(day, "en") == "Wednesday, 20 January 2027"
    assert words.medium_date(day, "en") == "Wednesday 20 Jan 2027"
    assert [words.weekday(day, "en", width) for width in ("wide", "abbreviated", "narrow")] == [
        "Wednesday",
        "Wed",
        "W",
    ]
    assert words.weekday(day, "en") == "Wednesday"  # wide unless asked
    assert words.month(12, "en") == "December"


def test_a_form_may_start_and_end_with_literal_text() -> None:
    assert words.format_date(date(2027, 1, 20), "(EEE) d MMM.", "en") == "(Wed) 20 Jan."


def test_an_unknown_date_field_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown date field 'QQ'"):
        words.format_date(date(2027, 1, 20), "QQ y", "en")


@given(DAYS, ENGLISH_TAGS)
def test_dates_are_english_whatever_the_machines_locale(day: date, language: str) -> None:
    """The names are the C locale's, which strftime gives here; the words never ask the
    process's locale (a German machine still writes 'Wednesday')."""
    assert words.long_date(day, language) == (
        f"{day.strftime('%A')}, {day.day} {day.strftime('%B')} {day.year}"
    )
    assert words.format_date(day, words.TABLE, language) == (
        f"{day.strftime('%a')} {day.day:02d} {day.strftime('%b')} {day.year}"
    )
    assert words.weekday(day, language, "narrow") == day.strftime("%A")[0]
    assert words.month(day.month, language, "abbreviated") == day.strftime("%b")


def test_a_width_that_is_not_one_is_refused() -> None:
    with pytest.raises(ValueError, match="expected wide, abbreviated or narrow"):
        words.weekday(date(2027, 1, 20), "en", "short")
    for language in ("en", "az"):
        with pytest.raises(ValueError, match="unknown width 'short'"):
            words.month(1, language, "short")


def test_clock() -> None:
    assert words.clock(datetime(2027, 1, 20, 9, 5, tzinfo=UTC), "en") == "09:05"
    assert words.clock(time(13, 0), "en") == "13:00"


@pytest.mark.parametrize(
    ("minutes", "short", "long"),
    [
        (0, "0 min", "0 minutes"), (1, "1 min", "1 minute"), (30, "30 min", "30 minutes"),
        (59, "59 min", "59 minutes"),
        (60, "1 h", "1 hour"), (61, "1 h 01 min", "1 hour 1 minute"),
        (90, "1 h 30 min", "1 hour 30 minutes"), (150, "2 h 30 min", "2 hours 30 minutes"),
        (1440, "24 h", "24 hours"),
    ],
)  # fmt: skip
def test_durations(minutes: int, short: str, long: str) -> None:
    span = timedelta(minutes=minutes)
    assert words.minutes(span, "en") == short
    assert words.duration_text(span, "en") == long


@given(st.integers(min_value=0, max_value=100_000), ENGLISH_TAGS)
def test_a_duration_adds_up_to_its_minutes(total: int, language: str) -> None:
    text = words.duration_text(timedelta(minutes=total), language)
    found = dict((unit.rstrip("s"), int(count)) for count, unit in re.findall(r"(\d+) (\w+)", text))
    assert found.get("hour", 0) * 60 + found.get("minute", 0) == total


@pytest.mark.parametrize(
    ("days", "expected"),
    [(0, "today"), (1, "tomorrow"), (2, "in 2 days"), (30, "in 30 days"), (-1, "yesterday"),
     (-3, "3 days ago")],
)  # fmt: skip
def test_when(days: int, expected: str) -> None:
    assert words.when(days, "en") == expected


def test_days_before_and_apart() -> None:
    assert words.days_before(0, "en") == "on the day"
    assert words.days_before(1, "en") == "1 day before"
    assert words.days_before(7, "en") == "7 days before"
    assert words.days_apart(1, "en") == "1 day before"
    assert words.days_apart(-3, "en") == "3 days after"
    assert words.days_apart(-1, "en", "working day") == "1 working day after"


def test_both_zones_names_the_other_day() -> None:
    start = datetime(2027, 1, 20, 23, 30, tzinfo=ZoneInfo("Asia/Baku"))
    end = start + timedelta(minutes=30)
    assert words.both_zones(start, end, "Asia/Baku", "en") == "23:30-00:00 Asia/Baku"
    assert words.both_zones(start, end, "Asia/Karachi", "en") == (
        "23:30-00:00 Asia/Baku = 00:30 Asia/Karachi on Thu 21 Jan"
    )
    assert words.place("America/St_Johns", "en") == "St Johns"


def test_both_zones_shows_an_end_from_ten_minutes_on() -> None:
    """A minute of silence is a time; a ten-minute ceremony is a span."""
    start = datetime(2027, 1, 20, 12, 0, tzinfo=ZoneInfo("Asia/Baku"))
    shown = {
        minutes: words.both_zones(start, start + timedelta(minutes=minutes), "Asia/Karachi", "en")
        for minutes in (1, 9, 10)
    }
    assert shown == {
        1: "12:00 Asia/Baku = 13:00 Asia/Karachi",  # the same day: not named again
        9: "12:00 Asia/Baku = 13:00 Asia/Karachi",
        10: "12:00-12:10 Asia/Baku = 13:00 Asia/Karachi",
    }


# --- The rule: words are written in core/words.py only ---------------------------------------

MONTH_OR_WEEKDAY = re.compile(
    r"\b(January|February|March|April|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b"
)
# strftime fields that write names or an unpadded, human order; ISO dates and times (%Y-%m-%d,
# %H:%M:%S, %Y%m%dT%H%M%SZ) are for programs and logs, and stay allowed.
NAMED_FIELD = re.compile(r"%[aAbBpcxX]")
# Where a weekday table may stand: the weekend setting's tokens, not words (see words.py).
TOKEN_TABLES = {"core/model.py": 1}


def _modules() -> list[tuple[str, ast.Module]]:
    return [
        (path.relative_to(PACKAGE).as_posix(), ast.parse(path.read_text(encoding="utf-8")))
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.relative_to(PACKAGE).as_posix() != "core/words.py"
    ]


def test_no_date_is_formatted_outside_words() -> None:
    """No ``strftime`` pattern or format spec with a name field (%a, %b ...) and no month or
    weekday table outside core/words.py: a date a person reads goes through words, which takes
    the language.  (ISO stamps for logs and programs, '%Y-%m-%d %H:%M', stay allowed.)"""
    found = []
    for name, tree in _modules():
        tables = 0
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                if NAMED_FIELD.search(node.value) and _looks_like_a_date_format(node.value):
                    found.append(f"{name}:{node.lineno}: {node.value!r}")
                if MONTH_OR_WEEKDAY.fullmatch(node.value):
                    tables += 1
        if tables >= 3 and tables > TOKEN_TABLES.get(name, 0) * 7:
            found.append(f"{name}: a table of month or weekday names ({tables} names)")
    assert found == []


def _looks_like_a_date_format(text: str) -> bool:
    # A format spec inside an f-string is a Constant of its own ('%a %d %b %Y'); the logs'
    # "%s" templates have no date field.
    return bool(re.search(r"%[aAbB]", text)) or "%d %b" in text


def test_the_rule_catches_what_it_is_for(tmp_path: Path) -> None:
    """The grep above finds each way a date used to be written outside words."""
    sources = {
        "table": 'MONTHS = ("January", "February", "March")\n',
        "spec": 'def f(d):\n    return f"{d:%a %d %b %Y}"\n',
        "strftime": 'def f(d):\n    return d.strftime("%B %Y")\n',
        "weekdays": 'DAYS = ["Monday", "Tuesday", "Wednesday"]\n',
    }
    for source in sources.values():
        tree = ast.parse(source)
        hits = 0
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                hits += bool(
                    NAMED_FIELD.search(node.value) and _looks_like_a_date_format(node.value)
                )
                hits += bool(MONTH_OR_WEEKDAY.fullmatch(node.value))
        assert hits, source


def test_words_imports_nothing_heavy() -> None:
    """``reminders upcoming`` imports words: no Babel at its top, only inside the functions
    that write another language than English (core/cldr.py), as the CLDR data's own writer
    (core/cldrdata.py, not needed in English); tests/test_languages.py runs the commands in
    English and finds no Babel in ``sys.modules``."""
    tree = ast.parse(Path(words.__file__).read_text(encoding="utf-8"))
    top = {
        alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        (node.module or "").split(".")[0]
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.level == 0
    }
    assert top <= {"__future__", "collections", "datetime", "functools"}
    inner = {
        (node.level, node.module, tuple(alias.name for alias in node.names))
        for function in tree.body
        if isinstance(function, ast.FunctionDef)
        for node in ast.walk(function)
        if isinstance(node, ast.Import | ast.ImportFrom)
    }
    assert inner == {(1, None, ("cldr",)), (1, None, ("cldrdata",))}


# --- The organisation's language reaches the words of every output ----------------------------

SPIED = (
    "format_date", "clock", "ordinal", "plural", "duration_text", "minutes", "when", "weekday",
    "month", "both_zones", "place", "days_before", "days_apart", "number",
)  # fmt: skip


@pytest.fixture(scope="module")
def in_azerbaijani() -> Loaded:
    """The bundled config with ``language = "az"``."""
    loaded = load(str(ROOT / "config.toml"), TODAY)
    org = loaded.settings.organisation._replace(language="az")
    return loaded._replace(settings=loaded.settings._replace(organisation=org))


@pytest.fixture
def heard(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """Every words function called while the test runs, with the language it was asked for."""
    found: list[tuple[str, str]] = []
    for name in SPIED:
        real = getattr(words, name)

        def spy(*args: Any, _real: Any = real, _name: str = name, **kwargs: Any) -> Any:
            signature = inspect.signature(_real).bind(*args, **kwargs)
            found.append((_name, signature.arguments["language"]))
            return _real(*args, **kwargs)

        monkeypatch.setattr(words, name, spy)
    return found


def _upcoming(loaded: Loaded) -> object:
    from reminders.cli.textout import upcoming_lines
    from reminders.core.occurrences import occurrences

    start = date(2027, 1, 1)
    items = occurrences(loaded.calendars, start, date(2028, 1, 1))
    return list(upcoming_lines(items, loaded.settings, start, 365))


def _notices(loaded: Loaded) -> object:
    from reminders.cli.textout import notice_lines
    from reminders.core.notices import notices
    from reminders.notify.render import notice_context, notice_ics

    settings = loaded.settings
    start = datetime(2027, 1, 1, tzinfo=UTC)
    found = notices(
        loaded.calendars, settings.notices, settings.organisation, start, start + timedelta(365)
    )
    assert found
    return (
        list(notice_lines(found, settings, start.date(), 365)),
        notice_context(found[0], settings, start, False),
        notice_ics(found[0], settings),
    )


def _page(loaded: Loaded) -> object:
    from reminders.web.page import page_context, render_page

    context = page_context(loaded, date(2027, 1, 1), [("/calendar.ics", "All", "")])
    return render_page(loaded.settings.templates_dir, context)


def _plan(loaded: Loaded) -> object:
    from reminders.plan.html import render_html
    from reminders.plan.ics import plan_ics
    from reminders.plan.output import make_plan
    from reminders.plan.text import csv_text, markdown, table

    plan = make_plan(loaded, 2027)
    return (
        table(plan),
        markdown(plan),
        csv_text(plan),
        render_html(plan, loaded.settings),
        plan_ics(plan, loaded.settings),
    )


def _feed(loaded: Loaded) -> object:
    from reminders.core.ics import export_ics

    return export_ics(loaded, 2027, 2027, None, None)


# What an output may still ask for in English, where English is the rule: the ordinal and number
# of a calendar's titles ("{ordinal} anniversary of ..."), and the plan's CSV and JSON weekdays.
ENGLISH_BY_RULE = {"ordinal", "number"}


@pytest.mark.parametrize(
    ("output", "english_too"),
    [
        (_upcoming, ENGLISH_BY_RULE),
        (_notices, ENGLISH_BY_RULE),
        (_page, ENGLISH_BY_RULE),
        (_plan, ENGLISH_BY_RULE | {"weekday"}),
        (_feed, ENGLISH_BY_RULE),
    ],
)
def test_the_organisations_language_reaches_the_words(
    output: Callable[[Loaded], object],
    english_too: set[str],
    in_azerbaijani: Loaded,
    heard: list[tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Each output asks words in the organisation's language (Azerbaijani: its catalog is
    bundled); English only where it is the rule (a calendar's titles, the plan's CSV and JSON
    fields), never another language."""
    assert "az" in words.OUTPUTS
    output(in_azerbaijani)
    assert {language for _, language in heard} <= {"az", "en"}
    in_english = {name for name, language in heard if language == "en"}
    assert in_english <= english_too, in_english - english_too
    in_azerbaijani_words = {name for name, language in heard if language == "az"}
    assert {"clock", "ordinal"} <= in_azerbaijani_words


@pytest.mark.parametrize("output", [_upcoming, _notices, _page, _plan, _feed])
def test_an_output_in_a_language_with_no_catalog_is_english_from_end_to_end(
    output: Callable[[Loaded], object], in_azerbaijani: Loaded, heard: list[tuple[str, str]]
) -> None:
    """French dates are ready (CLDR) but no catalog translates the program's text into French:
    every output asks its words in English, never English sentences around 'février'."""
    assert "fr" not in words.OUTPUTS
    org = in_azerbaijani.settings.organisation._replace(language="fr", languages=("fr",))
    output(in_azerbaijani._replace(settings=in_azerbaijani.settings._replace(organisation=org)))
    assert heard
    assert {language for _, language in heard} == {"en"}
