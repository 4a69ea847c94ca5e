"""Words a person reads: dates, weekdays, months, times, durations, numbers, ordinals, plurals.

Every output (the terminal, the notices and their templates' filters, the page, the plan in each
format, the ICS titles and descriptions) writes these through this module, never with its own
``strftime`` or month table; tests/test_words.py greps the package to keep it so.

Every function takes the language, a BCP 47 tag such as ``"en"`` (the organisation's
``language`` setting), as a parameter. English is the one language today: every tag gets English
words, so no output changes with the setting yet. How the languages will plug in, without
changing a caller:

* dates: each form below is an LDML pattern (``"EEEE, d MMMM y"``); Babel's
  ``format_date(day, pattern, locale=language)`` (or the locale's own ``date_formats``) replaces
  :func:`_english_date`;
* durations: Babel's ``format_timedelta``; plurals and ordinals: ``Locale.plural_form`` and
  ``Locale.ordinal_form`` choose the form, the words come from gettext catalogs per language
  (``reminders/locale/<lang>/LC_MESSAGES/``), as python-holidays keeps its holiday names;
* numbers: Babel's ``format_decimal``.

Babel is not imported now: ``reminders upcoming`` imports this module, and its start-up time is
benchmarked (bench/startup.py). The languages issue will import Babel inside the functions that
need it, once per language, cached.

Configuration tokens are not words: the weekday names of a ``weekend`` setting
(``model.WEEKDAYS``) stay English whatever the language.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache

from .dates import zone

ENGLISH = "en"

_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip

# The date forms the outputs use, as LDML patterns (what Babel's format_date takes).
LONG = "EEEE, d MMMM y"  # Wednesday, 20 January 2027: notices, the page, the HTML plan
MEDIUM = "EEEE d MMM y"  # Wednesday 20 Jan 2027: the plan's conflicts and notes, its ICS
SHORT = "EEE d MMM y"  # Wed 20 Jan 2027: the HTML plan's year view
TABLE = "EEE dd MMM y"  # Wed 06 Jan 2027: terminal columns (the day padded, so they align)
TABLE_NO_YEAR = "EEE dd MMM"  # Wed 06 Jan: the other zone's day in the terminal
DAY_MONTH = "EEEE d MMMM"  # Wednesday 20 January: the page, beside a time
WEEKDAY_DAY = "EEE d"  # Wed 20: a day in the plan's month picture
MONTH_YEAR = "MMMM y"  # January 2027
MONTH_DAY = "MMMM d"  # January 20: a fixed date's rule


def weekday(day: date, language: str, width: str = "wide") -> str:
    """'Wednesday' (``wide``), 'Wed' (``abbreviated``) or 'W' (``narrow``)."""
    name = _WEEKDAYS[day.weekday()]
    return _narrow(name, width)


def month(number: int, language: str, width: str = "wide") -> str:
    """The name of month ``number`` (1-12): 'January', 'Jan' or 'J'."""
    return _narrow(_MONTHS[number - 1], width)


def _narrow(name: str, width: str) -> str:
    if width == "wide":
        return name
    if width == "abbreviated":
        return name[:3]
    if width == "narrow":
        return name[0]
    raise ValueError(f"unknown width {width!r}: expected wide, abbreviated or narrow")


@lru_cache(maxsize=8192)  # a plan names each of a year's days many times over
def format_date(day: date, pattern: str, language: str) -> str:
    """``day`` in one of the forms above (an LDML pattern), in ``language``."""
    return _english_date(day, pattern)


def _english_date(day: date, pattern: str) -> str:
    out = []
    for token in _tokens(pattern):
        if token == "EEEE":
            out.append(_WEEKDAYS[day.weekday()])
        elif token == "EEE":
            out.append(_WEEKDAYS[day.weekday()][:3])
        elif token == "MMMM":
            out.append(_MONTHS[day.month - 1])
        elif token == "MMM":
            out.append(_MONTHS[day.month - 1][:3])
        elif token == "dd":
            out.append(f"{day.day:02d}")
        elif token == "d":
            out.append(str(day.day))
        elif token == "y":
            out.append(str(day.year))
        else:
            out.append(token)
    return "".join(out)


@lru_cache(maxsize=64)
def _tokens(pattern: str) -> tuple[str, ...]:
    """'EEEE, d MMMM y' -> ('EEEE', ', ', 'd', ' ', 'MMMM', ' ', 'y'): runs of one letter, and
    what lies between them."""
    out: list[str] = []
    for char in pattern:
        if (out and (char == out[-1][-1]) and (char.isalpha() == out[-1][-1].isalpha())) or (
            out and not char.isalpha() and not out[-1][-1].isalpha()
        ):
            out[-1] += char
        else:
            out.append(char)
    known = {"EEEE", "EEE", "MMMM", "MMM", "dd", "d", "y"}
    for token in out:
        if token[0].isalpha() and token not in known:
            raise ValueError(f"unknown date field {token!r} in {pattern!r}")
    return tuple(out)


def long_date(day: date, language: str) -> str:
    """'Wednesday, 20 January 2027'."""
    return format_date(day, LONG, language)


def medium_date(day: date, language: str) -> str:
    """'Wednesday 20 Jan 2027': the plan's conflicts and reasons, and its ICS."""
    return format_date(day, MEDIUM, language)


def clock(value: datetime | time, language: str) -> str:
    """'13:00'."""
    return f"{value.hour:02d}:{value.minute:02d}"


def number(value: int, language: str) -> str:
    """'37', '1000' (no grouping: anniversaries, counts and years read as written)."""
    return str(value)


@lru_cache(maxsize=4096)  # a plan asks for the same few hundred thousands of times
def ordinal(value: int, language: str) -> str:
    """'1st', '2nd', '3rd', '4th', '11th', '12th', '13th', '21st', '101st', '111th', '112th'."""
    if value % 100 in (11, 12, 13):
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(value % 10, "th")
    return f"{number(value, language)}{suffix}"


def plural(count: int, word: str, language: str, many: str = "") -> str:
    """'1 event', '2 events'; ``many`` when the plural is not ``word`` + 's'."""
    return f"{number(count, language)} {plural_word(count, word, language, many)}"


def plural_word(count: int, word: str, language: str, many: str = "") -> str:
    """'event' for 1, 'events' otherwise: the word alone, for a sentence that puts the count
    elsewhere."""
    if count == 1:
        return word
    return many or f"{word}s"


def minutes(span: timedelta, language: str) -> str:
    """'45 min', '1 h', '1 h 30 min': a moment's length in a terminal column."""
    total = int(span.total_seconds() // 60)
    if total < 60:
        return f"{number(total, language)} min"
    hours, rest = divmod(total, 60)
    return f"{hours} h {rest:02d} min" if rest else f"{hours} h"


def duration_text(span: timedelta, language: str) -> str:
    """'1 minute', '30 minutes', '1 hour', '1 hour 30 minutes'."""
    hours, rest = divmod(int(span.total_seconds() // 60), 60)
    parts = [plural(hours, "hour", language)] if hours else []
    if rest or not hours:
        parts.append(plural(rest, "minute", language))
    return " ".join(parts)


def when(days: int, language: str) -> str:
    """'today', 'tomorrow', 'in 30 days', 'yesterday', '3 days ago'."""
    if days == 0:
        return "today"
    if days == 1:
        return "tomorrow"
    if days == -1:
        return "yesterday"
    return (
        f"in {plural(days, 'day', language)}"
        if days > 0
        else f"{plural(-days, 'day', language)} ago"
    )


def days_before(days: int, language: str) -> str:
    """'on the day', '1 day before', '7 days before': a notice's lead."""
    return "on the day" if days == 0 else f"{plural(days, 'day', language)} before"


def days_apart(days: int, language: str, unit: str = "day") -> str:
    """'1 day before', '3 days after' (``days`` > 0 is before); ``unit`` 'working day' too."""
    side = "before" if days > 0 else "after"
    return f"{plural(abs(days), unit, language)} {side}"


def place(tz_name: str, language: str) -> str:
    """The place a zone is named after: 'Asia/Baku' -> 'Baku'."""
    return tz_name.rsplit("/", 1)[-1].replace("_", " ")


def both_zones(start: datetime, end: datetime, home: str, language: str) -> str:
    """'12:00 Asia/Baku (13:00 Asia/Karachi)', or one zone when they are the same."""
    origin = str(start.tzinfo)
    first = clock(start, language)
    text = (
        f"{first}-{clock(end, language)} {origin}"
        if end - start >= timedelta(minutes=10)
        else f"{first} {origin}"
    )
    if origin == home:
        return text
    local = start.astimezone(zone(home))
    other = local.date()
    day = "" if other == start.date() else f" on {format_date(other, TABLE_NO_YEAR, language)}"
    return f"{text} = {clock(local, language)} {home}{day}"
