"""The flat 40 € indemnity exists only for payment periods that began from 1 January 2013.

Décret n° 2012-1115 (D441-5), applying loi n° 2012-387 art. 121: due "en cas de retard de
paiement de toute créance dont le délai de paiement aura commencé à courir après" 1 January
2013. The payment period runs from the invoice, so the invoice's issue date governs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.law import compute_interest, penalties_on_invoice

D = Decimal


def test_an_invoice_of_2012_owes_interest_but_no_indemnity():
    # Issued 15/11/2012, due 15/12/2012, paid 14/01/2013:
    #   16/12 → 31/12/2012: 16 days at 2012 H2 = 1.00 + 10 = 11.00 %: 1000 × 0.11 × 16 / 365
    #     = 4.821918
    #   01/01 → 14/01/2013: 14 days at 2013 H1 = 0.75 + 10 = 10.75 %: 1000 × 0.1075 × 14 / 365
    #     = 4.123288
    #   total 8.945206 → 8.95; no indemnity.
    c = penalties_on_invoice(
        regime="fr-b2b",
        principal=D("1000.00"),
        issue_date=date(2012, 11, 15),
        due_date=date(2012, 12, 15),
        as_of=date(2013, 1, 14),
    )
    assert (c.interest, c.indemnity, c.penalties_total) == (D("8.95"), D("0.00"), D("8.95"))
    assert c.indemnity_basis == ""
    assert "15/11/2012" in c.warnings[0]
    assert "2012-1115" in c.warnings[0]


def test_the_issue_date_governs_not_the_due_date():
    # Issued 20/12/2012 and due 19/02/2013: the payment period began in 2012.
    late_2012 = compute_interest(
        regime="fr-b2b",
        principal=D("1000.00"),
        start=date(2013, 2, 19),
        end=date(2013, 3, 21),
        issue_date=date(2012, 12, 20),
    )
    assert late_2012.indemnity == D("0.00")
    # Issued 2/1/2013 and due the same day: the period began in 2013, the indemnity is due.
    early_2013 = compute_interest(
        regime="fr-b2b",
        principal=D("1000.00"),
        start=date(2013, 1, 2),
        end=date(2013, 2, 1),
        issue_date=date(2013, 1, 1),
    )
    assert (early_2013.indemnity, early_2013.warnings) == (D("40.00"), ())


@pytest.mark.parametrize(
    ("due", "indemnity", "warning"),
    [
        (date(2012, 12, 31), "0.00", "antérieure au 01/01/2013"),  # began in 2012 for sure
        (date(2013, 3, 1), "0.00", "Indiquez la date de la facture"),  # may have begun in 2012
        (date(2013, 6, 30), "0.00", "Indiquez la date de la facture"),
        (date(2013, 7, 1), "40.00", None),  # six months on: no lawful term is that long
        (date(2019, 5, 31), "40.00", None),
    ],
)
def test_without_the_issue_date_the_due_date_decides_only_when_it_proves_something(
    due, indemnity, warning
):
    c = penalties_on_invoice(
        regime="fr-b2b", principal=D("500.00"), due_date=due, as_of=date(2019, 12, 31)
    )
    assert c.indemnity == D(indemnity)
    if warning is None:
        assert not [w for w in c.warnings if "indemnité" in w.lower()]
    else:
        assert warning in c.warnings[0]


def test_the_eu_directive_indemnity_starts_with_its_transposition_on_16_march_2013():
    before = compute_interest(
        regime="eu-b2b",
        principal=D("1000.00"),
        start=date(2013, 4, 15),
        end=date(2013, 5, 15),
        issue_date=date(2013, 3, 15),
    )
    after = compute_interest(
        regime="eu-b2b",
        principal=D("1000.00"),
        start=date(2013, 4, 16),
        end=date(2013, 5, 16),
        issue_date=date(2013, 3, 16),
    )
    assert (before.indemnity, after.indemnity) == (D("0.00"), D("40.00"))
    assert "16/03/2013" in before.warnings[0]


def test_a_waived_indemnity_gives_no_warning_about_its_date():
    c = compute_interest(
        regime="fr-b2b",
        principal=D("1000.00"),
        start=date(2012, 12, 15),
        end=date(2013, 1, 14),
        with_indemnity=False,
    )
    assert (c.indemnity, c.warnings) == (D("0.00"), ())
