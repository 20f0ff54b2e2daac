"""The one word a debtor's state comes to, for the debtors list and the debtor page.

Read for a page of debtors at a time (three queries whatever its size): the flags a person set
(hold, do not contact) first, then the case (legal, plan, paused), an open dispute, an active
chase, and for a debtor without an open case whether anything is overdue.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from relance.apps.ledger.models import Debtor, Invoice


def debtor_states(*, debtors: Sequence[Debtor], as_of: date) -> dict[int, str]:
    """Each debtor's state code (``views.labels.STATE_LABELS``)."""
    from relance.apps.collection.models import Case, Dispute

    ids = [d.pk for d in debtors]
    if not ids:
        return {}
    cases: dict[int, str] = {}
    for debtor_id, status in Case.objects.filter(debtor_id__in=ids).order_by(
        "debtor_id", "-id"
    ).values_list("debtor_id", "status"):
        cases.setdefault(debtor_id, status)  # the latest case of each debtor
    disputed = set(
        Dispute.objects.filter(
            invoice__debtor_id__in=ids, status=Dispute.Status.OPEN
        ).values_list("invoice__debtor_id", flat=True)
    )
    overdue = set(
        Invoice.objects.filter(
            debtor_id__in=ids, status=Invoice.Status.OPEN, open_amount__gt=0, due_date__lt=as_of
        ).values_list("debtor_id", flat=True).distinct()
    )
    states = {}
    for debtor in debtors:
        case = cases.get(debtor.pk)
        if debtor.is_legal_hold:
            state = "hold"
        elif debtor.is_do_not_contact:
            state = "do_not_contact"
        elif case == Case.Status.LEGAL:
            state = "legal"
        elif debtor.pk in disputed:
            state = "disputed"
        elif case == Case.Status.PLAN:
            state = "plan"
        elif case == Case.Status.PAUSED:
            state = "paused"
        elif case == Case.Status.ACTIVE:
            state = "chased"
        elif debtor.pk in overdue:
            state = "not_started"
        elif case == Case.Status.CLOSED_PAID:
            state = "closed_paid"
        elif case == Case.Status.CLOSED_WRITTEN_OFF:
            state = "written_off"
        else:
            state = "up_to_date"
        states[debtor.pk] = state
    return states
