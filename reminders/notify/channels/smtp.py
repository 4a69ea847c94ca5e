"""The ``email`` channel: one notice as a MIME message over SMTP (STARTTLS, implicit TLS or none).

The message is multipart/alternative text and HTML, wrapped in multipart/mixed with the
occurrence attached as an ICS file.  The body goes as 8-bit UTF-8 only to a server that offers
8BITMIME (RFC 6152), as quoted-printable otherwise; the message says its language in
Content-Language.  Its Message-ID is derived from the delivery id, so a repeat
of the same delivery (a retry after a lost reply) carries the same Message-ID and mail clients
and archives can recognise it.  The password comes from an environment variable named in the
config, never from the config itself, and never appears in an error.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from email import policy
from email.header import Header
from email.headerregistry import BaseHeader, HeaderRegistry, UniqueUnstructuredHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime
from typing import Any

from .base import Channel, ChannelError, DeliveryError, Message

NOTICE_HEADER = "X-Reminders-Notice"


# typeshed declares max_count differently in the two bases; the e-mail package mixes them so.
class SubjectHeader(UniqueUnstructuredHeader, BaseHeader):  # type: ignore[misc]
    """A Subject folded so that no space of the text falls between two encoded words.

    RFC 2047 decoders drop the white space between adjacent encoded words, so a space that the
    folder puts there is lost: Python's e-mail package up to 3.11.7 (CPython gh-144156) folds
    "(bu gün, çərşənbə" so that mail programs show "(bugün,".  A subject outside ASCII is
    therefore encoded whole as UTF-8 encoded words by the package's ``email.header`` tools,
    which split only inside the encoded text: every space stays inside an encoded word.
    ASCII subjects are folded as usual (at spaces, which unfolding restores).
    """

    def fold(self, *, policy: EmailPolicy) -> str:  # type: ignore[override]
        value = str(self)
        if policy.utf8 or (value.isascii() and "=?" not in value):
            return super().fold(policy=policy)
        encoded = Header(value, "utf-8", header_name=self.name).encode(linesep=policy.linesep)
        return f"{self.name}: {encoded}{policy.linesep}"


_HEADERS = HeaderRegistry()
_HEADERS.map_to_type("subject", SubjectHeader)
MAIL_POLICY = policy.SMTP.clone(header_factory=_HEADERS)


def build_mime(
    message: Message, sender: str = "", recipients: Sequence[str] = (), eight_bit: bool = True
) -> EmailMessage:
    """The MIME message for ``message``: the one the e-mail channel sends and ``.eml`` files hold.

    Without a sender (an outbox file) From and To are left out and the Message-ID uses the
    reserved domain ``outbox.invalid``; the Message-ID's left part is always the delivery's file
    stem, so the same delivery always gets the same Message-ID.  ``eight_bit`` says whether the
    text and HTML may be 8-bit UTF-8 (a server offering 8BITMIME, a file); without it they are
    quoted-printable, which every server passes unchanged.
    """
    domain = sender.rpartition("@")[2] if sender else "outbox.invalid"
    mime = EmailMessage(policy=MAIL_POLICY)
    if sender:
        mime["From"] = sender
    if recipients:
        mime["To"] = ", ".join(recipients)
    mime["Subject"] = _one_line(message.subject)
    mime["Date"] = format_datetime(message.created)
    mime["Message-ID"] = f"<{message.file_stem}@{domain}>"
    mime[NOTICE_HEADER] = message.notice_id
    mime["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to a robot
    mime.set_content(message.text, cte=_transfer_encoding(message.text, eight_bit))
    if message.html:
        cte = _transfer_encoding(message.html, eight_bit)
        mime.add_alternative(message.html, subtype="html", cte=cte)
    if message.ics:
        mime.add_attachment(
            message.ics,
            maintype="text",
            subtype="calendar",
            filename=message.notice_id.replace(":", "-") + ".ics",
            params={"method": "PUBLISH", "charset": "utf-8"},
        )
    if message.language:
        # RFC 3282; last, because set_content and add_* move Content-* headers into the parts.
        mime["Content-Language"] = message.language
    return mime


def _transfer_encoding(text: str, eight_bit: bool) -> str:
    """8bit where allowed and every line fits SMTP's 998 octets; quoted-printable otherwise."""
    fits = all(len(line.encode("utf-8")) <= 998 for line in text.splitlines())
    return "8bit" if eight_bit and fits else "quoted-printable"


def _one_line(value: str) -> str:
    """Header values are one line; a template may have left a line break in the subject."""
    return " ".join(value.split())


class EmailChannel(Channel):
    """Sends each message to the configured recipients through one SMTP server.

    ``security`` is ``starttls`` (upgrade a plain connection, usually port 587), ``tls``
    (implicit TLS, usually port 465) or ``none``.  The server's certificate is always verified,
    against the system's CA store or the PEM file named by ``ca_file``.  A login is refused over
    ``none``: the password would cross the network in clear text.
    """

    type_name = "email"

    def __init__(self, config: Any, environ: Mapping[str, str]) -> None:
        super().__init__(config, environ)
        self.host: str = config.option("host")
        self.port: int = config.option("port")
        self.security: str = config.option("security")
        self.username: str = config.option("username")
        self.sender: str = config.option("sender")
        self.recipients: tuple[str, ...] = tuple(config.option("recipients"))
        self.timeout: float = config.option("timeout").total_seconds()
        self.password_env: str = config.option("password_env")
        self._password = ""
        if self.username:
            if not self.username.isascii():
                raise ChannelError(self.id, "username has characters outside ASCII")
            self._password = self._read_password(config.option("password_env"), environ)
            if self.security == "none":
                raise ChannelError(
                    self.id,
                    "a login needs security = 'starttls' or 'tls'; with 'none' the password "
                    "would be sent unencrypted",
                )
        self._tls = self._tls_context(config.option("ca_file"))

    def _read_password(self, name: str, environ: Mapping[str, str]) -> str:
        if not name:
            raise ChannelError(self.id, "username is set, so password_env must name a variable")
        password = environ.get(name, "")
        if not password:
            raise ChannelError(self.id, f"the environment variable {name} is not set or empty")
        if not password.isascii():
            # smtplib encodes AUTH data as ASCII and would fail at every send.
            raise ChannelError(
                self.id,
                f"the password in {name} has characters outside ASCII, which SMTP "
                "login through Python's smtplib cannot send",
            )
        return password

    def _tls_context(self, ca_file: str) -> ssl.SSLContext:
        if ca_file and not os.path.isfile(ca_file):
            raise ChannelError(self.id, f"ca_file {ca_file} is not a file")
        try:
            return ssl.create_default_context(cafile=ca_file or None)
        except OSError as exc:  # ssl.SSLError included: not PEM, no certificate in it
            raise ChannelError(self.id, f"cannot load ca_file {ca_file}: {exc}") from None

    def describe(self) -> str:
        count = len(self.recipients)
        return (
            f"email via {self.host}:{self.port} ({self.security}) "
            f"to {count} recipient{'s' if count != 1 else ''}"
        )

    def verified(self) -> str:
        login = (
            f"a login as {self.username} with the password in ${self.password_env} (set)"
            if self.username
            else "no login"
        )
        return (
            f"settings checked ({self.security}, {login}, sender and recipients); not "
            f"connected, so nothing is known of the server at {self.host}:{self.port} "
            f"('reminders check --connect' connects, 'reminders channel test {self.id}' sends "
            "a test notice)"
        )

    def send(self, message: Message) -> str:
        """Deliver one message; returns the server's reply to it (code and text).
        DeliveryError says whether a retry may help."""
        with self._errors():
            smtp = self._connect()
            try:
                if self.username:
                    smtp.login(self.username, self._password)
                smtp.ehlo_or_helo_if_needed()
                # 8-bit bodies only to a server that says it passes them on (RFC 6152).
                eight_bit = smtp.has_extn("8bitmime")
                mime = build_mime(message, self.sender, self.recipients, eight_bit)
                refused = smtp.send_message(
                    mime,
                    self.sender,
                    list(self.recipients),
                    mail_options=["BODY=8BITMIME"] if eight_bit else [],
                )
                code, text = smtp.data_reply
            finally:
                _quit(smtp)
        if refused:
            # Some recipients have it; a retry would send it to them again, so it is final.
            raise _refused(refused, len(self.recipients), transient=False)
        count = len(self.recipients)
        return (
            f"{self.host}:{self.port} accepted it for {count} "
            f"recipient{'s' if count != 1 else ''}: {code} {_text(text)}"
        )

    def probe(self) -> str:
        """Connect, say EHLO, start TLS and log in as a send would, then QUIT: no mail.
        Returns what was done; DeliveryError if a step failed."""
        with self._errors():
            smtp = self._connect()
            try:
                code, _ = smtp.ehlo()
                steps = [f"connected to {self.host}:{self.port}"]
                if self.security != "none":
                    steps.append("TLS with a trusted certificate")
                steps.append(f"EHLO answered {code}")
                if self.username:
                    smtp.login(self.username, self._password)
                    steps.append(f"login as {self.username} accepted")
            finally:
                _quit(smtp)
        return ", ".join(steps) + "; QUIT, no mail sent"

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """smtplib's and the network's exceptions as DeliveryError (transient or not)."""
        try:
            yield
        except smtplib.SMTPRecipientsRefused as exc:
            raise _refused(exc.recipients, len(self.recipients)) from None
        except smtplib.SMTPResponseException as exc:
            # Authentication, sender, DATA, greeting and HELO refusals all carry a code.
            raise _response(exc.smtp_code, exc.smtp_error, type(exc).__name__) from None
        except smtplib.SMTPServerDisconnected as exc:
            raise DeliveryError(f"the SMTP server closed the connection: {exc}") from None
        except smtplib.SMTPException as exc:
            # No STARTTLS or no AUTH on offer, no usable login method: a setup problem.
            raise DeliveryError(f"SMTP: {exc}", transient=False) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"the certificate of {self.host} is not trusted: {exc.verify_message}",
                transient=False,
            ) from None
        except OSError as exc:
            # Refused connections, timeouts, name lookups and broken TLS handshakes.
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise DeliveryError(f"cannot reach {self.host}:{self.port}: {reason}") from None

    def _connect(self) -> _SMTP | _SMTPS:
        if self.security == "tls":
            return _SMTPS(self.host, self.port, timeout=self.timeout, context=self._tls)
        smtp = _SMTP(self.host, self.port, timeout=self.timeout)
        if self.security == "starttls":
            try:
                smtp.starttls(context=self._tls)
            except BaseException:
                smtp.close()
                raise
        return smtp


class _SMTP(smtplib.SMTP):
    """smtplib's client, keeping the server's reply to DATA (sendmail drops it)."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


class _SMTPS(smtplib.SMTP_SSL):
    """As :class:`_SMTP`, over implicit TLS."""

    data_reply: tuple[int, bytes] = (0, b"")

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.data_reply = super().data(msg)
        return self.data_reply


def _quit(smtp: smtplib.SMTP) -> None:
    """Say goodbye; a server that hangs up first changes nothing about what was sent."""
    try:
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


def _response(code: int, text: bytes | str, what: str) -> DeliveryError:
    """4xx is a temporary refusal (retry), 5xx a permanent one (RFC 5321, 4.2.1)."""
    return DeliveryError(f"{what}: {code} {_text(text)}", transient=400 <= code < 500)


def _refused(
    recipients: Mapping[str, tuple[int, bytes]], total: int, transient: bool | None = None
) -> DeliveryError:
    details = "; ".join(
        f"{address}: {code} {_text(text)}" for address, (code, text) in sorted(recipients.items())
    )
    if transient is None:
        transient = all(400 <= code < 500 for code, _ in recipients.values())
    return DeliveryError(
        f"the SMTP server refused {len(recipients)} of {total} recipients ({details})",
        transient=transient,
    )
