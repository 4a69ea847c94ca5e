"""uvicorn's httptools protocol, subclassed: a limit on a request's head, and public feeds
answered inside the protocol in one write (the direct path).

The direct path reads uvicorn's internals (:data:`METHODS`, :data:`ASSIGNED`, :data:`PARSER`,
``STATUS_LINE``), so uvicorn is pinned in pyproject.toml to the minor release it is tested with,
and tests/test_uvicorn_fit.py checks each of them, name and kind, on the installed uvicorn: an
upgrade that moves one fails the suite.  At run time a uvicorn that does not fit (installed
against the pin) serves feeds through ASGI, with a warning that names what is missing.

Why it exists (bench/RESULTS.md, section 4): through ASGI, uvicorn's own path costs a task, an
event, a cycle object and two writes per response, and public feeds were answered at 0.47-0.55x
(200) and 0.46-0.52x (304) of a minimal nginx, on the line of the target (0.5x); with the
direct path at 0.71-0.89x and 0.80-0.81x, with CPU per request 1.14-1.27x nginx's (target
2.5x).
"""

from __future__ import annotations

import logging
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .app import Reply, Site
    from .guard import Guard

log = logging.getLogger("reminders")


HEAD_LIMIT = 64 * 1024  # bytes of request line and headers; app.py answers 431 above 16 KiB
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
    b"content-length: 32\r\nconnection: close\r\n\r\nRequest Header Fields Too Large\n"
)


def http_protocol(site: Site | None = None, guard: Guard | None = None) -> Any:
    """uvicorn's httptools protocol with a limit on a request's head, or "h11" without httptools.

    httptools has no limit of its own: it would read a header of any size, and the time it takes
    grows faster than the size, so one client could hold the server for seconds.  (uvicorn's h11
    protocol limits the head itself.)  With ``site``, the protocol also answers public feeds
    itself where uvicorn's internals are as expected (:func:`_direct_protocol`,
    :func:`misfits`).  With ``guard``, each new connection is noted and may make room under the
    open-file limit (guard.py); nothing is added per request.
    """
    try:
        from uvicorn.protocols.http import httptools_impl
    except ImportError:
        return "h11"

    class Protocol(httptools_impl.HttpToolsProtocol):
        head_bytes = 0
        in_head = True
        opened = 0.0  # loop time of connection_made, for the guard

        def connection_made(self, transport: Any) -> None:
            super().connection_made(transport)
            if guard is not None:
                self.opened = self.loop.time()
                guard.admit(self, self.connections, self.opened)

        def data_received(self, data: bytes) -> None:
            if not self.in_head:
                super().data_received(data)
                return
            allowance = HEAD_LIMIT - self.head_bytes
            if len(data) <= allowance:
                self.head_bytes += len(data)
                super().data_received(data)
                return
            # The head must end within what it may still use; the rest may be a body.
            self.head_bytes = HEAD_LIMIT
            super().data_received(data[:allowance])
            if self.transport.is_closing():
                return
            if self.in_head and self.head_bytes == HEAD_LIMIT:
                self.transport.write(TOO_LARGE)
                self.transport.close()
                return
            self.data_received(data[allowance:])

        def on_headers_complete(self) -> None:
            self.in_head = False
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            super().on_message_complete()
            self.in_head, self.head_bytes = True, 0

    if site is None:
        return Protocol
    missing = misfits()
    if missing:
        import uvicorn

        log.warning(
            "uvicorn %s does not fit the feeds' direct path (missing: %s); feeds are served "
            "through ASGI; install the uvicorn that pyproject.toml names",
            uvicorn.__version__,
            ", ".join(missing),
        )
        return Protocol
    return _direct_protocol(Protocol, site, httptools_impl.STATUS_LINE)


# The direct path was written against uvicorn 0.54 and is tested with 0.55
# (protocols/http/httptools_impl.py).  It uses these internals of HttpToolsProtocol, checked
# when the class is built: the methods by name, and the attributes by the names their code
# assigns (an instance exists only once a client connects).  tests/test_uvicorn_fit.py checks
# each on a connected instance, with its kind.
METHODS = (
    "data_received",
    "on_message_begin",
    "on_headers_complete",
    "on_body",
    "on_message_complete",
    "on_response_complete",
    "_unset_keepalive_if_required",
)
ASSIGNED = {
    "HttpToolsProtocol.__init__": (
        "parser", "server_state", "transport", "flow", "pipeline", "cycle", "access_log",
        "access_logger",
        "limit_concurrency", "root_path", "timeout_keep_alive_task", "expect_100_continue",
    ),
    "HttpToolsProtocol.on_message_begin": ("url", "headers"),
    "RequestResponseCycle.__init__": ("response_complete",),
    "FlowControl.__init__": ("write_paused",),
    "ServerState.__init__": ("default_headers", "total_requests"),
}  # fmt: skip
PARSER = ("get_method", "get_http_version", "should_keep_alive", "should_upgrade")


def misfits() -> list[str]:
    """What the direct path relies on and the installed uvicorn lacks; empty if it fits."""
    from uvicorn import server
    from uvicorn.protocols.http import flow_control, httptools_impl

    classes = {
        "HttpToolsProtocol": getattr(httptools_impl, "HttpToolsProtocol", None),
        "RequestResponseCycle": getattr(httptools_impl, "RequestResponseCycle", None),
        "FlowControl": getattr(flow_control, "FlowControl", None),
        "ServerState": getattr(server, "ServerState", None),
    }
    missing = [f"class {name}" for name, value in classes.items() if not isinstance(value, type)]
    protocol = classes["HttpToolsProtocol"]
    parser = getattr(getattr(httptools_impl, "httptools", None), "HttpRequestParser", None)
    lines = getattr(httptools_impl, "STATUS_LINE", None)
    if not isinstance(lines, dict) or not all(
        isinstance(lines.get(status), bytes) for status in (200, 304)
    ):
        missing.append("STATUS_LINE with the bytes of 200 and 304")
    missing += [
        f"method HttpToolsProtocol.{name}"
        for name in METHODS
        if not callable(getattr(protocol, name, None))
    ]
    missing += [
        f"method HttpRequestParser.{name}"
        for name in PARSER
        if not callable(getattr(parser, name, None))
    ]
    for where, names in ASSIGNED.items():
        owner, _, method = where.partition(".")
        code = getattr(getattr(classes[owner], method, None), "__code__", None)
        assigned = set() if code is None else set(code.co_names)
        missing += [f"{where} setting {name}" for name in names if name not in assigned]
    return missing


def _direct_protocol(base: Any, site: Site, status_line: dict[int, bytes]) -> Any:
    """``base`` answering GET and HEAD for public feeds itself, in one write, without ASGI.

    uvicorn's own path costs a task, an event, a cycle object and two writes (head, then body)
    per response; here the answer is the head and body of :func:`~reminders.web.app.feed_reply`'s
    reply, written with one ``writelines`` from ``on_headers_complete``.  The bytes are those
    uvicorn would write for the same reply: status line, its Date header, the reply's headers,
    ``connection: close`` when the connection is not kept alive.  Only plain requests take this
    path (see ``_reply``); everything else, and every other status, goes through ASGI.
    """
    from .app import feed_reply

    end, close = b"\r\n", b"connection: close\r\n\r\n"
    dated: list[Any] = [None, b""]  # uvicorn's default header list seen last, and its bytes

    class Direct(base):  # type: ignore[misc]
        direct = False  # the request being parsed was answered (or dropped) here
        usable = False  # this connection's settings are ones the direct path reproduces

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            # With a concurrency limit (503s) or a root path, uvicorn does more than write the
            # reply; those connections keep the ASGI path.
            self.usable = self.limit_concurrency is None and not self.root_path

        def on_headers_complete(self) -> None:
            if self.transport.is_closing():
                # A direct answer closed the connection earlier in this read; uvicorn would not
                # answer what was pipelined behind a "connection: close" either.
                self.direct, self.in_head = True, False
                return
            answer = self._reply()
            if answer is None:
                # In uvicorn the keep-alive timer never runs while a request is being handled
                # (it is stopped on every read and started when a response completes); a direct
                # answer earlier in this read may have started it.  A request still incomplete
                # at the end of the read leaves it running, as uvicorn does.
                if self.timeout_keep_alive_task is not None:
                    self._unset_keepalive_if_required()
                super().on_headers_complete()
                return
            self.direct, self.in_head = True, False
            parser = self.parser
            keep = parser.get_http_version() != "1.0" and parser.should_keep_alive()
            defaults = self.server_state.default_headers  # a new list each second (Date)
            if defaults is not dated[0]:
                dated[:] = defaults, b"".join(b"%s: %s\r\n" % pair for pair in defaults)
            parts = [status_line[answer.status], dated[1], answer.lines, end if keep else close]
            if answer.body:
                parts.append(answer.body)
            self.transport.writelines(parts)
            if not keep:
                self.transport.close()
            # As uvicorn after a response: count it, then resume reading or arm the keep-alive
            # timer (it returns early on a closing transport).
            self.on_response_complete()

        def _reply(self) -> Reply | None:
            """The reply to write here, or None to leave the request to uvicorn and ASGI."""
            if not self.usable or self.flow.write_paused or self.pipeline:
                return None  # a slow reader: ASGI waits for the buffer to drain
            if self.access_log and self.access_logger.isEnabledFor(logging.INFO):
                return None  # uvicorn logs the request line (off in WebService: tokens)
            cycle = self.cycle
            if cycle is not None and not cycle.response_complete:
                return None  # an earlier response is still being written: keep the order
            parser = self.parser
            method = parser.get_method()
            if method == b"GET":
                name = "GET"
            elif method == b"HEAD":
                name = "HEAD"
            else:
                return None
            url = self.url
            if parser.should_upgrade() or self.expect_100_continue or b"#" in url:
                return None
            path, _, query = url.partition(b"?")
            prepared = site.prepared.get(path.decode("latin-1"))  # read per request: swapped
            if prepared is None or prepared.resource.private:
                return None
            for header, value in self.headers:
                if (header == b"content-length" and value != b"0") or header == (
                    b"transfer-encoding"
                ):
                    return None  # a body to read first
            answer = feed_reply(prepared, name, query, self.headers)
            return answer if answer.status == 200 or answer.status == 304 else None

        def on_body(self, body: bytes) -> None:
            if not self.direct:
                super().on_body(body)

        def on_message_complete(self) -> None:
            if not self.direct:
                super().on_message_complete()
                return
            self.direct = False
            self.in_head, self.head_bytes = True, 0

    return Direct
