"""Notices: which rule fires for which occurrence, and when.  Pure: the window is an argument.

A **notice** is one occurrence of an observance with one ``[[notice]]`` rule.  Its id is
``{calendar}:{observance}:{year}:{rule}`` and a **delivery** is (notice id, channel).

Its **fire time** is ``rule.days_before`` days before the occurrence's date, at ``rule.at`` on the
wall clock of the organisation's time zone: 09:00 stays 09:00 across a daylight-saving change, and
a time in a spring-forward gap moves forward as the clocks do (``dates.wall_time``).  With
``weekend = "previous-working-day"`` a send day on one of the organisation's weekend days moves back
to the nearest working day before it.  Public holidays do not move notices (yet).

Rules apply to observances, not to one-off events; a notice lists the events planned for its
occurrence (same calendar, linked to the observance, in the same year).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta

from . import dates
from .errors import UsageError
from .model import WEEKDAYS, Calendar, Observance, Occurrence
from .occurrences import FIRST_YEAR, LAST_YEAR, ONE_DAY, _occurrence, event_occurrence, occurrences
from .settings import Loaded, MilestoneRule, NoticeRule, Organisation

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


class Notice(NamedTuple):
    rule: NoticeRule
    occurrence: Occurrence
    fire_at: datetime  # aware, in the organisation's time zone
    events: tuple[Occurrence, ...] = ()  # events planned for this occurrence

    @property
    def id(self) -> str:
        return f"{self.occurrence.id}:{self.rule.id}"

    @property
    def days_before(self) -> int:
        """Days from the send day to the occurrence (more than the rule's when moved back)."""
        return (self.occurrence.date - self.fire_at.date()).days


def notice_in(notice: Notice, language: str, calendars: Iterable[Calendar] = ()) -> Notice:
    """``notice`` with its calendar's texts in ``language`` (translate.calendar_in: the title,
    its {ordinal}, the description, facts, moments and its events' titles, venues and
    descriptions, where the calendar translates them; the others as its file writes them). The
    same rule, fire time, occurrence id and dates. ``calendars`` are the calendars as their
    files write them (the occurrence's may already be in another language: a plan's)."""
    from .translate import calendar_in

    item = notice.occurrence
    source = item.calendar
    if source.shown:
        source = next((c for c in calendars if c.id == source.id and not c.shown), source)
    shown = calendar_in(source, language) if not source.shown else source
    observance = shown.observance(item.observance.id) if item.observance is not None else None
    if shown is item.calendar or observance is None:
        return notice
    _, occurrence = _occurrence(shown, observance, item.date.year, item.date)
    by_id = {event.id: event for event in shown.events}
    events = tuple(
        event_occurrence(shown, by_id[e.event.id])
        if e.event is not None and e.event.id in by_id and e.calendar.id == shown.id
        else e
        for e in notice.events
    )
    return notice._replace(occurrence=occurrence, events=events)


def applies(rule: NoticeRule | MilestoneRule, observance: Observance) -> bool:
    """Whether a notice or milestone rule is for ``observance`` (its ids, then its tags)."""
    if rule.observances and observance.id not in rule.observances:
        return False
    return not rule.tags or any(tag in observance.tags for tag in rule.tags)


def send_day(rule: NoticeRule, day: date, weekend: Sequence[str]) -> date:
    """The day a rule sends for an occurrence on ``day``."""
    send = day - timedelta(days=rule.days_before)
    if rule.weekend == "previous-working-day" and len(weekend) < 7:
        while WEEKDAYS[send.weekday()] in weekend:
            send -= ONE_DAY
    return send


def fire_time(rule: NoticeRule, day: date, organisation: Organisation) -> datetime:
    """When ``rule`` fires for an occurrence on ``day`` (aware, the organisation's zone)."""
    return dates.wall_time(
        send_day(rule, day, organisation.weekend), rule.at, organisation.timezone
    )


def notices(
    calendars: Iterable[Calendar],
    rules: Sequence[NoticeRule],
    organisation: Organisation,
    start: datetime,
    end: datetime,
    *,
    examples: bool = True,
) -> list[Notice]:
    """Every notice firing in ``[start, end)`` (aware datetimes), sorted by fire time and id."""
    if not rules:
        return []
    tz = dates.zone(organisation.timezone)
    # A send day is days_before, plus up to six days moved off a weekend, before its occurrence,
    # and a fire time is on its send day or, when the clocks skipped that day (Samoa on 30
    # December 2011), on the next: every notice firing in the window is for an occurrence dated
    # in [first, last).
    first = start.astimezone(tz).date() + timedelta(days=min(r.days_before for r in rules) - 1)
    last = end.astimezone(tz).date() + timedelta(days=max(r.days_before for r in rules) + 7)
    found = occurrences(calendars, first, last, examples=examples)
    planned = events_by_occurrence(found)
    out = []
    for item in found:
        if item.event is not None or item.observance is None:
            continue
        for rule in rules:
            if not applies(rule, item.observance):
                continue
            at = fire_time(rule, item.date, organisation)
            if start <= at < end:
                out.append(Notice(rule, item, at, planned.get(item.id, ())))
    out.sort(key=lambda n: (n.fire_at, n.id))
    return out


def events_by_occurrence(found: Iterable[Occurrence]) -> dict[str, tuple[Occurrence, ...]]:
    grouped: dict[str, list[Occurrence]] = {}
    for item in found:
        if item.event is not None and item.observance is not None:
            key = f"{item.calendar.id}:{item.observance.id}:{item.date.year}"
            grouped.setdefault(key, []).append(item)
    return {key: tuple(items) for key, items in grouped.items()}


def year_occurrences(
    calendars: Iterable[Calendar], year: int, *, examples: bool = True
) -> dict[str, tuple[Occurrence, tuple[Occurrence, ...]]]:
    """Each observance's first occurrence in ``year`` by observance id, with its planned events.

    When two calendars have an observance of the same id, the earlier occurrence wins.  One
    expansion of the year serves every notice of it (a sweep may look up a thousand).
    """
    found = occurrences(calendars, date(year, 1, 1), date(year + 1, 1, 1), examples=examples)
    planned = events_by_occurrence(found)
    out: dict[str, tuple[Occurrence, tuple[Occurrence, ...]]] = {}
    for item in found:
        if item.event is None and item.observance is not None:
            out.setdefault(item.observance.id, (item, planned.get(item.id, ())))
    return out


def year_notice(
    rule: NoticeRule,
    found: tuple[Occurrence, tuple[Occurrence, ...]],
    organisation: Organisation,
) -> Notice:
    """The notice of ``rule`` for one entry of :func:`year_occurrences`."""
    item, events = found
    return Notice(rule, item, fire_time(rule, item.date, organisation), events)


def find_notice(
    calendars: Iterable[Calendar],
    rule: NoticeRule,
    observance_id: str,
    year: int,
    organisation: Organisation,
    *,
    examples: bool = True,
) -> Notice | None:
    """The notice of ``rule`` for ``observance_id`` in ``year`` (for ``reminders preview``)."""
    found = year_occurrences(calendars, year, examples=examples).get(observance_id)
    return None if found is None else year_notice(rule, found, organisation)


MIDNIGHT = time(0, 0)


def notice_list(loaded: Loaded, start: date, days: int) -> list[Notice]:
    """Every notice firing from ``start`` (00:00 in the organisation's zone) for ``days`` days."""
    from .dates import wall_time
    from .notices import notices

    settings = loaded.settings
    if not FIRST_YEAR <= start.year <= LAST_YEAR or (start + timedelta(days=days)).year > LAST_YEAR:
        raise UsageError(
            f"--from {start} --days {days} reaches outside the years this command accepts; "
            f"expected dates from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
        )
    tz = settings.organisation.timezone
    begin = wall_time(start, MIDNIGHT, tz)
    end = wall_time(start + timedelta(days=days), MIDNIGHT, tz)
    return notices(
        loaded.calendars,
        settings.notices,
        settings.organisation,
        begin,
        end,
        examples=settings.feed.include_examples,
    )
