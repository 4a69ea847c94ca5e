"""Render every notice template with sample data; report each error with its file and line.

For each ``[[notice]]`` rule the subject, text and HTML templates are rendered with

* the rule's next real notice within about two years (when one matches), and
* a made-up sample occurrence (a 25th anniversary with facts, a moment in Baku time and one in the
  organisation's zone), so that the templates of a rule whose observances are all filtered away
  are checked too, and so are the branches the next real notice does not reach;

each of them sent on time with planned events, and sent late without any.  Errors are reported as
``reminders check`` reports every problem: file (as messages show paths) and line.  Jinja rewrites
tracebacks so that their frames name the template file and line, which is how the line of a
render error (an undefined variable, a failing filter) is found.
"""

from __future__ import annotations

import os
import traceback
import weakref
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import jinja2
from jinja2 import nodes
from jinja2.exceptions import SecurityError

from ..config.templates import SnapshotLoader, environment, sandbox_refusal, template_file
from ..core import dates, words
from ..core.errors import InvalidInput, Problem
from ..core.model import (
    WEEKDAYS,
    Calendar,
    Event,
    Fact,
    FixedDate,
    Moment,
    Observance,
    Occurrence,
)
from ..core.notices import Notice, fire_time, notices
from ..core.occurrences import event_occurrence, place_moments, title_for
from ..core.settings import MilestoneRule, NoticeRule, Settings
from ..plan.yearplans import NoticePlan, milestone_notice_rule
from .render import Rendered, notice_context, notice_language, render_notice, template_names

HORIZON = timedelta(days=731)  # how far ahead a real notice is looked for
SHORT_HORIZON = timedelta(days=45)  # looked at first
LATE_BY = timedelta(hours=3)  # how late the "sent late" renders are
SAMPLE_ZONE = "Asia/Baku"
VARIABLES = "the variables listed in templates/README.md"


def check_templates(
    settings: Settings,
    calendars: Sequence[Calendar],
    today: date,
    env: jinja2.Environment | None = None,
) -> list[Problem]:
    """Problems of the notice rules (unknown observances, unused tags) and of their templates
    (rendered in ``env``, by default one reading the templates folder)."""
    return _unique(
        rule_problems(settings, calendars) + template_problems(settings, calendars, today, env)
    )


def rule_problems(settings: Settings, calendars: Sequence[Calendar]) -> list[Problem]:
    """A rule that names an observance no calendar has, or tags no observance carries."""
    observances = {o.id for c in calendars for o in c.observances}
    tags = {t for c in calendars for o in c.observances for t in o.tags}
    found: list[tuple[tuple[str | int, ...], object, str]] = []
    for index, rule in enumerate(settings.notices):
        for name in rule.observances:
            if name not in observances:
                known = ", ".join(sorted(observances)) or "the calendars have none"
                found.append(
                    (("notice", index, "observances"), name, f"an observance id ({known})")
                )
        if rule.tags and not tags.intersection(rule.tags):
            known = ", ".join(sorted(tags)) or "the calendars have none"
            found.append(
                (("notice", index, "tags"), list(rule.tags), f"a tag some observance has ({known})")
            )
    if not found:
        return []
    from ..config.schema import Checker  # only to find the lines of the keys in the config

    checker = Checker(settings.source, _read(settings.config_path))
    for path, value, expected in found:
        checker.add(path, value, expected)
    return checker.problems


def template_problems(
    settings: Settings,
    calendars: Sequence[Calendar],
    today: date,
    env: jinja2.Environment | None = None,
) -> list[Problem]:
    """Render each rule's templates with the samples (see the module docstring)."""
    milestone_rules = tuple(
        milestone_notice_rule(rule) for rule in settings.milestones if rule.notified
    )
    if not settings.notices and not milestone_rules:
        return []
    if env is None:
        env = environment(settings.templates_dir, bytecode_folder())
    org = settings.organisation
    start = dates.wall_time(today, time(0, 0), org.timezone)
    real: dict[str, Notice] = {}
    # A short window first: on a large calendar it finds every rule's next notice without
    # expanding two years of them (the first in the short window is the first in the long one).
    for span in (SHORT_HORIZON, HORIZON):
        missing = tuple(rule for rule in settings.notices if rule.id not in real)
        if not missing:
            break
        examples = settings.feed.include_examples
        for notice in notices(calendars, missing, org, start, start + span, examples=examples):
            real.setdefault(notice.rule.id, notice)
    problems: list[Problem] = []
    for rule in settings.notices + milestone_rules:
        for name in template_names(rule.template).values():
            problems.extend(text_outside_blocks(env, settings.templates_dir, name))
        sample = sample_notice(rule, settings, today)
        for notice in (real[rule.id], sample) if rule.id in real else (sample,):
            # On time with events, late without: each branch of both is rendered (in half the
            # time of all four combinations; the two are independent in the templates).  The
            # plan is a sample one too (see sample_plan); the daemon renders its soonest
            # notices with their real plans before it uses a version (reload.py).
            plan = sample_plan(notice, settings)
            with_events = notice._replace(events=notice.events or sample.events)
            at = notice.fire_at
            problems.extend(render_problems(env, with_events, settings, at, False, plan))
            without = notice._replace(events=())
            problems.extend(render_problems(env, without, settings, at + LATE_BY, True, plan))
        # In each other language its channels receive, the sample once more: a catalog's
        # translation that breaks a template (a placeholder it does not have) is found here.
        default = notice_language(settings, sample)
        for language in sorted(
            {notice_language(settings, sample, channel) for channel in rule.channels} - {default}
        ):
            plan = sample_plan(sample, settings, language)
            at = sample.fire_at
            problems.extend(render_problems(env, sample, settings, at, False, plan, language))
    return _unique(problems)


def render_problems(
    env: jinja2.Environment,
    notice: Notice,
    settings: Settings,
    now: datetime,
    late: bool,
    plan: NoticePlan | None = None,
    language: str | None = None,
) -> list[Problem]:
    """Render the three templates of one notice (in ``language``: see render.notice_context);
    every error becomes a Problem."""
    folder = settings.templates_dir
    context = notice_context(notice, settings, now, late, plan, language)
    rule = notice.rule
    out = []
    for part, name in template_names(rule.template).items():
        try:
            rendered = env.get_template(name).render(context)
        except jinja2.TemplateSyntaxError as exc:
            shown = template_file(folder, exc.name or name)
            out.append(
                Problem(shown, "", None, f"template syntax error: {exc.message}", exc.lineno)
            )
        except jinja2.TemplateNotFound as exc:
            missing = exc.name if isinstance(exc.name, str) else name
            if missing == name:
                why = f"notice rule {rule.id!r} has template = {rule.template!r}"
            else:
                file, line = _where(exc, folder, name)
                why = f"used at {file}:{line}" if line else f"used by {file}"
            out.append(
                Problem(template_file(folder, missing), "", None, f"missing template ({why})")
            )
        except jinja2.UndefinedError as exc:
            file, line = _where(exc, folder, name)
            out.append(Problem(file, "", None, f"{exc.message}; expected only {VARIABLES}", line))
        except SecurityError as exc:
            file, line = _where(exc, folder, name)
            out.append(Problem(file, "", None, sandbox_refusal(exc), line))
        except Exception as exc:  # a filter or test failing on a value: report it, never crash
            file, line = _where(exc, folder, name)
            what = f"rendering failed: {type(exc).__name__}: {exc}"
            out.append(Problem(file, "", None, what, line))
        else:
            if part == "subject" and not rendered.strip():
                expected = "a subject line (this template renders to nothing)"
                out.append(Problem(template_file(folder, name), "", None, expected))
    return out


def checked_render(
    env: jinja2.Environment,
    notice: Notice,
    settings: Settings,
    now: datetime,
    late: bool,
    plan: NoticePlan | None = None,
    language: str | None = None,
) -> Rendered:
    """One notice rendered as it is sent at ``now`` (in ``language``: see render.render_notice);
    InvalidInput naming each template problem (file and line) instead of a traceback
    (``preview`` and ``channel test``)."""
    problems = render_problems(env, notice, settings, now, late, plan, language)
    if problems:
        raise InvalidInput(problems, "templates")
    return render_notice(env, notice, settings, now, late, plan, language)


# text_outside_blocks's answers by environment and template: a function of the template's text
# alone, which a daemon's environment holds as a snapshot (only such an environment's are kept);
# so a deployment of organisations parses each template once, not once per organisation (a
# quarter of each one's check).
_OUTSIDE: weakref.WeakKeyDictionary[jinja2.Environment, dict[tuple[str, str], list[Problem]]] = (
    weakref.WeakKeyDictionary()
)


def text_outside_blocks(env: jinja2.Environment, folder: str, name: str) -> list[Problem]:
    """Text outside every block of a template that extends another: Jinja leaves it out."""
    if not isinstance(env.loader, SnapshotLoader):  # (its files may change: read them again)
        return _text_outside_blocks(env, folder, name)
    known = _OUTSIDE.setdefault(env, {})
    if (folder, name) not in known:
        known[folder, name] = _text_outside_blocks(env, folder, name)
    return list(known[folder, name])


def _text_outside_blocks(env: jinja2.Environment, folder: str, name: str) -> list[Problem]:
    assert env.loader is not None
    try:
        source, filename, _ = env.loader.get_source(env, name)
        tree = env.parse(source, name, filename)
    except jinja2.TemplateError:
        return []  # a missing file or a syntax error is reported when the template is rendered
    if not any(isinstance(node, nodes.Extends) for node in tree.body):
        return []
    lines = source.split("\n")
    out = []
    for node in tree.body:
        if not isinstance(node, nodes.Output):
            continue
        for part in node.nodes:
            if isinstance(part, nodes.TemplateData) and not part.data.strip():
                continue
            expected = (
                "text only inside {% block %} tags: a template that extends a layout shows "
                "its blocks and nothing else"
            )
            number = part.lineno
            if isinstance(part, nodes.TemplateData):  # its lineno is where its blank lines begin
                number += part.data[: len(part.data) - len(part.data.lstrip())].count("\n")
            text = lines[number - 1].strip()
            out.append(Problem(template_file(folder, name), "", text, expected, number))
            break
    return out


def _where(exc: BaseException, folder: str, name: str) -> tuple[str, int | None]:
    """The innermost template file and line in the traceback (Jinja rewrites the frames)."""
    root = os.path.abspath(folder) + os.sep
    found: tuple[str, int | None] | None = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename and os.path.abspath(frame.filename).startswith(root):
            found = (frame.filename, frame.lineno)
    if found is None:
        return template_file(folder, name), None
    return template_file(folder, os.path.relpath(found[0], folder).replace(os.sep, "/")), found[1]


def sample_notice(rule: NoticeRule, settings: Settings, today: date) -> Notice:
    """A made-up notice of ``rule``: a 25th anniversary two months ahead, with everything set."""
    org = settings.organisation
    day = today + timedelta(days=rule.days_before + 60)
    observance = Observance(
        id="sample",
        title="{ordinal} anniversary of a sample remembrance day",
        rule=FixedDate(day.month, day.day),
        since=day.year - 25,
        description="A sample observance, made up to check the templates.",
        facts=(
            Fact("A sample fact with a figure.", "A sample source", date(2024, 1, 20)),
            Fact("The same figure as another source gives it.", "Another sample source"),
        ),
        moments=(
            Moment("silence", "Minute of silence", time(12, 0), timedelta(minutes=1), SAMPLE_ZONE),
            Moment("wreath", "Wreath laying", time(10, 0), timedelta(minutes=30), org.timezone),
        ),
        tags=("sample",),
    )
    start = dates.wall_time(day, time(15, 0), org.timezone)
    timed = Event(
        id="sample-roundtable",
        title="Sample roundtable",
        timezone=org.timezone,
        start=start,
        end=start + timedelta(hours=2),
        venue="Sample hall",
        description="A sample event.",
        observance="sample",
    )
    whole_day = Event(
        id="sample-exhibition",
        title="Sample photo exhibition",
        timezone=org.timezone,
        day=day,
        observance="sample",
        example=True,
    )
    calendar = Calendar(
        id="sample",
        name="Sample calendar",
        description="Made up to check the templates.",
        timezone=SAMPLE_ZONE,
        public=True,
        revised=datetime(2000, 1, 1, tzinfo=UTC),
        source="(sample)",
        observances=(observance,),
        events=(timed, whole_day),
    )
    occurrence = Occurrence(
        calendar,
        day,
        title_for(observance, day.year),
        25,
        observance,
        moments=place_moments(observance, day),
    )
    events = tuple(event_occurrence(calendar, event) for event in (timed, whole_day))
    return Notice(rule, occurrence, fire_time(rule, day, org), events)


# Milestones of the sample plan when the config has none: one ahead of and one after the event.
SAMPLE_MILESTONES = (
    MilestoneRule(
        "sample-venue", "Book the venue", 10, "before", (), (), (), 0, time(9), "milestone", "",
        (), "en",
    ),
    MilestoneRule(
        "sample-report", "Publish the report", 2, "after", (), (), (), 0, time(9), "milestone", "",
        (), "en",
    ),
)  # fmt: skip


def sample_plan(notice: Notice, settings: Settings, language: str | None = None) -> NoticePlan:
    """A made-up plan for a notice's occurrence, with every kind of thing a plan says: its day
    a public holiday (an estimate) in Ramadan, the event moved off it, and the config's
    milestones (or two samples), some past and some ahead of the notice.  Computed by the plan's
    own functions on a made-up host calendar, so no holiday library is needed. Its sentences in
    ``language`` (None: the organisation's default)."""
    from ..plan.hostcal import HostCalendar, Period
    from ..plan.plan import Entry, day_conflicts, milestone_dates, milestone_names, suggest

    org = settings.organisation
    language = words.output_language(org.language if language is None else language)
    item = notice.occurrence
    day = item.date
    span = timedelta(days=10)
    host = HostCalendar(
        org.country,
        frozenset(WEEKDAYS.index(name) for name in org.weekend),
        {day: "Sample holiday (estimated)"},
        (Period("Ramadan (sample)", day - span, day + span),),
        closures={day + timedelta(days=1): "Sample closure"},
    )
    conflicts = tuple(day_conflicts(item, host, True, org.country, language))
    event_date, why = suggest(item, None, host, "nearest", language)
    rules = settings.milestones or SAMPLE_MILESTONES
    names = milestone_names(rules, language, org.language)
    milestones = milestone_dates(rules, event_date, host, None, names)
    return NoticePlan(Entry(item, conflicts, event_date, why, (), milestones, None), host)


def bytecode_folder() -> str | None:
    """Where compiled templates are kept: beside the start-up cache (None when it is off)."""
    from ..config import cache

    base = cache.folder()
    if base is None:
        return None
    path = os.path.join(base, "templates")
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return None  # only slower: templates are compiled each time
    return path


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""  # the problems are still reported, without their lines


def _unique(problems: list[Problem]) -> list[Problem]:
    out: list[Problem] = []
    for problem in problems:
        if problem not in out:
            out.append(problem)
    return out
