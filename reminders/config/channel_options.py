"""The option schema of every channel type (validated with the config).

A channel type is a name, a table of option ``Field`` values, the class that sends (imported only
when a channel is built, see ``channels.build``) and a line of help.  Only the config loader and
the docs tests import this module; building a channel does not, so that ``reminders check`` stays
light when the config comes from the start-up cache.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any, NamedTuple

from .language_tag import language_tag
from .schema import (
    Field,
    Invalid,
    duration_within,
    env_name,
    folder,
    integer,
    is_one_line,
    list_of,
    matching,
    one_of,
    optional_env_name,
    optional_text,
    text,
)


def email_address(value: Any) -> str:
    if (
        not isinstance(value, str)
        or not re.fullmatch(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+", value)
        or not is_one_line(value)
    ):
        raise Invalid("an e-mail address such as 'events@embassy.example.org'")
    return value


host = matching(
    r"[A-Za-z0-9.\-]+|\[[0-9a-fA-F:]+\]", "a host name or IP address, such as 'smtp.example.org'"
)


class ChannelType(NamedTuple):
    name: str
    fields: tuple[Field, ...]
    help: str


TYPES: dict[str, ChannelType] = {
    "file": ChannelType(
        "file",
        (
            Field("folder", folder, "var/outbox", "the outbox folder; one file per delivery"),
            Field("format", one_of("txt", "eml"), "txt", "'txt' (readable) or 'eml' (MIME)"),
        ),
        "one file per delivery in an outbox folder, written atomically",
    ),
    "email": ChannelType(
        "email",
        (
            Field("host", host, help="the SMTP server's host name"),
            Field("port", integer(1, 65535), 587, "the SMTP port"),
            Field("security", one_of("starttls", "tls", "none"), "starttls", "TLS mode"),
            Field("username", optional_text, "", "login name; empty: no login"),
            Field("password_env", optional_env_name, "", "environment variable with the password"),
            Field("sender", email_address, help="the From address"),
            Field("recipients", list_of(email_address, "e-mail addresses"), help="To addresses"),
            Field(
                "timeout",
                duration_within(timedelta(hours=1), "PT30S"),
                timedelta(seconds=30),
                "SMTP timeout",
            ),
            Field(
                "ca_file",
                optional_text,
                "",
                "PEM file of CA certificates to trust instead of the system's; empty: the system's",
            ),
        ),
        "SMTP with STARTTLS or TLS: text and HTML, the occurrence attached as ICS",
    ),
    "apprise": ChannelType(
        "apprise",
        (Field("urls_env", env_name, help="environment variable holding the Apprise URLs"),),
        "chat and push services (Telegram, Slack, Teams, Matrix, ntfy ...) through Apprise",
    ),
}


CHANNEL_FIELDS = (
    Field("id", text, help="the channel's id, named by notice rules"),
    Field("type", one_of(*TYPES), help="the channel type"),
    Field(
        "language",
        language_tag,
        "",
        "the language of what it receives (default: the notice rule's or the organisation's)",
    ),
)


def resolve_paths(channel_type: str, options: dict[str, Any], base: str) -> dict[str, Any]:
    """Make the file channel's folder and the e-mail ``ca_file`` absolute (relative to ``base``)."""
    if channel_type == "file":
        options = {**options, "folder": os.path.join(base, options["folder"])}
    elif channel_type == "email" and options.get("ca_file"):
        options = {**options, "ca_file": os.path.join(base, options["ca_file"])}
    return options
