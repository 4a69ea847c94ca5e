"""The host country's calendar: weekends, public holidays, the organisation's own closures,
Ramadan and the Eids, working days.

Public holidays come from python-holidays (``holidays.country_holidays``), which also marks the
Islamic holidays it can only estimate ("Eid al-Fitr (estimated)").  Ramadan comes from the Umm
al-Qura tables of ``hijridate``; where it is kept by the sighting of the moon, as in Pakistan,
the real day may differ by a day or two, so every date taken from them is an estimate and says so.

Each Eid has one date (:func:`host_eids`): the host country's, when python-holidays lists that
Eid as a public holiday near the Umm al-Qura date, else the Umm al-Qura date.  The organisation's
own closures (``[[holiday]]`` in the configuration) are days off like public holidays, added to
a host calendar by :func:`with_closures` from the settings, so they are never part of what the
start-up cache keeps of python-holidays.

:func:`host_calendar` is the only function here that calls the libraries; :class:`HostCalendar`
is a plain value, so the plan (plan.py) can be built and tested from any holidays at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from types import MappingProxyType

from ..core import words
from ..core.errors import ConfigError, Problem, UsageError
from ..core.model import WEEKDAYS

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from ..core.settings import Closure, Settings
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ONE_DAY = timedelta(days=1)
# hijridate's Umm al-Qura tables cover 1924-08-01 to 2077-11-16; a plan also looks at the year
# before and after (milestones, Ramadan across New Year), so its years are those in between.
FIRST_YEAR, LAST_YEAR = 1925, 2076
ESTIMATED = "(estimated)"  # python-holidays' mark on a holiday it could only estimate
SHARED_ESTIMATED = ", estimated)"  # the same mark after another: "(observed, estimated)"
UMM_AL_QURA = "umm-al-qura"  # a Period's source: the Umm al-Qura tables of hijridate
PYTHON_HOLIDAYS = "python-holidays"  # a Period's source: the host country's public holiday
EID_NAMES = ("Eid al-Fitr", "Eid al-Adha")
# How far the host country's Eid may be from the Umm al-Qura date and still be the same Eid: the
# sighting of the moon moves it by a day or two.
EID_REACH = 3
NO_DAYS: Mapping[date, str] = MappingProxyType({})


class Period(NamedTuple):
    """A span of days (``last`` inclusive) with its name, such as Ramadan 1448.

    ``source`` says where the dates come from: ``"umm-al-qura"`` (the Umm al-Qura tables) or,
    for an Eid, ``"python-holidays"`` (the host country's public holiday, the first day of it).
    """

    name: str
    first: date
    last: date
    estimate: bool = True
    source: str = UMM_AL_QURA

    @property
    def public_holiday(self) -> bool:
        return self.source == PYTHON_HOLIDAYS


class HostCalendar(NamedTuple):
    """What the host country's calendar says about days, for the years around a plan's year."""

    country: str
    weekend: frozenset[int]  # date.weekday() numbers: Monday is 0
    holidays: Mapping[date, str]  # public holidays; a name ending "(estimated)" is an estimate
    ramadan: tuple[Period, ...] = ()
    # One day each: Eid al-Fitr (1 Shawwal), Eid al-Adha (10 Dhu al-Hijjah), by host_eids.
    eids: tuple[Period, ...] = ()
    # The organisation's own closures ([[holiday]]): days off that are not public holidays.
    closures: Mapping[date, str] = NO_DAYS
    # The public holidays' names in the plan's language where python-holidays has them, by
    # date, each part marked as ``holidays`` marks it (" (estimated)"): :func:`local_names`.
    # Empty: the names of ``holidays`` (English) are the ones shown.
    names: Mapping[date, str] = NO_DAYS
    # The python-holidays language of ``names`` ("ur_PK", "az"); "" when they are English.
    names_language: str = ""

    def is_weekend(self, day: date) -> bool:
        return day.weekday() in self.weekend

    def holiday(self, day: date) -> str | None:
        return self.holidays.get(day)

    def holiday_name(self, day: date) -> str | None:
        """The public holiday of ``day`` as named to people: in the plan's language where
        python-holidays has it (``names``), else in English."""
        found = self.names.get(day)
        return self.holidays.get(day) if found is None else found

    def closure(self, day: date) -> str | None:
        return self.closures.get(day)

    def is_working_day(self, day: date) -> bool:
        return (
            day.weekday() not in self.weekend
            and day not in self.holidays
            and day not in self.closures
        )

    def working_days_from(self, day: date, count: int, direction: int) -> date:
        """The working day ``count`` working days before (direction -1) or after (+1) ``day``.

        The day itself is not counted: one working day before a Monday, with Saturday and Sunday
        off, is the Friday.  ``count`` 0 is ``day`` itself, working day or not.
        """
        if len(self.weekend) >= 7:
            raise UsageError(
                "the organisation's weekend has every day of the week; no working days"
            )
        current = day
        left = count
        while left > 0:
            current += ONE_DAY * direction
            if self.is_working_day(current):
                left -= 1
        return current

    def nearest_working_day(self, day: date, policy: str) -> date:
        """The working day an event on ``day`` moves to: "before", "after" or "nearest" (the
        earlier one on a tie).  ``day`` itself when it is a working day."""
        if self.is_working_day(day) or policy == "never":
            return day
        before = self.working_days_from(day, 1, -1)
        after = self.working_days_from(day, 1, 1)
        if policy == "before":
            return before
        if policy == "after":
            return after
        return before if (day - before) <= (after - day) else after

    def ramadan_on(self, day: date) -> Period | None:
        for period in self.ramadan:
            if period.first <= day <= period.last:
                return period
        return None

    def eid_on(self, day: date) -> Period | None:
        for period in self.eids:
            if period.first <= day <= period.last:
                return period
        return None


COUNTRY_EXPECTED = "a country code that python-holidays knows, such as PK, AZ, TR, DE or GB"


@lru_cache(maxsize=512)
def known_country(country: str) -> bool:
    """Whether python-holidays has the public holidays of ``country`` (as host_calendar asks
    for them).  Imports python-holidays: for ``reminders check``, not for every command.  Asked
    once per country (a deployment's organisations share a few)."""
    import holidays

    try:
        holidays.country_holidays(country)
    except NotImplementedError:
        return False
    return True


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError(
            f"year {year} is out of range for a plan; expected {FIRST_YEAR} to {LAST_YEAR} "
            "(the years the Hijri calendar tables cover)"
        )


def host_calendar(
    country: str,
    weekend: Sequence[str],
    year: int,
    source: str = "config.toml",
    language: str = "en",
) -> HostCalendar:
    """The host calendar for ``year`` and the years on either side (milestones reach into them).

    The public holidays are read in English (``holidays``: what the Eids are matched by and the
    estimate marks read from) and, for another ``language`` that python-holidays has for the
    country, in it too (``names``, :func:`holiday_language`).

    An unknown country is a ConfigError naming ``organisation.country`` in ``source``.
    """
    check_year(year)
    import holidays

    years = [year - 1, year, year + 1]
    try:
        # Without a language, python-holidays names the days in the language of the process's
        # locale (LANGUAGE, LC_ALL, LANG): Urdu under ur_PK, with the estimate mark translated
        # too.  English, asked for by name, keeps the plan the same on every machine.
        languages = holidays.country_holidays(country).supported_languages
        found = holidays.country_holidays(country, years=years, language=english(languages))
    except NotImplementedError:
        raise ConfigError(
            [
                Problem(
                    source,
                    "organisation.country",
                    country,
                    COUNTRY_EXPECTED,
                )
            ]
        ) from None
    names: dict[date, str] = {}
    for day, name in sorted(found.items()):
        names[day] = name
    ramadan, eids = hijri_periods(years)
    local: Mapping[date, str] = NO_DAYS
    local_language = holiday_language(language, languages)
    if local_language is not None:
        translated = holidays.country_holidays(country, years=years, language=local_language)
        local = local_names(names, translated)
    return HostCalendar(
        country,
        frozenset(WEEKDAYS.index(d) for d in weekend),
        names,
        ramadan,
        host_eids(eids, names),
        NO_DAYS,
        local,
        local_language or "",
    )


def holiday_language(language: str, supported: Sequence[str]) -> str | None:
    """The python-holidays language that names a country's holidays in ``language`` (a BCP 47
    tag): the tag itself ("ur_PK" for ``ur-PK``), else its language alone ("az"), else a
    regional form of it ("ur_PK" for ``ur``); None for English, or when the country has no
    names in the language (Pakistan in Russian)."""
    if words.is_english(language):  # "" too
        return None
    tag = language.replace("-", "_")
    base = tag.split("_", 1)[0].lower()
    for wanted in (tag, base):
        if wanted in supported:
            return wanted
    return next((name for name in sorted(supported) if name.split("_", 1)[0] == base), None)


def local_names(english: Mapping[date, str], translated: Any) -> dict[date, str]:
    """The names of ``translated`` (a python-holidays object in another language) by date, each
    part marked as the English part of the same day is: python-holidays' own translated mark
    ("(təxmini)", "(اندازاً)") taken off and the English one put after it, so that
    :func:`holiday_names` reads both alike.  A day whose parts do not line up with the English
    ones keeps its English name (none does in python-holidays 0.109)."""

    def label(name: str) -> str:
        try:
            return str(translated.tr(getattr(translated, name))).replace("%s", "")
        except (AttributeError, TypeError):
            return ""

    estimated, observed_estimated, observed = (
        label("estimated_label"),
        label("observed_estimated_label"),
        label("observed_label"),
    )
    out: dict[date, str] = {}
    for day, name in english.items():
        own = translated.get(day)
        ours = name.split("; ")
        theirs = str(own).split("; ") if own is not None else []
        if len(theirs) != len(ours):
            out[day] = name
            continue
        parts = []
        for part, mine in zip(theirs, ours, strict=True):
            guessed = _estimated(mine)[1]
            if observed_estimated and part.endswith(observed_estimated):
                part = part.removesuffix(observed_estimated) + observed
            elif estimated and part.endswith(estimated):
                part = part.removesuffix(estimated)
            parts.append(f"{part} {ESTIMATED}" if guessed else part)
        out[day] = "; ".join(parts)
    return out


def host_eids(tables: Sequence[Period], holidays: Mapping[date, str]) -> tuple[Period, ...]:
    """One date per Eid: the host country's public holiday when python-holidays lists that Eid
    within EID_REACH days of the Umm al-Qura date (``tables``), else the Umm al-Qura date.

    The host's date is the first day of its Eid holiday: a holiday named as the Eid itself
    ("Eid al-Fitr") is preferred to one that only begins so ("Eid al-Fitr Holiday", "Eid al-Fitr
    Second Day"); days "observed" in lieu and "Day after Eid al-Adha" are never the Eid.  Its
    estimate mark is python-holidays' own: a country whose Eid dates the library takes from
    official announcements (Turkey, Malaysia) gives a date that is not an estimate.
    """
    out = []
    for period in tables:
        kind = next(name for name in EID_NAMES if period.name.startswith(name))
        exact: list[tuple[date, bool]] = []
        begins: list[tuple[date, bool]] = []
        for gap in range(-EID_REACH, EID_REACH + 1):
            day = period.first + timedelta(days=gap)
            joined = holidays.get(day)
            if joined is None:
                continue
            for name, estimate in eid_parts(joined):
                if name == kind:
                    exact.append((day, estimate))
                elif name.startswith(kind) and "observed" not in name:
                    begins.append((day, estimate))
        found = exact or begins
        if found:
            day, estimate = min(found)
            out.append(Period(period.name, day, day, estimate, PYTHON_HOLIDAYS))
        else:
            out.append(period)
    return tuple(sorted(out, key=lambda p: p.first))


def eid_parts(joined: str) -> Iterator[tuple[str, bool]]:
    """The holidays of one python-holidays name as (name, estimate), with every mark in
    brackets taken off the name ("Eid al-Adha (observed, estimated)" is "Eid al-Adha" observed:
    the word "observed" is kept for the caller) and the spelling of en_PK ("Eid-ul-Fitr") made
    the library's own."""
    for part in joined.split("; "):
        base, _, marks = part.partition(" (")
        estimate = "estimated" in marks
        if "observed" in marks:
            base += " observed"
        yield base.replace("Eid-ul-", "Eid al-"), estimate


def english(languages: Sequence[str]) -> str | None:
    """The English of python-holidays' translations: en_US first (its names are the library's
    own, spelt as the Eids of the Hijri tables are here: "Eid al-Fitr", where en_PK has
    "Eid-ul-Fitr"), else any English; None when a country has no translations (its names are
    English already)."""
    if "en_US" in languages:
        return "en_US"
    return next((name for name in languages if name.startswith("en")), None)


def eid_source(period: Period, country: str, language: str = "en") -> str:
    """Where an Eid's date comes from, for people: "a public holiday in PK, by python-holidays"
    or "by the Umm al-Qura tables"."""
    from ..core.i18n import t

    if period.public_holiday:
        return t(language, "a public holiday in %(country)s, by python-holidays") % {
            "country": country
        }
    return t(language, "by the Umm al-Qura tables")


def eid_note(period: Period, country: str, language: str = "en") -> str:
    """:func:`eid_source` and whether the date is an estimate: "a public holiday in PK, by
    python-holidays; an estimate", "a public holiday in TR, by python-holidays", or "an
    estimate, by the Umm al-Qura tables"."""
    from ..core.i18n import t

    if period.public_holiday:
        if not period.estimate:
            return eid_source(period, country, language)
        return t(language, "a public holiday in %(country)s, by python-holidays; an estimate") % {
            "country": country
        }
    return t(language, "an estimate, by the Umm al-Qura tables")


def closure_days(closures: Iterable[Closure], first: date, last: date) -> dict[date, str]:
    """The organisation's closed days from ``first`` to ``last`` (inclusive), with their names;
    two closures on one day are named together ("Staff retreat and Novruz").

    A yearly closure's span may begin in the year before ``first`` and reach into it.
    """
    found: dict[date, list[str]] = {}
    for closure in closures:
        if closure.rule is None:
            assert closure.on is not None
            starts = [closure.on]
        else:
            starts = list(closure.rule.dates(first.year - 1, last.year).values())
        for start in starts:
            for offset in range(closure.days):
                day = start + timedelta(days=offset)
                if first <= day <= last:
                    names = found.setdefault(day, [])
                    if closure.name not in names:
                        names.append(closure.name)
    return {day: " and ".join(found[day]) for day in sorted(found)}


def with_closures(host: HostCalendar, closures: Sequence[Closure], year: int) -> HostCalendar:
    """``host`` with the organisation's own closures of ``year`` and the years on either side
    (the years a plan's milestones reach into)."""
    if not closures:
        return host
    days = closure_days(closures, date(year - 1, 1, 1), date(year + 1, 12, 31))
    return host._replace(closures=MappingProxyType(days))


def holiday_names(name: str) -> tuple[tuple[str, bool], ...]:
    """The holidays in one python-holidays name, each as (name, estimate).

    Two holidays on one day come joined ("Eid al-Fitr (estimated); Kashmir Solidarity Day"), so
    the estimate mark can sit in the middle of the name as well as at its end; and it can share
    its brackets with another mark: "Eid al-Adha (observed, estimated)" is "Eid al-Adha
    (observed)", an estimate.
    """
    return tuple(_estimated(part) for part in name.split("; "))


def _estimated(part: str) -> tuple[str, bool]:
    if part.endswith(ESTIMATED):
        return part.removesuffix(ESTIMATED).strip(), True
    if part.endswith(SHARED_ESTIMATED):
        return part.removesuffix(SHARED_ESTIMATED) + ")", True
    return part, False


def hijri_periods(years: Sequence[int]) -> tuple[tuple[Period, ...], tuple[Period, ...]]:
    """Ramadan and the two Eids that touch ``years``, from the Umm al-Qura tables (estimates)."""
    from hijridate import Gregorian, Hijri

    first = max(date(min(years), 1, 1), date(1924, 8, 1))
    last = min(date(max(years), 12, 31), date(2077, 11, 16))
    start = Gregorian(first.year, first.month, first.day).to_hijri().year - 1
    end = Gregorian(last.year, last.month, last.day).to_hijri().year + 1
    ramadan: list[Period] = []
    eids: list[Period] = []
    for hijri_year in range(max(start, 1343), min(end, 1500) + 1):
        try:
            # hijridate's Gregorian is a date subclass; plain dates compare and hash alike.
            begins = date.fromordinal(Hijri(hijri_year, 9, 1).to_gregorian().toordinal())
            shawwal = date.fromordinal(Hijri(hijri_year, 10, 1).to_gregorian().toordinal())
            adha = date.fromordinal(Hijri(hijri_year, 12, 10).to_gregorian().toordinal())
        except (OverflowError, ValueError):
            continue  # outside the tables
        period = Period(f"Ramadan {hijri_year}", begins, shawwal - ONE_DAY)
        if period.last >= first and period.first <= last:
            ramadan.append(period)
        for name, day in (
            (f"Eid al-Fitr {hijri_year}", shawwal),
            (f"Eid al-Adha {hijri_year}", adha),
        ):
            if first <= day <= last:
                eids.append(Period(name, day, day))
    return tuple(ramadan), tuple(sorted(eids, key=lambda p: p.first))


def country_problems(
    settings: Settings, known: Callable[[str], bool] = known_country
) -> tuple[Problem, ...]:
    """``[organisation] country`` as python-holidays, where the plan's public holidays come
    from, knows it: the schema only sees two capital letters, and importing python-holidays
    is for ``check`` (and the plan), not for every command that loads the config.  ``known``
    answers the question (``check`` passes the cached answer of plan/hostcache.py)."""
    country = settings.organisation.country
    if known(country):
        return ()
    from ..config.schema import Checker  # only to find the key's line in the config

    try:
        with open(settings.config_path, encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError):
        source = ""  # the problem is still reported, without its line
    checker = Checker(settings.source, source)
    checker.add(("organisation", "country"), country, COUNTRY_EXPECTED)
    return tuple(checker.problems)
