"""``reminders run``: the daemon that sends every notice at its time, never twice, never lost.

An APScheduler ``AsyncIOScheduler`` with the memory job store holds the jobs; the jobs are derived
from the data and the ledger holds the state, so nothing about a job needs to survive a restart:

* ``fire:<UTC time>``: one job per fire time within the horizon (deterministic id), delivering
  every notice due then through each of its channels;
* ``replan``: daily, extends the horizon (and recovers from anything missed);
* ``sweep``: every few seconds, takes deliveries whose retry is due or whose lease expired;
* ``heartbeat``: records that the daemon is alive, so a restart knows since when it was down;
* ``watch``: reloads when the config, a calendar or a template changes (also on SIGHUP).

On start it sends what it missed while down if still inside the grace period (late), and records
older misses as missed.  When the ledger is unreachable (PostgreSQL restarting, the network gone)
the daemon keeps running: a delivery that could not be claimed waits in memory and the sweep tries
it again once the ledger answers, while still inside the grace period; a start waits for a
PostgreSQL ledger to answer.  Several daemons may share one PostgreSQL ledger (replicas): each
schedules every notice and the ledger's claims decide which one sends.

A config that names organisations (config/organisations.py) is one daemon for all of them: each
organisation is a :class:`Unit` with its own runtime (channels, rules, milestones, languages,
time zone) and plan, one scheduler fires every unit's notices and one ledger holds them all, each
delivery's notice id carrying its organisation (``ID/`` + the notice id).  A reload reads only
the organisations whose files changed (all of them when config.toml, the shared calendars or the
templates changed); one organisation's broken file keeps its last good version running and stops
no other.  The one-organisation case is the unit ``""``, with the ids and behaviour as before.

SIGTERM and Ctrl-C stop new work, finish the deliveries in flight, and exit 0.  Deliveries run in
worker threads (SMTP and files block); the event loop only schedules.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import time
from collections.abc import Callable, Coroutine, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from ..config.sources import Stat, fingerprint
from ..core import translate
from ..core.errors import ReminderError, UsageError
from ..core.notices import Notice
from ..core.settings import Loaded
from . import delivery
from .ledger import (
    ORGS_META,
    STATES,
    Ledger,
    LedgerError,
    LedgerVersionError,
    delivery_notice_id,
    ledger_url,
    split_notice_id,
)
from .reload import Orgs, ReloadError, Version, build_orgs, build_version, close_version
from .reload import planned as plan_notices
from .runtime import Runtime, close_channels

log = logging.getLogger("reminders")
T = TypeVar("T")

HEARTBEAT = timedelta(seconds=30)
REPLAN = timedelta(days=1)
MAX_LOOKBACK = timedelta(days=400)  # a restart after longer records no misses before this
HEARTBEAT_MARGIN = timedelta(hours=1)  # jobs queued just before a crash are looked at again
LEDGER_WAIT = (1.0, 30.0)  # seconds between attempts to reach the ledger at start: first, most


class FeedService(Protocol):
    """The feed server a daemon runs beside, in its event loop (web/server.py's WebService).

    The daemon does not import it: ``reminders run`` (cli/run.py) makes it, through the factory
    handed to :class:`Daemon`, which passes the daemon's :meth:`Daemon.health` for ``/healthz``.

    The daemon schedules first: ``start(build_first=False)`` only binds and serves (503 until
    the feeds are built, /healthz at once), and ``build_in_background()`` builds the feeds once
    the notices are scheduled; ``ready()`` waits for that first build ("ready" or "failed").
    """

    async def start(
        self, loaded: Loaded, listen: str | None = None, *, build_first: bool = True
    ) -> None: ...

    def build_in_background(self) -> None: ...

    async def ready(self) -> str: ...

    async def stop(self) -> None: ...

    def prepare(self, loaded: Loaded) -> tuple[Any, Any, tuple[Stat, ...]]: ...

    def install(
        self, loaded: Loaded, feeds: Any, pages: Any, stamp: tuple[Stat, ...], why: str
    ) -> None: ...


# Makes the feed server of a daemon from what /healthz shows of it.
FeedFactory = Callable[[Callable[[], dict[str, Any]]], FeedService]


def sweep_interval(runtime: Runtime) -> float:
    settings = runtime.settings.daemon
    shortest = min(settings.lease, settings.retry_backoff).total_seconds()
    return max(0.5, min(30.0, shortest / 3))


async def fire(daemon: Daemon, key: str) -> None:
    """The job of one fire time (module level, so its reference is stable)."""
    await daemon.fire(key)


async def sweep(daemon: Daemon) -> None:
    await daemon.sweep()


async def replan(daemon: Daemon) -> None:
    await daemon.replan()


async def heartbeat(daemon: Daemon) -> None:
    await daemon.heartbeat()


async def watch(daemon: Daemon) -> None:
    await daemon.watch()


class Unit:
    """One organisation's part of a daemon: its last good runtime and the notices it plans.
    The one-organisation case is the unit ``""`` (its runtime is the daemon's runtime)."""

    def __init__(self, org_id: str) -> None:
        self.id = org_id
        self.runtime: Runtime | None = None  # its last good version (None: never loaded)
        self.plan: dict[str, list[Notice]] = {}
        self.stamp: tuple[Stat, ...] = ()  # its files as last read, well or not
        self.loaded_at: datetime | None = None  # when its last good version was read
        self.error = ""  # the problems of its files since then ("" when none)
        self.error_at: datetime | None = None
        # The first notice after the horizon (None: none in 400 days), once looked for.
        self.beyond: Notice | None = None
        self.beyond_known = False

    def load_state(self) -> dict[str, Any]:
        """Its last good load and the problems of its files since, as the ledger's
        ``organisations`` record and /healthz show them."""
        return {
            "loaded_at": None if self.loaded_at is None else self.loaded_at.isoformat(),
            "problems": self.error or None,
            "problems_at": None if self.error_at is None else self.error_at.isoformat(),
        }


class Daemon:
    def __init__(
        self,
        config_path: str,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], datetime] | None = None,
        listen: str | None = None,
        sleep: Callable[[float], None] | None = None,
        feed: FeedFactory | None = None,
    ) -> None:
        self.config_path = config_path
        self.feed = feed  # None: no feed server, whatever [daemon] serve_feed says
        self.listen = listen  # the feed's address instead of [feed] listen (run --listen)
        self.environ = os.environ if environ is None else environ
        self.clock = clock or (lambda: datetime.now(UTC))
        # The waits of a delivery in its worker thread (delivery.py); with a test's clock, one
        # that moves that clock instead of waiting.
        self.sleep = sleep or time.sleep
        self._runtime: Runtime | None = None
        self.ledger: Ledger | None = None
        # The organisations' units by id; {"": ...} in the one-organisation case.
        self.units: dict[str, Unit] = {"": Unit("")}
        self.org_folder: str | None = None  # the organisations' folder (None: one organisation)
        self.org_problems: tuple[str, ...] = ()  # the folder's own (a file named no id)
        self.unowned = False  # the ledger has rows without an organisation (see catch_up)
        self.org_counts: dict[str, dict[str, int]] = {}  # ledger counts, by organisation
        self.horizon_end: datetime | None = None
        self.inflight: set[asyncio.Future[str]] = set()
        self.tasks: set[asyncio.Future[None]] = set()
        self.stopping = asyncio.Event()
        self.reloading = False
        self.last_reload: dict[str, Any] | None = None  # what /healthz says of the last reload
        self.pool: ThreadPoolExecutor | None = None
        self.limit: asyncio.Semaphore | None = None
        self.web: FeedService | None = None
        # Deliveries whose claim failed because the ledger was unreachable, by (notice, channel);
        # the sweep tries them again when it answers.
        # Keyed by the ledger's notice id and the channel; the unit and the notice.
        self.pending: dict[tuple[str, str], tuple[str, Notice]] = {}
        self.ledger_down_since: datetime | None = None

    @property
    def runtime(self) -> Runtime | None:
        """config.toml's runtime: the daemon's settings, the feed's; in the one-organisation
        case also the one that sends (the unit ``""``'s)."""
        return self._runtime

    @runtime.setter
    def runtime(self, value: Runtime | None) -> None:
        self._runtime = value
        if self.org_folder is None:
            self.units[""].runtime = value

    @property
    def plan(self) -> dict[str, list[Notice]]:
        """The notices planned, by UTC fire time (every organisation's, with organisations)."""
        if self.org_folder is None:
            return self.units[""].plan
        merged: dict[str, list[Notice]] = {}
        for unit in self.units.values():
            for key, due in unit.plan.items():
                merged.setdefault(key, []).extend(due)
        return merged

    def _sending(self) -> list[Unit]:
        """The units that send: those with a good version."""
        return [unit for unit in self.units.values() if unit.runtime is not None]

    # --- Life cycle -------------------------------------------------------------------------

    async def run(self) -> int:
        """Start, serve until SIGTERM/SIGINT, stop cleanly.  Raises ReminderError on bad input."""
        if not await self.start(signals=True):
            return 0  # stopped while waiting for the ledger
        await self.stopping.wait()
        await self.shutdown()
        return 0

    async def start(self, *, signals: bool = False) -> bool:
        """Load, open the ledger, catch up on what was missed, schedule; returns when running.

        False: stopped (SIGTERM) while waiting for the ledger, with nothing started.
        """
        from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_MISSED
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        loop = asyncio.get_running_loop()
        if signals:
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.add_signal_handler(sig, self.stop, sig.name)
        # Everything checked before anything starts, as a reload does (the feeds are built by
        # the feed server once the notices are scheduled, see below).
        version = await asyncio.to_thread(
            build_version, self.config_path, self.clock(), self.environ
        )
        runtime = version.runtime
        if self.listen and not runtime.settings.daemon.serve_feed:
            close_channels(runtime.channels)
            raise UsageError(
                f"--listen {self.listen}: this daemon serves no feed ([daemon] serve_feed = "
                "false); expected no --listen, or serve_feed = true"
            )
        self.runtime = runtime
        checked: dict[str, dict[str, list[Notice]]] = {"": version.planned}
        if version.orgs is not None:
            self.org_folder = self._folder()
            self.units = {}
            checked = self._apply_orgs(version.orgs, self.clock(), "")
        url = ledger_url(runtime.settings.ledger, self.environ)
        self.ledger = Ledger(url)
        if not await self._open_ledger(self.ledger):
            self.ledger.close()
            self._close_units()
            return False
        if self.org_folder is not None:
            await self._unowned()
            await self._record_orgs()
        now = self.clock()
        self.pool = ThreadPoolExecutor(
            max_workers=runtime.settings.daemon.workers, thread_name_prefix="delivery"
        )
        self.limit = asyncio.Semaphore(runtime.settings.daemon.workers * 2)
        self.scheduler = AsyncIOScheduler(timezone=UTC, event_loop=loop)
        self.scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        if runtime.settings.daemon.serve_feed and self.feed is not None:
            # Before anything is sent: a feed that cannot listen stops the start.  It is built
            # once the notices are scheduled: planning, the catch-up and the first fire jobs
            # never wait for it (17 s for 70,000 events, bench/daemon.py case 1).
            self.web = self.feed(self.health)
            try:
                loaded = Loaded(runtime.settings, runtime.calendars)
                await self.web.start(loaded, self.listen, build_first=False)
            except BaseException:
                await self.web.stop()
                self.web = None
                self.pool.shutdown(wait=False)
                self.ledger.close()
                self._close_units()
                raise
        if signals:
            loop.add_signal_handler(signal.SIGHUP, lambda: self._background(self.reload("SIGHUP")))
        if self.org_folder is None:
            log.info(
                "starting: %s, ledger %s, %d notice rule(s), %d notified milestone(s), "
                "channels: %s",
                runtime.settings.source,
                self.ledger.shown_url,
                len(runtime.settings.notices),
                sum(rule.notified for rule in runtime.settings.milestones),
                ", ".join(f"{k} ({c.describe()})" for k, c in runtime.channels.items()) or "none",
            )
            for line in translate.summary(
                runtime.calendars, runtime.settings.organisation.languages
            ):
                log.info("translations: %s", line)
        else:
            log.info(
                "starting: %s, ledger %s, %d organisation(s) (%d loaded)",
                runtime.settings.source,
                self.ledger.shown_url,
                len(self.units),
                len(self._sending()),
            )
            for unit in self._sending():
                assert unit.runtime is not None
                settings, channels = unit.runtime.settings, unit.runtime.channels
                log.info(
                    "organisation %s: %d notice rule(s), %d notified milestone(s), channels: %s",
                    unit.id,
                    len(settings.notices),
                    sum(rule.notified for rule in settings.milestones),
                    ", ".join(f"{k} ({c.describe()})" for k, c in channels.items()) or "none",
                    extra={"organisation": unit.id},
                )
        self.scheduler.start()
        await self.catch_up(now)
        self._schedule_service_jobs(runtime)
        # The checked plan, unless catching up took so long that the horizon moved on.
        self._schedule_plan(now, checked if self.clock() == now else None)
        await self.heartbeat()
        if self.web is not None:
            # In a thread, which holds the GIL in pieces: the loop still runs the fire jobs on
            # time meanwhile (tests/test_feed_later.py).  A reload since the start has already
            # installed newer feeds, if any.
            self.web.build_in_background()
        return True

    async def _open_ledger(self, ledger: Ledger) -> bool:
        """Create or upgrade the schema; wait for a PostgreSQL ledger that does not answer yet.

        A SQLite ledger that cannot be opened, and a ledger of a newer release, stop the start.
        Returns False when the daemon was told to stop while waiting.
        """
        wait = LEDGER_WAIT[0]
        while True:
            try:
                await asyncio.to_thread(ledger.create_schema)
                return True
            except LedgerVersionError:
                raise
            except LedgerError as exc:
                if ledger.dialect != "postgresql":
                    raise
                log.error("the ledger does not answer: %s; trying again in %.0f s", exc, wait)
            try:
                await asyncio.wait_for(self.stopping.wait(), wait)
                return False
            except TimeoutError:
                wait = min(wait * 2, LEDGER_WAIT[1])

    def stop(self, why: str = "stop") -> None:
        if not self.stopping.is_set():
            # Counted now: the same line whether the delivery came from a fire job or from the
            # catch-up of a start (which the start awaits, so none is left for the shutdown).
            if self.inflight:
                log.info(
                    "%s received: finishing %d delivery(ies) in flight, then stopping",
                    why,
                    len(self.inflight),
                )
            else:
                log.info("%s received: no delivery in flight; stopping", why)
            self.stopping.set()

    async def shutdown(self) -> None:
        self.scheduler.shutdown(wait=False)
        if self.inflight:
            log.info("waiting for %d delivery(ies) in flight", len(self.inflight))
            await asyncio.gather(*self.inflight, return_exceptions=True)
        if self.web is not None:
            await self.web.stop()
        assert self.ledger is not None
        if self.pending:
            log.warning(
                "%d delivery(ies) still wait for the ledger; the next start, or another replica, "
                "sends them while inside the grace period",
                len(self.pending),
            )
        await self.heartbeat()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
        self._close_units()
        self.ledger.close()
        log.info("stopped")

    def _close_units(self) -> None:
        """Close every channel of config.toml's runtime and of every unit's."""
        runtimes = [self.runtime, *(unit.runtime for unit in self.units.values())]
        seen: set[int] = set()
        for runtime in runtimes:
            if runtime is not None and id(runtime) not in seen:
                seen.add(id(runtime))
                close_channels(runtime.channels)

    # --- Organisations ----------------------------------------------------------------------

    def _folder(self) -> str:
        from ..config.organisations import folder_of

        folder = folder_of(self.config_path)
        assert folder is not None
        return folder

    def _apply_orgs(
        self, orgs: Orgs, now: datetime, why: str
    ) -> dict[str, dict[str, list[Notice]]]:
        """Take in the organisations a (re)load read: each that loaded replaces its unit's
        version; one with problems keeps its unit's last good version (logged, and shown in
        /healthz and ``orgs``); one whose file is gone is dropped. Returns the checked plans
        of the units replaced, by id. No await: a switch is whole."""
        if orgs.problems != self.org_problems:
            for problem in orgs.problems:
                log.error("organisations folder: %s", problem)
        self.org_problems = orgs.problems
        for gone in [u for u in self.units if u not in orgs.present]:
            unit = self.units.pop(gone)
            if unit.runtime is not None:
                close_channels(unit.runtime.channels)
            log.warning(
                "organisation %s: its file is gone; its notices are no longer sent",
                gone,
                extra={"organisation": gone},
            )
        checked: dict[str, dict[str, list[Notice]]] = {}
        for read in orgs.read:
            unit = self.units.setdefault(read.id, Unit(read.id))
            unit.stamp = read.stamp
            extra = {"organisation": read.id}
            if read.runtime is None:
                unit.error, unit.error_at = read.error, now
                if unit.runtime is None:
                    log.error(
                        "organisation %s not loaded%s; none of its notices is sent until its "
                        "files are fixed:\n%s",
                        read.id,
                        f" ({why})" if why else "",
                        read.error,
                        extra=extra,
                    )
                else:
                    assert unit.loaded_at is not None
                    log.error(
                        "organisation %s: reload (%s) rejected, still running its version of "
                        "%s:\n%s",
                        read.id,
                        why,
                        unit.loaded_at.astimezone(UTC).isoformat(timespec="seconds"),
                        read.error,
                        extra=extra,
                    )
                continue
            if unit.runtime is not None:
                close_channels(unit.runtime.channels)
                log.info("organisation %s reloaded (%s)", read.id, why, extra=extra)
            unit.runtime, unit.loaded_at = read.runtime, now
            unit.error, unit.error_at = "", None
            checked[read.id] = read.planned
        return checked

    def _changed_orgs(self) -> set[str]:
        """The organisations whose files changed since they were read (new and gone ones too)."""
        from ..config.organisations import org_stamp, organisation_files

        assert self.org_folder is not None
        files, _ = organisation_files(self.org_folder)
        changed = {u for u in self.units if u not in dict(files)}
        for org_id, path in files:
            unit = self.units.get(org_id)
            if unit is None or unit.stamp != org_stamp(org_id, path):
                changed.add(org_id)
        return changed

    async def _record_orgs(self) -> None:
        """Write each organisation's load state into the ledger (meta ``organisations``), for
        ``reminders orgs`` on any machine: its last good load and the problems of its files
        since. Replicas write the same files' state; the last one's stays."""
        assert self.ledger is not None
        state = {unit.id: unit.load_state() for unit in self.units.values()}
        with contextlib.suppress(LedgerError):  # (the sweep reports an unreachable ledger)
            await self._in_thread(
                self.ledger.set_meta, ORGS_META, json.dumps(state, sort_keys=True)
            )

    async def _unowned(self) -> None:
        """With organisations: note whether the ledger has rows without an organisation (a
        one-organisation ledger's), which every organisation's catch-up then reads as its own."""
        assert self.ledger is not None
        # The rows whose notice id names no organisation (every row's state is one of STATES).
        unowned = sum((await asyncio.to_thread(self.ledger.counts, "")).values())
        self.unowned = unowned > 0
        if self.unowned:
            log.warning(
                "the ledger has %d row(s) without an organisation, written before the config "
                "named organisations: no organisation sends again what they record as sent, "
                "and none of them is retried",
                unowned,
            )

    # --- Scheduling -------------------------------------------------------------------------

    def _schedule_service_jobs(self, runtime: Runtime) -> None:
        add = self.scheduler.add_job
        add(
            sweep,
            "interval",
            args=[self],
            id="sweep",
            seconds=sweep_interval(runtime),
            replace_existing=True,
            coalesce=True,
            max_instances=1,
        )
        add(
            heartbeat,
            "interval",
            args=[self],
            id="heartbeat",
            seconds=HEARTBEAT.total_seconds(),
            replace_existing=True,
            coalesce=True,
        )
        add(
            replan,
            "interval",
            args=[self],
            id="replan",
            seconds=REPLAN.total_seconds(),
            replace_existing=True,
            coalesce=True,
        )
        watch_every = runtime.settings.daemon.watch_interval.total_seconds()
        if watch_every > 0:
            add(
                watch,
                "interval",
                args=[self],
                id="watch",
                seconds=watch_every,
                replace_existing=True,
                coalesce=True,
                max_instances=1,
            )
        elif self.scheduler.get_job("watch") is not None:
            self.scheduler.remove_job("watch")

    def _schedule_plan(
        self,
        now: datetime,
        checked: dict[str, dict[str, list[Notice]]] | None = None,
        only: set[str] | None = None,
    ) -> None:
        """One job per fire time in ``[now, now + horizon)``; old fire jobs are replaced.

        ``checked``: the plans, made and checked by a new version (reload.py) at ``now``, by
        unit. ``only``: plan these units alone (a reload of some organisations); the others
        keep their plans.
        """
        assert self.runtime is not None
        horizon = self.runtime.settings.daemon.horizon
        grace = self.runtime.settings.daemon.grace.total_seconds()
        old = {unit.id: unit.plan for unit in self.units.values()}
        new: dict[str, dict[str, list[Notice]]] = {}
        for unit in self.units.values():
            if unit.runtime is None or (only is not None and unit.id not in only):
                new[unit.id] = dict(unit.plan)
                continue
            made = checked.get(unit.id) if checked is not None else None
            if made is None:
                made = plan_notices(unit.runtime, now)
            new[unit.id] = {key: list(due) for key, due in made.items()}
            unit.beyond_known = False
        keys = {key for plan in new.values() for key in plan}
        due = now.astimezone(UTC).isoformat()
        for job in self.scheduler.get_jobs():
            key = job.id[5:]
            if not job.id.startswith("fire:") or key in keys:
                continue
            if key > due:
                job.remove()  # a later fire time the new plan no longer has
            else:
                # Due but not yet run: it keeps what it was to send, or those notices would wait
                # for the next start's catch-up.
                for unit_id, plan in new.items():
                    plan[key] = old.get(unit_id, {}).get(key, [])
                keys.add(key)
        for key in sorted(keys):
            self.scheduler.add_job(
                fire,
                "date",
                args=[self, key],
                id=f"fire:{key}",
                run_date=datetime.fromisoformat(key),
                misfire_grace_time=max(1, int(grace)),
                replace_existing=True,
            )
        for unit_id, plan in new.items():
            self.units[unit_id].plan = plan
        if only is None:
            self.horizon_end = now + horizon
        count = sum(len(v) for plan in new.values() for v in plan.values())
        log.info(
            "planned %d notice(s) at %d fire time(s) until %s",
            count,
            len(keys),
            (now + horizon).isoformat(timespec="minutes"),
        )
        if not keys:
            self._log_next(now + horizon)

    def _log_next(self, start: datetime) -> None:
        """Say when the next notice beyond the horizon is, so a quiet daemon is not a mystery."""
        found = [(n, u.id) for u in self._sending() if (n := self._beyond(start, u)) is not None]
        if found:
            beyond, unit_id = min(found, key=lambda pair: pair[0].fire_at)
            tz = beyond.fire_at.tzinfo
            notice_id = delivery_notice_id(unit_id, beyond.id)
            log.info(
                "next notice after that: %s at %s",
                notice_id,
                beyond.fire_at.strftime(f"%Y-%m-%d %H:%M {tz}"),
                extra={"notice": notice_id},
            )
        else:
            log.warning("no notice rule matches any observance in the next 400 days")

    def _on_job_event(self, event: object) -> None:
        job_id = getattr(event, "job_id", "")
        exception = getattr(event, "exception", None)
        if isinstance(exception, asyncio.CancelledError) and self.stopping.is_set():
            return  # a job cut short by the stop; what it did not do, the next start does
        if exception is not None:
            log.error("job %s raised %s: %s", job_id, type(exception).__name__, exception)
        else:
            log.warning("job %s missed its time by more than the grace period", job_id)
            if job_id.startswith("fire:"):
                self._background(self._record_missed(job_id[5:]))

    async def _record_missed(self, key: str) -> None:
        assert self.ledger is not None
        for unit_id, notice in [(u.id, n) for u in self._sending() for n in u.plan.get(key, [])]:
            for channel_id in notice.rule.channels:
                with contextlib.suppress(LedgerError):  # (the next start's catch-up records it)
                    await self._in_thread(
                        self.ledger.mark_missed,
                        delivery_notice_id(unit_id, notice.id),
                        channel_id,
                        notice.fire_at,
                        self.clock(),
                        "the scheduler ran the job after the grace period",
                    )

    # --- Jobs -------------------------------------------------------------------------------

    async def fire(self, key: str) -> None:
        await asyncio.gather(
            *(
                self._dispatch(n, c, unit.id)
                for unit in self._sending()
                for n, c in delivery.channel_pairs(unit.plan.get(key, []))
            )
        )

    async def _count(self) -> None:
        """The ledger's counts of every organisation, for /healthz (at each heartbeat: one
        query for all of them)."""
        assert self.ledger is not None
        with contextlib.suppress(LedgerError):  # (the sweep reports an unreachable ledger)
            counts = await self._in_thread(self.ledger.counts_by_organisation)
            none = dict.fromkeys(STATES, 0)  # (an organisation with no row yet)
            self.org_counts = {u: counts.get(u, none) for u in self.units} | counts

    async def sweep(self) -> None:
        assert self.ledger is not None
        try:
            rows = await self._in_thread(self.ledger.due, self.clock())
        except LedgerError as exc:
            self._ledger_failed(exc)
            return
        self._ledger_answered()
        try:
            await self._retry_pending()
            if rows:
                await self._sweep_rows(rows)
        except LedgerError as exc:
            self._ledger_failed(exc)

    async def _retry_pending(self) -> None:
        """Deliveries that waited for the ledger: sent now if inside the grace period."""
        assert self.runtime is not None
        assert self.ledger is not None
        if not self.pending:
            return
        waiting, self.pending = self.pending, {}
        grace = self.runtime.settings.daemon.grace
        now = self.clock()
        work = []
        log.info("the ledger answers: trying %d delivery(ies) that waited for it", len(waiting))
        failure: LedgerError | None = None
        for (notice_id, channel_id), (unit_id, notice) in sorted(
            waiting.items(), key=lambda item: item[0]
        ):
            if now - notice.fire_at <= grace:
                work.append(self._dispatch(notice, channel_id, unit_id))
                continue
            if failure is not None:  # the ledger went away again: keep the rest waiting
                self.pending[notice_id, channel_id] = (unit_id, notice)
                continue
            reason = (
                f"the ledger was unreachable from {notice.fire_at.isoformat()} until after "
                f"the grace period of {grace}"
            )
            try:
                recorded = await self._in_thread(
                    self.ledger.mark_missed, notice_id, channel_id, notice.fire_at, now, reason
                )
            except LedgerError as exc:
                failure = exc
                self.pending[notice_id, channel_id] = (unit_id, notice)
                continue
            if recorded:
                log.warning(
                    "missed: %s; recorded, not sent",
                    reason,
                    extra={"notice": notice_id, "channel": channel_id},
                )
        await asyncio.gather(*work)
        if failure is not None:
            raise failure

    def _ledger_failed(self, exc: LedgerError) -> None:
        if self.ledger_down_since is None:
            self.ledger_down_since = self.clock()
            log.error(
                "the ledger does not answer: %s; deliveries wait and go out when it is back "
                "(within the grace period)",
                exc,
            )

    def _ledger_answered(self) -> None:
        if self.ledger_down_since is not None:
            down = self.clock() - self.ledger_down_since
            self.ledger_down_since = None
            log.info(
                "the ledger answers again after %.0f s; %d delivery(ies) waited for it",
                down.total_seconds(),
                len(self.pending),
            )

    async def _sweep_rows(self, rows: list[Any]) -> None:
        assert self.ledger is not None
        assert self.runtime is not None
        # All at once and in a worker: on a large calendar each lookup expands a year, and the
        # event loop must stay free for the fire jobs meanwhile.
        found = await self._in_thread(self._notices_of_rows, rows)
        work = []
        for row in rows:
            unit_id, notice = found.get(row.notice_id, ("", None))
            if notice is None or row.channel not in notice.rule.channels:
                log.error(
                    "cannot retry: the notice or its channel is no longer configured",
                    extra={"notice": row.notice_id, "channel": row.channel},
                )
                claim = await self._in_thread(
                    self.ledger.claim,
                    row.notice_id,
                    row.channel,
                    row.fire_at,
                    self.clock(),
                    self.runtime.settings.daemon.lease,
                )
                if claim is not None:
                    await self._in_thread(
                        self.ledger.mark_failed,
                        claim,
                        self.clock(),
                        "the notice or its channel was removed from the configuration",
                        None,
                    )
                continue
            work.append(self._dispatch(notice, row.channel, unit_id))
        await asyncio.gather(*work)

    def _notices_of_rows(self, rows: list[Any]) -> dict[str, tuple[str, Notice]]:
        """The notices of ledger rows under each unit's current runtime, by the rows' notice
        id, with their unit (a row of no unit, or of one not loaded, is left out)."""
        ids: dict[str, list[str]] = {}
        for row in rows:
            unit_id, notice_id = split_notice_id(row.notice_id)
            ids.setdefault(unit_id, []).append(notice_id)
        found: dict[str, tuple[str, Notice]] = {}
        for unit_id, notice_ids in ids.items():
            unit = self.units.get(unit_id)
            if unit is None or unit.runtime is None:
                continue
            for notice_id, notice in delivery.notices_by_id(unit.runtime, notice_ids).items():
                found[delivery_notice_id(unit_id, notice_id)] = (unit_id, notice)
        return found

    async def replan(self) -> None:
        self._schedule_plan(self.clock())

    async def heartbeat(self) -> None:
        assert self.ledger is not None
        try:
            await self._in_thread(self.ledger.set_meta, "heartbeat", self.clock().isoformat())
        except LedgerError as exc:
            self._ledger_failed(exc)
            return
        if self.org_folder is not None:
            await self._count()

    async def catch_up(self, now: datetime) -> None:
        assert self.ledger is not None
        assert self.runtime is not None
        last = await self._in_thread(self.ledger.get_meta, "heartbeat")
        grace = self.runtime.settings.daemon.grace
        since = now - grace
        if last:
            since = min(since, datetime.fromisoformat(last) - HEARTBEAT_MARGIN)
        since = max(since, now - MAX_LOOKBACK)
        send: list[tuple[Notice, str, str]] = []
        for unit in self._sending():
            sent, missed = await self._in_thread(
                delivery.catch_up, unit.runtime, self.ledger, now, since, unit.id, self.unowned
            )
            send += [(notice, channel_id, unit.id) for notice, channel_id in sent]
            for notice, channel_id in missed:
                log.warning(
                    "missed while the daemon was down (due %s, beyond the grace period of %s); "
                    "recorded, not sent",
                    notice.fire_at.isoformat(timespec="minutes"),
                    grace,
                    extra={"notice": delivery_notice_id(unit.id, notice.id), "channel": channel_id},
                )
        if send:
            log.info("sending %d delivery(ies) missed while down, marked late", len(send))
        await asyncio.gather(*(self._dispatch(n, c, u) for n, c, u in send))

    async def watch(self) -> None:
        runtime = self.runtime
        assert runtime is not None
        settings = runtime.settings
        now = fingerprint(self.config_path, settings.calendars_dir, settings.templates_dir)
        if now != runtime.fingerprint:
            await self.reload("a file changed")
        elif self.org_folder is not None and not self.reloading:
            changed = await self._in_thread(self._changed_orgs)
            if changed:
                await self.reload("a file changed", only=changed)

    async def reload(self, why: str, only: set[str] | None = None) -> None:
        """Build a new version and switch to it whole, or keep the old one (rejected).

        With organisations, when config.toml, the shared calendars and the templates are as
        they were: read only the organisations ``only`` names, or (None, a SIGHUP) those whose
        files changed and those whose last read failed."""
        if self.reloading or self.stopping.is_set():
            return
        self.reloading = True
        try:
            now = self.clock()
            if self.org_folder is not None and await self._reload_orgs(why, now, only):
                return
            feeds = self.web.prepare if self.web is not None else None
            try:
                # Everything the new version is made of, built and checked in a worker thread
                # while the old version goes on serving and sending (reload.py).
                version = await self._in_thread(
                    build_version, self.config_path, now, self.environ, feeds
                )
            except ReminderError as exc:
                self._reload_rejected(why, now, exc.message())
                return
            except Exception as exc:  # (build_version names what it can; this is a last guard)
                self._reload_rejected(why, now, str(ReloadError(f"{type(exc).__name__}: {exc}")))
                return
            self._switch(version, now, why)
        finally:
            self.reloading = False

    async def _reload_orgs(self, why: str, now: datetime, only: set[str] | None) -> bool:
        """A reload of some organisations, when config.toml's part is unchanged (else False:
        the whole deployment is read again). config.toml's runtime and the feed stay."""
        runtime = self.runtime
        assert runtime is not None
        settings = runtime.settings
        stamp = fingerprint(self.config_path, settings.calendars_dir, settings.templates_dir)
        if stamp != runtime.fingerprint:
            return False
        if only is None:
            only = await self._in_thread(self._changed_orgs)
            only |= {unit.id for unit in self.units.values() if unit.error}
        if not only:
            log.info("reload (%s): no organisation's file changed", why)
            return True
        assert self.org_folder is not None
        wanted = set(only)
        orgs = await self._in_thread(
            build_orgs,
            runtime,
            self.org_folder,
            now,
            self.environ,
            lambda org_id, stamp: org_id not in wanted,
        )
        checked = self._apply_orgs(orgs, now, why)
        self._schedule_plan(now, checked, set(checked))
        self._background(self._record_orgs())
        rejected = sorted(read.id for read in orgs.read if read.runtime is None)
        self.last_reload = {
            "result": "rejected" if rejected and not checked else "applied",
            "why": why,
            "at": now.astimezone(UTC).isoformat(),
            "error": None,
            "organisations": sorted(read.id for read in orgs.read),
            "rejected": rejected,
        }
        return True

    def _reload_rejected(self, why: str, now: datetime, message: str) -> None:
        """Keep the whole old version; remember the files, so that the same broken state is
        not reported every few seconds, and show the error in /healthz until a reload works."""
        assert self.runtime is not None
        settings = self.runtime.settings
        self.runtime = self.runtime._replace(
            fingerprint=fingerprint(
                self.config_path, settings.calendars_dir, settings.templates_dir
            )
        )
        self.last_reload = {
            "result": "rejected",
            "why": why,
            "at": now.astimezone(UTC).isoformat(),
            "error": message,
        }
        log.error(
            "reload (%s) rejected, still running the previous version whole (notices, feeds, "
            "templates):\n%s",
            why,
            message,
        )

    def _switch(self, version: Version, now: datetime, why: str) -> None:
        """Switch every part of ``version`` in at once: no await, so no job and no request
        runs between the first assignment and the last."""
        old, fresh = self.runtime, version.runtime
        if old is not None and old.settings.ledger != fresh.settings.ledger:
            log.warning("the ledger setting changed; it takes effect at the next start")
        if (version.orgs is None) != (self.org_folder is None):
            close_version(fresh, version.orgs)
            self._reload_rejected(
                why,
                now,
                f"{fresh.settings.source}: [paths] organisations was "
                + ("added" if version.orgs is not None else "removed")
                + "; a daemon runs one organisation or several from its start to its stop: "
                "restart it for this change",
            )
            return
        self.runtime = fresh
        self._schedule_service_jobs(fresh)
        if version.orgs is None:
            self._schedule_plan(now, {"": version.planned})
        else:
            self.org_folder = self._folder()
            self._schedule_plan(now, self._apply_orgs(version.orgs, now, why))
            self._background(self._record_orgs())
        if self.web is not None:
            if old is not None and old.settings.feed.listen != fresh.settings.feed.listen:
                log.warning("[feed] listen changed; it takes effect at the next start")
            if (
                old is not None
                and old.settings.daemon.serve_feed != fresh.settings.daemon.serve_feed
            ):
                log.warning("[daemon] serve_feed changed; it takes effect at the next start")
            if version.feeds is not None and version.pages is not None:
                loaded = Loaded(fresh.settings, fresh.calendars)
                self.web.install(loaded, version.feeds, version.pages, version.feeds_stamp, why)
        if old is not None:
            close_channels(old.channels)
        self.last_reload = {
            "result": "applied",
            "why": why,
            "at": now.astimezone(UTC).isoformat(),
            "error": None,
        }
        log.info("reloaded (%s)", why)

    def _beyond(self, start: datetime, unit: Unit) -> Notice | None:
        """The first notice in the 400 days after ``start`` (the horizon's end), looked for once
        per plan: by the log when the horizon is empty, else by the first /healthz that asks."""
        if not unit.beyond_known:
            assert unit.runtime is not None
            ahead = delivery.plan(unit.runtime, start, start + timedelta(days=400))
            unit.beyond, unit.beyond_known = (ahead[0] if ahead else None), True
        return unit.beyond

    def _next_notice(self, units: list[Unit] | None = None) -> dict[str, Any] | None:
        """The next notice of ``units`` (every sending unit when None), for /healthz."""
        now = self.clock()
        due = now.astimezone(UTC).isoformat()
        found: tuple[Notice, str, bool] | None = None
        for unit in self._sending() if units is None else units:
            # The earliest later fire time: one pass over the plan, not a sort of it per call.
            key = min((key for key, n in unit.plan.items() if key > due and n), default=None)
            notice = None if key is None else unit.plan[key][0]
            beyond = notice is None
            if beyond and unit.runtime is not None and self.horizon_end is not None:
                notice = self._beyond(self.horizon_end, unit)
            if notice is None or notice.fire_at <= now:
                continue
            if found is None or notice.fire_at < found[0].fire_at:
                found = (notice, unit.id, beyond)
        if found is None:
            return None
        notice, unit_id, beyond = found
        return {
            "id": delivery_notice_id(unit_id, notice.id),
            "fire_at": notice.fire_at.astimezone(UTC).isoformat(),
            "beyond_horizon": beyond,
        }

    def _organisations(self) -> dict[str, Any]:
        """What /healthz adds with organisations: ``daemon_organisations``, each one's last good
        load, the problems of its files since, its next notice, how many notices it has planned
        and its ledger counts (as of the last heartbeat, every 30 s); and
        ``organisation_folder_problems`` (a file name that is no organisation id)."""
        shown: dict[str, Any] = {}
        for unit_id, unit in sorted(self.units.items()):
            shown[unit_id] = {
                **unit.load_state(),
                "next_notice": self._next_notice([unit]) if unit.runtime is not None else None,
                "planned": sum(len(v) for v in unit.plan.values()),
                "ledger": self.org_counts.get(unit_id),
            }
        return {
            "daemon_organisations": shown,
            "organisation_folder_problems": list(self.org_problems),
        }

    def health(self) -> dict[str, Any]:
        """What /healthz adds in the daemon: the scheduler, the next fire time, the ledger.

        ``next_fire`` is the scheduler's next job, inside the horizon; ``next_notice`` is the
        next notice to send, ``{"id", "fire_at", "beyond_horizon"}``, even when it lies beyond
        the horizon (the one the log names), or null when no notice comes in the next 400 days.
        ``reload`` is null until the first reload, then ``{"result": "applied" or "rejected",
        "why", "at", "error"}``: a rejected reload's error (file and problem) stays there, beside
        the previous version still running, until a reload is applied.  With organisations,
        ``daemon_organisations`` and ``organisation_folder_problems`` besides
        (:meth:`_organisations`).
        """
        from apscheduler.schedulers.base import STATE_PAUSED, STATE_RUNNING

        state = {STATE_RUNNING: "running", STATE_PAUSED: "paused"}.get(
            self.scheduler.state, "stopped"
        )
        times = [
            job.next_run_time
            for job in self.scheduler.get_jobs()
            if job.id.startswith("fire:") and job.next_run_time is not None
        ]
        shown = {
            "scheduler": "stopping" if self.stopping.is_set() else state,
            "next_fire": min(times).astimezone(UTC).isoformat() if times else None,
            "next_notice": self._next_notice(),
            "planned": sum(len(v) for v in self.plan.values()),
            "ledger": "ok" if self.ledger_down_since is None else "unreachable",
            "ledger_down_since": (
                None if self.ledger_down_since is None else self.ledger_down_since.isoformat()
            ),
            "waiting_for_ledger": len(self.pending),
            "reload": self.last_reload,
        }
        if self.org_folder is not None:
            shown.update(self._organisations())
        return shown

    # --- Deliveries -------------------------------------------------------------------------

    async def _dispatch(self, notice: Notice, channel_id: str, unit_id: str = "") -> str:
        assert self.limit is not None
        async with self.limit:
            if self.stopping.is_set():
                return "skipped"  # not claimed: the next start catches it up
            unit, ledger = self.units.get(unit_id), self.ledger
            runtime = unit.runtime if unit is not None else None
            if runtime is None:
                return "skipped"  # its organisation is gone; nothing of it is sent
            assert ledger is not None
            future = asyncio.ensure_future(
                self._in_thread(
                    delivery.deliver,
                    runtime,
                    ledger,
                    notice,
                    channel_id,
                    self.clock,
                    self.sleep,
                    unit_id,
                )
            )
            self.inflight.add(future)
            try:
                return await asyncio.shield(future)
            except LedgerError as exc:  # the ledger itself is unreachable
                self._ledger_failed(exc)
                notice_id = delivery_notice_id(unit_id, notice.id)
                self.pending[notice_id, channel_id] = (unit_id, notice)
                log.debug(
                    "waiting for the ledger",
                    extra={"notice": notice_id, "channel": channel_id},
                )
                return "waiting"
            finally:
                self.inflight.discard(future)

    def _background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run ``work`` as a task the daemon holds on to (the loop keeps only weak references)."""
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def _in_thread(self, func: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, func, *args)
