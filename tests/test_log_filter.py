"""The daemon's log keeps APScheduler's warnings except two that are no news."""

from __future__ import annotations

import asyncio
import io
import logging
import sys
from collections.abc import Callable
from types import SimpleNamespace

from reminders.cli import logs

SKIPPED = 'Execution of job "%s" skipped: maximum number of running instances reached (%d)'


def logged(emit: Callable[[], object]) -> str:
    logger = logs.setup("human")
    stream = io.StringIO()
    handler = logger.handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    try:
        emit()
    finally:
        handler.setStream(sys.stderr)
    return stream.getvalue()


def test_a_busy_sweep_or_watch_is_not_reported_but_a_busy_fire_job_is() -> None:
    scheduler = logging.getLogger("apscheduler.scheduler")
    for quiet in ("sweep", "watch"):
        job = SimpleNamespace(id=quiet)
        assert logged(lambda job=job: scheduler.warning(SKIPPED, job, 1)) == ""
    fire = SimpleNamespace(id="fire:2027-01-20T04:00:00+00:00")
    assert "skipped: maximum number of running instances" in logged(
        lambda: scheduler.warning(SKIPPED, fire, 1)
    )


def test_a_job_cancelled_at_stop_is_not_reported_but_a_real_error_is() -> None:
    executor = logging.getLogger("apscheduler.executors.default")

    def raised(exc: BaseException) -> None:
        try:
            raise exc
        except BaseException:
            executor.exception('Job "%s" raised an exception', "sweep")

    assert logged(lambda: raised(asyncio.CancelledError())) == ""
    assert "ZeroDivisionError" in logged(lambda: raised(ZeroDivisionError("boom")))


def test_the_project_s_own_lines_always_pass() -> None:
    own = logging.getLogger("reminders")
    assert "maximum number of running instances reached" in logged(
        lambda: own.warning("maximum number of running instances reached")
    )
