"""Plain-text output for the terminal (``reminders upcoming``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, tzinfo

from ..core import words
from ..core.dates import zone
from ..core.model import Occurrence
from ..core.settings import MILESTONE_PREFIX, Settings

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..core.notices import Notice
    from ..notify.ledger import Delivery
    from ..notify.status import StatusReport


def days_to_go(start: date, day: date, language: str) -> str:
    """'today', 'tomorrow', 'in 30 days'."""
    return words.when((day - start).days, language)


def upcoming_lines(
    items: tuple[Occurrence, ...], settings: Settings, start: date, days: int
) -> Iterator[str]:
    home = settings.organisation.timezone
    language = words.output_language(settings.organisation.language)
    end = start + timedelta(days=days - 1)
    yield (
        f"{settings.organisation.name}: {words.format_date(start, words.TABLE, language)} to "
        f"{words.format_date(end, words.TABLE, language)} "
        f"({words.plural(days, 'day', language)}; times in the origin's zone and in {home})"
    )
    if not items:
        yield "Nothing in this window."
        return
    indent = " " * 31
    for item in items:
        mark = " (jubilee)" if item.jubilee and item.event is None else ""
        title = item.title
        if item.event is not None and item.event.example:
            title = f"Example: {title}"
        yield ""
        yield (
            f"{words.format_date(item.date, words.TABLE, language)}  "
            f"{days_to_go(start, item.date, language):<13} {title}{mark}"
        )
        for placed in item.moments:
            yield (
                f"{indent}{placed.moment.name} "
                f"({words.minutes(placed.end - placed.start, language)}): "
                f"{words.both_zones(placed.start, placed.end, home, language)}"
            )
        event = item.event
        if event is not None:
            if event.start is not None and event.end is not None:
                yield f"{indent}{words.both_zones(event.start, event.end, home, language)}"
            if event.venue:
                yield f"{indent}at {event.venue}"
            if item.observance is not None:
                yield (
                    f"{indent}for the {words.ordinal(item.number, language)} anniversary "
                    f"({item.observance.id})"
                )


def notice_lines(items: list[Notice], settings: Settings, start: date, days: int) -> Iterator[str]:
    """``reminders notices``: one line per notice, at its fire time in the organisation's zone."""
    home = settings.organisation.timezone
    language = words.output_language(settings.organisation.language)
    yield (
        f"{words.plural(len(items), 'notice', language)} from "
        f"{words.format_date(start, words.TABLE, language)} for "
        f"{words.plural(days, 'day', language)} "
        f"(fire times in {home}):"
    )
    width = max((len(notice.rule.id) for notice in items), default=12)  # milestone:ID is long
    for notice in items:
        at = notice.fire_at.astimezone(zone(home))
        channels = ", ".join(notice.rule.channels)
        lead = words.days_before(notice.days_before, language)
        if notice.rule.id.startswith(MILESTONE_PREFIX):
            lead = f"{notice.rule.description}; {lead}"
        yield (
            f"  {words.format_date(at.date(), words.TABLE, language)} {words.clock(at, language)}  "
            f"{notice.rule.id:<{max(width, 12)}} -> {channels:<16} {notice.occurrence.title} "
            f"({words.format_date(notice.occurrence.date, words.TABLE, language)}, "
            f"{lead})"
        )
        yield f"  {'':<22}  id {notice.id}"


def status_lines(report: StatusReport, settings: Settings, now: datetime) -> Iterator[str]:
    """``reminders status``: the ledger's counts, the daemon's heartbeat, next and recent.

    Every time is shown in the organisation's time zone, named after it as the daemon's log does
    (``2026-12-21 09:00 Asia/Karachi``).  What comes from the ledger (states, ids, replicas, a
    server's error reply) is shown with its control characters escaped, as the log shows them:
    a stored ESC or CR must not drive the terminal or forge a line.
    """
    from .logs import safe_line  # (logs imports logging: not for `upcoming`, which uses textout)

    home = zone(settings.organisation.timezone)
    counts = ", ".join(f"{safe_line(state)} {count}" for state, count in report.counts.items())
    if report.version is None:
        yield f"Ledger: {report.ledger} (none yet: `reminders run` creates it at its start)"
    elif report.version < report.current:
        yield (
            f"Ledger: {report.ledger} ({counts}; schema version {report.version}, made by an "
            f"older release: `reminders run` upgrades it to version {report.current} at its "
            "start, after which status shows its deliveries)"
        )
    elif report.organisation is not None:
        yield f"Ledger: {report.ledger} (organisation {report.organisation}: {counts})"
    else:
        yield f"Ledger: {report.ledger} ({counts})"
    if report.heartbeat is None:
        yield "Daemon: has never run with this ledger (start it with `reminders run`)"
    else:
        ago = now - report.heartbeat
        state = "running" if ago < timedelta(minutes=2) else "not running"
        yield (
            f"Daemon: last seen {_stamp(report.heartbeat, home, '%Y-%m-%d %H:%M:%S')} "
            f"({_ago(ago)} ago; {state})"
        )
    for channel, folder, exists in report.outboxes:
        there = "" if exists else "; none yet: the daemon creates it at its start"
        yield f"Outbox: {folder} (channel {channel}{there})"
    yield ""
    yield "Next notices:" if report.upcoming else "Next notices: none in the next 60 days"
    prefix = f"{report.organisation}/" if report.organisation else ""  # as the ledger's ids
    for index, notice in enumerate(report.upcoming):
        owner = f"{report.owners[index]}/" if report.owners else prefix
        shown = f"{owner}{notice.id}"
        yield f"  {_stamp(notice.fire_at, home)}  {shown} -> {', '.join(notice.rule.channels)}"
    yield ""
    yield "Recent deliveries:" if report.recent else "Recent deliveries: none yet"
    for row in report.recent:
        yield "  " + _delivery(row, home)
    yield ""
    yield (
        "Failures and misses (last 30 days):"
        if report.problems
        else "Failures and misses (last 30 days): none"
    )
    for row in report.problems:
        yield "  " + _delivery(row, home)
        if row.last_error:
            yield f"      {safe_line(row.last_error)}"


def _delivery(row: Delivery, home: tzinfo) -> str:
    from .logs import safe_line

    state = safe_line(row.state)
    if row.state == "failed":
        state = "retrying" if row.next_attempt_at is not None else "failed"
    late = " late" if row.late else ""
    # which replica (host:pid)
    by = f", by {safe_line(row.claimed_by)}" if row.claimed_by else ""
    notice, channel = safe_line(row.notice_id), safe_line(row.channel)
    return (
        f"{_stamp(row.updated_at, home)}  {state:<8}{late} {notice} -> {channel} "
        f"(attempts {row.attempts}{by})"
    )


def _stamp(moment: datetime, home: tzinfo, form: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` on the organisation's clock, with its zone: '2026-12-21 09:00 Asia/Karachi'."""
    return f"{moment.astimezone(home).strftime(form)} {home}"


def _ago(span: timedelta) -> str:
    seconds = int(span.total_seconds())
    if seconds < 120:
        return f"{max(seconds, 0)} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    if seconds < 172800:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} days"
