"""What each command does, as functions that take arguments and return data.

The CLI (cli.py) parses arguments, calls one of these and prints the result; nothing here prints or
reads the clock (``today`` is an argument).
"""

from __future__ import annotations

import os
from datetime import date, timedelta

from .errors import InvalidInput, OutputError, Problem, UsageError
from .model import Calendar, Occurrence
from .occurrences import occurrences
from .settings import Loaded, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

FIRST_YEAR, LAST_YEAR = 1900, 2200  # the range of years the commands accept


def load(config_path: str, today: date) -> Loaded:
    """The config and its calendars, validated; from the start-up cache when nothing changed."""
    from . import cache

    cached = cache.read(config_path, today)
    if cached is not None:
        return cached
    # Only a cache miss pays for the TOML parser and the schema.
    from .calendars import load_calendars
    from .config import load_config

    settings = load_config(config_path)
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    cache.write(config_path, today, loaded)
    return loaded


class CheckReport(NamedTuple):
    config: str
    calendars_dir: str
    calendars: tuple[Calendar, ...]
    problems: tuple[Problem, ...]


def check(config_path: str, today: date) -> CheckReport:
    """Validate the config and every calendar; collect every problem of both."""
    from . import cache

    cached = cache.read(config_path, today)
    if cached is not None:
        known = cached.settings
        return CheckReport(known.source, known.calendars_dir, cached.calendars, ())
    from .calendars import load_calendars
    from .config import calendars_dir_hint, load_config

    problems: list[Problem] = []
    settings: Settings | None = None
    try:
        settings = load_config(config_path)
        folder = settings.calendars_dir
    except InvalidInput as exc:
        problems.extend(exc.problems)
        folder = calendars_dir_hint(config_path)
    calendars: tuple[Calendar, ...] = ()
    try:
        calendars = load_calendars(folder, today)
    except InvalidInput as exc:
        problems.extend(exc.problems)
    if settings is not None and not problems:
        cache.write(config_path, today, Loaded(settings, calendars))
    shown = settings.source if settings else str(config_path)
    return CheckReport(shown, str(folder), calendars, tuple(problems))


def upcoming(loaded: Loaded, start: date, days: int) -> tuple[Occurrence, ...]:
    """Occurrences from ``start`` for ``days`` days, examples as the feed settings say."""
    if not FIRST_YEAR <= start.year <= LAST_YEAR or (start + timedelta(days=days)).year > LAST_YEAR:
        raise UsageError(
            f"--from {start} --days {days} reaches outside the years this command accepts; "
            f"expected dates from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
        )
    return occurrences(
        loaded.calendars,
        start,
        start + timedelta(days=days),
        examples=loaded.settings.feed.include_examples,
    )


def year_window(
    loaded: Loaded, today: date, first: int | None, last: int | None
) -> tuple[int, int]:
    feed = loaded.settings.feed
    first = today.year - feed.past_years if first is None else first
    last = today.year + feed.future_years if last is None else last
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}; expected --from <= --to")
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise UsageError(
            f"years {first}-{last} are out of range; expected years {FIRST_YEAR} to {LAST_YEAR}"
        )
    return first, last


def export_ics(
    loaded: Loaded,
    first: int,
    last: int,
    calendar_id: str | None,
    examples: bool | None,
) -> bytes:
    """The ICS bytes of one calendar, or of all public calendars combined."""
    from .ics import FeedInfo, build_ics

    settings = loaded.settings
    if calendar_id is None:
        chosen = tuple(c for c in loaded.calendars if c.public)
        name, description, stem = settings.feed.name, settings.feed.description, "all"
    else:
        match = [c for c in loaded.calendars if c.id == calendar_id]
        if not match:
            known = ", ".join(c.id for c in loaded.calendars)
            raise UsageError(
                f"--calendar {calendar_id!r}: no such calendar; expected one of: {known}"
            )
        chosen = (match[0],)
        name, description, stem = match[0].name, match[0].description, match[0].id
    domain = settings.organisation.uid_domain
    info = FeedInfo(name, description, domain, settings.feed.refresh_interval, f"{stem}@{domain}")
    use_examples = settings.feed.include_examples if examples is None else examples
    return build_ics(chosen, first, last, info, examples=use_examples)


def write_atomically(path: str, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename: never a partial file."""
    import tempfile  # only the commands that write files pay for it

    folder = os.path.dirname(path) or "."
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        raise OutputError(path, exc.strerror or str(exc)) from None
