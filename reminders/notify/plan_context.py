"""The plan of a notice's occurrence as its templates see it: ``plan`` and ``milestone``.

The values come from the yearly plan's entry (plan/yearplans.py: the plan ``reminders plan``
prints), worded here for the templates (templates/README.md lists them).  What is ahead and what
is past is judged on the day the notice is sent, in the organisation's time zone: a notice sent
after a milestone's date says the milestone is past, and counts the working days left to the
others by the plan's own host calendar (weekends, public holidays, the organisation's closures).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..core import words
from ..core.i18n import nt, t
from ..plan.plan import Milestone
from ..plan.yearplans import NoticePlan, working_days_left

NO_PLAN: dict[str, Any] = {
    "known": False,
    "conflicts": [],
    "estimates": False,
    "event_date": None,
    "event_date_text": "",
    "moved": False,
    "suggestion": "",
    "milestones": [],
    "ahead": [],
    "past": [],
}


def count_text(working_days: int, when: str, language: str) -> str:
    """'on the event date', '20 working days before the event date'."""
    if working_days == 0:
        return t(language, "on the event date")
    days = words.plural(working_days, "working day", language)
    if when == "after":
        return t(language, "%(days)s after the event date") % {"days": days}
    return t(language, "%(days)s before the event date") % {"days": days}


def left_text(left: int, past: bool, language: str) -> str:
    """'today', 'past', 'in 3 working days'."""
    if past:
        return t(language, "past")
    if left == 0:
        return t(language, "today")
    return nt(language, "in %(n)s working day", "in %(n)s working days", left) % {
        "n": words.number(left, language)
    }


def relative_text(milestone: Milestone, event_date: date, language: str) -> str:
    """'20 working days before Friday, 26 February 2027', 'on the event date, Friday, ...'."""
    when = words.long_date(event_date, language)
    if milestone.working_days == 0:
        return t(language, "on the event date, %(date)s") % {"date": when}
    days = words.plural(milestone.working_days, "working day", language)
    if milestone.when == "after":
        return t(language, "%(days)s after %(date)s") % {"days": days, "date": when}
    return t(language, "%(days)s before %(date)s") % {"days": days, "date": when}


def milestone_context(
    milestone: Milestone, found: NoticePlan, today: date, language: str
) -> dict[str, Any]:
    past = milestone.date < today
    left = 0 if past else working_days_left(found.host, today, milestone.date)
    return {
        "id": milestone.id,
        "name": milestone.name,
        "date": milestone.date,
        "date_text": words.long_date(milestone.date, language),
        "working_days": milestone.working_days,
        "when": milestone.when,
        "count_text": count_text(milestone.working_days, milestone.when, language),
        "relative_text": relative_text(milestone, found.entry.event_date, language),
        "past": past,
        "is_today": milestone.date == today,
        "working_days_left": left,
        "left_text": left_text(left, past, language),
    }


def plan_context(found: NoticePlan | None, today: date, language: str) -> dict[str, Any]:
    """``plan``: the conflicts, the event date and why, the milestones ahead and past."""
    if found is None:
        return NO_PLAN
    entry = found.entry
    milestones = [milestone_context(m, found, today, language) for m in entry.milestones]
    return {
        "known": True,
        "conflicts": [
            {"kind": c.kind, "reason": c.reason, "estimate": c.estimate} for c in entry.conflicts
        ],
        "estimates": any(c.estimate for c in entry.conflicts),
        "event_date": entry.event_date,
        "event_date_text": words.long_date(entry.event_date, language),
        "moved": entry.moved,
        "suggestion": entry.suggestion,
        "milestones": milestones,
        "ahead": [m for m in milestones if not m["past"]],
        "past": [m for m in milestones if m["past"]],
    }


def milestone_of(
    plan: dict[str, Any], milestone_id: str | None, notice_before: int
) -> dict[str, Any] | None:
    """``milestone``: the milestone a milestone notice is for (None for other notices), with
    ``notice_before``, the working days between the notice and the milestone's date."""
    if milestone_id is None:
        return None
    for item in plan["milestones"]:
        if item["id"] == milestone_id:
            return {**item, "notice_before": notice_before}
    return None
