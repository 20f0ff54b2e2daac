"""Payment terms: 60 days from the invoice date, or 45 days end of month (L441-10 I)."""

from __future__ import annotations

from datetime import date

from relance.domain.law import check_payment_terms


def test_sixty_days_exactly_is_allowed():
    assert check_payment_terms(date(2025, 3, 1), date(2025, 4, 30)) == []


def test_beyond_sixty_days_but_within_45_days_end_of_month_needs_an_express_clause():
    [warning] = check_payment_terms(date(2025, 1, 1), date(2025, 3, 17))
    assert "60 jours" in warning
    assert "45 jours fin de mois" in warning
    assert "expressément" in warning


def test_the_later_of_the_two_45_days_end_of_month_readings_is_the_limit():
    # 5 Jan + 45 days = 19 Feb → end of February 28 Feb; end of January + 45 days = 17 March.
    assert "limite 17/03/2025" in check_payment_terms(date(2025, 1, 5), date(2025, 3, 17))[0]
    # 20 Jan + 45 days = 6 March → 31 March, later than 31 Jan + 45 = 17 March.
    assert "limite 31/03/2025" in check_payment_terms(date(2025, 1, 20), date(2025, 3, 31))[0]


def test_beyond_both_caps_is_illegal():
    [warning] = check_payment_terms(date(2025, 1, 1), date(2025, 4, 15))
    assert "au-delà des plafonds légaux" in warning


def test_a_due_date_before_the_invoice_date_is_flagged():
    assert "antérieure" in check_payment_terms(date(2025, 1, 10), date(2025, 1, 9))[0]


def test_a_periodic_invoice_is_capped_at_45_days():
    assert check_payment_terms(date(2025, 1, 1), date(2025, 2, 15), periodic=True) == []
    assert (
        "périodique" in check_payment_terms(date(2025, 1, 1), date(2025, 2, 16), periodic=True)[0]
    )
