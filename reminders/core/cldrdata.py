"""One language's CLDR data as plain values (a "pack"), and the words written from it without
Babel.

Importing Babel and loading a locale's data costs about 30 ms, three times what
``python -I -S -c pass`` takes; ``reminders upcoming`` in another language than English must
start within 6x of it (bench/RESULTS.md, "Issue 17 groundwork"). So core/cldr.py asks Babel once
for what words needs of a language (names, the date and time patterns, digits, the plural and
ordinal rules) and makes it a pack of strings, lists and dicts, which the start-up cache keeps
(config/langcache.py), and this module writes dates, times, numbers and categories from a pack.
tests/test_languages.py checks it against Babel's own output, for every named date form, the
time of day and the categories of 0 to 10,000, in many languages.

A pattern field this module does not write (``B``, ``G`` ...) raises :class:`Unsupported`, and
words asks Babel instead.
"""

from __future__ import annotations

import re
from datetime import date, time
from functools import lru_cache

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Pack = dict[str, Any]

# A date pattern's quoted literal text, or one run of one field letter, or other text.
_PART = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|[^'A-Za-z]+")
_RELATION = re.compile(r"([niftvwce])(?: mod (\d+))? (not in|in|not within|within) ([0-9.,]+)")
_WIDTHS = {1: "abbreviated", 2: "abbreviated", 3: "abbreviated", 4: "wide", 5: "narrow"}


class Unsupported(ValueError):
    """A pattern field the pack does not write."""


def format_date(day: date, pattern: str, pack: Pack) -> str:
    """``day`` in an LDML date pattern, as Babel's ``format_date`` writes it."""
    return "".join(_field(part, day, None, pack) for part in _parts(pattern))


def clock(value: time, pack: Pack) -> str:
    """The locale's short time of day, as Babel's ``format_time(value, "short")`` writes it."""
    return "".join(_field(part, None, value, pack) for part in _parts(pack["time"]))


@lru_cache(maxsize=128)
def _parts(pattern: str) -> tuple[str, ...]:
    return tuple(found.group(0) for found in _PART.finditer(pattern))


def _field(part: str, day: date | None, moment: time | None, pack: Pack) -> str:
    letter, size = part[0], len(part)
    if letter == "'":
        return part[1:-1].replace("''", "'") if size > 2 else "'"
    if not letter.isalpha():
        return part
    if day is not None:
        if letter == "y":
            return f"{day.year % 100:02d}" if size == 2 else f"{day.year:0{size}d}"
        if letter in ("M", "L"):
            if size <= 2:
                return f"{day.month:0{size}d}"
            context = "format" if letter == "M" else "stand-alone"
            return str(pack["months"][context][_WIDTHS[size]][day.month - 1])
        if letter == "d" and size <= 2:
            return f"{day.day:0{size}d}"
        if letter == "E" or (letter == "c" and size >= 3):
            context = "format" if letter == "E" else "stand-alone"
            return str(pack["days"][context][_WIDTHS[size]][day.weekday()])
    if moment is not None:
        if letter in ("H", "k") and size <= 2:
            hour = moment.hour if letter == "H" else (moment.hour or 24)
            return f"{hour:0{size}d}"
        if letter in ("h", "K") and size <= 2:
            hour = moment.hour % 12
            return f"{(hour or 12) if letter == 'h' else hour:0{size}d}"
        if letter == "m" and size <= 2:
            return f"{moment.minute:0{size}d}"
        if letter == "a" and size <= 3:
            return str(pack["periods"]["pm" if moment.hour >= 12 else "am"])
    raise Unsupported(f"pattern field {part!r}")


def number(value: int, pack: Pack) -> str:
    """An integer in the locale's digits, without grouping."""
    digits: str = pack["digits"]
    text = str(abs(value)).translate(str.maketrans("0123456789", digits))
    if value >= 0:
        return text
    if pack["minus"] is None:
        raise Unsupported("a negative number in this locale")
    return f"{pack['minus']}{text}"


def plural_category(count: int, pack: Pack) -> str:
    return _category(count, pack["plural"])


def ordinal_category(value: int, pack: Pack) -> str:
    return _category(value, pack["ordinal"])


@lru_cache(maxsize=65536)
def _category(value: int, rules: tuple[tuple[str, str], ...]) -> str:
    """The CLDR category of a whole number under ``rules`` ((tag, rule) pairs, Babel's text of
    CLDR's rules, such as ``"v in 0 and i mod 10 in 2..4 and i mod 100 not in 12..14"``)."""
    for tag, rule in rules:
        if any(all(_holds(relation, value) for relation in _and(part)) for part in _or(rule)):
            return tag
    return "other"


@lru_cache(maxsize=256)
def _or(rule: str) -> tuple[str, ...]:
    return tuple(rule.split(" or "))


@lru_cache(maxsize=1024)
def _and(part: str) -> tuple[tuple[str, int, bool, tuple[tuple[int, int], ...]], ...]:
    """``"i mod 10 in 2..4"`` -> (("i", 10, True, ((2, 4),)),): operand, modulus (0: none),
    whether the value must be in the ranges, and the ranges."""
    relations = []
    for text in part.split(" and "):
        found = _RELATION.fullmatch(text)
        if found is None:
            raise ValueError(f"a CLDR plural rule this module does not read: {text!r}")
        operand, modulus, how, ranges = found.groups()
        spans = tuple(
            (int(low), int(high or low))
            for low, _, high in (item.partition("..") for item in ranges.split(","))
        )
        relations.append((operand, int(modulus or 0), not how.startswith("not"), spans))
    return tuple(relations)


def _holds(relation: tuple[str, int, bool, tuple[tuple[int, int], ...]], value: int) -> bool:
    operand, modulus, inside, spans = relation
    # A whole number: n and i are the number, and it has no visible fraction digits or exponent.
    seen = abs(value) if operand in ("n", "i") else 0
    if modulus:
        seen %= modulus
    return any(low <= seen <= high for low, high in spans) == inside
