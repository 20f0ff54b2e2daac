"""A debtor's statement of account as of a day, read from the ledger.

Open amounts follow from allocations (DESIGN.md), so the ledger on an earlier day is the
documents issued by then less the allocations of payments whose funds were available by then:
an invoice's open amount on ``as_of`` is its total less those allocations, and a credit note's
(negative) the same. Money received beyond the invoices (a payment's unallocated part) is a
credit too. The net balance is the open invoices plus the credits.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.db.models import Sum

from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.documents.statement import StatementOfAccount, StatementRow

ZERO = Decimal("0.00")
PAYMENTS_SHOWN = 50


def _lines(*parts: str) -> tuple[str, ...]:
    return tuple(p for p in (" ".join(x.split()) for x in parts) if p)


def _payment_row(reference: str, day: date, origin: str, amount: Decimal) -> StatementRow:
    """A payment as the debtor reads it: the ledger's settlements and the bank's transfers
    named in the statement's words (their stored references are Relance's own notes)."""
    if origin == Payment.Origin.LEDGER:
        return StatementRow("", day, amount, kind="ledger")
    if origin == Payment.Origin.BANK:
        quoted = re.sub(r"^bank line \d+:? ?", "", reference)
        return StatementRow(quoted, day, amount, kind="bank")
    return StatementRow(reference or "—", day, amount)


def debtor_statement(*, debtor: Debtor, as_of: date) -> StatementOfAccount:
    creditor = debtor.creditor
    documents = list(
        Invoice.objects.filter(debtor=debtor, issue_date__lte=as_of).order_by("due_date", "number")
    )
    allocated: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for invoice_id, amount in (
        Allocation.objects.filter(invoice__debtor=debtor, payment__value_date__lte=as_of)
        .values("invoice_id")
        .annotate(total=Sum("amount"))
        .values_list("invoice_id", "total")
    ):
        allocated[invoice_id] = amount or ZERO
    invoices, credits = [], []
    currencies = {d.currency for d in documents} or {"EUR"}
    for doc in documents:
        open_then = doc.total_amount - allocated[doc.pk]
        if doc.kind == Invoice.Kind.INVOICE and open_then > 0:
            invoices.append(
                StatementRow(doc.number, doc.issue_date, open_then, doc.due_date, doc.total_amount)
            )
        elif doc.kind == Invoice.Kind.CREDIT_NOTE and open_then < 0:
            credits.append(StatementRow(doc.number, doc.issue_date, open_then))
    received = list(
        Payment.objects.filter(debtor=debtor, value_date__lte=as_of)
        .exclude(origin=Payment.Origin.CREDIT)
        .annotate(used=Sum("allocations__amount"))
        .order_by("-value_date", "-id")
    )
    for payment in received:
        left = payment.amount - (payment.used or ZERO)
        if left > 0:
            credits.append(_payment_row(payment.reference, payment.value_date, payment.origin, -left))
    # Payments booked by the ledger import carry no debtor: their allocations say whose they are.
    by_payment: dict[int, Decimal] = defaultdict(lambda: ZERO)
    shown: dict[int, tuple[str, date, str]] = {}
    for payment_id, reference, day, origin, amount in (
        Allocation.objects.filter(invoice__debtor=debtor, payment__value_date__lte=as_of)
        .exclude(payment__origin=Payment.Origin.CREDIT)
        .values_list(
            "payment_id", "payment__reference", "payment__value_date", "payment__origin", "amount"
        )
    ):
        by_payment[payment_id] += amount
        shown[payment_id] = (reference, day, origin)
    for payment in received:
        if payment.pk not in by_payment:
            by_payment[payment.pk] = payment.amount
            shown[payment.pk] = (payment.reference, payment.value_date, payment.origin)
        elif payment.amount > by_payment[payment.pk]:
            by_payment[payment.pk] = payment.amount
    payments = sorted(
        (_payment_row(*shown[pk], amount) for pk, amount in by_payment.items()),
        key=lambda row: row.day,
        reverse=True,
    )[:PAYMENTS_SHOWN]
    return StatementOfAccount(
        as_of=as_of,
        currency=sorted(currencies)[0],
        creditor_name=creditor.name,
        creditor_lines=_lines(
            creditor.address, f"{creditor.postal_code} {creditor.city}",
            f"SIREN {creditor.siren}" if creditor.siren else "",
        ),
        debtor_name=debtor.name,
        debtor_account=debtor.account,
        debtor_lines=_lines(debtor.address, f"{debtor.postal_code} {debtor.city}"),
        invoices=tuple(invoices),
        credits=tuple(credits),
        payments=tuple(payments),
    )
