"""Rewrite the golden files in tests/golden/ from the current code.

Run it after a deliberate change to generated output, then review the diff (``git diff
tests/golden``) as you would review code: every changed byte should be one you meant.

    python tests/regenerate_golden.py
"""

from __future__ import annotations

import contextlib
import io
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
GOLDEN = HERE / "golden"

# (golden file name, arguments to `reminders`)
CASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "remembrance-2025-2031.ics",
        ("--config", str(ROOT / "config.toml"), "export", "--from", "2025", "--to", "2031"),
    ),
    (
        "remembrance-only-2027.ics",
        (
            "--config", str(ROOT / "config.toml"), "export", "--from", "2027", "--to", "2027",
            "--calendar", "remembrance", "--no-examples",
        ),
    ),
    (
        "multilingual-2027.ics",
        (
            "--config", str(HERE / "fixtures" / "config-cases.toml"), "export",
            "--from", "2027", "--to", "2027", "--calendar", "multilingual",
        ),
    ),
    (
        "upcoming-2026-11-23.txt",
        ("--config", str(ROOT / "config.toml"), "upcoming", "--from", "2026-11-23"),
    ),
)  # fmt: skip


def render(args: tuple[str, ...]) -> bytes:
    """Run ``reminders ARGS`` in-process and return what it wrote to standard output."""
    from reminders.cli import main

    buffer = io.BytesIO()
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    with contextlib.redirect_stdout(text):
        code = main(list(args))
    text.flush()
    if code != 0:
        raise SystemExit(f"reminders {' '.join(args)} exited {code}")
    return buffer.getvalue()


def main() -> int:
    sys.path.insert(0, str(ROOT))
    GOLDEN.mkdir(exist_ok=True)
    for name, args in CASES:
        (GOLDEN / name).write_bytes(render(args))
        print(f"wrote tests/golden/{name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
