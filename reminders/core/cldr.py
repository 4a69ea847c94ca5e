"""CLDR through Babel, behind core/words.py, for every language but English.

core/words.py imports this module inside the functions that need it, and only for a language
other than English, so that ``reminders upcoming`` and ``check`` in English never import Babel
(tests/test_languages.py runs them and looks at ``sys.modules``). Each locale is parsed once per
process (:func:`locale`); Babel loads the data of the languages used, and no other.

What comes from here is CLDR's: month and weekday names, the date and time patterns, the digits
of numbers, and the plural and ordinal categories (``one``, ``few``, ``many`` ...) that choose a
word's form in words.py's tables.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache

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


def format_date(day: date, pattern: str, language: str) -> str:
    return str(babel_date(day, pattern, locale=locale(language)))


def clock(value: time, language: str) -> str:
    """The locale's short time: ``13:05`` in Azerbaijani, ``1:05 PM`` in Urdu."""
    where = locale(language)
    return str(babel_time(value, where.time_formats["short"], locale=where))


def weekday(index: int, language: str, width: str) -> str:
    """Weekday ``index`` (0 is Monday) as a name on its own (CLDR's stand-alone context)."""
    return str(locale(language).days["stand-alone"][width][index])


def month(number: int, language: str, width: str) -> str:
    """Month ``number`` (1-12) as a name on its own: Russian ``январь``, not ``января``."""
    return str(locale(language).months["stand-alone"][width][number])


def number(value: int, language: str) -> str:
    """In the locale's digits, without grouping (years and anniversaries read as written)."""
    return str(format_decimal(value, locale=locale(language), group_separator=False))


def plural_category(count: int, language: str) -> str:
    """CLDR's cardinal category of ``count``: ``one``, ``few``, ``many``, ``other`` ..."""
    return str(locale(language).plural_form(count))


def ordinal_category(value: int, language: str) -> str:
    """CLDR's ordinal category of ``value`` (Azerbaijani 37 is ``one``, 40 ``many``)."""
    return str(locale(language).ordinal_form(value))
