"""Set-based helpers shared by the daily pass, the pauses and the actions.

Chunks that stay under SQLite's bound-parameter limit, audit events built from rows, what each
debtor owes now, a creditor's open cases. Imports no other collection module but the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db.models import Sum

from relance.apps.audit.services import EventInput
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    Case,
)
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice

ZERO = Decimal("0.00")


CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lists


T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def rows_events(
    kind: str, subject: str, rows: Iterable[tuple[int, int, dict[str, Any]]], actor: str
) -> list[EventInput]:
    return [
        EventInput(kind, subject, pk, creditor_id, payload, actor)
        for pk, creditor_id, payload in rows
    ]


def open_totals(debtor_ids: Iterable[int]) -> dict[int, Decimal]:
    """What each debtor owes now (open invoices, credit notes included)."""
    ids = list(debtor_ids)
    totals: dict[int, Decimal] = {}
    for part in chunks(ids):
        for debtor_id, total in (
            Invoice.objects.filter(debtor_id__in=part, status=Invoice.Status.OPEN)
            .values_list("debtor_id")
            .annotate(t=Sum("open_amount"))
            .values_list("debtor_id", "t")
        ):
            totals[debtor_id] = total or ZERO
    return totals


def open_cases(creditor: Creditor) -> Any:
    return Case.objects.filter(creditor=creditor, status__in=OPEN_CASE_STATUSES)
