"""The e-mail channel: sent by the outbox, written by ``email_mime``, handed over by ``smtp``.

Must not import ``relance.apps``.
"""

from __future__ import annotations

from dataclasses import dataclass

from relance.channels.base import Delivery
from relance.channels.email_mime import OutgoingEmail, PreparedEmail, prepare
from relance.channels.smtp import SmtpLimits, Transport, transport_from_url


@dataclass(frozen=True)
class EmailChannel:
    name: str = "email"
    delivery: Delivery = "sent"

    def recipient(self, *, email: str, phone: str) -> str:
        return email

    def prepare(self, message: OutgoingEmail) -> PreparedEmail:
        return prepare(message)

    def transport(self, url: str, limits: SmtpLimits | None = None) -> Transport:
        """``RELANCE_EMAIL_URL``'s transport: SMTP (waiting no longer than ``limits``), or a
        folder of ``.eml`` files."""
        return transport_from_url(url, limits)


EMAIL = EmailChannel()
