"""ICS (RFC 5545) output, built with the icalendar library.

The rules (docs/ics.md and DESIGN.md "ICS: rules that must hold"):

* one all-day VEVENT per observance per year, so each carries its own ordinal; never a bare RRULE;
* each timed moment of that day is its own zoned VEVENT; events are zoned VEVENTs;
* UIDs are derived from ids (``{calendar}-{observance}-{year}@{uid_domain}``), DTSTAMP and
  LAST-MODIFIED from the calendars' ``revised`` time, so the same inputs give the same bytes;
* escaping, folding and CRLF are icalendar's job: the feed's VEVENTs are written line by line
  by core/icsevents.py, each line as icalendar writes it (checked against a plain icalendar
  build by tests/test_ics_pieces.py).

Importing this module imports icalendar; only the commands that write ICS do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from icalendar import Calendar as VCalendar
from icalendar import Event as VEvent
from icalendar import Timezone, vCategory, vDDDTypes, vDuration, vText

from . import words
from .errors import UsageError
from .icsevents import Voice, Writer, calendar_events, moment_text, observance_text
from .model import Calendar, Occurrence, TimedMoment
from .occurrences import FIRST_YEAR, LAST_YEAR
from .settings import Loaded

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

PRODID = "-//reminders//Remembrance day calendar//EN"


class FeedInfo(NamedTuple):
    """What the calendar as a whole is called and how often clients should refresh it."""

    name: str
    description: str
    uid_domain: str
    refresh: timedelta
    language: str = "en"  # the feed's: its program text and words (words.py, i18n.py)
    default: str = ""  # the organisation's default language ("": ``language``): LANGUAGE= rule
    # The languages ``name`` and ``description`` are written in ("": ``language``).
    name_language: str = ""
    description_language: str = ""

    def voice(self) -> Voice:
        return Voice(self.language, self.default)

    def head_languages(self) -> tuple[str, str]:
        """The LANGUAGE= values of the calendar's name and description ("" for none)."""
        voice = self.voice()
        return tuple(  # type: ignore[return-value]
            voice.param(given or self.language).removeprefix(";LANGUAGE=")
            for given in (self.name_language, self.description_language)
        )


# Characters that must not reach a content line as they are: the C0 controls and DEL (CR, LF,
# NUL, ESC ...), the C1 controls and the Unicode line and paragraph separators.
_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")


def calendar_text(value: str, *, multiline: bool) -> str:
    """``value`` made safe for a calendar-level property, whatever the calendar file held.

    A single-line value (a name) has each run of control characters (CR, LF, NUL, ESC, tabs ...)
    replaced by one space; a multi-line value (a description) keeps its line breaks as LF (which
    TEXT escaping writes as ``\\n``) and loses every other control character the same way.
    ``check`` refuses control characters in names; this is the writer's own guard.
    """
    if not multiline:
        return _CONTROLS.sub(" ", value).strip()
    lines = _LINE_BREAKS.split(value)
    return "\n".join(_CONTROLS.sub(" ", line).rstrip() for line in lines).strip()


def _explicit_text(value: str) -> vText:
    """A TEXT value written escaped and marked ``VALUE=TEXT``.

    icalendar, vobject, libical and ical.js all show such a value whole (commas, semicolons and
    backslashes included); bare or escaped without the parameter, at least one of them does not
    (docs/clients.md has the table, and tests/test_clients.py proves it).
    """
    text = vText(value)
    text.params["VALUE"] = "TEXT"
    return text


def _in(text: vText, language: str) -> vText:
    if language:
        text.params["LANGUAGE"] = language
    return text


def new_vcalendar(
    name: str,
    description: str,
    stamp: datetime,
    refresh: timedelta | None,
    languages: tuple[str, str] = ("", ""),
) -> VCalendar:
    """A VCALENDAR with this project's calendar-level properties and no component yet.

    ``METHOD:PUBLISH``, the PRODID, ``NAME``/``X-WR-CALNAME``, ``DESCRIPTION``/``X-WR-CALDESC``,
    LAST-MODIFIED from ``stamp``, and with ``refresh`` ``REFRESH-INTERVAL;VALUE=DURATION`` and
    ``X-PUBLISHED-TTL``.  No UID on the VCALENDAR (DESIGN.md rule 6): vdirsyncer, and so khal,
    gives every event it splits off a feed the first UID line of its text, so a calendar-level
    UID would make every event one item. ``languages``: the LANGUAGE= of the name and of the
    description ("" for none).
    """
    vcal = VCalendar.new(
        prodid=PRODID, method="PUBLISH", last_modified=stamp, refresh_interval=refresh
    )
    del vcal["UID"]  # icalendar's new() makes a random one
    description = calendar_text(description, multiline=True)
    if description:
        vcal["DESCRIPTION"] = _in(vText(description), languages[1])
        vcal["X-WR-CALDESC"] = _in(_explicit_text(description), languages[1])
    name = calendar_text(name, multiline=False)
    if name:
        vcal["NAME"] = _in(_explicit_text(name), languages[0])
        vcal["X-WR-CALNAME"] = _in(_explicit_text(name), languages[0])
    if refresh is not None:
        # RFC 7986 wants VALUE=DURATION on REFRESH-INTERVAL; X-PUBLISHED-TTL is Outlook's name.
        vcal["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
        vcal["X-PUBLISHED-TTL"] = vDuration(refresh)
    return vcal


def describe_observance(item: Occurrence, language: str, voice: Voice | None = None) -> str:
    """The DESCRIPTION of an observance's all-day VEVENT: what, facts with sources, moments."""
    return "".join(observance_text(item, language, voice or Voice(language))[:3])


def describe_moment(
    item: Occurrence, placed: TimedMoment, language: str, voice: Voice | None = None
) -> str:
    return "".join(moment_text(item, placed, language, voice or Voice(language))[:3])


class Shared:
    """Property values that repeat across many VEVENTs, built once and never mutated.

    What the plan's ICS (plan/ics.py) builds its VEVENTs with; the feed's VEVENTs are written
    line by line (core/icsevents.py).
    """

    def __init__(self, stamp: datetime, domain: str, language: str) -> None:
        self.stamp = vDDDTypes(stamp)
        self.language = language
        self.transparent = vText("TRANSPARENT")
        self.domain = domain
        self.tzids: set[str] = set()  # every TZID used, for the VTIMEZONE blocks
        self._categories: dict[tuple[str, ...], vCategory] = {}

    def categories(self, tags: tuple[str, ...]) -> vCategory | None:
        if not tags:
            return None
        value = self._categories.get(tags)
        if value is None:
            value = self._categories[tags] = vCategory(list(tags))
        return value

    def vevent(
        self,
        uid: str,
        start: date | datetime,
        end: date | datetime,
        summary: str,
        description: str,
        tags: tuple[str, ...],
    ) -> VEvent:
        vevent = VEvent()
        vevent["UID"] = vText(uid)
        vevent["DTSTAMP"] = self.stamp
        vevent["LAST-MODIFIED"] = self.stamp
        if isinstance(start, datetime):
            # add() sets the TZID parameter from the zone; the zone needs a VTIMEZONE.
            vevent.add("DTSTART", start)
            vevent.add("DTEND", end)
            self.tzids.add(str(start.tzinfo))
        else:
            vevent["DTSTART"] = vDDDTypes(start)
            vevent["DTEND"] = vDDDTypes(end)
        vevent["SUMMARY"] = vText(summary)
        if description:
            vevent["DESCRIPTION"] = vText(description)
        categories = self.categories(tags)
        if categories is not None:
            vevent["CATEGORIES"] = categories
        return vevent


END = b"END:VCALENDAR\r\n"


def calendar_head(
    name: str,
    description: str,
    stamp: datetime,
    refresh: timedelta | None,
    languages: tuple[str, str] = ("", ""),
) -> bytes:
    """The VCALENDAR's first line and properties (new_vcalendar), without its end.  The same
    head serves every organisation of a deployment that shares a calendar (its name, its
    ``revised``, the language), so the last ones made are kept."""
    return _head(name, description, stamp, stamp.tzinfo, refresh, languages)


@lru_cache(maxsize=1024)
def _head(
    name: str,
    description: str,
    stamp: datetime,
    zone: object,  # (equal times in other zones are equal keys, and may be written otherwise)
    refresh: timedelta | None,
    languages: tuple[str, str],
) -> bytes:
    whole: bytes = new_vcalendar(name, description, stamp, refresh, languages).to_ical()
    assert whole.endswith(END)
    return whole[: -len(END)]


@lru_cache(maxsize=256)
def vtimezone(tzid: str, first: date, last: date) -> bytes:
    """The VTIMEZONE of ``tzid`` covering ``first..last``, from the time zone database."""
    data: bytes = Timezone.from_tzid(tzid, first_date=first, last_date=last).to_ical()
    return data


def timezones(tzids: Iterable[str], first_year: int, last_year: int) -> list[bytes]:
    """One VTIMEZONE per TZID used (UTC needs none), sorted by TZID, covering the window and
    the year after it (as many clients expand a little past the end)."""
    # Sorted: icalendar's add_missing_timezones() iterates a set, so its order (and the bytes)
    # would change with the interpreter's hash seed.
    first, last = date(first_year, 1, 1), date(last_year + 1, 12, 31)
    return [vtimezone(tzid, first, last) for tzid in sorted(set(tzids) - {"UTC"})]


def ics_parts(
    calendars: Sequence[Calendar],
    first_year: int,
    last_year: int,
    info: FeedInfo,
    *,
    examples: bool,
) -> list[bytes | memoryview]:
    """The ICS of ``calendars`` over ``first_year..last_year`` (inclusive), in parts whose
    concatenation is the file: the VCALENDAR's head, its VTIMEZONEs, each calendar's VEVENTs
    (in date order, calendar after calendar), its end.

    Each event's DTSTAMP and LAST-MODIFIED are its own calendar's ``revised`` time, so an event
    has the same bytes in every feed that carries it; the VCALENDAR's LAST-MODIFIED is the
    newest of them."""
    stamp = max((c.revised for c in calendars), default=datetime(2000, 1, 1, tzinfo=UTC))
    pieces = [
        calendar_events(
            c, first_year, last_year, info.uid_domain, info.language, examples, info.default
        )
        for c in calendars
    ]
    return [
        calendar_head(info.name, info.description, stamp, info.refresh, info.head_languages()),
        *timezones(set().union(*(p.tzids for p in pieces)), first_year, last_year),
        *(p.data for p in pieces),
        END,
    ]


def build_ics(
    calendars: Sequence[Calendar],
    first_year: int,
    last_year: int,
    info: FeedInfo,
    *,
    examples: bool,
) -> bytes:
    """The ICS bytes for ``calendars`` over the years ``first_year..last_year`` (inclusive)."""
    return b"".join(ics_parts(calendars, first_year, last_year, info, examples=examples))


def occurrence_ics(
    notice_occurrence: Occurrence, events: tuple[Occurrence, ...], info: FeedInfo
) -> bytes:
    """One observance-year as an ICS attachment: its day, its moments and its planned events.

    The VEVENTs are the feed's own (same UIDs, stamps and text), so a client that imports the
    attachment and also subscribes to the feed sees each event once.  An attachment is not a
    subscription, so it has no refresh interval; ``info.refresh`` is not used.
    """
    calendar = notice_occurrence.calendar
    year = notice_occurrence.date.year
    writer = Writer(info.uid_domain, info.language, info.default)
    vevents = [writer.observance(notice_occurrence), *(writer.event(e) for e in events)]
    # The same VTIMEZONE range as a one-year export of that year.
    head = info.head_languages()
    return b"".join(
        [
            calendar_head(info.name, info.description, calendar.revised, None, head),
            *timezones(writer.tzids, year, year),
            "".join(vevents).encode(),
            END,
        ]
    )


def year_window(
    loaded: Loaded, today: date, first: int | None, last: int | None
) -> tuple[int, int]:
    feed = loaded.settings.feed
    first = today.year - feed.past_years if first is None else first
    last = today.year + feed.future_years if last is None else last
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}; expected --from <= --to")
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise UsageError(
            f"years {first}-{last} are out of range; expected years {FIRST_YEAR} to {LAST_YEAR}"
        )
    return first, last


def feed_of(
    loaded: Loaded, calendar_id: str | None, language: str = ""
) -> tuple[tuple[Calendar, ...], FeedInfo]:
    """What the feed of one calendar, or of all public calendars combined, carries and is
    called, in ``language`` ("": the organisation's default): its calendars (as
    ``translate.calendar_in`` puts them in that language) and its FeedInfo."""
    from .translate import calendar_in, config_text, text_language

    settings = loaded.settings
    # Until a language's program text is translated (words.OUTPUTS), its feed is all English.
    default = words.output_language(settings.organisation.language)
    wanted = words.output_language(language or default)
    if calendar_id is None:
        chosen = tuple(calendar_in(c, wanted) for c in loaded.calendars if c.public)
        # The config's texts: their translations ([feed.translations.ur]), else as written, in
        # the default language.
        name, name_language = config_text(settings.feed, "name", wanted, default)
        description, about_language = config_text(settings.feed, "description", wanted, default)
        languages = (name_language, about_language)
    else:
        match = [c for c in loaded.calendars if c.id == calendar_id]
        if not match:
            known = ", ".join(c.id for c in loaded.calendars)
            raise UsageError(
                f"--calendar {calendar_id!r}: no such calendar; expected one of: {known}"
            )
        shown = calendar_in(match[0], wanted)
        chosen = (shown,)
        name, description = shown.name, shown.description
        languages = (
            text_language(shown, shown, "name"),
            text_language(shown, shown, "description"),
        )
    domain = settings.organisation.uid_domain
    info = FeedInfo(
        name,
        description,
        domain,
        settings.feed.refresh_interval,
        wanted,
        default,
        *languages,
    )
    return chosen, info


def export_parts(
    loaded: Loaded,
    first: int,
    last: int,
    calendar_id: str | None,
    examples: bool | None,
    language: str = "",
) -> list[bytes | memoryview]:
    """The ICS of one calendar, or of all public calendars combined, in parts (ics_parts), in
    ``language`` ("": the organisation's default)."""
    chosen, info = feed_of(loaded, calendar_id, language)
    use_examples = loaded.settings.feed.include_examples if examples is None else examples
    return ics_parts(chosen, first, last, info, examples=use_examples)


def export_ics(
    loaded: Loaded,
    first: int,
    last: int,
    calendar_id: str | None,
    examples: bool | None,
    language: str = "",
) -> bytes:
    """The ICS bytes of one calendar, or of all public calendars combined, in ``language``
    ("": the organisation's default)."""
    return b"".join(export_parts(loaded, first, last, calendar_id, examples, language))
