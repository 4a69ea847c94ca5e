"""Expanding calendars into occurrences inside a date window.

``occurrences(calendars, start, end)`` is the one function every output (upcoming, ICS, notices,
plan) builds on.  It is pure: the window is an argument, and the same inputs give the same tuple in
the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from operator import itemgetter

from . import dates
from .model import Calendar, Event, FixedDate, Observance, Occurrence, TimedMoment


def title_for(observance: Observance, year: int) -> str:
    number = year - observance.since
    return observance.title.format(
        ordinal=dates.ordinal(number), number=number, year=year, since=observance.since
    )


def place_moments(observance: Observance, day: date) -> tuple[TimedMoment, ...]:
    placed = []
    for moment in observance.moments:
        start = dates.wall_time(day, moment.at, moment.timezone)
        placed.append(TimedMoment(moment, start, start + moment.duration))
    return tuple(placed)


def observance_occurrences(
    calendar: Calendar, observance: Observance, start: date, end: date
) -> list[Occurrence]:
    return [item for _, item in _observance_occurrences(calendar, observance, start, end)]


_NO_TIME = datetime.min.replace(tzinfo=UTC)
_new = tuple.__new__  # a record from a tuple of its fields: a quarter of the cost of keywords


def _observance_occurrences(
    calendar: Calendar, observance: Observance, start: date, end: date
) -> list[tuple[tuple[date, int, datetime, str, str], Occurrence]]:
    """The observance's occurrences in ``[start, end)``, each with its :func:`sort_key`.

    Every command expands every observance (a calendar can hold thousands), so the common case, a
    month-day other than February 29, is worked out without a dictionary of dates: the years whose
    date falls in the window follow from the window's first and last month-days.
    """
    since = observance.since
    last_day = end - dates.ONE_DAY
    first, last = max(start.year, since + 1), last_day.year
    if first > last:
        return []
    rule = observance.rule
    if type(rule) is FixedDate and (rule.month != 2 or rule.day != 29):
        month, mday = rule.month, rule.day
        if (month, mday) < (start.month, start.day):
            first = max(first, start.year + 1)
        if (month, mday) > (last_day.month, last_day.day):
            last -= 1
        found = [(year, date(year, month, mday)) for year in range(first, last + 1)]
    else:
        found = [(year, day) for year, day in rule.dates(first, last).items() if start <= day < end]
    pattern, moments = observance.title, observance.moments
    plain = "{" not in pattern
    out = []
    for year, day in found:
        number = year - since
        title = (
            pattern
            if plain
            else pattern.format(
                ordinal=dates.ordinal(number), number=number, year=year, since=since
            )
        )
        item = _new(
            Occurrence,
            (
                calendar,
                day,
                title,
                number,
                observance,
                None,
                place_moments(observance, day) if moments else (),
            ),
        )
        key = (day, 0, _NO_TIME, calendar.id, f"{calendar.id}:{observance.id}:{year}")
        out.append((key, item))
    return out


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
    for calendar in calendars:
        for observance in calendar.observances:
            found += _observance_occurrences(calendar, observance, start, end)
        for event in calendar.events:
            if (examples or not event.example) and start <= event.local_date < end:
                item = event_occurrence(calendar, event)
                found.append((sort_key(item), item))
    found.sort(key=_first)  # stable, and only the keys are compared
    return tuple(map(_second, found))


_first, _second = itemgetter(0), itemgetter(1)
