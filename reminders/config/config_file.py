"""The settings schema and loader (``config.toml``).

Every setting has its name, default, parser and help text in one place, declared once: the
``Field`` tuples below.  They build the records of core/settings.py, which have no defaults of
their own (core may not import config, where the parsers live); each table's names are the
record's fields, in order (a renamed key is listed in ``RECORD_NAMES``), which
tests/test_settings_table.py checks.  ``load_config`` reports every problem with its key path,
for example ``config.toml:12: feed.future_years: got 500; expected a whole number from 0 to 100``.
Secrets never live here: later sections name environment variables instead.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from ..core.errors import ConfigError, Problem
from ..core.model import WEEKDAYS
from ..core.settings import (
    ChannelConfig,
    Daemon,
    Feed,
    Ledger,
    MilestoneRule,
    NoticeRule,
    Organisation,
    Plan,
    Settings,
    links_for,
)
from .closures import load_closures
from .language_tag import language_tag
from .resources import ENV_CONFIG, PACKAGE, bundled, shown_path, state_folder
from .schema import (
    Checker,
    Field,
    Invalid,
    boolean,
    duration,
    duration_within,
    env_name,
    folder,
    ident,
    integer,
    is_one_line,
    list_of,
    local_time,
    matching,
    one_of,
    optional_env_name,
    optional_file,
    optional_text,
    read_toml,
    text,
    timezone_name,
)

country_code = matching(r"[A-Z]{2}", "an ISO 3166-1 alpha-2 country code in capitals, such as 'PK'")


def translations_field(help_text: str) -> Field:
    """``translations``, read as a calendar's are (config/calendars.py ``translations``, by
    :func:`config_translations` and the milestones' reader): the table as it is here."""
    return Field("translations", lambda value: value, (), help_text)


def weekday(value: Any) -> str:
    if value not in WEEKDAYS:
        raise Invalid("a weekday name: " + ", ".join(WEEKDAYS))
    return str(value)


domain = matching(
    r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}",
    "a lower-case domain name you control, such as 'embassy.example.org'",
)


def listen_address(value: Any) -> str:
    match = (
        re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})", value)
        if isinstance(value, str)
        else None
    )
    if not match or not 0 <= int(match.group(2)) < 65536:
        raise Invalid("HOST:PORT, such as '127.0.0.1:8080' (port 0: any free port)")
    return str(value)


def base_url(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value)
        or not is_one_line(value)
    ):
        raise Invalid("an http:// or https:// URL without query, such as 'https://example.org'")
    return value.rstrip("/")


ORGANISATION_FIELDS = (
    Field("name", text, help="your organisation's name"),
    Field("timezone", timezone_name, help="your organisation's IANA time zone"),
    Field("country", country_code, "PK", "host country for public holidays"),
    Field("weekend", list_of(weekday, "weekday names"), ("Saturday", "Sunday"), "weekend days"),
    Field("language", language_tag, "en", "the language of notices, pages and plans"),
    Field("uid_domain", domain, help="a domain you control; it makes event UIDs unique"),
    Field(
        "languages",
        list_of(language_tag, "language tags such as ['en', 'ur']"),
        (),
        "every language outputs are written in (default: [language])",
    ),
    translations_field(
        "its name in other languages: [organisation.translations.ur] with name, translator"
    ),
)
# A channel's, notice rule's or milestone's language: one of the organisation's languages.
LANGUAGE_FIELD = Field(
    "language", language_tag, "", "the language it is written in (default: the organisation's)"
)
PATHS_FIELDS = (
    Field("calendars", folder, None, "calendar folder; default: the bundled calendars"),
    Field("templates", folder, None, "template folder; default: the bundled templates"),
    Field("organisations", folder, None, "folder of organisation files; default: one organisation"),
)
# Bounds of every duration: each is added to dates or times, and these keep every result within
# the years the program computes (and the retry waits, doubled per attempt, within reach).
DAY, YEAR = timedelta(days=1), timedelta(days=366)
REFRESH = duration_within(YEAR, "PT12H")
HEAD_TIMEOUT = duration_within(timedelta(minutes=5), "PT10S")  # reminders/web/guard.py
FEED_FIELDS = (
    Field("name", text, "Remembrance days", "name of the combined calendar"),
    Field("description", optional_text, "Remembrance days and the events planned around them"),
    Field("listen", listen_address, "127.0.0.1:8080", "where the feed listens"),
    Field("base_url", base_url, None, "the public URL of the feed; default: http://LISTEN"),
    Field("past_years", integer(0, 100), 1, "years before this one in the feed"),
    Field("future_years", integer(0, 100), 5, "years after this one in the feed"),
    Field("refresh_interval", REFRESH, timedelta(days=1), "how often clients refresh"),
    Field("include_examples", boolean, False, "include events marked example = true"),
    Field("tokens_env", env_name, "REMINDERS_FEED_TOKENS", "variable with private-feed tokens"),
    Field("tokens_file", optional_file, "", "file with private-feed tokens (optional)"),
    Field("head_timeout", HEAD_TIMEOUT, timedelta(seconds=10), "time a client has for a request"),
    translations_field("its name and description in other languages: [feed.translations.ur]"),
)


def lead_days(value: Any) -> int:
    """A lead time in whole days: 30, or an ISO 8601 duration of days or weeks ('P30D', 'P1W')."""
    expected = "a lead time in whole days: a number such as 30, or 'P30D' or 'P1W'"
    if isinstance(value, bool):
        raise Invalid(expected)
    if isinstance(value, int):
        days = value
    else:
        try:
            span = duration(value)
        except Invalid:
            raise Invalid(expected) from None
        if span.seconds or span.microseconds:
            raise Invalid(expected + " (notices go out at the rule's time of day, set with 'at')")
        days = span.days
    if not 0 <= days <= 3660:
        raise Invalid(expected + ", from 0 to 3660 days")
    return days


def template_name(value: Any) -> str:
    try:
        return ident(value)
    except Invalid:
        raise Invalid(
            "a template name of lower-case letters, digits and hyphens, such as 'planning' "
            "(for templates/notices/planning.subject.txt, .txt and .html)"
        ) from None


def ledger_url(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"(sqlite|postgresql)(\+[a-z0-9]+)?://.*", value)
        or not is_one_line(value)
    ):
        raise Invalid(
            "a SQLAlchemy database URL for SQLite or PostgreSQL, such as "
            "'sqlite:///var/ledger.sqlite3' or 'postgresql://user@host/dbname'"
        )
    return value


ids = list_of(ident, "ids such as 'january-20'")

NOTICE_FIELDS = (
    Field("id", ident, help="the rule's id, such as 'plan-30'; part of every notice id"),
    Field("before", lead_days, help="how many days before the date: 30, 'P30D' or 'P1W'"),
    Field("at", local_time, local_time("09:00"), "local send time in your time zone"),
    Field("template", template_name, help="the template name under templates/notices/"),
    Field("channels", ids, help="ids of [[channel]] entries to send through"),
    Field("observances", ids, (), "only these observance ids (default: all)"),
    Field("tags", ids, (), "only observances with one of these tags (default: any)"),
    Field(
        "weekend",
        one_of("keep", "previous-working-day"),
        "keep",
        "what a send day on a weekend does",
    ),
    Field("description", optional_text, "", "what the notice is for"),
    LANGUAGE_FIELD,
)
# A key whose record field has another name: [[notice]] before is NoticeRule.days_before.
RECORD_NAMES = {"before": "days_before"}
PLAN_FIELDS = (
    Field(
        "conflict_days",
        integer(0, 60),
        3,
        "other observances within this many days are a conflict",
    ),
    Field(
        "move",
        one_of("nearest", "before", "after", "never"),
        "nearest",
        "where the event moves when the day is not a working day",
    ),
    Field("ramadan", boolean, True, "mark Ramadan and the two Eids as conflicts"),
)
MILESTONE_FIELDS = (
    Field("id", ident, help="the milestone's id, such as 'book-venue'; part of its ICS UID"),
    Field("name", text, help="what is to be done, such as 'Book the venue'"),
    Field("working_days", integer(0, 250), help="working days between it and the event"),
    Field("when", one_of("before", "after"), "before", "before or after the event"),
    Field("observances", ids, (), "only these observance ids (default: all)"),
    Field("tags", ids, (), "only observances with one of these tags (default: any)"),
    Field("channels", ids, (), "ids of [[channel]] entries its notice goes to (default: none)"),
    Field(
        "notice_before",
        integer(0, 250),
        0,
        "working days between its notice and its date (0: on the date)",
    ),
    Field("at", local_time, local_time("09:00"), "local send time of its notice"),
    Field("template", template_name, "milestone", "its notice's template under templates/notices/"),
    LANGUAGE_FIELD,
    translations_field(
        "its name in other languages: [milestone.translations.ur] with name, translator, reviewed"
    ),
)
# The [[milestone]] keys that only its notice uses (meaningless without channels).
NOTICE_ONLY = ("notice_before", "at", "template")
LEDGER_FIELDS = (
    Field("url", ledger_url, "sqlite:///var/ledger.sqlite3", "the delivery ledger's database"),
    Field("url_env", optional_env_name, "", "environment variable that overrides url when set"),
)
DAEMON_FIELDS = (
    Field(
        "grace",
        duration_within(YEAR, "PT12H", zero=True),
        timedelta(hours=12),
        "how late a missed notice goes",
    ),
    Field(
        "lease",
        duration_within(DAY, "PT5M"),
        timedelta(minutes=5),
        "when an unfinished claim expires",
    ),
    Field("retry_limit", integer(1, 100), 5, "attempts before a delivery fails for good"),
    Field(
        "retry_backoff", duration_within(DAY, "PT30S"), timedelta(seconds=30), "first retry delay"
    ),
    Field(
        "horizon",
        duration_within(YEAR, "P14D"),
        timedelta(days=14),
        "how far ahead jobs are scheduled",
    ),
    Field(
        "watch_interval",
        duration_within(DAY, "PT2S", zero=True),
        timedelta(seconds=2),
        "file check interval",
    ),
    Field("workers", integer(1, 64), 4, "deliveries sent at the same time"),
    Field("serve_feed", boolean, True, "serve the feed and page inside the daemon"),
)


def _section(value: Any) -> Any:
    return value


TOP_FIELDS = (
    Field("organisation", _section, help="an [organisation] table"),
    Field("paths", _section, None),
    Field("feed", _section, None),
    Field("ledger", _section, None),
    Field("daemon", _section, None),
    Field("notice", _section, None),
    Field("plan", _section, None),
    Field("milestone", _section, None),
    Field("channel", _section, None),
    Field("holiday", _section, None),
)


def _not_a_file(path: str | os.PathLike[str], shown: str) -> Problem:
    """What is wrong with a config path that is no file: a folder, or nothing at all.

    A folder is refused rather than searched for a config.toml: the config is one file, named by
    --config PATH or $REMINDERS_CONFIG, and the daemon watches that file for changes.
    """
    if os.path.isdir(path):
        folder = os.path.abspath(path)  # "." alone would say nothing
        inside = os.path.join(folder, "config.toml")
        hint = f", such as {inside}" if os.path.isfile(inside) else " (TOML)"
        return Problem(folder, "", None, f"is a folder; expected a config file{hint}")
    return Problem(
        shown, "", None, f"no such file; expected a config file (--config PATH or ${ENV_CONFIG})"
    )


def load_config(path: str | os.PathLike[str]) -> Settings:
    """Parse and validate ``path``; ConfigError lists every problem."""
    shown = shown_path(path)
    if not os.path.isfile(path):
        raise ConfigError([_not_a_file(path, shown)])
    document, source, problems = read_toml(path, shown)
    if document is None:
        raise ConfigError(problems)
    check = Checker(shown, source)
    # An unknown or missing top-level key is reported, and the known tables are still checked.
    check.table(document, TOP_FIELDS, ())
    org = None
    if "organisation" in document:
        org = check.table(document["organisation"], ORGANISATION_FIELDS, ("organisation",))
    if org is not None and len(set(org["weekend"])) >= 7:
        # The plan and the notices count working days; a week of weekend has none (and the
        # feed server builds this year's plan at its start).
        check.add(
            ("organisation", "weekend"),
            list(org["weekend"]),
            "at most six weekend days (the plan counts working days)",
        )
        org = None
    if org is not None:
        org = _languages(check, org)
    if org is not None:
        org["translations"] = config_translations(check, org, document, "organisation")
    paths = check.table(document.get("paths", {}), PATHS_FIELDS, ("paths",))
    feed = check.table(document.get("feed", {}), FEED_FIELDS, ("feed",))
    if feed is not None:
        feed["translations"] = config_translations(check, feed, document, "feed")
    ledger = check.table(document.get("ledger", {}), LEDGER_FIELDS, ("ledger",))
    daemon = check.table(document.get("daemon", {}), DAEMON_FIELDS, ("daemon",))
    base = os.path.dirname(os.path.abspath(path))
    state = _state_base(path)
    channels = _channels(check, document.get("channel"), state)
    notices = _notices(check, document.get("notice"), {c.id for c in channels})
    plan = check.table(document.get("plan", {}), PLAN_FIELDS, ("plan",))
    milestones = _milestones(
        check,
        document.get("milestone"),
        {c.id for c in channels},
        org["language"] if org is not None else "",
    )
    closures = load_closures(check, document.get("holiday"))
    if org is not None:
        _named_languages(check, org["languages"], document, channels, notices, milestones)
    if check.problems or org is None or paths is None or feed is None:
        raise ConfigError(check.problems)
    assert ledger is not None
    assert daemon is not None
    assert plan is not None
    return Settings(
        source=shown,
        organisation=Organisation(**org),
        feed=_feed(feed, base),
        calendars_dir=_folder(base, paths["calendars"], "calendars"),
        templates_dir=_folder(base, paths["templates"], "templates"),
        notices=notices,
        channels=channels,
        ledger=Ledger(_sqlite_absolute(ledger["url"], state), ledger["url_env"]),
        daemon=Daemon(**daemon),
        plan=Plan(**plan),
        milestones=milestones,
        closures=closures,
        config_path=os.path.abspath(path),
    )


# The texts of [organisation] and [feed] that a translation gives (config/calendars.py).
CONFIG_TEXTS = {"organisation": ("name",), "feed": ("name", "description")}


def config_translations(
    check: Checker, values: dict[str, Any], document: dict[str, Any], table: str
) -> tuple[Any, ...]:
    """The ``translations`` of ``[organisation]`` or ``[feed]`` (``table``), as a calendar's
    are written (``[feed.translations.ur]`` with name, description, translator, reviewed).

    In an organisation's file (config/organisations.py), a table that gives none keeps
    config.toml's, unless it writes its own texts: translations of another name do not fit."""
    raw = document.get(table, {})
    given = values["translations"]
    if not isinstance(raw, dict) or "translations" not in raw:
        if isinstance(raw, dict) and any(key in raw for key in CONFIG_TEXTS[table]):
            return ()
        return given if isinstance(given, tuple) else ()
    from .calendars import translations

    return translations(check, given or None, table, (table,), "")


def _languages(check: Checker, org: dict[str, Any]) -> dict[str, Any] | None:
    """``languages`` with the default ``language`` first: it is always one of them, listed or
    not (``[language]`` when ``languages`` is not given)."""
    given = tuple(dict.fromkeys(org["languages"]))
    return {**org, "languages": (org["language"], *(x for x in given if x != org["language"]))}


def _named_languages(
    check: Checker,
    languages: tuple[str, ...],
    document: dict[str, Any],
    channels: tuple[ChannelConfig, ...],
    notices: tuple[NoticeRule, ...],
    milestones: tuple[MilestoneRule, ...],
) -> None:
    """A channel, notice rule or milestone writes in one of the organisation's languages.

    Each is reported at its table in ``document``; one that is not there (an organisation's file
    keeps config.toml's entries: config/organisations.py) at ``organisation.languages``."""
    expected = (
        "one of the organisation's languages (organisation.languages: " + ", ".join(languages) + ")"
    )
    named: tuple[tuple[str, tuple[ChannelConfig | NoticeRule | MilestoneRule, ...]], ...] = (
        ("channel", channels),
        ("notice", notices),
        ("milestone", milestones),
    )
    for table, items in named:
        # Each by its index in the file (an entry refused for another key is not in items).
        # An id that is not a string was refused already (and may be unhashable: a list).
        where = {
            t["id"]: i
            for i, t in enumerate(document.get(table) or ())
            if type(t) is dict and type(t.get("id")) is str
        }
        for item in items:
            if item.language and item.language not in languages:
                index = where.get(item.id)
                at = ("organisation", "languages") if index is None else (table, index, "language")
                check.add(at, item.language, expected)


def _feed(values: dict[str, Any], base: str) -> Feed:
    """The [feed] table; without base_url, the links follow listen (settings.links_for)."""
    given = values["base_url"] is not None
    return Feed(
        **{
            **values,
            "base_url": values["base_url"] if given else links_for(values["listen"]),
            "base_url_given": given,
            "tokens_file": _file_path(base, values["tokens_file"]),
        }
    )


def _file_path(base: str, value: str) -> str:
    """A file named in the config, relative to the config's folder ("" stays "")."""
    return os.path.join(base, value) if value else ""


def _state_base(path: str | os.PathLike[str]) -> str:
    """Where relative state paths (outbox, SQLite ledger) point: the config's folder.

    The bundled config inside an installed package (a wheel) is the exception: its state goes
    in the per-user state folder (resources.state_folder), never into site-packages, and the
    same one whichever folder a command runs from.  In a source checkout or an editable
    install the bundled config.toml is the checkout's own, and its state stays beside it.
    """
    config_dir = os.path.dirname(os.path.realpath(path))
    packaged = os.path.join(PACKAGE, "_data")
    return state_folder() if config_dir == packaged else os.path.dirname(os.path.abspath(path))


def _sqlite_absolute(url: str, base: str) -> str:
    """'sqlite:///var/ledger.sqlite3' relative to ``base``; other URLs unchanged."""
    match = re.fullmatch(r"(sqlite(?:\+[a-z0-9]+)?:///)([^/].*)", url)
    if match and not match.group(2).startswith(":memory:"):
        return match.group(1) + os.path.join(base, match.group(2))
    return url


def _channels(check: Checker, raw: Any, state: str) -> tuple[ChannelConfig, ...]:
    from .channel_options import CHANNEL_FIELDS, TYPES, resolve_paths

    out: list[ChannelConfig] = []
    seen: set[str] = set()
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        check.add(("channel",), raw, "an array of tables ([[channel]])")
        return ()
    for index, item in enumerate(raw):
        path: tuple[str | int, ...] = ("channel", index)
        kind = TYPES.get(item.get("type")) if isinstance(item.get("type"), str) else None
        fields = CHANNEL_FIELDS + (kind.fields if kind else ())
        values = check.table(item, fields, path)
        if values is None:
            continue
        if values["id"] in seen:
            check.add((*path, "id"), values["id"], "an id not used by another [[channel]]")
            continue
        seen.add(values["id"])
        channel_id, channel_type = values.pop("id"), values.pop("type")
        language = values.pop("language")
        options = resolve_paths(channel_type, values, state)
        out.append(
            ChannelConfig(channel_id, channel_type, tuple(sorted(options.items())), language)
        )
    return tuple(out)


def _notices(check: Checker, raw: Any, channel_ids: set[str]) -> tuple[NoticeRule, ...]:
    out: list[NoticeRule] = []
    seen: set[str] = set()
    for index, values, _ in check.tables(raw, NOTICE_FIELDS, ("notice",)):
        if values is None:
            continue
        path: tuple[str | int, ...] = ("notice", index)
        ok = True
        if values["id"] in seen:
            check.add((*path, "id"), values["id"], "an id not used by another [[notice]]")
            ok = False
        seen.add(values["id"])
        for name in values["channels"]:
            if name not in channel_ids:
                known = ", ".join(sorted(channel_ids)) or "none are configured"
                check.add((*path, "channels"), name, f"the id of a [[channel]] entry ({known})")
                ok = False
        if not values["channels"]:
            check.add((*path, "channels"), [], "at least one channel id")
            ok = False
        if ok:
            out.append(
                NoticeRule(
                    **{RECORD_NAMES.get(name, name): value for name, value in values.items()}
                )
            )
    return tuple(out)


def _milestones(
    check: Checker, raw: Any, channel_ids: set[str], language: str = ""
) -> tuple[MilestoneRule, ...]:
    """The ``[[milestone]]`` tables; ``language``: the one their names are written in (the
    organisation's default in the file that names them)."""
    from .calendars import translations

    out: list[MilestoneRule] = []
    seen: set[str] = set()
    for index, values, given in check.tables(raw, MILESTONE_FIELDS, ("milestone",)):
        if values is None:
            continue
        if values["id"] in seen:
            check.add(
                ("milestone", index, "id"), values["id"], "an id not used by another [[milestone]]"
            )
            continue
        seen.add(values["id"])
        # A notice's settings without a channel would send nothing, silently.
        orphans = [key for key in NOTICE_ONLY if key in given]
        if orphans and not values["channels"]:
            check.add(
                ("milestone", index, orphans[0]),
                given[orphans[0]],
                "a [[milestone]] with channels: without them it has no notice, so "
                f"{', '.join(orphans)} would do nothing",
            )
            continue
        unknown = [name for name in values["channels"] if name not in channel_ids]
        for name in unknown:
            known = ", ".join(sorted(channel_ids)) or "none are configured"
            check.add(
                ("milestone", index, "channels"), name, f"the id of a [[channel]] entry ({known})"
            )
        if not unknown:
            # A translation into the default language is not refused, as a calendar's into its
            # own is: an operator changes [organisation] language with the names as they are.
            found = translations(
                check, values["translations"] or None, "milestone", ("milestone", index), ""
            )
            out.append(
                MilestoneRule(**{**values, "translations": found, "name_language": language})
            )
    return tuple(out)


def _folder(base: str, configured: str | None, name: str) -> str:
    return os.path.join(base, configured) if configured else bundled(name)


def calendars_dir_hint(path: str | os.PathLike[str]) -> str:
    """Where the calendars are, read from a config that may be invalid (for ``reminders check``)."""
    document, _, _ = read_toml(path, shown_path(path))
    paths = document.get("paths") if document is not None else None
    value = paths.get("calendars") if isinstance(paths, dict) else None
    if isinstance(value, str) and value.strip():
        return os.path.join(os.path.dirname(os.path.abspath(path)), value)
    return bundled("calendars")
