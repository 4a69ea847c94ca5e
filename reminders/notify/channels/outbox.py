"""The ``file`` channel: one file per delivery in an outbox folder, written atomically.

The file is named after the delivery (``Message.file_stem``), so sending the same delivery again
replaces the same file instead of adding a second one, and a reader never sees half a file: it
is written to a temporary file in the same folder, flushed to disk and renamed over the target.
``txt`` files are for people (a short header block, then the text); ``eml`` files hold the MIME
message the ``email`` channel would send, with the HTML part and the ICS attachment.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from .base import Channel, ChannelError, DeliveryError, Message

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ...core.settings import ChannelConfig


def render_text(message: Message) -> bytes:
    """The ``txt`` form: header lines, a blank line and the text body, in UTF-8."""
    fields = [
        ("Subject", message.subject),
        ("Notice", message.notice_id),
        ("Channel", message.channel),
        ("Due", message.fire_at.isoformat()),
        ("Created", message.created.isoformat()),
        ("Late", "yes" if message.late else "no"),
    ]
    # A line break in a value would start a new header line or end the block early.
    head = "".join(f"{name}: {' '.join(value.split())}\n" for name, value in fields)
    body = message.text if message.text.endswith("\n") else message.text + "\n"
    return (head + "\n" + body).encode("utf-8")


def render_eml(message: Message) -> bytes:
    """The ``eml`` form: the e-mail channel's MIME message, marked as a draft for mail clients."""
    from .smtp import build_mime  # smtplib and ssl only for the formats that need them

    mime = build_mime(message)
    mime["X-Unsent"] = "1"  # Outlook and Thunderbird open the file as a draft to send on
    return mime.as_bytes()


class FileChannel(Channel):
    """Writes ``{file_stem}.txt`` or ``{file_stem}.eml`` into the configured folder."""

    type_name = "file"

    def __init__(self, config: ChannelConfig, environ: Mapping[str, str]) -> None:
        super().__init__(config, environ)
        self.folder = str(config.option("folder"))
        self.format = str(config.option("format"))
        # Checked without creating anything (``check`` builds channels too); prepare() creates.
        problem = _unusable(self.folder)
        if problem:
            raise ChannelError(self.id, problem)

    def prepare(self) -> None:
        """Create the outbox folder, so that the daemon's start fails if it cannot be had."""
        try:
            os.makedirs(self.folder, exist_ok=True)
        except OSError as exc:
            raise ChannelError(
                self.id, f"cannot create the outbox folder {self.folder}: {_reason(exc)}"
            ) from None
        if not os.access(self.folder, os.W_OK | os.X_OK):
            raise ChannelError(self.id, f"the outbox folder {self.folder} is not writable")

    def describe(self) -> str:
        return f"file: {self.format} files in {self.folder}"

    def verified(self) -> str:
        if os.path.isdir(self.folder):
            return "ok: the folder exists and is writable"
        return "ok: the folder can be created (the daemon creates it at its start)"

    def path(self, message: Message) -> str:
        """Where ``message`` is written: the same path for every send of the same delivery."""
        return os.path.join(self.folder, f"{message.file_stem}.{self.format}")

    def send(self, message: Message) -> str:
        """Write the file; an existing file of the same delivery is replaced, never doubled.
        Returns where it was written."""
        data = render_eml(message) if self.format == "eml" else render_text(message)
        target = self.path(message)
        try:
            # Recreated if someone cleaned the outbox away while the daemon runs.
            os.makedirs(self.folder, exist_ok=True)
            import tempfile  # only a send pays for it (check builds channels too)

            handle, temp = tempfile.mkstemp(
                prefix=f".{message.file_stem}.", suffix=".tmp", dir=self.folder
            )
        except OSError as exc:
            raise DeliveryError(f"cannot write to {self.folder}: {_reason(exc)}") from None
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temp, 0o644)  # mkstemp makes 0600; outbox files are for other readers too
            os.replace(temp, target)
        except OSError as exc:
            if os.path.exists(temp):
                os.unlink(temp)
            raise DeliveryError(f"cannot write {target}: {_reason(exc)}") from None
        _sync_folder(self.folder)
        return f"wrote {target}"


def _unusable(folder: str) -> str:
    """Why the outbox folder cannot be used or made ("" if it can), found without writing."""
    if os.path.isdir(folder):
        if os.access(folder, os.W_OK | os.X_OK):
            return ""
        return f"the outbox folder {folder} is not writable"
    above = folder
    while not os.path.isdir(above):
        if os.path.lexists(above):
            return f"cannot create the outbox folder {folder}: {above} is not a folder"
        above = os.path.dirname(above)
    if not os.access(above, os.W_OK | os.X_OK):
        return f"cannot create the outbox folder {folder}: {above} is not writable"
    return ""


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _sync_folder(folder: str) -> None:
    """Make the rename itself durable; not every system can open a folder, which is no error."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
