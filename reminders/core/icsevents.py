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

Languages (docs/ics.md, "Languages"): a Writer writes its program text (the year's sentence,
"Example:", the headings) in its ``language`` and the calendar's texts as the calendar it is
given has them (``translate.calendar_in``). A text property gets ``LANGUAGE=`` with the
language it is written in where that is not the organisation's default language, and in a feed
of another language than the default on every text property, so that a text left in the
calendar's own language for want of a translation says so. A property made of several texts
(a description with its facts) takes the feed's language, and a text in it that is in another
language is marked in place, ``[en] ...``: nothing is silently mixed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from io import BytesIO
from string import Formatter
from typing import cast

from icalendar import Event as VEvent
from icalendar import vCategory, vDDDTypes
from icalendar.caselessdict import canonsort_keys
from icalendar.parser import Contentline, Parameters

from . import words
from .i18n import t
from .icsfold import Folder, escape, fold
from .model import Calendar, Moment, Observance, Occurrence, TimedMoment
from .occurrences import occurrences, title_for
from .translate import Item, mark, same_language, text_language

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ONE_DAY = timedelta(days=1)
TRANSPARENT = ("TRANSP", "TRANSPARENT", "")  # Folder.line's parts: the same in every event
TEXT_EXTRA = ("LOCATION",)  # the further properties whose text is in a language (the others:
# RELATED-TO and TRANSP, the same in every language)

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
# Writer.vevent writes the lines in this order: the text lines between the joined others.
assert ORDER[5:] == (
    "CATEGORIES", "DESCRIPTION", "LAST-MODIFIED", "LOCATION", "RELATED-TO", "TRANSP"
), ORDER  # fmt: skip


class Piece(NamedTuple):
    """Some calendar's VEVENTs as bytes, and the TZIDs they use (each needs a VTIMEZONE)."""

    data: bytes | memoryview
    tzids: frozenset[str]
    vevents: int


# A VEVENT's lines that no language changes, as they go between its text lines: DTSTART to
# UID (and CATEGORIES) after the SUMMARY, LAST-MODIFIED after the DESCRIPTION, RELATED-TO and
# TRANSP after the LOCATION (each line with the CRLF before it); and the TZIDs of its times.
Skeleton = tuple[str, str, str, tuple[str, ...]]


# A DTSTAMP, LAST-MODIFIED, DTSTART or CATEGORIES line is a function of its name and value
# alone: those made are kept for every build (every organisation of a deployment writes the shared
# calendars' stamps and dates), up to this many; then they are made again.
LINES_KEPT = 50_000
_value_lines: dict[tuple[str, object], str] = {}
_time_lines: dict[tuple[str, datetime, str], str] = {}


class Lines:
    """Content lines that do not depend on the language, kept for every writer of one build,
    and each calendar's occurrences (:func:`expanded`)."""

    def __init__(self) -> None:
        for kept in (_value_lines, _time_lines):
            if len(kept) > LINES_KEPT:
                kept.clear()
        self.values: dict[tuple[str, object], str] = _value_lines
        self.times: dict[tuple[str, datetime, str], str] = _time_lines
        self.skeletons: dict[str, Skeleton] = {}  # Writer._skeleton's, by UID
        self.occurrences: dict[tuple[str, date, date, bool], Expanded] = {}


# A calendar and its occurrences in a window, as ``occurrences()`` gave them.
Expanded = tuple[Calendar, tuple[Occurrence, ...]]


def expanded(
    calendar: Calendar,
    start: date,
    end: date,
    examples: bool,
    kept: dict[tuple[str, date, date, bool], Expanded],
) -> tuple[Occurrence, ...]:
    """``occurrences((calendar,), start, end)``, made once per build for all the languages of
    a calendar: the occurrences of the calendar in another language (``translate.calendar_in``
    keeps its items, their order and their dates) are those of the first one asked for, with
    its items, titles and moments in this language. The same tuple, by construction, as
    ``occurrences()`` gives (tests/test_feed_languages.py compares the two)."""
    key = (calendar.id, start, end, examples)
    found = kept.get(key)
    if found is None:
        items = occurrences((calendar,), start, end, examples=examples)
        kept[key] = (calendar, items)
        return items
    first, items = found
    if first is calendar:
        return items
    observances = {id(a): b for a, b in zip(first.observances, calendar.observances, strict=True)}
    events = {id(a): b for a, b in zip(first.events, calendar.events, strict=True)}
    out = []
    new = tuple.__new__
    # What every year of an observance shares in this language: its title's language (which
    # writes the {ordinal}) and its moments by id.
    shared: dict[int, tuple[str, dict[str, Moment]]] = {}
    for item in items:
        observance = observances[id(item.observance)] if item.observance is not None else None
        if item.event is not None:
            event = events[id(item.event)]
            fields = (calendar, item.date, event.title, item.number, observance, event, ())
            out.append(new(Occurrence, fields))
            continue
        assert observance is not None
        known = shared.get(id(observance))
        if known is None:
            language = text_language(calendar, observance, "title")
            by_id = {moment.id: moment for moment in observance.moments}
            known = shared[id(observance)] = (language, by_id)
        title = observance.title
        if "{" in title:
            title = title_for(observance, item.date.year, calendar, known[0])
        moments = item.moments
        if moments:
            by_id = known[1]
            moments = tuple(
                TimedMoment(by_id[placed.moment.id], placed.start, placed.end) for placed in moments
            )
        out.append(
            new(Occurrence, (calendar, item.date, title, item.number, observance, None, moments))
        )
    return tuple(out)


class Writer:
    """The VEVENTs of observance-years and planned events, as text (see the module docstring)."""

    def __init__(
        self, domain: str, language: str, default: str = "", lines: Lines | None = None
    ) -> None:
        self.domain = domain
        self.language = language
        self.voice = Voice(language, default)
        self.tzids: set[str] = set()
        self.text = Folder()
        # The lines that are the same in every language (times, stamps, categories, UIDs):
        # shared by the writers of one build's languages (``lines``), else this writer's own.
        shared = lines or Lines()
        self._values, self._times, self._skeletons = shared.values, shared.times, shared.skeletons
        self._suffixes: dict[str, str] = {}
        self._said: dict[int, Said] = {}  # observance_text's memo
        self._spoken: dict[int, Spoken] = {}  # _languages' memo
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
        self.tzids.add(zone)  # the line may come from another language's writer
        return line

    def vevent(
        self,
        uid: str,
        start: date | datetime,
        end: date | datetime,
        summary: tuple[str, str, str, str],
        description: tuple[str, str, str, str],
        tags: tuple[str, ...],
        stamp: datetime,
        extra: Sequence[tuple[str, str, str]] = (),
    ) -> str:
        """One VEVENT; ``summary`` and ``description`` in parts (Folder.line) and the language
        they are written in, ``extra`` further TEXT properties (LOCATION, RELATED-TO, TRANSP),
        their name with its parameters."""
        skeleton = self._skeletons.get(uid)
        if skeleton is None:
            skeleton = self._skeleton(uid, start, end, tags, stamp, extra)
        before, after, related, zones = skeleton
        if zones:
            self.tzids.update(zones)  # the lines may come from another language's writer
        out = [
            "BEGIN:VEVENT\r\n",
            self.text.line("SUMMARY" + self.voice.param(summary[3]), *summary[:3]),
            before,
        ]
        if any(description[:3]):
            name = "DESCRIPTION" + self.voice.param(description[3])
            out += ("\r\n", self.text.line(name, *description[:3]))
        out.append(after)
        for name, head, middle in extra:
            if name.startswith(TEXT_EXTRA):
                out += ("\r\n", self.text.line(name, head, middle))
        out += (related, "\r\nEND:VEVENT\r\n")
        return "".join(out)

    def _skeleton(
        self,
        uid: str,
        start: date | datetime,
        end: date | datetime,
        tags: tuple[str, ...],
        stamp: datetime,
        extra: Sequence[tuple[str, str, str]],
    ) -> Skeleton:
        """The lines of a VEVENT that no language changes, joined as they go between its text
        lines (see :data:`ORDER`): made by the first language's writer of a build, kept for
        the others (``Lines.skeletons``, by UID: a UID is one event with one time, stamp and
        tags in every language)."""
        if stamp is not self._stamp:  # one calendar's events all carry the same object
            dtstamp = self.value_line("DTSTAMP", stamp)
            self._stamp, self._stamps = stamp, (dtstamp, self.value_line("LAST-MODIFIED", stamp))
        zones: tuple[str, ...] = ()
        if isinstance(start, datetime):
            assert isinstance(end, datetime)
            lines = [self.time_line("DTSTART", start), self.time_line("DTEND", end)]
            zones = tuple({str(start.tzinfo), str(end.tzinfo)})
        else:
            lines = [self.value_line("DTSTART", start), self.value_line("DTEND", end)]
        lines += (self._stamps[0], fold(f"UID:{escape(uid)}"))
        if tags:
            lines.append(self.value_line("CATEGORIES", tags))
        related = [
            self.text.line(name, head, middle)
            for name, head, middle in sorted(extra)
            if not name.startswith(TEXT_EXTRA)
        ]
        found = self._skeletons[uid] = (
            "".join("\r\n" + line for line in lines),
            "\r\n" + self._stamps[1],
            "".join("\r\n" + line for line in related),
            zones,
        )
        return found

    def _languages(self, item: Occurrence, observance: Observance) -> Spoken:
        """What every year of ``observance`` shares in this writer's voice: its title's
        language, and per timed moment its name as marked and the language of its SUMMARY."""
        found = self._spoken.get(id(observance))
        if found is not None and found[0] is observance:
            return found
        title_language = text_language(item.calendar, observance, "title")
        moments = {}
        for moment in observance.moments:
            name_language = text_language(item.calendar, moment, "name")
            spoken = self.voice.speaks(name_language, title_language)
            moments[moment.id] = (self.voice.mark(moment.name, name_language, spoken), spoken)
        found = self._spoken[id(observance)] = (observance, title_language, moments)
        return found

    def observance(self, item: Occurrence) -> str:
        """The all-day VEVENT of one observance-year, then one zoned VEVENT per timed moment."""
        observance = item.observance
        assert observance is not None
        uid = observance_uid(item, self.domain)
        stamp = item.calendar.revised
        title = self.title(item)
        _, title_language, moment_names = self._languages(item, observance)
        out = [
            self.vevent(
                uid,
                item.date,
                item.date + ONE_DAY,
                (*title, title_language),
                observance_text(item, self.language, self.voice, self._said),
                observance.tags,
                stamp,
                (TRANSPARENT,),  # remembrance days make no one busy
            )
        ]
        for placed in item.moments:
            moment = placed.moment
            head, spoken = moment_names[moment.id]
            middle = self.voice.mark(title[1], title_language, spoken)
            out.append(
                self.vevent(
                    uid.replace("@", f"-{moment.id}@", 1),
                    placed.start,
                    placed.end,
                    (f"{head}: ", middle, title[2], spoken),
                    moment_text(item, placed, self.language, self.voice),
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
        summary, description, start, end, languages = event_parts(item, self.language, self.voice)
        extra = []
        if event.venue:
            where = text_language(item.calendar, event, "venue")
            extra.append(("LOCATION" + self.voice.param(where), "", event.venue))
        if item.observance is not None:
            extra.append(("RELATED-TO", "", observance_uid(item, self.domain)))
        return self.vevent(
            event_uid(item, self.domain),
            start,
            end,
            ("", summary, "", languages[0]),
            ("", description, "", languages[1]),
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


class Voice:
    """Which language a feed's text properties say they are in (see the module's docstring).

    ``language``: the feed's program text; ``default``: the organisation's default language
    ("": the feed's own). The default language's feed marks only a text in another language;
    any other feed marks every text property."""

    def __init__(self, language: str, default: str = "") -> None:
        self.language = language
        self.default = default or language
        self.every = not same_language(language, self.default)
        self._params: dict[str, str] = {}

    def param(self, language: str) -> str:
        """``;LANGUAGE=xx`` for a property written in ``language``, or ""."""
        found = self._params.get(language)
        if found is None:
            marked = self.every or not same_language(language, self.default)
            found = self._params[language] = f";LANGUAGE={language}" if marked else ""
        return found

    def speaks(self, *languages: str) -> str:
        """The language of a property made of texts in ``languages`` (none for program
        text): the feed's, unless every text in it is in one other language."""
        if not languages or any(same_language(x, self.language) for x in languages):
            return self.language
        first = languages[0]
        return first if all(same_language(x, first) for x in languages) else self.language

    mark = staticmethod(mark)  # ``text`` in a property in ``spoken`` (translate.mark)


ENGLISH_VOICE = Voice(words.ENGLISH)


def _language(item: Occurrence, of: Item, key: str) -> str:
    return text_language(item.calendar, of, key)


def event_text(
    item: Occurrence, language: str = words.ENGLISH, voice: Voice = ENGLISH_VOICE
) -> tuple[str, str, date | datetime, date | datetime]:
    """A planned event's SUMMARY, DESCRIPTION, start and end (an all-day event ends the next
    day); the bundled sample says it is one."""
    return event_parts(item, language, voice)[:4]


def event_parts(
    item: Occurrence, language: str, voice: Voice
) -> tuple[str, str, date | datetime, date | datetime, tuple[str, str]]:
    """``event_text`` and the languages of the SUMMARY and the DESCRIPTION."""
    event = item.event
    assert event is not None
    title_language = _language(item, event, "title")
    text_lang = _language(item, event, "description")
    if event.example:
        summary_lang = language
        title = voice.mark(event.title, title_language, language)
        summary = t(language, "Example: %(title)s") % {"title": title}
        sample = t(
            language,
            "This is a sample event shipped with the calendar, to show how a planned event looks.",
        )
        description_lang = language
        own = voice.mark(event.description, text_lang, language) if event.description else ""
        description = f"{own}\n\n{sample}".strip()
    else:
        summary, summary_lang = event.title, title_language
        description, description_lang = event.description, text_lang
    if event.start is not None and event.end is not None:
        start: date | datetime = event.start
        end: date | datetime = event.end
    else:
        assert event.day is not None
        start, end = event.day, event.day + ONE_DAY
    return summary, description, start, end, (summary_lang, description_lang)


@lru_cache(maxsize=1024)
def _year_split(language: str, since: int) -> tuple[str, str, str]:
    """The year's sentence of an observance in ``language`` with its ``since`` filled in, in
    three parts: the text before the year and the ordinal (whichever comes first), those and
    what lies between them (a pattern), and the text after them (which every year shares)."""
    sentence = t(
        language, "%(year)s marks the %(ordinal)s anniversary (the events took place in %(since)s)."
    )
    pattern = sentence.replace("%(since)s", str(since))
    marks = [(pattern.index(m), m) for m in ("%(year)s", "%(ordinal)s") if m in pattern]
    first = min(marks)[0] if marks else len(pattern)
    last = max(at + len(m) for at, m in marks) if marks else len(pattern)
    return (
        pattern[:first].replace("%%", "%"),
        pattern[first:last],
        pattern[last:].replace("%%", "%"),
    )


def _year_parts(language: str, year: int, ordinal: str, since: int) -> tuple[str, str, str]:
    """The year's sentence of an observance-year in three parts (:func:`_year_split`)."""
    before, middle, after = _year_split(language, since)
    return before, middle % {"year": year, "ordinal": ordinal}, after


# What every year of an observance shares in a writer's voice (Writer._languages): the
# observance (kept, so that its id stays its own), its title's language, and per moment id its
# name as marked and the language of its SUMMARY.
Spoken = tuple[Observance, str, dict[str, tuple[str, str]]]


# What an observance's description says that every year shares: the observance (kept, so that
# its id stays its own), the description as marked, and the facts with their sources.
Said = tuple[Observance, str, str]


def observance_text(
    item: Occurrence,
    language: str,
    voice: Voice = ENGLISH_VOICE,
    memo: dict[int, Said] | None = None,
) -> tuple[str, str, str, str]:
    """The DESCRIPTION of an observance's all-day VEVENT (what, facts with sources, moments) in
    three parts: the text before the year and the ordinal, those, and the text after them; and
    the language it is written in (the feed's: its sentences are). ``memo`` keeps what every
    year of an observance shares, for a writer that writes many years."""
    observance = item.observance
    assert observance is not None
    said = memo.get(id(observance)) if memo is not None else None
    if said is None or said[0] is not observance:
        described = voice.mark(
            observance.description, _language(item, observance, "description"), language
        )
        facts = ""
        if observance.facts:
            lines = [t(language, "Facts and their sources:")]
            for fact in observance.facts:
                text = voice.mark(fact.text, _language(item, fact, "text"), language)
                source = t(language, "(Source: %(source)s.)") % {"source": fact.source}
                lines.append(f"- {text} {source}")
            facts = "\n".join(lines)
        said = (observance, described, facts)
        if memo is not None:
            memo[id(observance)] = said
    _, described, facts = said
    before, year, after_year = _year_parts(
        language, item.date.year, words.ordinal(item.number, language), observance.since
    )
    after = [after_year, facts] if facts else [after_year]
    if item.moments:
        lines = [t(language, "Timed moments:")]
        for placed in item.moments:
            name = voice.mark(placed.moment.name, _language(item, placed.moment, "name"), language)
            lines.append(
                f"- {words.clock(placed.start, language)} {placed.moment.timezone}: {name}"
            )
        after.append("\n".join(lines))
    return described + "\n\n" + before, year, "\n\n".join(after), language


def moment_text(
    item: Occurrence, placed: TimedMoment, language: str, voice: Voice = ENGLISH_VOICE
) -> tuple[str, str, str, str]:
    """The DESCRIPTION of a timed moment's VEVENT: its own text, then the year's line; and the
    language it is written in (the feed's)."""
    moment = placed.moment
    assert item.observance is not None
    title = voice.mark(item.title, _language(item, item.observance, "title"), language)
    line = t(language, "%(time)s %(zone)s time, %(title)s.") % {
        "time": words.clock(placed.start, language),
        "zone": moment.timezone,
        "title": title,
    }
    own = ""
    if moment.description:
        own = voice.mark(moment.description, _language(item, moment, "description"), language)
        own += "\n\n"
    return (own, line, "", language)


def calendar_events(
    calendar: Calendar,
    first_year: int,
    last_year: int,
    domain: str,
    language: str,
    examples: bool,
    default: str = "",
    lines: Lines | None = None,
) -> Piece:
    """The VEVENTs of ``calendar`` over ``first_year..last_year`` (inclusive), in date order;
    ``calendar`` as ``translate.calendar_in`` gave it in ``language``, ``default`` the
    organisation's default language ("": ``language``); ``lines``: those shared with the
    other languages' writers of the same build."""
    writer = Writer(domain, language, default, lines)
    out = BytesIO()  # grows in place; getvalue() hands over its buffer without a copy
    count = 0
    start, end = date(first_year, 1, 1), date(last_year + 1, 1, 1)
    if lines is None:
        items = occurrences((calendar,), start, end, examples=examples)
    else:
        items = expanded(calendar, start, end, examples, lines.occurrences)
    for item in items:
        text = writer.item(item)
        out.write(text.encode())
        count += 1 + len(item.moments)
    return Piece(out.getvalue(), frozenset(writer.tzids), count)
