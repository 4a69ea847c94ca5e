"""``reminders orgs``: the organisations of a deployment, each with its state.

Operator text: English, like every CLI message. For each organisation (config/organisations.py):
its id and name, time zone, host country and languages, then either its next notice or the
problems of its file (one broken file does not hide the others; the command then exits 1).
When the deployment's ledger exists (read only, never created), each organisation's deliveries
by state and what the daemon last recorded of it (``reminders run`` writes its last good load and
the problems of its files since into the ledger, notify/daemon.py), so the centre sees a
daemon's view from any machine.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from ..config.config_file import load_config
from ..config.organisations import Loading, load_each
from ..core import words
from ..core.dates import local_date, zone
from ..core.errors import Problem, ReminderError
from ..core.settings import Settings

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
    ledger = _ledger_state(base)
    for one in each:
        found, fine = _org_lines(one, now)
        lines.extend(found)
        if ledger is not None:
            lines.extend(_ledger_lines(one, ledger))
        ok = ok and fine
    if ledger is not None:
        lines.append(ledger.head)
    return lines, ok


class LedgerState(NamedTuple):
    head: str  # the last line: the ledger's URL, and its rows without an organisation
    counts: dict[str, dict[str, int]]  # by organisation id ("": rows without one)
    daemon: dict[str, Any]  # what the daemon last recorded of each organisation, by id


def _ledger_state(base: Settings) -> LedgerState | None:
    """What the deployment's ledger says, read only; None when there is no ledger yet."""
    from ..notify.ledger import ORGS_META, SCHEMA_VERSION, Ledger, LedgerError, ledger_url

    try:
        ledger = Ledger(ledger_url(base.ledger, os.environ), read_only=True)
    except LedgerError as exc:
        return LedgerState(f"Ledger: {exc.message()}", {}, {})
    try:
        version = ledger.inspect()
        if version is None:
            return None
        if version != SCHEMA_VERSION:
            head = f"Ledger: {ledger.shown_url} (schema version {version}; see `status`)"
            return LedgerState(head, {}, {})
        counts = ledger.counts_by_organisation()
        raw = ledger.get_meta(ORGS_META)
    except LedgerError as exc:
        return LedgerState(f"Ledger: {exc.message()}", {}, {})
    finally:
        ledger.close()
    try:
        daemon = json.loads(raw) if raw else {}
    except ValueError:
        daemon = {}
    unowned = sum(counts.get("", {}).values())
    head = f"Ledger: {ledger.shown_url}"
    if unowned:
        head += f" ({unowned} row(s) without an organisation, from before organisations)"
    return LedgerState(head, counts, daemon if isinstance(daemon, dict) else {})


def _ledger_lines(one: Loading, ledger: LedgerState) -> list[str]:
    """An organisation's deliveries by state, and the daemon's last record of its files."""
    from .logs import safe_line

    found = ledger.counts.get(one.org.id)
    counts = ", ".join(f"{k} {v}" for k, v in found.items()) if found else "no delivery yet"
    lines = [f"    ledger: {counts}"]
    seen = ledger.daemon.get(one.org.id)
    if not isinstance(seen, dict):
        return lines
    loaded, problems, since = seen.get("loaded_at"), seen.get("problems"), seen.get("problems_at")
    state = f"last good load {safe_line(str(loaded))}" if loaded else "never loaded"
    if problems:
        # The message's first problem (after its head line, "N problem(s) in ...:").
        told = [line.strip() for line in str(problems).splitlines() if line.strip()]
        if len(told) > 1 and told[0].endswith(":"):
            told = told[1:]
        more = f" (and {len(told) - 1} more)" if len(told) > 1 else ""
        first = safe_line(told[0]) if told else ""
        state += f"; its files rejected at {safe_line(str(since))}: {first}{more}"
    lines.append(f"    daemon: {state}")
    return lines


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
