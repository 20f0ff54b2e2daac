"""Reads for the worklist: today's calls and the actions awaiting approval, each paged, and one
action of the creditor's; without the collection app, the most overdue debtors to call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.core.paginator import Page, Paginator

from relance.apps.creditors.models import Creditor
from relance.apps.workspace.debtor_selectors import debtors_search
from relance.apps.workspace.selectors import collection_ready
from relance.domain.errors import NotFoundError

# --- worklist -------------------------------------------------------------------------------------


# A call card carries six outcome forms: ten cards is what a page renders well within 300 ms.
CALLS_PAGE_SIZE = 10


APPROVALS_PAGE_SIZE = 20
LIMITS_SHOWN = 50  # claims nearing their time limit, soonest first


@dataclass
class Worklist:
    source: str  # "collection" or "ledger"
    calls: list[Any]  # the calls on the page asked for (the debtors to call, without collection)
    approvals: list[Any]  # the approvals on the page asked for
    calls_page: Page[Any] | None = None
    approvals_page: Page[Any] | None = None
    # Open claims within 90 days of their last day to act (or past it), soonest first.
    limits: list[Any] = field(default_factory=list)
    # What the key dates of the cases in the legal stage call for today, by day.
    legal: list[Any] = field(default_factory=list)


def worklist(
    *, creditor: Creditor, as_of: date, limit: int = 50, calls_page: Any = 1, approvals_page: Any = 1,
    per_page: tuple[int, int] = (CALLS_PAGE_SIZE, APPROVALS_PAGE_SIZE),
) -> Worklist:
    """Today's calls and the actions waiting for approval, each list paged (``per_page``: calls,
    approvals on a page; oldest first); without collection, the ``limit`` most overdue debtors."""
    if collection_ready():
        from relance.apps.collection.models import Action

        pending = Action.objects.filter(creditor=creditor, state__in=("planned", "approved")).select_related("debtor")
        calls = pending.filter(channel="call", planned_date__lte=as_of).order_by("planned_date", "id")
        approvals = pending.filter(requires_approval=True, state="planned").order_by("planned_date", "id")
        on_calls = Paginator(calls, per_page[0]).get_page(calls_page)
        on_approvals = Paginator(approvals, per_page[1]).get_page(approvals_page)
        from relance.apps.collection.legal_stage import legal_reminders_due
        from relance.apps.collection.limits import limit_rows, nearing_limits

        return Worklist("collection", list(on_calls.object_list), list(on_approvals.object_list), on_calls,
                        on_approvals, limit_rows(nearing_limits(creditor=creditor, as_of=as_of)[:LIMITS_SHOWN], as_of),
                        legal_reminders_due(creditor=creditor, as_of=as_of))
    debtors = debtors_search(creditor=creditor, as_of=as_of, filters=("overdue",), sort="overdue")
    listed = list(debtors.exclude(phone="").filter(is_do_not_contact=False, is_legal_hold=False)[:limit])
    for debtor in listed:
        debtor.days_overdue = (as_of - debtor.oldest_due).days if debtor.oldest_due else 0  # type: ignore[attr-defined]
    return Worklist("ledger", listed, [])


def action_get(*, creditor: Creditor, action_id: int) -> Any:
    if not collection_ready():
        raise NotFoundError("no collection actions in this install")
    from relance.apps.collection.models import Action

    action = Action.objects.filter(creditor=creditor, pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action
