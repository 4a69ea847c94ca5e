"""The daemon end to end: a real `reminders run` process, a real SMTP server, a real outbox.

Each test writes a project whose notices fire a few seconds after the daemon starts, then checks
what arrived, what the ledger says, and what the log says.  Times are real; waits are generous
because the machine is shared.  Only what needs a real process is here (a restart, SIGKILL,
SIGTERM, SIGHUP, start-up errors and the JSON log); the retries, the grace period, reloads and
refusals run in-process on the daemon's clock in tests/test_daemon_clock.py.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reminders.notify.ledger import CLAIMED, SENT

from .daemon_harness import Daemon, Inbox, Project, Rule, free_port, kill_leftovers, soon

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def no_daemon_left_running() -> Iterator[None]:
    yield
    kill_leftovers()


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return Project(tmp_path)


def test_a_notice_arrives_once_by_file_and_mail_and_never_again_after_restart(
    project: Project,
) -> None:
    rule = Rule("soon", soon(4), channels=("outbox", "mail"))
    with Inbox() as inbox:
        project.write([rule], smtp_port=inbox.port)
        first = Daemon(project)
        first.wait_for(
            lambda: len(project.outbox_files()) == 1 and len(inbox.messages) == 1,
            what="the outbox file and the e-mail",
        )
        first.wait_logged("sent")
        assert first.stop() == 0
        assert first.logged("SIGTERM received: ")  # (what is in flight: test_daemon_clock.py)
        assert first.logged("stopped")

        second = Daemon(project)
        second.wait_logged("planned")
        time.sleep(3)  # several sweeps and a catch-up have run
        assert second.stop() == 0

    assert len(project.outbox_files()) == 1
    assert len(inbox.messages) == 1
    mail = inbox.messages[0]
    assert mail["Message-ID"].startswith(f"<{rule.notice_id.replace(':', '_')}__mail@")
    assert "anniversary of day" in mail["Subject"]
    text = project.outbox_files()[0].read_text("utf-8")
    assert rule.notice_id in text
    ledger = project.ledger()
    for channel in ("outbox", "mail"):
        row = ledger.get(rule.notice_id, channel)
        assert row is not None
        assert (row.state, row.attempts, row.late) == (SENT, 1, False)
    ledger.close()
    # Every line is JSON; every line about a delivery names the notice and the channel.
    assert all("unparsed" not in record for record in first.records + second.records)
    sent = [r for r in first.records if str(r.get("message", "")).startswith("sent")]
    assert {(r["notice"], r["channel"]) for r in sent} == {
        (rule.notice_id, "outbox"),
        (rule.notice_id, "mail"),
    }


def test_sigkill_between_claim_and_send_delivers_exactly_once_after_the_lease(
    project: Project,
) -> None:
    rule = Rule("crash", soon(3))
    project.write([rule])
    doomed = Daemon(project, env={"REMINDERS_FAULT_PAUSE_AFTER_CLAIM": "60"})
    doomed.wait_logged("fault injection")
    doomed.kill()  # SIGKILL: no clean-up at all
    assert project.outbox_files() == []
    ledger = project.ledger()
    claimed = ledger.get(rule.notice_id, "outbox")
    assert claimed is not None
    assert claimed.state == CLAIMED

    again = Daemon(project)
    again.wait_for(lambda: len(project.outbox_files()) == 1, what="the delivery after the lease")
    time.sleep(2)
    assert again.stop() == 0
    assert len(project.outbox_files()) == 1
    row = ledger.get(rule.notice_id, "outbox")
    assert row is not None
    assert (row.state, row.attempts) == (SENT, 2)
    assert row.sent_at is not None
    assert row.sent_at >= claimed.lease_until  # type: ignore[operator]
    ledger.close()


@pytest.mark.parametrize("due", ["after the start", "before the start"])
def test_sigterm_finishes_the_delivery_in_flight(project: Project, due: str) -> None:
    # Due after the start: a fire job sends it.  Due before: the start's catch-up sends it (late),
    # which is also where a fire time lands when a busy machine starts the daemon slowly.
    rule = Rule("inflight", soon(3) if due == "after the start" else soon(-60))
    project.write([rule])
    daemon = Daemon(project, env={"REMINDERS_FAULT_PAUSE_AFTER_CLAIM": "2"})
    daemon.wait_logged("fault injection")
    assert daemon.stop(signal.SIGTERM) == 0
    assert len(project.outbox_files()) == 1
    assert daemon.logged("SIGTERM received: finishing 1 delivery(ies) in flight, then stopping")
    assert daemon.logged("stopped")
    ledger = project.ledger()
    row = ledger.get(rule.notice_id, "outbox")
    assert row is not None
    assert (row.state, row.attempts) == (SENT, 1)
    ledger.close()


def test_sighup_reloads_when_watching_is_off(project: Project) -> None:
    later = Rule("later", soon(600))
    off = {"watch_interval": "PT0S"}
    project.write([later], daemon=off)
    daemon = Daemon(project)
    daemon.wait_logged("planned")
    added = Rule("added", soon(4))
    project.write([later, added], daemon=off)
    time.sleep(1.5)
    assert not daemon.logged("reloaded")  # not watching: the edit waits for the signal
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_logged("reloaded (SIGHUP)")
    daemon.wait_for(lambda: len(project.outbox_files()) == 1, what="the notice added by SIGHUP")
    assert daemon.stop() == 0
    (sent,) = project.outbox_files()
    assert added.notice_id.replace(":", "_") in sent.name


def test_a_channel_without_its_password_stops_start_up(project: Project) -> None:
    project.write([Rule("x", soon(600), channels=("mail",))], smtp_port=free_port())
    text = project.config.read_text("utf-8").replace(
        'timeout = "PT5S"',
        'timeout = "PT5S"\nusername = "events"\npassword_env = "TEST_NO_SUCH_VAR"',
    )
    project.config.write_text(text, "utf-8")
    code, output = Daemon(project).exited()
    assert code == 1
    assert "channel 'mail'" in output
    assert "TEST_NO_SUCH_VAR" in output
    assert "Traceback" not in output


def test_a_broken_template_stops_start_up_naming_file_and_line(project: Project) -> None:
    import shutil

    from .conftest import ROOT

    shutil.copytree(ROOT / "templates", project.root / "templates")
    broken = project.root / "templates" / "notices" / "planning.txt"
    broken.write_text(broken.read_text("utf-8") + "\n{{ no_such_variable }}\n", "utf-8")
    project.write([Rule("x", soon(600))], extra="")
    text = project.config.read_text("utf-8").replace(
        '[paths]\ncalendars = "calendars"',
        '[paths]\ncalendars = "calendars"\ntemplates = "templates"',
    )
    project.config.write_text(text, "utf-8")
    code, output = Daemon(project).exited()
    assert code == 1
    assert "planning.txt:" in output
    assert "no_such_variable" in output
    assert "Traceback" not in output
