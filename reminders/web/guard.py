"""Connections that keep the feed server waiting: a deadline for request heads, and room under
the limit of open files.

uvicorn closes a kept-alive connection that stays idle after a response (``timeout_keep_alive``)
and nothing else: a connection that sends nothing, half a request head, or a body after its
answer stays open for as long as its client likes, each holding a file descriptor.  A few hundred
such connections used to exhaust the open-file limit, and then every other client failed.

* **The head deadline.**  A connection on which the server waits for its client (no answer being
  written, no keep-alive timer running: nothing sent yet, or an unfinished request head, or an
  unread body after the answer) is closed once it has waited ``[feed] head_timeout``.  A sweep
  does this four times per timeout (at most once a second) by reading the state uvicorn keeps
  anyway, so a request costs nothing more: no timer per request, no clock read per request.
* **Room under the open-file limit.**  When the connections come within RESERVE of the
  process's limit of open files, a new connection makes room: the connection that has waited
  longest on its client is closed (else the new one, when every other one is being answered).
  The server so keeps accepting, and answering, while idle connections pile up, and says so in
  one warning per episode (not one line per connection).  The reserve is left for what the
  process itself opens: calendar files, the ledger, outgoing mail.  Should accepting fail all
  the same (asyncio's own event loop accepts many connections at once, before any is noted),
  asyncio retries each second; that too is one warning per episode, not one traceback a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from typing import Any

log = logging.getLogger("reminders")

ACCEPT_FAILED = "socket.accept() out of system resource"  # asyncio's message (selector_events)
SWEEPS_PER_TIMEOUT = 4
LONGEST_SWEEP_STEP = 1.0  # seconds


def reserve(limit: int) -> int:
    """File descriptors kept for the process's own files: an eighth of the limit, at least 32."""
    return max(32, limit // 8)


def open_file_limit() -> int | None:
    """The process's soft limit of open files, or None where it cannot be read (or is unlimited)."""
    try:
        import resource
    except ImportError:  # not POSIX
        return None
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return None if soft == resource.RLIM_INFINITY else soft


def waits_on_client(connection: Any) -> bool:
    """Whether the server waits on this connection's client: open, no keep-alive timer running
    (uvicorn's own idle timeout), no answer being written.  Works on uvicorn's httptools and h11
    protocols alike; a connection without those attributes is never taken for waiting."""
    transport = getattr(connection, "transport", None)
    if transport is None or transport.is_closing():
        return False
    if getattr(connection, "timeout_keep_alive_task", True) is not None:
        return False
    cycle = getattr(connection, "cycle", None)
    return cycle is None or bool(getattr(cycle, "response_complete", False))


class Guard:
    """The head deadline and the room under the open-file limit, for one server's connections.

    ``capacity``: connections allowed before a new one makes room (None: no limit).  ``label``
    heads the log lines (``serve --workers``).  :meth:`sweep` runs from a task of the server;
    :meth:`admit` from each new connection's ``connection_made``.
    """

    head_timeout: float
    step: float  # seconds between sweeps

    def __init__(self, head_timeout: float, capacity: int | None, label: str = "") -> None:
        self.set_timeout(head_timeout)
        self.capacity = capacity
        self.prefix = f"{label}: " if label else ""
        self.waiting: dict[Any, float] = {}  # connection -> since when it waits (loop time)
        self.last_sweep = float("-inf")
        self.crowded = False  # warned; until the connections are well below the capacity again
        self.closed = 0  # connections closed for either reason (for tests and the log)

    def set_timeout(self, head_timeout: float) -> None:
        """A new ``head_timeout`` (after a reload of the config)."""
        self.head_timeout = head_timeout
        self.step = min(head_timeout / SWEEPS_PER_TIMEOUT, LONGEST_SWEEP_STEP)

    @classmethod
    def for_limit(cls, head_timeout: float, limit: int | None, label: str = "") -> Guard:
        capacity = None if limit is None else max(1, limit - reserve(limit))
        return cls(head_timeout, capacity, label)

    def since(self, connection: Any, now: float) -> float:
        """Since when ``connection`` has waited on its client, as far as the sweeps have seen."""
        known = self.waiting.get(connection)
        if known is not None:
            return known
        opened = getattr(connection, "opened", None)
        # Opened since the last sweep and waiting now: most likely waiting since it opened.
        return opened if opened is not None and opened > self.last_sweep else now

    def sweep(self, connections: Collection[Any], now: float) -> None:
        """Close each connection that has waited ``head_timeout`` on its client."""
        waiting: dict[Any, float] = {}
        for connection in list(connections):
            if not waits_on_client(connection):
                continue
            since = self.since(connection, now)
            if now - since >= self.head_timeout:
                connection.transport.close()
                self.closed += 1
            else:
                waiting[connection] = since
        self.waiting, self.last_sweep = waiting, now
        if self.crowded and self.capacity is not None and len(connections) < self.capacity * 0.9:
            self.crowded = False

    def admit(self, new: Any, connections: Collection[Any], now: float) -> None:
        """Make room for ``new`` when the connections pass the capacity (see the module)."""
        if self.capacity is None or len(connections) <= self.capacity:
            return
        self.warn(f"{len(connections)} connections, near this process's limit of open files")
        idle = [c for c in connections if c is not new and waits_on_client(c)]
        victim = min(idle, key=lambda c: self.since(c, now)) if idle else new
        victim.transport.close()
        self.waiting.pop(victim, None)
        self.closed += 1

    def warn(self, what: str) -> None:
        """Say once per episode that the connections crowd the limit of open files."""
        if not self.crowded:
            self.crowded = True
            log.warning(
                "%s%s: closing the connections that wait longest on their clients, to serve "
                "new ones (the limit is 'ulimit -n'; idle connections are closed after "
                "[feed] head_timeout)",
                self.prefix,
                what,
            )

    def watch_accept(self, loop: asyncio.AbstractEventLoop) -> None:
        """Turn asyncio's error for a failed accept (logged each time it retries, with a
        traceback) into :meth:`warn`; every other error goes where it went."""
        previous = loop.get_exception_handler()

        def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
            if context.get("message") == ACCEPT_FAILED:
                error = context.get("exception")
                reason = getattr(error, "strerror", None) or str(error)
                self.warn(f"cannot accept connections ({reason})")
            elif previous is not None:
                previous(loop, context)
            else:
                loop.default_exception_handler(context)

        loop.set_exception_handler(handler)
