"""Public feeds answered inside uvicorn's HTTP protocol (server.py's direct path), over raw sockets.

Three servers serve the same files: `reminders serve` as a process (the direct path, as shipped),
and two in this process, on an event loop of their own: one with the direct path and a record of
every request that reached the ASGI app (to show which path answered), and one with the direct
path off, whose answers are uvicorn's own ASGI path and the reference.  The answers must be the
same bytes, the Date header's value aside.  The in-process servers keep idle connections for one
second, so the keep-alive timer can be watched.
"""

from __future__ import annotations

import asyncio
import gzip
import re
import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest

from reminders.web.app import App
from reminders.web.feeds import ALL, Resource
from reminders.web.protocol import http_protocol
from reminders.web.server import WebService
from tests.test_tokens import NEW, PRIVATE, PRIVATE_CALENDAR
from tests.test_web import load_project
from tests.test_web_server import Served, make_site

pytestmark = pytest.mark.slow

CALENDAR = "/calendars/remembrance.ics"
TOKENS = {"REMINDERS_FEED_TOKENS": f"staff-roster={NEW}"}
DATE = re.compile(rb"\r\ndate: ([^\r\n]*)\r\n")
Seen = list[tuple[int, str, str]]  # (server port, method, path and query) of each ASGI request


# --- The servers ----------------------------------------------------------------------------


class Loop:
    """An event loop in a thread of its own (uvloop, as `serve` runs) for in-process servers."""

    def __init__(self) -> None:
        try:
            import uvloop
        except ImportError:  # serve falls back to asyncio's loop too
            self.loop = asyncio.new_event_loop()
        else:
            self.loop = uvloop.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coroutine: Any, timeout: float = 30.0) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


class Client:
    """One connection, read answer by answer (what arrives beyond an answer is kept)."""

    def __init__(self, port: int, receive_buffer: int = 0) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if receive_buffer:  # before connecting, so that the window is small from the start
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
        self.sock.settimeout(10)
        self.sock.connect(("127.0.0.1", port))
        self.data = b""

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def answers(self, methods: list[str], pause: float = 0.0) -> list[bytes]:
        """The answers to requests made with ``methods``, in order; ``pause``: read slowly."""
        got: list[bytes] = []
        for method in methods:
            while not (size := answer_size(self.data, method)):
                if pause:
                    time.sleep(pause)
                chunk = self.sock.recv(4096 if pause else 1 << 16)
                assert chunk, f"closed after {len(got)} answer(s): {self.data[:300]!r}"
                self.data += chunk
            got.append(self.data[:size])
            self.data = self.data[size:]
        return got

    def rest(self) -> bytes:
        """Whatever else arrives until the server closes the connection."""
        while chunk := self.sock.recv(1 << 16):
            self.data += chunk
        rest, self.data = self.data, b""
        return rest


class Server:
    """Where a server listens."""

    def __init__(self, port: int, service: WebService | None = None) -> None:
        self.port = port
        self.service = service

    def connect(self, receive_buffer: int = 0) -> Client:
        return Client(self.port, receive_buffer)

    def exchange(self, data: bytes, methods: list[str]) -> tuple[list[bytes], bytes]:
        """Send ``data`` on a new connection; the answers to ``methods``, and what came after."""
        with self.connect() as client:
            client.send(data)
            return client.answers(methods), client.rest()


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The repository's config and calendar, and a private calendar with a token."""
    root = tmp_path_factory.mktemp("fastpath") / "site"
    config = make_site(root)
    calendars = root / "calendars"
    (calendars / "staff-roster.toml").write_text(PRIVATE_CALENDAR, encoding="utf-8")
    past = int(time.time()) - 120  # as make_site dates the other inputs
    for path in (calendars, calendars / "staff-roster.toml"):
        path.touch()
        import os

        os.utime(path, (past, past))
    return config


@pytest.fixture(scope="module")
def seen() -> Iterator[Seen]:
    """Every request that reaches the ASGI app in this process."""
    calls: Seen = []
    original = App.__call__

    async def recording(self: App, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            query = scope["query_string"].decode("latin-1")
            target = scope["raw_path"].decode("latin-1") + (f"?{query}" if query else "")
            calls.append((scope["server"][1], scope["method"], target))
        await original(self, scope, receive, send)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(App, "__call__", recording)
        yield calls


@pytest.fixture(scope="module")
def in_process(config: Path, seen: Seen) -> Iterator[tuple[Server, Server]]:
    """(direct path, ASGI path only), both with a one-second keep-alive."""
    loop = Loop()
    loaded = load_project(config)
    servers = []
    try:
        for direct in (True, False):
            service = WebService(str(config), TOKENS, watch_files=False, direct=direct)
            service.keep_alive = 1
            loop.run(service.start(loaded, "127.0.0.1:0"))
            servers.append(Server(int(service.address.rsplit(":", 1)[1]), service))
        yield servers[0], servers[1]
    finally:
        for server in servers:
            assert server.service is not None
            loop.run(server.service.stop())
        loop.close()


@pytest.fixture(scope="module")
def direct(in_process: tuple[Server, Server]) -> Server:
    return in_process[0]


@pytest.fixture(scope="module")
def asgi(in_process: tuple[Server, Server]) -> Server:
    return in_process[1]


@pytest.fixture(scope="module")
def served(config: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """`reminders serve --listen 127.0.0.1:0` as a process."""
    process = Served(config, tmp_path_factory.mktemp("cache"), TOKENS)
    yield Server(process.port)
    assert process.stop() == 0
    assert not any("Traceback" in line for line in process.lines), process.lines


@pytest.fixture(scope="module")
def feed(asgi: Server) -> Resource:
    assert asgi.service is not None
    resource: Resource = asgi.service.site.feeds.resources[ALL]
    return resource


# --- Requests and answers -------------------------------------------------------------------


def request(method: str, target: str, *headers: str, version: str = "1.1") -> bytes:
    lines = [f"{method} {target} HTTP/{version}", "Host: 127.0.0.1", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def answer_size(data: bytes, method: str) -> int:
    """The length of the first whole answer in ``data`` to a request with ``method``, or 0."""
    end = data.find(b"\r\n\r\n")
    if end < 0:
        return 0
    head = data[: end + 4]
    status = int(head.split(b" ", 2)[1])
    length = re.search(rb"\r\ncontent-length: (\d+)\r\n", head, re.I)
    size = 0 if method == "HEAD" or status in (204, 304) or length is None else int(length[1])
    return len(head) + size if len(data) >= len(head) + size else 0


def undated(answer: bytes) -> bytes:
    """The answer with its Date header's value blanked; it must have one, and a current one."""
    dates = DATE.findall(answer)
    assert len(dates) == 1, answer[:400]
    sent = parsedate_to_datetime(dates[0].decode("latin-1"))
    assert abs((datetime.now(UTC) - sent).total_seconds()) < 60
    return DATE.sub(b"\r\ndate: -\r\n", answer)


def status(answer: bytes) -> int:
    return int(answer.split(b" ", 2)[1])


def header(answer: bytes, name: bytes) -> bytes | None:
    head = answer.partition(b"\r\n\r\n")[0] + b"\r\n"
    found = re.findall(rb"\r\n" + name + rb": ([^\r\n]*)\r\n", head)
    assert len(found) < 2, answer[:400]
    return found[0] if found else None


def body(answer: bytes) -> bytes:
    return answer.partition(b"\r\n\r\n")[2]


def paths_seen(seen: Seen, server: Server, start: int) -> list[tuple[str, str]]:
    return [(method, target) for port, method, target in seen[start:] if port == server.port]


# --- The header rules: the same bytes on both paths ---------------------------------------------


def header_matrix(feed: Resource) -> list[tuple[str, str, tuple[str, ...], int]]:
    """(method, target, headers, expected status): GET/HEAD x validators x gzip x download."""
    last_modified = formatdate(feed.last_modified, usegmt=True)
    older = formatdate(feed.last_modified - 86400, usegmt=True)
    cases = []
    for method in ("GET", "HEAD"):
        for gz in (False, True):
            encoding = ("Accept-Encoding: gzip, deflate",) if gz else ()
            tag = feed.gzip_etag if gz else feed.etag
            validators: list[tuple[tuple[str, ...], int]] = [
                ((), 200),
                ((f"If-None-Match: {tag}",), 304),
                ((f"If-Modified-Since: {last_modified}",), 304),
                (('If-None-Match: "stale"', f"If-Modified-Since: {older}"), 200),
            ]
            for sent, expected in validators:
                for target in (ALL, f"{ALL}?download=1"):
                    cases.append((method, target, (*encoding, *sent), expected))
    return cases


def test_the_header_matrix_gets_the_asgi_paths_bytes_on_one_kept_alive_connection(
    served: Server, direct: Server, asgi: Server, feed: Resource, seen: Seen
) -> None:
    cases = header_matrix(feed)
    assert len(cases) == 32
    start = len(seen)
    answers = {}
    for server in (served, direct, asgi):
        got = []
        with server.connect() as client:
            for method, target, headers, _expected in cases:
                client.send(request(method, target, *headers))
                got += client.answers([method])
        answers[server.port] = [undated(answer) for answer in got]
    assert answers[served.port] == answers[asgi.port]
    assert answers[direct.port] == answers[asgi.port]
    # The direct server answered all of them without the app; the other one through it.
    assert paths_seen(seen, direct, start) == []
    assert len(paths_seen(seen, asgi, start)) == len(cases)
    for case, answer in zip(cases, answers[served.port], strict=True):
        method, target, headers, expected = case
        assert status(answer) == expected, case
        assert header(answer, b"connection") is None  # kept alive
        gz = any("gzip" in h for h in headers)
        assert header(answer, b"etag") == (feed.gzip_etag if gz else feed.etag).encode()
        if expected == 200:
            disposition = b"attachment" if "download" in target else b"inline"
            assert header(answer, b"content-disposition") == disposition + b'; filename="all.ics"'
            assert header(answer, b"content-encoding") == (b"gzip" if gz else None)
            sent = b"" if method == "HEAD" else (feed.gzipped if gz else feed.body)
            assert body(answer) == sent
        else:
            assert body(answer) == b""
            assert header(answer, b"content-length") is None


CLOSE = "Connection: close"
UNUSUAL = {
    # name: (request, method, expected status, taken directly)
    "the calendar's own feed": (request("GET", CALENDAR, CLOSE), "GET", 200, True),
    "HEAD, gzip, download=yes": (
        request("HEAD", f"{CALENDAR}?x=1&download=yes", "Accept-Encoding: gzip", CLOSE),
        "HEAD", 200, True,
    ),
    "private feed with its token": (
        request("GET", f"{PRIVATE}?token={NEW}", CLOSE), "GET", 200, False,
    ),
    "private feed, token in the path": (
        request("GET", f"/calendars/{NEW}/staff-roster.ics", CLOSE), "GET", 200, False,
    ),
    "private feed without a token": (request("GET", PRIVATE, CLOSE), "GET", 404, False),
    "private feed, HEAD with a wrong token": (
        request("HEAD", f"{PRIVATE}?token=x", CLOSE), "HEAD", 404, False,
    ),
    "unknown path": (request("GET", "/nope.ics", CLOSE), "GET", 404, False),
    "POST": (request("POST", ALL, "Content-Length: 0", CLOSE), "POST", 405, False),
    "OPTIONS": (request("OPTIONS", ALL, CLOSE), "OPTIONS", 405, False),
    "encoded path": (request("GET", "/all%2Eics", CLOSE), "GET", 200, False),
    "absolute URI": (request("GET", "http://127.0.0.1/all.ics", CLOSE), "GET", 200, False),
    "a fragment": (request("GET", f"{ALL}?download=1#top", CLOSE), "GET", 200, False),
    "20 KiB of headers": (
        request("GET", ALL, "X-Filler: " + "a" * 20_000, CLOSE), "GET", 431, False,
    ),
    "a body": (request("GET", ALL, "Content-Length: 5", CLOSE) + b"hello", "GET", 200, False),
    "a chunked body": (
        request("GET", ALL, "Transfer-Encoding: chunked", CLOSE) + b"5\r\nhello\r\n0\r\n\r\n",
        "GET", 200, False,
    ),
    "Expect: 100-continue": (request("GET", ALL, "Expect: 100-continue", CLOSE), "GET", 200, False),
    "an upgrade": (
        request("GET", ALL, "Connection: Upgrade, close", "Upgrade: h2c",
                "HTTP2-Settings: AAMAAABkAAQ"),
        "GET", 200, False,
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", UNUSUAL, ids=list(UNUSUAL))
def test_other_requests_get_the_same_answer_and_only_plain_public_ones_skip_asgi(
    served: Server, direct: Server, asgi: Server, seen: Seen, case: str
) -> None:
    data, method, expected, taken_directly = UNUSUAL[case]
    start = len(seen)
    answers = []
    for server in (served, direct, asgi):
        got, rest = server.exchange(data, [method])
        assert rest == b""  # the answer, then the connection was closed
        answers.append(undated(got[0]))
    assert answers[0] == answers[2]
    assert answers[1] == answers[2]
    assert status(answers[0]) == expected
    assert (paths_seen(seen, direct, start) == []) is taken_directly
    if "private" in case and expected == 200:
        assert b"Confidential staff roster" in body(answers[0])


def test_the_direct_server_really_has_the_direct_path_and_the_other_not(
    served: Server, direct: Server, asgi: Server, seen: Seen
) -> None:
    start = len(seen)
    for server in (direct, asgi):
        server.exchange(request("GET", ALL, "Connection: close"), ["GET"])
    assert paths_seen(seen, direct, start) == []
    assert paths_seen(seen, asgi, start) == [("GET", ALL)]


# --- Connections: pipelining, keep-alive, close, HTTP/1.0, slow readers -------------------------


PIPELINE = [
    ("GET", ALL, ()),
    ("GET", f"{ALL}?download=1", ("Accept-Encoding: gzip",)),
    ("GET", "/nope", ()),
    ("GET", CALENDAR, ()),
    ("HEAD", ALL, ()),
    ("GET", "/healthz", ()),
    ("GET", ALL, ("Accept-Encoding: gzip",)),
    ("GET", ALL, ("If-None-Match: *",)),
    ("GET", CALENDAR, ("Accept-Encoding: gzip",)),
    ("HEAD", CALENDAR, ()),
    ("GET", ALL, ()),
    ("GET", ALL, ()),
]


def check_pipeline(answers: list[bytes], feed: Resource) -> None:
    statuses = [status(answer) for answer in answers]
    assert statuses == [200, 200, 404, 200, 200, 200, 200, 304, 200, 200, 200, 200]
    assert body(answers[0]) == body(answers[10]) == body(answers[11]) == feed.body
    assert body(answers[1]) == feed.gzipped
    assert header(answers[1], b"content-disposition") == b'attachment; filename="all.ics"'
    assert body(answers[2]) == b"Not Found\n"
    assert b"END:VCALENDAR" in body(answers[3])
    assert body(answers[4]) == b""
    assert header(answers[4], b"etag") == feed.etag.encode()
    assert b'"status": "ok"' in body(answers[5])
    assert gzip.decompress(body(answers[8])) == body(answers[3])
    assert body(answers[9]) == b""


def test_pipelined_requests_are_answered_in_order_across_both_paths(
    served: Server, direct: Server, feed: Resource, seen: Seen
) -> None:
    data = b"".join(request(method, target, *headers) for method, target, headers in PIPELINE)
    methods = [method for method, _target, _headers in PIPELINE]
    for server in (served, direct):
        start = len(seen)
        with server.connect() as client:
            client.send(data)
            answers = client.answers(methods)
            # Nothing more, and still open and usable after the twelve.
            client.send(request("GET", ALL, "If-None-Match: *"))
            assert [status(answer) for answer in client.answers(["GET"])] == [304]
            assert client.data == b""
        check_pipeline(answers, feed)
        if server is direct:
            # The two feeds in front of the 404 never reached the app; the 404 did.
            assert paths_seen(seen, direct, start)[0] == ("GET", "/nope")


def test_a_kept_alive_connection_serves_many_requests_on_both_paths(
    served: Server, feed: Resource
) -> None:
    with served.connect() as client:
        for number in range(300):
            headers: tuple[str, ...] = ()
            if number % 50 == 49:
                method, target, expected = "GET", "/healthz", 200
            elif number % 3 == 0:
                method, target, expected = "GET", ALL, 200
            elif number % 3 == 1:
                method, target, expected = "HEAD", CALENDAR, 200
            else:
                method, target, expected = "GET", ALL, 304
                headers = (f"If-None-Match: {feed.etag}",)
            client.send(request(method, target, *headers))
            (answer,) = client.answers([method])
            assert client.data == b""
            assert status(answer) == expected, number
            assert header(answer, b"connection") is None
            if target == ALL and expected == 200:
                assert body(answer) == feed.body


@pytest.mark.parametrize(
    "ask",
    [
        ("GET", ("Connection: close",), "1.1"),
        ("HEAD", ("Connection: close",), "1.1"),
        ("GET", ("If-None-Match: *", "Connection: close"), "1.1"),
        ("GET", (), "1.0"),
        ("GET", ("Connection: keep-alive", "Accept-Encoding: gzip"), "1.0"),
    ],
    ids=["close", "HEAD close", "304 close", "HTTP/1.0", "HTTP/1.0 keep-alive"],
)
def test_connection_close_and_http_1_0_get_one_answer_then_the_close(
    served: Server,
    direct: Server,
    asgi: Server,
    seen: Seen,
    ask: tuple[str, tuple[str, ...], str],
) -> None:
    method, headers, version = ask
    first = request(method, ALL, *headers, version=version)
    behind = request("GET", "/healthz")  # pipelined after the close: never answered
    start = len(seen)
    answers = []
    for server in (served, direct, asgi):
        got, rest = server.exchange(first + behind, [method])
        assert rest == b""
        assert header(got[0], b"connection") == b"close"
        answers.append(undated(got[0]))
    assert answers[0] == answers[1] == answers[2]
    assert answers[0].startswith(b"HTTP/1.1 ")
    # Neither path even starts on the request behind the close.
    assert paths_seen(seen, direct, start) == []
    assert paths_seen(seen, asgi, start) == [(method, ALL)]


def most_a_socket_may_buffer() -> int:
    """Linux's ceiling on a TCP socket's send buffer (it grows by itself up to this)."""
    try:
        return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])
    except (OSError, IndexError, ValueError):
        return 4 << 20


def test_a_slow_reader_gets_every_body_whole(
    served: Server, direct: Server, feed: Resource, seen: Seen
) -> None:
    """More bodies pipelined than the kernel can hold for a client that reads little at first:
    the server's writes pause, and requests behind the pause take the ASGI path, which waits for
    the buffer to drain.  The in-process server's client waits longer than the keep-alive time:
    the timer must not run while requests wait (uvicorn starts it only when all are answered)."""
    count = 2 * most_a_socket_may_buffer() // len(feed.body) + 20
    data = request("GET", ALL) * count
    for server, wait in ((served, 0.3), (direct, 1.5)):
        start = len(seen)
        with server.connect(receive_buffer=8192) as client:
            client.send(data)
            time.sleep(wait)  # the server writes while nothing is read: its buffers fill
            answers = client.answers(["GET"] * 3, pause=0.002)
            answers += client.answers(["GET"] * (count - 3))
        assert len(answers) == count
        for answer in answers:
            assert status(answer) == 200
            assert body(answer) == feed.body
        if server is direct:
            taken = paths_seen(seen, direct, start)
            # The first answers went out directly; once writing was paused, ASGI took over.
            assert 0 < len(taken) < count
            assert set(taken) == {("GET", ALL)}


# --- The keep-alive timer ------------------------------------------------------------------------


def test_an_idle_kept_alive_connection_is_closed_after_the_keep_alive_time(
    direct: Server, asgi: Server
) -> None:
    for server in (direct, asgi):
        with server.connect() as client:
            client.send(request("GET", ALL, "If-None-Match: *"))
            client.answers(["GET"])
            began = time.monotonic()
            assert client.rest() == b""  # closed by the server
            assert 0.5 < time.monotonic() - began < 5


def test_a_request_left_incomplete_after_an_answer_is_dropped_with_the_keep_alive(
    direct: Server, asgi: Server
) -> None:
    """As uvicorn does: the timer starts when the response is complete, and a request whose
    head is still unfinished then does not stop it (a slow client is not waited for)."""
    outcomes = []
    for server in (direct, asgi):
        with server.connect() as client:
            client.send(request("GET", ALL, "If-None-Match: *") + b"GET /all.ics HTTP/1.1\r\n")
            (answer,) = client.answers(["GET"])
            time.sleep(1.5)  # longer than the keep-alive time
            try:
                client.send(b"Host: 127.0.0.1\r\n\r\n")
                rest = client.rest()
            except (BrokenPipeError, ConnectionResetError):
                rest = b""
            outcomes.append((status(answer), rest))
    assert outcomes == [(304, b""), (304, b"")]


def test_a_request_completed_within_the_keep_alive_time_is_answered(
    direct: Server, asgi: Server
) -> None:
    for server in (direct, asgi):
        with server.connect() as client:
            client.send(request("GET", ALL, "If-None-Match: *") + b"GET /all.ics HTTP/1.1\r\n")
            client.answers(["GET"])
            time.sleep(0.3)
            client.send(b"Host: 127.0.0.1\r\nIf-None-Match: *\r\n\r\n")
            assert [status(answer) for answer in client.answers(["GET"])] == [304]


# --- Building the protocol ---------------------------------------------------------------------


def test_the_protocol_has_the_direct_path_only_with_a_site_and_the_expected_uvicorn(
    asgi: Server, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    assert asgi.service is not None
    site = asgi.service.site
    assert hasattr(http_protocol(site), "_reply")
    assert not hasattr(http_protocol(None), "_reply")
    assert issubclass(http_protocol(None), HttpToolsProtocol)

    broken: list[Callable[[pytest.MonkeyPatch], None]] = [
        lambda patch: patch.delattr(HttpToolsProtocol, "on_response_complete"),
        # An __init__ that no longer sets the attributes the direct path reads.
        lambda patch: patch.setattr(HttpToolsProtocol, "__init__", lambda self, *a, **k: None),
        lambda patch: patch.setattr(
            "uvicorn.protocols.http.httptools_impl.STATUS_LINE", {200: b"HTTP/1.1 200 OK\r\n"}
        ),
    ]
    missing = [
        "method HttpToolsProtocol.on_response_complete",
        "HttpToolsProtocol.__init__ setting parser",
        "STATUS_LINE with the bytes of 200 and 304",
    ]
    for change, named in zip(broken, missing, strict=True):
        caplog.clear()
        with monkeypatch.context() as patch:
            change(patch)
            protocol = http_protocol(site)
            assert not hasattr(protocol, "_reply")
            assert hasattr(protocol, "data_received")  # still the head limit's protocol
        # Not silently: the warning names what is missing.
        (record,) = caplog.records
        assert record.levelname == "WARNING"
        assert named in record.getMessage()
        assert "install the uvicorn that pyproject.toml names" in record.getMessage()
    caplog.clear()
    assert hasattr(http_protocol(site), "_reply")
    assert caplog.records == []


# --- One 404 for a private calendar without its token and for none ------------------------------

NOT_FOUND_GET = (
    b"HTTP/1.1 404 Not Found\r\ndate: -\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 10\r\nx-content-type-options: nosniff\r\n\r\nNot Found\n"
)
REFUSED = {
    "an unknown calendar": "/calendars/no-such-calendar.ics",
    "an unknown calendar with a token": f"/calendars/no-such-calendar.ics?token={NEW}",
    "an unknown path": "/nope",
    "the private calendar without a token": PRIVATE,
    "the private calendar with an empty token": f"{PRIVATE}?token=",
    "the private calendar with a wrong token": f"{PRIVATE}?token=wrong-token-Zq4vK8mW2pL6nR0tY5",
    "the private calendar with a token one character short": f"{PRIVATE}?token={NEW[:-1]}",
    "the private calendar with a malformed token": f"{PRIVATE}?token=%ff%00%zz%C3%A9",
    "the private calendar with a token of 4000 characters": f"{PRIVATE}?token={'a' * 4000}",
    "a wrong token in the path": "/calendars/wrong-token-Zq4vK8mW2pL6nR0tY5/staff-roster.ics",
    "a malformed token in the path": "/calendars/%ff%00%C3%A9/staff-roster.ics",
    "a token in the path of an unknown calendar": f"/calendars/{NEW}/no-such-calendar.ics",
    "a token in the path of a public calendar": f"/calendars/{NEW}/remembrance.ics",
    "three segments": f"/calendars/{NEW}/staff-roster.ics/x",
}


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_a_private_calendar_without_its_token_is_the_very_404_of_an_unknown_one(
    served: Server, direct: Server, asgi: Server, method: str
) -> None:
    """Byte for byte (the Date header's value aside): status line, headers in their order, body,
    whatever the token, so that a probe cannot tell a private calendar from none."""
    expected = NOT_FOUND_GET if method == "GET" else NOT_FOUND_GET.removesuffix(b"Not Found\n")
    for server in (served, direct, asgi):
        with server.connect() as client:
            for case, target in REFUSED.items():
                client.send(request(method, target))
                (answer,) = client.answers([method])
                assert undated(answer) == expected, (server.port, case, answer)


def test_huge_headers_get_the_same_431_for_a_private_calendar_and_for_none(served: Server) -> None:
    answers = {
        case: undated(served.exchange(request("GET", target, "X-Filler: " + "a" * 17_000, CLOSE),
                                      ["GET"])[0][0])
        for case, target in REFUSED.items()
    }  # fmt: skip
    assert set(answers.values()) == {answers["an unknown calendar"]}
    assert status(answers["an unknown calendar"]) == 431
