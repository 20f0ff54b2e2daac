"""E-mail messages as bytes: ``OutgoingEmail`` in, the MIME message ready for the wire out.

Speed. ``prepare`` writes the MIME bytes directly (RFC 2047 headers, quoted-printable UTF-8
bodies, both done by C code in ``binascii``; base64 for the inline images and attached
PDFs, nested in multipart/related and multipart/mixed only when there are some): the
``email`` package's header folding cost several milliseconds per message, more than the
SMTP exchange itself. ``build_message`` gives the same message as an ``EmailMessage`` for
whoever wants to inspect it.

Pure: no network, no file. Must not import ``relance.apps``.
"""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from urllib.parse import quote


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
    to_name: str = ""
    reference: str = ""  # X-Relance-Reference: the file's reference, for replies and proof
    inline: tuple[Attachment, ...] = ()  # shown in the HTML (``cid:``): multipart/related
    attachments: tuple[Attachment, ...] = ()  # PDFs: multipart/mixed


@dataclass(frozen=True)
class Attachment:
    """A file carried by a message: inline (with ``content_id``, the HTML's ``cid:``) or attached."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""


@dataclass(frozen=True)
class PreparedEmail:
    """A message ready for the wire: its envelope and its bytes (CRLF lines, not dot-stuffed)."""

    message_id: str
    sender: str
    recipients: tuple[str, ...]
    data: bytes


_ENCODED_WORD_BYTES = 39  # 52 base64 characters: "Subject: " and one word fit in 78 columns


def _encoded_words(text: str) -> list[str]:
    """``text`` as RFC 2047 encoded words, never splitting a UTF-8 sequence."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode())
        if size + n > _ENCODED_WORD_BYTES:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    words.append("".join(chunk))
    return [f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words]


def _header_text(name: str, value: str) -> str:
    """An unstructured header (Subject), folded; encoded only when it is not plain ASCII."""
    if value.isascii() and len(name) + len(value) < 76 and "=?" not in value:
        return f"{name}: {value}"
    if value.isascii() and "=?" not in value:
        lines, line = [], f"{name}:"
        for word in value.split(" "):
            if len(line) + 1 + len(word) > 76 and line != f"{name}:":
                lines.append(line)
                line = ""
            line = f"{line} {word}"
        return "\r\n".join([*lines, line])
    return f"{name}: " + "\r\n ".join(_encoded_words(value))


_ATOM = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*")


def _mailbox(name: str, address: str) -> str:
    """``name <address>``, the name quoted or encoded as it needs."""
    if not name:
        return address
    if not name.isascii() or "=?" in name:
        return "\r\n ".join(_encoded_words(name)) + f" <{address}>"
    if _ATOM.fullmatch(name):
        return f"{name} <{address}>"
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}" <{address}>'


def _quoted_printable(text: str) -> bytes:
    lines = text.replace("\r\n", "\n").replace("\r", "\n")
    return binascii.b2a_qp(lines.encode(), istext=True).replace(b"\n", b"\r\n")


def _filename_param(name: str) -> str:
    """``filename="…"``, or RFC 2231 ``filename*=utf-8''…`` when the name is not plain ASCII."""
    if name.isascii() and not any(c in name for c in '"\\\r\n'):
        return f'filename="{name}"'
    return "filename*=utf-8''" + quote(name, safe="")


def _binary_part(item: Attachment, disposition: str) -> bytes:
    if "\r" in item.content_type + item.content_id or "\n" in item.content_type + item.content_id:
        raise ValueError(f"a header may not contain a line break: {item.content_type!r}")
    head = [
        f"Content-Type: {item.content_type}",
        "Content-Transfer-Encoding: base64",
        f"Content-Disposition: {disposition}; {_filename_param(item.filename)}",
    ]
    if item.content_id:
        head.append(f"Content-ID: <{item.content_id}>")
    return (
        "\r\n".join(head).encode()
        + b"\r\n\r\n"
        + base64.encodebytes(item.data).replace(b"\n", b"\r\n")
    )


def _multipart(boundary: str, parts: list[bytes]) -> bytes:
    """The body of a multipart: each part behind the boundary, then the closing one. The line
    break before a boundary belongs to the boundary (RFC 2046), so one is always added."""
    out = [b"--" + boundary.encode() + b"\r\n" + part + b"\r\n" for part in parts]
    return b"".join(out) + f"--{boundary}--\r\n".encode()


def prepare(mail: OutgoingEmail) -> PreparedEmail:
    """The message as bytes, UTF-8 throughout: text then HTML (multipart/alternative), inside
    multipart/related with the inline images the HTML shows, inside multipart/mixed with the
    attached files; each level only when it has something to carry."""
    for value in (
        mail.message_id,
        mail.from_name,
        mail.from_address,
        mail.to,
        mail.to_name,
        mail.reply_to,
        mail.subject,
        mail.reference,
    ):
        if "\r" in value or "\n" in value:
            raise ValueError(f"a header may not contain a line break: {value!r}")
    for address in (mail.from_address, mail.to, mail.reply_to):
        if not address.isascii():
            raise ValueError(f"not an ASCII e-mail address: {address!r}")
    boundary = "=_relance_" + hashlib.sha256(mail.message_id.encode()).hexdigest()[:32]
    part = 'Content-Type: text/{}; charset="utf-8"\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n'
    body = _multipart(
        f"{boundary}_a",
        [
            part.format("plain").encode() + _quoted_printable(mail.text),
            part.format("html").encode() + _quoted_printable(mail.html),
        ],
    )
    content_type = f'multipart/alternative;\r\n boundary="{boundary}_a"'
    if mail.inline:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        body = _multipart(
            f"{boundary}_r", [head + body, *(_binary_part(i, "inline") for i in mail.inline)]
        )
        content_type = (
            f'multipart/related;\r\n type="multipart/alternative";\r\n boundary="{boundary}_r"'
        )
    if mail.attachments:
        head = f"Content-Type: {content_type}\r\n\r\n".encode()
        body = _multipart(
            f"{boundary}_m",
            [head + body, *(_binary_part(i, "attachment") for i in mail.attachments)],
        )
        content_type = f'multipart/mixed;\r\n boundary="{boundary}_m"'
    headers = [
        f"From: {_mailbox(mail.from_name, mail.from_address)}",
        f"To: {_mailbox(mail.to_name, mail.to)}",
        *([f"Reply-To: {_mailbox(mail.from_name, mail.reply_to)}"] if mail.reply_to else []),
        _header_text("Subject", mail.subject),
        f"Message-ID: {mail.message_id}",
        f"Date: {formatdate(mail.date_timestamp, localtime=False)}",
        *([_header_text("X-Relance-Reference", mail.reference)] if mail.reference else []),
        "Auto-Submitted: auto-generated",
        "MIME-Version: 1.0",
        f"Content-Type: {content_type}",
    ]
    data = "\r\n".join(headers).encode() + b"\r\n\r\n" + body
    return PreparedEmail(mail.message_id, mail.from_address, (mail.to,), data)


def build_message(mail: OutgoingEmail) -> EmailMessage:
    """The message ``prepare`` writes, as an ``EmailMessage``."""
    msg = email.message_from_bytes(prepare(mail).data, _class=EmailMessage, policy=SMTP)
    assert isinstance(msg, EmailMessage)
    return msg


def message_bytes(msg: EmailMessage) -> bytes:
    return msg.as_bytes(policy=SMTP)
