"""The ``apprise`` channel: chat and push services (Telegram, Slack, Teams, Matrix, ntfy ...).

The Apprise URLs carry tokens, so they come from an environment variable named in the config and
never appear in a message or a log line: errors name a URL by its position and its scheme only,
and Apprise's own logger is kept at WARNING (at INFO and DEBUG it logs URLs, and urllib3 logs
request paths, which for Telegram and Slack contain the token).  This module is the only one
that imports Apprise, which is slow to import; the CLI's fast path never loads it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import apprise

from .base import Channel, ChannelError, DeliveryError, Message

logging.getLogger("apprise").setLevel(logging.WARNING)
logging.getLogger("urllib3.connectionpool").setLevel(logging.WARNING)

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]{0,31})://")
# Whitespace always separates URLs; a comma only when another URL follows it, because commas
# also occur inside URLs (ntfy tags, e-mail recipient lists in a query string).
_SEPARATOR = re.compile(r"\s+|,\s*(?=[A-Za-z][A-Za-z0-9+.-]{0,31}://)")


def split_urls(value: str) -> list[str]:
    """The URLs in an environment variable's value, in order, separated by whitespace or commas."""
    return [part.strip(",") for part in _SEPARATOR.split(value) if part.strip(",")]


def scheme_of(url: str) -> str:
    """The part of a URL that is safe to show: ``tgram://``, or a note that there is none."""
    match = _SCHEME.match(url)
    return f"{match.group(1).lower()}://" if match else "no scheme://"


class _Silence(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


@contextmanager
def _silenced() -> Iterator[None]:
    """Apprise logs a URL it cannot parse as it is, token included, at ERROR; we report it."""
    logger = logging.getLogger("apprise")
    silence = _Silence()
    logger.addFilter(silence)
    try:
        yield
    finally:
        logger.removeFilter(silence)


class AppriseChannel(Channel):
    """Sends the subject as the title and the text body to every URL in ``environ[urls_env]``."""

    type_name = "apprise"

    def __init__(self, config: Any, environ: Mapping[str, str]) -> None:
        super().__init__(config, environ)
        name: str = config.option("urls_env")
        urls = split_urls(environ.get(name, ""))
        if not urls:
            raise ChannelError(self.id, f"the environment variable {name} is not set or empty")
        self.schemes = tuple(scheme_of(url) for url in urls)
        self.urls_env = name
        # One Apprise object per URL, so that each service's result can be told apart.
        self._services: list[Any] = []
        for position, url in enumerate(urls, start=1):
            service = apprise.Apprise()
            with _silenced():
                accepted = service.add(url)
            if not accepted:
                raise ChannelError(
                    self.id,
                    f"Apprise does not accept URL {position} of {len(urls)} in {name} "
                    f"({self.schemes[position - 1]}); check it against the Apprise documentation "
                    "for that service",
                )
            self._services.append(service)

    def describe(self) -> str:
        count = len(self.schemes)
        services = ", ".join(sorted(set(self.schemes)))
        return f"apprise: {count} service{'s' if count != 1 else ''} ({services})"

    def verified(self) -> str:
        count = len(self.schemes)
        return (
            f"{count} URL{'s' if count != 1 else ''} in ${self.urls_env}, each accepted by "
            f"Apprise; nothing sent, so no service has answered yet ('reminders channel test "
            f"{self.id}' sends a test notice)"
        )

    def send(self, message: Message) -> str:
        """Notify every service; if any of them fails the delivery fails (and is retried).

        Returns, and on failure says, each URL's result by its position and scheme only (the
        URLs carry tokens)."""
        total = len(self._services)
        results = []
        for position, service in enumerate(self._services, start=1):
            delivered = bool(
                service.notify(
                    title=message.subject,
                    body=message.text,
                    body_format=apprise.NotifyFormat.TEXT,
                )
            )
            results.append((position, delivered))
        lines = "; ".join(
            f"URL {position} of {total} ({self.schemes[position - 1]}) "
            f"{'delivered' if delivered else 'failed'}"
            for position, delivered in results
        )
        failed = sum(1 for _, delivered in results if not delivered)
        if failed:
            raise DeliveryError(
                f"Apprise reported failure for {failed} of {total} services: {lines}"
            )
        return lines
