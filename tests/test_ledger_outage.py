"""A daemon whose PostgreSQL ledger goes away and comes back: nothing lost, nothing sent twice.

The outage is a proxy between the daemon and the shared PostgreSQL server that the test cuts
(every connection reset, new ones refused) and restores; the server itself is never touched.
tests/test_faults.py stops and starts a real private cluster under running daemons.  What needs
a real process (SIGTERM while waiting for the ledger) runs one; the rest runs the daemon
in-process on its clock (tests/clock_harness.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import pytest
from sqlalchemy.engine import make_url

from reminders.notify.delivery import ENV_FAULT_PAUSE
from reminders.notify.ledger import MISSED, SENT, Ledger

from .clock_harness import Clock, Records, Start, captured, run
from .daemon_harness import Daemon, Project, Rule, kill_leftovers, soon
from .pg_harness import PG_ENV, PG_SKIP, fresh_database
from .tcp_proxy import CuttableProxy

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def no_daemon_left_running() -> Iterator[None]:
    yield
    kill_leftovers()


class Setup:
    def __init__(self, project: Project, proxy: CuttableProxy, url: str) -> None:
        self.project, self.proxy, self.url = project, proxy, url

    def write(self, rules: list[Rule], **daemon: object) -> None:
        self.project.write(rules, daemon={"lease": "PT3S", "retry_backoff": "PT1S", **daemon})
        config = self.project.config
        text = config.read_text("utf-8")
        config.write_text(
            text.replace('url = "sqlite:///ledger.sqlite3"', f'url = "{self.url}"'), "utf-8"
        )


@pytest.fixture
def setup(tmp_path: Path) -> Iterator[tuple[Setup, str]]:
    server = os.environ.get(PG_ENV)
    if not server:
        pytest.skip(PG_SKIP)
    with fresh_database(server, "reminders_outage") as direct:
        parsed = make_url(direct)
        proxy = CuttableProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        proxied = parsed.set(host="127.0.0.1", port=proxy.port, query={"connect_timeout": "3"})
        try:
            yield Setup(Project(tmp_path), proxy, proxied.render_as_string(False)), direct
        finally:
            kill_leftovers()
            proxy.close()


def rows(direct: str, rules: list[Rule]) -> list[tuple[str, int, bool]]:
    ledger = Ledger(direct)
    try:
        found = [ledger.get(rule.notice_id, "outbox") for rule in rules]
    finally:
        ledger.close()
    return [(r.state, r.attempts, r.late) if r else ("none", 0, False) for r in found]


def test_a_start_waits_for_the_ledger_and_sigterm_ends_the_wait(
    setup: tuple[Setup, str],
) -> None:
    env, direct = setup
    env.write([Rule("after-start", soon(600))])
    env.proxy.cut()
    waiting = Daemon(env.project)
    waiting.wait_logged("the ledger does not answer")
    assert not waiting.logged("planned")
    assert waiting.stop(signal.SIGTERM) == 0  # told to stop while waiting: a clean exit

    # The fire time leaves room for a start, the wait and the reconnection (about 1.2 s on a
    # quiet machine) before it: the notice must go out on time (not late), after the wait.
    rule = Rule("after-start", soon(6))
    env.write([rule])
    daemon = Daemon(env.project)
    daemon.wait_logged("the ledger does not answer")
    env.proxy.restore()
    daemon.wait_logged("planned", timeout=20)
    daemon.wait_for(lambda: len(env.project.outbox_files()) == 1, what="the notice")
    assert daemon.stop() == 0
    assert rows(direct, [rule]) == [(SENT, 1, False)]


# --- In-process, on the daemon's clock (tests/clock_harness.py) ------------------------------

NOW = datetime(2027, 1, 10, 4, 0, tzinfo=UTC)


async def healthz(records: Records) -> dict[str, Any]:
    """/healthz over HTTP, from the feed that the in-process daemon serves."""
    marker = "serving the feed on "
    # The feed binds in the background of the daemon's start (real time, not the daemon's
    # clock): on a loaded machine its line may come a moment after the notices' first steps.
    loop = asyncio.get_running_loop()
    until = loop.time() + 20
    while not any(marker in m for m in records.messages()) and loop.time() < until:
        await asyncio.sleep(0.02)
    line = next(m for m in records.messages() if marker in m)
    url = line.split(marker, 1)[1].split()[0] + "/healthz"
    body = await asyncio.to_thread(lambda: urlopen(url, timeout=10).read())
    return dict(json.loads(body))


# Formerly a real process: the same steps on the daemon's clock, and /healthz checked in between.
def test_notices_due_while_the_ledger_is_away_go_out_once_when_it_returns(
    setup: tuple[Setup, str],
) -> None:
    env, direct = setup
    clock = Clock(NOW)
    rules = [Rule("first", NOW + timedelta(seconds=8)), Rule("second", NOW + timedelta(seconds=10))]
    env.write(rules)

    async def scenario(start: Start) -> None:
        daemon = await start()
        env.proxy.cut()
        await daemon.run_until(NOW + timedelta(seconds=12))  # both fire times
        assert records.logged("the ledger does not answer")
        assert env.project.outbox_files() == []  # nothing is sent without a claim
        health = await healthz(records)
        assert (health["ledger"], health["waiting_for_ledger"]) == ("unreachable", 2)
        # Noticed by the first sweep after the cut, half a second (a sweep interval) in.
        assert health["ledger_down_since"] == (NOW + timedelta(seconds=0.5)).isoformat()
        env.proxy.restore()
        await daemon.run_until(clock() + timedelta(seconds=0.5))  # the next sweep
        assert len(env.project.outbox_files()) == 2
        assert records.logged("the ledger answers again")
        health = await healthz(records)
        assert (health["ledger"], health["waiting_for_ledger"]) == ("ok", 0)
        assert records.logged("2 delivery(ies) waited for it")
        await daemon.run_until(clock() + timedelta(seconds=10))  # more sweeps: nothing else
        await daemon.stop()

    with captured() as records:
        run(env.project, clock, scenario)
    assert len(env.project.outbox_files()) == 2
    # Late by the two seconds of the outage, within LATE_AFTER: not marked late.
    assert rows(direct, rules) == [(SENT, 1, False), (SENT, 1, False)]
    assert env.proxy.refused > 0  # the daemon did try while it was cut


# Formerly a real process: the same steps on the daemon's clock.
def test_a_notice_whose_grace_period_ends_during_the_outage_is_recorded_missed(
    setup: tuple[Setup, str],
) -> None:
    env, direct = setup
    clock = Clock(NOW)
    rule = Rule("too-late", NOW + timedelta(seconds=8))
    env.write([rule], grace="PT3S")

    async def scenario(start: Start) -> None:
        daemon = await start()
        env.proxy.cut()
        await daemon.run_until(rule.local + timedelta(seconds=5))  # past the grace period
        assert records.logged("the ledger does not answer")
        env.proxy.restore()
        await daemon.run_until(clock() + timedelta(seconds=0.5))  # the next sweep
        assert records.logged("missed: the ledger was unreachable")
        await daemon.stop()

    with captured() as records:
        run(env.project, clock, scenario)
    assert env.project.outbox_files() == []
    assert rows(direct, [rule]) == [(MISSED, 0, False)]


# Formerly a real process with a two-second pause after the claim: the outage now starts during
# that pause and ends after two of the record's waits, both on the daemon's clock.
def test_a_send_whose_record_fails_is_recorded_when_the_ledger_returns_not_sent_again(
    setup: tuple[Setup, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env, direct = setup
    rule = Rule("record", NOW + timedelta(seconds=3))
    env.write([rule], lease="PT30S")
    monkeypatch.setenv(ENV_FAULT_PAUSE, "2")
    waits: list[float] = []

    class Outage(Clock):
        def sleep(self, seconds: float) -> None:  # a delivery's waits, in its worker thread
            waits.append(seconds)
            if len(waits) == 1:  # the pause after the claim: the ledger goes away
                env.proxy.cut()
            elif len(waits) == 3:  # two waits of the record later: it is back
                env.proxy.restore()
            super().sleep(seconds)

    clock = Outage(NOW)

    async def scenario(start: Start) -> None:
        daemon = await start()
        await daemon.run_until(rule.local)
        assert records.logged("fault injection")  # claimed, then paused
        assert records.logged("cannot record the outcome yet")
        assert records.logged("sent: ")
        await daemon.run_until(clock() + timedelta(seconds=60))  # past the lease: nothing again
        await daemon.stop()

    with captured() as records:
        run(env.project, clock, scenario)
    assert waits == [2.0, 0.5, 1.0]  # the pause, then the record's waits (0.5 s, doubling)
    assert len(env.project.outbox_files()) == 1
    assert rows(direct, [rule]) == [(SENT, 1, False)]
    assert env.proxy.refused > 0
