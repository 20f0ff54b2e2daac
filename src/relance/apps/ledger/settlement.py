"""The settlements a ledger import records: what the export says was paid on an invoice becomes
an allocation from one payment per batch and currency, so that open amounts still follow from
allocations and the batch explains each of them.
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
    """One import's settlement payments, each created when its currency's first settlement
    comes; ``save`` stores their totals at the end."""

    def __init__(self, creditor: Creditor, batch: ImportBatch, as_of: date):
        self.creditor = creditor
        self.batch = batch
        self.as_of = as_of
        self._payments: dict[str, Payment] = {}

    def _payment(self, currency: str) -> Payment:
        # One payment per batch and currency carries every settlement the export reports, so
        # open amounts still follow from allocations and the batch explains each of them.
        payment = self._payments.get(currency)
        if payment is None:
            payment = Payment.objects.create(
                creditor=self.creditor,
                value_date=self.as_of,
                amount=ZERO,
                currency=currency,
                reference=f"ledger import #{self.batch.pk} ({self.batch.filename})",
                origin=Payment.Origin.LEDGER,
                is_dated=False,  # the export says what was settled, not when
                import_batch=self.batch,
            )
            self._payments[currency] = payment
        return payment

    def allocate(self, allocations: list[tuple[int, str, Decimal]]) -> None:
        """Record the settlements the export reports; invoices already carry their new open amount."""
        if not allocations:
            return
        now = timestamp_value(timezone.now())
        payments: dict[str, int] = {}
        rows: list[tuple[int, int, Decimal, str]] = []
        add = rows.append
        for invoice_id, currency, amount in allocations:
            payment_id = payments.get(currency)
            if payment_id is None:
                payment_id = payments[currency] = self._payment(currency).pk
            add((payment_id, invoice_id, amount, now))
        for currency in payments:
            self._payments[currency].amount += sum(
                [amount for _, kind, amount in allocations if kind == currency], ZERO
            )
        bulk_insert("ledger_allocation", ("payment_id", "invoice_id", "amount", "created_at"), rows)

    def save(self) -> None:
        """Store each payment's amount: the sum of the settlements it carries."""
        for payment in self._payments.values():
            payment.save(update_fields=["amount"])
