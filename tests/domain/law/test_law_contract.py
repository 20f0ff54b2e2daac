"""The creditor's own rate: a multiple of the taux légal (at least 3, C. com. L441-10 II), with
the terms that stipulate it cited in each period's basis. Figures computed by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.errors import InvalidInputError
from relance.domain.law import compute_interest, penalties_on_invoice


def test_a_multiple_of_the_taux_legal_follows_each_semester_with_its_terms_cited():
    # 3.5 × 3.71 % (2025 H1) = 12.985 % for 91 days: 10,000 × 12.985 % × 91 / 365 = 323.73;
    # 3.5 × 2.76 % (2025 H2) = 9.66 % for 62 days: 164.09. Total 487.82.
    result = compute_interest(regime="fr-b2b", principal=Decimal("10000.00"), start=date(2025, 3, 31),
                              end=date(2025, 8, 31), contract_multiple=Decimal("3.5"),
                              terms_reference="CGV 2025, art. 9")
    assert [(p.rate, p.days) for p in result.periods] == [(Decimal("12.985"), 91), (Decimal("9.660"), 62)]
    assert result.interest == Decimal("487.82")
    assert result.periods[0].basis == (
        "Taux contractuel : 3,5 × le taux légal 2025 H1 (3,71 %) — CGV 2025, art. 9 (C. com. L441-10 II)")
    assert result.warnings == ()


def test_a_multiple_below_three_is_refused():
    with pytest.raises(InvalidInputError, match="below the floor of 3 × the taux légal"):
        penalties_on_invoice(regime="fr-b2b", principal=Decimal("1000.00"), due_date=date(2025, 3, 31),
                             as_of=date(2025, 4, 30), contract_multiple=Decimal("2.5"))


def test_a_fixed_contract_rate_cites_its_terms_and_both_forms_at_once_are_refused():
    result = compute_interest(regime="fr-b2b", principal=Decimal("1000.00"), start=date(2025, 3, 31),
                              end=date(2025, 4, 30), contract_rate=Decimal("15"), terms_reference="CGV art. 7")
    assert result.periods[0].basis == "Taux contractuel des conditions de paiement — CGV art. 7 (C. com. L441-10 II)"
    with pytest.raises(InvalidInputError, match="not both"):
        compute_interest(regime="fr-b2b", principal=Decimal("1000.00"), start=date(2025, 3, 31),
                         end=date(2025, 4, 30), contract_rate=Decimal("15"), contract_multiple=Decimal("3"))
    with pytest.raises(InvalidInputError, match="applies only to fr-b2b"):
        compute_interest(regime="fr-public", principal=Decimal("1000.00"), start=date(2025, 3, 31),
                         end=date(2025, 4, 30), contract_multiple=Decimal("3"))
