"""The settlements a ledger import records: what the export says was paid on an invoice becomes
an allocation from one payment per batch, currency and payment date, so that open amounts still
follow from allocations and the batch explains each of them.

A settlement the export dates (its paid_date column) is a payment of that day; one it does not
date is a payment of the import's day marked undated (``Payment.is_dated``).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.utils import timezone

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import bulk_insert, timestamp_value
from relance.apps.ledger.models import ImportBatch, Payment

ZERO = Decimal("0.00")


class Settlements:
    """One import's settlement payments, each created when the first settlement of its currency
    and date comes; ``save`` stores their totals at the end."""

    def __init__(self, creditor: Creditor, batch: ImportBatch, as_of: date):
        self.creditor = creditor
        self.batch = batch
        self.as_of = as_of
        self._payments: dict[tuple[str, date | None], Payment] = {}

    def _payment(self, key: tuple[str, date | None]) -> Payment:
        # One payment per batch, currency and date carries every settlement the export reports
        # for them, so open amounts still follow from allocations and the batch explains each.
        payment = self._payments.get(key)
        if payment is None:
            currency, paid_date = key
            payment = Payment.objects.create(
                creditor=self.creditor,
                value_date=paid_date or self.as_of,
                amount=ZERO,
                currency=currency,
                reference=f"ledger import #{self.batch.pk} ({self.batch.filename})",
                origin=Payment.Origin.LEDGER,
                is_dated=paid_date is not None,  # else the export said what, not when
                import_batch=self.batch,
            )
            self._payments[key] = payment
        return payment

    def allocate(self, allocations: list[tuple[int, str, Decimal, date | None]]) -> None:
        """Record the settlements the export reports (invoice, currency, amount, the day the
        export says it was paid or None); invoices already carry their new open amount."""
        if not allocations:
            return
        now = timestamp_value(timezone.now())
        payments: dict[tuple[str, date | None], int] = {}
        totals: dict[tuple[str, date | None], Decimal] = {}
        rows: list[tuple[int, int, Decimal, str]] = []
        add = rows.append
        for invoice_id, currency, amount, paid_date in allocations:
            key = (currency, paid_date)
            payment_id = payments.get(key)
            if payment_id is None:
                payment_id = payments[key] = self._payment(key).pk
                totals[key] = ZERO
            totals[key] += amount
            add((payment_id, invoice_id, amount, now))
        for key, total in totals.items():
            self._payments[key].amount += total
        bulk_insert("ledger_allocation", ("payment_id", "invoice_id", "amount", "created_at"), rows)

    def save(self) -> None:
        """Store each payment's amount: the sum of the settlements it carries."""
        for payment in self._payments.values():
            payment.save(update_fields=["amount"])
