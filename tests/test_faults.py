"""The daemon under faults: real processes, a real SMTP server, real ledgers, SIGKILL.

Small versions of the scenarios of bench/faults.py (tests/fault_harness.py runs both).  Every
notice goes to one e-mail channel; the SMTP server counts messages by Message-ID, which the
channel derives from the delivery id, so a repeated send is seen as a duplicate.  The promises
checked: nothing is lost (every Message-ID arrives and the ledger says sent), and a duplicate is
only ever a delivery that was in flight (claimed, not yet recorded as sent) when the fault
struck, so there are at most as many as the claims a process holds (``[daemon] workers``).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

import pytest

from . import fault_harness as faults
from .daemon_harness import kill_leftovers
from .pg_harness import PG_ENV, PG_SKIP, PrivateCluster, fresh_database

# The bursts measure timing promises: they run one after another on one worker, never beside
# each other (--dist loadgroup).
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("faults")]

WORKERS = 4
KILLS = 3


@pytest.fixture(autouse=True)
def no_daemon_left_running() -> Iterator[None]:
    yield
    kill_leftovers()


@pytest.fixture
def shared_postgres() -> Iterator[str]:
    """A fresh database on the shared server (dropped afterwards)."""
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    with fresh_database(url) as fresh:
        yield fresh


def assert_nothing_lost(outcome: faults.Outcome) -> None:
    report = outcome.report()
    assert outcome.lost == [], report
    assert outcome.unexpected == [], report
    assert outcome.not_sent == {}, report
    assert outcome.sent == outcome.notices, report


def test_replicas_one_sigkilled_mid_burst_lose_nothing_and_repeat_only_its_claims(
    tmp_path: Path, shared_postgres: str
) -> None:
    burst = faults.Burst(per_rule=30, rules=6, workers=WORKERS, lead=6.0, settle=1.5)
    outcome = faults.replicas(tmp_path, shared_postgres, burst)
    report = outcome.report()
    print(report)
    assert outcome.faults == 1, report
    (arrived,) = outcome.arrived_at_fault
    assert 0 < arrived < outcome.notices, report  # the kill came mid-burst
    assert_nothing_lost(outcome)
    # The killed replica held at most `workers` claims; only those were taken over after their
    # lease, and only those can have reached the SMTP server twice.
    assert len(outcome.taken_over) <= WORKERS, report
    assert set(outcome.duplicate_ids) <= outcome.taken_over, report
    assert all(extra == 1 for extra in outcome.duplicate_ids.values()), report


# Issue 18's scale: the replicas serve a deployment of 200 organisations.  Each daemon loads
# and checks all of them before it plans (seconds of CPU each, three at once), so this runs
# only when asked for: REMINDERS_TEST_SCALE=1 (or bench/faults.py --organisations 200).
SCALE_ENV = "REMINDERS_TEST_SCALE"


@pytest.mark.skipif(not os.environ.get(SCALE_ENV), reason=f"set {SCALE_ENV}=1 to run")
def test_replicas_of_200_organisations_one_sigkilled_mid_burst_lose_nothing(
    tmp_path: Path, shared_postgres: str
) -> None:
    burst = faults.Burst(per_rule=1, rules=3, workers=WORKERS, lead=40.0, timeout=120.0, settle=1.5)
    outcome = faults.replicas(tmp_path, shared_postgres, burst, organisations=200)
    report = outcome.report()
    print(report)
    assert outcome.notices == 600, report
    assert outcome.faults == 1, report
    (arrived,) = outcome.arrived_at_fault
    assert 0 < arrived < outcome.notices, report
    assert_nothing_lost(outcome)
    assert len(outcome.taken_over) <= WORKERS, report
    assert set(outcome.duplicate_ids) <= outcome.taken_over, report


def test_one_daemon_sigkilled_at_random_instants_loses_nothing(tmp_path: Path) -> None:
    url = os.environ.get(PG_ENV)
    # PostgreSQL when there is a server, else SQLite: the same promises hold for one daemon.
    database: AbstractContextManager[str | None] = fresh_database(url) if url else nullcontext()
    with database as ledger_url:
        # The lead covers the first daemon's start only: the first kill waits for the first fire
        # time, and every later one for a restarted daemon's "starting" line.
        burst = faults.Burst(per_rule=25, rules=6, workers=WORKERS, lead=3.0, settle=1.5)
        outcome = faults.kills(tmp_path, ledger_url, burst, kill_count=KILLS, seed=7)
    report = outcome.report()
    print(report)
    assert outcome.faults == KILLS, report
    assert outcome.arrived_at_fault[0] < outcome.notices, report
    assert_nothing_lost(outcome)
    # Each kill left at most `workers` new claims; every duplicate is one of them.
    assert all(count <= WORKERS for count in outcome.inflight_per_fault), report
    assert set(outcome.duplicate_ids) <= set(outcome.inflight), report
    assert outcome.duplicated <= len(outcome.inflight), report


def test_smtp_server_down_then_back_every_notice_delivered_after_retries(
    tmp_path: Path,
) -> None:
    # The lead only has to cover the daemon's start (a late start is caught up within the grace
    # anyway); 2 s of outage after the last fire time still lets every delivery fail at least
    # twice (fire time, then 1 s later) before the server is back, and the doubled backoff then
    # has to bring each one back: the same path as a longer outage, with less real time to wait.
    burst = faults.Burst(per_rule=50, rules=3, lead=3.0, settle=1.5)
    outcome = faults.smtp_down(tmp_path, None, burst, outage=2.0, backoff="PT1S")
    report = outcome.report()
    print(report)
    assert outcome.arrived_at_fault == [0], report  # nothing got through while it was down
    assert outcome.marks["failed_at_return"] >= outcome.notices - WORKERS, report
    assert_nothing_lost(outcome)
    assert outcome.duplicated == 0, report
    back = outcome.marks["back_at"]
    assert all(min(times) >= back for times in outcome.arrivals.values()), report
    # Every delivery fell due while the server was down: each shows its retries in the ledger.
    for key, row in outcome.rows.items():
        assert row["attempts"] > 1, (key, row)
        assert "Connection refused" in (row["last_error"] or ""), (key, row)
    assert outcome.retries >= outcome.notices, report


def test_postgres_stopped_and_started_under_two_daemons_loses_nothing(tmp_path: Path) -> None:
    with PrivateCluster() as cluster:
        burst = faults.Burst(per_rule=30, rules=6, workers=WORKERS, lead=6.0, timeout=40.0)
        outcome = faults.pg_restart(tmp_path, cluster, burst, down=3.0)
    report = outcome.report()
    print(report)
    assert outcome.faults == 1, report
    (arrived,) = outcome.arrived_at_fault
    assert 0 < arrived < outcome.notices, report
    down_from = outcome.marks["down_from"]
    down_until = outcome.marks["down_until"]
    # Some notices fell due while the ledger was unreachable: their claims failed then.
    assert any(down_from <= at.timestamp() < down_until for at in outcome.expected.values())
    assert_nothing_lost(outcome)
    # Only deliveries claimed twice can arrive twice; two daemons hold 2 x workers claims.
    assert set(outcome.duplicate_ids) <= outcome.reclaimed, report
    assert outcome.duplicated <= 2 * WORKERS, report
