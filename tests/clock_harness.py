"""An in-process daemon, with its feed, on a clock that the test moves (``Daemon(clock=, sleep=)``,
made as ``reminders run`` makes it).

The daemon's scheduler is paused once it has started: :meth:`Running.run_until` moves the clock
forward one sweep interval at a time and, at each step, runs what the scheduler would have run by
then (the fire jobs that are due, the sweep, the file watch, the heartbeat).  A minute of the
daemon's time takes a fraction of a second of real time, and every instant a test checks is exact.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from reminders.cli.run import make_daemon
from reminders.notify.daemon import HEARTBEAT, Daemon, sweep_interval

from .daemon_harness import Project


class Clock:
    """The daemon's clock: it moves only when the test, or a delivery's wait, moves it."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.lock = threading.Lock()

    def __call__(self) -> datetime:
        with self.lock:
            return self.now

    def sleep(self, seconds: float) -> None:  # a delivery's wait (delivery.py), in a worker
        with self.lock:
            self.now += timedelta(seconds=seconds)

    def set(self, when: datetime) -> None:
        with self.lock:
            self.now = max(self.now, when)


class Records(logging.Handler):
    """Every record the daemon logs (the JSON log's fields are the records' attributes)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def messages(self) -> list[str]:
        return [r.getMessage() for r in self.records]

    def logged(self, text: str) -> bool:
        return any(text in message for message in self.messages())


class Running:
    """A started daemon on ``clock`` with its scheduler paused; the test moves time."""

    def __init__(self, daemon: Daemon, clock: Clock) -> None:
        self.daemon, self.clock = daemon, clock
        self.watched = self.beaten = clock()

    async def tick(self) -> None:
        """What the scheduler runs at the clock's instant: due fire jobs, the sweep, the watch,
        the heartbeat."""
        daemon, now = self.daemon, self.clock()
        for job in sorted(daemon.scheduler.get_jobs(), key=lambda j: j.next_run_time):
            if job.id.startswith("fire:") and job.next_run_time <= now:
                job.remove()  # a date job runs once
                await daemon.fire(job.id[5:])
        await daemon.sweep()
        assert daemon.runtime is not None
        every = daemon.runtime.settings.daemon.watch_interval
        if every and now - self.watched >= every:
            self.watched = now
            await daemon.watch()
        if now - self.beaten >= HEARTBEAT:
            self.beaten = now
            await daemon.heartbeat()

    async def run_until(self, until: datetime) -> None:
        """Move the clock to ``until`` one sweep interval at a time, ticking at each step."""
        while self.clock() < until:
            assert self.daemon.runtime is not None
            step = timedelta(seconds=sweep_interval(self.daemon.runtime))
            self.clock.set(min(self.clock() + step, until))
            await self.tick()

    async def stop(self) -> None:
        self.daemon.stop()
        await self.daemon.shutdown()


Start = Callable[[], Awaitable[Running]]


def run(project: Project, clock: Clock, scenario: Callable[[Start], Awaitable[None]]) -> None:
    """Run ``scenario(start)`` in an event loop; ``start()`` starts a daemon on ``clock``."""

    async def main() -> None:
        started: list[Running] = []

        async def start() -> Running:
            daemon = make_daemon(str(project.config), environ={}, clock=clock, sleep=clock.sleep)
            assert await daemon.start()
            daemon.scheduler.pause()  # the test runs the jobs, on the daemon's clock
            started.append(Running(daemon, clock))
            return started[-1]

        try:
            await scenario(start)
        finally:
            for running in started:
                if running.daemon.ledger is not None and not running.daemon.stopping.is_set():
                    await running.stop()

    asyncio.run(main())


@contextmanager
def captured() -> Iterator[Records]:
    """The records the daemon logs (logger ``reminders``, INFO and up) while inside."""
    handler = Records()
    logger = logging.getLogger("reminders")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
