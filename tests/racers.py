"""Processes that race for the ledger: each its own process with its own connection, started
together at a barrier.

They are forked from a multiprocessing fork server that imported the ledger once (per test
process), instead of each starting Python and importing SQLAlchemy anew (about 0.45 CPU s a
process), and the barrier holds them until every one is connected, so they really run at once.
"""

from __future__ import annotations

import logging
import multiprocessing
import traceback
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

PRELOAD = ["reminders.notify.ledger", "sqlalchemy", "psycopg"]
KEYS = [f"cal:obs-{n}:2027:plan" for n in range(50)]


def _context() -> Any:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def race(work: Callable[..., Any], count: int, *args: Any, timeout: float = 60) -> list[Any]:
    """Runs ``work(ready, *args)`` in ``count`` processes at once; each calls ``ready()`` when
    it is set to go (connected), and returns its result, which must pickle.  Returns the
    results in process order; raises AssertionError naming the process whose work raised or
    wrote a warning."""
    context = _context()
    barrier = context.Barrier(count)
    results = context.Queue()
    processes = [
        context.Process(target=_run, args=(n, work, barrier, results, args)) for n in range(count)
    ]
    for process in processes:
        process.start()
    found: dict[int, Any] = {}
    try:
        for _ in processes:
            n, outcome, problem = results.get(timeout=timeout)
            assert problem is None, f"racer {n}: {problem}"
            found[n] = outcome
    finally:
        for process in processes:
            process.join(timeout=timeout)
            if process.is_alive():
                process.kill()
    assert [p.exitcode for p in processes] == [0] * count
    return [found[n] for n in range(count)]


class _Heard(logging.Handler):
    """What a racer logs at WARNING or above (which a process of its own would write to
    stderr)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(f"{record.levelname}: {record.getMessage()}")


def _run(n: int, work: Callable[..., Any], barrier: Any, results: Any, args: tuple[Any]) -> None:
    heard = _Heard()
    logging.getLogger().addHandler(heard)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            outcome = work(lambda: barrier.wait(timeout=60), *args)
        said = [f"warning: {w.message}" for w in caught] + heard.lines
        results.put((n, outcome, "; ".join(said) or None))
    except BaseException:
        results.put((n, None, traceback.format_exc()))


# --- The work of one racer (module level: the fork server finds it by name) -----------------


def create_schema(ready: Callable[[], None], url: str, schema: str | None) -> int | None:
    """Creates or upgrades the schema; its version afterwards."""
    from reminders.notify.ledger import Ledger

    ledger = Ledger(url, schema=schema)
    ready()
    ledger.create_schema()
    version = ledger.schema_version()
    ledger.close()
    return version


def claim_all(
    ready: Callable[[], None],
    url: str,
    schema: str | None,
    fire_at: datetime,
    now: datetime,
    lease: timedelta,
) -> list[str]:
    """Claims every one of KEYS it can; the keys it won."""
    from reminders.notify.ledger import Ledger

    ledger = Ledger(url, schema=schema)
    ledger.get_meta("warm-up")  # connected before the start
    ready()
    won = [key for key in KEYS if ledger.claim(key, "outbox", fire_at, now, lease)]
    ledger.close()
    return won
