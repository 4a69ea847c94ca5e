"""What every channel is: a class built from its config that sends one rendered message.

The contract (tests/test_channels.py runs it over every type):

* ``__init__`` checks everything that can be checked without sending or writing (options, secrets
  from the environment, URLs, whether a folder can be made) and raises :class:`ChannelError`
  naming the channel: start-up stops there.  ``prepare()`` then makes what sending needs (the
  outbox folder); the daemon calls it, ``reminders check`` does not (commands that read never
  write).
* ``send(message)`` delivers one message and returns what the receiver answered, or raises
  :class:`DeliveryError`; ``transient`` says whether a retry may succeed (a server that is
  down) or not (a recipient refused for good).
* Sending the same message again (same ``delivery_id``) is recognisable as a repeat at the
  receiver: the outbox file has the same name, the e-mail the same Message-ID.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from ...core.errors import ReminderError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, NamedTuple
else:
    from ...core.records import NamedTuple  # typing.NamedTuple without importing typing (start-up)


class Message(NamedTuple):
    """One rendered notice for one channel."""

    delivery_id: str  # "{notice id}/{channel id}"
    notice_id: str  # "{calendar}:{observance}:{year}:{rule}"
    channel: str
    subject: str
    text: str
    html: str
    ics: bytes  # the occurrence as an iCalendar file, for attachments
    created: datetime  # aware; the Date header
    fire_at: datetime  # aware; when the notice was due
    late: bool = False  # sent after its time because the daemon was down
    language: str = ""  # a BCP 47 tag (the Content-Language of an e-mail); "" when unknown

    @property
    def file_stem(self) -> str:
        """A file-name-safe, unique stem: ids are [a-z0-9-], so ':' and '/' are the only others."""
        return self.delivery_id.replace(":", "_").replace("/", "__")


class ChannelError(ReminderError):
    """A channel cannot work as configured; the daemon does not start (or reload) with it."""

    def __init__(self, channel_id: str, reason: str) -> None:
        super().__init__(f"channel {channel_id!r}: {reason}")
        self.channel_id = channel_id
        self.reason = reason


class DeliveryError(Exception):
    """One send failed; ``transient`` failures are retried with backoff."""

    def __init__(self, reason: str, transient: bool = True) -> None:
        super().__init__(reason)
        self.reason = reason
        self.transient = transient


class Channel:
    """Base class of the channel types (see the module docstring for the contract)."""

    type_name: ClassVar[str] = ""

    def __init__(self, config: Any, environ: Mapping[str, str]) -> None:
        self.id: str = config.id
        self.config = config

    def send(self, message: Message) -> str:
        """Deliver ``message``; returns what the receiver answered, for people (``reminders
        channel test`` prints it): the file written, the SMTP server's reply, each service's
        result.  Never a secret."""
        raise NotImplementedError

    def verified(self) -> str:
        """What building the channel verified, and what it did not, for ``reminders check``."""
        return "settings checked; nothing sent"

    def probe(self) -> str:
        """Connect to the receiver as a send would, sending nothing (``check --connect``);
        returns what was done, "" when the type has nothing to connect to.  DeliveryError if a
        step failed."""
        return ""

    def prepare(self) -> None:
        """Make what sending needs (the daemon's start; never ``check``); the default: nothing.
        Raises ChannelError if it cannot be made."""

    def close(self) -> None:
        """Release connections; the default has none."""

    def describe(self) -> str:
        """A one-line description for logs and ``status`` (never a secret)."""
        return self.type_name
