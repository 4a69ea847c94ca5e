"""Sending one delivery through the ledger: claim, render, send, record.  Runs in worker threads.

The ledger decides; this module never sends without a claim.  A delivery is claimed (a row with
a lease), rendered, handed to its channel and marked sent.  If the channel fails, the row is
marked failed with the time of the next attempt (``retry_backoff`` doubled per attempt) or, after
``retry_limit`` attempts or a permanent refusal, failed for good.  If the process dies between the
claim and the mark, the lease expires and the next sweep takes the delivery again.

A notice is **late** when it goes out more than :data:`LATE_AFTER` after its fire time (the daemon
was down, or a channel was failing); the rendered notice says so and the ledger records it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from ..core.model import Occurrence
from ..core.notices import Notice, notices, year_notice, year_occurrences
from ..core.settings import MILESTONE_PREFIX
from .channels import DeliveryError
from .ledger import Claim, Ledger, LedgerError, delivery_notice_id
from .runtime import Runtime

LATE_AFTER = timedelta(minutes=5)
RETRY_WAIT_MAX = timedelta(days=1)  # the doubling of retry waits stops here
RECORD_MARGIN = timedelta(seconds=1)  # the outcome is written this long before the lease ends
# Fault injection for the crash tests: sleep this many seconds between the claim and the send.
ENV_FAULT_PAUSE = "REMINDERS_FAULT_PAUSE_AFTER_CLAIM"

log = logging.getLogger("reminders")


def deliver(
    runtime: Runtime,
    ledger: Ledger,
    notice: Notice,
    channel_id: str,
    clock: Callable[[], datetime],
    sleep: Callable[[float], None] = time.sleep,
    org: str = "",
) -> str:
    """Send one delivery if the ledger lets this process claim it.

    ``org``: the organisation whose notice it is ("" for the one-organisation case); its id
    is part of the delivery's in the ledger and in the message (ledger.delivery_notice_id).

    Returns "sent", "skipped" (sent already, claimed elsewhere, or not due), "retry" or "failed".
    ``clock`` and ``sleep`` are the time this delivery lives on: its claim, its lease and the
    waits of :func:`_record` (the daemon's; tests give one whose ``sleep`` moves its ``clock``).
    """
    from .render import for_channel, message_for, notice_ics, render_notice

    daemon = runtime.settings.daemon
    now = clock()
    # The outcome must be written before the lease ends (see _record).
    record_by = now + daemon.lease - RECORD_MARGIN
    fire_at = notice.fire_at.astimezone(UTC)
    late = now - fire_at > LATE_AFTER
    notice_id = delivery_notice_id(org, notice.id)
    claim = ledger.claim(notice_id, channel_id, fire_at, now, daemon.lease, late=late)
    extra: dict[str, object] = {"notice": notice_id, "channel": channel_id}
    if org:  # (the JSON log's "organisation": one organisation's story in a deployment's log)
        extra["organisation"] = org
    waits = _Waits(clock, sleep, record_by)
    if claim is None:
        return "skipped"
    pause = float(os.environ.get(ENV_FAULT_PAUSE, "0") or 0)
    if pause:
        log.warning("fault injection: pausing %.1f s after the claim", pause, extra=extra)
        sleep(pause)
    extra["attempt"] = claim.attempt
    channel = runtime.channels.get(channel_id)
    try:
        if channel is None:
            raise DeliveryError(f"channel {channel_id!r} is no longer configured", transient=False)
        # In the channel's language (else the rule's, else the default): each channel of a rule
        # may read another, and each is its own delivery.
        shown, language = for_channel(notice, runtime.settings, channel_id, runtime.calendars)
        plan = runtime.plans.of(notice.occurrence, language)
        rendered = render_notice(runtime.env, shown, runtime.settings, now, late, plan, language)
        ics = notice_ics(shown, runtime.settings, language)
        message = message_for(notice, channel_id, rendered, ics, now, late, notice_id)
        channel.send(message)
    except DeliveryError as exc:
        return _failed(ledger, claim, clock(), exc.reason, exc.transient, runtime, waits, extra)
    except Exception as exc:  # a template or library error must not lose the delivery
        log.exception("delivery raised an unexpected error", extra=extra)
        reason = f"{type(exc).__name__}: {exc}"
        return _failed(ledger, claim, clock(), reason, True, runtime, waits, extra)
    if _record(lambda: ledger.mark_sent(claim, clock()), waits, extra):
        log.info("sent%s: %s", " late" if late else "", notice.occurrence.title, extra=extra)
    else:
        log.warning("sent, but the claim had expired and was taken over", extra=extra)
    return "sent"


class _Waits(NamedTuple):
    clock: Callable[[], datetime]
    sleep: Callable[[float], None]
    deadline: datetime  # the outcome must be written by then: the lease ends a little later


def _record(write: Callable[[], bool], waits: _Waits, extra: dict[str, object]) -> bool:
    """Write the outcome of a claim, riding out a ledger outage while the lease lasts.

    A message that went out but cannot be recorded would be sent again once the lease ends, so the
    write is tried again (0.5 s, doubling up to 5 s) until shortly before then; after that the
    LedgerError goes up and the delivery is taken again later, a recognisable duplicate (the same
    Message-ID, the same outbox file name).
    """
    wait = 0.5
    while True:
        try:
            return write()
        except LedgerError as exc:
            if waits.clock() + timedelta(seconds=wait) >= waits.deadline:
                raise
            log.warning(
                "cannot record the outcome yet (%s); trying again in %.1f s",
                exc.reason,
                wait,
                extra=extra,
            )
            waits.sleep(wait)
            wait = min(wait * 2, 5.0)


def retry_wait(backoff: timedelta, attempt: int) -> timedelta:
    """The wait after failed attempt ``attempt`` (from 1): ``backoff``, doubled for each further
    attempt, at most a day (``retry_limit`` may be 100: 2**99 backoffs would pass the year 9999).
    """
    doubled: timedelta = backoff * 2 ** min(attempt - 1, 24)
    return min(doubled, max(backoff, RETRY_WAIT_MAX))


def _failed(
    ledger: Ledger,
    claim: Claim,
    now: datetime,
    reason: str,
    transient: bool,
    runtime: Runtime,
    waits: _Waits,
    extra: dict[str, object],
) -> str:
    daemon = runtime.settings.daemon
    attempt = claim.attempt
    if transient and attempt < daemon.retry_limit:
        retry_at = now + retry_wait(daemon.retry_backoff, attempt)
        _record(lambda: ledger.mark_failed(claim, now, reason, retry_at), waits, extra)
        log.warning(
            "attempt %d of %d failed: %s; next attempt at %s",
            attempt,
            daemon.retry_limit,
            reason,
            retry_at.isoformat(timespec="seconds"),
            extra={**extra, "error": reason},
        )
        return "retry"
    _record(lambda: ledger.mark_failed(claim, now, reason, None), waits, extra)
    why = "permanent failure" if not transient else f"{attempt} attempts failed"
    log.error("delivery failed for good (%s): %s", why, reason, extra={**extra, "error": reason})
    return "failed"


def notices_by_id(runtime: Runtime, notice_ids: Iterable[str]) -> dict[str, Notice]:
    """The notices ``{calendar}:{observance}:{year}:{rule}`` under the current runtime, by id,
    and the milestone notices ``{calendar}:{observance}:{year}:milestone:{id}``.

    Ids whose calendar, observance or rule is no longer configured are left out (and so are
    those of a milestone no longer notified).  Each (calendar,
    year) is expanded once, not once per id: the sweep resolves every retry it takes at once, and
    with a thousand retries of a large calendar that is the difference between a tenth of a
    second and a minute.
    """
    settings = runtime.settings
    years: dict[tuple[str, int], dict[str, tuple[Occurrence, tuple[Occurrence, ...]]]] = {}
    out: dict[str, Notice] = {}
    for notice_id in notice_ids:
        parts = notice_id.split(":", 3)
        if len(parts) != 4 or not parts[2].isdigit():
            continue
        calendar_id, observance_id, year, rule_id = parts
        milestone = (
            rule_id.removeprefix(MILESTONE_PREFIX) if rule_id.startswith(MILESTONE_PREFIX) else None
        )
        rule = settings.rule(rule_id) if milestone is None else None
        if rule is None and milestone is None:
            continue
        key = (calendar_id, int(year))
        if key not in years:
            chosen = tuple(c for c in runtime.calendars if c.id == calendar_id)
            years[key] = year_occurrences(chosen, key[1], examples=settings.feed.include_examples)
        found = years[key].get(observance_id)
        if found is None:
            continue
        if rule is not None:
            out[notice_id] = year_notice(rule, found, settings.organisation)
            continue
        assert milestone is not None
        notice = runtime.plans.find_milestone_notice(found[0], milestone)
        if notice is not None:
            out[notice_id] = notice
    return out


def plan(runtime: Runtime, start: datetime, end: datetime) -> list[Notice]:
    """The lead-time and milestone notices firing in ``[start, end)``, by fire time and id."""
    from ..plan.yearplans import all_notices

    settings = runtime.settings
    lead = notices(
        runtime.calendars,
        settings.notices,
        settings.organisation,
        start,
        end,
        examples=settings.feed.include_examples,
    )
    return all_notices(runtime.plans, lead, start, end)


def catch_up(
    runtime: Runtime,
    ledger: Ledger,
    now: datetime,
    since: datetime,
    org: str = "",
    unowned: bool = False,
) -> tuple[list[tuple[Notice, str]], list[tuple[Notice, str]]]:
    """Deliveries that fired in ``[since, now)`` without a ledger row.

    Returns (to send late, recorded as missed): those within the grace period go out late; older
    ones are recorded as missed, not sent.  Rows that exist (claimed, failed) are the sweep's job.
    ``org``: the organisation of ``runtime`` (its ids in the ledger carry it); ``unowned``: the
    ledger has rows without an organisation (written before the config named organisations),
    and a notice one of them records is not sent again by any organisation.
    """
    due = plan(runtime, since, now)
    known = set(ledger.find(delivery_notice_id(org, n.id) for n in due))
    if org and unowned:
        known |= {(delivery_notice_id(org, n), c) for n, c in ledger.find(n.id for n in due)}
    grace = runtime.settings.daemon.grace
    send, missed = [], []
    for notice in due:
        notice_id = delivery_notice_id(org, notice.id)
        for channel_id in notice.rule.channels:
            if (notice_id, channel_id) in known:
                continue
            if now - notice.fire_at <= grace:
                send.append((notice, channel_id))
            else:
                reason = f"the daemon was not running at {notice.fire_at.isoformat()}"
                if ledger.mark_missed(notice_id, channel_id, notice.fire_at, now, reason):
                    missed.append((notice, channel_id))
    return send, missed


def channel_pairs(notices_: Iterable[Notice]) -> list[tuple[Notice, str]]:
    return [(n, c) for n in notices_ for c in n.rule.channels]
