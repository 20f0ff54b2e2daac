"""Set-based helpers shared by the daily pass, the pauses and the actions.

Chunks that stay under SQLite's bound-parameter limit, audit events built from rows, what each
debtor owes now, a creditor's open cases. Imports no other collection module but the models.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from django.db import connection
from django.db.models import FileField, JSONField, Model, Sum
from django.utils import timezone

from relance.apps.audit.services import EventInput
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    Case,
)
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import bulk_insert, timestamp_value
from relance.apps.ledger.models import Invoice

ZERO = Decimal("0.00")


CHUNK = 900  # stays under SQLite's bound-parameter limit in IN (...) lists


T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def instances_insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> int:
    """``bulk_create(objs)`` through the project's bulk path (``ledger.bulk.bulk_insert``):
    binary COPY on PostgreSQL, INSERTs sized to SQLite's real variable limit. ``bulk_create``
    prepared each of the pass's 1.85 million values through the ORM and, assuming SQLite's old
    999-variable limit, sent 37 actions a statement: most of the pass's writing time. Values
    are taken as they stand on the unsaved instances (the fields' defaults included); the
    timestamps are stamped now, JSON written as the field stores it, a file as its name.
    Nothing is read back: callers find their rows (``run_token``, the open cases)."""
    if not objs:
        return 0
    model = type(objs[0])
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    values = operator.attrgetter(*(f.attname for f in fields))
    now = timestamp_value(timezone.now())
    convert: list[tuple[int, Callable[[Any], Any]]] = []
    for i, f in enumerate(fields):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            convert.append((i, lambda _value: now))
        elif isinstance(f, JSONField) and connection.vendor == "sqlite":
            convert.append((i, functools.partial(json.dumps, cls=f.encoder)))
        elif isinstance(f, FileField):
            convert.append((i, lambda value: value.name or ""))
    rows = []
    for obj in objs:
        row = list(values(obj))
        for i, to_db in convert:
            row[i] = to_db(row[i])
        rows.append(row)
    return bulk_insert(
        model._meta.db_table, [f.column for f in fields], rows, ignore_conflicts=ignore_conflicts
    )


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
