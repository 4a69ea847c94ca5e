"""The feed's VEVENTs written line by line (core/icsevents.py) are icalendar's bytes.

Each property test builds random calendars (text with everything escaping and folding care
about: backslashes, ``\\N``, carets, commas, semicolons, CR and LF, Azerbaijani, Urdu and
four-octet characters, lines of every length) and compares the export with a plain icalendar
build of the same events (tests/ics_reference.py), byte for byte.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from icalendar import vText
from icalendar.parser import Contentline, Parameters

from reminders.core import icsfold
from reminders.core.ics import FeedInfo, build_ics, occurrence_ics
from reminders.core.icsevents import Writer, calendar_events
from reminders.core.icsfold import Folder, fold_by_octets, safe_cut, stand_in
from reminders.core.model import (
    Calendar,
    Event,
    Fact,
    FixedDate,
    Moment,
    Observance,
    Translation,
    YearlyRule,
)
from reminders.core.occurrences import occurrences
from reminders.core.translate import calendar_in

from .ics_reference import reference_ics, reference_occurrence_ics

# Characters that escaping and folding treat apart, and text around them.
SPECIAL = st.sampled_from(
    [
        "\\",
        "N",
        "\\N",
        "^",
        ",",
        ";",
        "\n",
        "\r",
        "\r\n",
        "é",
        "ı",
        "ə",
        "ی",
        "د",
        "\U0001d11e",
        " ",
    ]
)
WORD = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
TEXT = st.lists(st.one_of(SPECIAL, WORD, st.just("x" * 70)), max_size=14).map("".join)
LINE = TEXT.map(lambda text: text.replace("\r", " ").replace("\n", " "))
BRACELESS = LINE.map(lambda text: text.replace("{", "(").replace("}", ")"))
ZONES = ("Asia/Baku", "America/New_York", "Europe/London", "Asia/Karachi", "UTC")
SLUG = st.text("abcdefghij-", min_size=1, max_size=8)
REVISED = st.datetimes(datetime(2020, 1, 1), datetime(2026, 12, 31)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=UTC)
)

TITLE = st.one_of(
    BRACELESS,
    st.tuples(BRACELESS, BRACELESS).map(lambda p: f"{p[0]}{{ordinal}} anniversary of {p[1]}"),
    st.tuples(BRACELESS, BRACELESS).map(lambda p: f"{p[0]} {{number}}{p[1]} {{year}}"),
)


TRANSLATED = ("az", "ru", "ur")  # the languages random items have texts in


@st.composite
def translations(
    draw: st.DrawFn, keys: dict[str, st.SearchStrategy[str]]
) -> tuple[Translation, ...]:
    """Some of ``keys`` in some of TRANSLATED (a language with none of them gets no table)."""
    out = []
    for language in draw(st.lists(st.sampled_from(TRANSLATED), unique=True, max_size=3)):
        given = tuple((k, draw(v)) for k, v in keys.items() if draw(st.booleans()))
        if given:
            out.append(Translation(language, given, "test", draw(st.booleans())))
    return tuple(sorted(out))


@st.composite
def observances(draw: st.DrawFn, index: int) -> Observance:
    rule: FixedDate | YearlyRule
    since = draw(st.integers(1900, 2024))
    if draw(st.booleans()):
        rule = FixedDate(draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    elif draw(st.booleans()):
        rule = FixedDate(2, 29, draw(st.sampled_from(["feb28", "mar1", "skip"])))
    else:
        rule = YearlyRule("FREQ=YEARLY;BYMONTH=5;BYDAY=2SU", since)
    moments = tuple(
        Moment(
            f"m{n}",
            draw(LINE),
            time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
            timedelta(minutes=draw(st.integers(1, 120))),
            draw(st.sampled_from(ZONES)),
            draw(TEXT),
            draw(translations({"name": LINE, "description": TEXT})),
        )
        for n in range(draw(st.integers(0, 2)))
    )
    facts = tuple(
        Fact(draw(TEXT), draw(LINE), None, draw(translations({"text": TEXT})))
        for _ in range(draw(st.integers(0, 3)))
    )
    tags = tuple(draw(st.lists(LINE, max_size=3)))
    found = draw(translations({"title": TITLE, "description": TEXT}))
    title, text = draw(TITLE), draw(TEXT)
    return Observance(f"obs-{index}", title, rule, since, text, facts, moments, tags, found)


@st.composite
def events(draw: st.DrawFn, index: int, observance_ids: list[str]) -> Event:
    zone = draw(st.sampled_from(ZONES))
    day = date(draw(st.integers(2025, 2027)), draw(st.integers(1, 12)), draw(st.integers(1, 28)))
    linked = draw(st.sampled_from([None, *observance_ids]))
    common = {
        "venue": draw(LINE),
        "description": draw(TEXT),
        "observance": linked,
        "example": draw(st.booleans()),
        "tags": tuple(draw(st.lists(LINE, max_size=2))),
        "translations": draw(translations({"title": LINE, "venue": LINE, "description": TEXT})),
    }
    if draw(st.booleans()):
        return Event(f"ev-{index}", draw(LINE), zone, day=day, **common)
    start = datetime.combine(day, time(draw(st.integers(0, 22)), 30), ZoneInfo(zone))
    end = start + timedelta(minutes=draw(st.integers(1, 600)))
    return Event(f"ev-{index}", draw(LINE), zone, start=start, end=end, **common)


@st.composite
def calendars(draw: st.DrawFn, index: int) -> Calendar:
    found = tuple(draw(observances(n)) for n in range(draw(st.integers(0, 4))))
    planned = tuple(draw(events(n, [o.id for o in found])) for n in range(draw(st.integers(0, 3))))
    return Calendar(
        draw(SLUG) + str(index),
        draw(LINE),
        draw(TEXT),
        "Asia/Baku",
        True,
        draw(REVISED),
        f"cal{index}.toml",
        found,
        planned,
        "en",
        draw(translations({"name": LINE, "description": TEXT})),
    )


SOME_CALENDARS = st.integers(1, 3).flatmap(
    lambda count: st.tuples(*(calendars(n) for n in range(count)))
)
# What an output is written in (core/words.py output_language): English today, any language
# whose words are ready once its text is translated.
LANGUAGE = st.sampled_from(["en", "en-GB", "az", "ru", "tr", "ur-PK"])
INFO = st.builds(
    FeedInfo,
    LINE,
    TEXT,
    st.just("test.example.org"),
    st.just(timedelta(hours=12)),
    language=LANGUAGE,
    default=st.sampled_from(["", "en", "az"]),
    name_language=st.sampled_from(["", "en", "az", "ur"]),
    description_language=st.sampled_from(["", "en", "ru"]),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(line=st.tuples(st.sampled_from(["SUMMARY:", "DESCRIPTION:", "X:"]), TEXT))
def test_the_fold_by_octets_is_icalendars(line: tuple[str, str]) -> None:
    text = line[0] + line[1].replace("\r", " ").replace("\n", "\\n")
    assert fold_by_octets(text) == Contentline(text).to_ical().decode()


def test_the_fold_in_use_is_the_one_by_octets() -> None:
    """The installed icalendar folds the samples as fold_by_octets does (else it is used)."""
    assert icsfold.fold is fold_by_octets


def test_the_samples_that_choose_the_fold_take_every_branch_of_its_rule() -> None:
    """A line under 75 octets, a break stepped back off a multi-octet character, a ``\\`` and
    a ``^`` carried to the next line: each is in some sample, so an icalendar that treats one
    of them otherwise makes ``fold`` its own."""
    taken = set()
    for line in icsfold._SAMPLES:
        data = line.encode()
        if len(data) < 75:
            taken.add("short")
        start = 0
        while len(data) - start > 74:
            cut = start + 74
            while data[cut] & 0xC0 == 0x80:
                cut -= 1
                taken.add("stepped back")
            if data[cut - 1 : cut] in (b"\\", b"^"):
                cut -= 1
                taken.add(f"carried {data[cut : cut + 1].decode()}")
            start = cut
    assert taken == {"short", "stepped back", "carried \\", "carried ^"}


def test_a_stand_in_keeps_what_the_fold_reads_and_nothing_else() -> None:
    """Its length in octets, whether it holds one character or more, a ``\\`` or ``^`` at its
    end; in ASCII otherwise, so lines that fold on alike share one stand-in (a cache key)."""
    assert stand_in("é") == "é"  # one character stays one, whatever its octets
    assert stand_in("\U0001d11e") == "\U0001d11e"
    assert stand_in("ab") == stand_in("cd") == "xx"
    assert stand_in("aé") == stand_in("xyz") == "xxx"
    assert stand_in("ab\\") == "xx\\"
    assert stand_in("éé^") == "xxxx^"


def test_a_kept_line_is_kept_per_zone_not_per_instant() -> None:
    """Aware datetimes of one instant compare equal; their lines differ by the zone."""
    writer = Writer("example.org", "en")
    utc = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    baku = utc.astimezone(ZoneInfo("Asia/Baku"))
    for line in (writer.value_line, writer.time_line):
        assert line("DTSTART", utc) == "DTSTART:20270120T090000Z"
        assert line("DTSTART", baku) == "DTSTART;TZID=Asia/Baku:20270120T130000"


def test_a_title_is_split_after_its_last_field() -> None:
    """The text after the pattern's last field is every year's (kept); the rest changes."""
    found = [
        Observance("a", "Day of {since}: {ordinal} anniversary", FixedDate(1, 20), 1990, ""),
        Observance("b", "{ordinal} anniversary of it", FixedDate(1, 21), 1990, ""),
        Observance("c", "Day of {year}", FixedDate(1, 22), 1990, ""),
        Observance("d", "A day", FixedDate(1, 23), 1990, ""),
    ]
    revised = datetime(2026, 1, 1, tzinfo=UTC)
    calendar = Calendar("c", "C", "", "Asia/Baku", True, revised, "c.toml", tuple(found), ())
    items = occurrences((calendar,), date(2027, 1, 1), date(2028, 1, 1))
    writer = Writer("example.org", "en")
    assert [writer.title(item) for item in items] == [
        ("", "Day of 1990: 37th", " anniversary"),
        ("", "37th", " anniversary of it"),
        ("", "Day of 2027", ""),
        ("", "A day", ""),
    ]


def test_escaping_may_stop_only_after_text_not_ending_in_a_backslash_or_cr() -> None:
    for text in ("", "ab", "a\n", "\\a", "a;"):
        assert safe_cut(text) is True, text
    for text in ("a\\", "\\", "a\r"):
        assert safe_cut(text) is False, text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.tuples(TEXT, TEXT, TEXT), name=st.sampled_from(["DESCRIPTION", "SUMMARY"]))
# \\N read across two parts is a line break; CR and LF across two parts one line break.
@example(parts=("a\\", "N b", ""), name="DESCRIPTION")
@example(parts=("a\r", "\nb", "c"), name="DESCRIPTION")
@example(parts=("x\\", "", "Nz"), name="DESCRIPTION")
# A caret or an escaped backslash where a physical line ends moves to the next line, after a
# kept head, after the year's middle part and before a kept tail.
@example(parts=("a" * 61 + "^", "bc", ""), name="DESCRIPTION")
@example(parts=("", "a" * 61 + "^", "bc"), name="DESCRIPTION")
@example(parts=("", "a" * 60 + "\\", "bc"), name="DESCRIPTION")
@example(parts=("é" * 20, "a" * 21 + "^", "b" * 90), name="DESCRIPTION")
def test_a_line_in_parts_is_the_line_of_the_whole(parts: tuple[str, str, str], name: str) -> None:
    folder = Folder()
    whole = "".join(parts)
    expected = Contentline.from_parts(name, Parameters(), vText(whole))
    for _ in range(2):  # the second time from what the folder kept
        assert folder.line(name, *parts).encode() == Contentline(expected).to_ical()


# 25 examples: the export's bytes are also held to golden files (tests/test_ics.py, and the feed in
# five languages in tests/test_feed_languages.py); 50 took 4 s of CPU and found nothing more.
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    chosen=SOME_CALENDARS,
    info=INFO,
    first=st.integers(2025, 2027),
    years=st.integers(1, 3),
    examples=st.booleans(),
)
def test_the_export_is_a_plain_icalendar_build(
    chosen: tuple[Calendar, ...], info: FeedInfo, first: int, years: int, examples: bool
) -> None:
    last = first + years - 1
    chosen = tuple(calendar_in(c, info.language) for c in chosen)  # as a feed in it has them
    ours = build_ics(chosen, first, last, info, examples=examples)
    assert ours == reference_ics(chosen, first, last, info, examples)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars(0), first=st.integers(2025, 2027))
def test_a_calendars_piece_counts_its_vevents(calendar: Calendar, first: int) -> None:
    piece = calendar_events(calendar, first, first + 1, "test.example.org", "en", True)
    text = bytes(piece.data).decode()
    assert piece.vevents == text.count("BEGIN:VEVENT\r\n") == text.count("END:VEVENT\r\n")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=calendars(0), info=INFO)
def test_an_attachment_is_a_plain_icalendar_build(calendar: Calendar, info: FeedInfo) -> None:
    calendar = calendar_in(calendar, info.language)
    items = occurrences((calendar,), date(2025, 1, 1), date(2028, 1, 1))
    days = [i for i in items if i.event is None]
    for day in days[:3]:
        planned = tuple(i for i in items if i.event is not None and i.observance == day.observance)
        ours = occurrence_ics(day, planned, info)
        assert ours == reference_occurrence_ics(day, planned, info)
