"""``reminders serve --workers N``: one listening socket, N worker processes, one supervisor.

The supervisor (this process) checks the config, the calendars and the tokens, binds the socket
(so a taken port is the same one-line error as with one process), and forks N workers that all
accept on that socket; the kernel hands each new connection to one of them.  Each worker is a
whole ``reminders serve`` (server.py): it builds its own feeds from the files, watches them and
rebuilds on its own.  Builds are deterministic, so every worker sends the same bytes, ETag and
Last-Modified for the same files, and after an edit they agree again within one watch interval
and one build.

Why fork, and not multiprocessing: a forked child inherits the listening socket as it is, with
nothing to pass or re-open, and starts from the modules the supervisor already imported, so a
worker (or its replacement) is up in about the time of one feed build.  multiprocessing's
"spawn" imports everything again and needs the descriptor handed over by hand; its "fork" is
os.fork with more machinery around it.  Forking is only safe before any thread or event loop
exists, so the supervisor never starts either: it waits on a self-pipe with select(), woken by
signals (SIGCHLD, SIGHUP, SIGTERM, SIGINT) and by the workers' "ready" messages.

The supervisor restarts a worker that dies (with a back-off: a worker that keeps dying soon after
it started waits longer each time, up to RESTART_MAX), forwards SIGHUP to every worker, and on
SIGTERM or SIGINT stops them all (SIGTERM, then SIGKILL after STOP_GRACE) and exits 0.  A worker
whose supervisor disappears stops by itself (server.serve_forever).

Why not uvicorn's or gunicorn's supervisor (bench/workers.py, 2 workers, same worker body; the
figures in docs/design-notes.md): both replace every worker process on SIGHUP instead of a rebuild
in place.  uvicorn 0.55's Multiprocess closed kept-alive connections and, with a 30 s
timeout_worker_healthcheck, took 23-34 s to put both workers on an edit under load (with its
default 5 s the new worker was not ready in time and the reload was dropped; here 1.0-2.0 s),
spawns (0.7-0.9 CPU s per worker start against
0.45-0.51 forked) and restarts a failing worker with no back-off (10 starts, 8.5 CPU s in 20 s;
here 4-6 and 0.06).  gunicorn 27 stops the old workers before the new ones serve (9-10 failed
requests per reload under load) and, with a broken calendar at SIGHUP, leaves no worker serving.
"""

from __future__ import annotations

import contextlib
import logging
import os
import select
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..core.errors import EXIT_INVALID, EXIT_OK, ReminderError, UsageError
from .server import Role, bind, run_loop, serve_forever, shown_address

log = logging.getLogger("reminders")

MAX_WORKERS = 64
RESTART_FIRST = 0.25  # seconds before a worker that died is started again
RESTART_MAX = 30.0  # the longest wait, for a worker that keeps dying soon after it started
STABLE = 10.0  # a worker that served this long before dying counts as a first death again
STOP_GRACE = 10.0  # seconds the workers get to finish on SIGTERM before SIGKILL
SIGNALS = ("SIGCHLD", "SIGHUP", "SIGTERM", "SIGINT")  # by name: some exist only on POSIX


@dataclass
class Slot:
    """One worker position: its process now, and how soon to replace it."""

    index: int  # 1..N, kept across restarts
    pid: int = 0  # 0: no process (waiting for its restart)
    started: float = 0.0  # time.monotonic() of the fork
    ready: float = 0.0  # time.monotonic() when it said it serves; 0 until then
    delay: float = 0.0  # the last restart delay (the back-off)
    restart_at: float = 0.0  # when to fork again, while pid == 0
    reload: bool = False  # a SIGHUP came while it was starting: forward it once ready

    def label(self, pid: int | None = None) -> str:
        return f"worker {self.index} (pid {self.pid if pid is None else pid})"


def check_platform() -> None:
    if not hasattr(os, "fork"):
        raise UsageError(
            "--workers needs a POSIX system (Linux, macOS, BSD), where the workers are forked "
            "processes sharing one socket; here, leave out --workers (one process)"
        )


def serve_workers(config_path: str, listen: str | None, count: int) -> int:
    """``reminders serve --workers COUNT``: check, bind, fork, supervise; 0 after SIGTERM."""
    check_platform()
    sock = checked_socket(config_path, listen)
    _preload()
    try:
        return Supervisor(config_path, sock, count).run()
    finally:
        sock.close()


def checked_socket(config_path: str, listen: str | None) -> socket.socket:
    """The files checked and the socket bound, before any worker starts: every problem a
    worker would meet at its start is one message here, before any fork."""
    from ..config.load import load
    from .tokens import load_tokens

    loaded = load(config_path, datetime.now(UTC).date())
    load_tokens(loaded.settings.feed, loaded.calendars, os.environ)
    return bind(listen or loaded.settings.feed.listen)


def serve_as_worker(
    config_path: str, sock: socket.socket, index: int, ready: Callable[[], None]
) -> int:
    """One worker's body: the feed server on the shared socket until it stops; its exit status.
    ``ready`` is called once it serves; it stops by itself when its parent is gone."""
    pid, parent = os.getpid(), os.getppid()
    label = f"worker {index} (pid {pid})"
    role = Role(
        label=label,
        sock=sock,
        health=lambda: {"worker": index, "pid": pid},
        ready=ready,
        orphaned=lambda: os.getppid() != parent,
    )
    try:
        return run_loop(serve_forever(config_path, None, role))
    except ReminderError as exc:
        print(f"reminders: {label}: {exc.message()}", file=sys.stderr)
        return exc.exit_code


def _preload() -> None:
    """Import once here what every worker imports, so that forked workers (and their
    replacements) share it and start sooner.  None of these imports starts a thread."""
    import uvicorn  # noqa: F401
    from starlette import applications, requests, responses, routing  # noqa: F401
    from uvicorn.protocols.http import httptools_impl  # noqa: F401

    from ..core import ics  # noqa: F401  (icalendar)
    from . import app  # noqa: F401


class Supervisor:
    def __init__(self, config_path: str, sock: socket.socket, count: int) -> None:
        self.config_path = config_path
        self.sock = sock
        self.address = shown_address(sock)
        self.slots = [Slot(index) for index in range(1, count + 1)]
        self.signals: list[int] = []
        self.serving = False  # every worker was ready once: from then on deaths are restarted
        self.wake_r, self.wake_w = os.pipe()
        self.ready_r, self.ready_w = os.pipe()
        self.pending = b""  # an unfinished line read from ready_r

    # --- The supervisor's loop ----------------------------------------------------------------

    def run(self) -> int:
        for fd in (self.wake_r, self.wake_w, self.ready_r):
            os.set_blocking(fd, False)
        previous = {sig: signal.signal(sig, self._signalled) for sig in _signals()}
        old_wakeup = signal.set_wakeup_fd(self.wake_w, warn_on_full_buffer=False)
        try:
            for slot in self.slots:
                self._fork(slot)
            return self._supervise()
        finally:
            signal.set_wakeup_fd(old_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            for fd in (self.wake_r, self.wake_w, self.ready_r, self.ready_w):
                os.close(fd)

    def _signalled(self, signum: int, frame: Any) -> None:
        self.signals.append(signum)

    def _supervise(self) -> int:
        while True:
            now = time.monotonic()
            waits = [s.restart_at - now for s in self.slots if not s.pid]
            timeout = max(0.0, min(waits)) if waits else None
            select.select([self.wake_r, self.ready_r], [], [], timeout)
            self._drain(self.wake_r)
            self._read_ready()
            signals, self.signals = self.signals, []
            if signal.SIGTERM in signals or signal.SIGINT in signals:
                name = "SIGTERM" if signal.SIGTERM in signals else "SIGINT"
                log.info("%s: stopping %d workers", name, len(self.slots))
                self._stop_all()
                log.info("stopped")
                return EXIT_OK
            if signal.SIGHUP in signals:
                self._reload_all()
            failed = self._reap()
            if failed is not None:
                return failed
            now = time.monotonic()
            for slot in self.slots:
                if not slot.pid and slot.restart_at <= now:
                    self._fork(slot)

    def _read_ready(self) -> None:
        """Mark the workers that said they serve; the first time all have, say where."""
        data = self._drain(self.ready_r)
        if not data:
            return
        *lines, self.pending = (self.pending + data).split(b"\n")
        for line in lines:
            for slot in self.slots:
                if slot.pid == int(line):
                    slot.ready = time.monotonic()
                    if slot.reload:
                        slot.reload = False
                        self._kill(slot, signal.SIGHUP)
        if not self.serving and all(s.ready for s in self.slots):
            self.serving = True
            log.info(
                "serving the feed on http://%s with %d workers (pids %s)",
                self.address,
                len(self.slots),
                ", ".join(str(s.pid) for s in self.slots),
            )

    def _reload_all(self) -> None:
        log.info("SIGHUP: every worker rebuilds its feeds")
        for slot in self.slots:
            if slot.pid and slot.ready:
                self._kill(slot, signal.SIGHUP)
            else:
                # Not serving yet (it may have read the files already, and its SIGHUP handler
                # may not be set), or waiting for a restart (which reads the files anyway).
                slot.reload = bool(slot.pid)

    def _reap(self) -> int | None:
        """Note workers that ended; schedule their restart.  An exit code if one failed while
        the workers were first starting (its own message says why): then nothing serves."""
        for slot in self.slots:
            if not slot.pid:
                continue
            try:
                pid, status = os.waitpid(slot.pid, os.WNOHANG)
            except ChildProcessError:
                pid, status = slot.pid, 0
            if pid == 0:
                continue
            now = time.monotonic()
            how = describe(status)
            if not self.serving:
                log.error("%s %s while starting; stopping the other workers", slot.label(pid), how)
                slot.pid = 0
                self._stop_all()
                code = os.waitstatus_to_exitcode(status)
                return code if code > 0 else EXIT_INVALID
            served = now - slot.ready if slot.ready else 0.0
            if served >= STABLE or not slot.delay:
                slot.delay = RESTART_FIRST
            else:
                slot.delay = min(slot.delay * 2, RESTART_MAX)
            log.error(
                "%s %s after %.1f s; starting it again in %.2f s",
                slot.label(pid),
                how,
                now - slot.started,
                slot.delay,
            )
            slot.pid, slot.ready, slot.restart_at = 0, 0.0, now + slot.delay
        return None

    def _stop_all(self) -> None:
        """SIGTERM to every worker, SIGKILL to those still there after STOP_GRACE; reap all."""
        for slot in self.slots:
            self._kill(slot, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        while True:
            for slot in self.slots:
                if slot.pid and _ended(slot.pid):
                    slot.pid = 0
            left = [s for s in self.slots if s.pid]
            if not left:
                return
            if time.monotonic() > deadline:
                for slot in left:
                    log.error("%s did not stop within %.0f s: killed", slot.label(), STOP_GRACE)
                    self._kill(slot, signal.SIGKILL)
                    while not _ended(slot.pid):
                        time.sleep(0.01)
                    slot.pid = 0
                return
            select.select([self.wake_r], [], [], 0.05)  # woken by SIGCHLD
            self._drain(self.wake_r)

    @staticmethod
    def _kill(slot: Slot, sig: int) -> None:
        if slot.pid:
            with contextlib.suppress(ProcessLookupError):  # gone already: the loop reaps it
                os.kill(slot.pid, sig)

    @staticmethod
    def _drain(fd: int) -> bytes:
        data = b""
        while True:
            try:
                chunk = os.read(fd, 4096)
            except BlockingIOError:
                return data
            if not chunk:
                return data
            data += chunk

    # --- A worker ------------------------------------------------------------------------------

    def _fork(self, slot: Slot) -> None:
        sys.stdout.flush()  # what is buffered now must not be written twice
        sys.stderr.flush()
        try:
            pid = os.fork()
        except OSError as exc:  # out of processes or memory, for now: try again later
            slot.delay = min(max(slot.delay * 2, RESTART_FIRST), RESTART_MAX)
            slot.restart_at = time.monotonic() + slot.delay
            log.error(
                "cannot start worker %d: %s; trying again in %.2f s",
                slot.index,
                exc.strerror or exc,
                slot.delay,
            )
            return
        if pid:
            slot.pid, slot.started, slot.ready = pid, time.monotonic(), 0.0
            return
        code = EXIT_INVALID
        try:
            code = self._work(slot)
        except BaseException:  # nothing may unwind into the supervisor's code in this process
            log.exception("%s failed", slot.label(os.getpid()))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)

    def _work(self, slot: Slot) -> int:
        """The body of a worker process: the supervisor's signal set-up undone, then serve."""
        signal.set_wakeup_fd(-1)
        # Its own process group: Ctrl-C in a terminal reaches the supervisor alone, which then
        # stops the workers, rather than racing them (it would restart those that stop first).
        os.setpgid(0, 0)
        for sig in _signals():
            signal.signal(sig, signal.SIG_DFL)
        # A hang-up before its handler is set must not kill it (the supervisor forwards SIGHUP
        # only to workers that said they are ready).
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
        for fd in (self.wake_r, self.wake_w, self.ready_r):
            os.close(fd)
        pid = os.getpid()

        def ready() -> None:
            os.write(self.ready_w, b"%d\n" % pid)

        return serve_as_worker(self.config_path, self.sock, slot.index, ready)


def _signals() -> list[signal.Signals]:
    return [getattr(signal, name) for name in SIGNALS]


def _ended(pid: int) -> bool:
    """True once the child ``pid`` has ended (and is reaped now if it was not yet)."""
    try:
        return os.waitpid(pid, os.WNOHANG)[0] != 0
    except ChildProcessError:
        return True


def describe(status: int) -> str:
    """'exited with status 1' or 'was killed by signal 9 (SIGKILL)', from a wait status."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = "unknown"
        return f"was killed by signal {number} ({name})"
    return f"exited with status {os.waitstatus_to_exitcode(status)}"
