"""The host country's calendar of a plan, kept in the start-up cache's folder.

python-holidays imports every country's module to find one (about 0.1 s, several times the rest
of a small plan), and its answer depends only on the country, the weekend, the years, the
versions of python-holidays and hijridate, and hostcal.py (see :func:`host_key`).  One file per
country, weekend and year, so that plans of other years keep theirs; the key in it says which
libraries (and which hostcal.py) computed it.
"""

from __future__ import annotations

import marshal
import os
import sys
from datetime import date

from .. import __version__
from ..config.cache import FORMAT, file_stat, fnv1a, folder, library_key
from . import hostcal
from .hostcal import HostCalendar, Period

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config.cache import Key

HOST_LIBRARIES = ("holidays", "hijridate")


def host_key(country: str, weekend: tuple[str, ...], year: int) -> Key | None:
    """Everything the host calendar of a plan of ``year`` is made from; None if unknown."""
    try:
        libraries = tuple(library_key(name) for name in HOST_LIBRARIES)
        code = file_stat(os.path.join(os.path.dirname(os.path.abspath(__file__)), "hostcal.py"))
    except (OSError, ImportError, ValueError):
        return None
    if None in libraries:
        return None
    return {
        "format": FORMAT,
        "version": __version__,
        "package": os.path.dirname(os.path.abspath(__file__)),
        "hostcal": code,
        "python": sys.version,
        "country": country,
        "weekend": tuple(weekend),
        "year": year,
        "libraries": libraries,
    }


def _host_file(wanted: Key, base: str) -> str:
    name = f"{wanted['country']}-{'-'.join(wanted['weekend'])}-{wanted['year']}"
    return os.path.join(base, f"host-{fnv1a(name)}.marshal")


def host_calendar(
    country: str, weekend: tuple[str, ...], year: int, source: str = "config.toml"
) -> HostCalendar:
    """``hostcal.host_calendar``, from the cache folder when it was computed by the same code,
    libraries and arguments; computed and stored otherwise."""
    base = folder()
    wanted = host_key(country, weekend, year) if base is not None else None
    if base is None or wanted is None:
        return hostcal.host_calendar(country, weekend, year, source)
    path = _host_file(wanted, base)
    found = read_host(path, wanted)
    if found is not None:
        return found
    made = hostcal.host_calendar(country, weekend, year, source)
    write_host(path, wanted, made)
    return made


def read_host(path: str, wanted: Key) -> HostCalendar | None:
    """The host calendar stored at ``path`` if its key is ``wanted``; None if it is not, or if
    the file is missing or unreadable."""
    try:
        with open(path, "rb") as handle:
            stored_key, (country, weekend, days, ramadan, eids) = marshal.load(handle)
        if stored_key != wanted:
            return None
        return HostCalendar(
            country,
            frozenset(weekend),
            {date.fromordinal(ordinal): name for ordinal, name in days},
            tuple(_period(stored) for stored in ramadan),
            tuple(_period(stored) for stored in eids),
        )
    except (OSError, EOFError, ValueError, TypeError, IndexError, OverflowError):
        return None


def write_host(path: str, wanted: Key, host: HostCalendar) -> None:
    """Store ``host`` under ``wanted``; failures are ignored (the next plan computes it again)."""
    payload = (
        host.country,
        tuple(sorted(host.weekend)),
        tuple((day.toordinal(), name) for day, name in host.holidays.items()),
        tuple(_stored(p) for p in host.ramadan),
        tuple(_stored(p) for p in host.eids),
    )
    # A temporary file of its own: the web app builds plans in threads of one process.
    import tempfile  # only a plan that stores its host calendar pays for it

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


def _stored(period: Period) -> tuple[str, int, int, bool, str]:
    return (
        period.name,
        period.first.toordinal(),
        period.last.toordinal(),
        period.estimate,
        period.source,
    )


def _period(stored: tuple[str, int, int, bool, str]) -> Period:
    name, first, last, estimate, source = stored
    return Period(name, date.fromordinal(first), date.fromordinal(last), estimate, source)
