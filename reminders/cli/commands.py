"""The ``reminders`` command: argument parsing, printing, and one place for errors and exit codes.

Each command parses its arguments, calls one function of the folder that does the work (core,
config, plan, notify, web; check.py here) and prints what it returns.  Heavy modules (icalendar,
dateutil) are imported only by the commands that need them, so ``reminders upcoming`` and
``reminders check`` start fast.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime

from .. import __version__
from ..core.errors import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_USAGE,
    ReminderError,
    UsageError,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..core.settings import Loaded

    Subcommands = argparse._SubParsersAction[argparse.ArgumentParser]

Handler = Callable[[argparse.Namespace], int]


# --- Argument types: each says what it expected -------------------------------------------


def year_arg(text: str) -> int:
    if not (text.isascii() and text.isdigit() and len(text) == 4):
        why = f"it has {len(text)} digits" if text.isascii() and text.isdigit() else "not digits"
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a year ({why}); expected a year written YYYY, such as 2027"
        )
    return int(text)


_DATE_FORMAT = "expected a date written YYYY-MM-DD, such as 2027-01-20"


def date_arg(text: str) -> date:
    """A date written YYYY-MM-DD; an impossible one says which part is wrong (month 13, Feb 30)."""
    parts = text.split("-")
    if not (
        len(text) == 10
        and [len(p) for p in parts] == [4, 2, 2]
        and all(p.isascii() and p.isdigit() for p in parts)
    ):
        raise argparse.ArgumentTypeError(f"{text!r}: {_DATE_FORMAT}")
    year, month, day = (int(p) for p in parts)
    if year == 0:
        why = "year 0000 is not 0001-9999"
    elif not 1 <= month <= 12:
        why = f"month {parts[1]} is not 01-12"
    else:
        last = 31 if month == 12 else (date(year, month + 1, 1) - date(year, month, 1)).days
        if 1 <= day <= last:
            return date(year, month, day)
        from ..core.words import ENGLISH, MONTH_YEAR, format_date  # messages are in English

        month_year = format_date(date(year, month, 1), MONTH_YEAR, ENGLISH)
        why = f"{month_year} has days 01-{last}, not {parts[2]}"
    raise argparse.ArgumentTypeError(f"{text!r} is not a date: {why}; {_DATE_FORMAT}")


def days_arg(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 36600:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a whole number of days from 1 to 36600"
        )
    return int(text)


# --- Commands -------------------------------------------------------------------------------


def today_in(tz_name: str) -> date:
    """Today where the organisation is (the CLI is an edge: it may read the clock)."""
    from datetime import UTC

    from ..core.dates import local_date

    return local_date(datetime.now(UTC), tz_name)


def _config_path(args: argparse.Namespace) -> str:
    from ..config.resources import find_config

    return find_config(args.config)


def cmd_check(args: argparse.Namespace) -> int:
    from ..core.words import ENGLISH
    from ..core.words import plural as counted
    from .check import check

    def plural(count: int, word: str) -> str:  # check's report, like every message, is English
        return counted(count, word, ENGLISH)

    report = check(_config_path(args), date.today(), connect=args.connect)
    org_lines: list[str] = []
    # Each organisation over a valid config.toml (config/organisations.py); the loader's modules
    # only for a config that names organisations (check's start-up, bench/startup.py).
    from ..config.resources import may_name_organisations

    if not report.problems and may_name_organisations(_config_path(args)):
        from .orgs import check_organisations

        org_lines, org_problems = check_organisations(_config_path(args), date.today())
        report = report._replace(problems=tuple(org_problems))
    if report.problems:
        print(f"{plural(len(report.problems), 'problem')} found:", file=sys.stderr)
        for problem in report.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    observances = sum(len(c.observances) for c in report.calendars)
    events = sum(len(c.events) for c in report.calendars)
    print(f"config {report.config}: ok")
    for calendar in report.calendars:
        print(
            f"calendar {calendar.id} ({calendar.source}): "
            f"{plural(len(calendar.observances), 'observance')}, "
            f"{plural(len(calendar.events), 'event')}, "
            f"{'public' if calendar.public else 'private'}"
        )
    if report.templates:
        names = ", ".join(report.templates)
        print(f"notice templates ({report.templates_dir}/notices): {names}: ok")
    for channel in report.channels:
        print(f"channel {channel}")
    for line in org_lines:
        print(line)
    print(
        f"All checks passed: {plural(len(report.calendars), 'calendar')}, "
        f"{plural(observances, 'observance')}, {plural(events, 'event')}."
    )
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return EXIT_OK


def cmd_channel_test(args: argparse.Namespace) -> int:
    from datetime import UTC

    from ..config.load import load
    from ..notify.testnotice import send_test

    loaded = load(_config_path(args), date.today())
    sent = send_test(loaded, args.channel_id, datetime.now(UTC), os.environ, args.rule)
    print(f"test notice {sent.notice_id} (rule {sent.rule}'s templates, sample data)")
    print(f"sent through channel {sent.channel}:")
    print(f"  {sent.receipt}")
    return EXIT_OK


def cmd_upcoming(args: argparse.Namespace) -> int:
    from ..config.load import load
    from ..core.occurrences import upcoming
    from .textout import upcoming_lines

    path = _config_path(args)
    loaded = load(path, date.today())
    start = args.start or today_in(loaded.settings.organisation.timezone)
    items = upcoming(loaded, start, args.days)
    for line in upcoming_lines(items, loaded.settings, start, args.days):
        print(line)
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from .gcpause import gc_paused

    with gc_paused():  # the export's objects all live to the end (cli/gcpause.py)
        return _export(args)


def _export(args: argparse.Namespace) -> int:
    from ..config.load import load
    from ..core.ics import export_parts, year_window
    from .files import write_atomically

    if args.site is not None and not getattr(args, "org", None):
        from ..config.resources import may_name_organisations

        if may_name_organisations(_config_path(args)):
            from ..config.organisations import folder_of

            if folder_of(_config_path(args)) is not None:
                return _export_deployment(args)
    loaded = load(_config_path(args), date.today())
    today = today_in(loaded.settings.organisation.timezone)
    languages = loaded.settings.organisation.languages
    if args.language is not None:
        if args.site is not None:
            raise UsageError(
                "--language with --site: the site holds every configured language "
                "(LANG/all.ics ...); expected one of them"
            )
        if args.language not in languages:
            raise UsageError(
                f"--language {args.language!r}: not one of [organisation] languages; "
                f"expected one of: {', '.join(languages)}"
            )
    if args.site is not None:
        return _export_site(args, loaded)
    first, last = year_window(loaded, today, args.first, args.last)
    # In parts (head, VTIMEZONEs, each calendar's VEVENTs, end): never joined into one copy.
    parts = export_parts(
        loaded, first, last, args.calendar, args.examples, args.language or languages[0]
    )
    if args.output in (None, "-"):
        sys.stdout.buffer.writelines(parts)
        sys.stdout.buffer.flush()
    else:
        size = write_atomically(args.output, parts)
        print(f"wrote {args.output} ({size} bytes, {first}-{last})", file=sys.stderr)
    return EXIT_OK


def listen_arg(text: str) -> str:
    from ..config.config_file import listen_address
    from ..config.schema import Invalid

    try:
        return listen_address(text)  # the same rule as [feed] listen
    except Invalid as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: expected {exc}") from None


def workers_arg(text: str) -> int:
    from ..web.workers import MAX_WORKERS

    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise argparse.ArgumentTypeError(
            f"{text!r}: expected a whole number of worker processes from 1 to {MAX_WORKERS}"
        )
    return int(text)


def cmd_serve(args: argparse.Namespace) -> int:
    from . import logs

    logs.setup(args.log_format)
    if args.workers > 1:
        from ..web.workers import serve_workers

        return serve_workers(_config_path(args), args.listen, args.workers)
    from ..web.server import serve

    return serve(_config_path(args), args.listen)


def cmd_token(args: argparse.Namespace) -> int:
    from ..web.tokens import new_token

    print(new_token())
    return EXIT_OK


def _export_site(args: argparse.Namespace, loaded: Loaded) -> int:
    from ..web.site import export_site

    _site_clashes(args)
    written = export_site(_config_path(args), loaded, args.site)
    for line in written:
        print(line, file=sys.stderr)
    return EXIT_OK


def _site_clashes(args: argparse.Namespace) -> None:
    clashes = [f"--{n}" for n in ("from", "to", "calendar", "output") if getattr(args, _DEST[n])]
    if clashes or args.examples is not None:
        used = ", ".join(
            clashes + (["--examples/--no-examples"] if args.examples is not None else [])
        )
        raise UsageError(
            f"--site writes the feeds as served ([feed] settings: window, examples); "
            f"expected no {used} with it"
        )


def _export_deployment(args: argparse.Namespace) -> int:
    """``export --site`` of a deployment of several organisations: every one of them (``o/ID/``)
    and the list of them; an organisation whose files have problems is not written (the others
    are), its problems are said and the command exits 1."""
    from ..web.site import export_deployment

    if args.language is not None:
        raise UsageError(
            "--language with --site: the site holds every organisation's languages; "
            "expected no --language"
        )
    _site_clashes(args)
    written, problems = export_deployment(_config_path(args), args.site)
    for line in written:
        print(line, file=sys.stderr)
    for problem in problems:
        print(f"reminders: not written: {problem}", file=sys.stderr)
    return EXIT_INVALID if problems else EXIT_OK


_DEST = {"from": "first", "to": "last", "calendar": "calendar", "output": "output"}


def cmd_plan(args: argparse.Namespace) -> int:
    from .gcpause import gc_paused

    with gc_paused():  # a large plan's objects all live to the end (cli/gcpause.py)
        return _plan(args)


def _plan(args: argparse.Namespace) -> int:
    from itertools import chain

    from ..config.load import load
    from ..plan.output import plan_parts
    from .files import write_atomically

    if getattr(args, "overview", False):
        return _overview(args)
    loaded = load(_config_path(args), date.today())
    languages = loaded.settings.organisation.languages
    if args.language is not None and args.language not in languages:
        raise UsageError(
            f"--language {args.language!r} is not one of the organisation's languages; "
            f"expected one of {', '.join(languages)} ([organisation] languages in "
            f"{loaded.settings.source})"
        )
    parts = plan_parts(loaded, args.year, args.format, args.language)
    # The plan is built, and any error reported, with the first part, before a byte is written.
    parts = chain([next(parts)], parts)
    if args.output in (None, "-"):
        # Part by part: a large plan is never held whole twice (bench/RESULTS.md, section 5).
        sys.stdout.buffer.writelines(parts)
        sys.stdout.buffer.flush()
    else:
        size = write_atomically(args.output, parts)
        print(f"wrote {args.output} ({size} bytes, {args.format})", file=sys.stderr)
    return EXIT_OK


def _overview(args: argparse.Namespace) -> int:
    from ..plan.overview import OVERVIEW_FORMATS, overview_output
    from .files import write_atomically

    if args.format not in OVERVIEW_FORMATS:
        raise UsageError(
            f"--overview: got --format {args.format}; expected one of "
            + ", ".join(OVERVIEW_FORMATS)
        )
    if getattr(args, "org", None):
        raise UsageError("--overview: it covers every organisation; leave out --org")
    data = overview_output(_config_path(args), args.year, args.format, date.today())
    if args.output in (None, "-"):
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        size = write_atomically(args.output, [data])
        print(f"wrote {args.output} ({size} bytes, overview {args.format})", file=sys.stderr)
    return EXIT_OK


def cmd_run(args: argparse.Namespace) -> int:
    from . import logs
    from .run import run

    logs.setup(args.log_format)
    return run(_config_path(args), listen=args.listen)


def cmd_notices(args: argparse.Namespace) -> int:
    from ..config.load import load
    from ..plan.yearplans import notice_list
    from .textout import notice_lines

    loaded = load(_config_path(args), date.today())
    start = args.start or today_in(loaded.settings.organisation.timezone)
    items = notice_list(loaded, start, args.days)
    for line in notice_lines(items, loaded.settings, start, args.days):
        print(line)
    return EXIT_OK


def cmd_orgs(args: argparse.Namespace) -> int:
    from datetime import UTC

    from .orgs import orgs_lines

    lines, ok = orgs_lines(_config_path(args), datetime.now(UTC))
    for line in lines:
        print(line)
    return EXIT_OK if ok else EXIT_INVALID


def cmd_status(args: argparse.Namespace) -> int:
    from datetime import UTC

    from ..config.load import load
    from ..notify.status import status
    from .textout import status_lines

    now = datetime.now(UTC)
    org = getattr(args, "org", None)
    every: tuple[tuple[str, Loaded], ...] | None = None
    loaded: Loaded | None = None
    if org is None:  # a deployment's: every organisation's next notices
        from ..config.organisations import load_each
        from ..core.settings import Loaded

        deployment = load_each(_config_path(args), date.today())
        if deployment is not None:
            base, shared, each, _ = deployment
            loaded = Loaded(base, shared)  # config.toml's and the shared calendars, read once
            every = tuple((one.org.id, one.loaded) for one in each if one.loaded)
    if loaded is None:
        loaded = load(_config_path(args), date.today())
    report = status(
        loaded, now, os.environ, recent=args.limit, organisation=org, organisations=every
    )
    for line in status_lines(report, loaded.settings, now):
        print(line)
    return EXIT_OK


def cmd_preview(args: argparse.Namespace) -> int:
    from ..config.load import load
    from ..notify.preview import preview

    loaded = load(_config_path(args), date.today())
    data = preview(
        loaded, args.rule, args.observance, args.year, args.format, args.late, args.language
    )
    sys.stdout.buffer.write(data)
    sys.stdout.buffer.flush()
    return EXIT_OK


# --- Parser ---------------------------------------------------------------------------------


class Formatter(argparse.HelpFormatter):
    """argparse's formatter, told the terminal width up front.

    Without a width, argparse imports ``shutil`` (and with it fnmatch, bz2, lzma, zlib) every time
    an argument is added, which costs about 5 ms of start-up; ``os`` answers the same question.
    """

    def __init__(self, prog: str) -> None:
        try:
            width = int(os.environ.get("COLUMNS", "")) or os.get_terminal_size().columns
        except (ValueError, OSError):
            width = 80
        super().__init__(prog, width=max(width, 40) - 2)


def add_start_date(command: argparse.ArgumentParser) -> None:
    """``--from DATE``: the first day a listing looks at (``upcoming``, ``notices``)."""
    command.add_argument(
        "--from",
        dest="start",
        type=date_arg,
        metavar="DATE",
        help="start date YYYY-MM-DD (default: today in your time zone)",
    )


def _english(message: str) -> str:
    return message


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command line's parser: every command's, or with ``only``, that command's alone (what
    a run of it needs: building the other eleven cost 1.3 ms of every start, bench/startup.py).
    """
    # The command line is operator text, English in every language (docs/languages.md): argparse's
    # own words need no catalog, and looking one up (gettext searches the locale folders for
    # each of its sentences, 42 of them) cost 2 ms of every command's start (bench/startup.py).
    argparse._ = _english  # type: ignore[attr-defined]
    argparse.ngettext = _english_plural  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(
        prog="reminders",
        formatter_class=Formatter,
        description="Remembrance days: check the calendars, list what is coming, export ICS.",
        epilog="The config is --config, else $REMINDERS_CONFIG, else ./config.toml, else the "
        "bundled one. 'reminders COMMAND --help' explains each command.",
    )
    parser.add_argument("--version", action="version", version=f"reminders {__version__}")
    parser.add_argument("--config", metavar="PATH", help="the configuration file (TOML)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    added: list[argparse.ArgumentParser] = []
    for name, add in _COMMANDS.items():
        if only is None or name == only:
            added.extend(add(commands))
    _config_after_command(added)
    _org_option([commands.choices[name] for name in ORG_COMMANDS if name in commands.choices])
    return parser


def _add_check(commands: Subcommands) -> list[argparse.ArgumentParser]:
    check = commands.add_parser(
        "check",
        formatter_class=Formatter,
        help="validate the config and every calendar, listing every problem",
        description="Validate the configuration and every calendar file. Prints a summary and "
        "exits 0 when all is well; lists every problem (file:line: key: value; expected ...) "
        "and exits 1 otherwise.",
    )
    check.add_argument(
        "--connect",
        action="store_true",
        help="also connect to every e-mail channel's SMTP server as a send would (TLS, login), "
        "then QUIT without sending anything",
    )
    check.set_defaults(run=cmd_check)
    return [check]


def _add_channel(commands: Subcommands) -> list[argparse.ArgumentParser]:
    channel = commands.add_parser(
        "channel",
        formatter_class=Formatter,
        help="send a test notice through a channel now ('channel test ID')",
        description="Act on one [[channel]] of the config.",
    )
    actions = channel.add_subparsers(dest="action", metavar="ACTION", required=True)
    channel_test = actions.add_parser(
        "test",
        formatter_class=Formatter,
        help="send one test notice through the channel now and print what the receiver answered",
        description="Render the sample notice that 'reminders check' uses (marked [TEST], with "
        "made-up data) with a notice rule's templates and send it through the channel now, "
        "bypassing the ledger: nothing is recorded, no real delivery is blocked or marked. "
        "Prints what the receiver answered: the file written, the SMTP server's reply, or each "
        "Apprise URL's result (by position and scheme; URLs carry secrets).",
        epilog="Example: reminders channel test team-mail",
    )
    channel_test.add_argument("channel_id", metavar="ID", help="the id of a [[channel]]")
    channel_test.add_argument(
        "--rule",
        metavar="RULE",
        help="render with this [[notice]] rule's templates (default: the first rule that uses "
        "the channel)",
    )
    channel_test.set_defaults(run=cmd_channel_test)
    return [channel, channel_test]


def _add_upcoming(commands: Subcommands) -> list[argparse.ArgumentParser]:
    upcoming = commands.add_parser(
        "upcoming",
        formatter_class=Formatter,
        help="list the next observances and events",
        description="List observances and events from a date on: date, weekday, anniversary, "
        "days to go, and timed moments in the origin's and your organisation's time zone.",
    )
    upcoming.add_argument(
        "--days",
        type=days_arg,
        default=365,
        metavar="N",
        help="how many days to look ahead (default: 365)",
    )
    add_start_date(upcoming)
    upcoming.set_defaults(run=cmd_upcoming)
    return [upcoming]


def _add_export(commands: Subcommands) -> list[argparse.ArgumentParser]:
    export = commands.add_parser(
        "export",
        formatter_class=Formatter,
        help="write the calendar as an ICS file",
        description="Write one calendar, or all public calendars combined, as ICS (RFC 5545) "
        "for Google Calendar, Outlook, Apple Calendar or Thunderbird. The same inputs always give "
        "the same bytes.",
        epilog="Example: reminders export --from 2027 --to 2030 -o remembrance.ics",
    )
    export.add_argument(
        "--from",
        dest="first",
        type=year_arg,
        metavar="YEAR",
        help="first year (default: this year minus feed.past_years)",
    )
    export.add_argument(
        "--to",
        dest="last",
        type=year_arg,
        metavar="YEAR",
        help="last year, inclusive (default: this year plus feed.future_years)",
    )
    export.add_argument(
        "--calendar",
        metavar="ID",
        help="export only this calendar (default: all public ones combined)",
    )
    export.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, atomically (default: standard output)",
    )
    export.add_argument(
        "--language",
        metavar="LANG",
        help="write the feed in LANG, one of [organisation] languages (default: the first); "
        "texts with no translation stay in the calendar's language, marked LANGUAGE=",
    )
    examples = export.add_mutually_exclusive_group()
    examples.add_argument(
        "--examples",
        dest="examples",
        action="store_true",
        default=None,
        help="include events marked example = true",
    )
    examples.add_argument(
        "--no-examples",
        dest="examples",
        action="store_false",
        help="leave out events marked example = true",
    )
    export.add_argument(
        "--site",
        metavar="DIR",
        help="write the feeds and the page to DIR as the server serves them (for nginx or a "
        "CDN; see docs/web.md)",
    )
    export.set_defaults(run=cmd_export)
    return [export]


def _add_run(commands: Subcommands) -> list[argparse.ArgumentParser]:
    run = commands.add_parser(
        "run",
        formatter_class=Formatter,
        help="run the daemon that sends notices (until SIGTERM or Ctrl-C)",
        description="Send every notice at its time through its channels, recorded in the "
        "ledger so that nothing is sent twice and nothing is lost. Missed notices are sent late "
        "within the grace period. Reloads on SIGHUP and when a file changes; SIGTERM and Ctrl-C "
        "finish the deliveries in flight and stop.",
    )
    run.add_argument(
        "--log-format",
        choices=("human", "json"),
        default="human",
        help="log lines for people (default) or one JSON object per line",
    )
    run.add_argument(
        "--listen",
        type=listen_arg,
        metavar="HOST:PORT",
        help="where the feed listens (default: [feed] listen in the config); without [feed] "
        "base_url, the page's links follow it",
    )
    run.set_defaults(run=cmd_run)
    return [run]


def _add_serve(commands: Subcommands) -> list[argparse.ArgumentParser]:
    serve = commands.add_parser(
        "serve",
        formatter_class=Formatter,
        help="serve the ICS feeds and the subscribe page over HTTP (until SIGTERM or Ctrl-C)",
        description="Serve /all.ics, /calendars/ID.ics, the page at / and /healthz. The daemon "
        "('reminders run') serves the same in its own process; use 'serve' for the feed alone. "
        "Rebuilds the feeds when a file changes and on SIGHUP.",
        epilog="Example: reminders serve --listen 127.0.0.1:8080",
    )
    serve.add_argument(
        "--listen",
        type=listen_arg,
        metavar="HOST:PORT",
        help="where to listen (default: [feed] listen in the config); without [feed] "
        "base_url, the page's links follow it",
    )
    serve.add_argument(
        "--workers",
        type=workers_arg,
        default=1,
        metavar="N",
        help="serve from N processes sharing the socket (default: 1; N > 1 needs a POSIX "
        "system; see 'Several workers' in docs/web.md)",
    )
    serve.add_argument(
        "--log-format",
        choices=("human", "json"),
        default="human",
        help="log lines for people (default) or one JSON object per line",
    )
    serve.set_defaults(run=cmd_serve)
    return [serve]


def _add_plan(commands: Subcommands) -> list[argparse.ArgumentParser]:
    plan = commands.add_parser(
        "plan",
        formatter_class=Formatter,
        help="the yearly event plan: dates, conflicts, suggested event dates, milestones",
        description="Plan a commemoration year: every observance and planned event with its "
        "weekday, anniversary and jubilee, its conflicts with the host country's weekends, "
        "public holidays, the organisation's own closures, Ramadan and the Eids, a suggested "
        "event date, and the preparation milestones counted in working days ([plan], "
        "[[holiday]] and [[milestone]] in the config).",
        epilog="Example: reminders plan 2027 --format html -o plan-2027.html",
    )
    plan.add_argument("year", type=year_arg, metavar="YEAR", help="the year, YYYY")
    plan.add_argument(
        "--format",
        choices=("table", "md", "html", "csv", "json", "ics"),
        default="table",
        help="table: for the terminal (default); md: Markdown; html: a printable page with a "
        "year at a glance; csv: for spreadsheets; json: for programs (docs/plan.md); ics: the "
        "milestones as all-day events to subscribe to",
    )
    plan.add_argument(
        "--language",
        metavar="LANG",
        help="the language to write the plan in: one of [organisation] languages (default: "
        "the organisation's language)",
    )
    plan.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write to FILE, atomically (default: standard output)",
    )
    plan.add_argument(
        "--overview",
        action="store_true",
        help="for a deployment of several organisations: per observance, every organisation's "
        "event date or 'nothing planned', conflicts, next milestone (every format but ics)",
    )
    plan.set_defaults(run=cmd_plan)
    return [plan]


def _add_token(commands: Subcommands) -> list[argparse.ArgumentParser]:
    token = commands.add_parser(
        "token",
        formatter_class=Formatter,
        help="print a new secret token for a private calendar's feed",
        description="Print a random token (32 URL-safe characters). Put 'CALENDAR=TOKEN' in "
        "the variable named by [feed] tokens_env or in [feed] tokens_file; the private feed is "
        "then /calendars/CALENDAR.ics?token=TOKEN.",
    )
    token.set_defaults(run=cmd_token)
    return [token]


def _add_notices(commands: Subcommands) -> list[argparse.ArgumentParser]:
    notices = commands.add_parser(
        "notices",
        formatter_class=Formatter,
        help="list the notices the daemon will send, with their fire times",
        description="List every notice (observance x [[notice]] rule) firing in a window, at "
        "its fire time in your organisation's time zone, with its id and channels.",
    )
    notices.add_argument(
        "--days",
        type=days_arg,
        default=90,
        metavar="N",
        help="how many days to look ahead (default: 90)",
    )
    add_start_date(notices)
    notices.set_defaults(run=cmd_notices)
    return [notices]


def _add_orgs(commands: Subcommands) -> list[argparse.ArgumentParser]:
    orgs = commands.add_parser(
        "orgs",
        formatter_class=Formatter,
        help="list the organisations of a deployment, each with its state",
        description="Load every organisations/ID.toml of the config's [paths] organisations "
        "folder and list each: name, time zone, host country, languages, and its next notice "
        "or the problems of its file. Exits 1 when an organisation's file has problems.",
    )
    orgs.set_defaults(run=cmd_orgs)
    return [orgs]


def _add_status(commands: Subcommands) -> list[argparse.ArgumentParser]:
    status = commands.add_parser(
        "status",
        formatter_class=Formatter,
        help="show the next notices and the recent deliveries and failures",
        description="Read the ledger: deliveries per state, when the daemon was last alive, "
        "the next notices, the most recent deliveries, and failures and misses of the last "
        "30 days with their errors.",
    )
    status.add_argument(
        "--limit",
        type=days_arg,
        default=10,
        metavar="N",
        help="how many next notices and recent deliveries to show (default: 10)",
    )
    status.set_defaults(run=cmd_status)
    return [status]


def _add_preview(commands: Subcommands) -> list[argparse.ArgumentParser]:
    preview = commands.add_parser(
        "preview",
        formatter_class=Formatter,
        help="show a notice as it will be sent",
        description="Render one notice (a [[notice]] rule for one observance in one year) "
        "exactly as the daemon would send it at its fire time: the subject and text, the HTML "
        "body, or the whole e-mail.",
        epilog="Example: reminders preview day-of january-20 2027 --format html > notice.html",
    )
    preview.add_argument("rule", metavar="RULE", help="the id of a [[notice]] rule")
    preview.add_argument("observance", metavar="OBSERVANCE", help="an observance id")
    preview.add_argument("year", type=year_arg, metavar="YEAR", help="the year, YYYY")
    preview.add_argument(
        "--format",
        choices=("text", "html", "eml"),
        default="text",
        help="text: subject and text body (default); html: the HTML body; eml: the MIME "
        "message of the rule's e-mail channel, with the ICS attachment",
    )
    preview.add_argument(
        "--late",
        action="store_true",
        help="render it as sent late (after the daemon was not running at its time)",
    )
    preview.add_argument(
        "--language",
        metavar="LANG",
        help="one of organisation.languages (default: the language of the channel it is shown "
        "for: the channel's, else the rule's, else the organisation's default)",
    )
    preview.set_defaults(run=cmd_preview)
    return [preview]


# Each command's parser, added by build_parser (all of them, or only the one being run).
_COMMANDS: dict[str, Callable[[Subcommands], list[argparse.ArgumentParser]]] = {
    "check": _add_check,
    "channel": _add_channel,
    "upcoming": _add_upcoming,
    "export": _add_export,
    "run": _add_run,
    "serve": _add_serve,
    "plan": _add_plan,
    "token": _add_token,
    "notices": _add_notices,
    "orgs": _add_orgs,
    "status": _add_status,
    "preview": _add_preview,
}


# The commands that work for one organisation of a deployment (config/organisations.py).
ORG_COMMANDS = ("upcoming", "export", "notices", "preview", "status", "plan")


def _org_option(parsers: Iterable[argparse.ArgumentParser]) -> None:
    for sub in parsers:
        sub.add_argument(
            "--org",
            metavar="ID",
            default=None,
            help="the organisation (organisations/ID.toml) of a deployment of several",
        )


def _config_after_command(parsers: Iterable[argparse.ArgumentParser]) -> None:
    """Accept ``--config`` after the command too (``reminders check --config X``).

    SUPPRESS leaves the value given before the command in place when none is given after it.
    """
    for sub in parsers:
        sub.add_argument(
            "--config",
            metavar="PATH",
            default=argparse.SUPPRESS,
            help="the configuration file (TOML); also accepted before the command",
        )


def command_in(argv: Sequence[str]) -> str | None:
    """The command ``argv`` runs, when it can be told without parsing: the first word, after
    nothing but ``--config PATH`` or ``--config=PATH``. None when anything else comes first (help,
    ``--version``, an abbreviated option) or the word is no command: then every command's parser
    is built, for the help or the error that lists them."""
    at = 0
    while at < len(argv):
        word = argv[at]
        if word == "--config":
            at += 2
        elif word.startswith("--config="):
            at += 1
        else:
            return word if word in _COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser(command_in(sys.argv[1:] if argv is None else argv))
    args = parser.parse_args(argv)
    run: Handler | None = getattr(args, "run", None)
    if run is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from ..config.load import select

    select(getattr(args, "org", None))
    try:
        return run(args)
    except ReminderError as exc:
        print(f"reminders: {exc.message()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("reminders: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # The reader went away (reminders upcoming | head); not an error worth a traceback.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    finally:
        select(None)  # the organisation is this command's alone (main may be called again)
