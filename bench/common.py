"""What every benchmark prints first: the machine, the interpreter and the code that was measured.

Figures only mean something next to the tree they were measured on, so the header names the
commit, the files of ``reminders/`` that differ from it, and a short hash of ``reminders/**/*.py``.
"""

from __future__ import annotations

import hashlib
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def default_python() -> str:
    """The project's venv interpreter, else the one running this script."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def invocation() -> str:
    """The command line that is running, with paths inside the project made relative."""
    exe = Path(sys.executable)
    shown = str(exe.relative_to(ROOT)) if exe.is_relative_to(ROOT) else str(exe)
    return shlex.join([shown, *sys.argv])


def python_version(python: str) -> str:
    done = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def code_state() -> str:
    """``commit abc1234 + uncommitted: a.py, b.py; reminders/**/*.py sha256 0123abcd``."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "reminders").rglob("*.py")):
        name = path.relative_to(ROOT / "reminders").as_posix()
        digest.update(name.encode() + b"\0" + path.read_bytes())
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        status = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--", "reminders"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
    except (OSError, subprocess.CalledProcessError):
        head, status = "unknown (no git)", []
    dirty = ", ".join(line[3:].removeprefix("reminders/") for line in status)
    return (
        f"commit {head}{' + uncommitted: ' + dirty if dirty else ' (clean)'}; "
        f"reminders/**/*.py sha256 {digest.hexdigest()[:12]}"
    )


def header(title: str, python: str, extra: str = "") -> None:
    print(f"# {title}")
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; host {platform.node()}; "
        f"nproc {os.cpu_count()}; load average {os.getloadavg()[0]:.2f}; "
        f"python {python_version(python)} ({python}){extra}"
    )
    print(f"command: {invocation()}   (run from {ROOT})")
    print(f"code: {code_state()}")
