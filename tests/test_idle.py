"""Connections that keep the feed server waiting (reminders/guard.py), over real sockets.

Two servers in this process on port 0 (the direct feed path, and the ASGI path alone), with a
head timeout of half a second and uvicorn's usual keep-alive time; and `reminders serve` as a
process under a low limit of open files, with more idle connections held than that limit allows.
"""

from __future__ import annotations

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

from reminders.feeds import ALL
from reminders.server import WebService
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
