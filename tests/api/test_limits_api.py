"""The API gives each open invoice its last day to act (prescription), with how it was reached."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.ledger.models import Allocation, Payment
from relance.domain.law.dates import add_years
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_each_open_invoice_has_its_last_day_to_act(collector_a, creditor_a, today):
    gone = DebtorFactory(creditor=creditor_a, account="411GONE", name="Jean Prescrit", kind="consumer")
    InvoiceFactory(debtor=gone, creditor=creditor_a, number="FA-GONE", due_date=add_years(today, -3),
                   issue_date=add_years(today, -3) - timedelta(days=30), total_amount=Decimal("300.00"))
    paid = DebtorFactory(creditor=creditor_a, account="411PART", name="Marie Partielle", kind="consumer")
    part = InvoiceFactory(debtor=paid, creditor=creditor_a, number="FA-PART", due_date=add_years(today, -3),
                          issue_date=add_years(today, -3) - timedelta(days=30), total_amount=Decimal("300.00"))
    payment = Payment.objects.create(creditor=creditor_a, debtor=paid, value_date=add_years(today, -1),
                                     amount=Decimal("50.00"), origin=Payment.Origin.BANK, reference="VIR")
    Allocation.objects.create(payment=payment, invoice=part, amount=Decimal("50.00"))

    body = collector_a.get("/api/invoices", {"open": "true", "page_size": 50}).json()
    limits = {item["number"]: item["limitation"] for item in body["items"]}
    assert limits["FA-GONE"]["expired"] is True
    assert limits["FA-GONE"]["last_day"] == add_years(today, -1).isoformat()
    assert limits["FA-GONE"]["kind"] == "b2c"
    assert "L218-2" in limits["FA-GONE"]["basis"]
    # The partial payment a year ago acknowledged the debt: two new years from then.
    assert limits["FA-PART"]["last_day"] == add_years(add_years(today, -1), 2).isoformat()
    assert limits["FA-PART"]["expired"] is False
    assert limits["FA-PART"]["events"][0]["kind"] == "acknowledgement"
    young = next(item for item in body["items"] if item["number"] not in ("FA-GONE", "FA-PART"))
    assert young["limitation"]["last_day"] == add_years(date_of(young["due_date"]), 5).isoformat()


def date_of(text):
    from datetime import date

    return date.fromisoformat(text)
