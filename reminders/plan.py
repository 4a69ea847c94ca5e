"""The yearly event plan: every observance and planned event of a year, what clashes, when to hold
the event and what to do by which day.

``build_plan`` is pure: it takes the loaded data, the year and a :class:`~reminders.hostcal.
HostCalendar` (weekends, public holidays, Ramadan, the Eids) and returns a :class:`Plan`; the
formats (plan_formats.py, plan_html.py, plan_ics.py) only present it.

The rules (docs/plan.md):

* the remembrance day itself never moves; the organisation's event (a seminar, a roundtable) is
  held on the day when it is a working day, else it moves by ``[plan] move`` to the nearest working
  day before or after; an event already planned for that observance and year is the event date;
* conflicts name their reason: a weekend day, a public holiday, Ramadan, an Eid (estimates are
  marked), another observance of the same calendar within ``[plan] conflict_days`` days;
* milestones are counted in working days of the host country from the event date.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import NamedTuple

from .dates import is_jubilee, next_jubilee, zone
from .hostcal import HostCalendar, Period, holiday_names
from .model import WEEKDAYS, Occurrence
from .notices import applies
from .occurrences import occurrences
from .settings import Loaded, MilestoneRule

JUBILEE_AHEAD = 5  # years: a jubilee this close is named, so budgets can be planned early
MOON = " (an estimate: the date depends on the sighting of the moon)"


class Conflict(NamedTuple):
    kind: str  # "weekend", "holiday", "ramadan", "eid" or "observance"
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
    eids: tuple[Period, ...]  # the Eids in the year
    host: HostCalendar

    @property
    def milestones(self) -> list[tuple[Milestone, Entry]]:
        """Every milestone with its entry, by date (some fall in the year before or after)."""
        found = [(m, e) for e in self.entries for m in e.milestones]
        return sorted(found, key=lambda pair: (pair[0].date, pair[1].date, pair[0].id))


def long_date(day: date) -> str:
    return f"{WEEKDAYS[day.weekday()]} {day.day} {day:%b %Y}"


def build_plan(loaded: Loaded, year: int, host: HostCalendar) -> Plan:
    """The plan of ``year`` for the loaded calendars (examples as the feed settings say)."""
    settings = loaded.settings
    org = settings.organisation
    examples = settings.feed.include_examples
    items = occurrences(loaded.calendars, date(year, 1, 1), date(year + 1, 1, 1), examples=examples)
    # Neighbours for the "another observance within N days" rule reach across the year's ends.
    margin = timedelta(days=settings.plan.conflict_days)
    around = occurrences(
        loaded.calendars, date(year, 1, 1) - margin, date(year + 1, 1, 1) + margin, examples=False
    )
    observed = [o for o in around if o.event is None]
    # A real planned event fixes the event date; a sample one (example = true) does not.
    planned = {
        (o.calendar.id, o.observance.id): o
        for o in items
        if o.event is not None and o.observance is not None and not o.event.example
    }
    entries = []
    for item in items:
        conflicts = day_conflicts(item, host, settings.plan.ramadan, host.country)
        conflicts += neighbour_conflicts(item, observed, settings.plan.conflict_days)
        if item.event is not None:
            event_date, why = item.date, "a planned event: its date is fixed"
            milestones: tuple[Milestone, ...] = ()
            ahead = None
        else:
            assert item.observance is not None
            linked = planned.get((item.calendar.id, item.observance.id))
            event_date, why = suggest(item, linked, host, settings.plan.move)
            rules = [r for r in settings.milestones if applies(r, item.observance)]
            milestones = milestone_dates(rules, event_date, host)
            ahead = jubilee_ahead(item)
        entries.append(
            Entry(
                item,
                tuple(conflicts),
                event_date,
                why,
                placed_moments(item, org.timezone),
                milestones,
                ahead,
            )
        )
    first, last = date(year, 1, 1), date(year, 12, 31)
    return Plan(
        year,
        org.name,
        org.timezone,
        org.country,
        org.weekend,
        tuple(entries),
        tuple((d, n) for d, n in sorted(host.holidays.items()) if first <= d <= last),
        tuple(p for p in host.ramadan if p.last >= first and p.first <= last),
        tuple(p for p in host.eids if first <= p.first <= last),
        host,
    )


def day_conflicts(
    item: Occurrence, host: HostCalendar, ramadan: bool, country: str
) -> list[Conflict]:
    """What the host country's calendar says about the occurrence's day."""
    day = item.date
    found = []
    if host.is_weekend(day):
        found.append(
            Conflict("weekend", f"{WEEKDAYS[day.weekday()]} is a weekend day in {country}")
        )
    holiday = host.holiday(day)
    if holiday is not None:
        parts = holiday_names(holiday)
        # A day that is also a holiday of fixed date is a holiday for certain.
        estimate = all(guessed for _, guessed in parts)
        name = " and ".join(f"{part}{MOON if guessed else ''}" for part, guessed in parts)
        found.append(Conflict("holiday", f"public holiday in {country}: {name}", estimate))
    if ramadan:
        period = host.ramadan_on(day)
        if period is not None:
            found.append(
                Conflict(
                    "ramadan",
                    f"in {period.name} (by the Umm al-Qura tables: {long_date(period.first)} to "
                    f"{long_date(period.last)}; an estimate, the start depends on the moon)",
                    True,
                )
            )
        eid = host.eid_on(day)
        if eid is not None and (holiday is None or "Eid" not in holiday):
            found.append(
                Conflict("eid", f"{eid.name} by the Umm al-Qura tables (an estimate)", True)
            )
    return found


NEIGHBOURS_SHOWN = 5  # nearest other observances named per entry; the rest are counted


def neighbour_conflicts(
    item: Occurrence, observed: Sequence[Occurrence], within: int
) -> list[Conflict]:
    """Other observances of the same calendar within ``within`` days of the occurrence.

    ``observed`` is sorted by date (as ``occurrences`` returns it), so the window is found by
    bisection: a calendar of thousands of observances does not compare every pair.  The nearest
    five are named, in date order, and any others counted in one more conflict.
    """
    low = bisect_left(observed, item.date - timedelta(days=within), key=_day)
    high = bisect_right(observed, item.date + timedelta(days=within), key=_day)
    own = item.observance.id if item.observance is not None else None
    near = [
        other
        for other in observed[low:high]
        if other.calendar.id == item.calendar.id
        and other.observance is not None
        and other.observance.id != own
    ]
    near.sort(key=lambda other: abs((other.date - item.date).days))
    found = []
    for other in sorted(near[:NEIGHBOURS_SHOWN], key=_day):
        gap = (other.date - item.date).days
        if gap == 0:
            where = "on the same day as"
        else:
            where = (
                f"{abs(gap)} day{'s' if abs(gap) != 1 else ''} {'before' if gap > 0 else 'after'}"
            )
        found.append(Conflict("observance", f"{where} {other.title} ({long_date(other.date)})"))
    more = len(near) - NEIGHBOURS_SHOWN
    if more > 0:
        found.append(
            Conflict(
                "observance",
                f"and {more} more observance{'s' if more != 1 else ''} of this calendar within "
                f"{within} day{'s' if within != 1 else ''}",
            )
        )
    return found


def _day(item: Occurrence) -> date:
    return item.date


def suggest(
    item: Occurrence, linked: Occurrence | None, host: HostCalendar, policy: str
) -> tuple[date, str]:
    """The event date for an observance and the reason, by the ``[plan] move`` policy."""
    day = item.date
    if linked is not None and linked.event is not None:
        return linked.date, f"planned: {linked.event.title} on {long_date(linked.date)}"
    if host.is_working_day(day):
        return day, "the day itself, a working day"
    what = "a weekend day" if host.is_weekend(day) else "a public holiday"
    if policy == "never":
        return day, f'the day itself, though {what} ([plan] move = "never")'
    moved = host.nearest_working_day(day, policy)
    side = "before" if moved < day else "after"
    which = {"nearest": "nearest", "before": "previous", "after": "next"}[policy]
    return moved, (
        f"{WEEKDAYS[day.weekday()]} is {what}: a seminar or roundtable can move to the {which} "
        f"working day, {long_date(moved)} ({(abs((moved - day).days))} day"
        f"{'s' if abs((moved - day).days) != 1 else ''} {side}); the remembrance itself stays on "
        f"{long_date(day)}"
    )


def milestone_dates(
    rules: Sequence[MilestoneRule], event_date: date, host: HostCalendar
) -> tuple[Milestone, ...]:
    out = []
    for rule in rules:
        direction = -1 if rule.when == "before" else 1
        day = host.working_days_from(event_date, rule.working_days, direction)
        out.append(Milestone(rule.id, rule.name, day, rule.working_days, rule.when))
    return tuple(sorted(out, key=lambda m: (m.date, m.id)))


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
