"""Figures over a creditor's whole ledger, kept between requests until the ledger changes.

Ranking 200,000 debtors by what they owe, or the aging and DSO of 1,000,000 invoices, reads
every open invoice: seconds, where a page must answer in 300 ms. So these figures are computed
once and kept in Django's cache under the creditor, the date, and a stamp of the ledger.

The stamp is the largest id of the invoices, the allocations and the import batches. An amount
or a due date only moves through an import (a new batch), a payment applied or reversed (a new
allocation: ``open_amount`` is the total less the allocations, written in the same transaction)
or a new invoice, so any change that can move a figure moves the stamp, and the next view
computes afresh. Edits made outside the services (the admin) are caught by the time limit.
Collection state (disputes, plans, holds, promises) is never cached: it is read per request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from django.core.cache import cache
from django.db.models import Subquery

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, ImportBatch, Invoice

T = TypeVar("T")
CACHE_SECONDS = 15 * 60


def ledger_stamp(creditor: Creditor) -> str:
    """Moves whenever an invoice's amount, status or due date can have changed (one query)."""
    last = {
        name: Subquery(model.objects.order_by("-id").values("id")[:1])
        for name, model in (("i", Invoice), ("a", Allocation), ("b", ImportBatch))
    }
    row = Creditor.objects.filter(pk=creditor.pk).values(**last).first() or {}
    return "-".join(str(row.get(name) or 0) for name in last)


def kept(
    name: str,
    *,
    creditor: Creditor,
    as_of: date,
    compute: Callable[[], T],
    stamp: str | None = None,
    seconds: int = CACHE_SECONDS,
) -> T:
    """``compute()``, or what it gave for the same creditor, date and stamp (by default the
    ledger's), for at most ``seconds``.

    The creditor's creation time is part of the key: a database rebuilt from scratch (tests,
    a fresh install) may hand out the same ids again, never the same moment.
    """
    stamp = ledger_stamp(creditor) if stamp is None else stamp
    key = f"relance:{name}:{creditor.pk}:{creditor.created_at.timestamp()}:{as_of}:{stamp}"
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value  # type: ignore[no-any-return]


def invalidate() -> None:
    """Forget every kept figure (tests, and a command after editing the ledger by hand)."""
    cache.clear()


__all__ = ["CACHE_SECONDS", "invalidate", "kept", "ledger_stamp"]
