"""The plan's fast paths give exactly what the plain ways give.

A plan of thousands of observances is built and written with shortcuts (bench/RESULTS.md,
section 5): neighbours found by day instead of by comparing every pair, texts wrapped by greedy
filling instead of textwrap, JSON written from templates instead of by ``json.dumps(indent=2)``.
Each is checked here against the plain way on inputs made to be awkward for it: many
observances on a few days across the year's ends, events near their own observance, titles with
non-ASCII letters, JSON and Markdown specials, tabs, double spaces and words longer than a line.
"""

from __future__ import annotations

import json
import random
import textwrap
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from datetime import date, datetime, time, timedelta
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from reminders.cli.files import write_atomically
from reminders.config.load import load
from reminders.core.dates import LEAP_DAY_POLICIES
from reminders.core.model import Calendar, FixedDate, Moment, Observance, Occurrence
from reminders.core.occurrences import occurrences, place_moments, sort_key, title_for
from reminders.core.settings import Loaded
from reminders.core.words import medium_date
from reminders.plan.hostcal import HostCalendar, host_calendar
from reminders.plan.json import document, json_text
from reminders.plan.output import FORMATTERS, PIECES, make_plan, pieces
from reminders.plan.plan import NEIGHBOURS_SHOWN, Conflict, Plan, WorkingDays
from reminders.plan.text import INDENT, WIDTH, wrap

from .conftest import TODAY

Project = Callable[..., Path]

TITLES = (
    "{ordinal} anniversary of the founding of society {n}",
    "Day of remembrance {n}",  # no ordinal in it: the table adds it
    "{number} years since the flood at station {n} ({year}, since {since})",
    "Xocalı soyqırımı {n}: {ordinal} ildönümü",
    "یوم یکجہتی کشمیر {n} {ordinal}",
    'Specials * _ | < > & " ` # [x] \\\\ {n} {ordinal}',
    "A-hyphenated-word-longer-than-any-line-of-a-terminal-of-one-hundred-columns-can-hold-{n}-xx "
    "{ordinal}",
    "Many words, so that the title wraps over several lines of the table: one two three four "
    "five six seven eight nine ten eleven twelve {n} {ordinal}",
    "Double  spaced {n} {ordinal}",
    "Tab\\tinside {n} {ordinal}",
    "No-break\u00a0space and an ideographic\u3000one {n} {ordinal}",
)


def crowded_calendar(seed: int = 5) -> str:
    """Observances crowded on a few days around the year's ends and in June, and one or two a
    day in March (where which of two as near is named matters), with events."""
    rng = random.Random(seed)
    days = [date(2027, 1, d) for d in (1, 2, 3, 5)] + [date(2027, 6, d) for d in range(10, 16)]
    days += [date(2027, 12, d) for d in (27, 29, 30, 31)]
    lines = ['[calendar]\nid = "crowded"\nname = "Crowded"\ntimezone = "Asia/Baku"\n']
    for n in range(220):
        day = rng.choice(days) if n < 160 else date(2027, 3, rng.randrange(1, 29))
        title = json.dumps(rng.choice(TITLES).replace("{n}", str(n)), ensure_ascii=False)
        lines.append(
            f'[[observance]]\nid = "o{n}"\ntitle = {title}\ndate = "{day:%m-%d}"\n'
            f'since = {rng.randrange(1950, 2026)}\ndescription = "Crowded."\n'
        )
        if n % 7 == 0:
            lines.append(
                '[[observance.moment]]\nid = "m"\nname = "Minute of silence"\n'
                f'time = "{rng.randrange(0, 24):02d}:30"\nduration = "PT{rng.randrange(1, 90)}M"\n'
                'timezone = "America/St_Johns"\n'
            )
    for n in range(12):
        start = date(2027, 6, 12) + timedelta(days=rng.randrange(-4, 5))
        lines.append(
            f'[[event]]\nid = "e{n}"\ntitle = "Seminar {n} «{n}»"\nobservance = "o{n * 11}"\n'
            f'start = {start.isoformat()}T10:00:00\nduration = "PT2H"\n'
            f'venue = "Hall {n}, \\"A\\" & <B>"\n'
            f"example = {'true' if n % 3 == 0 else 'false'}\n"
        )
    lines.append('[[event]]\nid = "all-day"\ntitle = "All day"\ndate = 2027-01-02\n')
    return "\n".join(lines)


MILESTONES = """
[[milestone]]
id = "venue"
name = "Book the venue"
working_days = 15

[[milestone]]
id = "tagged"
name = "Only for some"
working_days = 3
observances = ["o1", "o2", "o3"]

[[milestone]]
id = "report"
name = "Publish the report"
working_days = 1
when = "after"
"""


@pytest.fixture(scope="module")
def crowded(tmp_path_factory: pytest.TempPathFactory) -> Loaded:
    folder = tmp_path_factory.mktemp("crowded")
    (folder / "calendars").mkdir()
    (folder / "calendars" / "crowded.toml").write_text(crowded_calendar(), encoding="utf-8")
    config = folder / "config.toml"
    config.write_text(
        '[organisation]\nname = "Crowded Institute"\ntimezone = "Asia/Karachi"\n'
        'country = "PK"\nuid_domain = "test.example.org"\n\n[paths]\ncalendars = "calendars"\n\n'
        '[feed]\nname = "Crowded"\ninclude_examples = true\n' + MILESTONES,
        encoding="utf-8",
    )
    return load(str(config), TODAY)


def with_conflict_days(loaded: Loaded, days: int) -> Loaded:
    plan = loaded.settings.plan._replace(conflict_days=days)
    return loaded._replace(settings=loaded.settings._replace(plan=plan))


def every_pair(item: Occurrence, observed: list[Occurrence], within: int) -> list[Conflict]:
    """The neighbours of ``item`` as the plan first found them: every observance of the window
    compared with it, the nearest five named in date order, the rest counted."""
    low = bisect_left(observed, item.date - timedelta(days=within), key=lambda o: o.date)
    high = bisect_right(observed, item.date + timedelta(days=within), key=lambda o: o.date)
    own = item.observance.id if item.observance is not None else None
    near = [
        other
        for other in observed[low:high]
        if other.calendar.id == item.calendar.id
        and other.observance is not None
        and other.observance.id != own
    ]
    near.sort(key=lambda other: abs((other.date - item.date).days))
    found = []
    for other in sorted(near[:NEIGHBOURS_SHOWN], key=lambda o: o.date):
        gap = (other.date - item.date).days
        where = (
            "on the same day as"
            if gap == 0
            else f"{abs(gap)} day{'s' if abs(gap) != 1 else ''} {'before' if gap > 0 else 'after'}"
        )
        found.append(
            Conflict("observance", f"{where} {other.title} ({medium_date(other.date, 'en')})")
        )
    more = len(near) - NEIGHBOURS_SHOWN
    if more > 0:
        found.append(
            Conflict(
                "observance",
                f"and {more} more observance{'s' if more != 1 else ''} of this calendar within "
                f"{within} day{'s' if within != 1 else ''}",
            )
        )
    return found


# 400 days (more than [plan] conflict_days allows) puts an observance in its window twice: the
# general way of finding neighbours, not the one for an observance alone in its window.
@pytest.mark.parametrize("within", [0, 1, 3, 10, 400])
def test_neighbours_are_those_of_comparing_every_pair(crowded: Loaded, within: int) -> None:
    loaded = with_conflict_days(crowded, within)
    plan = make_plan(loaded, 2027)
    margin = timedelta(days=within)
    observed = [
        o
        for o in occurrences(loaded.calendars, date(2027, 1, 1) - margin, date(2028, 1, 1) + margin)
        if o.event is None
    ]
    counted = 0
    for entry in plan.entries:
        found = [c for c in entry.conflicts if c.kind == "observance"]
        assert found == every_pair(entry.occurrence, observed, within), entry.occurrence.id
        counted += any(c.reason.startswith("and ") for c in found)
    assert counted > 50 if within else counted > 0  # the crowded days have many to count
    assert {e.kind for e in plan.entries} == {"observance", "event"}


@pytest.mark.parametrize("within", [0, 3])
def test_json_text_is_what_json_dumps_writes(crowded: Loaded, within: int) -> None:
    plan = make_plan(with_conflict_days(crowded, within), 2027)
    assert any(e.moments for e in plan.entries)
    assert any(e.milestones for e in plan.entries)
    expected = json.dumps(document(plan), indent=2, ensure_ascii=False) + "\n"
    assert json_text(plan) == expected


def test_json_text_of_an_empty_plan(crowded: Loaded) -> None:
    empty = Loaded(crowded.settings._replace(milestones=()), ())
    plan: Plan = make_plan(empty, 2027)
    assert plan.entries == ()
    assert json_text(plan) == json.dumps(document(plan), indent=2, ensure_ascii=False) + "\n"


def plain_wrap(text: str, first: str, rest: str) -> list[str]:
    return textwrap.wrap(
        text, WIDTH, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
    )


WORDS = st.sampled_from(
    [
        *("a", "of", "remembrance", "44-day", "Xocalı", "یوم", "«x»", "-", "x" * 40, "y" * 79),
        *("z" * 101, "\t", "\n", "\u00a0", "\u3000", "\u200c", " ", ""),
        *("2027\u202fг.", "\u202f", "10\u00a0000", "\u00a0x", "x\u202f"),
    ]
)
INDENTS = st.sampled_from(
    [
        *(("", INDENT), (INDENT, INDENT + "  "), ("Wed 20 Jan 2027  ", INDENT), ("", "  ")),
        *((f"{INDENT}  Wed 20 Jan 2027  ", INDENT + " " * 19), (" " * 60, " " * 5)),
    ]
)


@settings(max_examples=400, deadline=None)
@given(words=st.lists(WORDS, max_size=40), indents=INDENTS, joiner=st.sampled_from([" ", ""]))
@example(words=["\u00a0"], indents=("Wed 20 Jan 2027  ", INDENT), joiner=" ")
@example(
    words=["ср,", "20", "янв.", "2027\u202fг.", "\u202f", "x" * 90],
    indents=("", INDENT),
    joiner=" ",
)
@example(words=["x" * 83, "y"], indents=(INDENT, INDENT + "  "), joiner=" ")
def test_wrap_gives_the_lines_of_textwrap(
    words: list[str], indents: tuple[str, str], joiner: str
) -> None:
    text = joiner.join(words)
    first, rest = indents
    assert wrap(text, first, rest) == plain_wrap(text, first, rest)


def test_milestones_by_date_are_those_of_sorting_every_pair(crowded: Loaded) -> None:
    plan = make_plan(crowded, 2027)
    pairs = [(m, e) for e in plan.entries for m in e.milestones]
    expected = sorted(pairs, key=lambda pair: (pair[0].date, pair[1].date, pair[0].id))
    assert plan.milestones == expected
    # Ties (one milestone of entries of one day) keep the entries' order.
    assert len({(m.date, e.date, m.id) for m, e in pairs}) < len(pairs)


# --- Occurrences: a month-day without a dictionary of dates ------------------------------------


def plain_occurrences(observance: Observance, calendar: Calendar, start: date, end: date) -> list:
    """The expansion as written before the fast way: every year's date from the rule, kept when
    it is in the window, the record made with keywords, sorted by ``sort_key``."""
    first = max(start.year, observance.since + 1)
    found = [
        Occurrence(
            calendar=calendar,
            date=day,
            title=title_for(observance, year),
            number=year - observance.since,
            observance=observance,
            moments=place_moments(observance, day),
        )
        for year, day in observance.rule.dates(first, (end - timedelta(days=1)).year).items()
        if start <= day < end
    ]
    return sorted(found, key=sort_key)


@settings(max_examples=300, deadline=None)
@given(
    month_day=st.dates(date(2000, 1, 1), date(2000, 12, 31)),
    leap_day=st.sampled_from(LEAP_DAY_POLICIES),
    since=st.integers(1900, 2030),
    start=st.dates(date(1990, 1, 1), date(2040, 12, 31)),
    days=st.integers(0, 3000),
    title=st.sampled_from(
        ["{ordinal} anniversary", "Day of {year} ({number}, since {since})", "Plain"]
    ),
)
@example(date(2000, 2, 29), "mar1", 1990, date(2027, 2, 28), 2, "{ordinal}")
@example(date(2000, 12, 31), "feb28", 2026, date(2027, 12, 31), 1, "{ordinal}")
@example(date(2000, 1, 1), "feb28", 2026, date(2027, 1, 1), 0, "{ordinal}")
def test_occurrences_of_a_month_day_are_those_of_the_rule(
    month_day: date, leap_day: str, since: int, start: date, days: int, title: str
) -> None:
    rule = FixedDate(month_day.month, month_day.day, leap_day)
    moment = Moment("silence", "A minute of silence", time(12), timedelta(minutes=1), "Asia/Baku")
    observance = Observance("day", title, rule, since, "", moments=(moment,) if days % 2 else ())
    calendar = Calendar(
        "cal", "Cal", "", "Asia/Baku", True, datetime(2026, 1, 1), "cal.toml", (observance,)
    )
    end = start + timedelta(days=days)
    assert occurrences([calendar], start, end) == tuple(
        plain_occurrences(observance, calendar, start, end)
    )


def test_milestone_runs_share_the_milestone_and_the_event_date(crowded: Loaded) -> None:
    plan = make_plan(crowded, 2027)
    runs = plan.milestone_runs()
    assert len(runs) < len(plan.milestones) / 2  # runs, not one row per milestone
    for m, first, count in runs:
        run = plan.entries[first : first + count]
        assert all(m in e.milestones for e in run)
        assert len({(e.event_date, e.date) for e in run}) == 1


PAKISTAN_2027 = host_calendar("PK", ("Saturday", "Sunday"), 2027)
FRIDAYS_2027 = host_calendar("SA", ("Friday", "Saturday"), 2027)


@settings(max_examples=400, deadline=None)
@given(
    host=st.sampled_from([PAKISTAN_2027, FRIDAYS_2027]),
    day=st.dates(date(2025, 6, 1), date(2029, 6, 30)),
    count=st.integers(0, 400),
    direction=st.sampled_from([-1, 1]),
)
@example(PAKISTAN_2027, date(2026, 1, 1), 1, -1)  # from the list's first day, out of it
@example(PAKISTAN_2027, date(2028, 12, 29), 3, 1)  # past the list's last day
@example(PAKISTAN_2027, date(2027, 2, 5), 1, 1)  # from a public holiday (Kashmir Day, a Friday)
def test_working_days_by_look_up_are_those_counted_day_by_day(
    host: HostCalendar, day: date, count: int, direction: int
) -> None:
    working = WorkingDays(host, date(2026, 1, 1), date(2028, 12, 31))
    assert working.count(day, count, direction) == host.working_days_from(day, count, direction)


@pytest.mark.parametrize("size", [1, 2, 3, 7, 8192])
@pytest.mark.parametrize("fmt", ["table", "md", "csv", "json"])
def test_the_text_in_parts_is_the_text(crowded: Loaded, fmt: str, size: int) -> None:
    plan = make_plan(crowded, 2027)
    parts = list(pieces(plan, fmt, size))
    assert "".join(parts) == FORMATTERS[fmt](plan)
    if fmt in PIECES and size < 8192:
        assert len(parts) > 10  # written a part at a time


def test_a_file_written_in_parts_is_whole_or_not_there(tmp_path: Path) -> None:
    target = tmp_path / "plan.json"

    def failing() -> Iterator[bytes]:
        yield b"{"
        raise RuntimeError("the maker of the parts failed")

    with pytest.raises(RuntimeError):
        write_atomically(str(target), failing())
    assert list(tmp_path.iterdir()) == []  # neither the file nor a temporary one
    assert write_atomically(str(target), iter([b"{", b"}"])) == 2
    assert target.read_bytes() == b"{}"
