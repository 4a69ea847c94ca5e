"""The daemon under faults, at full size: what is sent, lost, duplicated and late.

The scenarios are those of tests/test_faults.py, from the same engine (tests/fault_harness.py),
with bigger bursts and longer faults.  Every notice goes to one e-mail channel whose SMTP server
(aiosmtpd, in this process) counts messages by Message-ID; the ledger is read with SQL at the end.

* ``replicas``: 3 ``reminders run`` processes on one PostgreSQL ledger (a fresh database on the
  server of REMINDERS_TEST_POSTGRES_URL or ``--postgres``), 1,000 notices due within one minute
  (10 fire times 5 s apart, 100 notices each); one replica SIGKILLed once 35 % have arrived.
* ``kills``: one daemon, 1,000 notices at 25 fire times 3 s apart, SIGKILLed 20 times at random
  instants (0.3 to 2.5 s after each start; ``--seed``) and restarted at once.
* ``smtp-down``: one daemon, 1,000 notices at 5 fire times 1 s apart; the SMTP port refuses
  connections until 30 s after the last fire time (``--outage``), then the server starts.
* ``pg-restart``: 2 daemons on a private PostgreSQL cluster (initdb + pg_ctl in a temp folder;
  the shared server is never stopped), 1,000 notices as for ``replicas``; the server is stopped
  (``-m fast``; ``--pg-mode immediate`` for a crash) once 35 % have arrived and started again
  10 s later (``--pg-down``).

Columns: ``sent`` distinct Message-IDs of the expected deliveries that arrived; ``lost`` expected
ones that never arrived; ``duplicated`` extra copies of a Message-ID; ``late>60s`` deliveries
whose first copy arrived more than 60 s after their fire time; ``ledger late`` rows with the
ledger's ``late`` flag (sent more than 5 minutes after the fire time); ``retries`` claims beyond
the first over all rows (retries after failures and takeovers of expired leases); ``max delay``
the largest first arrival minus fire time.

Usage::

    .venv/bin/python bench/faults.py                        # every scenario
    .venv/bin/python bench/faults.py --scenario kills --kills 5
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from common import ROOT, default_python, header

sys.path.insert(0, str(ROOT))

import pytest

from tests import fault_harness as faults
from tests.daemon_harness import kill_leftovers
from tests.pg_harness import PG_ENV, PrivateCluster, fresh_database

SCENARIOS = ("replicas", "kills", "smtp-down", "pg-restart")
LATE_AFTER = 60.0
TIMEOUT = 300.0


class Unavailable(Exception):
    """A scenario cannot run here (no PostgreSQL); the reason is printed in its row."""


def postgres_url(args: argparse.Namespace) -> str | None:
    return args.postgres or os.environ.get(PG_ENV) or None


@contextmanager
def ledger(args: argparse.Namespace) -> Iterator[str | None]:
    """A fresh PostgreSQL database, or None (SQLite in the project folder)."""
    url = postgres_url(args)
    if args.ledger == "sqlite" or (args.ledger == "auto" and not url):
        yield None
        return
    if not url:
        raise Unavailable(f"--ledger postgresql needs --postgres or {PG_ENV}")
    with fresh_database(url) as fresh:
        yield fresh


def burst(args: argparse.Namespace, rules: int, step: float, lead: float) -> faults.Burst:
    """``--notices`` over ``rules`` fire times ``step`` s apart, the first ``lead`` s ahead, with
    the daemon settings of the command line and this script's limits."""
    return faults.Burst(
        per_rule=args.notices // rules,
        rules=rules,
        step=step,
        workers=args.workers,
        lease=args.lease,
        lead=lead,
        late_after=LATE_AFTER,
        timeout=TIMEOUT,
        settle=5,
    )


def run_replicas(root: Path, args: argparse.Namespace) -> faults.Outcome:
    url = postgres_url(args)
    if not url:
        raise Unavailable(f"needs PostgreSQL: set {PG_ENV} or pass --postgres")
    orgs = args.organisations
    with fresh_database(url) as fresh:
        # With organisations (issue 18): --notices in all, each organisation's share of every
        # rule, and the lead the three daemons need to load and check them all.
        shape = burst(args, rules=10, step=5, lead=20 + orgs * 0.2)
        if orgs:
            shape = replace(shape, per_rule=max(1, args.notices // (10 * orgs)))
        return faults.replicas(root, fresh, shape, count=3, kill_after=0.35, organisations=orgs)


def run_kills(root: Path, args: argparse.Namespace) -> faults.Outcome:
    with ledger(args) as url:
        return faults.kills(
            root,
            url,
            burst(args, rules=25, step=3, lead=10),
            kill_count=args.kills,
            up_min=0.3,
            up_max=2.5,
            seed=args.seed,
        )


def run_smtp_down(root: Path, args: argparse.Namespace) -> faults.Outcome:
    with ledger(args) as url:
        return faults.smtp_down(
            root,
            url,
            burst(args, rules=5, step=1, lead=10),
            outage=args.outage,
            backoff="PT1S",
            retry_limit=12,
        )


def run_pg_restart(root: Path, args: argparse.Namespace) -> faults.Outcome:
    try:
        cluster = PrivateCluster()
    except pytest.skip.Exception as exc:
        raise Unavailable(str(exc)) from None
    with cluster:
        return faults.pg_restart(
            root,
            cluster,
            burst(args, rules=10, step=5, lead=15),
            count=2,
            down=args.pg_down,
            stop_after=0.35,
            mode=args.pg_mode,
        )


RUNNERS: dict[str, Callable[[Path, argparse.Namespace], faults.Outcome]] = {
    "replicas": run_replicas,
    "kills": run_kills,
    "smtp-down": run_smtp_down,
    "pg-restart": run_pg_restart,
}


def print_table(rows: list[dict[str, object]]) -> None:
    columns: list[str] = []
    for row in rows:
        columns += [name for name in row if name not in columns]
    widths = {
        name: max(len(name), *(len(str(row.get(name, ""))) for row in rows)) for name in columns
    }
    print("| " + " | ".join(name.ljust(widths[name]) for name in columns) + " |")
    print("| " + " | ".join("-" * widths[name] for name in columns) + " |")
    for row in rows:
        print("| " + " | ".join(str(row.get(n, "")).ljust(widths[n]) for n in columns) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--notices", type=int, default=1000, help="per scenario (default 1000)")
    parser.add_argument("--kills", type=int, default=20, help="SIGKILLs in 'kills' (default 20)")
    parser.add_argument("--outage", type=float, default=30.0, help="SMTP down, s (default 30)")
    parser.add_argument("--pg-down", type=float, default=10.0, help="PostgreSQL down, s")
    parser.add_argument(
        "--pg-mode", choices=["fast", "immediate"], default="fast", help="pg_ctl stop -m"
    )
    parser.add_argument("--lease", default="PT5S", help="[daemon] lease (default PT5S)")
    parser.add_argument("--workers", type=int, default=4, help="[daemon] workers (default 4)")
    parser.add_argument("--seed", type=int, default=1, help="kill instants (default 1)")
    parser.add_argument(
        "--ledger",
        choices=["auto", "sqlite", "postgresql"],
        default="auto",
        help="for 'kills' and 'smtp-down': auto = PostgreSQL when a server is given",
    )
    parser.add_argument("--postgres", help=f"server URL for fresh databases (default ${PG_ENV})")
    parser.add_argument(
        "--organisations",
        type=int,
        default=0,
        help="'replicas' on a deployment of this many organisations (issue 18; default none)",
    )
    args = parser.parse_args()

    header("Fault scenarios of the daemon (bench/faults.py)", default_python())
    chosen = SCENARIOS if args.scenario == "all" else (args.scenario,)
    cache = Path(tempfile.mkdtemp(prefix="reminders-faults-cache-"))
    for name in [k for k in os.environ if k.startswith("REMINDERS_") and k != PG_ENV]:
        del os.environ[name]
    os.environ["REMINDERS_CACHE_DIR"] = str(cache)
    rows: list[dict[str, object]] = []
    reports: list[str] = []
    failed = False
    try:
        for name in chosen:
            root = Path(tempfile.mkdtemp(prefix=f"reminders-faults-{name}-"))
            print(f"running {name} ...", file=sys.stderr, flush=True)
            began = time.monotonic()
            try:
                outcome = RUNNERS[name](root, args)
            except Unavailable as exc:
                rows.append({"scenario": name, "notices": f"not run: {exc}"})
                continue
            except AssertionError as exc:  # a daemon exited or never got ready
                rows.append({"scenario": name, "notices": "did not finish (see below)"})
                reports.append(f"## {name}\n{exc}")
                failed = True
                continue
            finally:
                kill_leftovers()
                shutil.rmtree(root, ignore_errors=True)
            rows.append(outcome.table_row())
            settings = ", ".join(f"{k}={v}" for k, v in outcome.settings.items())
            reports.append(
                f"## {name} ({time.monotonic() - began:.0f} s with set-up)\n"
                f"settings: {settings}\n{outcome.report()}"
            )
            failed = failed or bool(outcome.lost or outcome.not_sent or not outcome.complete)
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    print()
    print_table(rows)
    for report in reports:
        print()
        print(report)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
