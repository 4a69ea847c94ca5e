"""One daemon for every organisation of a deployment (issue 18, point 3), on an injected clock.

Two organisations over one config.toml: ``alpha`` (Asia/Karachi, English) and ``beta``
(Asia/Baku, Azerbaijani), each with its own file outbox. The daemon runs in this process
(tests/clock_harness.py), with a real ledger and real outboxes: each organisation's notices go out
in its language and time zone, with ids that carry it; a broken organisation file at a reload
keeps that organisation on its last good version while the other goes on; a ledger written by a
one-organisation config keeps its rows and sends nothing again; ``status --org`` shows one
organisation's deliveries; two daemons on one PostgreSQL ledger send each notice once.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import MetaData

from reminders.cli.commands import main
from reminders.notify.ledger import SENT, Ledger, deliveries, meta

from .clock_harness import Clock, Records, Start, captured, run
from .daemon_harness import CALENDAR_HEAD, OBSERVANCE, Inbox, free_port
from .pg_harness import PG_ENV, PG_SKIP, fresh_database

# 09:00 in Karachi (UTC+5), 08:00 in Baku (UTC+4): a Sunday in January.
NOW = datetime(2027, 1, 10, 4, 0, tzinfo=UTC)

DAEMON = """
[daemon]
lease = "PT3S"
retry_backoff = "PT1S"
retry_limit = 4
watch_interval = "PT1S"
grace = "PT30M"
serve_feed = false
"""


def rule(rule_id: str, at: datetime, zone: str) -> str:
    """A notice rule of observance d0110 (January 10) firing at ``at`` in the zone ``zone``."""
    local = at.astimezone(ZoneInfo(zone))
    return (
        f'\n[[notice]]\nid = "{rule_id}"\nbefore = 0\nat = "{local:%H:%M:%S}"\n'
        'template = "planning"\nchannels = ["outbox"]\nobservances = ["d0110"]\n'
    )


class Deployment:
    """config.toml naming organisations/, one shared calendar, alpha's and beta's files."""

    def __init__(self, root: Path, ledger_url: str = "sqlite:///ledger.sqlite3") -> None:
        self.root = root
        self.ledger_url = ledger_url
        (root / "calendars").mkdir()
        (root / "organisations").mkdir()
        calendar = CALENDAR_HEAD + OBSERVANCE.format(id="d0110", month_day="01-10")
        (root / "calendars" / "test.toml").write_text(calendar, "utf-8")

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def write_config(self, organisations: bool = True, rules: str = "") -> None:
        text = (
            '[organisation]\nname = "Ministry"\ntimezone = "Asia/Karachi"\n'
            'uid_domain = "test.example.org"\n\n'
            '[paths]\ncalendars = "calendars"\n'
            + ('organisations = "organisations"\n' if organisations else "")
            + f'\n[ledger]\nurl = "{self.ledger_url}"\n\n[feed]\nlisten = "127.0.0.1:0"\n'
            + DAEMON
            + '\n[[channel]]\nid = "outbox"\ntype = "file"\nfolder = "outbox/ministry"\n'
            + rules
        )
        replace(self.config, text)

    def write_org(self, org_id: str, head: str, rules: str) -> None:
        text = head + f'\n[[channel]]\nid = "outbox"\ntype = "file"\nfolder = "outbox/{org_id}"\n'
        replace(self.root / "organisations" / f"{org_id}.toml", text + rules)

    def write_alpha(self, *rules: datetime) -> None:
        head = '[organisation]\nname = "Alpha embassy"\nlanguage = "en"\n'
        self.write_org(
            "alpha", head, "".join(rule(f"r{i}", at, KARACHI) for i, at in enumerate(rules))
        )

    def write_beta(self, *rules: datetime, timezone: str = "Asia/Baku") -> None:
        head = f'[organisation]\nname = "Beta ofisi"\ntimezone = "{timezone}"\nlanguage = "az"\n'
        self.write_org("beta", head, "".join(rule(f"r{i}", at, BAKU) for i, at in enumerate(rules)))

    def write_both(self, rules: str = "", beta_timezone: str = "Asia/Baku") -> None:
        """config.toml (with ``rules``), alpha's one rule at NOW + 3 s, beta's at NOW + 5 s."""
        self.write_config(rules=rules)
        self.write_alpha(NOW + timedelta(seconds=3))
        self.write_beta(NOW + timedelta(seconds=5), timezone=beta_timezone)

    def outbox(self, org_id: str) -> list[Path]:
        folder = self.root / "outbox" / org_id
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if not p.name.startswith("."))

    def ledger(self) -> Ledger:
        return Ledger(self.ledger_url.replace("sqlite:///", f"sqlite:///{self.root}/"))


KARACHI, BAKU = "Asia/Karachi", "Asia/Baku"


def replace(path: Path, text: str) -> None:
    """Write as an editor that saves by renaming does: a new file, never half of one."""
    temp = path.with_name("." + path.name + ".tmp")
    temp.write_text(text, "utf-8")
    os.replace(temp, path)


def header(path: Path, name: str) -> str:
    for line in path.read_text("utf-8").splitlines():
        if line.startswith(name + ": "):
            return line.split(": ", 1)[1]
    raise AssertionError(f"no {name} in {path}")


@pytest.fixture
def records() -> Iterator[Records]:
    with captured() as handler:
        yield handler


@pytest.fixture
def deployment(tmp_path: Path) -> Deployment:
    return Deployment(tmp_path)


def test_each_organisation_sends_its_own_notices_in_its_language_with_its_id(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    alpha_at, beta_at = NOW + timedelta(seconds=3), NOW + timedelta(seconds=5)
    deployment.write_config()
    deployment.write_alpha(alpha_at)
    deployment.write_beta(beta_at)
    health: dict[str, Any] = {}

    async def scenario(start: Start) -> None:
        running = await start()
        daemon = running.daemon
        shown = daemon.health()
        assert shown["next_notice"]["id"] == "alpha/test:d0110:2027:r0"
        orgs = shown["daemon_organisations"]
        assert sorted(orgs) == ["alpha", "beta"]
        assert orgs["beta"]["next_notice"]["id"] == "beta/test:d0110:2027:r0"
        assert orgs["beta"]["next_notice"]["fire_at"] == beta_at.isoformat()
        assert orgs["alpha"]["problems"] is None
        assert orgs["alpha"]["loaded_at"] == NOW.isoformat()
        assert orgs["alpha"]["ledger"] == {"claimed": 0, "sent": 0, "failed": 0, "missed": 0}
        await running.run_until(NOW + timedelta(seconds=40))  # a heartbeat counts the rows
        health.update(daemon.health())
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    (alpha,) = deployment.outbox("alpha")
    (beta,) = deployment.outbox("beta")
    assert deployment.outbox("ministry") == []  # config.toml itself sends nothing
    assert alpha.name == "alpha__test_d0110_2027_r0__outbox.txt"
    assert header(alpha, "Notice") == "alpha/test:d0110:2027:r0"
    assert header(beta, "Notice") == "beta/test:d0110:2027:r0"
    # Each in its own time zone and language.
    assert header(alpha, "Due") == "2027-01-10T09:00:03+05:00"
    assert header(beta, "Due") == "2027-01-10T08:00:05+04:00"
    assert header(alpha, "Subject") != header(beta, "Subject")
    assert "Start planning" in alpha.read_text("utf-8")
    assert "Start planning" not in beta.read_text("utf-8")
    ledger = deployment.ledger()
    for org_id, at in (("alpha", alpha_at), ("beta", beta_at)):
        row = ledger.get(f"{org_id}/test:d0110:2027:r0", "outbox")
        assert row is not None
        assert (row.state, row.sent_at, row.late) == (SENT, at, False)
    assert ledger.get("test:d0110:2027:r0", "outbox") is None
    assert ledger.counts("beta")[SENT] == 1
    sent = [r for r in records.records if r.getMessage().startswith("sent: ")]
    assert sorted(getattr(r, "organisation", None) for r in sent) == ["alpha", "beta"]
    assert health["daemon_organisations"]["alpha"]["ledger"][SENT] == 1
    assert health["daemon_organisations"]["beta"]["ledger"][SENT] == 1

    # Started again later the same day: nothing goes out twice.
    async def again(start: Start) -> None:
        running = await start()
        await running.run_until(clock() + timedelta(seconds=10))
        await running.stop()

    clock.set(NOW + timedelta(minutes=2))
    run(deployment, clock, again)  # type: ignore[arg-type]
    assert len(deployment.outbox("alpha")) == len(deployment.outbox("beta")) == 1
    assert ledger.counts()[SENT] == 2
    ledger.close()


def test_a_broken_organisation_file_keeps_its_last_good_version_and_stops_no_other(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    a1, a2, added = (NOW + timedelta(seconds=s) for s in (3, 30, 20))
    b1, b2 = NOW + timedelta(seconds=5), NOW + timedelta(seconds=25)
    deployment.write_config()
    deployment.write_alpha(a1, a2)
    deployment.write_beta(b1, b2)
    seen: dict[str, Any] = {}

    async def scenario(start: Start) -> None:
        running = await start()
        daemon = running.daemon
        await running.run_until(NOW + timedelta(seconds=6))
        assert len(deployment.outbox("alpha")) == len(deployment.outbox("beta")) == 1

        # beta's administrator breaks its file; alpha's adds a rule.
        deployment.write_beta(b1, b2, timezone="Mars/Olympus")
        deployment.write_alpha(a1, a2, added)
        await running.run_until(clock() + timedelta(seconds=1.5))  # the watch sees both
        assert records.logged("organisation alpha reloaded (a file changed)")
        rejected = [m for m in records.messages() if "organisation beta: reload" in m]
        assert len(rejected) == 1
        assert "beta.toml" in rejected[0]
        assert "organisation.timezone: got 'Mars/Olympus'" in rejected[0]
        assert not records.logged("reloaded (a file changed)\n")
        assert not any(m == "reloaded (a file changed)" for m in records.messages())
        seen["health"] = daemon.health()

        # Both go on: alpha with its new rule, beta on its last good version.
        await running.run_until(NOW + timedelta(seconds=31))
        assert len(deployment.outbox("alpha")) == 3
        assert len(deployment.outbox("beta")) == 2

        deployment.write_beta(b1, b2)  # fixed
        await running.run_until(clock() + timedelta(seconds=1.5))
        seen["fixed"] = daemon.health()["daemon_organisations"]["beta"]
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    assert len([m for m in records.messages() if "organisation beta: reload" in m]) == 1
    orgs = seen["health"]["daemon_organisations"]
    assert orgs["alpha"]["problems"] is None
    assert orgs["alpha"]["loaded_at"] == (NOW + timedelta(seconds=7)).isoformat()
    assert orgs["beta"]["loaded_at"] == NOW.isoformat()  # its last good version
    assert "Mars/Olympus" in orgs["beta"]["problems"]
    assert orgs["beta"]["next_notice"]["id"] == "beta/test:d0110:2027:r1"
    assert seen["health"]["reload"]["organisations"] == ["alpha", "beta"]
    assert seen["health"]["reload"]["rejected"] == ["beta"]
    assert seen["fixed"]["problems"] is None
    ledger = deployment.ledger()
    assert ledger.counts("alpha")[SENT] == 3
    assert ledger.counts("beta")[SENT] == 2
    ledger.close()


def test_an_organisation_that_never_loaded_sends_nothing_and_the_others_start(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    deployment.write_both(beta_timezone="Mars/Olympus")
    seen: dict[str, Any] = {}

    async def scenario(start: Start) -> None:
        running = await start()
        await running.run_until(NOW + timedelta(seconds=10))
        seen.update(running.daemon.health()["daemon_organisations"]["beta"])
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    assert records.logged("organisation beta not loaded")
    assert len(deployment.outbox("alpha")) == 1
    assert deployment.outbox("beta") == []
    assert seen["loaded_at"] is None
    assert "Mars/Olympus" in seen["problems"]
    assert seen["next_notice"] is None


def test_a_reload_reads_only_what_changed(deployment: Deployment, records: Records) -> None:
    """An organisation's file or own folder: that organisation alone (the watch, and SIGHUP);
    config.toml or a shared calendar: every one; a new file: a new organisation."""
    clock = Clock(NOW)
    deployment.write_config()
    deployment.write_alpha(NOW + timedelta(seconds=30))
    deployment.write_beta(NOW + timedelta(seconds=30))

    def reloaded() -> list[str]:
        found = sorted(m for m in records.messages() if " reloaded (" in m)
        records.records.clear()
        return found

    async def scenario(start: Start) -> None:
        running = await start()
        daemon = running.daemon
        # SIGHUP with nothing changed reads nothing; after an edit, the edited one.
        await daemon.reload("SIGHUP")
        assert records.logged("reload (SIGHUP): no organisation's file changed")
        deployment.write_alpha(NOW + timedelta(seconds=40))
        await daemon.reload("SIGHUP")
        assert reloaded() == ["organisation alpha reloaded (SIGHUP)"]

        # Its own folder (organisations/beta/): beta alone.
        own = deployment.root / "organisations" / "beta"
        own.mkdir()
        (own / "notes.txt").write_text("a file of beta's own folder", "utf-8")
        await running.run_until(clock() + timedelta(seconds=1))
        assert reloaded() == ["organisation beta reloaded (a file changed)"]

        # A shared calendar: every organisation, and config.toml's part.
        calendar = deployment.root / "calendars" / "test.toml"
        replace(calendar, calendar.read_text("utf-8") + "\n")
        await running.run_until(clock() + timedelta(seconds=1))
        assert any(m == "reloaded (a file changed)" for m in records.messages())
        assert reloaded() == [
            "organisation alpha reloaded (a file changed)",
            "organisation beta reloaded (a file changed)",
        ]

        # A broken config.toml: the whole reload is rejected, every organisation goes on.
        replace(deployment.config, deployment.config.read_text("utf-8") + "\n[[nonsense\n")
        await running.run_until(clock() + timedelta(seconds=1))
        assert records.logged("still running the previous version whole")
        assert reloaded() == []
        deployment.write_config()
        await running.run_until(clock() + timedelta(seconds=1))
        records.records.clear()

        # A new organisation's file: it is read, planned and sends; no other is read again.
        deployment.write_org(
            "gamma",
            '[organisation]\nname = "Gamma"\n',
            rule("g", NOW + timedelta(seconds=50), KARACHI),
        )
        await running.run_until(clock() + timedelta(seconds=1))
        assert reloaded() == []  # (new: read, not reloaded)
        assert sorted(daemon.units) == ["alpha", "beta", "gamma"]
        await running.run_until(NOW + timedelta(seconds=51))
        assert [p.name for p in deployment.outbox("gamma")] == [
            "gamma__test_d0110_2027_g__outbox.txt"
        ]
        # Its file removed: it sends no more, the others go on.
        (deployment.root / "organisations" / "gamma.toml").unlink()
        await running.run_until(clock() + timedelta(seconds=1))
        assert records.logged("organisation gamma: its file is gone")
        assert sorted(daemon.units) == ["alpha", "beta"]
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    assert len(deployment.outbox("alpha")) == len(deployment.outbox("beta")) == 1


def test_naming_organisations_in_a_running_daemons_config_waits_for_its_restart(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    deployment.write_config(
        organisations=False, rules=rule("r0", NOW + timedelta(seconds=5), KARACHI)
    )
    deployment.write_alpha(NOW + timedelta(seconds=5))

    async def scenario(start: Start) -> None:
        running = await start()
        deployment.write_config(rules=rule("r0", NOW + timedelta(seconds=5), KARACHI))
        await running.run_until(NOW + timedelta(seconds=6))  # several watches
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    rejected = [m for m in records.messages() if "rejected" in m]
    assert len(rejected) == 1  # reported once
    assert "[paths] organisations was added" in rejected[0]
    assert len(deployment.outbox("ministry")) == 1  # the one organisation goes on
    assert deployment.outbox("alpha") == []


def test_an_organisations_retry_and_catch_up_keep_its_id(
    deployment: Deployment, records: Records
) -> None:
    """The sweep retries an organisation's failed delivery under its id (the e-mail's notice
    header carries it); a restart sends late, or records missed, under the organisation's id."""
    port = free_port()  # nothing listens there yet: alpha's mail server is down
    clock = Clock(NOW)
    fire = NOW + timedelta(seconds=3)
    deployment.write_config()
    mail = (
        '\n[[channel]]\nid = "mail"\ntype = "email"\nhost = "127.0.0.1"\n'
        f'port = {port}\nsecurity = "none"\nsender = "events@test.example.org"\n'
        'recipients = ["team@test.example.org"]\ntimeout = "PT5S"\n'
        '\n[[notice]]\nid = "mailed"\nbefore = 0\n'
        f'at = "{fire.astimezone(ZoneInfo(KARACHI)):%H:%M:%S}"\ntemplate = "planning"\n'
        'channels = ["mail"]\nobservances = ["d0110"]\n'
    )
    deployment.write_org("alpha", '[organisation]\nname = "Alpha embassy"\n', mail)
    deployment.write_beta(NOW + timedelta(minutes=20), NOW + timedelta(hours=1))
    messages: list[Any] = []

    async def scenario(start: Start) -> None:
        running = await start()
        await running.run_until(fire)
        assert records.logged("attempt 1 of 4 failed")
        with Inbox(port=port) as inbox:  # the server is back
            await running.run_until(fire + timedelta(seconds=5))
            messages.extend(inbox.messages)
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    (message,) = messages
    assert message["X-Reminders-Notice"] == "alpha/test:d0110:2027:mailed"
    ledger = deployment.ledger()
    row = ledger.get("alpha/test:d0110:2027:mailed", "mail")
    assert row is not None
    assert (row.state, row.attempts) == (SENT, 2)

    # Down from then until 01:10 after NOW: beta's 00:20 notice is beyond the grace period
    # (30 minutes), its 01:00 one inside it.
    async def restart(start: Start) -> None:
        running = await start()
        await running.stop()

    clock.set(NOW + timedelta(hours=1, minutes=10))
    run(deployment, clock, restart)  # type: ignore[arg-type]
    missed = ledger.get("beta/test:d0110:2027:r0", "outbox")
    late = ledger.get("beta/test:d0110:2027:r1", "outbox")
    assert missed is not None
    assert late is not None
    assert (missed.state, late.state, late.late) == ("missed", SENT, True)
    (sent,) = deployment.outbox("beta")
    assert header(sent, "Notice") == "beta/test:d0110:2027:r1"
    assert header(sent, "Late") == "yes"
    ledger.close()


def cli_out(config: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--config", str(config), *args])
    return code, out.getvalue()


def test_orgs_shows_each_organisations_ledger_counts_and_the_daemons_last_good_load(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    deployment.write_both()
    code, out = cli_out(deployment.config, "orgs")
    assert (code, "ledger:" in out, "Ledger:" in out) == (0, False, False)  # none yet

    async def scenario(start: Start) -> None:
        running = await start()
        await running.run_until(NOW + timedelta(seconds=10))
        deployment.write_beta(NOW + timedelta(seconds=5), timezone="Mars/Olympus")
        await running.run_until(NOW + timedelta(seconds=12))
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    code, out = cli_out(deployment.config, "orgs")
    assert code == 1  # beta's file is broken
    lines = out.splitlines()
    alpha = lines[lines.index("  alpha: Alpha embassy (Asia/Karachi, PK; en)") :]
    assert alpha[2] == "    ledger: claimed 0, sent 1, failed 0, missed 0"
    assert alpha[3] == f"    daemon: last good load {NOW.isoformat()}"
    beta = lines[lines.index("  beta: 1 problem(s); not loaded") :]
    assert "Mars/Olympus" in beta[1]
    assert beta[2] == "    ledger: claimed 0, sent 1, failed 0, missed 0"
    assert beta[3] == (
        f"    daemon: last good load {NOW.isoformat()}; its files rejected at "
        f"{(NOW + timedelta(seconds=11)).isoformat()}: {beta[1].strip()}"
    )
    assert lines[-1].startswith("Ledger: sqlite:///")


def make_todays_ledger(path: Path, rows: list[tuple[str, str, datetime]]) -> None:
    """A ledger as the release before organisations writes it: schema version 2 (with
    claimed_by), its ``schema_version`` and heartbeat, and sent rows whose notice ids carry no
    organisation."""
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{path}")
    tables = MetaData()
    deliveries.to_metadata(tables)
    meta.to_metadata(tables)
    with engine.begin() as conn:
        tables.create_all(conn)
        conn.execute(tables.tables[meta.name].insert().values(key="schema_version", value="2"))
        conn.execute(
            tables.tables[meta.name].insert().values(key="heartbeat", value=NOW.isoformat())
        )
        for notice_id, channel, at in rows:
            conn.execute(
                tables.tables[deliveries.name]
                .insert()
                .values(
                    notice_id=notice_id,
                    channel=channel,
                    fire_at=at,
                    state=SENT,
                    attempts=1,
                    late=False,
                    claimed_by="old-host:42",
                    claimed_at=at,
                    sent_at=at,
                    created_at=at,
                    updated_at=at,
                )
            )
    engine.dispose()


def status_of(config: Path, *args: str) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--config", str(config), "status", *args]) == 0
    return out.getvalue()


def test_a_ledger_of_todays_release_keeps_its_rows_and_nothing_is_sent_again(
    deployment: Deployment, records: Records
) -> None:
    """The one-organisation ledger is read as it is (no schema change: version 2 stays), its
    rows keep their ids, and what they record as sent is not sent again when the deployment
    moves to organisations: their ids carry no organisation, and every organisation's catch-up
    reads them as its own."""
    sent_at = NOW + timedelta(seconds=3)
    old_id = "test:d0110:2027:r0"
    make_todays_ledger(deployment.root / "ledger.sqlite3", [(old_id, "outbox", sent_at)])
    before = deployment.ledger().get(old_id, "outbox")
    assert before is not None

    # First as today: one organisation, its config's rule; the row is its own.
    clock = Clock(NOW + timedelta(minutes=1))
    deployment.write_config(organisations=False, rules=rule("r0", sent_at, KARACHI))

    async def one(start: Start) -> None:
        running = await start()
        await running.run_until(clock() + timedelta(seconds=5))
        await running.stop()

    run(deployment, clock, one)  # type: ignore[arg-type]
    assert deployment.outbox("ministry") == []  # sent already, by the ledger
    text = status_of(deployment.config)
    assert old_id in text
    assert "sent 1" in text

    # Then with organisations, within the grace period of the notice: alpha has the same rule.
    deployment.write_config()
    deployment.write_alpha(sent_at)
    deployment.write_beta(NOW + timedelta(minutes=1, seconds=30))

    async def many(start: Start) -> None:
        running = await start()
        await running.run_until(clock() + timedelta(seconds=60))
        await running.stop()

    run(deployment, clock, many)  # type: ignore[arg-type]
    assert records.logged("the ledger has 1 row(s) without an organisation")
    assert deployment.outbox("alpha") == []  # not sent again
    assert len(deployment.outbox("beta")) == 1
    ledger = deployment.ledger()
    assert ledger.inspect() == 2
    after = ledger.get(old_id, "outbox")
    assert after is not None
    assert after._replace(updated_at=before.updated_at) == before  # kept as it was
    assert ledger.get(f"alpha/{old_id}", "outbox") is None
    ledger.close()
    everything = status_of(deployment.config)
    assert old_id in everything
    assert "beta/test:d0110:2027:r0" in everything


def test_status_org_shows_that_organisations_deliveries_alone(
    deployment: Deployment, records: Records
) -> None:
    clock = Clock(NOW)
    deployment.write_both()

    async def scenario(start: Start) -> None:
        running = await start()
        await running.run_until(NOW + timedelta(seconds=10))
        await running.stop()

    run(deployment, clock, scenario)  # type: ignore[arg-type]
    alpha = status_of(deployment.config, "--org", "alpha")
    beta = status_of(deployment.config, "--org", "beta")
    both = status_of(deployment.config)
    assert "organisation alpha: claimed 0, sent 1, failed 0, missed 0" in alpha
    assert "alpha/test:d0110:2027:r0" in alpha
    assert "beta/" not in alpha
    assert "beta/test:d0110:2027:r0" in beta
    assert "alpha/" not in beta
    assert "alpha/test:d0110:2027:r0" in both
    assert "beta/test:d0110:2027:r0" in both
    assert "sent 2" in both


def test_status_of_a_deployment_shows_every_organisations_next_notices(
    deployment: Deployment,
) -> None:
    """config.toml's own rules send nothing: status lists the organisations' next notices,
    with their ids as the ledger writes them, and their outboxes."""
    from reminders.config.organisations import load_each
    from reminders.notify.status import status

    deployment.write_both(rules=rule("ministry", NOW, KARACHI))
    found = load_each(str(deployment.config), NOW.date())
    assert found is not None
    base, _, each, _ = found
    every = tuple((one.org.id, one.loaded) for one in each if one.loaded is not None)
    from reminders.core.settings import Loaded

    loaded = Loaded(base, found[1])
    report = status(loaded, NOW - timedelta(days=1), {}, organisations=every)
    shown = [f"{o}/{n.id}" for o, n in zip(report.owners, report.upcoming, strict=True)]
    # Both keep config.toml's rule "ministry" (09:00 on each one's own clock) and add their own.
    assert shown == [
        "alpha/test:d0110:2027:ministry",
        "alpha/test:d0110:2027:r0",
        "beta/test:d0110:2027:r0",
        "beta/test:d0110:2027:ministry",
    ]
    assert report.upcoming[3].fire_at.isoformat() == "2027-01-10T09:00:00+04:00"
    assert [folder.rsplit("/", 1)[1] for _, folder, _ in report.outboxes] == ["alpha", "beta"]


@pytest.mark.skipif(not os.environ.get(PG_ENV), reason=PG_SKIP)
def test_two_daemons_on_one_postgresql_ledger_send_each_organisations_notice_once(
    tmp_path: Path, records: Records
) -> None:
    with fresh_database(os.environ[PG_ENV], "reminders_orgs") as url:
        deployment = Deployment(tmp_path, url)
        deployment.write_config()
        at = NOW + timedelta(seconds=3)
        deployment.write_alpha(at)
        deployment.write_beta(at)
        clock = Clock(NOW)

        async def scenario(start: Start) -> None:
            first, second = await start(), await start()
            for step in range(1, 20):  # both tick at each instant, as two replicas would
                until = NOW + timedelta(seconds=step * 0.5)
                await first.run_until(until)
                await second.run_until(until)
            await first.stop()
            await second.stop()

        run(deployment, clock, scenario)  # type: ignore[arg-type]
        sent = [m for m in records.messages() if m.startswith("sent: ")]
        assert len(sent) == 2  # one per organisation, not one per daemon
        assert len(deployment.outbox("alpha")) == len(deployment.outbox("beta")) == 1
        ledger = Ledger(url)
        assert ledger.counts_by_organisation() == {
            "alpha": {"claimed": 0, "sent": 1, "failed": 0, "missed": 0},
            "beta": {"claimed": 0, "sent": 1, "failed": 0, "missed": 0},
        }
        ledger.close()
