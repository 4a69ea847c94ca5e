"""One exception tree for the whole project.

Every error a user can cause is a :class:`ReminderError`; the CLI turns it into a message and an
exit code in one place (``cli/commands.py``).  Errors about input data carry :class:`Problem`
values, each naming the file, the key (with its line where it can be found), the bad value and
what was expected, so that a user can fix every problem in one pass.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


class _Marker:
    """A Problem value that is not a value: a key that is absent, or one that is not known."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING = _Marker("MISSING")  # a required key that is absent (distinct from any value)
# A key the table does not have: named, its value never shown (a secrets file read by mistake
# must not end up on a terminal or in a log).
UNKNOWN_KEY = _Marker("UNKNOWN_KEY")

# Exit codes, stated once.
EXIT_OK = 0
EXIT_INVALID = 1  # the data (config, calendars) or an output target is not usable
EXIT_USAGE = 2  # the command line is wrong (argparse uses 2 as well)
EXIT_INTERRUPTED = 130


def show_value(value: object) -> str:
    """A short, quoted rendering of a bad value for a message."""
    if isinstance(value, str):
        text = repr(value)
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "a list" if any(isinstance(v, dict) for v in value) else repr(value)
    else:
        text = repr(value) if not isinstance(value, bool) else str(value).lower()
    return text if len(text) <= 80 else text[:77] + "..."


class Problem(NamedTuple):
    """One thing wrong with one input file.

    ``key`` is a dotted path with list indexes counted from 1 as a person counts
    (``notice[2].before``); an observance or event whose id is known is named by it instead
    (``observance 'january-20'.moment[1].time``); an empty key means the file as a whole.
    """

    file: str
    key: str
    value: object
    expected: str
    line: int | None = None
    column: int | None = None  # where the TOML parser stopped, counted from 1

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        where = f"{where}:{self.column}" if self.line and self.column else where
        if self.value is MISSING:
            got = "missing"
        elif self.value is UNKNOWN_KEY:
            got = "unknown key"
        elif self.value is None:
            got = ""
        else:
            got = f"got {show_value(self.value)}"
        what = f"{got}; expected {self.expected}" if got else self.expected
        return f"{where}: {self.key}: {what}" if self.key else f"{where}: {what}"


class ReminderError(Exception):
    """Base of every error the project raises on purpose."""

    exit_code = EXIT_INVALID

    def message(self) -> str:
        return str(self)


class UsageError(ReminderError):
    """The command line asks for something impossible (a year out of range, --from after --to)."""

    exit_code = EXIT_USAGE


class OutputError(ReminderError):
    """An output file could not be written; nothing partial is left behind."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"cannot write {path}: {reason}")
        self.path = path


class InvalidInput(ReminderError):
    """One or more problems in the configuration or the calendar sources.

    Loaders collect every problem of every file before raising, so ``reminders check`` lists them
    all at once, not only the first.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...], what: str = "input") -> None:
        self.problems = tuple(problems)
        self.what = what
        super().__init__(self.message())

    def message(self) -> str:
        count = len(self.problems)
        head = f"{count} problem{'s' if count != 1 else ''} in the {self.what}:"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ConfigError(InvalidInput):
    """Problems in ``config.toml``."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        super().__init__(problems, "configuration")


class CalendarError(InvalidInput):
    """Problems in the calendar sources (``calendars/*.toml``)."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        super().__init__(problems, "calendars")
