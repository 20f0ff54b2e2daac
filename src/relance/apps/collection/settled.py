"""Closing the cases of debtors who owe nothing more: each morning for a whole creditor (the
daily pass), or at once for one debtor when a person has just applied a payment (the cash page).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import Exists, OuterRef

from relance.apps.audit.services import events_record
from relance.apps.collection.bulk import chunks, open_cases, rows_events
from relance.apps.collection.models import PENDING_ACTION_STATES, Action, Case
from relance.apps.collection.pass_dates import pass_horizon
from relance.apps.collection.results import RunResult
from relance.apps.collection.scenarios import scenarios_with_defaults
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice


def case_close_if_settled(*, debtor: Debtor, as_of: date, actor: str) -> tuple[int, int]:
    """What the next pass would do for this one debtor, done now (a person just applied a
    payment): close its case when nothing it chases is open, cancel what was pending.
    Returns (cases closed, actions cancelled)."""
    lead = max([0, *(engine_s.lead_days for engine_s in scenarios_with_defaults()[0].values())])
    result = RunResult(as_of=as_of)
    cases_close_settled(
        creditor=debtor.creditor, as_of=as_of, lead=lead, result=result, actor=actor,
        debtor_id=debtor.pk,
    )
    return result.cases["closed_paid"], result.actions["cancelled"]


def cases_close_settled(
    *, creditor: Creditor, as_of: date, lead: int, result: RunResult, actor: str,
    debtor_id: int | None = None,
) -> None:
    """Close the cases of debtors who owe nothing the scenario would chase; cancel what is pending.

    Closed only on a fact: every invoice the chase covers was paid or settled (its open amount
    is zero, or it is no longer open). The invoices covered are reckoned up to the creditor's
    last real pass when ``as_of`` is earlier (a dry run's day): a day before the invoices fell
    due never makes them look paid."""
    horizon = pass_horizon(creditor=creditor, as_of=as_of)
    chasable = Invoice.objects.filter(
        debtor_id=OuterRef("debtor_id"),
        status=Invoice.Status.OPEN,
        open_amount__gt=0,
        due_date__lte=horizon + timedelta(days=lead),
    )
    cases = open_cases(creditor)
    if debtor_id is not None:
        cases = cases.filter(debtor_id=debtor_id)
    # A case in the legal stage closes on payment too: the debt it was for is gone.
    settled = list(
        cases
        .filter(~Exists(chasable))
        .values_list("pk", "debtor_id")
    )
    if not settled:
        return
    ids = [pk for pk, _ in settled]
    cancelled: list[tuple[int, int, dict[str, Any]]] = []
    for part in chunks(ids):
        pending = list(
            Action.objects.filter(case_id__in=part, state__in=PENDING_ACTION_STATES).values_list(
                "pk", "step_key"
            )
        )
        Action.objects.filter(pk__in=[p for p, _ in pending]).update(
            state=Action.State.CANCELLED, reason="paid"
        )
        cancelled += [(p, creditor.pk, {"step": k, "reason": "paid"}) for p, k in pending]
        Case.objects.filter(pk__in=part).update(
            status=Case.Status.CLOSED_PAID, closed_on=as_of, paused_until=None, pause_reason=""
        )
    events_record(
        events=rows_events(
            "case.closed_paid",
            "case",
            [(pk, creditor.pk, {"debtor": d, "as_of": as_of}) for pk, d in settled],
            actor,
        )
        + rows_events("action.cancelled", "action", cancelled, actor)
    )
    result.cases["closed_paid"] += len(settled)
    result.actions["cancelled"] += len(cancelled)
