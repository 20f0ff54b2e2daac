"""E-mail delivery: MIME building and the SMTP / file transports behind ``RELANCE_EMAIL_URL``.

URLs: ``smtp://host:port`` (plain), ``smtp+starttls://user:pass@host:587``,
``smtps://user:pass@host:465`` (TLS from the start), ``file:///DIR`` (one ``.eml`` per message,
named after its Message-ID; the demo's default).

Exactly once. SMTP has no idempotency, so the only sound place to decide "sent" is the end of
the DATA phase: a server keeps a message only once it has read the final ``.`` line; a
connection that drops before it discards the message. ``SmtpTransport.send`` therefore writes
the whole message, then calls ``before_commit()`` (the caller records, durably, that the
message is handed over), and only then writes the final dot. A crash before the callback
leaves nothing on the server and nothing recorded: the message is sent again. A crash after
it leaves a record that says "handed over": it is never sent again. The one window left —
the callback has returned but the five bytes of the final dot were not written — loses the
message rather than duplicating it; it lasts one ``send()`` system call, with no network
round trip in it. The file transport has no such window: the file is renamed (atomically)
to its Message-ID *before* the callback, so writing it again after a crash is writing once.

Must not import ``relance.apps``.
"""

from __future__ import annotations

import contextlib
import os
import re
import smtplib
import socket
import ssl
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import unquote, urlsplit

from relance.errors import ConfigurationError


class TemporaryEmailError(Exception):
    """Worth trying again later (connection refused, 4xx reply)."""


class PermanentEmailError(Exception):
    """Will fail again (5xx reply, recipient refused)."""


class UncertainDeliveryError(Exception):
    """The connection broke after the message was handed over: count it as sent, never resend."""


@dataclass(frozen=True)
class OutgoingEmail:
    message_id: str
    from_name: str
    from_address: str
    to: str
    reply_to: str
    subject: str
    text: str
    html: str
    date_timestamp: float | None = None


def build_message(mail: OutgoingEmail) -> EmailMessage:
    """A multipart/alternative (text then HTML) message, UTF-8 throughout."""
    msg = EmailMessage(policy=SMTP)
    msg["From"] = formataddr((mail.from_name, mail.from_address))
    msg["To"] = mail.to
    if mail.reply_to:
        msg["Reply-To"] = formataddr((mail.from_name, mail.reply_to))
    msg["Subject"] = mail.subject
    msg["Message-ID"] = mail.message_id
    msg["Date"] = formatdate(mail.date_timestamp, localtime=False)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.text, charset="utf-8")
    msg.add_alternative(mail.html, subtype="html", charset="utf-8")
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)


class Transport(Protocol):
    def send(self, msg: EmailMessage, *, before_commit: Callable[[], None]) -> None: ...

    def close(self) -> None: ...


_LEADING_DOT = re.compile(rb"(?m)^\.")


class SmtpTransport:
    """One connection reused for many messages; reconnects when the server drops it."""

    def __init__(self, *, host: str, port: int, mode: str = "plain", username: str = "", password: str = "",
                 timeout: float = 30.0) -> None:
        self.host, self.port, self.mode = host, port, mode
        self.username, self.password, self.timeout = username, password, timeout
        self._smtp: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        if self._smtp is not None:
            return self._smtp
        try:
            if self.mode == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                                      context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
                if self.mode == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            # The final dot is a small write right after the message: without NODELAY, Nagle's
            # algorithm holds it until the server's delayed ACK (about 40 ms per message).
            smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo_or_helo_if_needed()
            if self.username:
                smtp.login(self.username, self.password)
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentEmailError(f"SMTP login refused: {exc.smtp_code} {exc.smtp_error!r}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise TemporaryEmailError(f"cannot connect to {self.host}:{self.port}: {exc}") from exc
        self._smtp = smtp
        return smtp

    def close(self) -> None:
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.quit()
            self._smtp = None

    def _drop(self) -> None:
        # Closing the socket before the final dot makes the server discard the message.
        if self._smtp is not None:
            with contextlib.suppress(Exception):
                self._smtp.close()
            self._smtp = None

    def send(self, msg: EmailMessage, *, before_commit: Callable[[], None]) -> None:
        smtp = self._connect()
        sender = msg["From"].addresses[0].addr_spec
        recipients = [a.addr_spec for a in msg["To"].addresses]
        data = _LEADING_DOT.sub(b"..", message_bytes(msg))
        if not data.endswith(b"\r\n"):
            data += b"\r\n"
        try:
            code, reply = smtp.mail(sender)
            if code != 250:
                self._refused(code, reply, "sender")
            for rcpt in recipients:
                code, reply = smtp.rcpt(rcpt)
                if code not in (250, 251):
                    self._refused(code, reply, f"recipient {rcpt}")
            code, reply = smtp.docmd("DATA")
            if code != 354:
                self._refused(code, reply, "DATA")
            smtp.send(data)
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            raise TemporaryEmailError(f"connection lost: {exc}") from exc
        try:
            before_commit()
        except BaseException:
            self._drop()
            raise
        try:
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
        except (OSError, smtplib.SMTPServerDisconnected) as exc:
            self._drop()
            # Past the point of no return: the caller has recorded the hand-over.
            raise UncertainDeliveryError(f"connection lost after the message was handed over: {exc}") from exc
        if code != 250:
            raise (TemporaryEmailError if 400 <= code < 500 else PermanentEmailError)(
                f"message refused after DATA: {code} {reply.decode(errors='replace')}"
            )

    def _refused(self, code: int, reply: bytes, what: str) -> None:
        with contextlib.suppress(Exception):
            self._smtp.rset()  # type: ignore[union-attr]
        text = f"{what} refused: {code} {reply.decode(errors='replace')}"
        if 400 <= code < 500:
            raise TemporaryEmailError(text)
        raise PermanentEmailError(text)


class FileTransport:
    """Writes ``<Message-ID>.eml`` files into a folder (atomic rename; idempotent by name)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @staticmethod
    def filename(message_id: str) -> str:
        return re.sub(r"[^A-Za-z0-9._-]", "_", message_id.strip("<>")) + ".eml"

    def send(self, msg: EmailMessage, *, before_commit: Callable[[], None]) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(message_bytes(msg))
                out.flush()
                os.fsync(out.fileno())
            # Written under its final name first: sending again after a crash rewrites the same file.
            os.replace(tmp, self.folder / self.filename(str(msg["Message-ID"])))
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
        before_commit()

    def close(self) -> None:
        return None


def transport_from_url(url: str) -> Transport:
    parts = urlsplit(url)
    if parts.scheme == "file":
        return FileTransport(Path(unquote(parts.path)))
    modes = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("ssl", 465)}
    if parts.scheme not in modes or not parts.hostname:
        raise ConfigurationError(
            f"RELANCE_EMAIL_URL {url!r}: use smtp://host:port, smtp+starttls://user:pass@host:587, "
            "smtps://user:pass@host:465 or file:///folder"
        )
    mode, default_port = modes[parts.scheme]
    return SmtpTransport(
        host=parts.hostname, port=parts.port or default_port, mode=mode,
        username=unquote(parts.username or ""), password=unquote(parts.password or ""),
    )
