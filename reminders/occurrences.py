"""Expanding calendars into occurrences inside a date window.

``occurrences(calendars, start, end)`` is the one function every output (upcoming, ICS, notices,
plan) builds on.  It is pure: the window is an argument, and the same inputs give the same tuple in
the same order.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime

from . import dates
from .model import Calendar, Event, Observance, Occurrence, TimedMoment


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
    first = max(start.year, observance.since + 1)
    last = (end - dates.ONE_DAY).year
    if first > last:
        return []
    found = []
    for year, day in observance.rule.dates(first, last).items():
        if start <= day < end:
            found.append(
                Occurrence(
                    calendar=calendar,
                    date=day,
                    title=title_for(observance, year),
                    number=year - observance.since,
                    observance=observance,
                    moments=place_moments(observance, day),
                )
            )
    return found


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


_NO_TIME = datetime.min.replace(tzinfo=UTC)


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
    found: list[Occurrence] = []
    for calendar in calendars:
        for observance in calendar.observances:
            found.extend(observance_occurrences(calendar, observance, start, end))
        for event in calendar.events:
            if (examples or not event.example) and start <= event.local_date < end:
                found.append(event_occurrence(calendar, event))
    found.sort(key=sort_key)
    return tuple(found)
