"""Every channel Relance delivers, in one tuple: adding one is its module and a line here.

Must not import ``relance.apps``.
"""

from __future__ import annotations

from relance.channels.base import Channel, SentChannel
from relance.channels.email import EMAIL
from relance.channels.post import LETTER, REGISTERED_LETTER

CHANNELS: tuple[Channel, ...] = (EMAIL, LETTER, REGISTERED_LETTER)


def sent_channels() -> tuple[SentChannel, ...]:
    """The channels the outbox sends through."""
    return tuple(c for c in CHANNELS if isinstance(c, SentChannel) and c.delivery == "sent")


def sent_channel(name: str) -> SentChannel:
    """The sent channel called ``name``; ``LookupError`` when there is none."""
    for channel in sent_channels():
        if channel.name == name:
            return channel
    raise LookupError(f"no channel {name!r} the outbox sends through")


def printed_channels() -> tuple[str, ...]:
    """The names of the channels printed by the day's batch instead of sent."""
    return tuple(c.name for c in CHANNELS if c.delivery == "printed")
