"""The ``Channel`` protocol: how an action of each channel leaves Relance.

A scenario step names a channel (``email``, ``letter``, ``registered_letter``, ``sms``,
``call``). Each channel Relance delivers is one module here implementing ``Channel`` and one
line in ``registry.CHANNELS``; nothing else names it:

- a *sent* channel (``SentChannel``: e-mail today) goes through the outbox, exactly once: the
  outbox composes the message, the channel writes it for the wire (``prepare``) and opens the
  ``Transport`` that hands it over in groups (``relance.channels.smtp``);
- a *printed* channel (the letters) is never sent by the outbox: its actions wait for the
  day's print batch (``relance letters batch``), which prints, stores and marks them sent.

SMS is not delivered yet: it will be a sent channel (``channels/sms.py`` with its transport,
one line in the registry). Must not import ``relance.apps``.
"""

from __future__ import annotations

from typing import Literal, Protocol, runtime_checkable

from relance.channels.email_mime import OutgoingEmail, PreparedEmail
from relance.channels.smtp import SmtpLimits, Transport

Delivery = Literal["sent", "printed"]


@runtime_checkable
class Channel(Protocol):
    """A way of reaching a debtor: its name in the scenarios, and how its actions leave."""

    @property
    def name(self) -> str: ...

    @property
    def delivery(self) -> Delivery: ...


@runtime_checkable
class SentChannel(Channel, Protocol):
    """A channel the outbox sends through: the composed message written for the wire, and the
    transport that hands it over."""

    def recipient(self, *, email: str, phone: str) -> str:
        """The debtor's address on this channel; "" when it has none."""
        ...

    def prepare(self, message: OutgoingEmail) -> PreparedEmail: ...

    def transport(self, url: str, limits: SmtpLimits | None = None) -> Transport: ...
