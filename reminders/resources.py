"""Where the bundled calendars, templates and default config live.

In a wheel they are packaged under ``reminders/_data/`` (see pyproject.toml); in a source checkout
or an editable install they are the top-level folders next to the package.  A config's own
``[paths]`` override both.  (Plain ``os.path``: importing pathlib would cost start-up time.)
Also how paths are shown in messages.
"""

from __future__ import annotations

import os

_PACKAGE = os.path.dirname(os.path.realpath(__file__))


def bundled(name: str) -> str:
    """The packaged ``calendars``, ``templates`` or ``config.toml``."""
    packaged = os.path.join(_PACKAGE, "_data", name)
    if os.path.exists(packaged):
        return packaged
    return os.path.join(os.path.dirname(_PACKAGE), name)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as messages show it: relative to the working folder when it is inside it."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        return text
    return text if relative.startswith("..") else relative
