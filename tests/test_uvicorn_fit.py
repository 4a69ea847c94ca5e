"""The installed uvicorn has every internal the feeds' direct path reads (reminders/web/
protocol.py), each of the kind it uses, and is in the range pyproject.toml pins.

An upgrade of uvicorn that renames or retypes one of them fails here, loudly, instead of the
server quietly falling back to the slower ASGI path.
"""

from __future__ import annotations

import asyncio
import logging
import tomllib
from collections import deque
from typing import Any

import httptools
import pytest
import uvicorn
from packaging.requirements import Requirement
from uvicorn.protocols.http import flow_control, httptools_impl
from uvicorn.server import ServerState

from reminders.web import protocol

from .conftest import ROOT


def test_the_installed_uvicorn_is_in_the_pinned_range() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    (pin,) = [Requirement(line) for line in project["dependencies"] if line.startswith("uvicorn")]
    assert pin.specifier.contains(uvicorn.__version__), (
        f"uvicorn {uvicorn.__version__} is installed, pyproject.toml pins {pin.specifier}: "
        "run tests/test_uvicorn_fit.py and tests/test_fastpath.py on it, then move the pin"
    )


def test_nothing_the_direct_path_reads_is_missing() -> None:
    assert protocol.misfits() == []


class Transport(asyncio.Transport):
    """What a connection gives the protocol, without a socket: the writes kept."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.closing = False

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return default

    def is_closing(self) -> bool:
        return self.closing

    def write(self, data: Any) -> None:
        self.written.append(bytes(data))

    def close(self) -> None:
        self.closing = True

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


async def app(scope: Any, receive: Any, send: Any) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


# What the direct path does with each internal, as the kind it must be.  Every name that
# protocol.py lists (METHODS, ASSIGNED, PARSER) has an entry, so a new one needs one here.
def kinds() -> dict[str, Any]:
    return {
        "parser": httptools.HttpRequestParser,
        "server_state": ServerState,
        "transport": Transport,
        "flow": flow_control.FlowControl,
        "pipeline": deque,
        "cycle": httptools_impl.RequestResponseCycle,
        "access_log": bool,
        "access_logger": logging.Logger,
        "limit_concurrency": type(None),  # WebService sets none (None keeps the direct path)
        "root_path": str,
        "timeout_keep_alive_task": type(None),  # stopped while a request is handled
        "expect_100_continue": bool,
        "url": bytes,
        "headers": list,
        "response_complete": bool,  # the cycle's
        "write_paused": bool,  # the flow's
        "default_headers": list,  # the server state's
        "total_requests": int,  # the server state's
    }


def test_a_connected_protocol_has_each_internal_of_the_kind_the_direct_path_uses() -> None:
    assigned = {name for names in protocol.ASSIGNED.values() for name in names}
    assert assigned == set(kinds())
    loop = asyncio.new_event_loop()
    try:
        config = uvicorn.Config(app, http="httptools", log_config=None)
        config.load()
        state = ServerState()
        connection = httptools_impl.HttpToolsProtocol(config, state, {}, _loop=loop)
        transport = Transport()
        connection.connection_made(transport)
        connection.data_received(b"GET /all.ics HTTP/1.1\r\nHost: x\r\n\r\n")
        owners = {
            "response_complete": connection.cycle,
            "write_paused": connection.flow,
            "default_headers": state,
            "total_requests": state,
        }
        for name, kind in kinds().items():
            owner = owners.get(name, connection)
            assert hasattr(owner, name), f"{type(owner).__name__} has no {name}"
            value = getattr(owner, name)
            assert isinstance(value, kind), f"{name} is a {type(value).__name__}, not {kind}"
        assert all(
            isinstance(pair, tuple) and all(isinstance(p, bytes) for p in pair)
            for pair in connection.headers
        )
        assert all(isinstance(p, bytes) for pair in state.default_headers for p in pair)
        for name in protocol.METHODS:
            assert callable(getattr(connection, name)), name
        parser = connection.parser
        for name in protocol.PARSER:
            assert callable(getattr(parser, name)), name
        assert parser.get_method() == b"GET"
        assert parser.get_http_version() == "1.1"
        assert parser.should_keep_alive() is True
        assert parser.should_upgrade() is False
        assert isinstance(httptools_impl.STATUS_LINE[200], bytes)
        assert isinstance(httptools_impl.STATUS_LINE[304], bytes)
        # The answer uvicorn writes, as the direct path expects it: once the app has run, the
        # cycle is complete and the response counted.
        loop.run_until_complete(asyncio.sleep(0.01))
        assert connection.cycle.response_complete is True
        assert state.total_requests == 1
        assert b"".join(transport.written).startswith(httptools_impl.STATUS_LINE[200])
    finally:
        loop.close()


@pytest.mark.parametrize("name", protocol.METHODS)
def test_each_method_the_direct_path_calls_or_overrides_is_uvicorns(name: str) -> None:
    assert callable(getattr(httptools_impl.HttpToolsProtocol, name, None)), name
