"""The plans a notice carries and the milestone notices: both from the yearly plan itself.

One source of truth: a notice shows the :class:`~reminders.plan.plan.Entry` of its occurrence in
the plan that ``reminders plan YEAR`` prints (``output.make_plan``: the host calendar from the
start-up cache, then ``build_plan``), and a milestone's notice fires on that entry's milestone
date, or ``notice_before`` working days before it, counted by the same host calendar (weekends,
public holidays and the organisation's own closures).  :class:`YearPlans` builds each year's plan
once and keeps it: the daemon makes one per version (start and every reload), so the host
calendar and the plan of a year are built once per year and reload, never per notice, and a
change to the weekend, a holiday or a closure moves the milestone notices at the next reload.

A milestone notice is a :class:`~reminders.core.notices.Notice` whose rule is made from the
``[[milestone]]`` rule (:func:`milestone_notice_rule`, rule id ``milestone:{id}``), so its id is
``{calendar}:{observance}:{year}:milestone:{id}`` and the ledger, the daemon and the channels
treat it as any other notice.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from heapq import merge

from ..core import dates, words
from ..core.model import Occurrence
from ..core.notices import Notice, events_by_occurrence
from ..core.settings import MILESTONE_PREFIX, Loaded, MilestoneRule, NoticeRule
from .hostcal import FIRST_YEAR, LAST_YEAR, HostCalendar
from .plan import Entry, Plan

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ONE_DAY = timedelta(days=1)
# How far a plan's event date can be from its occurrence (a seminar moved to the nearest working
# day) and how many days off a year may have beyond the weekend (public holidays), in days: the
# years whose milestone notices can fire in a window are found with this margin.
MOVE_MARGIN = 31
HOLIDAY_MARGIN = 60


class NoticePlan(NamedTuple):
    """The plan of one occurrence, as a notice shows it."""

    entry: Entry
    host: HostCalendar  # the plan's: with the organisation's closures (working days left)


def milestone_notice_rule(rule: MilestoneRule) -> NoticeRule:
    """The notice rule of a notified ``[[milestone]]`` (id ``milestone:{id}``)."""
    return NoticeRule(
        id=rule.notice_id,
        days_before=0,  # unused: the fire time comes from the plan's working days
        at=rule.at,
        template=rule.template,
        channels=rule.channels,
        observances=rule.observances,
        tags=rule.tags,
        weekend="keep",  # a milestone is on a working day; so is its notice
        description=rule.name,
        language=rule.language,
    )


def milestone_id(notice: Notice) -> str | None:
    """The milestone id of a milestone notice; None for a lead-time notice."""
    rule_id = notice.rule.id
    return rule_id[len(MILESTONE_PREFIX) :] if rule_id.startswith(MILESTONE_PREFIX) else None


class YearPlans:
    """The plans of the years a daemon version (or a command) asks for, each built once.

    Thread-safe: the daemon's deliveries ask from worker threads.
    """

    def __init__(self, loaded: Loaded) -> None:
        self.loaded = loaded
        # By (year, language): "" is the organisation's default language.
        self.plans: dict[tuple[int, str], Plan] = {}
        self.index: dict[tuple[int, str], dict[str, Entry]] = {}
        self.events: dict[tuple[int, str], dict[str, tuple[Occurrence, ...]]] = {}
        self.lock = threading.Lock()
        self.rules = {rule.id: milestone_notice_rule(rule) for rule in loaded.settings.milestones}
        self.notified = {rule.id: rule for rule in loaded.settings.milestones if rule.notified}
        self.default = words.output_language(loaded.settings.organisation.language)

    def plan(self, year: int, language: str = "") -> Plan:
        """The plan of ``year``, as ``reminders plan YEAR`` builds it, in ``language`` (a
        notice's: its sentences and the calendars' texts; "" the organisation's default)."""
        key = (year, self._own(language))
        found = self.plans.get(key)
        if found is not None:
            return found
        with self.lock:
            found = self.plans.get(key)
            if found is None:
                from .output import make_plan

                found = make_plan(self.loaded, year, key[1] or None)
                self.index[key] = {
                    e.occurrence.id: e for e in found.entries if e.occurrence.event is None
                }
                self.events[key] = events_by_occurrence(e.occurrence for e in found.entries)
                self.plans[key] = found
        return found

    def of(self, occurrence: Occurrence, language: str = "") -> NoticePlan | None:
        """The plan of an observance's occurrence (None for one outside the plan's years), in
        ``language`` ("" the organisation's default)."""
        year = occurrence.date.year
        if not FIRST_YEAR < year < LAST_YEAR:
            return None
        own = self._own(language)
        plan = self.plan(year, own)
        entry = self.index[(year, own)].get(occurrence.id)
        return None if entry is None else NoticePlan(entry, plan.host)

    def _own(self, language: str) -> str:
        """ "" for the organisation's default language (one plan, however it is named)."""
        return "" if not language or language == self.default else language

    def notified_rule(self, milestone: str) -> NoticeRule | None:
        """The notice rule of a notified milestone (None: no such milestone, or no channels)."""
        return self.rules.get(milestone) if milestone in self.notified else None

    def milestone_notices(self, start: datetime, end: datetime) -> list[Notice]:
        """Every milestone notice firing in ``[start, end)``, sorted by fire time and id."""
        if not self.notified:
            return []
        settings = self.loaded.settings
        tz = settings.organisation.timezone
        local = dates.zone(tz)
        out: list[Notice] = []
        for year in self._years(start.astimezone(local).date(), end.astimezone(local).date()):
            plan = self.plan(year)
            entries, events = plan.entries, self.events[(year, "")]
            fired: dict[tuple[date, str], datetime] = {}
            for milestone, first, count in plan.milestone_runs():
                rule = self.notified.get(milestone.id)
                if rule is None:
                    continue
                key = (milestone.date, milestone.id)
                at = fired.get(key)
                if at is None:
                    day = plan.host.working_days_from(milestone.date, rule.notice_before, -1)
                    at = fired[key] = dates.wall_time(day, rule.at, tz)
                if not start <= at < end:
                    continue
                notice_rule = self.rules[milestone.id]
                for entry in entries[first : first + count]:
                    item = entry.occurrence
                    if item.event is None:
                        out.append(Notice(notice_rule, item, at, events.get(item.id, ())))
        out.sort(key=lambda n: (n.fire_at, n.id))
        return out

    def find_milestone_notice(self, occurrence: Occurrence, milestone: str) -> Notice | None:
        """The notice of one notified milestone of one occurrence (preview, the sweep)."""
        found = self.of(occurrence)
        rule = self.notified.get(milestone)
        if found is None or rule is None:
            return None
        for m in found.entry.milestones:
            if m.id == milestone:
                day = found.host.working_days_from(m.date, rule.notice_before, -1)
                tz = self.loaded.settings.organisation.timezone
                events = self.events[(occurrence.date.year, "")].get(occurrence.id, ())
                at = dates.wall_time(day, rule.at, tz)
                return Notice(self.rules[milestone], occurrence, at, events)
        return None

    def _years(self, first: date, last: date) -> range:
        """The years of the occurrences whose milestone notices can fire from ``first`` to
        ``last``: a notice is at most the rule's working days (and its notice's) before or
        after its event date, and every week has ``7 - len(weekend)`` working days."""
        settings = self.loaded.settings
        per_week = 7 - len(settings.organisation.weekend)
        closed = sum(closure.days for closure in settings.closures)

        def reach(rules: Iterable[MilestoneRule]) -> timedelta:
            most = max((r.working_days + r.notice_before for r in rules), default=0)
            weeks = most // per_week + 1
            return timedelta(days=weeks * 7 + MOVE_MARGIN + HOLIDAY_MARGIN + closed)

        rules = self.notified.values()
        ahead = reach(r for r in rules if r.when == "before")
        behind = reach(r for r in rules if r.when == "after")
        low, high = (first - behind).year, (last + ahead).year
        return range(max(low, FIRST_YEAR + 1), min(high, LAST_YEAR - 1) + 1)


def all_notices(
    plans: YearPlans, lead: list[Notice], start: datetime, end: datetime
) -> list[Notice]:
    """The lead-time notices (sorted) and the milestone notices of ``[start, end)``, by fire
    time and id."""
    milestones = plans.milestone_notices(start, end)
    if not milestones:
        return lead
    return list(merge(lead, milestones, key=lambda n: (n.fire_at, n.id)))


def notice_list(loaded: Loaded, start: date, days: int) -> list[Notice]:
    """``reminders notices``: the lead-time notices (core.notices.notice_list) and the milestone
    notices firing from ``start`` (00:00 in the organisation's zone) for ``days`` days."""
    from ..core.notices import MIDNIGHT
    from ..core.notices import notice_list as lead_notices

    lead = lead_notices(loaded, start, days)  # checks the dates
    tz = loaded.settings.organisation.timezone
    begin = dates.wall_time(start, MIDNIGHT, tz)
    end = dates.wall_time(start + timedelta(days=days), MIDNIGHT, tz)
    return with_milestones(loaded, lead, begin, end)


def with_milestones(
    loaded: Loaded, lead: list[Notice], start: datetime, end: datetime
) -> list[Notice]:
    """:func:`all_notices` for a command: no plan is built when no milestone is notified
    (python-holidays is slow to import)."""
    if not any(rule.notified for rule in loaded.settings.milestones):
        return lead
    return all_notices(YearPlans(loaded), lead, start, end)


def working_days_left(host: HostCalendar, today: date, day: date) -> int:
    """Working days after ``today`` up to and including ``day`` (0 when ``day`` is today or
    past): the count a milestone ``working_days`` before an event has to the event date."""
    count, current = 0, today
    while current < day:
        current += ONE_DAY
        count += host.is_working_day(current)
    return count
