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
from reminders.core.icsevents import Voice, event_parts, event_uid, observance_uid
from reminders.core.model import Calendar, Occurrence
from reminders.core.occurrences import occurrences
from reminders.core.translate import text_language


def _in(vevent: VEvent, name: str, language: str, voice: Voice) -> None:
    """The LANGUAGE= of ``name`` as the feed's rule wants it (icsevents.Voice)."""
    value = voice.param(language).removeprefix(";LANGUAGE=")
    if value and name in vevent:
        vevent[name].params["LANGUAGE"] = value


def observance_events(item: Occurrence, shared: Shared, voice: Voice) -> list[VEvent]:
    observance = item.observance
    assert observance is not None
    uid = observance_uid(item, shared.domain)
    title_language = text_language(item.calendar, observance, "title")
    day = shared.vevent(
        uid,
        item.date,
        item.date + timedelta(days=1),
        item.title,
        describe_observance(item, shared.language, voice),
        observance.tags,
    )
    _in(day, "SUMMARY", title_language, voice)
    _in(day, "DESCRIPTION", shared.language, voice)
    day["TRANSP"] = shared.transparent
    out = [day]
    for placed in item.moments:
        name_language = text_language(item.calendar, placed.moment, "name")
        spoken = voice.speaks(name_language, title_language)
        name = voice.mark(placed.moment.name, name_language, spoken)
        title = voice.mark(item.title, title_language, spoken)
        moment = shared.vevent(
            uid.replace("@", f"-{placed.moment.id}@", 1),
            placed.start,
            placed.end,
            f"{name}: {title}",
            describe_moment(item, placed, shared.language, voice),
            observance.tags,
        )
        _in(moment, "SUMMARY", spoken, voice)
        _in(moment, "DESCRIPTION", shared.language, voice)
        moment["RELATED-TO"] = vText(uid)
        moment["TRANSP"] = shared.transparent
        out.append(moment)
    return out


def event_vevent(item: Occurrence, shared: Shared, voice: Voice) -> VEvent:
    event = item.event
    assert event is not None
    # What the event says (the same text as the feed's): only its serialisation is compared.
    summary, description, start, end, languages = event_parts(item, shared.language, voice)
    vevent = shared.vevent(
        event_uid(item, shared.domain),
        start,
        end,
        summary,
        description,
        event.tags,
    )
    _in(vevent, "SUMMARY", languages[0], voice)
    _in(vevent, "DESCRIPTION", languages[1], voice)
    if event.venue:
        vevent["LOCATION"] = vText(event.venue)
        _in(vevent, "LOCATION", text_language(item.calendar, event, "venue"), voice)
    if item.observance is not None:
        vevent["RELATED-TO"] = vText(observance_uid(item, shared.domain))
    return vevent


def reference_ics(
    calendars: Sequence[Calendar], first_year: int, last_year: int, info: FeedInfo, examples: bool
) -> bytes:
    stamp = max((c.revised for c in calendars), default=datetime(2000, 1, 1, tzinfo=UTC))
    first, end = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    vcal = new_vcalendar(info.name, info.description, stamp, info.refresh, info.head_languages())
    tzids: set[str] = set()
    voice = info.voice()
    for calendar in calendars:
        shared = Shared(calendar.revised, info.uid_domain, info.language)
        for item in occurrences((calendar,), first, end, examples=examples):
            if item.event is not None:
                vcal.subcomponents.append(event_vevent(item, shared, voice))
            else:
                vcal.subcomponents.extend(observance_events(item, shared, voice))
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
    vcal = new_vcalendar(info.name, info.description, calendar.revised, None, info.head_languages())
    shared = Shared(calendar.revised, info.uid_domain, info.language)
    voice = info.voice()
    vcal.subcomponents.extend(observance_events(notice_occurrence, shared, voice))
    for item in events:
        vcal.subcomponents.append(event_vevent(item, shared, voice))
    for position, tzid in enumerate(sorted(shared.tzids - {"UTC"})):
        vtimezone = Timezone.from_tzid(
            tzid, first_date=date(year, 1, 1), last_date=date(year + 1, 12, 31)
        )
        vcal.subcomponents.insert(position, vtimezone)
    data: bytes = vcal.to_ical()
    return data
