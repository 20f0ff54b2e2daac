"""The letter channels: printed, never sent by the outbox.

Their actions are queued for the day's print batch (``relance letters batch``), which prints
them into one PDF, stores each letter as proof and marks it sent; a registered letter then
waits for its tracking number and acknowledgement (``relance letters deliver``).

Must not import ``relance.apps``.
"""

from __future__ import annotations

from dataclasses import dataclass

from relance.channels.base import Delivery


@dataclass(frozen=True)
class PrintedChannel:
    name: str
    delivery: Delivery = "printed"


LETTER = PrintedChannel("letter")
REGISTERED_LETTER = PrintedChannel("registered_letter")
