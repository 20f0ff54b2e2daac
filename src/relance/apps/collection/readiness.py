"""``domain.policy``'s "may go out today" rule as a database filter, for the print batch and the outbox.

The rule itself (which states, which day) is written once, in ``relance.domain.policy``; this
module only says it in the ORM's words, so that ``letters_due`` and the outbox select with one
query what ``policy.may_go_out`` would accept row by row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import reduce
from operator import or_

from django.db.models import Q

from relance.domain import policy


def ready_to_go_out(*, channels: Iterable[str], as_of: date) -> Q:
    """Actions of ``channels`` that ``policy.may_go_out`` lets out on ``as_of``."""
    states = [
        Q(state=r.state)
        if r.requires_approval is None
        else Q(state=r.state, requires_approval=r.requires_approval)
        for r in policy.READY
    ]
    return Q(channel__in=list(channels), planned_date__lte=as_of) & reduce(or_, states)
