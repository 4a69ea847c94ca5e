"""The VEVENTs of a calendar as bytes, each content line made by icalendar, each piece once.

The feed of 10,000 observances over seven years has 70,000 VEVENTs whose descriptions are the
same every year but for the year and the ordinal.  Building an icalendar ``Event`` per year and
serialising it escaped and folded the same text again each year (about 115 µs and 7.5 KB per
event).  Here no icalendar object outlives its line:

* a line whose value repeats (DTSTAMP, LAST-MODIFIED, a date, a zoned time, CATEGORIES, TRANSP)
  is made by icalendar once per value (``vDDDTypes``, ``vCategory``, ``Component.add`` for a
  zoned time and its TZID, ``Contentline.from_parts``) and kept;
* a TEXT line (SUMMARY, DESCRIPTION ...) is escaped and folded as icalendar does it, the text
  that every year of an observance shares once per observance (core/icsfold.py);
* the lines of a VEVENT come in icalendar's order (:data:`ORDER`), and a calendar's VEVENTs
  in the order of ``occurrences()``, as one bytes object (:class:`Piece`).

tests/test_ics_pieces.py checks the bytes against icalendar's own build of the same events
(tests/ics_reference.py), on random calendars.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from io import BytesIO
from string import Formatter
from typing import cast

from icalendar import Event as VEvent
from icalendar import vCategory, vDDDTypes
from icalendar.caselessdict import canonsort_keys
from icalendar.parser import Contentline, Parameters

from . import words
from .icsfold import Folder, escape, fold
from .model import Calendar, Occurrence, TimedMoment
from .occurrences import occurrences

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ONE_DAY = timedelta(days=1)
TRANSPARENT = ("TRANSP", "TRANSPARENT", "")  # Folder.line's parts: the same in every event

# The VEVENT properties this module writes, in the order icalendar writes them (its canonical
# order first, the rest by name); any subset keeps that relative order.
ORDER = tuple(
    canonsort_keys(
        [
            "SUMMARY",
            "DTSTART",
            "DTEND",
            "DTSTAMP",
            "UID",
            "CATEGORIES",
            "DESCRIPTION",
            "LAST-MODIFIED",
            "LOCATION",
            "RELATED-TO",
            "TRANSP",
        ],
        VEvent.canonical_order,
    )
)
assert ORDER[:5] == ("SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID"), ORDER
assert ORDER[5:] == tuple(sorted(ORDER[5:])), ORDER


class Piece(NamedTuple):
    """Some calendar's VEVENTs as bytes, and the TZIDs they use (each needs a VTIMEZONE)."""

    data: bytes | memoryview
    tzids: frozenset[str]
    vevents: int


class Writer:
    """The VEVENTs of observance-years and planned events, as text (see the module docstring)."""

    def __init__(self, domain: str, language: str) -> None:
        self.domain = domain
        self.language = language
        self.tzids: set[str] = set()
        self.text = Folder()
        self._values: dict[tuple[str, object], str] = {}
        self._times: dict[tuple[str, datetime, str], str] = {}
        self._suffixes: dict[str, str] = {}
        self._stamp: datetime | None = None  # the last DTSTAMP value, and its two lines
        self._stamps = ("", "")

    def value_line(self, name: str, value: object) -> str:
        """The line of a DTSTAMP, LAST-MODIFIED, all-day DTSTART/DTEND or CATEGORIES value."""
        key: tuple[str, object] = (name, value)
        if isinstance(value, datetime):  # aware datetimes compare as instants: keep the zone
            key = (name, (value.replace(tzinfo=None), str(value.tzinfo)))
        line = self._values.get(key)
        if line is None:
            if isinstance(value, tuple):
                prop: vCategory | vDDDTypes = vCategory(list(value))
            else:
                assert isinstance(value, date)  # a datetime too
                prop = vDDDTypes(value)
            params = cast(Parameters, getattr(prop, "params", Parameters()))
            line = self._values[key] = fold(Contentline.from_parts(name, params, prop))
        return line

    def time_line(self, name: str, value: datetime) -> str:
        """A zoned DTSTART or DTEND, as ``Component.add`` writes it (TZID from the zone)."""
        zone = str(value.tzinfo)
        key = (name, value.replace(tzinfo=None), zone)  # aware datetimes compare as instants
        line = self._times.get(key)
        if line is None:
            vevent = VEvent()
            vevent.add(name, value)
            ical: bytes = vevent.content_line(name, vevent[name]).to_ical()
            line = self._times[key] = ical.decode()
            self.tzids.add(zone)
        return line

    def vevent(
        self,
        uid: str,
        start: date | datetime,
        end: date | datetime,
        summary: tuple[str, str, str],
        description: tuple[str, str, str],
        tags: tuple[str, ...],
        stamp: datetime,
        extra: Iterable[tuple[str, str, str]] = (),
    ) -> str:
        """One VEVENT; ``summary`` and ``description`` in parts (Folder.line), ``extra`` further
        TEXT properties (LOCATION, RELATED-TO, TRANSP)."""
        if stamp is not self._stamp:  # one calendar's events all carry the same object
            dtstamp = self.value_line("DTSTAMP", stamp)
            self._stamp, self._stamps = stamp, (dtstamp, self.value_line("LAST-MODIFIED", stamp))
        lines = {
            "SUMMARY": self.text.line("SUMMARY", *summary),
            "DTSTAMP": self._stamps[0],
            "UID": fold(f"UID:{escape(uid)}"),
            "LAST-MODIFIED": self._stamps[1],
        }
        if isinstance(start, datetime):
            assert isinstance(end, datetime)
            lines["DTSTART"] = self.time_line("DTSTART", start)
            lines["DTEND"] = self.time_line("DTEND", end)
        else:
            lines["DTSTART"] = self.value_line("DTSTART", start)
            lines["DTEND"] = self.value_line("DTEND", end)
        if any(description):
            lines["DESCRIPTION"] = self.text.line("DESCRIPTION", *description)
        if tags:
            lines["CATEGORIES"] = self.value_line("CATEGORIES", tags)
        for name, head, middle in extra:
            lines[name] = self.text.line(name, head, middle)
        body = "\r\n".join(lines[name] for name in ORDER if name in lines)
        return f"BEGIN:VEVENT\r\n{body}\r\nEND:VEVENT\r\n"

    def observance(self, item: Occurrence) -> str:
        """The all-day VEVENT of one observance-year, then one zoned VEVENT per timed moment."""
        observance = item.observance
        assert observance is not None
        uid = observance_uid(item, self.domain)
        stamp = item.calendar.revised
        out = [
            self.vevent(
                uid,
                item.date,
                item.date + ONE_DAY,
                self.title(item),
                observance_text(item, self.language),
                observance.tags,
                stamp,
                (TRANSPARENT,),  # remembrance days make no one busy
            )
        ]
        for placed in item.moments:
            out.append(
                self.vevent(
                    uid.replace("@", f"-{placed.moment.id}@", 1),
                    placed.start,
                    placed.end,
                    (f"{placed.moment.name}: ", *self.title(item)[1:]),
                    moment_text(item, placed, self.language),
                    observance.tags,
                    stamp,
                    (("RELATED-TO", "", uid), TRANSPARENT),
                )
            )
        return "".join(out)

    def event(self, item: Occurrence) -> str:
        """A planned event: zoned (or all-day), with its venue, linked to that year's observance."""
        event = item.event
        assert event is not None
        summary, description, start, end = event_text(item)
        extra = []
        if event.venue:
            extra.append(("LOCATION", "", event.venue))
        if item.observance is not None:
            extra.append(("RELATED-TO", "", observance_uid(item, self.domain)))
        return self.vevent(
            event_uid(item, self.domain),
            start,
            end,
            ("", summary, ""),
            ("", description, ""),
            event.tags,
            item.calendar.revised,
            extra,
        )

    def title(self, item: Occurrence) -> tuple[str, str, str]:
        """An observance-year's title in parts: the text up to the pattern's last field (its
        ordinal, number or year) and the pattern's text after it, which every year shares."""
        assert item.observance is not None
        pattern = item.observance.title
        suffix = self._suffixes.get(pattern)
        if suffix is None:
            parsed = list(Formatter().parse(pattern)) if "{" in pattern else []
            # The text after the last field, as format() writes it ("{{" as "{").
            suffix = self._suffixes[pattern] = (
                parsed[-1][0] if parsed and parsed[-1][1] is None else ""
            )
        title = item.title
        if suffix and title.endswith(suffix):
            return ("", title[: -len(suffix)], suffix)
        return ("", title, "")

    def item(self, item: Occurrence) -> str:
        return self.event(item) if item.event is not None else self.observance(item)


def observance_uid(item: Occurrence, domain: str) -> str:
    """The UID of an observance-year (an event's RELATED-TO names that of its year)."""
    assert item.observance is not None
    return f"{item.calendar.id}-{item.observance.id}-{item.date.year}@{domain}"


def event_uid(item: Occurrence, domain: str) -> str:
    assert item.event is not None
    return f"{item.calendar.id}-event-{item.event.id}@{domain}"


def event_text(item: Occurrence) -> tuple[str, str, date | datetime, date | datetime]:
    """A planned event's SUMMARY, DESCRIPTION, start and end (an all-day event ends the next
    day); the bundled sample says it is one."""
    event = item.event
    assert event is not None
    summary = f"Example: {event.title}" if event.example else event.title
    description = event.description
    if event.example:
        description = (
            f"{description}\n\nThis is a sample event shipped with the calendar, "
            "to show how a planned event looks."
        ).strip()
    if event.start is not None and event.end is not None:
        return summary, description, event.start, event.end
    assert event.day is not None
    return summary, description, event.day, event.day + ONE_DAY


def observance_text(item: Occurrence, language: str) -> tuple[str, str, str]:
    """The DESCRIPTION of an observance's all-day VEVENT (what, facts with sources, moments) in
    three parts: the text before the year and the ordinal, those, and the text after them."""
    observance = item.observance
    assert observance is not None
    year = f"{item.date.year} marks the {words.ordinal(item.number, language)}"
    after = [f" anniversary (the events took place in {observance.since})."]
    if observance.facts:
        lines = ["Facts and their sources:"]
        for fact in observance.facts:
            lines.append(f"- {fact.text} (Source: {fact.source}.)")
        after.append("\n".join(lines))
    if item.moments:
        lines = ["Timed moments:"]
        for placed in item.moments:
            lines.append(
                f"- {words.clock(placed.start, language)} {placed.moment.timezone}: "
                f"{placed.moment.name}"
            )
        after.append("\n".join(lines))
    return observance.description + "\n\n", year, "\n\n".join(after)


def moment_text(item: Occurrence, placed: TimedMoment, language: str) -> tuple[str, str, str]:
    """The DESCRIPTION of a timed moment's VEVENT: its own text, then the year's line."""
    moment = placed.moment
    line = f"{words.clock(placed.start, language)} {moment.timezone} time, {item.title}."
    return (f"{moment.description}\n\n" if moment.description else "", line, "")


def calendar_events(
    calendar: Calendar, first_year: int, last_year: int, domain: str, language: str, examples: bool
) -> Piece:
    """The VEVENTs of ``calendar`` over ``first_year..last_year`` (inclusive), in date order."""
    writer = Writer(domain, language)
    out = BytesIO()  # grows in place; getvalue() hands over its buffer without a copy
    count = 0
    start, end = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    for item in occurrences((calendar,), start, end, examples=examples):
        text = writer.item(item)
        out.write(text.encode())
        count += 1 + len(item.moments)
    return Piece(out.getvalue(), frozenset(writer.tzids), count)
