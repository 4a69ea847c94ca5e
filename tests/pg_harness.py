"""PostgreSQL for the fault tests: a fresh database on the shared server, or a private cluster.

``fresh_database(url)`` creates a database with a unique name on the server that ``url`` names
(REMINDERS_TEST_POSTGRES_URL in the tests) and drops it afterwards; nothing else on that server is
touched.  ``PrivateCluster`` is a throw-away server of our own (``initdb`` + ``pg_ctl`` in a
temporary folder, on a free port of 127.0.0.1), for the tests that stop and start PostgreSQL
under running daemons: the shared server is never stopped.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from .daemon_harness import free_port

PG_ENV = "REMINDERS_TEST_POSTGRES_URL"
PG_SKIP = f"{PG_ENV} is not set; these tests need a PostgreSQL server"
SERVER_USER = "postgres"  # initdb and postgres refuse to run as root; root runs them as this user


def _psycopg_url(url: str) -> str:
    """A libpq connection string from a SQLAlchemy-style URL (``postgresql+psycopg://`` too)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def with_database(url: str, database: str) -> str:
    """``url`` naming ``database`` instead of its own."""
    return make_url(url).set(database=database).render_as_string(hide_password=False)


@contextmanager
def fresh_database(url: str, prefix: str = "reminders_fault") -> Iterator[str]:
    """A new, empty database on ``url``'s server, dropped (WITH (FORCE)) on exit; yields its URL.

    CREATE and DROP DATABASE cannot run in a transaction, hence the AUTOCOMMIT connection.  The
    drop forces out connections that a SIGKILLed daemon left for the server to notice.
    """
    import psycopg
    from psycopg import sql

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(url, name)
    finally:
        with psycopg.connect(_psycopg_url(url), autocommit=True) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def postgres_binaries() -> Path | None:
    """The folder holding both ``initdb`` and ``pg_ctl``: from PATH, else the newest
    /usr/lib/postgresql/*/bin; None when there is none."""
    found = shutil.which("initdb")
    candidates = [Path(os.path.realpath(found)).parent] if found else []
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    candidates += sorted((Path(p) for p in versions), key=_version, reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def _version(folder: Path) -> tuple[int, ...]:
    name = folder.parent.name
    return tuple(int(part) for part in name.split(".") if part.isdigit())


def _as_server_user() -> list[str]:
    """The command prefix that runs a program as SERVER_USER when we are root, else nothing.

    Calls pytest.skip (with the reason) when root cannot become that user.
    """
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        pytest.skip(f"running as root and there is no {SERVER_USER!r} user to run initdb as")
    for prefix in (
        ["runuser", "-u", SERVER_USER, "--"],
        ["setpriv", "--reuid", SERVER_USER, "--regid", SERVER_USER, "--init-groups", "--"],
    ):
        if shutil.which(prefix[0]) is None:
            continue
        probe = subprocess.run([*prefix, "true"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return prefix
    pytest.skip(f"running as root and neither runuser nor setpriv can switch to {SERVER_USER!r}")


def _clean_env() -> dict[str, str]:
    """Our environment without libpq's PG* variables, which could point pg_ctl elsewhere."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PG")}


class PrivateCluster:
    """A PostgreSQL cluster of our own: temp folder, free port on 127.0.0.1, trust auth, no fsync.

    ``start()`` and ``stop(mode)`` may be repeated (the port and data stay); ``close()`` stops it
    and removes the folder.  Construction calls pytest.skip, with the reason, when initdb or
    pg_ctl are missing or (as root) the server user cannot be switched to.
    """

    def __init__(self) -> None:
        binaries = postgres_binaries()
        if binaries is None:
            pytest.skip("initdb and pg_ctl were found neither in PATH nor /usr/lib/postgresql")
        self.bin = binaries
        self.prefix = _as_server_user()
        # Our own folder under the system temp dir (sticky, world-traversable), not pytest's
        # tmp_path, whose parents the server user cannot enter.
        self.folder = Path(tempfile.mkdtemp(prefix="reminders-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self.running = False
        if self.prefix:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.folder, account.pw_uid, account.pw_gid)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data),
                "-U",
                "postgres",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        settings = (
            f"\nport = {self.port}\n"
            "listen_addresses = '127.0.0.1'\n"
            f"unix_socket_directories = '{self.folder}'\n"
            # No fsync: speed, and only an OS crash could lose data.  Commits stay synchronous:
            # with synchronous_commit off, `stop("immediate")` (a crash) would lose commits
            # that clients were told had succeeded, such as a claim, and so invent duplicates.
            "fsync = off\n"
            "max_connections = 100\n"
        )
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write(settings)
        atexit.register(self.close)  # a server must not outlive an interrupted test run

    def _run(self, program: str, *args: str, timeout: float = 60) -> str:
        done = subprocess.run(
            [*self.prefix, str(self.bin / program), *args],
            capture_output=True,
            text=True,
            cwd=self.folder,
            env=_clean_env(),
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{program} {' '.join(args)} failed ({done.returncode}):\n"
                f"{done.stdout}{done.stderr}{self.server_log()}"
            )
        return done.stdout

    def server_log(self) -> str:
        try:
            return self.log.read_text("utf-8", "replace")[-4000:]
        except OSError:
            return ""

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        self.running = True

    def stop(self, mode: str = "fast") -> None:
        """``fast``: disconnect clients, shut down cleanly; ``immediate``: like a crash."""
        if mode not in ("fast", "immediate"):
            raise ValueError(f"stop mode is 'fast' or 'immediate', got {mode!r}")
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop")
        self.running = False

    def close(self) -> None:
        atexit.unregister(self.close)
        try:
            if self.running:
                self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> PrivateCluster:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
