"""An e-mail as it was sent (the stored .eml, ``audit.documents``), read back for a person:
its headers, its text, its HTML and its attachments, each part addressed by its number.

The HTML part is shown in a sandboxed frame; its inline images (``cid:``) are written into it
as ``data:`` addresses, so it fetches nothing at all.
"""

from __future__ import annotations

import base64
import email
import re
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

HEADERS = ("From", "To", "Reply-To", "Subject", "Date", "Message-ID")


@dataclass
class Part:
    number: int
    content_type: str
    filename: str
    size: int
    content_id: str
    inline: bool


@dataclass
class SentEmail:
    headers: list[tuple[str, str]]
    text: str
    html: str
    parts: list[Part] = field(default_factory=list)

    @property
    def attachments(self) -> list[Part]:
        return [p for p in self.parts if p.filename or p.content_id]


def is_email(action: Any) -> bool:
    return bool(action.document) and str(action.document.name).endswith(".eml")


def _message(action: Any) -> EmailMessage:
    with action.document.open("rb") as handle:
        data = handle.read()
    message = email.message_from_bytes(data, policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def _leaves(message: EmailMessage) -> list[EmailMessage]:
    return [p for p in message.walk() if not p.is_multipart()]


def sent_email(*, action: Any) -> SentEmail:
    message = _message(action)
    text_part = message.get_body(preferencelist=("plain",))
    html_part = message.get_body(preferencelist=("html",))
    parts = []
    for number, leaf in enumerate(_leaves(message)):
        if leaf is text_part or leaf is html_part:
            continue
        payload = leaf.get_payload(decode=True) or b""
        parts.append(
            Part(
                number=number,
                content_type=leaf.get_content_type(),
                filename=leaf.get_filename() or "",
                size=len(payload) if isinstance(payload, bytes) else 0,
                content_id=(leaf["Content-ID"] or "").strip("<>"),
                inline=(leaf.get_content_disposition() or "") == "inline",
            )
        )
    return SentEmail(
        headers=[(name, str(message[name])) for name in HEADERS if message[name]],
        text=text_part.get_content() if text_part is not None else "",
        html=html_part.get_content() if html_part is not None else "",
        parts=parts,
    )


def sent_email_part(*, action: Any, number: int) -> tuple[str, str, bytes] | None:
    """(content type, file name, bytes) of part ``number``, or None."""
    leaves = _leaves(_message(action))
    if not 0 <= number < len(leaves):
        return None
    leaf = leaves[number]
    payload = leaf.get_payload(decode=True)
    return leaf.get_content_type(), leaf.get_filename() or f"part-{number}", (
        payload if isinstance(payload, bytes) else b""
    )


def html_with_parts(*, action: Any, email_: SentEmail) -> str:
    """The HTML part, each ``cid:`` image written in as a ``data:`` address: the sandboxed
    frame fetches nothing, not even from the workspace (it has no origin to send a cookie
    from)."""
    leaves = _leaves(_message(action))
    by_cid = {p.content_id: p.number for p in email_.parts if p.content_id}

    def swap(found: re.Match[str]) -> str:
        number = by_cid.get(found.group(1))
        if number is None:
            return 'src=""'
        leaf = leaves[number]
        kind = leaf.get_content_type()
        payload = leaf.get_payload(decode=True)
        if not kind.startswith("image/") or not isinstance(payload, bytes):
            return 'src=""'
        return f'src="data:{kind};base64,{base64.b64encode(payload).decode()}"'

    return re.sub(r'src="cid:([^"]+)"', swap, email_.html)
