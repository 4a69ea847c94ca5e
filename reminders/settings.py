"""The settings as loaded values (records only; the schema and loader are in config.py).

Kept apart from config.py so that code which only uses settings (and the start-up cache) does not
import the TOML parser and the validation schema.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import timedelta

from .model import Calendar
from .resources import bundled

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import NamedTuple
else:
    from .records import NamedTuple  # typing.NamedTuple without importing typing (start-up)

ENV_CONFIG = "REMINDERS_CONFIG"


class Organisation(NamedTuple):
    name: str
    timezone: str
    country: str
    weekend: tuple[str, ...]
    language: str
    uid_domain: str


class Feed(NamedTuple):
    name: str
    description: str
    listen: str
    base_url: str
    past_years: int
    future_years: int
    refresh_interval: timedelta
    include_examples: bool


class Settings(NamedTuple):
    source: str  # the config file as shown in messages
    organisation: Organisation
    feed: Feed
    calendars_dir: str
    templates_dir: str


class Loaded(NamedTuple):
    """A valid configuration and its calendars, as the commands use them."""

    settings: Settings
    calendars: tuple[Calendar, ...]


def find_config(cli_value: str | None, environ: Mapping[str, str] | None = None) -> str:
    """``--config``, then ``$REMINDERS_CONFIG``, then ``./config.toml``, then the bundled one."""
    env = os.environ if environ is None else environ
    if cli_value:
        return cli_value
    if env.get(ENV_CONFIG):
        return env[ENV_CONFIG]
    return "config.toml" if os.path.isfile("config.toml") else bundled("config.toml")
