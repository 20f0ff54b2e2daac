"""The outbox's kill points, for the exactly-once tests (``dispatch``).

``RELANCE_TEST_KILL_AT`` (tests only) makes the process SIGKILL itself at a named point:
``before_claim``, ``after_claim``, ``during_smtp`` (message written, before the hand-over of
its group), ``after_hand_over`` (the group's hand-over committed, before its final dots: the
window where a message may be lost: ``uncertain``), ``after_smtp`` (the group's replies read,
250 for this message, before ``sent`` is recorded); ``RELANCE_TEST_KILL_NTH`` picks the n-th time the point is reached (default 1), a
point being reached once per message.
"""

from __future__ import annotations

import os
import signal
from collections import Counter

_reached: Counter[str] = Counter()


def kill_point(name: str) -> None:
    """SIGKILL this process at ``name`` when ``RELANCE_TEST_KILL_AT`` names it (its n-th time)."""
    if os.environ.get("RELANCE_TEST_KILL_AT") != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(os.environ.get("RELANCE_TEST_KILL_NTH", "1")):
        os.kill(os.getpid(), signal.SIGKILL)
