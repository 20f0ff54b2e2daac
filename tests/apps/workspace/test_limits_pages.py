"""The worklist and the dashboard show, in French, the claims within 90 days of their time limit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from relance.domain.law.dates import add_years
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio(creditor_a, today):
    """A business claim 30 days from its limit, a consumer claim past it, a young one."""
    near = DebtorFactory(creditor=creditor_a, account="411NEAR", name="Garage Proche SARL", kind="business")
    InvoiceFactory(debtor=near, creditor=creditor_a, number="FA-NEAR", due_date=add_years(today, -5) + timedelta(days=30),
                   issue_date=add_years(today, -5), total_amount=Decimal("500.00"))
    gone = DebtorFactory(creditor=creditor_a, account="411GONE", name="Jean Prescrit", kind="consumer")
    InvoiceFactory(debtor=gone, creditor=creditor_a, number="FA-GONE", due_date=add_years(today, -3),
                   issue_date=add_years(today, -3) - timedelta(days=30), total_amount=Decimal("300.00"))
    young = DebtorFactory(creditor=creditor_a, account="411YOUNG", name="Fleurs Récentes", kind="business")
    InvoiceFactory(debtor=young, creditor=creditor_a, number="FA-YOUNG", due_date=today - timedelta(days=40),
                   issue_date=today - timedelta(days=70), total_amount=Decimal("200.00"))


@pytest.mark.parametrize("page", ["workspace:worklist", "workspace:home"])
def test_the_pages_show_the_claims_nearing_their_limit_in_french(collector_a, portfolio, page, today):
    html = collector_a.get(reverse(page)).content.decode()
    assert "Créances proches de la prescription" in html
    section = html[html.index('id="limits"'):]
    section = section[: section.index("</section>")]
    assert "FA-GONE" in section
    assert "Prescrite" in section
    assert "FA-NEAR" in section
    assert ">30<" in section  # days left
    assert "FA-YOUNG" not in section
    assert section.index("FA-GONE") < section.index("FA-NEAR")  # soonest first
