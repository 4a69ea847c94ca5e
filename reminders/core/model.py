"""The domain values: calendars, observances, events and their occurrences.

All values are immutable ``NamedTuple`` records.  (The design asks for frozen dataclasses; we
use NamedTuple because ``import dataclasses`` pulls in ``inspect`` and costs about half of the
4x start-up budget of ``reminders upcoming``; NamedTuple is as immutable and typed, and
``typing`` is loaded by the TOML parser (tomli) anyway.  See docs/design-notes.md.)

Date conventions, stated once:

* An observance is an **all-day** item on a calendar date.  Its date has no time zone: January 20 is
  January 20 wherever the subscriber lives (ICS ``VALUE=DATE``, exclusive end on the next day).
* A **moment** (the minute of silence at 12:00 Baku time) is a wall-clock time in its own time zone
  on the observance's date; it becomes a zoned instant per year, so subscribers in other zones see
  it at their local time.  A wall-clock time that falls in a daylight-saving gap is moved forward
  by the length of the gap, as the clocks are.
* An **event** is one-off: a zoned start and an end (``end`` is exclusive), or a whole day.
* Windows are half-open: ``[start, end)``.
* The **anniversary number** of an occurrence in year Y is ``Y - since``; occurrences start with the
  1st anniversary (the year after ``since``); the origin year itself is not an anniversary.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from . import dates, words

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class Translation(NamedTuple):
    """An item's texts in one more language than the calendar's own (``[....translations.az]``).

    ``texts`` pairs a key of the item (``title``, ``description``, ``text``, ``name``, ``venue``)
    with its text in ``language``; a key not in it keeps the calendar's own text.
    core/translate.py puts a calendar into a language with these.
    """

    language: str  # the tag as the file writes it: 'az', 'ur', 'ur-PK'
    texts: tuple[tuple[str, str], ...]
    translator: str
    reviewed: bool = False


class Fact(NamedTuple):
    """A statement about the commemorated event, with the source it comes from.

    The ``source`` is cited as it is, in every language; only ``text`` is translated.
    """

    text: str
    source: str
    published: date | None = None
    translations: tuple[Translation, ...] = ()


class Moment(NamedTuple):
    """A timed part of an observance's day, at a wall-clock time in ``timezone``."""

    id: str
    name: str
    at: time
    duration: timedelta
    timezone: str
    description: str = ""
    translations: tuple[Translation, ...] = ()


class FixedDate(NamedTuple):
    """Every year on the same month and day.

    ``leap_day`` says what a February 29 observance does in a common year: ``"feb28"`` (observe on
    February 28, the default), ``"mar1"`` (observe on March 1) or ``"skip"`` (no occurrence).
    """

    month: int
    day: int
    leap_day: str = "feb28"

    def describe(self) -> str:
        """'every January 20' (for messages, which are English)."""
        day = date(2000, self.month, self.day)
        return f"every {words.format_date(day, words.MONTH_DAY, words.ENGLISH)}"

    def dates(self, first_year: int, last_year: int) -> dict[int, date]:
        """The date in each year of ``first_year..last_year`` (inclusive) that has one."""
        out = {}
        for year in range(first_year, last_year + 1):
            day = dates.fixed_date_in(year, self.month, self.day, self.leap_day)
            if day is not None:
                out[year] = day
        return out


class YearlyRule(NamedTuple):
    """A movable day: an RFC 5545 RRULE with ``FREQ=YEARLY``, expanded by python-dateutil."""

    rrule: str
    since: int  # DTSTART is January 1 of this year, so COUNT and UNTIL count from the origin

    def describe(self) -> str:
        return f"by the rule {self.rrule}"

    def dates(self, first_year: int, last_year: int) -> dict[int, date]:
        """The date in each year of ``first_year..last_year`` (inclusive) that has one."""
        return dates.rrule_dates(self.rrule, self.since, first_year, last_year)


DateRule = FixedDate | YearlyRule


class Observance(NamedTuple):
    """A recurring remembrance day."""

    id: str
    title: str  # a pattern: {ordinal}, {number}, {year} and {since} are filled in per year
    rule: DateRule
    since: int  # the year of the commemorated event; the anniversary number counts from it
    description: str
    facts: tuple[Fact, ...] = ()
    moments: tuple[Moment, ...] = ()
    tags: tuple[str, ...] = ()
    translations: tuple[Translation, ...] = ()


class Event(NamedTuple):
    """Something an organisation scheduled once (a roundtable, a seminar).

    Timed events have ``start`` and ``end`` as aware datetimes in ``timezone`` (``end`` exclusive);
    all-day events have ``day`` set and ``start``/``end`` left as None.
    """

    id: str
    title: str
    timezone: str
    start: datetime | None = None
    end: datetime | None = None
    day: date | None = None
    venue: str = ""
    description: str = ""
    observance: str | None = None  # id of the observance it belongs to, if any
    example: bool = False
    tags: tuple[str, ...] = ()
    translations: tuple[Translation, ...] = ()

    @property
    def local_date(self) -> date:
        """The event's date where it takes place."""
        if self.start is not None:
            return self.start.date()
        assert self.day is not None
        return self.day


class Calendar(NamedTuple):
    """One calendar source file.

    ``language`` is the language its texts are written in (``[calendar] language``);
    ``translations`` are the calendar's own name and description in other languages (each item
    has its own). ``shown`` is "" for the calendar as the file writes it, and the language it was
    put into by ``translate.calendar_in`` (whose ``text_language`` says, per text, which
    language it is actually written in).
    """

    id: str
    name: str
    description: str
    timezone: str  # where the commemorated events happened; moments default to it
    public: bool
    revised: datetime  # UTC; drives DTSTAMP / LAST-MODIFIED so output is deterministic
    source: str  # the file it came from, as shown in messages
    observances: tuple[Observance, ...] = ()
    events: tuple[Event, ...] = ()
    language: str = "en"
    translations: tuple[Translation, ...] = ()
    shown: str = ""

    def observance(self, observance_id: str) -> Observance | None:
        for item in self.observances:
            if item.id == observance_id:
                return item
        return None


class TimedMoment(NamedTuple):
    """A moment placed on one occurrence's date: aware start and (exclusive) end."""

    moment: Moment
    start: datetime
    end: datetime


class Occurrence(NamedTuple):
    """One observance in one year, or one event.

    For an event linked to an observance, ``observance`` and ``number`` are those of the
    observance in the event's year; for an unlinked event, ``observance`` is None and ``number`` 0.
    """

    calendar: Calendar
    date: date
    title: str
    number: int
    observance: Observance | None = None
    event: Event | None = None
    moments: tuple[TimedMoment, ...] = ()

    @property
    def kind(self) -> str:
        return "event" if self.event is not None else "observance"

    @property
    def id(self) -> str:
        """``{calendar}:{observance}:{year}``, or ``{calendar}:event:{id}`` for an event."""
        if self.event is not None:
            return f"{self.calendar.id}:event:{self.event.id}"
        assert self.observance is not None
        return f"{self.calendar.id}:{self.observance.id}:{self.date.year}"

    @property
    def weekday(self) -> str:
        """'Wednesday' in English (the outputs call ``words.weekday`` with their language)."""
        return words.weekday(self.date, words.ENGLISH)

    @property
    def ordinal(self) -> str:
        """'37th' in English (the outputs that know the organisation's language call
        ``words.ordinal`` with it instead)."""
        return words.ordinal(self.number, words.ENGLISH) if self.number > 0 else ""

    @property
    def jubilee(self) -> bool:
        """A jubilee: the 10th, 20th, 25th, 30th, 40th, 50th ... (see ``dates.is_jubilee``)."""
        return dates.is_jubilee(self.number)

    @property
    def round_step(self) -> int:
        """The largest of 100, 50, 25, 10 and 5 that divides the anniversary number, else 0.

        Planners use it for round anniversaries (the 30th: 10; the 35th: 5; the 50th: 50).
        """
        return dates.round_step(self.number)
