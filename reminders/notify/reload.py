"""One version of everything the daemon runs on, built whole and checked before it is used.

A reload (SIGHUP, an edited file) and the start build a :class:`Version`:

* the runtime: settings, calendars, the notice templates as a snapshot (what was checked is what
  is sent), the channels (runtime.py);
* the notices of the horizon, planned by fire time; the first :data:`RENDERED` of them (the
  soonest) each rendered with its templates and its ICS attachment built, as a delivery would
  render and build them;
* on a reload of a daemon that serves the feed, the feeds (every calendar's ICS bytes) and what
  the site serves with them: the page, the icon and this year's plan, rendered as they will be
  served, by the builder the feed server hands in (``WebService.prepare``, ``web.app.build_pages``;
  the daemon knows it only as a callable, see daemon.FeedService).

The daemon switches a version in only once every part of it was built, all at once and with no
await in between, so a request or a fire job sees the old version or the new one, never half of
each.  When any part fails, nothing of the new one is used, the previous version keeps running
whole, and the error names the file and what is wrong in it.

A config that names organisations is all or nothing for config.toml's part (its settings, the
shared calendars, the templates, the feeds), and organisation by organisation for the rest: each
organisation's runtime and plan is an :class:`OrgVersion`, built and checked on its own
(:func:`build_org`); one that fails carries its problems instead, and the daemon keeps that
organisation's previous version (daemon.Daemon._apply_orgs).  :func:`build_orgs` reads them all,
or only those whose files changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from itertools import islice
from typing import Any, NamedTuple

from ..config.sources import Stat
from ..core.errors import InvalidInput, Problem, ReminderError
from ..core.notices import Notice
from ..core.settings import Loaded
from . import delivery
from .runtime import Runtime, close_channels, load_runtime, org_runtime

# The feed server's builder: the feeds of a version (web/feeds.py's FeedSet), what the site serves
# with them (web/app.py's Pages) and the stamp of what it watches.
FeedBuilder = Callable[[Loaded], tuple[Any, Any, tuple[Stat, ...]]]


class OrgVersion(NamedTuple):
    """One organisation of a deployment as (re)read: its runtime and the notices of its horizon,
    or the problems of its files (its previous version, if any, then keeps running)."""

    id: str
    stamp: tuple[Stat, ...]  # its file and own folder (config/organisations.org_stamp)
    runtime: Runtime | None  # None: its files have problems
    planned: dict[str, list[Notice]]
    error: str  # its problems, naming its file ("" when it loaded)


class Orgs(NamedTuple):
    """The organisations a (re)load read: every id that has a file now, the versions of those
    read (all of them, or those whose files changed), and the folder's own problems (a file
    name that is no organisation id)."""

    present: tuple[str, ...]
    read: tuple[OrgVersion, ...]
    problems: tuple[str, ...]


class Version(NamedTuple):
    runtime: Runtime
    planned: dict[str, list[Notice]]  # the notices of the horizon, by UTC fire time (ISO text)
    feeds: Any  # what FeedBuilder built; None: the daemon serves no feed (or it is built at start)
    feeds_stamp: tuple[Stat, ...] = ()  # what the feed server watches, taken before the build
    pages: Any = None  # what the site serves with ``feeds``: page, icon, this year's plan
    # A config that names organisations: each one's version (``runtime`` is then config.toml's,
    # which sends nothing itself, and ``planned`` is empty); None: the one-organisation case.
    orgs: Orgs | None = None


# How many of the planned notices (the soonest) a version renders before it is used.  Rendering
# one notice with its ICS attachment costs about 0.5 ms, so rendering all 100,000 of the daemon
# benchmark's horizon (bench/daemon.py, case 1) held its start for over a minute (85 s to ready,
# where planning alone takes seconds).  The templates are checked with sample data for every
# rule besides, so what this leaves to the send is a template or a value that fails for one
# particular real notice further ahead: it is then a failed delivery, logged and retried.
RENDERED = 1000


class ReloadError(ReminderError):
    """A part of a new version failed in a way no check foresaw (the message names the file)."""


def planned(runtime: Runtime, now: datetime) -> dict[str, list[Notice]]:
    """The notices firing in ``[now, now + horizon)``, by their UTC fire time."""
    found: dict[str, list[Notice]] = {}
    for notice in delivery.plan(runtime, now, now + runtime.settings.daemon.horizon):
        found.setdefault(notice.fire_at.astimezone(UTC).isoformat(), []).append(notice)
    return found


def notice_problems(runtime: Runtime, notices: Iterable[Notice]) -> list[Problem]:
    """Each notice rendered with its templates and its ICS attachment built, as when it is sent.

    A template that renders for the samples ``check`` uses can still fail for a real value (a
    filter on a title, a test on a number); an ICS attachment can fail on a value the checks
    let through.  Each distinct problem is reported once, with the first notice it was seen in.
    """
    from ..core import words
    from .render import for_channel, notice_ics
    from .template_check import render_problems

    default = words.output_language(runtime.settings.organisation.language)
    found: dict[tuple[object, ...], Problem] = {}
    for original in notices:
        # In each language its channels receive (the calendar's texts in it too).
        shown: dict[str, Notice] = {}
        for channel in original.rule.channels:
            notice, language = for_channel(original, runtime.settings, channel, runtime.calendars)
            shown.setdefault(language, notice)
        for language, notice in shown.items():
            plan = runtime.plans.of(original.occurrence, language)
            rendered = render_problems(
                runtime.env, notice, runtime.settings, notice.fire_at, False, plan, language
            )
            where = notice.id if language == default else f"{notice.id}, in {language}"
            for problem in rendered:
                key: tuple[object, ...] = (problem.file, problem.line, problem.expected)
                if key not in found:
                    found[key] = problem._replace(expected=f"{problem.expected} (notice {where})")
            # The attachment as delivery builds it: in this language, with its texts.
            try:
                notice_ics(notice, runtime.settings, language)
            except Exception as exc:  # a library refusing a value: reported, never a traceback
                calendar = notice.occurrence.calendar
                observance = notice.occurrence.observance
                what = f"observance {observance.id!r}" if observance else "the occurrence"
                why = " ".join(f"{type(exc).__name__}: {exc}".split())[:200]
                key = (calendar.source, what, type(exc).__name__)
                if key not in found:
                    expected = f"an ICS attachment that can be built for notice {where} ({why})"
                    found[key] = Problem(calendar.source, what, None, expected)
    return list(found.values())


def _checked_plan(runtime: Runtime, now: datetime) -> dict[str, list[Notice]]:
    """The notices of the horizon, the soonest rendered as when sent (InvalidInput if not)."""
    plan = planned(runtime, now)
    soonest = (n for when in sorted(plan) for n in plan[when])
    problems = notice_problems(runtime, islice(soonest, RENDERED))
    if problems:
        until = (now + runtime.settings.daemon.horizon).astimezone(UTC)
        raise InvalidInput(problems, f"notices planned until {until:%Y-%m-%d %H:%M} UTC")
    return plan


def build_org(
    base: Runtime, org_id: str, path: str, now: datetime, environ: Mapping[str, str]
) -> OrgVersion:
    """One organisation's version over config.toml's ``base``: loaded, checked and planned, or
    the problems of its files (never raised: one organisation's problems stop no other)."""
    from ..config.organisations import load_organisation, org_stamp

    stamp = org_stamp(org_id, path)
    runtime: Runtime | None = None
    try:
        org = load_organisation(base.settings, org_id, path)
        runtime = org_runtime(org, base, now.date(), environ, stamp)
        return OrgVersion(org_id, stamp, runtime, _checked_plan(runtime, now), "")
    except ReminderError as exc:
        message = exc.message()
    except Exception as exc:  # a failure no check foresaw: still named, still this one's alone
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        message = f"{path}: organisation {org_id} cannot be built: {why}"
    if runtime is not None:
        close_channels(runtime.channels)
    return OrgVersion(org_id, stamp, None, {}, message)


def build_orgs(
    base: Runtime,
    folder: str,
    now: datetime,
    environ: Mapping[str, str],
    unchanged: Callable[[str, tuple[Stat, ...]], bool] | None = None,
) -> Orgs:
    """Every organisation of ``folder`` over config.toml's ``base``, or only those for which
    ``unchanged(id, stamp)`` is false (their files changed since they were read)."""
    from ..config.organisations import org_stamp, organisation_files

    files, problems = organisation_files(folder)
    read = tuple(
        build_org(base, org_id, path, now, environ)
        for org_id, path in files
        if unchanged is None or not unchanged(org_id, org_stamp(org_id, path))
    )
    return Orgs(tuple(i for i, _ in files), read, tuple(str(p) for p in problems))


def build_version(
    config_path: str,
    now: datetime,
    environ: Mapping[str, str],
    feeds: FeedBuilder | None = None,
) -> Version:
    """Load, check and build everything a version is made of; raise ReminderError naming the
    file on the first part that fails (no channel of a failed version is left open).

    A config that names organisations: config.toml's part is all or nothing as above, and each
    organisation is read on its own (``Version.orgs``; one's problems stop no other)."""
    from ..config.organisations import folder_of

    folder = folder_of(config_path)
    runtime = load_runtime(config_path, now.date(), environ, sends=folder is None)
    orgs: Orgs | None = None
    try:
        if folder is None:
            plan = _checked_plan(runtime, now)
        else:
            plan, orgs = {}, build_orgs(runtime, folder, now, environ)
        if feeds is None:
            return Version(runtime, plan, None, orgs=orgs)
        built, pages, stamp = feeds(Loaded(runtime.settings, runtime.calendars))
        return Version(runtime, plan, built, stamp, pages, orgs)
    except ReminderError:
        close_version(runtime, orgs)
        raise
    except Exception as exc:  # a failure no check foresaw: still named, still all or nothing
        close_version(runtime, orgs)
        why = " ".join(f"{type(exc).__name__}: {exc}".split())[:300]
        message = f"{runtime.settings.source}: the new version cannot be built: {why}"
        raise ReloadError(message) from exc


def close_version(runtime: Runtime, orgs: Orgs | None) -> None:
    """Close the channels of a version not used."""
    close_channels(runtime.channels)
    for org in orgs.read if orgs is not None else ():
        if org.runtime is not None:
            close_channels(org.runtime.channels)
