"""Where the bundled calendars, templates and default config live.

In a wheel they are packaged under ``reminders/_data/`` (see pyproject.toml); in a source checkout
or an editable install they are the top-level folders next to the package.  A config's own
``[paths]`` override both.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """The packaged ``calendars``, ``templates`` or ``config.toml``."""
    packaged = _PACKAGE / "_data" / name
    if packaged.exists():
        return packaged
    return _PACKAGE.parent / name
