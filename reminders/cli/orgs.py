"""``reminders orgs``: the organisations of a deployment, each with its state.

Operator text: English, like every CLI message. For each organisation (config/organisations.py):
its id and name, time zone, host country and languages, then either its next notice or the
problems of its file (one broken file does not hide the others; the command then exits 1).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from ..config.config_file import load_config
from ..config.organisations import Loading, load_each
from ..core import words
from ..core.dates import local_date, zone
from ..core.errors import Problem, ReminderError

HORIZON_DAYS = 400  # how far ahead the next notice is looked for


def orgs_lines(config_path: str, now: datetime) -> tuple[list[str], bool]:
    """The lines of ``reminders orgs`` and whether every organisation loaded."""
    deployment = load_each(config_path, now.date())
    if deployment is None:
        base = load_config(config_path)
        return [
            f"{base.source}: one organisation ({base.organisation.name}); "
            "[paths] organisations names none"
        ], True
    base, _, each, problems = deployment
    lines = [f"{len(each)} organisation(s) in {base.source}:"]
    lines += [f"  {problem}" for problem in problems]
    ok = not problems
    for one in each:
        found, fine = _org_lines(one, now)
        lines.extend(found)
        ok = ok and fine
    return lines, ok


def _org_lines(one: Loading, now: datetime) -> tuple[list[str], bool]:
    from ..plan.yearplans import notice_list

    org = one.org
    if org.settings is None:
        head = f"  {org.id}: {len(org.problems)} problem(s); not loaded"
        return [head, *(f"    {p}" for p in org.problems)], False
    o = org.settings.organisation
    head = f"  {org.id}: {o.name} ({o.timezone}, {o.country}; {', '.join(o.languages)})"
    if one.loaded is None:
        return [head, *(f"    {p}" for p in one.problems)], False
    start = local_date(now, o.timezone)
    items = notice_list(one.loaded, start, HORIZON_DAYS)
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
    try:
        deployment = load_each(config_path, today)
    except ReminderError:
        return [], []  # config.toml's and the shared calendars' problems are check's own report
    if deployment is None:
        return [], []
    _, _, each, problems = deployment
    lines = []
    for one in each:
        if one.loaded is None:
            problems.extend(one.problems)
            continue
        o = one.loaded.settings.organisation
        lines.append(
            f"organisation {one.org.id} ({one.loaded.settings.source}): {o.name}, {o.timezone}, "
            f"{o.country}, {', '.join(o.languages)}: ok"
        )
    return lines, problems
