"""Set-based writes keep every value exactly, whatever the database."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.ledger.services import ledger_import

pytestmark = pytest.mark.django_db


def test_names_with_delimiters_and_escapes_survive_the_bulk_write(creditor):
    awkward = 'Dupont \\ Fils "Le Tab\tlier" & Cie'
    text = (
        "invoice_number\tdebtor_account\tdebtor_name\tissue_date\tdue_date\ttotal_amount\topen_amount\n"
        f'FA-1\t411\\X\t"{awkward.replace(chr(34), chr(34) * 2)}"\t2026-01-31\t2026-03-02\t0.01\t0.01\n'
        "FA-2\t411Y\tÉlodie Ñúñez — 10 €\t2026-01-31\t2026-03-02\t123456789012.34\t0\n"
    )
    result = ledger_import(creditor=creditor, stream=io.BytesIO(text.encode()), filename="x.tsv", as_of=date(2026, 4, 1))
    assert result.ok, result.problems
    assert Debtor.objects.get(account="411\\X").name == awkward
    assert Debtor.objects.get(account="411Y").name == "Élodie Ñúñez — 10 €"
    fa2 = Invoice.objects.get(number="FA-2")
    assert (fa2.total_amount, fa2.open_amount, fa2.status) == (Decimal("123456789012.34"), Decimal("0.00"), "paid")
    assert Invoice.objects.get(number="FA-1").due_date == date(2026, 3, 2)
