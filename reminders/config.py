"""The settings schema and loader (``config.toml``).

Every setting has its default, its parser and its help text in one place: the ``Field`` tuples
below.  ``load_config`` reports every problem with its key path, for example
``config.toml:12: feed.future_years: got 500; expected a whole number from 0 to 100``.
Secrets never live here: later sections name environment variables instead.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

from .errors import ConfigError, Problem
from .model import WEEKDAYS
from .resources import bundled
from .schema import (
    Checker,
    Field,
    Invalid,
    boolean,
    integer,
    list_of,
    optional_text,
    positive_duration,
    read_toml,
    shown_path,
    text,
    timezone_name,
)
from .settings import ENV_CONFIG, Feed, Organisation, Settings


def country_code(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{2}", value):
        raise Invalid("an ISO 3166-1 alpha-2 country code in capitals, such as 'PK'")
    return value


def weekday(value: Any) -> str:
    if value not in WEEKDAYS:
        raise Invalid("a weekday name: " + ", ".join(WEEKDAYS))
    return str(value)


def domain(value: Any) -> str:
    pattern = r"(?=.{1,253}\Z)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}"
    if not isinstance(value, str) or not re.fullmatch(pattern, value):
        raise Invalid("a lower-case domain name you control, such as 'embassy.example.org'")
    return value


def listen_address(value: Any) -> str:
    match = (
        re.fullmatch(r"(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.\-]+):([0-9]{1,5})", value)
        if isinstance(value, str)
        else None
    )
    if not match or not 0 < int(match.group(2)) < 65536:
        raise Invalid("HOST:PORT, such as '127.0.0.1:8080'")
    return str(value)


def base_url(value: Any) -> str:
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/?#]+(/[^\s?#]*)?", value):
        raise Invalid("an http:// or https:// URL without query, such as 'https://example.org'")
    return value.rstrip("/")


def folder(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid("a folder path (relative paths are relative to the config file)")
    return value


ORGANISATION_FIELDS = (
    Field("name", text, help="your organisation's name"),
    Field("timezone", timezone_name, help="your organisation's IANA time zone"),
    Field("country", country_code, "PK", "host country for public holidays"),
    Field("weekend", list_of(weekday, "weekday names"), ("Saturday", "Sunday"), "weekend days"),
    Field("language", optional_text, "en"),
    Field("uid_domain", domain, help="a domain you control; it makes event UIDs unique"),
)
PATHS_FIELDS = (
    Field("calendars", folder, None, "calendar folder; default: the bundled calendars"),
    Field("templates", folder, None, "template folder; default: the bundled templates"),
)
FEED_FIELDS = (
    Field("name", text, "Remembrance days", "name of the combined calendar"),
    Field("description", optional_text, "Remembrance days and the events planned around them"),
    Field("listen", listen_address, "127.0.0.1:8080", "where the feed listens"),
    Field("base_url", base_url, "http://127.0.0.1:8080", "the public URL of the feed"),
    Field("past_years", integer(0, 100), 1, "years before this one in the feed"),
    Field("future_years", integer(0, 100), 5, "years after this one in the feed"),
    Field("refresh_interval", positive_duration, timedelta(days=1), "how often clients refresh"),
    Field("include_examples", boolean, False, "include events marked example = true"),
)


def _section(value: Any) -> Any:
    return value


TOP_FIELDS = (
    Field("organisation", _section, help="an [organisation] table"),
    Field("paths", _section, None),
    Field("feed", _section, None),
)


def load_config(path: str | os.PathLike[str]) -> Settings:
    """Parse and validate ``path``; ConfigError lists every problem."""
    shown = shown_path(path)
    if not os.path.isfile(path):
        raise ConfigError(
            [
                Problem(
                    shown,
                    "",
                    None,
                    f"a config file (use --config PATH or ${ENV_CONFIG}; this file does not exist)",
                )
            ]
        )
    document, source, problems = read_toml(path, shown)
    if document is None:
        raise ConfigError(problems)
    check = Checker(shown, source)
    # An unknown or missing top-level key is reported, and the known tables are still checked.
    check.table(document, TOP_FIELDS, ())
    org = None
    if "organisation" in document:
        org = check.table(document["organisation"], ORGANISATION_FIELDS, ("organisation",))
    paths = check.table(document.get("paths", {}), PATHS_FIELDS, ("paths",))
    feed = check.table(document.get("feed", {}), FEED_FIELDS, ("feed",))
    if check.problems or org is None or paths is None or feed is None:
        raise ConfigError(check.problems)
    base = os.path.dirname(os.path.abspath(path))
    return Settings(
        source=shown,
        organisation=Organisation(**org),
        feed=Feed(**feed),
        calendars_dir=_folder(base, paths["calendars"], "calendars"),
        templates_dir=_folder(base, paths["templates"], "templates"),
    )


def _folder(base: str, configured: str | None, name: str) -> str:
    return os.path.join(base, configured) if configured else bundled(name)


def calendars_dir_hint(path: str | os.PathLike[str]) -> str:
    """Where the calendars are, read from a config that may be invalid (for ``reminders check``)."""
    import tomllib

    try:
        with open(path, "rb") as handle:
            value = tomllib.load(handle).get("paths", {}).get("calendars")
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, AttributeError):
        value = None
    if isinstance(value, str) and value.strip():
        return os.path.join(os.path.dirname(os.path.abspath(path)), value)
    return bundled("calendars")
