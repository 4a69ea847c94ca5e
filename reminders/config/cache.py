"""A cache of validated settings and calendars, so that `upcoming` and `check` start fast.

Parsing TOML and validating it costs more start-up time than everything else the commands do:
the TOML parser alone takes milliseconds to import, and the budget of ``reminders upcoming`` is
about 25 ms (4x ``python -I -S -c pass``).  Once a config and its calendars have loaded without a
problem, the resulting values are written with ``marshal`` (built into the interpreter, nothing
to import) under a key made of everything they were made from:

* the project's version and location and the Python version,
* the working folder (messages show paths relative to it) and the per-user state folder (the
  installed bundled config keeps its ledger and outbox there),
* the config file's absolute path, size, modification and change times and inode,
* the calendar folder's path and, for every ``*.toml`` in it, the same,
* the current year (a ``since`` in the future depends on it).

The marker that lets ``check`` skip rendering unchanged templates adds the templates, the day
and the libraries whose answers the check depends on (CHECK_LIBRARIES: python-holidays, Jinja2,
MarkupSafe, each by location and installed version), so that an upgrade is checked again.

Any change to any of those misses the cache, and the files are loaded and validated again.
File times are coarse (a few milliseconds), so an edit that keeps the size within one tick of
the cached state would go unseen; as git does for its index, files changed in the last two
seconds are never cached.  Only valid inputs are cached, so an invalid file's problems show every
time.  The cache is a plain optimisation: if it cannot be read or written, nothing else changes.

The host country's calendar of ``reminders plan`` (plan/hostcal.py) is kept the same way, through
:func:`code_key`, :func:`recall` and :func:`keep` (plan/hostcache.py says what of it is kept):
python-holidays imports every country's module to find one (about 0.1 s, several times the rest
of a small plan), and its answer depends only on the country, the weekend, the years, the
versions of python-holidays and hijridate, and hostcal.py.  The organisation's own
closures (``[[holiday]]``) are not part of it: they are settings, cached with the config file
above, and the plan adds them to the host calendar it reads from here (hostcal.with_closures).

Where: ``$REMINDERS_CACHE_DIR``, else ``$XDG_CACHE_HOME/reminders``, else
``~/.cache/reminders``.  ``REMINDERS_CACHE_DIR=off`` turns it off.
"""

from __future__ import annotations

import _thread
import marshal
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

from .. import __version__
from ..core import model, settings
from ..core.settings import Loaded
from .resources import state_folder

# The program's catalogs (core/i18n.py's LOCALE_DIR, named here without importing it).
PACKAGE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOGS = os.path.join(PACKAGE, "locale")

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    Key = dict[str, Any]

FORMAT = 11
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


CTIME = 2  # index of st_ctime_ns in what file_stat returns


def file_stat(path: str) -> tuple[int, int, int, int]:
    """Size, mtime, ctime and inode: a change to a file changes at least one of them."""
    info = os.stat(path)
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)


def key(config_path: str, calendars_dir: str, today: date) -> Key | None:
    """Everything the loaded values depend on; None if a file cannot be looked at."""
    try:
        # Every *.toml entry: one that is not a regular file (a FIFO, a dangling link) makes
        # file_stat raise or shows in the mode, and such a folder is never cached (its load fails).
        files = sorted(
            (entry.name, file_stat(entry.path))
            for entry in os.scandir(calendars_dir)
            if entry.name.endswith(".toml")
        )
        return {
            "format": FORMAT,
            "version": __version__,
            "package": os.path.dirname(os.path.abspath(__file__)),
            "python": sys.version,
            "cwd": os.getcwd(),
            "state": state_folder(),  # where the bundled config's state goes
            "config": os.path.abspath(config_path),
            "config_stat": file_stat(config_path),
            "calendars": os.path.abspath(calendars_dir),
            "calendar_stats": tuple(files),
            "year": today.year,
        }
    except OSError:
        return None


def _settled(wanted: Key) -> bool:
    """True if no input changed in the last two seconds (see the module docstring), by the
    cache's clock (:func:`time_ns`)."""
    stats = [wanted["config_stat"], *(stat for _, stat in wanted["calendar_stats"])]
    changed: list[int] = [stat[CTIME] for stat in stats]
    return time_ns() - max(changed) > SETTLED_NS


def fnv1a(text: str) -> str:
    """A stable 64-bit hash of ``text`` in hex, for file names (hashlib costs an import)."""
    digest = 0xCBF29CE484222325
    for byte in text.encode("utf-8", "surrogateescape"):
        digest = ((digest ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return f"{digest:016x}"


def _file_for(config_path: str, base: str) -> str:
    # A stable name per config file: a hash of its absolute path.
    return os.path.join(base, f"loaded-{fnv1a(os.path.abspath(config_path))}.marshal")


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
    if isinstance(payload, bytes):
        loaded = unpickle(payload)
    else:
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
    # Its own temporary file per process and thread: the feed server loads configs in threads.
    temp = f"{target}.{os.getpid()}.{_thread.get_ident()}.tmp"
    try:
        os.makedirs(base, exist_ok=True)
        large = sum(len(c.observances) + len(c.events) for c in loaded.calendars) >= LARGE
        payload = pickled(loaded) if large else encode(loaded)
        with open(temp, "wb") as handle:
            marshal.dump((wanted, payload), handle)
        os.replace(temp, target)
    except (OSError, ValueError):
        if os.path.exists(temp):
            os.unlink(temp)


# --- Large calendars: pickled -----------------------------------------------------------------
#
# Decoding the marshalled lists back into records is Python work per value: 0.15 s for 10,000
# observances, more than the rest of ``reminders upcoming`` takes.  The C unpickler builds the
# same records in a fifth of that, but loading it costs about 0.5 ms, so only calendars of
# LARGE observances and events or more are pickled.  Unpickling calls what the data names, so
# only the record classes, the datetime types and ``dates.zone`` may be named (time zones are
# pickled as calls of ``dates.zone``: ZoneInfo's own way goes through ``getattr``, which would
# open every attribute of every allowed class).  Anything else makes the file a miss.

LARGE = 1000


def pickled(loaded: Loaded) -> bytes:
    import _pickle
    import io
    from zoneinfo import ZoneInfo

    from ..core.dates import zone

    out = io.BytesIO()
    pickler = _pickle.Pickler(out, protocol=5)
    pickler.dispatch_table = {ZoneInfo: lambda value: (zone, (value.key,))}
    pickler.dump(loaded)
    return out.getvalue()


def unpickle(data: bytes) -> Any:
    """What ``pickled`` stored, or None if the data is damaged or names anything else."""
    import _pickle
    import io

    allowed = {(record.__module__, record.__qualname__) for record in RECORDS.values()}
    allowed |= {("datetime", name) for name in ("date", "datetime", "time", "timedelta")}
    allowed |= {("datetime", "timezone"), ("reminders.core.dates", "zone")}

    class Unpickler(_pickle.Unpickler):
        def find_class(self, module: str, name: str) -> Any:
            if (module, name) not in allowed:
                raise _pickle.UnpicklingError(f"{module}.{name} is not allowed in the cache")
            return super().find_class(module, name)

    try:
        return Unpickler(io.BytesIO(data)).load()
    except Exception:  # damaged data fails in many ways (EOFError, TypeError, ...): a miss
        return None


# --- "These templates rendered without a problem" -------------------------------------------
#
# ``reminders check`` renders every notice template, which costs Jinja2's import and compile
# (several times the start-up budget).  When the config, the calendars, the templates, the date
# and the libraries the check asks (CHECK_LIBRARIES, by location and installed version) are all
# as they were at the last clean check, that result still holds; the marker remembers it.


# The libraries whose answer the check depends on beyond the files: python-holidays (does it know
# [organisation] country? an upgrade can drop or rename a country), Jinja2 and MarkupSafe (what
# renders, what the sandbox refuses, how HTML is escaped).  An upgrade of one renders again.
CHECK_LIBRARIES = ("holidays", "jinja2", "markupsafe")


def templates_key(
    config_path: str, loaded: Loaded, today: date, code: tuple[str, ...] = ()
) -> Key | None:
    """What a clean check's result depends on: ``key``'s inputs, the day, the templates, the
    catalogs, the libraries the check asks and the ``code`` files (of the package, relative to
    it) that word what the check remembers."""
    base = key(config_path, loaded.settings.calendars_dir, today)
    if base is None:
        return None
    try:
        libraries = tuple(library_key(name) for name in CHECK_LIBRARIES)
    except (OSError, ImportError, ValueError):
        return None  # not known: the templates are rendered every time
    if None in libraries:
        return None
    return {
        **base,
        "day": today.toordinal(),
        "templates": tree_stats(loaded.settings.templates_dir),
        # The templates' sentences come from the catalogs: a translation edited (a .mo
        # compiled again) is rendered by the next check.
        "catalogs": tree_stats(CATALOGS),
        "libraries": libraries,
        "code": file_stats([os.path.join(PACKAGE, name) for name in code]),
    }


def tree_stats(top: str) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    """Path and stat data of every file below ``top``, in a stable order (also the daemon's)."""
    paths = []
    for path, subfolders, files in os.walk(top):
        subfolders.sort()
        paths += [os.path.join(path, name) for name in sorted(files)]
    return file_stats(paths)


def file_stats(paths: list[str]) -> tuple[tuple[str, tuple[int, int, int, int]], ...]:
    """Path and stat data of each of ``paths`` that exists (a link that leads nowhere, or in a
    loop, by the link's own data: adding or fixing one is a change too)."""
    out = []
    for path in paths:
        try:
            out.append((path, file_stat(path)))
        except OSError:
            try:
                info = os.lstat(path)
            except OSError:
                continue
            out.append((path, (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino)))
    return tuple(out)


def templates_checked(config_path: str, wanted: Key | None) -> tuple[str, ...] | None:
    """The warnings of the last clean check (``mark_templates_checked``), if nothing it
    depended on changed since (``wanted``, from :func:`templates_key`); None otherwise."""
    base = folder()
    if base is None or wanted is None:
        return None
    try:
        with open(_file_for(config_path, base) + ".templates", "rb") as handle:
            stored, warnings = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    if stored != wanted or not isinstance(warnings, tuple):
        return None
    return warnings


def mark_templates_checked(
    config_path: str, wanted: Key | None, warnings: tuple[str, ...] = ()
) -> None:
    """Remember that a check with the inputs of ``wanted`` found no problem, and its
    ``warnings`` (the translations' lists: the next check need not load the calendars' files
    again to find their lines)."""
    base = folder()
    if base is None or wanted is None:
        return
    changed = [stat[CTIME] for _, stat in wanted["templates"]]
    if not _settled(wanted) or (changed and time_ns() - max(changed) <= SETTLED_NS):
        return
    target = _file_for(config_path, base) + ".templates"
    # Its own temporary file per process and thread: the feed server loads configs in threads.
    temp = f"{target}.{os.getpid()}.{_thread.get_ident()}.tmp"
    try:
        os.makedirs(base, exist_ok=True)
        with open(temp, "wb") as handle:
            marshal.dump((wanted, tuple(warnings)), handle)
        os.replace(temp, target)
    except (OSError, ValueError):
        if os.path.exists(temp):
            os.unlink(temp)


def time_ns() -> int:
    """The cache's clock, for the two-second rule: a test moves it (``cache.time_ns``, in its
    process or first thing in a subprocess) instead of waiting two seconds."""
    import time

    return time.time_ns()


# --- What other folders keep here ---------------------------------------------------------
#
# A folder above this one stores a value it computes slowly under a key of its own, by the same
# rules as the loaded values: a key that differs is a miss, files are replaced whole, and a
# failure changes nothing but speed.  The plan keeps the host country's calendar this way
# (plan/hostcache.py says what of it is kept; config may not import plan).  ``code_key`` names
# what made the value (the code file and the libraries, by location and installed version).


def code_key(code_file: str, libraries: tuple[str, ...]) -> Key | None:
    """The part of a key that says which code and libraries made a value; None if a library
    cannot be found (the value is then computed, and not kept)."""
    try:
        found = tuple(library_key(name) for name in libraries)
        code = file_stat(code_file)
    except (OSError, ImportError, ValueError):
        return None
    if None in found:
        return None
    return {
        "format": FORMAT,
        "version": __version__,
        "package": os.path.dirname(os.path.abspath(__file__)),
        "code": (os.path.basename(code_file), code),
        "python": sys.version,
        "libraries": found,
    }


def entry_path(kind: str, name: str) -> str | None:
    """Where a value named ``name`` of one ``kind`` is kept; None with the cache off."""
    base = folder()
    return None if base is None else os.path.join(base, f"{kind}-{fnv1a(name)}.marshal")


def recall(path: str, wanted: Key) -> Any:
    """The value kept at ``path`` under the key ``wanted``; None if the key differs or the
    file is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            stored_key, payload = marshal.load(handle)
    except (OSError, EOFError, ValueError, TypeError):
        return None
    return payload if stored_key == wanted else None


def keep(path: str, wanted: Key, payload: Any) -> None:
    """Store ``payload`` (marshal-able) under ``wanted``; failures are ignored."""
    # A temporary file of its own: the web app builds plans in threads of one process.
    import tempfile  # only a value being stored pays for it

    temp = None
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        handle, temp = tempfile.mkstemp(prefix=os.path.basename(path), dir=os.path.dirname(path))
        with os.fdopen(handle, "wb") as out:
            marshal.dump((wanted, payload), out)
        os.replace(temp, path)
    except (OSError, ValueError):
        if temp is not None and os.path.exists(temp):
            os.unlink(temp)


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
        from ..core.dates import zone

        return naive.replace(tzinfo=zone(rest[1]))
    if tag == "time":
        return time.fromisoformat(rest[0])
    if tag == "timedelta":
        return timedelta(days=rest[0], seconds=rest[1], microseconds=rest[2])
    return RECORDS[tag](*(decode(v) for v in rest))


def library_key(name: str) -> tuple[str, str, tuple[int, int, int, int], tuple[str, ...]] | None:
    """Where a library is, the state of its ``__init__.py`` and its installed version(s) (from
    the ``NAME-VERSION.dist-info`` folders beside it: importlib.metadata costs 20 ms to import).

    None if it cannot be found: the host calendar is then computed, and not cached.
    """
    from importlib.machinery import PathFinder

    spec = PathFinder.find_spec(name)
    if spec is None or spec.origin is None:
        return None
    site = os.path.dirname(os.path.dirname(spec.origin))
    prefix, suffix = f"{name}-", ".dist-info"
    versions = tuple(
        sorted(
            entry[len(prefix) : -len(suffix)]
            for entry in os.listdir(site)
            if entry.startswith(prefix) and entry.endswith(suffix)
        )
    )
    return (spec.origin, name, file_stat(spec.origin), versions)
