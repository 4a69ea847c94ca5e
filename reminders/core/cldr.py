"""CLDR through Babel, behind core/words.py, for every language but English.

core/words.py imports this module inside the functions that need it, only for a language other
than English and only when the start-up cache has no pack of it, so that ``reminders upcoming``
and ``check`` in English never import Babel (tests/test_languages.py runs them and looks at
``sys.modules``). Each locale is parsed once per process (:func:`locale`); Babel loads the data
of the languages used, and no other.

What comes from here is CLDR's: month and weekday names, the date and time patterns, the digits
of numbers, and the plural and ordinal rules whose categories (``one``, ``few``, ``many`` ...)
choose a word's form in core/languages.py's tables. :func:`pack` gathers them as plain values,
which core/cldrdata.py writes from and the start-up cache keeps (so a run in a language that ran
before imports no Babel); what cldrdata does not write (a rare pattern field) comes from here.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache
from typing import Any

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_date
from babel.dates import format_time as babel_time
from babel.dates import match_skeleton
from babel.numbers import format_decimal

# A date pattern's quoted literal text, or one run of one field letter.
_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*")


@lru_cache(maxsize=32)
def locale(language: str) -> Locale:
    """The CLDR locale of a BCP 47 tag (``"ur-PK"``, ``"az-Latn"``); ValueError when CLDR has
    no such language (``"french"``, ``"xx"``) or the tag names another one than it resolves to
    (``"und"`` is English in Babel, and is refused)."""
    try:
        found = Locale.parse(language.replace("_", "-"), sep="-")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"unknown language {language!r}: {exc}") from None
    if found.language != language.split("-", 1)[0].lower():
        raise ValueError(f"unknown language {language!r}: CLDR reads it as {found}")
    return found


@lru_cache(maxsize=256)
def date_pattern(language: str, skeleton: str) -> str:
    """The locale's own pattern for ``skeleton`` (CLDR's available formats), with the fields as
    wide as the skeleton asks: ``"yMMMEEEEd"`` in Russian is ``"EEEE, d MMM y 'г'."``.
    ``"full"`` is the locale's full date format."""
    where = locale(language)
    if skeleton == "full":
        return str(where.date_formats["full"].pattern)
    options = where.datetime_skeletons
    match = match_skeleton(skeleton, options) or "yMMMEd"
    return _widen(str(options[match].pattern), skeleton)


def _widen(pattern: str, skeleton: str) -> str:
    """Babel matches a skeleton without the widths it asks for (``EEEE`` comes back ``E``); put
    them back: the weekday and a month written as a name, and the day's padding."""
    weekday, month, day = (skeleton.count(letter) for letter in "EMd")

    def sized(found: re.Match[str]) -> str:
        run = found.group(0)
        letter = found.group(1)
        if letter in ("E", "c") and weekday:
            return letter * max(weekday, 3)
        if letter in ("M", "L") and len(run) >= 3 and month >= 3:
            return letter * month
        if letter == "d" and day:
            return letter * day
        return run

    return _FIELD.sub(sized, pattern)


def pack(language: str, skeletons: tuple[str, ...]) -> dict[str, Any]:
    """What core/words.py needs of a language, as plain values (core/cldrdata.py writes from
    it, and the start-up cache keeps it): the names of days and months, the patterns of
    ``skeletons``, the short time, the digits and the plural and ordinal rules."""
    where = locale(language)

    def names(table: Any, count: int, first: int) -> dict[str, dict[str, list[str]]]:
        return {
            context: {
                width: [str(table[context][width][first + i]) for i in range(count)]
                for width in ("wide", "abbreviated", "narrow")
            }
            for context in ("format", "stand-alone")
        }

    digits = "".join(number(d, language) for d in range(10))
    negative = str(format_decimal(-7, locale=where, group_separator=False))
    periods = where.day_periods["format"]["abbreviated"]
    return {
        "language": language,
        "script": where.script,
        "direction": str(where.text_direction),  # "rtl" or "ltr"
        "name": str(where.get_display_name(where)),  # the language named in itself
        # The exemplar city of each time zone CLDR names in this language ("Asia/Karachi":
        # "کراچی"): a few kilobytes, read by words.place without Babel.
        "cities": {
            str(name): str(names["city"])
            for name, names in sorted(where.time_zones.items())
            if names.get("city")
        },
        "days": names(where.days, 7, 0),
        "months": names(where.months, 12, 1),
        "patterns": {skeleton: date_pattern(language, skeleton) for skeleton in skeletons},
        "time": str(where.time_formats["short"].pattern),
        "periods": {"am": str(periods["am"]), "pm": str(periods["pm"])},
        "digits": digits,
        "minus": negative[:-1] if negative.endswith(digits[7]) else None,
        "plural": tuple((tag, str(rule)) for tag, rule in sorted(where.plural_form.rules.items())),
        "ordinal": tuple(
            (tag, str(rule)) for tag, rule in sorted(where.ordinal_form.rules.items())
        ),
    }


def format_date(day: date, pattern: str, language: str) -> str:
    return str(babel_date(day, pattern, locale=locale(language)))


def clock(value: time, language: str) -> str:
    """The locale's short time: ``13:05`` in Azerbaijani, ``1:05 PM`` in Urdu."""
    where = locale(language)
    return str(babel_time(value, where.time_formats["short"], locale=where))


def number(value: int, language: str) -> str:
    """In the locale's digits, without grouping (years and anniversaries read as written)."""
    return str(format_decimal(value, locale=locale(language), group_separator=False))
