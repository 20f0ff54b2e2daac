"""Reading collection: actions (the worklist and the approval queue), cases."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from relance.apps.collection.models import Action, Case
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor


def actions_list(
    *, creditor: Creditor | None = None, state: str | None = None, as_of: date | None = None,
    channel: str | None = None, awaiting_approval: bool = False,
) -> QuerySet[Action]:
    """Actions by state; with ``as_of``, those planned for that day (the day's worklist)."""
    qs = Action.objects.select_related("debtor").order_by("planned_date", "id")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    if state:
        qs = qs.filter(state=state)
    if awaiting_approval:
        qs = qs.filter(state=Action.State.PLANNED, requires_approval=True)
    if as_of is not None:
        qs = qs.filter(planned_date=as_of)
    if channel:
        qs = qs.filter(channel=channel)
    return qs


def action_as_dict(a: Action) -> dict[str, Any]:
    return {
        "id": a.pk,
        "debtor_account": a.debtor.account,
        "debtor_name": a.debtor.name,
        "step": a.step_key,
        "channel": a.channel,
        "planned_date": a.planned_date,
        "state": a.state,
        "awaiting_approval": a.state == Action.State.PLANNED and a.requires_approval,
        "reason": a.reason,
        "idempotency_key": a.idempotency_key,
        "message_id": a.message_id,
        "sha256": a.sha256,
        "attempts": a.attempts,
        "error": a.error,
        "phone": a.debtor.phone if a.channel == "call" else "",
    }


def cases_list(*, creditor: Creditor | None = None, status: str | None = None) -> QuerySet[Case]:
    qs = Case.objects.select_related("debtor", "scenario")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    if status:
        qs = qs.filter(status=status)
    return qs


def debtors_written_off(*, creditor: Creditor) -> dict[int, str]:
    """The debtors whose latest case was written off (``legal/write_off.py``), each with the
    reason the daily pass holds it under: it never chases them again."""
    from django.db.models import Max

    latest = dict(
        Case.objects.filter(creditor=creditor).values("debtor_id").annotate(m=Max("cycle"))
        .values_list("debtor_id", "m")
    )
    ended = Case.objects.filter(creditor=creditor, status=Case.Status.CLOSED_WRITTEN_OFF)
    return {d: "written_off" for d, c in ended.values_list("debtor_id", "cycle") if latest.get(d) == c}


def debtor_flags(*, creditor: Creditor) -> dict[int, tuple[str, bool, bool]]:
    """Per debtor of ``creditor``: kind, do-not-contact, legal hold. The pass reads them apart
    from its grouped positions: grouping on the debtor's columns too (a join per invoice)
    sorts far more than grouping by ``debtor_id`` alone."""
    return {
        pk: (kind, dnc, hold)
        for pk, kind, dnc, hold in Debtor.objects.filter(creditor=creditor).values_list(
            "pk", "kind", "is_do_not_contact", "is_legal_hold"
        )
    }
