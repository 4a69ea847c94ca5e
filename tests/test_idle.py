"""Connections that keep the feed server waiting (reminders/web/guard.py), over real sockets.

Two servers in this process on port 0 (the direct feed path, and the ASGI path alone), with a
head timeout of half a second and uvicorn's usual keep-alive time; and `reminders serve` as a
process under a low limit of open files, with more idle connections held than that limit allows.
"""

from __future__ import annotations

import logging
import os
import re
import resource
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from reminders.web.feeds import ALL
from reminders.web.guard import Guard
from reminders.web.server import WebService
from tests.test_fastpath import Client, Loop, Server, request, status
from tests.test_web import load_project
from tests.test_web_server import make_site

pytestmark = pytest.mark.slow

HEAD_TIMEOUT = 0.5
LATEST = HEAD_TIMEOUT * 1.25 + 0.75  # a sweep's step late at most, and room for a busy machine
HALF_HEAD = b"GET /all.ics HTTP/1.1\r\nHost: 127.0.0.1\r\n"


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_site(tmp_path_factory.mktemp("idle") / "site")


@pytest.fixture(scope="module")
def servers(config: Path) -> Iterator[list[Server]]:
    """(direct path, ASGI path only), each with the half-second head timeout."""
    loop = Loop()
    loaded = load_project(config)
    servers = []
    try:
        for direct in (True, False):
            service = WebService(str(config), {}, watch_files=False, direct=direct)
            service.head_timeout = HEAD_TIMEOUT
            loop.run(service.start(loaded, "127.0.0.1:0"))
            servers.append(Server(int(service.address.rsplit(":", 1)[1]), service))
        yield servers
    finally:
        for server in servers:
            assert server.service is not None
            loop.run(server.service.stop())
        loop.close()


def closed_after(client: Client, since: float) -> float:
    """Seconds from ``since`` until the server closed the connection, having sent nothing."""
    client.sock.settimeout(LATEST + 2)  # today's uvicorn never closes it: fail, do not hang
    assert client.rest() == b""
    return time.monotonic() - since


def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(
    servers: list[Server],
) -> None:
    for server in servers:
        began = time.monotonic()
        with server.connect() as client:
            assert HEAD_TIMEOUT <= closed_after(client, began) < LATEST


def test_half_a_request_head_is_closed_after_the_head_timeout(servers: list[Server]) -> None:
    for server in servers:
        with server.connect() as client:
            began = time.monotonic()
            client.send(HALF_HEAD)
            assert HEAD_TIMEOUT * 0.75 <= closed_after(client, began) < LATEST


def test_half_a_head_after_an_answer_is_closed_after_the_head_timeout_not_kept(
    servers: list[Server],
) -> None:
    """The keep-alive time (15 s here) counts only while the connection is idle; once the next
    request has begun, its head must be complete within the head timeout."""
    for server in servers:
        with server.connect() as client:
            client.send(request("GET", ALL, "If-None-Match: *"))
            assert [status(a) for a in client.answers(["GET"])] == [304]
            time.sleep(0.1)
            began = time.monotonic()
            client.send(HALF_HEAD)
            assert closed_after(client, began) < LATEST


def test_an_idle_kept_alive_connection_waits_for_the_keep_alive_time_not_the_head_timeout(
    servers: list[Server],
) -> None:
    for server in servers:
        with server.connect() as client:
            client.send(request("GET", ALL, "If-None-Match: *"))
            client.answers(["GET"])
            time.sleep(HEAD_TIMEOUT * 3)
            client.send(request("GET", ALL, "If-None-Match: *"))
            assert [status(a) for a in client.answers(["GET"])] == [304]


def test_clients_are_answered_while_idle_connections_are_held(servers: list[Server]) -> None:
    for server in servers:
        idle = [server.connect() for _ in range(20)]
        try:
            for client in idle[::2]:
                client.send(HALF_HEAD)
            with server.connect() as client:
                for _ in range(3):
                    client.send(request("GET", ALL))
                    assert [status(a) for a in client.answers(["GET"])] == [200]
                # A head sent in two parts within the timeout is answered.
                client.send(HALF_HEAD)
                time.sleep(HEAD_TIMEOUT / 3)
                client.send(b"If-None-Match: *\r\n\r\n")
                assert [status(a) for a in client.answers(["GET"])] == [304]
        finally:
            for client in idle:
                client.sock.close()


# --- The guard's rules, on a clock of its own ---------------------------------------------------


class Transport:
    def __init__(self) -> None:
        self.closing = False

    def is_closing(self) -> bool:
        return self.closing

    def close(self) -> None:
        self.closing = True


class Cycle:
    def __init__(self, complete: bool) -> None:
        self.response_complete = complete


class Connection:
    """What the guard reads of one of uvicorn's connections."""

    def __init__(self, opened: float, keep_alive: bool = False, answering: bool = False) -> None:
        self.opened = opened
        self.transport = Transport()
        self.timeout_keep_alive_task = object() if keep_alive else None
        self.cycle = Cycle(complete=not answering) if answering else None

    @property
    def closed(self) -> bool:
        return self.transport.closing


def test_the_sweep_closes_only_connections_that_waited_the_head_timeout_on_their_client() -> None:
    guard = Guard(head_timeout=10, capacity=None)
    assert guard.step == 1.0  # a quarter of the timeout, at most a second
    fresh = Connection(opened=0.5)
    kept_alive = Connection(opened=0.0, keep_alive=True)  # idle between requests: uvicorn's
    answering = Connection(opened=0.0, answering=True)  # an answer is being written
    later = Connection(opened=5.2)
    connections = {fresh, kept_alive, answering, later}
    for now in (1.0, 2.0, 5.0, 6.0, 10.0):
        guard.sweep(connections, now)
        assert not any(c.closed for c in connections), now
    guard.sweep(connections, 11.0)  # 10.5 s after it opened
    assert fresh.closed
    assert not any(c.closed for c in (kept_alive, answering, later))
    kept_alive.timeout_keep_alive_task = None  # the next request has begun: first seen at 12
    guard.sweep(connections, 12.0)
    guard.sweep(connections, 15.0)
    assert not later.closed  # 9.8 s after it opened
    guard.sweep(connections, 16.0)
    assert later.closed
    assert not kept_alive.closed
    guard.sweep(connections, 22.0)
    assert kept_alive.closed
    assert not answering.closed
    assert guard.closed == 3


def test_past_the_capacity_a_new_connection_closes_the_one_waiting_longest(
    caplog: pytest.LogCaptureFixture,
) -> None:
    guard = Guard(head_timeout=10, capacity=3)
    oldest, busy, newer = Connection(1.0), Connection(0.0, answering=True), Connection(2.0)
    connections = [oldest, busy, newer]
    guard.sweep(connections, 2.5)
    with caplog.at_level(logging.WARNING, logger="reminders"):
        for number in range(4):
            new = Connection(3.0 + number)
            connections.append(new)
            guard.admit(new, connections, new.opened)
            connections = [c for c in connections if not c.closed]
    assert oldest.closed
    assert newer.closed
    assert not busy.closed
    assert len(connections) == 3
    # Nobody else waits on a client: the newest connection itself is the one closed.
    everyone_busy = [Connection(0.0, answering=True) for _ in range(3)]
    new = Connection(9.0)
    guard.admit(new, [*everyone_busy, new], 9.0)
    assert new.closed
    assert not any(c.closed for c in everyone_busy)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1  # once, however many connections it turned away
    assert "near this process's limit of open files" in warnings[0]
    # Well below the capacity again, a later episode is reported again.
    guard.sweep(connections[:2], 10.0)
    with caplog.at_level(logging.WARNING, logger="reminders"):
        crowd = [Connection(11.0) for _ in range(4)]
        guard.admit(crowd[-1], crowd, 11.0)
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_the_capacity_leaves_a_reserve_of_open_files() -> None:
    assert Guard.for_limit(10, 64).capacity == 32
    assert Guard.for_limit(10, 1024).capacity == 896
    assert Guard.for_limit(10, 20).capacity == 1
    assert Guard.for_limit(10, None).capacity is None


# --- More connections than the limit of open files allows -----------------------------------

LIMIT = 64  # the server's RLIMIT_NOFILE: about 15 for itself, 32 kept in reserve
CROWDED = re.compile(r"WARNING .*(near this process's limit of open files|cannot accept)")
LISTENING = re.compile(r"serving the feed on http://127\.0\.0\.1:(\d+) ")
# `reminders serve`, with asyncio's own event loop where uvloop is hidden.
ON_ASYNCIO = "import sys; sys.modules['uvloop'] = None; from reminders.cli import main; main()"


class Limited:
    """`reminders serve --listen 127.0.0.1:0` with RLIMIT_NOFILE at LIMIT, and its log lines."""

    def __init__(self, config: Path, loop: str) -> None:
        start = ["-m", "reminders"] if loop == "uvloop" else ["-c", ON_ASYNCIO]
        self.process = subprocess.Popen(
            [sys.executable, *start, "--config", str(config), "serve", "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=config.parent,
            env={**os.environ, "REMINDERS_CACHE_DIR": str(config.parent / "cache")},
            preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (LIMIT, LIMIT)),
        )
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + 30
        while not (found := [m for m in map(LISTENING.search, list(self.lines)) if m]):
            assert self.process.poll() is None, self.lines
            assert time.monotonic() < deadline, self.lines
            time.sleep(0.02)
        self.port = int(found[0].group(1))

    def _read(self) -> None:
        assert self.process.stderr is not None
        for raw in self.process.stderr:
            self.lines.append(raw.decode("utf-8", "replace").rstrip("\n"))

    def get(self, timeout: float = 3) -> int:
        with Client(self.port) as client:
            client.sock.settimeout(timeout)
            client.send(request("GET", ALL))
            return status(client.answers(["GET"])[0])

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


def closed_unanswered(sock: socket.socket) -> bool:
    """Whether the server closed the connection without a byte: an end, or a reset when it
    closed with the half head still unread."""
    try:
        return sock.recv(100) == b""
    except ConnectionResetError:
        return True


@pytest.mark.parametrize("loop", ["uvloop", "asyncio"])
def test_more_idle_connections_than_open_files_leave_other_clients_served(
    tmp_path: Path, loop: str
) -> None:
    config = make_site(tmp_path / "site")
    text = config.read_text("utf-8")
    config.write_text(text.replace("[feed]\n", '[feed]\nhead_timeout = "PT2S"\n', 1), "utf-8")
    server = Limited(config, loop)
    idle: list[socket.socket] = []
    try:
        for number in range(2 * LIMIT):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if number % 2:
                sock.sendall(HALF_HEAD)
            idle.append(sock)
        began = time.monotonic()
        assert server.get(timeout=10) == 200
        if loop == "uvloop":
            # At once, while the idle connections are held: one of them made room.
            assert time.monotonic() - began < 1
            assert [server.get() for _ in range(5)] == [200] * 5
        # (asyncio's loop accepts every waiting connection at once, runs out of files and
        # accepts again a second later: the client is served within a few seconds.)
        time.sleep(2 * 1.25 + 1)  # the head timeout, a sweep's step, and some room
        for sock in idle:  # every idle connection was closed by the server, none answered
            assert closed_unanswered(sock)
        assert server.get() == 200
    finally:
        for sock in idle:
            sock.close()
        server.stop()
    crowded = [line for line in server.lines if CROWDED.search(line)]  # either reason
    assert len(crowded) == 1, server.lines
    assert not any("Traceback" in line or "ERROR" in line for line in server.lines), server.lines
