"""Where the bundled calendars, templates and default config live.

In a wheel they are packaged under ``reminders/_data/`` (see pyproject.toml); in a source checkout
or an editable install they are the top-level folders next to the package.  A config's own
``[paths]`` override both.  (Plain ``os.path``: importing pathlib would cost start-up time.)
Also how paths are shown in messages.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

# The package's folder, reminders/ (this file is reminders/config/resources.py).
PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def bundled(name: str) -> str:
    """The packaged ``calendars``, ``templates`` or ``config.toml``."""
    packaged = os.path.join(PACKAGE, "_data", name)
    if os.path.exists(packaged):
        return packaged
    return os.path.join(os.path.dirname(PACKAGE), name)


def shown_path(path: str | os.PathLike[str]) -> str:
    """A path as messages show it: relative to the working folder when it is inside it."""
    text = os.fspath(path)
    try:
        relative = os.path.relpath(text)
    except ValueError:  # another drive on Windows
        return text
    return text if relative.startswith("..") else relative


ENV_CONFIG = "REMINDERS_CONFIG"


def state_folder(environ: Mapping[str, str] | None = None) -> str:
    """Where the bundled config of an installed package keeps its ledger and outbox:
    ``$XDG_STATE_HOME/reminders``, else ``~/.local/state/reminders`` (the XDG Base Directory
    rules: a relative ``XDG_STATE_HOME`` is ignored)."""
    env = os.environ if environ is None else environ
    base = env.get("XDG_STATE_HOME", "")
    if not os.path.isabs(base):
        base = os.path.join(os.path.expanduser("~"), ".local", "state")
    return os.path.join(base, "reminders")


def find_config(cli_value: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``--config``, then ``$REMINDERS_CONFIG``, then ``./config.toml``, then the bundled one."""
    env = os.environ if environ is None else environ
    if cli_value:
        return cli_value
    if env.get(ENV_CONFIG):
        return env[ENV_CONFIG]
    return "config.toml" if os.path.isfile("config.toml") else bundled("config.toml")


def may_name_organisations(config_path: str) -> bool:
    """Whether a config may name an organisations folder (the word is in its text): the common
    one-organisation config is told apart without the TOML parser (config/organisations.py reads
    it as TOML to decide)."""
    try:
        with open(config_path, "rb") as handle:
            return b"organisations" in handle.read()
    except OSError:
        return False
