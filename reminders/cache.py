"""A cache of validated settings and calendars, so that `upcoming` and `check` start fast.

Parsing TOML and validating it costs more start-up time than everything else the commands do:
``tomllib`` alone is about 4 ms to import, and the budget for ``reminders upcoming`` is about
25 ms (4x ``python -I -S -c pass``).  Once a config and its calendars have loaded without a
problem, the resulting values are written with ``marshal`` (built into the interpreter, nothing
to import) under a key made of everything they were made from:

* the project's version and location and the Python version,
* the working folder (messages show paths relative to it),
* the config file's absolute path, size, modification and change times and inode,
* the calendar folder's path and, for every ``*.toml`` in it, the same,
* the current year (a ``since`` in the future depends on it).

Any change to any of those misses the cache, and the files are loaded and validated again.
File times are coarse (a few milliseconds), so an edit that keeps the size within one tick of
the cached state would go unseen; as git does for its index, files changed in the last two
seconds are never cached.  Only valid inputs are cached, so an invalid file's problems show every
time.  The cache is a plain optimisation: if it cannot be read or written, nothing else changes.

Where: ``$REMINDERS_CACHE_DIR``, else ``$XDG_CACHE_HOME/reminders``, else
``~/.cache/reminders``.  ``REMINDERS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import marshal
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from . import __version__, model, settings
from .settings import Loaded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Key = dict[str, Any]

FORMAT = 4
ENV_DIR = "REMINDERS_CACHE_DIR"
SETTLED_NS = 2_000_000_000  # files younger than this are not cached (see the module docstring)

# Every record class of the model and the settings, by name (records have ``_fields``).
RECORDS: dict[str, Callable[..., Any]] = {
    name: value
    for module in (model, settings)
    for name, value in vars(module).items()
    if isinstance(value, type) and hasattr(value, "_fields")
}


def folder(environ: dict[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    chosen = env.get(ENV_DIR)
    if chosen == "off":
        return None
    if chosen:
        return chosen
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "reminders")


CTIME = 2  # index of st_ctime_ns in what _stat returns


def _stat(path: str) -> tuple[int, int, int, int]:
    """Size, mtime, ctime and inode: a change to a file changes at least one of them."""
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def key(config_path: str, calendars_dir: str, today: date) -> Key | None:
    """Everything the loaded values depend on; None if a file cannot be looked at."""
    try:
        files = sorted(
            (entry.name, _stat(entry.path))
            for entry in os.scandir(calendars_dir)
            if entry.name.endswith(".toml") and entry.is_file()
        )
        return {
            "format": FORMAT,
            "version": __version__,
            "package": os.path.dirname(os.path.abspath(__file__)),
            "python": sys.version,
            "cwd": os.getcwd(),
            "config": os.path.abspath(config_path),
            "config_stat": _stat(config_path),
            "calendars": os.path.abspath(calendars_dir),
            "calendar_stats": tuple(files),
            "year": today.year,
        }
    except OSError:
        return None


def _settled(wanted: Key) -> bool:
    """True if no input changed in the last two seconds (see the module docstring)."""
    import time

    stats = [wanted["config_stat"], *(stat for _, stat in wanted["calendar_stats"])]
    changed: list[int] = [stat[CTIME] for stat in stats]
    return time.time_ns() - max(changed) > SETTLED_NS


def _file_for(config_path: str, base: str) -> str:
    # A stable name per config file (FNV-1a over its absolute path; hashlib costs an import).
    digest = 0xCBF29CE484222325
    for byte in os.path.abspath(config_path).encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return os.path.join(base, f"loaded-{digest:016x}.marshal")


def read(config_path: str, today: date) -> Loaded | None:
    """The cached values for this config, if every input is unchanged."""
    base = folder()
    if base is None:
        return None
    try:
        with open(_file_for(config_path, base), "rb") as handle:
            stored_key, payload = marshal.load(handle)
        # The calendar folder comes from the config; the config's own stat is in the key, so
        # the folder it names is the stored one if the key still matches.
        wanted = key(config_path, stored_key["calendars"], today)
    except (OSError, EOFError, ValueError, TypeError, KeyError):
        return None
    if stored_key != wanted:
        return None
    try:
        loaded = decode(payload)
    except (KeyError, TypeError, ValueError, IndexError):
        return None
    return loaded if isinstance(loaded, Loaded) else None


def write(config_path: str, today: date, loaded: Loaded) -> None:
    """Store ``loaded`` (already validated) for the next start; failures are ignored."""
    base = folder()
    wanted = key(config_path, loaded.settings.calendars_dir, today) if base else None
    if base is None or wanted is None or not _settled(wanted):
        return
    target = _file_for(config_path, base)
    temp = f"{target}.{os.getpid()}.tmp"
    try:
        os.makedirs(base, exist_ok=True)
        with open(temp, "wb") as handle:
            marshal.dump((wanted, encode(loaded)), handle)
        os.replace(temp, target)
    except (OSError, ValueError):
        if os.path.exists(temp):
            os.unlink(temp)


# --- "These templates rendered without a problem" -------------------------------------------
#
# ``reminders check`` renders every notice template, which costs Jinja2's import and compile
# (several times the start-up budget).  When the config, the calendars, the templates and the date
# are all as they were at the last clean check, that result still holds; the marker remembers it.


def templates_key(config_path: str, loaded: Loaded, today: date) -> Key | None:
    base = key(config_path, loaded.settings.calendars_dir, today)
    if base is None:
        return None
    return {
        **base,
        "day": today.toordinal(),
        "templates": tree_stats(loaded.settings.templates_dir),
    }


def tree_stats(top: str) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    """Path and stat data of every file below ``top``, in a stable order (also the daemon's)."""
    paths = []
    for path, subfolders, files in os.walk(top):
        subfolders.sort()
        paths += [os.path.join(path, name) for name in sorted(files)]
    return file_stats(paths)


def file_stats(paths: list[str]) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    """Path and stat data of each of ``paths`` that exists."""
    out = []
    for path in paths:
        try:
            out.append((path, _stat(path)))
        except OSError:
            continue
    return tuple(out)


def templates_checked(config_path: str, wanted: Key | None) -> bool:
    base = folder()
    if base is None or wanted is None:
        return False
    try:
        with open(_file_for(config_path, base) + ".templates", "rb") as handle:
            return bool(marshal.load(handle) == wanted)
    except (OSError, EOFError, ValueError, TypeError):
        return False


def mark_templates_checked(config_path: str, wanted: Key | None) -> None:
    base = folder()
    if base is None or wanted is None:
        return
    changed = [stat[CTIME] for _, stat in wanted["templates"]]
    if not _settled(wanted) or (changed and time_ns() - max(changed) <= SETTLED_NS):
        return
    target = _file_for(config_path, base) + ".templates"
    temp = f"{target}.{os.getpid()}.tmp"
    try:
        os.makedirs(base, exist_ok=True)
        with open(temp, "wb") as handle:
            marshal.dump(wanted, handle)
        os.replace(temp, target)
    except (OSError, ValueError):
        if os.path.exists(temp):
            os.unlink(temp)


def time_ns() -> int:
    import time

    return time.time_ns()


# --- Values to marshal-able data and back -------------------------------------------------
#
# Records become lists [ClassName, field, ...]; dates, times, datetimes and durations become
# lists with a lower-case tag.  Nothing else in the model is a list, so the tags are unambiguous.


def encode(value: Any) -> Any:
    if isinstance(value, tuple):
        if hasattr(value, "_fields"):
            return [type(value).__name__, *(encode(v) for v in value)]
        return tuple(encode(v) for v in value)
    if isinstance(value, datetime):
        zone = value.tzinfo
        name = None if zone is None else ("UTC" if zone is UTC else str(zone))
        return ["datetime", value.replace(tzinfo=None).isoformat(), name]
    if isinstance(value, date):
        return ["date", value.toordinal()]
    if isinstance(value, time):
        return ["time", value.isoformat()]
    if isinstance(value, timedelta):
        return ["timedelta", value.days, value.seconds, value.microseconds]
    if value is None or isinstance(value, (str, int, float)):
        return value
    raise ValueError(f"cannot cache a {type(value).__name__}")


def decode(data: Any) -> Any:
    if isinstance(data, tuple):
        return tuple(decode(v) for v in data)
    if not isinstance(data, list):
        return data
    tag, *rest = data
    if tag == "date":
        return date.fromordinal(rest[0])
    if tag == "datetime":
        naive = datetime.fromisoformat(rest[0])
        if rest[1] is None:
            return naive
        if rest[1] == "UTC":
            return naive.replace(tzinfo=UTC)
        from .dates import zone

        return naive.replace(tzinfo=zone(rest[1]))
    if tag == "time":
        return time.fromisoformat(rest[0])
    if tag == "timedelta":
        return timedelta(days=rest[0], seconds=rest[1], microseconds=rest[2])
    return RECORDS[tag](*(decode(v) for v in rest))
