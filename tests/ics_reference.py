"""The feed's ICS as a plain icalendar build: one ``Event`` object per VEVENT, ``to_ical()``.

This is how core/ics.py built the feed before core/icsevents.py wrote it line by line; the
tests compare the two byte for byte (tests/test_ics_pieces.py).  The rules are the same: each
observance-year an all-day VEVENT, each timed moment a zoned one, planned events with their
venue; DTSTAMP and LAST-MODIFIED from each event's own calendar; the VTIMEZONEs first, sorted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from icalendar import Event as VEvent
from icalendar import Timezone, vText

from reminders.core.ics import (
    FeedInfo,
    Shared,
    describe_moment,
    describe_observance,
    new_vcalendar,
)
from reminders.core.icsevents import event_text, event_uid, observance_uid
from reminders.core.model import Calendar, Occurrence
from reminders.core.occurrences import occurrences


def observance_events(item: Occurrence, shared: Shared) -> list[VEvent]:
    observance = item.observance
    assert observance is not None
    uid = observance_uid(item, shared.domain)
    day = shared.vevent(
        uid,
        item.date,
        item.date + timedelta(days=1),
        item.title,
        describe_observance(item, shared.language),
        observance.tags,
    )
    day["TRANSP"] = shared.transparent
    out = [day]
    for placed in item.moments:
        moment = shared.vevent(
            uid.replace("@", f"-{placed.moment.id}@", 1),
            placed.start,
            placed.end,
            f"{placed.moment.name}: {item.title}",
            describe_moment(item, placed, shared.language),
            observance.tags,
        )
        moment["RELATED-TO"] = vText(uid)
        moment["TRANSP"] = shared.transparent
        out.append(moment)
    return out


def event_vevent(item: Occurrence, shared: Shared) -> VEvent:
    event = item.event
    assert event is not None
    # What the event says (the same text as the feed's): only its serialisation is compared.
    summary, description, start, end = event_text(item)
    vevent = shared.vevent(
        event_uid(item, shared.domain),
        start,
        end,
        summary,
        description,
        event.tags,
    )
    if event.venue:
        vevent["LOCATION"] = vText(event.venue)
    if item.observance is not None:
        vevent["RELATED-TO"] = vText(observance_uid(item, shared.domain))
    return vevent


def reference_ics(
    calendars: Sequence[Calendar], first_year: int, last_year: int, info: FeedInfo, examples: bool
) -> bytes:
    stamp = max((c.revised for c in calendars), default=datetime(2000, 1, 1, tzinfo=UTC))
    first, end = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    vcal = new_vcalendar(info.name, info.description, stamp, info.refresh)
    tzids: set[str] = set()
    for calendar in calendars:
        shared = Shared(calendar.revised, info.uid_domain, info.language)
        for item in occurrences((calendar,), first, end, examples=examples):
            if item.event is not None:
                vcal.subcomponents.append(event_vevent(item, shared))
            else:
                vcal.subcomponents.extend(observance_events(item, shared))
        tzids |= shared.tzids
    last = date(last_year + 1, 12, 31)
    for position, tzid in enumerate(sorted(tzids - {"UTC"})):
        vcal.subcomponents.insert(
            position, Timezone.from_tzid(tzid, first_date=first, last_date=last)
        )
    data: bytes = vcal.to_ical()
    return data


def reference_occurrence_ics(
    notice_occurrence: Occurrence, events: tuple[Occurrence, ...], info: FeedInfo
) -> bytes:
    calendar = notice_occurrence.calendar
    year = notice_occurrence.date.year
    vcal = new_vcalendar(info.name, info.description, calendar.revised, None)
    shared = Shared(calendar.revised, info.uid_domain, info.language)
    vcal.subcomponents.extend(observance_events(notice_occurrence, shared))
    for item in events:
        vcal.subcomponents.append(event_vevent(item, shared))
    for position, tzid in enumerate(sorted(shared.tzids - {"UTC"})):
        vtimezone = Timezone.from_tzid(
            tzid, first_date=date(year, 1, 1), last_date=date(year + 1, 12, 31)
        )
        vcal.subcomponents.insert(position, vtimezone)
    data: bytes = vcal.to_ical()
    return data
