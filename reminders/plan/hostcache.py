"""The host country's calendar of a plan, kept in the start-up cache (config/cache.py).

python-holidays imports every country's module to find one (about 0.1 s, several times the rest
of a small plan), and its answer depends only on the country, the weekend, the years, the
versions of python-holidays and hijridate, hostcal.py and the language the holidays are named in
(see :func:`host_key`).  One file per country, weekend, year and language (English's file has no
language in its name), so that plans of other years and languages keep theirs.  The cache's
mechanism (where, the key's common part, reading, atomic writing) is config/cache.py's; this
module says only what of a host calendar is kept, since config may not import plan.
"""

from __future__ import annotations

from datetime import date

from ..config import cache
from . import hostcal
from .hostcal import HostCalendar, Period

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..config.cache import Key

HOST_LIBRARIES = ("holidays", "hijridate")


def host_key(country: str, weekend: tuple[str, ...], year: int, language: str = "en") -> Key | None:
    """Everything the host calendar of a plan of ``year`` in ``language`` is made from; None
    if unknown."""
    made_by = cache.code_key(hostcal.__file__, HOST_LIBRARIES)
    if made_by is None:
        return None
    return {
        **made_by,
        "country": country,
        "weekend": tuple(weekend),
        "year": year,
        "language": language,
    }


def known_country(country: str) -> bool:
    """``hostcal.known_country``, from the cache when python-holidays (the same files and
    version) answered it before: importing python-holidays is most of what ``check`` costs
    after an edit to a calendar (50 ms of about 240)."""
    path = cache.entry_path("country", country)
    made_by = cache.code_key(hostcal.__file__, ("holidays",)) if path is not None else None
    if path is None or made_by is None:
        return hostcal.known_country(country)
    wanted = {**made_by, "country": country}
    found = cache.recall(path, wanted)
    if isinstance(found, bool):
        return found
    made = hostcal.known_country(country)
    cache.keep(path, wanted, made)
    return made


def host_calendar(
    country: str,
    weekend: tuple[str, ...],
    year: int,
    source: str = "config.toml",
    language: str = "en",
) -> HostCalendar:
    """``hostcal.host_calendar``, from the cache when it was computed by the same code,
    libraries and arguments; computed and stored otherwise."""
    from ..core.words import is_english

    # Every English ("", "en-GB") makes the same calendar: one file and one key for them all.
    language = "en" if is_english(language) else language
    named = "" if language == "en" else f"-{language}"
    path = cache.entry_path("host", f"{country}-{'-'.join(weekend)}-{year}{named}")
    wanted = host_key(country, weekend, year, language) if path is not None else None
    if path is None or wanted is None:
        return hostcal.host_calendar(country, weekend, year, source, language)
    found = read_host(path, wanted)
    if found is not None:
        return found
    made = hostcal.host_calendar(country, weekend, year, source, language)
    write_host(path, wanted, made)
    return made


def read_host(path: str, wanted: Key) -> HostCalendar | None:
    """The host calendar stored at ``path`` if its key is ``wanted``; None if it is not, or if
    the file is missing, unreadable or not a host calendar."""
    try:
        country, weekend, days, ramadan, eids, names, names_language = cache.recall(path, wanted)
        return HostCalendar(
            country,
            frozenset(weekend),
            {date.fromordinal(ordinal): name for ordinal, name in days},
            tuple(_period(stored) for stored in ramadan),
            tuple(_period(stored) for stored in eids),
            hostcal.NO_DAYS,
            {date.fromordinal(ordinal): name for ordinal, name in names},
            str(names_language),
        )
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


def write_host(path: str, wanted: Key, host: HostCalendar) -> None:
    """Store ``host`` under ``wanted``; failures are ignored (the next plan computes it again)."""
    payload = (
        host.country,
        tuple(sorted(host.weekend)),
        tuple((day.toordinal(), name) for day, name in host.holidays.items()),
        tuple(_stored(p) for p in host.ramadan),
        tuple(_stored(p) for p in host.eids),
        tuple((day.toordinal(), name) for day, name in host.names.items()),
        host.names_language,
    )
    cache.keep(path, wanted, payload)


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
