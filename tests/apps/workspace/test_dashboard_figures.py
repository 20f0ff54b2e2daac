"""The dashboard's money reconciles: "collected" is money that arrived, by the day it arrived;
settlements known only from the accounts are apart; the DSO history counts dated facts only,
checked against a portfolio worked out by hand (issue #15)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.apps.ledger.models import Allocation, Payment
from relance.apps.workspace import figures
from relance.apps.workspace.selectors import dashboard, dso_series
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

D = Decimal
AS_OF = date(2026, 3, 31)


def settle(invoice, amount: str, day: date, *, origin: str = "bank", is_dated: bool = True) -> None:
    """A payment of ``amount`` on ``day`` applied to ``invoice``, as a bank match writes it."""
    payment = Payment.objects.create(
        creditor=invoice.creditor, debtor=invoice.debtor, value_date=day, amount=D(amount),
        origin=origin, is_dated=is_dated,
    )
    Allocation.objects.create(payment=payment, invoice=invoice, amount=D(amount))
    invoice.open_amount -= D(amount)
    invoice.status = "open" if invoice.open_amount else "paid"
    invoice.save()


@pytest.fixture
def portfolio(creditor_a):
    """Three invoices and two bank payments, every fact dated:

    A 900.00 issued 10/01, paid by the bank 10/02; B 1,800.00 issued 05/02, 600.00 of it paid
    15/03; C 2,700.00 issued 01/03. DSO over 90 days of sales, at each month end:
    31/12: no sales, no figure; 31/01: 900 / 900 x 90 = 90;
    28/02: (900 + 1,800 - 900) / 2,700 x 90 = 60; 31/03: (5,400 - 1,500) / 5,400 x 90 = 65.
    """
    debtor = DebtorFactory(creditor=creditor_a)
    a = InvoiceFactory(debtor=debtor, number="A", issue_date=date(2026, 1, 10), total_amount=D("900.00"))
    b = InvoiceFactory(debtor=debtor, number="B", issue_date=date(2026, 2, 5), total_amount=D("1800.00"))
    InvoiceFactory(debtor=debtor, number="C", issue_date=date(2026, 3, 1), total_amount=D("2700.00"))
    settle(a, "900.00", date(2026, 2, 10))
    settle(b, "600.00", date(2026, 3, 15))
    figures.invalidate()
    return debtor


def series(creditor):
    return {p.month_end: p.days for p in dso_series(creditor=creditor, as_of=AS_OF, currency="EUR")[-4:]}


def test_the_dso_history_of_a_hand_made_portfolio(creditor_a, portfolio):
    assert series(creditor_a) == {
        date(2025, 12, 31): None, date(2026, 1, 31): D(90), date(2026, 2, 28): D(60), date(2026, 3, 31): D(65),
    }


def test_a_settlement_the_accounts_gave_without_a_date_leaves_the_months_before_it_unknown(creditor_a, portfolio):
    # D 500.00 issued 20/01, reported settled by a ledger import on 20/03 that gave no date:
    # paid some day between 20/01 and 20/03, so January and February have no figure. March:
    # (5,900 - 900 - 600 - 500) / 5,900 x 90 = 59.49 → 59.
    d = InvoiceFactory(debtor=portfolio, number="D", issue_date=date(2026, 1, 20), total_amount=D("500.00"))
    settle(d, "500.00", date(2026, 3, 20), origin="ledger", is_dated=False)
    assert series(creditor_a) == {
        date(2025, 12, 31): None, date(2026, 1, 31): None, date(2026, 2, 28): None, date(2026, 3, 31): D(59),
    }


def test_the_same_settlement_dated_by_the_file_counts_from_its_date(creditor_a, portfolio):
    # Dated 25/02 by the export: February knows it. 28/02: (3,200 - 900 - 500) / 3,200 x 90 = 50.6 → 51.
    d = InvoiceFactory(debtor=portfolio, number="D", issue_date=date(2026, 1, 20), total_amount=D("500.00"))
    settle(d, "500.00", date(2026, 2, 25), origin="ledger", is_dated=True)
    assert series(creditor_a)[date(2026, 2, 28)] == D(51)
    assert series(creditor_a)[date(2026, 1, 31)] == D(90)  # (1,400) / 1,400 x 90


def test_collected_is_money_that_arrived_and_the_accounts_settlements_are_apart(creditor_a, portfolio):
    d = InvoiceFactory(debtor=portfolio, number="D", issue_date=date(2026, 1, 20), total_amount=D("500.00"))
    settle(d, "500.00", date(2026, 3, 20), origin="ledger", is_dated=False)
    board = dashboard(creditor=creditor_a, as_of=AS_OF)
    assert board.collected_total == D("600.00")  # B's 600 arrived on 15/03; A's 900 in February
    assert board.collected == [("bank", D("600.00"))]
    assert board.settled_per_accounts == D("500.00")


def test_the_dashboard_says_both_in_french(creditor_a, collector_a, today):
    debtor = DebtorFactory(creditor=creditor_a)
    paid = InvoiceFactory(debtor=debtor, number="P", issue_date=today.replace(day=1), total_amount=D("1234.50"))
    told = InvoiceFactory(debtor=debtor, number="T", issue_date=today.replace(day=1), total_amount=D("700.00"))
    settle(paid, "1234.50", today)
    settle(told, "700.00", today, origin="ledger", is_dated=False)
    figures.invalidate()
    page = page_text(collector_a.get("/"))
    collected = page[page.index('id="collected-tile"'):page.index('id="per-accounts-tile"')]
    assert "Encaissé ce mois-ci" in collected
    assert "1\xa0234,50 EUR" in collected
    accounts = page[page.index('id="per-accounts-tile"'):]
    assert "Réglé selon la comptabilité ce mois-ci" in accounts
    assert "700,00 EUR" in accounts[:400]
    table = page[page.index('id="collected"'):]
    assert "Relevé bancaire" in table[:600]
