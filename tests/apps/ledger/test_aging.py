"""Aging buckets by days past due, per currency and per debtor, and DSO."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.ledger.selectors import aging_report
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 6, 30)


def test_each_invoice_falls_in_the_bucket_of_its_days_past_due(creditor):
    debtor = DebtorFactory(creditor=creditor)
    for days_late, amount in [(0, "1"), (1, "10"), (30, "20"), (31, "100"), (60, "200"),
                              (61, "1000"), (90, "2000"), (91, "10000"), (-5, "3")]:
        InvoiceFactory(debtor=debtor, creditor=creditor, due_date=AS_OF - timedelta(days=days_late),
                       issue_date=AS_OF - timedelta(days=days_late + 30), total_amount=Decimal(amount))
    InvoiceFactory(debtor=debtor, creditor=creditor, due_date=AS_OF - timedelta(days=200),
                   total_amount=Decimal("5"), open_amount=Decimal("0"), status="paid")
    report = aging_report(creditor=creditor, as_of=AS_OF)
    (eur,) = report.as_dict()["totals"]
    assert {k: eur[k] for k in ("not_due", "1_30", "31_60", "61_90", "over_90", "total")} == {
        "not_due": "4.00", "1_30": "30.00", "31_60": "300.00", "61_90": "3000.00", "over_90": "10000.00",
        "total": "13334.00",
    }


def test_by_debtor_lists_the_most_overdue_first_and_currencies_apart(creditor):
    small, big = DebtorFactory(creditor=creditor), DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=small, creditor=creditor, due_date=AS_OF - timedelta(days=10), total_amount=Decimal("50"))
    InvoiceFactory(debtor=big, creditor=creditor, due_date=AS_OF - timedelta(days=100), total_amount=Decimal("5000"))
    InvoiceFactory(debtor=big, creditor=creditor, due_date=AS_OF - timedelta(days=100), total_amount=Decimal("70"), currency="GBP")
    report = aging_report(creditor=creditor, as_of=AS_OF, by_debtor=True).as_dict()
    assert [(d["debtor_account"], d["currency"]) for d in report["debtors"]] == [
        (big.account, "EUR"), (big.account, "GBP"), (small.account, "EUR"),
    ]
    assert [t["currency"] for t in report["totals"]] == ["EUR", "GBP"]


def test_dso_relates_receivables_to_recent_sales(creditor):
    debtor = DebtorFactory(creditor=creditor)
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=AS_OF - timedelta(days=10),
                   due_date=AS_OF + timedelta(days=20), total_amount=Decimal("900"), open_amount=Decimal("300"))
    report = aging_report(creditor=creditor, as_of=AS_OF).as_dict()
    assert report["dso"]["by_currency"]["EUR"]["days"] == "30.0"  # 300 / 900 * 90
