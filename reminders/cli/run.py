"""``reminders run``: the daemon and its feed server, started here, in one event loop.

The daemon (notify/) and the feed server (web/) do not import each other: the daemon is handed a
factory that makes the feed server, and the feed server is handed the daemon's ``health`` (what
``/healthz`` adds about the scheduler, the next notice and the ledger) as a callable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..notify.daemon import Daemon
from ..web.server import WebService, run_loop


def make_daemon(
    config_path: str,
    environ: Mapping[str, str] | None = None,
    clock: Callable[[], datetime] | None = None,
    listen: str | None = None,
    sleep: Callable[[float], None] | None = None,
) -> Daemon:
    """A daemon that serves the feed beside its notices when ``[daemon] serve_feed`` says so
    (``clock`` and ``sleep``: see :class:`Daemon`)."""

    def feed(health: Callable[[], dict[str, Any]]) -> WebService:
        return WebService(config_path, found.environ, found.clock, health, watch_files=False)

    found = Daemon(config_path, environ, clock, listen=listen, sleep=sleep, feed=feed)
    return found


def run(
    config_path: str, environ: Mapping[str, str] | None = None, listen: str | None = None
) -> int:
    """Run the daemon until it is stopped; the CLI's ``reminders run``."""
    return run_loop(make_daemon(config_path, environ, listen=listen).run())
