"""The yearly event plan: every observance and planned event of a year, what clashes, when to hold
the event and what to do by which day.

``build_plan`` is pure: it takes the loaded data, the year and a :class:`~reminders.plan.hostcal.
HostCalendar` (weekends, public holidays, Ramadan, the Eids) and returns a :class:`Plan`; the
formats (text.py, json.py, html.py, ics.py) only present it.

The rules (docs/plan.md):

* the remembrance day itself never moves; the organisation's event (a seminar, a roundtable) is
  held on the day when it is a working day, else it moves by ``[plan] move`` to the nearest working
  day before or after; an event already planned for that observance and year is the event date;
* conflicts name their reason: a weekend day, a public holiday, a closure of the organisation's
  own (``[[holiday]]``), Ramadan, an Eid (one date each, estimates marked), another observance of
  the same calendar within ``[plan] conflict_days`` days;
* milestones are counted in working days of the host country (without the organisation's own
  closures) from the event date.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta

from ..core import translate, words
from ..core.dates import is_jubilee, next_jubilee, zone
from ..core.i18n import nt, t
from ..core.model import Occurrence
from ..core.notices import applies
from ..core.occurrences import occurrences
from ..core.settings import Loaded, MilestoneRule
from .hostcal import HostCalendar, Period, holiday_names, with_closures

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

_new = tuple.__new__  # a record from a tuple of its fields, without its __new__'s keywords
JUBILEE_AHEAD = 5  # years: a jubilee this close is named, so budgets can be planned early


class Conflict(NamedTuple):
    kind: str  # "weekend", "holiday", "closure", "ramadan", "eid" or "observance"
    reason: str
    estimate: bool = False


class Milestone(NamedTuple):
    id: str
    name: str
    date: date
    working_days: int
    when: str  # "before" or "after" the event date


class PlacedMoment(NamedTuple):
    """A timed moment of the day, in the origin's time zone and in the organisation's."""

    name: str
    origin: datetime  # aware, in the moment's own zone
    local: datetime  # the same instant in the organisation's zone
    minutes: int


class Entry(NamedTuple):
    occurrence: Occurrence
    conflicts: tuple[Conflict, ...]
    event_date: date  # when the organisation's event is (or is suggested to be) held
    suggestion: str  # why that date
    moments: tuple[PlacedMoment, ...] = ()
    milestones: tuple[Milestone, ...] = ()
    next_jubilee: tuple[int, int] | None = None  # (number, year), at most five years away

    @property
    def kind(self) -> str:
        return self.occurrence.kind

    @property
    def date(self) -> date:
        return self.occurrence.date

    @property
    def jubilee(self) -> bool:
        return self.occurrence.event is None and is_jubilee(self.occurrence.number)

    @property
    def moved(self) -> bool:
        return self.event_date != self.occurrence.date


class Plan(NamedTuple):
    year: int
    organisation: str
    timezone: str
    country: str
    weekend: tuple[str, ...]
    entries: tuple[Entry, ...]  # in date order
    holidays: tuple[tuple[date, str], ...]  # the year's public holidays
    ramadan: tuple[Period, ...]  # Ramadan periods that touch the year
    eids: tuple[Period, ...]  # the Eids in the year, one date each (hostcal.host_eids)
    host: HostCalendar  # with the organisation's own closures
    closures: tuple[tuple[date, str], ...] = ()  # the year's closed days of the organisation's own
    language: str = words.ENGLISH  # the organisation's: what every format writes its words in

    @property
    def milestones(self) -> list[tuple[Milestone, Entry]]:
        """Every milestone with its entry, by date (some fall in the year before or after)."""
        entries = self.entries
        return [
            (m, entries[index])
            for m, first, count in self.milestone_runs()
            for index in range(first, first + count)
        ]

    def milestone_runs(self) -> list[tuple[Milestone, int, int]]:
        """:attr:`milestones` as runs: (milestone, index of the first entry, number of entries);
        the entries of a run are next to each other and share the milestone and the event date.

        Sorted by (milestone date, entry date, milestone id), ties in entry order.  The entries
        of a day that share an event date share its milestones (one tuple, from build_plan), so a
        plan of 10,000 observances and 50,000 milestones has about 1,800 runs to sort and write.
        """
        entries = self.entries
        groups: dict[tuple[date, date, str], list[tuple[Milestone, int, int]]] = {}
        first, count = 0, len(entries)
        while first < count:
            entry = entries[first]
            found, after = entry.milestones, first + 1
            if found:
                day, event_date = entry.occurrence.date, entry.event_date
                while (
                    after < count
                    and entries[after].milestones is found
                    and entries[after].event_date == event_date
                    and entries[after].occurrence.date == day
                ):
                    after += 1
                for m in found:
                    run = (m, first, after - first)
                    group = groups.get((m.date, day, m.id))
                    if group is None:
                        groups[(m.date, day, m.id)] = [run]
                    else:
                        group.append(run)
            first = after
        return [run for key in sorted(groups) for run in groups[key]]


def build_plan(loaded: Loaded, year: int, host: HostCalendar, language: str | None = None) -> Plan:
    """The plan of ``year`` for the loaded calendars (examples as the feed settings say), its
    sentences in ``language`` (one of the organisation's languages; None: its default) as
    :func:`~reminders.core.words.output_language` has it."""
    settings = loaded.settings
    org = settings.organisation
    language = words.output_language(org.language if language is None else language)
    host = with_closures(host, settings.closures, year)
    within, policy = settings.plan.conflict_days, settings.plan.move
    examples = settings.feed.include_examples
    # Neighbours for the "another observance within N days" rule reach across the year's ends;
    # the year's own items are those of the wider window that fall in it (the order stays).
    first, end = date(year, 1, 1), date(year + 1, 1, 1)
    margin = timedelta(days=within)
    # The calendars' own texts (titles, moments, venues) in the plan's language where they are
    # translated (core/translate.py), else as their files write them.
    calendars = [translate.calendar_in(calendar, language) for calendar in loaded.calendars]
    around = occurrences(calendars, first - margin, end + margin, examples=examples)
    items = [o for o in around if first <= o.date < end]
    neighbours = Neighbours((o for o in around if o.event is None), within, language)
    # A real planned event fixes the event date; a sample one (example = true) does not.
    planned = {
        (o.calendar.id, o.observance.id): o
        for o in items
        if o.event is not None and o.observance is not None and not o.event.example
    }
    # A day's conflicts, the event date it suggests and an event date's milestones depend on the
    # date alone: a calendar of thousands of observances has them for at most 366 days.  The
    # items come in date order, so a day's are worked out at its first item.
    rules = tuple(settings.milestones)
    # Rules for chosen observances or tags are matched per observance; the others apply to all.
    filtered = any(rule.observances or rule.tags for rule in rules)
    planned_milestones: dict[object, tuple[Milestone, ...]] = {}  # by event date (and rules)
    names = milestone_names(settings.milestones, language, org.language)
    aheads: dict[int, tuple[int, int] | None] = {}
    joined: dict[tuple[int, int], tuple[tuple[Conflict, ...], ...]] = {}  # (both, day's, near)
    working = WorkingDays(host, date(year - 1, 1, 1), date(year + 1, 12, 31))
    entries = []
    ramadan, zone_name = settings.plan.ramadan, org.timezone
    day: date | None = None
    on_day: tuple[Conflict, ...] = ()
    suggested: tuple[date, str] | None = None
    for item in items:
        if item.date != day:
            day = item.date
            on_day = tuple(day_conflicts(item, host, ramadan, host.country, language))
            suggested = None
        conflicts = on_day
        near = neighbours.conflicts(item)
        if near:
            # One tuple for each pair: the formats word a tuple of conflicts once.
            pair = joined.get((id(on_day), id(near)))
            if pair is None:
                pair = joined[(id(on_day), id(near))] = (on_day + near, on_day, near)
            conflicts = pair[0]
        if item.event is not None:
            event_date, why = item.date, t(language, "a planned event: its date is fixed")
            milestones: tuple[Milestone, ...] = ()
            ahead = None
        else:
            assert item.observance is not None
            linked = planned.get((item.calendar.id, item.observance.id)) if planned else None
            if linked is not None:
                event_date, why = suggest(item, linked, host, policy, language)
            else:
                if suggested is None:
                    suggested = suggest(item, None, host, policy, language)
                event_date, why = suggested
            if filtered:
                rules = tuple(r for r in settings.milestones if applies(r, item.observance))
                key: object = (rules, event_date)
            else:
                key = event_date  # the same rules for all: no tuple of rules to hash each time
            found = planned_milestones.get(key)
            if found is None:
                found = planned_milestones[key] = milestone_dates(
                    rules, event_date, host, working, names
                )
            milestones = found
            if item.number in aheads:
                ahead = aheads[item.number]
            else:
                ahead = aheads[item.number] = jubilee_ahead(item)
        entries.append(
            _new(
                Entry,
                (
                    item,
                    conflicts,
                    event_date,
                    why,
                    placed_moments(item, zone_name) if item.moments else (),
                    milestones,
                    ahead,
                ),
            )
        )
    last = date(year, 12, 31)
    # The organisation's name as the configuration gives it in this language, else as written
    # (a name, not a sentence: not marked, as the page's <bdi lang> is not seen either).
    name, _ = translate.config_text(org, "name", language, org.language)
    return Plan(
        year,
        name,
        org.timezone,
        org.country,
        org.weekend,
        tuple(entries),
        tuple(
            (d, host.names.get(d, n))
            for d, n in sorted(host.holidays.items())
            if first <= d <= last
        ),
        tuple(p for p in host.ramadan if p.last >= first and p.first <= last),
        tuple(p for p in host.eids if first <= p.first <= last),
        host,
        tuple((d, n) for d, n in host.closures.items() if first <= d <= last),
        language,
    )


def day_conflicts(
    item: Occurrence, host: HostCalendar, ramadan: bool, country: str, language: str
) -> list[Conflict]:
    """What the host country's calendar says about the occurrence's day."""
    day = item.date
    found = []
    if host.is_weekend(day):
        found.append(
            Conflict(
                "weekend",
                t(language, "%(weekday)s is a weekend day in %(country)s")
                % {"weekday": words.weekday(day, language), "country": country},
            )
        )
    holiday = host.holiday_name(day)
    if holiday is not None:
        parts = holiday_names(holiday)
        # A day that is also a holiday of fixed date is a holiday for certain.
        estimate = all(guessed for _, guessed in parts)
        moon = t(language, "%(name)s (an estimate: the date depends on the sighting of the moon)")
        name = joined(
            [moon % {"name": part} if guessed else part for part, guessed in parts], language
        )
        found.append(
            Conflict(
                "holiday",
                t(language, "public holiday in %(country)s: %(name)s")
                % {"country": country, "name": name},
                estimate,
            )
        )
    closure = host.closure(day)
    if closure is not None:
        found.append(
            Conflict(
                "closure",
                t(language, "closed: %(name)s (the organisation's own closure)")
                % {"name": closure},
            )
        )
    if ramadan:
        period = host.ramadan_on(day)
        if period is not None:
            found.append(
                Conflict(
                    "ramadan",
                    t(
                        language,
                        "in %(period)s (by the Umm al-Qura tables: %(first)s to %(last)s; an "
                        "estimate, the start depends on the moon)",
                    )
                    % {
                        "period": period_name(period.name, language),
                        "first": words.medium_date(period.first, language),
                        "last": words.medium_date(period.last, language),
                    },
                    True,
                )
            )
        eid = host.eid_on(day)
        # An Eid that is a public holiday is the holiday conflict above, on the host's date.
        if eid is not None and not eid.public_holiday:
            found.append(
                Conflict(
                    "eid",
                    t(language, "%(eid)s by the Umm al-Qura tables (an estimate)")
                    % {"eid": period_name(eid.name, language)},
                    True,
                )
            )
    return found


def joined(parts: Sequence[str], language: str) -> str:
    """'A', 'A and B', 'A and B and C': names of one day, as the plan joins them."""
    if not parts:
        return ""
    out = parts[0]
    for part in parts[1:]:
        out = t(language, "%(first)s and %(second)s") % {"first": out, "second": part}
    return out


def period_name(name: str, language: str) -> str:
    """A Period's name ("Ramadan 1448", "Eid al-Fitr 1448", made by hostcal.hijri_periods) in
    ``language``: the program's words for Ramadan and the Eids, the Hijri year in its digits."""
    kind, _, year = name.rpartition(" ")
    if not year.isdigit():
        return name
    text = {
        "Ramadan": t(language, "Ramadan %(year)s"),
        "Eid al-Fitr": t(language, "Eid al-Fitr %(year)s"),
        "Eid al-Adha": t(language, "Eid al-Adha %(year)s"),
    }.get(kind)
    return name if text is None else text % {"year": words.number(int(year), language)}


NEIGHBOURS_SHOWN = 5  # nearest other observances named per entry; the rest are counted


class Neighbours:
    """The "another observance within N days" conflicts of a plan's entries.

    The observances of the plan's window are indexed by (calendar id, date), so the ones near a
    day are found by looking days up outwards from it, not by comparing every pair; and what is
    near a day is found once per calendar and day, and its conflicts worded once: a calendar of
    thousands of observances has dozens on a day, and every entry of that day shares them.
    """

    def __init__(self, observed: Iterable[Occurrence], within: int, language: str) -> None:
        self.within = within
        self.language = language
        self.on: dict[tuple[str, date], list[Occurrence]] = {}
        self.dates: dict[tuple[str, str], list[date]] = {}  # of each observance, in the window
        # Whether an observance is in the window more than once within ``within`` days (which
        # no yearly date is, unless ``within`` is half a year): if not, an observance's own
        # occurrence is in its window once, as itself.
        self.crowded = False
        for other in observed:
            if other.observance is not None:
                day = other.date
                key = (other.calendar.id, day)
                found = self.on.get(key)
                if found is None:
                    self.on[key] = [other]
                else:
                    found.append(other)
                which = (other.calendar.id, other.observance.id)
                days = self.dates.get(which)
                if days is None:
                    self.dates[which] = [day]
                else:  # the window's items come in date order
                    self.crowded = self.crowded or (day - days[-1]).days <= within
                    days.append(day)
        # Nearest first, the day before ahead of the day after.
        gaps = sorted(range(-within, within + 1), key=lambda gap: (abs(gap), gap))
        self.steps = [(gap, timedelta(days=gap)) for gap in gaps]
        self.windows: dict[tuple[str, date], _Window] = {}
        self.counted: dict[int, Conflict] = {}

    def conflicts(self, item: Occurrence) -> tuple[Conflict, ...]:
        """The other observances of the item's calendar within ``within`` days of it: the
        nearest five named, in date order (the earlier first when two are as near), and any
        others counted in one more conflict."""
        key = (item.calendar.id, item.date)
        window = self.windows.get(key)
        if window is None:
            window = self.windows[key] = _Window(self._near(*key), self.language)
        observance = item.observance
        if item.event is None and observance is not None and not self.crowded:
            # The common case: the item is its observance's one occurrence in the window, so
            # the result depends only on where the observance is among the first six.
            place = window.first.get(observance.id, NEIGHBOURS_SHOWN + 1)
            found = window.alone[place]
            if found is None:
                alone = (place,) if place <= NEIGHBOURS_SHOWN else ()
                found = window.alone[place] = self._result(window, alone, 1)
            return found
        own = observance.id if observance is not None else None
        # The item's own observance is no neighbour of it: how often is it in the window?
        mine = 0
        if own is not None:
            for day in self.dates.get((item.calendar.id, own), ()):
                mine += abs((day - item.date).days) <= self.within
        # The five named are the first five of the others, so they depend only on where the
        # item's own observance is among the first five plus the times it is in the window.
        if mine == 1 and own is not None:
            index = window.first.get(own)
            skipped: tuple[int, ...] = () if index is None else (index,)
        else:  # not in the window, or (which no yearly date does) more than once
            skipped = tuple(
                index
                for index, (_, other) in enumerate(window.near[: NEIGHBOURS_SHOWN + mine])
                if other.observance is not None and other.observance.id == own
            )
        return self._result(window, skipped, mine)

    def _result(self, window: _Window, skipped: tuple[int, ...], mine: int) -> tuple[Conflict, ...]:
        found = window.results.get((skipped, mine))
        if found is None:
            found = window.results[(skipped, mine)] = self._conflicts(window, skipped, mine)
        return found

    def _conflicts(
        self, window: _Window, skipped: tuple[int, ...], mine: int
    ) -> tuple[Conflict, ...]:
        shown = [
            index
            for index in range(min(len(window.near), NEIGHBOURS_SHOWN + mine))
            if index not in skipped
        ][:NEIGHBOURS_SHOWN]
        shown.sort(key=lambda index: window.near[index][0])
        found = tuple(window.conflict(index) for index in shown)
        more = len(window.near) - mine - NEIGHBOURS_SHOWN
        if more > 0:
            counted = self.counted.get(more)
            if counted is None:
                within, language = self.within, self.language
                counted = self.counted[more] = Conflict(
                    "observance",
                    nt(
                        language,
                        "and %(n)s more observance of this calendar within %(days)s",
                        "and %(n)s more observances of this calendar within %(days)s",
                        more,
                    )
                    % {
                        "n": words.number(more, language),
                        "days": words.plural(within, "day", language),
                    },
                )
            found += (counted,)
        return found

    def _near(self, calendar: str, day: date) -> list[tuple[int, Occurrence]]:
        near: list[tuple[int, Occurrence]] = []
        for gap, step in self.steps:
            others = self.on.get((calendar, day + step))
            if others is not None:
                near += [(gap, other) for other in others]
        return near


class _Window:
    """The observances of one calendar near one day (with their distance in days), nearest
    first, and their conflicts, worded once."""

    def __init__(self, near: list[tuple[int, Occurrence]], language: str) -> None:
        self.near = near
        self.language = language
        # Where the observances among the first NEIGHBOURS_SHOWN + 1 are.
        self.first = {
            other.observance.id: index
            for index, (_, other) in enumerate(near[: NEIGHBOURS_SHOWN + 1])
            if other.observance is not None
        }
        self.worded: dict[int, Conflict] = {}
        self.results: dict[tuple[tuple[int, ...], int], tuple[Conflict, ...]] = {}
        # The results for an observance alone in the window, by its place among the first
        # NEIGHBOURS_SHOWN + 1 (the last slot: not among them).
        self.alone: list[tuple[Conflict, ...] | None] = [None] * (NEIGHBOURS_SHOWN + 2)

    def conflict(self, index: int) -> Conflict:
        found = self.worded.get(index)
        if found is None:
            gap, other = self.near[index]
            language = self.language
            values = {
                "title": other.title,
                "date": words.medium_date(other.date, language),
                "apart": words.days_apart(gap, language) if gap else "",
            }
            if gap == 0:
                text = t(language, "on the same day as %(title)s (%(date)s)") % values
            else:
                text = t(language, "%(apart)s %(title)s (%(date)s)") % values
            found = Conflict("observance", text)
            self.worded[index] = found
        return found


def suggest(
    item: Occurrence, linked: Occurrence | None, host: HostCalendar, policy: str, language: str
) -> tuple[date, str]:
    """The event date for an observance and the reason, by the ``[plan] move`` policy."""
    day = item.date
    if linked is not None and linked.event is not None:
        return (
            linked.date,
            t(language, "planned: %(title)s on %(date)s")
            % {"title": linked.event.title, "date": words.medium_date(linked.date, language)},
        )
    if host.is_working_day(day):
        return day, t(language, "the day itself, a working day")
    if host.is_weekend(day):
        what = t(language, "a weekend day")
    elif host.holiday(day) is not None:
        what = t(language, "a public holiday")
    else:
        what = t(language, "a day the organisation is closed (%(name)s)") % {
            "name": host.closure(day)
        }
    if policy == "never":
        return day, t(language, 'the day itself, though %(what)s ([plan] move = "never")') % {
            "what": what
        }
    moved = host.nearest_working_day(day, policy)
    if policy == "before":
        text = t(
            language,
            "%(weekday)s is %(what)s: a seminar or roundtable can move to the previous working "
            "day, %(moved)s (%(apart)s); the remembrance itself stays on %(day)s",
        )
    elif policy == "after":
        text = t(
            language,
            "%(weekday)s is %(what)s: a seminar or roundtable can move to the next working "
            "day, %(moved)s (%(apart)s); the remembrance itself stays on %(day)s",
        )
    else:
        text = t(
            language,
            "%(weekday)s is %(what)s: a seminar or roundtable can move to the nearest working "
            "day, %(moved)s (%(apart)s); the remembrance itself stays on %(day)s",
        )
    return moved, text % {
        "weekday": words.weekday(day, language),
        "what": what,
        "moved": words.medium_date(moved, language),
        "apart": words.days_apart((day - moved).days, language),
        "day": words.medium_date(day, language),
    }


def milestone_names(rules: Sequence[MilestoneRule], language: str, default: str) -> dict[str, str]:
    """Each milestone's name as a plan in ``language`` shows it: its translation, else its own
    name marked with the language it is written in (``[en] Book the venue``), never passed off
    as ``language`` (``default``: the organisation's language, that of an untranslated name)."""
    out = {}
    for rule in rules:
        name, written = translate.config_text(rule, "name", language, default)
        out[rule.id] = translate.mark(name, written, language)
    return out


def milestone_dates(
    rules: Sequence[MilestoneRule],
    event_date: date,
    host: HostCalendar,
    working: WorkingDays | None = None,
    names: Mapping[str, str] | None = None,
) -> tuple[Milestone, ...]:
    """The milestones of an event on ``event_date``, named as ``names`` says (its id: by
    :func:`milestone_names`), else by their own names."""
    count = host.working_days_from if working is None else working.count
    out = []
    for rule in rules:
        direction = -1 if rule.when == "before" else 1
        day = count(event_date, rule.working_days, direction)
        name = names.get(rule.id, rule.name) if names else rule.name
        out.append(Milestone(rule.id, name, day, rule.working_days, rule.when))
    return tuple(sorted(out, key=lambda m: (m.date, m.id)))


class WorkingDays:
    """``HostCalendar.working_days_from`` by look-up in the list of the working days from
    ``first`` to ``last`` (a plan's year and the years either side), made once: a plan counts up
    to thirty working days for each of hundreds of event dates and milestone rules.  A count that
    starts or ends outside the list is left to the host calendar."""

    def __init__(self, host: HostCalendar, first: date, last: date) -> None:
        self.host = host
        self.first, self.last = first, last
        self.days = [
            day
            for day in (first + timedelta(days=n) for n in range((last - first).days + 1))
            if host.is_working_day(day)
        ]

    def count(self, day: date, count: int, direction: int) -> date:
        if count > 0 and self.first <= day <= self.last:
            if direction < 0:
                index = bisect_left(self.days, day) - count
            else:
                index = bisect_right(self.days, day) + count - 1
            if 0 <= index < len(self.days):
                return self.days[index]
        return self.host.working_days_from(day, count, direction)


def jubilee_ahead(item: Occurrence) -> tuple[int, int] | None:
    """The next jubilee (number, year) when it is at most five years after this one."""
    number = next_jubilee(item.number)
    years = number - item.number
    return (number, item.date.year + years) if years <= JUBILEE_AHEAD else None


def placed_moments(item: Occurrence, tz_name: str) -> tuple[PlacedMoment, ...]:
    local = zone(tz_name)
    return tuple(
        PlacedMoment(
            placed.moment.name,
            placed.start,
            placed.start.astimezone(local),
            int((placed.end - placed.start).total_seconds() // 60),
        )
        for placed in item.moments
    )


def holidays(plan: Plan) -> Iterator[tuple[date, str, bool]]:
    """Each public holiday of the year (its name in the plan's language where python-holidays
    has it: :func:`holiday_note`): two on one day are two holidays."""
    for holiday, names in plan.holidays:
        for name, estimate in holiday_names(names):
            yield holiday, name, estimate


def holiday_note(plan: Plan) -> str:
    """'' when the public holidays are named in the plan's language (English, or a language
    python-holidays has for the country); else the sentence that says they are in English."""
    language = plan.language
    if words.is_english(language) or plan.host.names_language or not plan.holidays:
        return ""
    return t(
        language,
        "Holiday names in English: python-holidays has no names in %(language)s for %(country)s.",
    ) % {"language": words.autonym(language), "country": plan.country}
