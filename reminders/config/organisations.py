"""Many organisations in one deployment: ``organisations/ID.toml``, each over ``config.toml``.

``config.toml``'s ``[paths] organisations`` names a folder; every ``*.toml`` in it is one
organisation, its id the file's name (``islamabad.toml`` is ``islamabad``). Without that key the
config is the one-organisation case and nothing here is used.

An organisation's file holds what is its own; everything else comes from ``config.toml``, which
keeps the defaults and the shared remembrance calendars once:

* ``[organisation]``: any key of config.toml's table (name, time zone, host country, weekend,
  language and languages, uid_domain); a key not given is config.toml's. Giving ``language``
  without ``languages`` makes ``languages`` that one language.
* ``[paths] calendars``: its own calendar folder (planned events, private calendars), relative to
  its file, read beside the shared calendars (a calendar id must not be in both).
* ``[feed]``: ``name``, ``description``, ``include_examples``, ``tokens_env`` and ``tokens_file``
  (its private calendars' tokens); the rest of the feed (where it listens) is the deployment's.
* ``[plan]``: any key, over config.toml's.
* ``[[channel]]``, ``[[notice]]``, ``[[milestone]]``: each added to config.toml's, or replacing
  the one of config.toml with the same id.
* ``[[holiday]]``: its own closures, added to config.toml's.
* ``[[event]]``: its planned events, linked to the shared calendars' observances.

What a file names stays its own (:func:`_confined`): the environment variables of its secrets
start with ``REMINDERS_<ID>_``, and its calendar folder and tokens file are inside
``organisations/ID/``. Its texts are data, never templates: the templates are the deployment's
and render in the sandbox (config/templates.py) with the organisation's own settings alone.

Each file is checked on its own: a problem names the organisation's file and line, and one
organisation's broken file does not stop the others (:func:`load_organisations` returns its
problems beside the others' settings).
"""

from __future__ import annotations

import os
import re
from datetime import date
from typing import TYPE_CHECKING, Any, NamedTuple

from ..core.errors import MISSING, CalendarError, ConfigError, Problem, ReminderError
from ..core.model import Calendar
from ..core.settings import Loaded, Settings
from . import config_file as cf
from .calendars import EVENT_FIELDS
from .closures import load_closures
from .resources import may_name_organisations, shown_path
from .schema import Checker, Field, folder, ident, read_toml

if TYPE_CHECKING:
    from .sources import Stat

ORG_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")
ORG_ID_EXPECTED = "a file name of lower-case letters, digits and hyphens, such as 'islamabad.toml'"

# The [feed] keys an organisation may set; the others are the deployment's.
ORG_FEED_KEYS = (
    "name", "description", "include_examples", "tokens_env", "tokens_file", "translations"
)  # fmt: skip
ORG_PATHS_FIELDS = (
    Field("calendars", folder, None, "its own calendar folder, beside the shared ones"),
)
ORG_TOP_FIELDS = (
    Field("organisation", cf._section, None),
    Field("paths", cf._section, None),
    Field("feed", cf._section, None),
    Field("plan", cf._section, None),
    Field("channel", cf._section, None),
    Field("notice", cf._section, None),
    Field("milestone", cf._section, None),
    Field("holiday", cf._section, None),
    Field("event", cf._section, None),
)


class Organisation(NamedTuple):
    """One organisation of a deployment: its id, its file, and its settings (config.toml's
    defaults with its own file over them), or the problems of its file."""

    id: str
    path: str  # its file, absolute
    settings: Settings | None  # None when its file has problems
    calendars_dir: str  # its own calendar folder ("" for none)
    problems: tuple[Problem, ...]
    source: str = ""  # its file's text (for the lines of its [[event]] tables' problems)
    events: object = None  # its [[event]] tables, as read (checked with the shared calendars)


def folder_of(config_path: str) -> str | None:
    """The organisations folder a config names (absolute), None for the one-organisation case.
    Read from the config file itself, which must be valid."""
    if not may_name_organisations(config_path):
        return None
    document, _, _ = read_toml(config_path, shown_path(config_path))
    paths = document.get("paths") if isinstance(document, dict) else None
    value = paths.get("organisations") if isinstance(paths, dict) else None
    if not isinstance(value, str) or not value:
        return None
    return os.path.join(os.path.dirname(os.path.abspath(config_path)), value)


def organisation_files(folder: str) -> tuple[list[tuple[str, str]], list[Problem]]:
    """The (id, path) of every ``*.toml`` in ``folder``, sorted by id, and the problems of names
    that are no organisation id."""
    where = shown_path(folder)
    try:
        names = sorted(os.listdir(folder))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return [], [Problem(where, "", None, f"a readable folder of organisations ({reason})")]
    found: list[tuple[str, str]] = []
    problems: list[Problem] = []
    for name in names:
        if not name.endswith(".toml"):
            continue
        stem = name[: -len(".toml")]
        path = os.path.join(folder, name)
        if not ORG_ID.fullmatch(stem):
            problems.append(Problem(shown_path(path), "", stem, ORG_ID_EXPECTED))
            continue
        found.append((stem, path))
    if not found and not problems:
        problems.append(Problem(where, "", None, "at least one organisation file (*.toml)"))
    return found, problems


def _with_defaults(
    fields: tuple[Field, ...], base: Any, keys: tuple[str, ...] = ()
) -> tuple[Field, ...]:
    """``fields`` (or those named in ``keys``) with config.toml's validated values as defaults."""
    return tuple(
        Field(f.name, f.parse, getattr(base, f.name), f.help)
        for f in fields
        if not keys or f.name in keys
    )


def _merged(base: tuple[Any, ...], own: tuple[Any, ...]) -> tuple[Any, ...]:
    """config.toml's records with the organisation's: one with the same id replaces it."""
    mine = {item.id: item for item in own}
    kept = tuple(mine.pop(item.id, item) for item in base)
    return kept + tuple(item for item in own if item.id in mine)


def load_organisation(base: Settings, org_id: str, path: str) -> Organisation:
    """One organisation's file over config.toml's settings ``base``."""
    shown = shown_path(path)
    document, source, problems = read_toml(path, shown)
    if document is None:
        return Organisation(org_id, os.path.abspath(path), None, "", tuple(problems))
    check = Checker(shown, source)
    check.table(document, ORG_TOP_FIELDS, ())
    raw_org = document.get("organisation", {})
    org = check.table(
        raw_org, _with_defaults(cf.ORGANISATION_FIELDS, base.organisation), ("organisation",)
    )
    if org is not None:
        if isinstance(raw_org, dict) and "language" in raw_org and "languages" not in raw_org:
            org["languages"] = ()
        org = cf._languages(check, org)
        if org is not None:
            org["translations"] = cf.config_translations(check, org, document, "organisation")
    paths = check.table(document.get("paths", {}), ORG_PATHS_FIELDS, ("paths",))
    feed = check.table(
        document.get("feed", {}),
        _with_defaults(cf.FEED_FIELDS, base.feed, ORG_FEED_KEYS),
        ("feed",),
    )
    if feed is not None:
        feed["translations"] = cf.config_translations(check, feed, document, "feed")
    plan = check.table(
        document.get("plan", {}), _with_defaults(cf.PLAN_FIELDS, base.plan), ("plan",)
    )
    folder = os.path.dirname(os.path.abspath(path))
    own_channels = cf._channels(check, document.get("channel"), cf._state_base(base.config_path))
    channels = _merged(base.channels, own_channels)
    channel_ids = {c.id for c in channels}
    notices = _merged(base.notices, cf._notices(check, document.get("notice"), channel_ids))
    own = org["language"] if org is not None else base.organisation.language
    milestones = _merged(
        base.milestones, cf._milestones(check, document.get("milestone"), channel_ids, own)
    )
    closures = base.closures + load_closures(check, document.get("holiday"))
    if org is not None:
        cf._named_languages(check, org["languages"], document, channels, notices, milestones)
    _confined(check, org_id, folder, document, paths, feed)
    if check.problems or org is None or paths is None or feed is None or plan is None:
        return Organisation(org_id, os.path.abspath(path), None, "", tuple(check.problems))
    feed_values = {
        **feed,
        "tokens_file": cf._file_path(folder, feed["tokens_file"])
        if feed["tokens_file"] != base.feed.tokens_file
        else base.feed.tokens_file,
    }
    settings = base._replace(
        source=shown,
        organisation=base.organisation._replace(**org),
        feed=base.feed._replace(**feed_values),
        plan=base.plan._replace(**plan),
        channels=channels,
        notices=notices,
        milestones=milestones,
        closures=closures,
    )
    own = os.path.join(folder, paths["calendars"]) if paths["calendars"] else ""
    return Organisation(
        org_id, os.path.abspath(path), settings, own, (), source, document.get("event")
    )


def org_stamp(org_id: str, path: str) -> tuple[Stat, ...]:
    """Path and stat data of an organisation's own inputs: its file and everything in its own
    folder ``organisations/ID/`` (its calendars and tokens are confined there): any edit of
    them changes it, and an edit of another organisation's does not."""
    from .cache import file_stats, tree_stats

    own = os.path.join(os.path.dirname(os.path.abspath(path)), org_id)
    return file_stats([os.path.abspath(path)]) + tree_stats(own)


def env_prefix(org_id: str) -> str:
    """The environment variables an organisation's file may name: ``REMINDERS_ISLAMABAD_...``."""
    return "REMINDERS_" + org_id.upper().replace("-", "_") + "_"


def _confined(
    check: Checker,
    org_id: str,
    folder: str,
    document: dict[str, Any],
    paths: dict[str, Any] | None,
    feed: dict[str, Any] | None,
) -> None:
    """What an organisation's file names stays its own: the environment variables of its secrets
    (channel passwords, chat URLs, feed tokens) start with :func:`env_prefix`, and its files
    (its calendar folder, its tokens file) are inside its own folder ``organisations/ID/``; so no
    organisation's administrator can name another's secret, token or private calendar."""
    prefix = env_prefix(org_id)
    named: list[tuple[tuple[str | int, ...], object]] = []
    for index, table in enumerate(document.get("channel") or ()):
        if isinstance(table, dict):
            named += [(("channel", index, k), v) for k, v in table.items() if k.endswith("_env")]
    raw_feed = document.get("feed")
    if isinstance(raw_feed, dict) and "tokens_env" in raw_feed:
        named.append((("feed", "tokens_env"), raw_feed["tokens_env"]))
    for where, value in named:
        if isinstance(value, str) and value and not value.startswith(prefix):
            check.add(where, value, f"an environment variable of this organisation's: {prefix}...")
    own = os.path.join(folder, org_id)
    files = []
    if paths is not None and paths["calendars"]:
        files.append((("paths", "calendars"), paths["calendars"]))
    if feed is not None and isinstance(raw_feed, dict) and raw_feed.get("tokens_file"):
        files.append((("feed", "tokens_file"), raw_feed["tokens_file"]))
    for where, value in files:
        full = os.path.realpath(os.path.join(folder, value))
        if full != os.path.realpath(own) and not full.startswith(os.path.realpath(own) + os.sep):
            check.add(where, value, f"a path inside this organisation's folder ({org_id}/...)")


def load_organisations(
    config_path: str, folder: str | None = None
) -> tuple[Settings, tuple[Organisation, ...], list[Problem]]:
    """config.toml's settings (ConfigError when it has problems), every organisation of its
    folder (each with its settings or its problems), and the folder's own problems.
    ``folder``: the config's folder of organisations, when the caller has read it already."""
    base = cf.load_config(config_path)
    folder = folder or folder_of(config_path)
    if folder is None:
        return base, (), []
    files, problems = organisation_files(folder)
    return base, tuple(load_organisation(base, oid, path) for oid, path in files), problems


def loaded_organisation(org: Organisation, shared: tuple[Calendar, ...], today: date) -> Loaded:
    """An organisation's settings with the shared calendars and its own (CalendarError, or
    ConfigError for a broken file)."""
    from .calendars import load_calendars

    if org.settings is None:
        raise ConfigError(list(org.problems))
    if org.events is not None:
        shared = planned_events(org, shared)
    own: tuple[Calendar, ...] = ()
    if org.calendars_dir:
        own = load_calendars(org.calendars_dir, today)
        clash = {c.id for c in shared} & {c.id for c in own}
        if clash:
            raise CalendarError(
                [
                    Problem(
                        next(c.source for c in own if c.id == cid),
                        "calendar.id",
                        cid,
                        "an id not used by a shared calendar (config.toml's calendars folder)",
                    )
                    for cid in sorted(clash)
                ]
            )
    return Loaded(org.settings, tuple(sorted(shared + own, key=lambda c: c.id)))


# An organisation's planned event: a calendar's [[event]] table, with the shared calendar it
# belongs to (the observance it is linked to is that calendar's).
ORG_EVENT_FIELDS = (
    *(f for f in EVENT_FIELDS),
    Field("calendar", ident, None, "the id of the shared calendar of its observance"),
)


def planned_events(org: Organisation, shared: tuple[Calendar, ...]) -> tuple[Calendar, ...]:
    """The shared calendars with the organisation's ``[[event]]`` tables added to theirs (for
    this organisation alone), or ConfigError naming its file's lines."""
    from .calendars import _claim_id, _event

    check = Checker(shown_path(org.path), org.source)
    by_id = {c.id: c for c in shared}
    added: dict[str, list[Any]] = {}
    claimed: dict[str, dict[str, tuple[str | int, ...]]] = {}
    for index, values, raw in check.tables(org.events, ORG_EVENT_FIELDS, ("event",)):
        if values is None:
            continue
        calendar_id = values.pop("calendar")
        if calendar_id is None and len(shared) == 1:
            calendar_id = shared[0].id
        target = by_id.get(calendar_id) if calendar_id is not None else None
        if target is None:
            check.add(
                ("event", index, "calendar"),
                MISSING if calendar_id is None else calendar_id,
                "the id of a shared calendar (" + ", ".join(sorted(by_id)) + ")",
            )
            continue
        ids = claimed.setdefault(
            target.id,
            {i: (f"the shared calendar {target.id}",) for i in (*(o.id for o in target.observances),
                                      *(e.id for e in target.events))},
        )  # fmt: skip
        observance_ids = {o.id for o in target.observances}
        event = _event(check, index, values, raw, target.timezone, observance_ids, target.language)
        _claim_id(check, ids, raw.get("id"), ("event", index, "id"))
        if event is not None:
            added.setdefault(target.id, []).append(event)
    if check.problems:
        raise ConfigError(check.problems)
    return tuple(
        c._replace(events=c.events + tuple(added[c.id])) if c.id in added else c for c in shared
    )


class Loading(NamedTuple):
    """One organisation as the commands see it: loaded with the calendars, or its problems."""

    org: Organisation
    loaded: Loaded | None
    problems: tuple[Problem, ...]


def load_each(
    config_path: str, today: date
) -> tuple[Settings, tuple[Calendar, ...], tuple[Loading, ...], list[Problem]] | None:
    """config.toml's settings, the shared calendars (read once), every organisation loaded with
    them or with its problems, and the folder's own problems; None for a config that names no
    organisations. ConfigError or CalendarError when config.toml or a shared calendar is bad."""
    from .calendars import load_calendars

    folder = folder_of(config_path)
    if folder is None:
        return None
    base, orgs, problems = load_organisations(config_path, folder)
    shared = load_calendars(base.calendars_dir, today)
    each = []
    for org in orgs:
        try:
            each.append(Loading(org, loaded_organisation(org, shared, today), ()))
        except ReminderError as exc:
            each.append(Loading(org, None, problems_of(exc, org.path)))
    return base, shared, tuple(each), problems


def problems_of(exc: ReminderError, path: str) -> tuple[Problem, ...]:
    """An organisation's error as its problems: the ones it lists, or its message under the
    organisation's file."""
    found = getattr(exc, "problems", None)
    return tuple(found) if found else (Problem(path, "", None, exc.message()),)


def find(config_path: str, org_id: str, today: date) -> Loaded:
    """The organisation ``org_id`` of a deployment, loaded (for ``--org ID``): its file alone
    is read and checked, the others' only listed when there is no such file."""
    from .calendars import load_calendars

    base = cf.load_config(config_path)
    folder = folder_of(config_path)
    if folder is None:
        raise ConfigError(
            [
                Problem(
                    shown_path(config_path),
                    "paths.organisations",
                    MISSING,
                    f"a folder of organisations, for --org {org_id}",
                )
            ]
        )
    files, _ = organisation_files(folder)
    for found_id, path in files:
        if found_id == org_id:
            org = load_organisation(base, org_id, path)
            return loaded_organisation(org, load_calendars(base.calendars_dir, today), today)
    known = ", ".join(i for i, _ in files) or "none"
    raise ConfigError(
        [Problem(shown_path(config_path), "--org", org_id, f"the id of an organisation ({known})")]
    )
