"""The checks the daily pass makes before chasing: recent unmatched credits, a stale feed."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.banking.models import KnownIban
from relance.apps.banking.selectors import (
    bank_feed_stale,
    debtor_has_unmatched_recent_credit,
    debtors_blocked_by_unmatched_credits,
)
from relance.apps.banking.services import statement_import
from tests.apps.banking._helpers import bank_csv
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 20)
IBAN = "FR7610107001011234567890129"


def run(creditor, *lines):
    return statement_import(creditor=creditor, data=bank_csv(*lines), filename="s.csv", as_of=AS_OF)


def test_an_unmatched_recent_credit_from_a_known_iban_blocks_the_debtor(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Boulangerie Martin")
    other = DebtorFactory(creditor=creditor, name="Garage Dupuis")
    InvoiceFactory(debtor=debtor, number="FA-1", total_amount=Decimal("100.00"))
    InvoiceFactory(debtor=debtor, number="FA-2", total_amount=Decimal("999.00"))
    run(creditor, (AS_OF - timedelta(days=20), "100.00", "B MARTIN", IBAN, "FA-1"))
    assert KnownIban.objects.filter(debtor=debtor, iban=IBAN).exists()
    assert not debtor_has_unmatched_recent_credit(debtor=debtor, as_of=AS_OF)

    # Money from the same account that nothing ties to an invoice, under an unrelated name.
    result = run(creditor, (AS_OF - timedelta(days=2), "17.00", "SCI DU PORT", IBAN, "divers"))
    assert result["matched"] == 0

    assert debtor_has_unmatched_recent_credit(debtor=debtor, as_of=AS_OF)
    assert not debtor_has_unmatched_recent_credit(debtor=other, as_of=AS_OF)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) >= {debtor.pk}
    assert other.pk not in debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF)


def test_an_unmatched_credit_under_the_debtor_s_name_blocks_it(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Menuiserie Arnaud SARL")
    other = DebtorFactory(creditor=creditor, name="Pharmacie Centrale")
    run(creditor, (AS_OF - timedelta(days=1), "40.00", "MENUISERIE ARNAUD", "", "merci"))

    assert debtor_has_unmatched_recent_credit(debtor=debtor, as_of=AS_OF)
    assert not debtor_has_unmatched_recent_credit(debtor=other, as_of=AS_OF)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == {debtor.pk}


def test_an_old_or_matched_credit_blocks_nobody(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Menuiserie Arnaud")
    InvoiceFactory(debtor=debtor, number="FA-3", total_amount=Decimal("40.00"))
    run(
        creditor,
        (AS_OF - timedelta(days=6), "10.00", "MENUISERIE ARNAUD", "", "vieux"),
        (AS_OF - timedelta(days=1), "40.00", "MENUISERIE ARNAUD", "", "FA-3"),
    )
    assert not debtor_has_unmatched_recent_credit(debtor=debtor, as_of=AS_OF, days=5)
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF, days=5) == set()
    assert debtor_has_unmatched_recent_credit(debtor=debtor, as_of=AS_OF, days=6)


def test_a_suggested_match_blocks_its_debtor_until_someone_decides(creditor):
    debtor = DebtorFactory(creditor=creditor, name="Transports Lefebvre")
    InvoiceFactory(debtor=debtor, number="FA-4", total_amount=Decimal("480.00"))
    result = run(creditor, (AS_OF, "300.00", "TRANSPORTS LEFEBVRE", "", "virement"))
    assert result["suggested"] == 1
    assert debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=AS_OF) == {debtor.pk}


def test_the_bank_feed_is_stale_when_its_newest_line_is_older_than_allowed(creditor):
    assert bank_feed_stale(creditor=creditor, as_of=AS_OF) is None  # never imported
    run(creditor, (AS_OF - timedelta(days=4), "1.00", "X", "", ""))

    message = bank_feed_stale(creditor=creditor, as_of=AS_OF, max_age_days=3)

    assert message is not None
    assert "2026-03-16" in message
    assert "4 days" in message
    assert bank_feed_stale(creditor=creditor, as_of=AS_OF, max_age_days=4) is None
    run(creditor, (AS_OF - timedelta(days=1), "2.00", "Y", "", ""))
    assert bank_feed_stale(creditor=creditor, as_of=AS_OF) is None
