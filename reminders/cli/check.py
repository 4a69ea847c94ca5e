"""``reminders check``: the config, every calendar, every template and channel, validated.

Every problem is reported, not only the first; nothing is sent and nothing written but the
start-up cache.  The work of other folders is imported where it is needed, so that a check the
cache answers pays for none of it (start-up time).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import date

from ..core.errors import InvalidInput, Problem
from ..core.model import Calendar
from ..core.settings import Loaded, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NamedTuple

    from ..core import translate
else:
    from ..core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


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
    report, settings, marker = _check(config_path, today)
    if settings is None:
        return report
    remembered = marker.warnings if marker is not None else None
    if remembered is None:
        remembered = (
            *language_warnings(settings),
            *translation_warnings(settings, report.calendars),
        )
        if marker is not None and marker.key is not None:
            from ..config import cache

            cache.mark_templates_checked(config_path, marker.key, remembered)
    report = report._replace(warnings=(*remembered, *link_warnings(settings)))
    environ = os.environ if environ is None else environ
    # Without calendars (they failed to load) every private calendar would look unknown.
    found = token_problems(settings, report.calendars, environ) if report.calendars else ()
    if found:
        report = report._replace(problems=(*report.problems, *found))
    if not settings.channels:
        return report
    problems, described = channel_problems(settings, environ, connect)
    return report._replace(problems=(*report.problems, *problems), channels=described)


def language_warnings(settings: Settings) -> tuple[str, ...]:
    """A configured language CLDR knows that has no catalog or no word table (``fr``): its
    outputs are written in English, never mixed (core/words.py, docs/languages.md)."""
    from ..config.langcache import prepare
    from ..core import words

    org = settings.organisation
    out = []
    for language in org.languages:  # the default among them
        prepare(language)  # its CLDR data from the start-up cache: Babel not imported
        found = words.missing(language)
        key = "organisation.language" if language == org.language else "organisation.languages"
        if found:
            out.append(f"{key}: {found}")
        elif not words.is_english(language):
            unreviewed = catalog_unreviewed(language)
            if unreviewed:
                where, count, total = unreviewed
                out.append(
                    f"{key}: {language}: {count} of the {total} program sentences in {where} "
                    "are not reviewed by a native speaker (marked '# unreviewed'; "
                    "docs/languages.md says how to mark them reviewed)"
                )
    return tuple(out)


def catalog_unreviewed(language: str) -> tuple[str, int, int] | None:
    """The catalog of ``language`` (as shown), how many of its sentences are marked
    ``# unreviewed`` and how many it has; None when it has none unreviewed (or no catalog)."""
    from ..config.resources import shown_path
    from ..core import i18n

    tag = language.split("-", 1)[0].lower()
    path = os.path.join(i18n.LOCALE_DIR, tag, "LC_MESSAGES", f"{i18n.DOMAIN}.po")
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return None
    count = sum(line.strip() == "# unreviewed" for line in lines)
    total = sum(line.startswith("msgid ") for line in lines) - 1  # the header's msgid ""
    return (shown_path(path), count, total) if count else None


def translation_warnings(settings: Settings, calendars: tuple[Calendar, ...]) -> tuple[str, ...]:
    """For every configured language but a calendar's own: every text of it with no translation
    (shown in the calendar's language, marked as such) or an unreviewed one, with its file and
    line (docs/calendar-format.md, "Translations")."""
    from ..core import translate

    out: list[str] = []
    out.extend(config_text_warnings(settings))
    for calendar in calendars:
        lines: dict[tuple[str | int, ...], int] | None = None
        for language in settings.organisation.languages:
            if language == calendar.language:
                continue  # its own texts (translate.missing has nothing to say)
            found = translate.missing(calendar, language)
            if not found:
                continue
            if lines is None:
                # The calendar loader (and the TOML parser) only when there is a line to name.
                from ..config.calendars import text_lines

                lines = text_lines(calendar)
            untranslated = sum(item.translation is None for item in found)
            out.append(
                f"{calendar.source}: calendar {calendar.id!r} in {language}: {untranslated} "
                f"text(s) with no translation, {len(found) - untranslated} unreviewed; a text "
                f"with no translation is shown in {calendar.language} (the calendar's "
                f"language) and marked as {calendar.language} (ICS LANGUAGE=, HTML lang=), "
                "never passed off as another language"
            )
            for item in found:
                out.append(_translation_warning(calendar, item, lines))
    return tuple(out)


def config_text_warnings(settings: Settings) -> list[str]:
    """For every configured language but the organisation's default: each text the
    configuration writes (``[organisation]`` and ``[feed]`` names, the feed's description,
    each ``[[milestone]]``'s name) with no translation into it, or an unreviewed one."""
    from ..core import translate

    org, feed = settings.organisation, settings.feed
    texts: list[tuple[str, Any, str]] = [
        ("organisation", org, "name"),
        ("feed", feed, "name"),
        ("feed", feed, "description"),
    ]
    texts += [(f"milestone {rule.id!r}", rule, "name") for rule in settings.milestones]
    out = []
    for language in org.languages:
        for where, item, key in texts:
            if not getattr(item, key):
                continue
            _, written = translate.config_text(item, key, language, org.language)
            if translate.same_language(written, language):
                found = translate.translation_of(item, language)
                if found is not None and not found.reviewed:
                    out.append(
                        f"{settings.source}: {where}.translations.{found.language}.{key}: the "
                        f"{found.language} translation is not reviewed (translator: "
                        f"{found.translator})"
                    )
                continue
            table = where.split()[0]
            how = (
                f"the plan and its notices show it as written, marked [{written}]"
                if table == "milestone"
                else f"outputs in {language} show it as written, in {written} (the page and "
                "the feed say so: HTML lang, ICS LANGUAGE=)"
            )
            out.append(
                f"{settings.source}: {where} in {language}: no translation of its {key}; {how} "
                f"([{table}.translations.{language}] {key} = ... translates it)"
            )
    return out


def _translation_warning(
    calendar: Calendar, item: translate.Missing, lines: dict[tuple[str | int, ...], int]
) -> str:
    from ..config.calendars import text_name

    path = item.text.path
    if item.translation is None:
        what = f"no {item.language} translation; shown in {calendar.language}, marked as such"
    else:
        path = (*path[:-1], "translations", item.translation.language, path[-1])
        what = (
            f"the {item.translation.language} translation is not reviewed "
            f"(translator: {item.translation.translator})"
        )
    line = lines.get(path) or lines.get(path[:-1])
    where = f"{calendar.source}:{line}" if line else calendar.source
    return f"{where}: {text_name(calendar, path)}: {what}"


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
    from ..web.tokens import load_tokens

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
    from ..notify.channels import ChannelError, DeliveryError, build

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


class Marker(NamedTuple):
    """A clean check's mark in the start-up cache: its key, and the warnings it remembers
    (None: not remembered, to be worded and then marked under ``key``)."""

    key: dict[str, object] | None
    warnings: tuple[str, ...] | None = None


# The code that words what a clean check remembers (config/cache.py templates_key), relative to
# the package: an edit of one words the warnings again.  Besides the warnings' own words, the
# language data they use: CLDR's (core/cldr*.py, config/langcache.py) and the catalogs' reader.
WARNING_CODE = (
    "cli/check.py",
    "config/langcache.py",
    "core/cldr.py",
    "core/cldrdata.py",
    "core/i18n.py",
    "core/languages.py",
    "core/translate.py",
    "core/words.py",
)


def _check(config_path: str, today: date) -> tuple[CheckReport, Settings | None, Marker | None]:
    """Validate the config and every calendar, and render every notice template with samples.

    Templates are not part of the start-up cache's key, so they are rendered even when the
    validated config and calendars come from the cache. A check with no problem is marked in
    the cache with its warnings (the Marker returned, for ``check`` to complete): the next one
    with nothing changed renders nothing and words nothing again.
    """
    from ..config import cache

    cached = cache.read(config_path, today)
    if cached is not None:
        known = cached.settings
        marker = cache.templates_key(config_path, cached, today, WARNING_CODE)
        remembered = cache.templates_checked(config_path, marker)
        if remembered is not None:
            report = CheckReport(
                known.source, known.calendars_dir, cached.calendars, (), *_templates_of(known)
            )
            return report, known, Marker(marker, remembered)
        # The host country is asked (python-holidays) only when the cache cannot answer.
        from ..plan.hostcache import known_country
        from ..plan.hostcal import country_problems

        found, names, shown_dir = _check_notices(known, cached.calendars, today, True)
        found = (*country_problems(known, known_country), *found)
        report = CheckReport(
            known.source, known.calendars_dir, cached.calendars, found, names, shown_dir
        )
        return report, known, None if found else Marker(marker)
    from ..config.calendars import load_calendars
    from ..config.config_file import calendars_dir_hint, load_config
    from ..plan.hostcache import known_country
    from ..plan.hostcal import country_problems

    problems: list[Problem] = []
    settings: Settings | None = None
    try:
        settings = load_config(config_path)
        folder = settings.calendars_dir
        problems.extend(country_problems(settings, known_country))
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
        return CheckReport(str(config_path), str(folder), calendars, tuple(problems)), None, None
    found, names, shown_dir = _check_notices(settings, calendars, today, calendars_ok)
    clean = None
    if not problems and not found:
        # The next check with nothing changed need not render the templates again.
        loaded = Loaded(settings, calendars)
        clean = Marker(cache.templates_key(config_path, loaded, today, WARNING_CODE))
    report = CheckReport(
        settings.source, str(folder), calendars, (*problems, *found), names, shown_dir
    )
    return report, settings, clean


def _check_notices(
    settings: Settings, calendars: tuple[Calendar, ...], today: date, calendars_ok: bool
) -> tuple[tuple[Problem, ...], tuple[str, ...], str]:
    """Problems of the notice rules, their templates and the web page's templates; the notice
    templates rendered, their folder.

    With broken calendars the notice templates are still rendered (with the made-up sample), but
    rules are not matched against observances that could not be loaded, and the page (which
    shows the real calendars) is not rendered.
    """
    from ..web.page import check_page

    page = check_page(Loaded(settings, calendars), today) if calendars_ok else []
    if not settings.notices:
        return tuple(page), (), ""
    from ..notify.template_check import check_templates, template_problems

    if calendars_ok:
        found = check_templates(settings, calendars, today)
    else:
        found = template_problems(settings, (), today)
    return (*found, *page), *_templates_of(settings)


def _templates_of(settings: Settings) -> tuple[tuple[str, ...], str]:
    """The template names the rules use, and their folder as messages show it."""
    from ..config.resources import shown_path

    names = tuple(dict.fromkeys(rule.template for rule in settings.notices))
    return names, shown_path(settings.templates_dir)
