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


def debtor_ranking(*, creditor: Creditor, as_of: date, sort: str, overdue_only: bool) -> list[int]:
    """Every debtor id of ``creditor`` in list order for ``sort`` ("overdue" or "days")."""
    from relance.apps.workspace.debtor_selectors import debtors_search

    def compute() -> list[int]:
        filters = ("overdue",) if overdue_only else ()
        qs = debtors_search(creditor=creditor, as_of=as_of, filters=filters, sort=sort)
        return list(qs.values_list("id", flat=True))

    return kept(
        f"ranking:{sort}:{int(overdue_only)}", creditor=creditor, as_of=as_of, compute=compute
    )


def warm(*, creditor: Creditor, as_of: date) -> None:
    """Compute the kept figures now, right after an import moved the ledger's stamp, so that
    the next dashboard or debtor list answers at once instead of the first person to open it
    waiting seconds (the cache is shared by every server process: settings, CACHES)."""
    from relance.apps.workspace.selectors import dashboard

    dashboard(creditor=creditor, as_of=as_of)
    debtor_ranking(creditor=creditor, as_of=as_of, sort="overdue", overdue_only=False)


def invalidate() -> None:
    """Forget every kept figure (tests, and a command after editing the ledger by hand)."""
    cache.clear()


__all__ = ["CACHE_SECONDS", "debtor_ranking", "invalidate", "kept", "ledger_stamp", "warm"]
