"""One declarative way to validate TOML tables, used by the config and the calendar loaders.

A table is described by a tuple of :class:`Field` values: name, parser, default and help text in
one place.  A parser takes the raw TOML value and returns the typed value, or raises
:class:`Invalid` saying what it expected.  :class:`Checker` walks a document, collects every
problem with its key path and line, and never stops at the first.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, NamedTuple

# tomli is the standard library's tomllib, released on its own with wheels compiled by mypyc: the
# same values and messages, and 2.4 times as fast on a calendar of 10,000 observances (2.1 MB:
# 0.12 s instead of 0.28 s).
import tomli

from ..core import words
from ..core.errors import MISSING, UNKNOWN_KEY, Problem, show_value

Parser = Callable[[Any], Any]


class Invalid(ValueError):
    """Raised by a parser: ``expected`` completes the sentence "expected ..."."""

    def __init__(self, expected: str) -> None:
        super().__init__(expected)
        self.expected = expected


class Field(NamedTuple):
    name: str
    parse: Parser
    default: Any = MISSING  # MISSING: the key is required
    help: str = ""


def describe(fields: Sequence[Field]) -> str:
    """The list of allowed keys, for "unknown key" messages."""
    return ", ".join(f.name for f in fields)


# --- Parsers --------------------------------------------------------------------------------


# What no single line of text (a title, a name, a venue, an id a person reads) may hold: the C0
# controls (line feed, carriage return, NUL, escape ...), DEL and the C1 controls, the Unicode
# line and paragraph separators, and the bidi embeddings, overrides and isolates, which reorder
# whatever follows them on the line they end up in (a subject, a log line, a table row). Such a
# line is written into ICS content lines, mail headers, file names and logs, where a line break
# or an escape sequence would forge a line of its own. The bidi marks (U+200E, U+200F, U+061C)
# stay: right-to-left text uses them, and they reorder nothing after them.
NOT_IN_A_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What text of several lines (a description, a fact) may not hold: it keeps its line feeds and
# tabs (TOML has already made every CR LF of a multi-line string a line feed), and is escaped
# wherever it is written (ICS text escaping, HTML escaping); other controls are not text.
_NOT_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ONE_LINE = "one line of text, without line breaks, tabs or other control characters"
SOME_TEXT = "text without control characters (line breaks and tabs are allowed)"


def _kind(char: str) -> str:
    if char in "\n\r\x0b\x0c\x85\u2028\u2029":
        return "a line break"
    if char == "\t":
        return "a tab"
    if "\u202a" <= char <= "\u202e" or "\u2066" <= char <= "\u2069":
        return "a bidi control"
    return "a control character"


def _refuse(found: re.Match[str] | None, expected: str) -> None:
    if found is not None:
        char = found.group()
        where = f"U+{ord(char):04X}, {_kind(char)}, at character {found.start() + 1}"
        raise Invalid(f"{expected} (this has {where})")


def is_one_line(value: str) -> bool:
    return NOT_IN_A_LINE.search(value) is None


def one_line(value: str) -> str:
    """``value`` if it holds nothing :data:`NOT_IN_A_LINE` refuses, else Invalid naming it."""
    _refuse(NOT_IN_A_LINE.search(value), ONE_LINE)
    return value


def text(value: Any) -> str:
    """A non-empty single line of text (a title, a name): no control characters."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a non-empty string")
    return one_line(value.strip())


def optional_text(value: Any) -> str:
    """A single line of text, or ''."""
    if not isinstance(value, str):
        raise Invalid("a string")
    return one_line(value.strip())


def paragraphs(value: Any) -> str:
    """Non-empty text that may run over several lines (a description, a fact)."""
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a non-empty string")
    _refuse(_NOT_IN_TEXT.search(value), SOME_TEXT)
    return value.strip()


def optional_paragraphs(value: Any) -> str:
    """Text of several lines, or ''."""
    if not isinstance(value, str):
        raise Invalid("a string")
    _refuse(_NOT_IN_TEXT.search(value), SOME_TEXT)
    return value.strip()


_IDENT = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?\Z")


def ident(value: Any) -> str:
    if not isinstance(value, str) or not _IDENT.match(value):
        raise Invalid("an id of lower-case letters, digits and inner hyphens, such as 'january-20'")
    return value


def folder(value: Any) -> str:
    # A NUL cannot be in a path: every file function would raise ValueError on it.
    if not isinstance(value, str) or not value.strip() or "\x00" in value:
        raise Invalid("a folder path (relative paths are relative to the config file)")
    return value


def optional_file(value: Any) -> str:
    """A file path (relative to the config file), or '' for none."""
    if not isinstance(value, str) or "\x00" in value:
        raise Invalid("a file path (relative paths are relative to the config file), or ''")
    return value.strip()


def matching(pattern: str, expected: str) -> Parser:
    """A parser of strings that ``pattern`` matches in full, else Invalid(``expected``)."""

    def parse(value: Any) -> str:
        if not isinstance(value, str) or not re.fullmatch(pattern, value):
            raise Invalid(expected)
        return value

    return parse


# The name of an environment variable (secrets are named, never written, in the config).
env_name = matching(
    r"[A-Za-z_][A-Za-z0-9_]*",
    "the name of an environment variable, such as 'REMINDERS_SMTP_PASSWORD'",
)


def optional_env_name(value: Any) -> str:
    return "" if value == "" else env_name(value)


def boolean(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Invalid("true or false")
    return value


def integer(low: int, high: int) -> Parser:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise Invalid(f"a whole number from {low} to {high}")
        return value

    return parse


def one_of(*choices: str) -> Parser:
    def parse(value: Any) -> str:
        if value not in choices:
            raise Invalid("one of " + ", ".join(repr(c) for c in choices))
        return str(value)

    return parse


def list_of(item: Parser, what: str) -> Parser:
    def parse(value: Any) -> tuple[Any, ...]:
        if not isinstance(value, list):
            raise Invalid(f"a list of {what}")
        out = []
        for element in value:
            try:
                out.append(item(element))
            except Invalid as exc:
                raise Invalid(
                    f"a list of {what}; {show_value(element)} is not {exc.expected}"
                ) from None
        return tuple(out)

    return parse


def timezone_name(value: Any) -> str:
    """An IANA time zone name that this machine's time zone database knows."""
    from zoneinfo import ZoneInfo

    expected = "an IANA time zone name such as 'Asia/Baku' or 'Europe/London'"
    if not isinstance(value, str) or not value or value != value.strip() or ".." in value:
        raise Invalid(expected)
    try:
        ZoneInfo(value)
    except (ValueError, OSError, LookupError):
        raise Invalid(expected) from None
    return value


_DAYS_IN_MONTH = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def month_day(value: Any) -> tuple[int, int]:
    """A month and day written MM-DD ('01-20'); February 29 is allowed (see leap-day policy)."""
    expected = "a month and day written MM-DD, such as '01-20'"
    if not isinstance(value, str) or not re.fullmatch(r"[0-9][0-9]-[0-9][0-9]", value):
        raise Invalid(expected)
    month, day = int(value[:2]), int(value[3:])
    if not 1 <= month <= 12:
        raise Invalid(f"{expected} (there is no month {month})")
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        raise Invalid(
            f"{expected} ({words.month(month, words.ENGLISH)} has {_DAYS_IN_MONTH[month - 1]} "
            "days at most)"
        )
    return month, day


def local_time(value: Any) -> time:
    """A wall-clock time 'HH:MM' (or a TOML local time)."""
    if isinstance(value, time) and value.tzinfo is None:
        return value
    if isinstance(value, str) and re.fullmatch(r"[0-9][0-9]:[0-9][0-9](:[0-9][0-9])?", value):
        try:
            return time.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("a local time written HH:MM, such as '12:00'")


_DURATION = re.compile(
    r"P(?:(?P<w>[0-9]+)W)?(?:(?P<d>[0-9]+)D)?"
    r"(?:T(?:(?P<h>[0-9]+)H)?(?:(?P<m>[0-9]+)M)?(?:(?P<s>[0-9]+)S)?)?\Z"
)


def duration(value: Any) -> timedelta:
    """An ISO 8601 duration of weeks, days, hours, minutes, seconds ('PT1M', 'P30D', 'PT2H30M')."""
    expected = "an ISO 8601 duration such as 'PT1M', 'PT2H30M' or 'P1D'"
    if not isinstance(value, str):
        raise Invalid(expected)
    match = _DURATION.match(value)
    if not match or value in ("P", "PT") or value.endswith("T"):
        raise Invalid(expected)
    try:
        # Inside the guard: int() refuses more digits than sys.get_int_max_str_digits().
        parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
        return timedelta(
            weeks=parts.get("w", 0),
            days=parts.get("d", 0),
            hours=parts.get("h", 0),
            minutes=parts.get("m", 0),
            seconds=parts.get("s", 0),
        )
    except (OverflowError, ValueError):
        raise Invalid(expected + " (at most 999999999 days)") from None


def _shown_span(span: timedelta) -> str:
    """A bound as an ISO 8601 duration: 'P366D', 'PT24H', 'PT5M'."""
    if span.days and not span.seconds:
        return f"P{span.days}D"
    seconds = int(span.total_seconds())
    if seconds % 3600:
        return f"PT{seconds // 60}M"
    return f"PT{seconds // 3600}H"


def duration_within(high: timedelta, example: str, *, zero: bool = False) -> Parser:
    """An ISO 8601 duration longer than zero (or zero too, with ``zero``) and at most ``high``.

    Every duration the program adds to a date or a time has such a bound, so that no accepted
    value carries a date past the year 9999 in any computation.
    """
    low = "from PT0S" if zero else "longer than zero,"
    expected = f"an ISO 8601 duration {low} up to {_shown_span(high)}, such as '{example}'"

    def parse(value: Any) -> timedelta:
        try:
            span = duration(value)
        except Invalid:
            raise Invalid(expected) from None
        if span > high or span < timedelta(0) or (span == timedelta(0) and not zero):
            raise Invalid(expected)
        return span

    return parse


def local_datetime(value: Any) -> datetime:
    """A wall-clock date and time without offset: a TOML local date-time (2027-02-26T15:00:00)."""
    expected = "a local date and time without offset, such as 2027-02-26T15:00:00"
    if isinstance(value, datetime) and value.tzinfo is None:
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(expected) from None
        if parsed.tzinfo is None:
            return parsed
    raise Invalid(expected + " (the time zone goes in its own key)")


def calendar_date(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise Invalid("a date such as 2027-02-26")


def utc_datetime(value: Any) -> datetime:
    """A date-time with offset (TOML offset date-time), normalised to UTC."""
    expected = "a date-time with offset such as 2026-11-23T00:00:00Z, or a date"
    if isinstance(value, datetime) and value.tzinfo is not None:
        try:
            return value.astimezone(UTC)
        except OverflowError:  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
            raise Invalid(expected + " (in UTC within years 1 to 9999)") from None
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise Invalid(expected)


# --- Documents ------------------------------------------------------------------------------


_TOML_LINE = re.compile(r"at line (\d+)")


def read_toml(
    path: str | os.PathLike[str], shown: str
) -> tuple[dict[str, Any] | None, str, list[Problem]]:
    """Read and parse one TOML file; a read or syntax error becomes a Problem, never a traceback."""
    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        return None, "", [Problem(shown, "", None, f"a readable file ({exc.strerror})")]
    try:
        source = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        expected = f"UTF-8 text (bad byte at offset {exc.start})"
        return None, "", [Problem(shown, "", None, expected, raw.count(b"\n", 0, exc.start) + 1)]
    try:
        return tomli.loads(source), source, []
    except tomli.TOMLDecodeError as exc:
        line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
        if line is None:  # an older tomli: the place is only in the text
            match = _TOML_LINE.search(str(exc))
            line = int(match.group(1)) if match else None
        reason = toml_reason(getattr(exc, "msg", str(exc)))
        return None, source, [Problem(shown, "", None, f"{SYNTAX}: {reason}", line, column)]
    except ValueError:
        # Python refuses to turn more than sys.get_int_max_str_digits() digits into an int
        # (a guard against slow conversions); tomli lets that ValueError through.
        return None, source, [_long_number(shown, source)]
    except RecursionError:
        # tomli reads nested arrays and inline tables recursively, up to 400 levels deep (older
        # releases with no limit of their own).
        expected = f"{SYNTAX}: arrays or inline tables nested hundreds of levels deep (a few do)"
        return None, source, [Problem(shown, "", None, expected)]


def _long_number(shown: str, source: str) -> Problem:
    """The problem of a number with more digits than Python converts, on its line."""
    found = re.search(rf"[0-9][0-9_]{{{sys.get_int_max_str_digits()},}}", source)
    expected = "a number too long to read; expected whole numbers of at most 64 bits, such as 1990"
    if found is None:
        return Problem(shown, "", None, f"{SYNTAX}: {expected}")
    digits = len(found.group().replace("_", ""))
    line = source.count("\n", 0, found.start()) + 1
    column = found.start() - source.rfind("\n", 0, found.start())
    what = f"{SYNTAX}: {expected} (this one has {digits} digits)"
    return Problem(shown, "", None, what, line, column)


SYNTAX = "TOML syntax error"  # how every problem of reading a file as TOML begins

# The TOML parser's reasons, in the words of someone editing the file.
_TOML_REASONS = {
    "Illegal character '\\n'": "a quoted string is not closed before the end of its line "
    "(close it with the same quote, or use triple quotes for several lines)",
    "Invalid value": 'this is not a TOML value (text needs quotes, as in name = "Text"; '
    "numbers, true, false, dates and [lists] do not)",
    "Cannot overwrite a value": "this key already has a value (each key once per table)",
    "Expected '=' after a key in a key/value pair": "a key without '=' and a value after it",
    "Unclosed array": "a list opened with [ is not closed with ]",
    "Unclosed inline table": "an inline table opened with { is not closed with } on the same line",
    "Unterminated string": "a quoted string is not closed",
    "Unescaped '\\' in a string": 'a backslash in a "string" starts an escape; write \\\\ '
    "or use 'single quotes'",
    "Invalid date or datetime": "a date or time that does not exist or is not written "
    "YYYY-MM-DD or HH:MM:SS",
    "Invalid statement": "a line that is neither key = value nor a [table] header",
    "Invalid initial character for a key part": "a key with a character keys cannot have "
    "(letters, digits, - and _; quote any other key)",
    "Expected newline or end of document after a statement": "more after a value on its "
    "line (one key = value a line; comments start with #)",
}


def toml_reason(message: str) -> str:
    """The parser's ``message`` in plain words; one not known here keeps the parser's words."""
    if message in _TOML_REASONS:
        return _TOML_REASONS[message]
    if message.startswith("Illegal character "):
        return f"the character {message[18:]} is not allowed here (escape it in a string)"
    if message.startswith("Cannot declare ") and message.endswith(" twice"):
        return "this [table] header is already declared (each table once; [[table]] for a list)"
    return message[:1].lower() + message[1:]


class Checker:
    """Collects problems for one file; knows how to find the line of a key in its source."""

    def __init__(self, file: str, source: str = "") -> None:
        self.file = file
        self.problems: list[Problem] = []
        self._source = source
        self._lines: dict[tuple[str | int, ...], int] | None = None
        # How a person names an item of an array of tables, by its path: "observance 'january-20'"
        # for ("observance", 0), where the id is known; unnamed items keep their index.
        self.names: dict[tuple[str | int, ...], str] = {}

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        if self._lines is None:  # built on the first problem: valid files never pay for it
            self._lines = index_lines(self._source) if self._source else {}
        for cut in range(len(path), 0, -1):
            line = self._lines.get(path[:cut])
            if line is not None:
                return line
        return None

    def add(self, path: tuple[str | int, ...], value: object, expected: str) -> None:
        if isinstance(value, date | time):  # as written in TOML, not datetime.datetime(...)
            value = value.isoformat()
        self.problems.append(
            Problem(self.file, key_name(path, self.names), value, expected, self.line_of(path))
        )

    def table(
        self, raw: Any, fields: Sequence[Field], path: tuple[str | int, ...]
    ) -> dict[str, Any] | None:
        """Validate one table; returns the parsed values, or None if any field was bad."""
        if not isinstance(raw, dict):
            self.add(path, raw, "a table")
            return None
        known = _field_names(fields)
        ok = True
        for key in raw:
            if key not in known:
                self.add((*path, key), UNKNOWN_KEY, f"a known key ({describe(fields)})")
                ok = False
        values: dict[str, Any] = {}
        for field in fields:
            if field.name not in raw:
                if field.default is MISSING:
                    self.add((*path, field.name), MISSING, field.help or "a value")
                    ok = False
                else:
                    values[field.name] = field.default
                continue
            try:
                values[field.name] = field.parse(raw[field.name])
            except Invalid as exc:
                self.add((*path, field.name), raw[field.name], exc.expected)
                ok = False
        return values if ok else None

    def tables(
        self, raw: Any, fields: Sequence[Field], path: tuple[str | int, ...]
    ) -> Iterator[tuple[int, dict[str, Any] | None, Mapping[str, Any]]]:
        """Validate an array of tables, yielding (index, parsed or None, raw) for each."""
        if raw is None:
            return
        if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
            header = ".".join(part for part in path if isinstance(part, str))
            self.add(path, raw, f"an array of tables ([[{header}]])")
            return
        for index, item in enumerate(raw):
            yield index, self.table(item, fields, (*path, index)), item


_NAMES: dict[int, tuple[Sequence[Field], frozenset[str]]] = {}


def _field_names(fields: Sequence[Field]) -> frozenset[str]:
    """The names of ``fields``, worked out once per tuple of fields (a calendar of 10,000
    observances validates 10,000 tables against the same one)."""
    found = _NAMES.get(id(fields))
    if found is None or found[0] is not fields:
        found = _NAMES[id(fields)] = (fields, frozenset(f.name for f in fields))
    return found[1]


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+\Z")


def key_name(
    path: tuple[str | int, ...], names: Mapping[tuple[str | int, ...], str] | None = None
) -> str:
    """('observance', 1, 'date') -> 'observance[2].date' (indexes counted from 1).

    An item that ``names`` names is shown by its name, as in ``observance 'january-20'.date``.
    A key that is not a bare TOML key is quoted, so that a space, a dot or a line break in an
    unknown key stays visible and the message stays on one line.
    """
    out = ""
    for at, part in enumerate(path):
        if isinstance(part, int):
            name = names.get(path[: at + 1]) if names else None
            out = name if name is not None else f"{out}[{part + 1}]"
        else:
            out += ("." if out else "") + (part if _BARE_KEY.match(part) else repr(part))
    return out


_HEADER = re.compile(r"\s*(\[\[?)\s*([A-Za-z0-9_.\- ]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r"\s*([A-Za-z0-9_\-]+)\s*=")


def index_lines(source: str) -> dict[tuple[str | int, ...], int]:
    """Map key paths to 1-based line numbers for documents written in the usual TOML style.

    The TOML parser gives no positions, so this follows table headers (``[calendar]``,
    ``[[observance]]``, ``[[observance.moment]]``) and ``key = value`` lines. Inline tables and
    dotted keys are not followed; for those the message names the nearest table's line.
    """
    index: dict[tuple[str | int, ...], int] = {}
    counters: dict[tuple[str | int, ...], int] = {}
    current: tuple[str | int, ...] = ()
    in_multiline = ""  # the delimiter of the multi-line string being skipped, if any
    # Only "\n" ends a TOML line; str.splitlines() would also split at U+2028, U+0085 and other
    # characters a string or comment may hold, and count every later line wrong.
    for number, line in enumerate(source.split("\n"), start=1):
        if in_multiline:
            # Only its own delimiter ends it: ''' inside a """ string is text.
            if line.count(in_multiline) % 2 == 1:
                in_multiline = ""
            continue
        header = _HEADER.match(line)
        if header:
            names = [n.strip() for n in header.group(2).split(".")]
            parent: tuple[str | int, ...] = ()
            # Resolve each name against the tables seen so far: [[a.b]] lives in the last [[a]].
            for depth, name in enumerate(names):
                base = (*parent, name)
                is_last = depth == len(names) - 1
                if header.group(1) == "[[" and is_last:
                    index.setdefault(base, number)  # the array itself: its first table
                    counters[base] = counters.get(base, -1) + 1
                    parent = (*base, counters[base])
                elif base in counters:
                    parent = (*base, counters[base])
                else:
                    parent = base
            current = parent
            index.setdefault(current, number)
            continue
        key = _KEY.match(line)
        if key:
            index.setdefault((*current, key.group(1)), number)
            value = line[key.end() :].lstrip()
            if value[:3] in ('"""', "'''") and value.count(value[:3]) == 1:
                in_multiline = value[:3]
    return index
