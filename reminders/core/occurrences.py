"""Expanding calendars into occurrences inside a date window.

``occurrences(calendars, start, end)`` is the one function every output (upcoming, ICS, notices,
plan) builds on.  It is pure: the window is an argument, and the same inputs give the same tuple in
the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter

from . import dates, words
from .errors import UsageError
from .model import Calendar, Event, FixedDate, Observance, Occurrence, TimedMoment
from .translate import text_language

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .settings import Loaded

FIRST_YEAR, LAST_YEAR = 1900, 2200  # the years upcoming, notices, ICS and preview accept
ONE_DAY = timedelta(days=1)


def title_for(
    observance: Observance, year: int, calendar: Calendar | None = None, language: str = ""
) -> str:
    """The title of the observance in ``year``, its placeholders filled in.

    The ``{ordinal}`` is written in the title's own language: ``language`` where the caller
    knows it, else that of ``calendar`` (the observance's, as ``translate.calendar_in`` gave
    it), English without one.
    """
    number = year - observance.since
    if not language:
        language = (
            words.ENGLISH if calendar is None else text_language(calendar, observance, "title")
        )
    return observance.title.format(
        ordinal=words.ordinal(number, language),
        number=number,
        year=year,
        since=observance.since,
    )


def place_moments(observance: Observance, day: date) -> tuple[TimedMoment, ...]:
    placed = []
    for moment in observance.moments:
        start = dates.wall_time(day, moment.at, moment.timezone)
        placed.append(TimedMoment(moment, start, start + moment.duration))
    return tuple(placed)


_NO_TIME = datetime.min.replace(tzinfo=UTC)
_new = tuple.__new__  # a record from a tuple of its fields: a quarter of the cost of keywords


def _observance_occurrences(
    calendar: Calendar, observance: Observance, start: date, end: date
) -> list[tuple[tuple[date, int, datetime, str, str], Occurrence]]:
    """The observance's occurrences in ``[start, end)``, each with its :func:`sort_key`."""
    first = max(start.year, observance.since + 1)
    last = (end - ONE_DAY).year
    if first > last:
        return []
    return [
        _occurrence(calendar, observance, year, day)
        for year, day in observance.rule.dates(first, last).items()
        if start <= day < end
    ]


def _occurrence(
    calendar: Calendar, observance: Observance, year: int, day: date
) -> tuple[tuple[date, int, datetime, str, str], Occurrence]:
    """The occurrence of ``observance`` in ``year`` on ``day``, with its :func:`sort_key`."""
    number = year - observance.since
    title = observance.title
    if "{" in title:
        title = title.format(
            ordinal=words.ordinal(number, text_language(calendar, observance, "title")),
            number=number,
            year=year,
            since=observance.since,
        )
    moments = place_moments(observance, day) if observance.moments else ()
    item = _new(Occurrence, (calendar, day, title, number, observance, None, moments))
    return (day, 0, _NO_TIME, calendar.id, f"{calendar.id}:{observance.id}:{year}"), item


def event_occurrence(calendar: Calendar, event: Event) -> Occurrence:
    day = event.local_date
    observance = calendar.observance(event.observance) if event.observance else None
    number = day.year - observance.since if observance is not None else 0
    return Occurrence(
        calendar=calendar,
        date=day,
        title=event.title,
        number=max(number, 0),
        observance=observance,
        event=event,
    )


def sort_key(item: Occurrence) -> tuple[date, int, datetime, str, str]:
    """Date, then all-day observances before timed events, then start, calendar and id."""
    event = item.event
    start = event.start if event is not None and event.start is not None else _NO_TIME
    return (item.date, 0 if event is None else 1, start, item.calendar.id, item.id)


def occurrences(
    calendars: Iterable[Calendar],
    start: date,
    end: date,
    *,
    examples: bool = True,
) -> tuple[Occurrence, ...]:
    """Every observance occurrence and event with its date in ``[start, end)``, sorted.

    An event's date is its local date where it takes place.  ``examples=False`` leaves out events
    marked ``example = true``.
    """
    found: list[tuple[tuple[date, int, datetime, str, str], Occurrence]] = []
    # Every command expands every observance (a calendar can hold thousands), so the common
    # case, a month-day other than February 29, is worked out here, as _occurrence does it,
    # without a call or a dictionary of dates per observance: the years whose date falls in the
    # window follow from the window's first and last month-days.
    last_day = end - ONE_DAY
    first_md, last_md = (start.month, start.day), (last_day.month, last_day.day)
    ordinal = words.ordinal
    for calendar in calendars:
        calendar_id = calendar.id
        for observance in calendar.observances:
            rule = observance.rule
            if type(rule) is not FixedDate or rule[:2] == (2, 29):
                found += _observance_occurrences(calendar, observance, start, end)
                continue
            month, mday = month_day = rule[:2]
            since = observance.since
            # The title's own language writes its {ordinal} (a translated title: its language).
            language = text_language(calendar, observance, "title")
            first = start.year if month_day >= first_md else start.year + 1
            if first <= since:
                first = since + 1
            last = last_day.year if month_day <= last_md else last_day.year - 1
            for year in range(first, last + 1):
                day = date(year, month, mday)
                number = year - since
                title = observance.title
                if "{" in title:
                    title = title.format(
                        ordinal=ordinal(number, language),
                        number=number,
                        year=year,
                        since=since,
                    )
                moments = place_moments(observance, day) if observance.moments else ()
                found.append(
                    (
                        (day, 0, _NO_TIME, calendar_id, f"{calendar_id}:{observance.id}:{year}"),
                        _new(Occurrence, (calendar, day, title, number, observance, None, moments)),
                    )
                )
        for event in calendar.events:
            if (examples or not event.example) and start <= event.local_date < end:
                item = event_occurrence(calendar, event)
                found.append((sort_key(item), item))
    found.sort(key=_first)  # stable, and only the keys are compared
    return tuple(map(_second, found))


_first, _second = itemgetter(0), itemgetter(1)


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
