"""fr-public: moratory interest of the commande publique, computed by hand to the cent.

CCP R2192-31: ECB rate in force on the first day of the semester in which interest started,
+ 8 points, fixed for the whole delay; D2192-35: 40 EUR per payment request. Every case below
has its arithmetic written out, on a 365-day year, the total rounded half-up to the cent.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.errors import InvalidInputError
from relance.domain.law import (
    UnknownRateError,
    UnsupportedPeriodError,
    compute_interest,
    explain,
    penalties_on_invoice,
)
from relance.domain.law.computation import unrounded
from relance.domain.law.public import payment_periods, public_payment_deadline

D = Decimal


def public(principal: str, start: date, end: date, **kwargs):
    return compute_interest(
        regime="fr-public", principal=D(principal), start=start, end=end, **kwargs
    )


def test_legal_fr_example_10000_euros_over_183_days_gives_559_03_plus_40():
    # legal-fr.md §1.5: period expired 31/03/2025, paid 30/09/2025. Interest starts 01/04/2025,
    # semester 2025 H1, ECB on 01/01/2025 = 3.15 % → 11.15 % fixed.
    # 10000 × 0.1115 × 183 / 365 = 204045 / 365 = 559.027397 → 559.03.
    c = public("10000.00", date(2025, 3, 31), date(2025, 9, 30))
    assert [(p.days, p.rate, unrounded(p.interest)) for p in c.periods] == [
        (183, D("11.15"), "559.027397")
    ]
    assert (c.interest, c.indemnity, c.penalties_total) == (D("559.03"), D("40.00"), D("599.03"))
    assert c.amount_due == D("10599.03")
    assert "R2192-31" in c.periods[0].basis
    assert "01/01/2025 (3,15 %)" in c.periods[0].basis
    assert "D2192-35" in c.indemnity_basis
    assert "R2192-31" in c.basis


def test_the_rate_is_not_recut_at_1_july_nor_at_the_year_end():
    # 2400.00, period expired 20/06/2024, paid 10/01/2025. Interest starts 21/06/2024 → 2024 H1,
    # ECB on 01/01/2024 = 4.50 % → 12.50 % for all 204 days (10 + 31 + 31 + 30 + 31 + 30 + 31
    # + 10). 2400 × 0.125 × 204 / 365 = 61200 / 365 = 167.671233 → 167.67; + 40 = 207.67.
    # (fr-b2b would switch to 14.25 % on 1 July 2024.)
    c = public("2400.00", date(2024, 6, 20), date(2025, 1, 10))
    assert [(p.start, p.end, p.days, p.rate) for p in c.periods] == [
        (date(2024, 6, 21), date(2025, 1, 10), 204, D("12.50"))
    ]
    assert (c.interest, c.penalties_total) == (D("167.67"), D("207.67"))


def test_interest_starting_on_1_july_takes_the_rate_of_1_july():
    # 7350.50, period expired 30/06/2023, paid 14/08/2023. Interest starts 01/07/2023 → 2023 H2,
    # ECB on 01/07/2023 = 4.00 % → 12.00 %; 31 + 14 = 45 days.
    # 7350.50 × 0.12 × 45 / 365 = 39692.70 / 365 = 108.747123 → 108.75; + 40 = 148.75.
    c = public("7350.50", date(2023, 6, 30), date(2023, 8, 14))
    assert [(p.days, p.rate) for p in c.periods] == [(45, D("12.00"))]
    assert (c.interest, c.penalties_total) == (D("108.75"), D("148.75"))


def test_a_public_hospital_has_50_days_then_pays_interest_from_the_51st():
    # Request received 15/09/2025 by a public health establishment: 50 days → 04/11/2025.
    # Interest from 05/11/2025 → 2025 H2, ECB on 01/07/2025 = 2.15 % → 10.15 %.
    # Paid 20/01/2026: 26 + 31 + 20 = 77 days.
    # 1234.56 × 0.1015 × 77 / 365 = 9648.703680 / 365 = 26.434805 → 26.43; + 40 = 66.43.
    due = public_payment_deadline(date(2025, 9, 15), "health")
    assert due == date(2025, 11, 4)
    c = penalties_on_invoice(
        regime="fr-public",
        principal=D("1234.56"),
        due_date=due,
        as_of=date(2026, 1, 20),
        issue_date=date(2025, 9, 15),
    )
    assert [(p.days, p.rate) for p in c.periods] == [(77, D("10.15"))]
    assert (c.interest, c.indemnity, c.penalties_total) == (D("26.43"), D("40.00"), D("66.43"))


def test_a_fixed_rate_runs_on_into_a_semester_whose_ecb_rate_is_not_yet_known():
    # Interest starts 01/06/2026 → 2026 H1, ECB on 01/01/2026 = 2.15 % → 10.15 % fixed, so the
    # unknown 2026 H2 rate does not matter. 30 + 31 + 31 = 92 days to 31/08/2026.
    # 5000 × 0.1015 × 92 / 365 = 46690 / 365 = 127.917808 → 127.92.
    c = public("5000.00", date(2026, 5, 31), date(2026, 8, 31))
    assert (c.days, c.interest) == (92, D("127.92"))
    with pytest.raises(UnknownRateError, match="2026 H2"):
        public("5000.00", date(2026, 6, 30), date(2026, 8, 31))


def test_payment_periods_are_data_with_their_source():
    periods = {period.buyer: period for period in payment_periods()}
    assert {name: period.days for name, period in periods.items()} == {
        "state": 30,
        "health": 50,
        "public_enterprise": 60,
    }
    assert all(period.source.startswith("CCP R2192") for period in periods.values())
    assert public_payment_deadline(date(2025, 1, 31), "public_enterprise") == date(2025, 4, 1)
    with pytest.raises(InvalidInputError, match="state, health, public_enterprise"):
        public_payment_deadline(date(2025, 1, 31), "hospital")


def test_periods_begun_before_the_2013_decree_are_refused_not_guessed():
    with pytest.raises(UnsupportedPeriodError, match="2013-269"):
        public("1000.00", date(2013, 6, 30), date(2013, 7, 30), issue_date=date(2013, 4, 30))
    with pytest.raises(UnsupportedPeriodError, match="2013-05-01"):
        public("1000.00", date(2013, 10, 31), date(2013, 11, 30))  # no request date: unsure
    # A request received from 1 May 2013 is computed: 2013 H1 ECB on 01/01/2013 = 0.75 → 8.75 %.
    c = public("1000.00", date(2013, 5, 31), date(2013, 6, 30), issue_date=date(2013, 5, 1))
    assert [(p.days, p.rate) for p in c.periods] == [(30, D("8.75"))]


def test_nothing_is_due_before_the_period_expires_and_the_explanation_is_french():
    early = public("1000.00", date(2025, 3, 31), date(2025, 3, 31))
    assert (early.interest, early.indemnity, early.periods) == (D("0.00"), D("0.00"), ())
    text = explain(public("10000.00", date(2025, 3, 31), date(2025, 9, 30)))
    assert "Régime fr-public" in text
    assert "11,15 %" in text
    assert "Indemnité forfaitaire : 40,00 EUR" in text


def test_a_contractual_rate_or_margin_is_refused_for_a_public_buyer():
    with pytest.raises(InvalidInputError, match="contractual rate"):
        public("1000.00", date(2025, 3, 31), date(2025, 4, 30), contract_rate=D("12"))
    with pytest.raises(InvalidInputError, match="margin"):
        public("1000.00", date(2025, 3, 31), date(2025, 4, 30), margin=D("9"))


DAYS = st.dates(min_value=date(2014, 1, 1), max_value=date(2026, 1, 31))


@settings(max_examples=100, deadline=None)
@given(
    principal=st.decimals(min_value=D("0.01"), max_value=D("10000000"), places=2),
    a=DAYS,
    b=DAYS,
    c=DAYS,
)
def test_public_interest_grows_with_days_late_at_one_rate(principal, a, b, c):
    start, middle, end = sorted([a, b, c])
    shorter = public(str(principal), start, middle)
    longer = public(str(principal), start, end)
    assert shorter.interest <= longer.interest
    assert len({p.rate for p in longer.periods}) <= 1
    assert longer.days == (end - start).days
