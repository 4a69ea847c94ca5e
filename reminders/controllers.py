"""What each command does, as functions that take arguments and return data.

The CLI (cli.py) parses arguments, calls one of these and prints the result; nothing here prints or
reads the clock (``today`` is an argument).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import date, datetime, time, timedelta

from .errors import ConfigError, InvalidInput, OutputError, Problem, UsageError
from .model import Calendar, Occurrence
from .occurrences import occurrences
from .settings import Loaded, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple

    from .ledger import Delivery
    from .notices import Notice
    from .plan import Plan
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

FIRST_YEAR, LAST_YEAR = 1900, 2200  # the range of years the commands accept
MIDNIGHT = time(0, 0)


def load(config_path: str, today: date) -> Loaded:
    """The config and its calendars, validated; from the start-up cache when nothing changed."""
    from . import cache

    cached = cache.read(config_path, today)
    if cached is not None:
        return cached
    # Only a cache miss pays for the TOML parser and the schema.
    from .calendars import load_calendars
    from .config import load_config

    settings = load_config(config_path)
    loaded = Loaded(settings, load_calendars(settings.calendars_dir, today))
    cache.write(config_path, today, loaded)
    return loaded


class CheckReport(NamedTuple):
    config: str
    calendars_dir: str
    calendars: tuple[Calendar, ...]
    problems: tuple[Problem, ...]
    templates: tuple[str, ...] = ()  # the notice templates rendered with sample data
    templates_dir: str = ""  # as messages show it ("" when no template was rendered)
    channels: tuple[str, ...] = ()  # "id (what it is): what was verified", per channel built
    warnings: tuple[str, ...] = ()  # what is valid but probably not meant


def check(
    config_path: str,
    today: date,
    environ: Mapping[str, str] | None = None,
    *,
    connect: bool = False,
) -> CheckReport:
    """``_check``, then every channel built as the daemon would build it (secrets included);
    with ``connect``, each channel that has a server connected to, sending nothing."""
    report, settings = _check(config_path, today)
    if settings is None:
        return report
    report = report._replace(warnings=link_warnings(settings))
    environ = os.environ if environ is None else environ
    # Without calendars (they failed to load) every private calendar would look unknown.
    found = token_problems(settings, report.calendars, environ) if report.calendars else ()
    if found:
        report = report._replace(problems=(*report.problems, *found))
    if not settings.channels:
        return report
    problems, described = channel_problems(settings, environ, connect)
    return report._replace(problems=(*report.problems, *problems), channels=described)


def link_warnings(settings: Settings) -> tuple[str, ...]:
    """A ``[feed] base_url`` on this machine (a loopback address) that is not where ``[feed]
    listen`` listens: every Subscribe, webcal, Google and Outlook link would miss the server."""
    feed = settings.feed
    if not feed.base_url_given:
        return ()
    import ipaddress
    from urllib.parse import urlsplit

    def loopback(host: str) -> bool:
        try:
            return host == "localhost" or ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False

    link = urlsplit(feed.base_url)
    host = link.hostname or ""
    if not loopback(host):
        return ()
    port = link.port or (443 if link.scheme == "https" else 80)
    listen_host, _, listen_port = feed.listen.rpartition(":")
    listen_host = listen_host.strip("[]")
    same_host = loopback(listen_host) or listen_host in ("0.0.0.0", "::")
    if same_host and int(listen_port) == port:
        return ()
    return (
        f"{settings.source}: feed.base_url {feed.base_url!r} is on this machine but not where "
        f"feed.listen {feed.listen!r} listens, so every Subscribe, webcal, Google and Outlook "
        "link misses the server; remove base_url to have the links follow listen, or make "
        "the two agree",
    )


def token_problems(
    settings: Settings, calendars: tuple[Calendar, ...], environ: Mapping[str, str]
) -> tuple[Problem, ...]:
    """The private-feed tokens, read as the feed server reads them (no token is shown)."""
    if not settings.feed.tokens_file and not environ.get(settings.feed.tokens_env, "").strip():
        return ()
    from .tokens import load_tokens

    try:
        load_tokens(settings.feed, calendars, environ)
    except InvalidInput as exc:
        return exc.problems
    return ()


def channel_problems(
    settings: Settings, environ: Mapping[str, str], connect: bool = False
) -> tuple[tuple[Problem, ...], tuple[str, ...]]:
    """Build every channel (nothing is sent, nothing written); a channel that cannot work is a
    problem.  Each channel is described with what was verified and what was not; with
    ``connect``, a channel with a server is connected to (Channel.probe)."""
    from .channels import ChannelError, DeliveryError, build

    problems, described = [], []
    for index, config in enumerate(settings.channels):
        where = f"channel[{index + 1}]"
        try:
            channel = build(config, environ)
        except ChannelError as exc:
            problems.append(Problem(settings.source, where, None, str(exc)))
            continue
        try:
            verified = channel.verified()
            if connect:
                done = channel.probe()
                verified = f"ok: {done}" if done else verified
        except DeliveryError as exc:
            reason = f"channel {config.id!r}: the connection test failed: {exc.reason}"
            problems.append(Problem(settings.source, where, None, reason))
            continue
        finally:
            channel.close()
        described.append(f"{config.id} ({channel.describe()}): {verified}")
    return tuple(problems), tuple(described)


def _check(config_path: str, today: date) -> tuple[CheckReport, Settings | None]:
    """Validate the config and every calendar, and render every notice template with samples.

    Templates are not part of the start-up cache's key, so they are rendered even when the
    validated config and calendars come from the cache.
    """
    from . import cache

    cached = cache.read(config_path, today)
    if cached is not None:
        known = cached.settings
        marker = cache.templates_key(config_path, cached, today)
        if marker is not None and cache.templates_checked(config_path, marker):
            report = CheckReport(
                known.source, known.calendars_dir, cached.calendars, (), *_templates_of(known)
            )
            return report, known
        found, names, shown_dir = _check_notices(known, cached.calendars, today, True)
        found = (*country_problems(known), *found)
        if not found:
            cache.mark_templates_checked(config_path, marker)
        report = CheckReport(
            known.source, known.calendars_dir, cached.calendars, found, names, shown_dir
        )
        return report, known
    from .calendars import load_calendars
    from .config import calendars_dir_hint, load_config

    problems: list[Problem] = []
    settings: Settings | None = None
    try:
        settings = load_config(config_path)
        folder = settings.calendars_dir
        problems.extend(country_problems(settings))
    except InvalidInput as exc:
        problems.extend(exc.problems)
        folder = calendars_dir_hint(config_path)
    calendars: tuple[Calendar, ...] = ()
    calendars_ok = True
    try:
        calendars = load_calendars(folder, today)
    except InvalidInput as exc:
        problems.extend(exc.problems)
        calendars_ok = False
    if settings is not None and not problems:
        cache.write(config_path, today, Loaded(settings, calendars))
    if settings is None:
        return CheckReport(str(config_path), str(folder), calendars, tuple(problems)), None
    found, names, shown_dir = _check_notices(settings, calendars, today, calendars_ok)
    if not problems and not found:
        # The next check with nothing changed need not render the templates again.
        loaded = Loaded(settings, calendars)
        cache.mark_templates_checked(config_path, cache.templates_key(config_path, loaded, today))
    report = CheckReport(
        settings.source, str(folder), calendars, (*problems, *found), names, shown_dir
    )
    return report, settings


def country_problems(settings: Settings) -> tuple[Problem, ...]:
    """``[organisation] country`` as python-holidays, where the plan's public holidays come
    from, knows it: the schema only sees two capital letters, and importing python-holidays
    is for ``check`` (and the plan), not for every command that loads the config."""
    from .hostcal import COUNTRY_EXPECTED, known_country

    country = settings.organisation.country
    if known_country(country):
        return ()
    from .schema import Checker  # only to find the key's line in the config

    try:
        with open(settings.config_path, encoding="utf-8") as handle:
            source = handle.read()
    except (OSError, UnicodeDecodeError):
        source = ""  # the problem is still reported, without its line
    checker = Checker(settings.source, source)
    checker.add(("organisation", "country"), country, COUNTRY_EXPECTED)
    return tuple(checker.problems)


def _check_notices(
    settings: Settings, calendars: tuple[Calendar, ...], today: date, calendars_ok: bool
) -> tuple[tuple[Problem, ...], tuple[str, ...], str]:
    """Problems of the notice rules, their templates and the web page's templates; the notice
    templates rendered, their folder.

    With broken calendars the notice templates are still rendered (with the made-up sample), but
    rules are not matched against observances that could not be loaded, and the page (which
    shows the real calendars) is not rendered.
    """
    from .webpage import check_page

    page = check_page(Loaded(settings, calendars), today) if calendars_ok else []
    if not settings.notices:
        return tuple(page), (), ""
    from .template_check import check_templates, template_problems

    if calendars_ok:
        found = check_templates(settings, calendars, today)
    else:
        found = template_problems(settings, (), today)
    return (*found, *page), *_templates_of(settings)


def _templates_of(settings: Settings) -> tuple[tuple[str, ...], str]:
    """The template names the rules use, and their folder as messages show it."""
    from .resources import shown_path

    names = tuple(dict.fromkeys(rule.template for rule in settings.notices))
    return names, shown_path(settings.templates_dir)


def upcoming(loaded: Loaded, start: date, days: int) -> tuple[Occurrence, ...]:
    """Occurrences from ``start`` for ``days`` days, examples as the feed settings say."""
    if not FIRST_YEAR <= start.year <= LAST_YEAR or (start + timedelta(days=days)).year > LAST_YEAR:
        raise UsageError(
            f"--from {start} --days {days} reaches outside the years this command accepts; "
            f"expected dates from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
        )
    return occurrences(
        loaded.calendars,
        start,
        start + timedelta(days=days),
        examples=loaded.settings.feed.include_examples,
    )


def year_window(
    loaded: Loaded, today: date, first: int | None, last: int | None
) -> tuple[int, int]:
    feed = loaded.settings.feed
    first = today.year - feed.past_years if first is None else first
    last = today.year + feed.future_years if last is None else last
    if first > last:
        raise UsageError(f"--from {first} is after --to {last}; expected --from <= --to")
    if first < FIRST_YEAR or last > LAST_YEAR:
        raise UsageError(
            f"years {first}-{last} are out of range; expected years {FIRST_YEAR} to {LAST_YEAR}"
        )
    return first, last


def export_ics(
    loaded: Loaded,
    first: int,
    last: int,
    calendar_id: str | None,
    examples: bool | None,
) -> bytes:
    """The ICS bytes of one calendar, or of all public calendars combined."""
    from .ics import FeedInfo, build_ics

    settings = loaded.settings
    if calendar_id is None:
        chosen = tuple(c for c in loaded.calendars if c.public)
        name, description = settings.feed.name, settings.feed.description
    else:
        match = [c for c in loaded.calendars if c.id == calendar_id]
        if not match:
            known = ", ".join(c.id for c in loaded.calendars)
            raise UsageError(
                f"--calendar {calendar_id!r}: no such calendar; expected one of: {known}"
            )
        chosen = (match[0],)
        name, description = match[0].name, match[0].description
    domain = settings.organisation.uid_domain
    info = FeedInfo(name, description, domain, settings.feed.refresh_interval)
    use_examples = settings.feed.include_examples if examples is None else examples
    return build_ics(chosen, first, last, info, examples=use_examples)


def write_atomically(path: str, data: bytes | Iterable[bytes]) -> int:
    """Write ``data`` (bytes, or parts of them) to ``path`` through a temporary file and a
    rename: never a partial file.  Returns the number of bytes written."""
    import tempfile  # only the commands that write files pay for it

    folder = os.path.dirname(path) or "."
    try:
        handle, temp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", dir=folder)
    except OSError as exc:
        raise OutputError(path, exc.strerror or str(exc)) from None
    try:
        size = 0
        with os.fdopen(handle, "wb") as out:
            for part in (data,) if isinstance(data, bytes) else data:
                size += out.write(part)
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except OSError as exc:
        if os.path.exists(temp):
            os.unlink(temp)
        raise OutputError(path, exc.strerror or str(exc)) from None
    except BaseException:  # the parts' maker failed, or an interrupt: no file left behind
        if os.path.exists(temp):
            os.unlink(temp)
        raise
    return size


def notice_list(loaded: Loaded, start: date, days: int) -> list[Notice]:
    """Every notice firing from ``start`` (00:00 in the organisation's zone) for ``days`` days."""
    from .dates import wall_time
    from .notices import notices

    settings = loaded.settings
    if not FIRST_YEAR <= start.year <= LAST_YEAR or (start + timedelta(days=days)).year > LAST_YEAR:
        raise UsageError(
            f"--from {start} --days {days} reaches outside the years this command accepts; "
            f"expected dates from {FIRST_YEAR}-01-01 to {LAST_YEAR}-12-31"
        )
    tz = settings.organisation.timezone
    begin = wall_time(start, MIDNIGHT, tz)
    end = wall_time(start + timedelta(days=days), MIDNIGHT, tz)
    return notices(
        loaded.calendars,
        settings.notices,
        settings.organisation,
        begin,
        end,
        examples=settings.feed.include_examples,
    )


class StatusReport(NamedTuple):
    ledger: str  # the URL with any password hidden
    counts: dict[str, int]  # empty when there is no ledger yet
    heartbeat: datetime | None
    upcoming: list[Notice]
    recent: list[Delivery]
    problems: list[Delivery]
    version: int | None = None  # the ledger's schema version; None: no ledger yet
    current: int = 0  # the schema version this release uses (run upgrades an older one)
    outboxes: tuple[tuple[str, str, bool], ...] = ()  # (channel id, folder, exists): file channels


def status(
    loaded: Loaded, now: datetime, environ: Mapping[str, str], *, recent: int = 10
) -> StatusReport:
    """The next notices and what the ledger says: recent deliveries, failures and misses.

    Only reads: a ledger that does not exist yet is reported, not created, and one of an older
    schema version is reported as needing the upgrade that ``reminders run`` makes.
    """
    from .ledger import SCHEMA_VERSION, Ledger, LedgerError, LedgerVersionError, ledger_url
    from .notices import notices

    settings = loaded.settings
    upcoming = notices(
        loaded.calendars,
        settings.notices,
        settings.organisation,
        now,
        now + timedelta(days=60),
        examples=settings.feed.include_examples,
    )[:recent]
    folders = [(c.id, str(c.option("folder"))) for c in settings.channels if c.type == "file"]
    outboxes = tuple((channel, folder, os.path.isdir(folder)) for channel, folder in folders)
    report = StatusReport("", {}, None, upcoming, [], [], None, SCHEMA_VERSION, outboxes)
    ledger = Ledger(ledger_url(settings.ledger, environ), read_only=True)
    try:
        version = ledger.inspect()
        report = report._replace(ledger=ledger.shown_url, version=version)
        if version is None:
            return report
        if version > SCHEMA_VERSION:
            raise LedgerVersionError.newer(ledger.shown_url, version)
        try:
            beat = ledger.get_meta("heartbeat")
        except LedgerError:  # a first-release ledger may have no meta table
            beat = None
        report = report._replace(
            counts=ledger.counts(), heartbeat=datetime.fromisoformat(beat) if beat else None
        )
        if version < SCHEMA_VERSION:
            return report  # (the rows lack columns that this release reads)
        return report._replace(
            recent=ledger.recent(recent), problems=ledger.problems(now - timedelta(days=30))
        )
    finally:
        ledger.close()


PREVIEW_FORMATS = ("text", "html", "eml")


def preview(
    loaded: Loaded, rule_id: str, observance_id: str, year: int, fmt: str, late: bool
) -> bytes:
    """A notice exactly as it is sent, at its own fire time (so "days to go" are as sent).

    ``text``: a Subject line, a blank line and the text body; ``html``: the HTML body; ``eml``:
    the MIME message of the rule's first e-mail channel (with its From and To), or, when the rule
    has none, the message an outbox writes as ``.eml``.
    """
    from .notices import applies, find_notice
    from .render import environment, message_for, notice_ics, render_notice
    from .template_check import render_problems

    settings = loaded.settings
    rule = settings.rule(rule_id)
    if rule is None:
        known = ", ".join(r.id for r in settings.notices) or "the config has no [[notice]] rules"
        raise UsageError(f"notice rule {rule_id!r}: no such rule; expected one of: {known}")
    observances = {o.id: o for c in loaded.calendars for o in c.observances}
    observance = observances.get(observance_id)
    if observance is None:
        known = ", ".join(observances) or "the calendars have none"
        raise UsageError(
            f"observance {observance_id!r}: no such observance; expected one of: {known}"
        )
    if not applies(rule, observance):
        known = ", ".join(o.id for o in observances.values() if applies(rule, o)) or "none"
        raise UsageError(
            f"notice rule {rule_id!r} sends nothing for observance {observance_id!r}; "
            f"expected one of the observances it applies to: {known}"
        )
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise UsageError(f"year {year} is out of range; expected {FIRST_YEAR} to {LAST_YEAR}")
    notice = find_notice(
        loaded.calendars,
        rule,
        observance_id,
        year,
        settings.organisation,
        examples=settings.feed.include_examples,
    )
    if notice is None:
        raise UsageError(
            f"observance {observance_id!r} has no occurrence in {year}; expected a year from "
            f"{observance.since + 1} on in which it occurs ({observance.rule.describe()})"
        )
    now = notice.fire_at
    env = environment(settings.templates_dir)
    problems = render_problems(env, notice, settings, now, late)
    if problems:
        raise InvalidInput(problems, "templates")
    rendered = render_notice(env, notice, settings, now, late=late)
    if fmt == "text":
        return f"Subject: {rendered.subject}\n\n{rendered.text}".encode()
    if fmt == "html":
        return rendered.html.encode()
    from .channels.smtp import build_mime

    email = [c for c in map(settings.channel, rule.channels) if c is not None and c.type == "email"]
    channel_id = email[0].id if email else rule.channels[0]
    message = message_for(notice, channel_id, rendered, notice_ics(notice, settings), now, late)
    if not email:
        return build_mime(message).as_bytes()
    recipients = email[0].option("recipients")
    assert isinstance(recipients, tuple | list)
    sender = str(email[0].option("sender"))
    return build_mime(message, sender, [str(r) for r in recipients]).as_bytes()


PLAN_FORMATS = ("table", "md", "html", "csv", "json", "ics")


def make_plan(loaded: Loaded, year: int) -> Plan:
    """The plan of ``year``: the host country's calendar read (kept in the start-up cache
    folder, as python-holidays is slow to import), then plan.build_plan."""
    from .cache import host_calendar
    from .plan import build_plan

    org = loaded.settings.organisation
    try:
        host = host_calendar(org.country, org.weekend, year, loaded.settings.source)
    except ConfigError as exc:  # an unknown country: said as check says it, with its line
        raise ConfigError(country_problems(loaded.settings) or exc.problems) from None
    return build_plan(loaded, year, host)


def public_plan_html(loaded: Loaded, year: int) -> bytes:
    """The HTML plan of ``year`` for the web page and ``export --site``: public calendars only."""
    from .plan_html import render_html

    public = Loaded(loaded.settings, tuple(c for c in loaded.calendars if c.public))
    return render_html(make_plan(public, year), loaded.settings)


def plan_output(loaded: Loaded, year: int, fmt: str) -> bytes:
    """The plan of ``year`` in one of PLAN_FORMATS, as bytes (UTF-8 text, or ICS)."""
    return b"".join(plan_parts(loaded, year, fmt))


def plan_parts(loaded: Loaded, year: int, fmt: str) -> Iterator[bytes]:
    """:func:`plan_output` in consecutive parts (a megabyte or so each for a large plan in the
    table or JSON format; one part for the others).  The plan is built, and any error raised,
    before the first part."""
    import gc

    # As in ics.build_ics: a large plan makes many objects that all live to the end, and the
    # cyclic collector would scan them again and again for nothing (bench/RESULTS.md, section 5).
    collecting = gc.isenabled()
    gc.disable()
    try:
        plan = make_plan(loaded, year)
        if fmt == "html":
            from .plan_html import render_html

            yield render_html(plan, loaded.settings)
        elif fmt == "ics":
            from .plan_ics import plan_ics

            yield plan_ics(plan, loaded.settings)
        else:
            from .plan_formats import pieces

            for text in pieces(plan, fmt):
                yield text.encode("utf-8")
    finally:
        if collecting:
            gc.enable()
