"""The channel registry: every channel type by name, and ``build`` to make one.

The classes live in their own modules and are imported only when a channel is built (by the daemon,
``preview`` or ``check``), so loading the config never imports smtplib or Apprise.  Each type's
options are validated with the config (``config/channel_options.py``).  An unknown type is a config
error, and a channel that cannot be built (a missing environment variable, an Apprise URL it does
not understand) stops start-up: never a silent no-op.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Mapping

from .base import Channel, ChannelError, DeliveryError, Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...core.settings import ChannelConfig

__all__ = ["TARGETS", "Channel", "ChannelError", "DeliveryError", "Message", "build"]

# Type name -> "module:Class"; config/channel_options.py has the same names with their option
# schemas.
TARGETS = {
    "file": "reminders.notify.channels.outbox:FileChannel",
    "email": "reminders.notify.channels.smtp:EmailChannel",
    "apprise": "reminders.notify.channels.chat:AppriseChannel",
}


def build(config: ChannelConfig, environ: Mapping[str, str] | None = None) -> Channel:
    """A ready channel for a ``ChannelConfig``; ChannelError if it cannot work as configured."""
    target = TARGETS.get(config.type)
    if target is None:
        raise ChannelError(config.id, f"unknown channel type {config.type!r}")
    module_name, _, class_name = target.partition(":")
    cls = getattr(importlib.import_module(module_name), class_name)
    channel: Channel = cls(config, os.environ if environ is None else environ)
    return channel
