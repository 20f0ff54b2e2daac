"""The pass holds a debtor who may just have paid: a recent bank credit under its name that
nobody has matched yet. Fails if the pass stops asking banking (issue 13: that hold used to be
reached through ``try/except ImportError`` and ``getattr``, so a rename silently dropped it)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.banking.services import statement_import
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case
from tests.apps.banking._helpers import bank_csv
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)  # Monday
AS_OF = DUE + timedelta(days=3)  # the reminder's day in the B2B scenario


def overdue(creditor, name, account):
    debtor = DebtorFactory(creditor=creditor, name=name, account=account, kind="business")
    InvoiceFactory(
        debtor=debtor, creditor=creditor, number=f"FA-{account}", issue_date=DUE - timedelta(days=30),
        due_date=DUE, total_amount=Decimal("1200.00"),
    )
    return debtor


def test_a_debtor_with_a_recent_unmatched_credit_is_held_and_the_others_are_chased(creditor, outbox):
    payer = overdue(creditor, "Menuiserie Arnaud SARL", "411ARNAUD")
    other = overdue(creditor, "Pharmacie Centrale", "411CENTRALE")
    # Yesterday's credit under the debtor's name, tied to no invoice: it may be its payment.
    imported = statement_import(
        creditor=creditor,
        data=bank_csv((AS_OF - timedelta(days=1), "40.00", "MENUISERIE ARNAUD", "", "merci")),
        filename="releve.csv",
        as_of=AS_OF,
    )
    assert imported["matched"] == 0

    result = collection_run(creditor=creditor, as_of=AS_OF)

    assert result.held["unmatched_credit"] == 1
    assert result.as_dict()["held"] == {"unmatched_credit": 1}
    assert not Action.objects.filter(debtor=payer).exists()
    assert not Case.objects.filter(debtor=payer).exists()
    assert Action.objects.filter(debtor=other, state="sent").count() == 1
    assert result.actions["sent"] == 1
