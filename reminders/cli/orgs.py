"""``reminders orgs``: the organisations of a deployment, each with its state.

Operator text: English, like every CLI message. For each organisation (config/organisations.py):
its id and name, time zone, host country and languages, then either its next notice or the
problems of its file (one broken file does not hide the others; the command then exits 1).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..config.organisations import Organisation, load_organisations, loaded_organisation
from ..core import words
from ..core.dates import local_date, zone
from ..core.errors import Problem, ReminderError
from ..core.model import Calendar

HORIZON_DAYS = 400  # how far ahead the next notice is looked for


def orgs_lines(config_path: str, now: datetime) -> tuple[list[str], bool]:
    """The lines of ``reminders orgs`` and whether every organisation loaded."""
    from ..config.calendars import load_calendars

    today = now.date()
    base, orgs, problems = load_organisations(config_path)
    if not orgs and not problems:
        return [
            f"{base.source}: one organisation ({base.organisation.name}); "
            "[paths] organisations names none"
        ], True
    shared = load_calendars(base.calendars_dir, today)
    lines = [f"{len(orgs)} organisation(s) in {base.source}:"]
    ok = not problems
    for problem in problems:
        lines.append(f"  {problem}")
    for org in orgs:
        found, fine = _org_lines(org, shared, now)
        lines.extend(found)
        ok = ok and fine
    return lines, ok


def _org_lines(
    org: Organisation, shared: tuple[Calendar, ...], now: datetime
) -> tuple[list[str], bool]:
    from ..plan.yearplans import notice_list

    if org.settings is None:
        head = f"  {org.id}: {len(org.problems)} problem(s); not loaded"
        return [head, *(f"    {p}" for p in org.problems)], False
    o = org.settings.organisation
    head = f"  {org.id}: {o.name} ({o.timezone}, {o.country}; {', '.join(o.languages)})"
    try:
        loaded = loaded_organisation(org, shared, now.date())
    except ReminderError as exc:
        return [head, f"    {exc.message()}"], False
    start = local_date(now, o.timezone)
    items = notice_list(loaded, start, HORIZON_DAYS)
    if not items:
        return [head, f"    no notice in the next {HORIZON_DAYS} days"], True
    first = items[0]
    at = first.fire_at.astimezone(zone(o.timezone))
    when = f"{at.date().isoformat()} {words.clock(at, words.ENGLISH)}"
    after = (at.date() - start) // timedelta(days=1)
    return [
        head,
        f"    next notice {when} (in {words.plural(after, 'day', words.ENGLISH)}): "
        f"{first.rule.id} for {first.occurrence.title} -> {', '.join(first.rule.channels)}",
    ], True


def check_organisations(config_path: str, today: date) -> tuple[list[str], list[Problem]]:
    """``reminders check`` of a deployment's organisations: a line per organisation that loads
    with its calendars, and the problems of those that do not (each naming its file)."""
    from ..config.calendars import load_calendars
    from ..config.organisations import folder_of

    if folder_of(config_path) is None:
        return [], []
    base, orgs, found = load_organisations(config_path)
    problems = list(found)
    lines = []
    try:
        shared = load_calendars(base.calendars_dir, today)
    except ReminderError:
        return [], problems  # the shared calendars' problems are check's own report
    for org in orgs:
        try:
            loaded = loaded_organisation(org, shared, today)
        except ReminderError as exc:
            problems.extend(
                getattr(exc, "problems", None) or [Problem(org.path, "", None, exc.message())]
            )
            continue
        o = loaded.settings.organisation
        lines.append(
            f"organisation {org.id} ({loaded.settings.source}): {o.name}, {o.timezone}, "
            f"{o.country}, {', '.join(o.languages)}: ok"
        )
    return lines, problems
