"""The feed inside the daemon: one process, one event loop, sending notices and serving the feed.

A real `reminders run` process (tests/daemon_harness.py) with its feed on a free port: /healthz
reports the scheduler and the next fire time, an edited calendar is served after the daemon's
reload, a port that is taken stops the start before anything is sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import Message
from pathlib import Path

import pytest

from .daemon_harness import Daemon, Project, Rule, kill_leftovers, soon

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def no_daemon_left_running() -> Iterator[None]:
    yield
    kill_leftovers()


def get(url: str) -> tuple[int, Message, bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, response.headers, response.read()


def test_the_daemon_serves_the_feed_and_reports_its_next_fire_time(tmp_path: Path) -> None:
    project = Project(tmp_path)
    rule = Rule("later", soon(120))
    project.write([rule])
    daemon = Daemon(project)
    base = daemon.feed_url()
    daemon.wait_logged("planned")

    status, headers, body = get(f"{base}/healthz")
    health = json.loads(body)
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert health["scheduler"] == "running"
    assert health["planned"] == 1
    fire = datetime.fromisoformat(health["next_fire"])
    assert fire == rule.local.astimezone(UTC).replace(microsecond=0)

    status, headers, body = get(f"{base}/calendars/test.ics")
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert headers["ETag"] == f'"{hashlib.sha256(body).hexdigest()[:32]}"'
    assert b"anniversary of day " + rule.observance.encode() in body
    first_tag, first_revision = headers["ETag"], health["revision"]

    # An edited calendar: the daemon's watcher reloads, and the feed follows.
    calendar = project.root / "calendars" / "test.toml"
    calendar.write_text(
        calendar.read_text("utf-8").replace('name = "Test days"', 'name = "Renamed days"'), "utf-8"
    )
    later = time.time() + 5
    os.utime(calendar, (later, later))
    daemon.wait_logged("feeds rebuilt")
    status, headers, body = get(f"{base}/calendars/test.ics")
    assert b"\r\nNAME;VALUE=TEXT:Renamed days\r\n" in body
    assert headers["ETag"] != first_tag
    _, _, health_body = get(f"{base}/healthz")
    assert json.loads(health_body)["revision"] != first_revision

    assert daemon.stop() == 0
    assert daemon.logged("stopped")


def test_a_taken_feed_port_stops_the_start_before_anything_is_sent(tmp_path: Path) -> None:
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    port = holder.getsockname()[1]
    try:
        project = Project(tmp_path)
        # Due a minute ago, inside the grace period: a start that went on would send it late.
        due = Rule("due", datetime.now(UTC) - timedelta(minutes=1))
        project.write([due], listen=f"127.0.0.1:{port}")
        code, log = Daemon(project).exited()
    finally:
        holder.close()
    assert code == 1
    assert f"cannot listen on 127.0.0.1:{port}: Address already in use" in log
    assert "Traceback" not in log
    assert project.outbox_files() == []  # nothing went out, not even the due notice


def test_serve_feed_false_keeps_the_daemon_off_the_network(tmp_path: Path) -> None:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    project = Project(tmp_path)
    project.write([Rule("soon", soon(3))], daemon={"serve_feed": False}, listen=f"127.0.0.1:{port}")
    daemon = Daemon(project)
    daemon.wait_for(lambda: len(project.outbox_files()) == 1, what="the notice")
    with pytest.raises(ConnectionRefusedError):  # nothing listens where the feed would
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    assert daemon.stop() == 0
    assert not daemon.logged("serving the feed")
