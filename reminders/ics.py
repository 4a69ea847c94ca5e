"""ICS (RFC 5545) output, built with the icalendar library.

The rules (docs/ics.md and DESIGN.md "ICS: rules that must hold"):

* one all-day VEVENT per observance per year, so each carries its own ordinal; never a bare RRULE;
* each timed moment of that day is its own zoned VEVENT; events are zoned VEVENTs;
* UIDs are derived from ids (``{calendar}-{observance}-{year}@{uid_domain}``), DTSTAMP and
  LAST-MODIFIED from the calendars' ``revised`` time, so the same inputs give the same bytes;
* escaping, folding and CRLF are icalendar's job.

Importing this module imports icalendar; only the commands that write ICS do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from icalendar import TRANSP, Timezone, vDuration
from icalendar import Calendar as VCalendar
from icalendar import Event as VEvent

from .model import Calendar, Occurrence, TimedMoment
from .occurrences import occurrences

PRODID = "-//reminders//Remembrance day calendar//EN"


class FeedInfo(NamedTuple):
    """What the calendar as a whole is called and how often clients should refresh it."""

    name: str
    description: str
    uid_domain: str
    refresh: timedelta
    uid: str  # the VCALENDAR's own UID (its id and the UID domain)


def observance_uid(item: Occurrence, domain: str) -> str:
    assert item.observance is not None
    return f"{item.calendar.id}-{item.observance.id}-{item.date.year}@{domain}"


def describe_observance(item: Occurrence) -> str:
    """The DESCRIPTION of an observance's all-day VEVENT: what, facts with sources, moments."""
    observance = item.observance
    assert observance is not None
    parts = [observance.description]
    parts.append(
        f"{item.date.year} marks the {item.ordinal} anniversary "
        f"(the events took place in {observance.since})."
    )
    if observance.facts:
        lines = ["Facts and their sources:"]
        for fact in observance.facts:
            lines.append(f"- {fact.text} (Source: {fact.source}.)")
        parts.append("\n".join(lines))
    if item.moments:
        lines = ["Timed moments:"]
        for placed in item.moments:
            lines.append(f"- {placed.start:%H:%M} {placed.moment.timezone}: {placed.moment.name}")
        parts.append("\n".join(lines))
    return "\n\n".join(parts)


def describe_moment(item: Occurrence, placed: TimedMoment) -> str:
    moment = placed.moment
    head = f"{placed.start:%H:%M} {moment.timezone} time, {item.title}."
    return f"{moment.description}\n\n{head}" if moment.description else head


def observance_events(item: Occurrence, stamp: datetime, domain: str) -> list[VEvent]:
    observance = item.observance
    assert observance is not None
    uid = observance_uid(item, domain)
    out = [
        VEvent.new(
            uid=uid,
            stamp=stamp,
            last_modified=stamp,
            start=item.date,
            end=item.date + timedelta(days=1),
            summary=item.title,
            description=describe_observance(item),
            categories=observance.tags,
            transparency=TRANSP.TRANSPARENT,
        )
    ]
    for placed in item.moments:
        moment_event = VEvent.new(
            uid=uid.replace("@", f"-{placed.moment.id}@", 1),
            stamp=stamp,
            last_modified=stamp,
            start=placed.start,
            end=placed.end,
            summary=f"{placed.moment.name}: {item.title}",
            description=describe_moment(item, placed),
            categories=observance.tags,
            transparency=TRANSP.TRANSPARENT,
        )
        moment_event.add("related-to", uid)
        out.append(moment_event)
    return out


def event_vevent(item: Occurrence, stamp: datetime, domain: str) -> VEvent:
    event = item.event
    assert event is not None
    summary = f"Example: {event.title}" if event.example else event.title
    description = event.description
    if event.example:
        description = (
            f"{description}\n\nThis is a sample event shipped with the calendar, "
            "to show how a planned event looks."
        ).strip()
    if event.start is not None:
        start: date | datetime = event.start
        assert event.end is not None
        end: date | datetime = event.end
    else:
        assert event.day is not None
        start, end = event.day, event.day + timedelta(days=1)
    vevent = VEvent.new(
        uid=f"{item.calendar.id}-event-{event.id}@{domain}",
        stamp=stamp,
        last_modified=stamp,
        start=start,
        end=end,
        summary=summary,
        description=description or None,
        location=event.venue or None,
        categories=event.tags,
    )
    if item.observance is not None:
        vevent.add("related-to", observance_uid(item, domain))
    return vevent


def build_ics(
    calendars: Sequence[Calendar],
    first_year: int,
    last_year: int,
    info: FeedInfo,
    *,
    examples: bool,
) -> bytes:
    """The ICS bytes for ``calendars`` over the years ``first_year..last_year`` (inclusive)."""
    stamp = max((c.revised for c in calendars), default=datetime(2000, 1, 1).astimezone())
    items = occurrences(
        calendars, date(first_year, 1, 1), date(last_year + 1, 1, 1), examples=examples
    )
    vcal = VCalendar.new(
        prodid=PRODID,
        uid=info.uid,
        method="PUBLISH",
        name=info.name,
        description=info.description or None,
        refresh_interval=info.refresh,
        last_modified=stamp,
    )
    # RFC 7986 wants VALUE=DURATION on REFRESH-INTERVAL; X-PUBLISHED-TTL is Outlook's name for it.
    vcal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    vcal.add("x-published-ttl", vDuration(info.refresh))
    _add_events(vcal, items, stamp, info.uid_domain)
    _add_timezones(vcal, date(first_year, 1, 1), date(last_year + 1, 12, 31))
    data: bytes = vcal.to_ical()
    return data


def _add_timezones(vcal: VCalendar, first: date, last: date) -> None:
    """A VTIMEZONE for every TZID used, in sorted order.

    icalendar's own ``add_missing_timezones()`` iterates a set, so its order (and so the bytes)
    changes with the interpreter's hash seed; sorting keeps the output deterministic.
    """
    for position, tzid in enumerate(sorted(vcal.get_missing_tzids())):
        vcal.subcomponents.insert(
            position, Timezone.from_tzid(tzid, first_date=first, last_date=last)
        )


def _add_events(vcal: VCalendar, items: Iterable[Occurrence], stamp: datetime, domain: str) -> None:
    for item in items:
        if item.event is not None:
            vcal.add_component(event_vevent(item, stamp, domain))
        else:
            for vevent in observance_events(item, stamp, domain):
                vcal.add_component(vevent)
