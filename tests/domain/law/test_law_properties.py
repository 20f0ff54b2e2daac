"""Properties of the engine, checked by Hypothesis over the known rate tables."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.law import compute_interest
from relance.domain.law.dates import days_in_year

REGIMES = st.sampled_from(["fr-b2b", "fr-civil", "fr-judgment", "eu-b2b", "uk-b2b"])
# fr-b2b is modelled from 2009; every table is known to 31 January 2026 at least.
DAYS = st.dates(min_value=date(2009, 1, 1), max_value=date(2026, 1, 31))
PRINCIPALS = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("10000000"), places=2)
TOLERANCE = Decimal("1e-15")  # Decimal division keeps 28 digits; sums may differ beyond that


def ordered(a: date, b: date) -> tuple[date, date]:
    return (a, b) if a <= b else (b, a)


@settings(max_examples=200, deadline=None)
@given(regime=REGIMES, principal=PRINCIPALS, a=DAYS, b=DAYS, c=DAYS)
def test_interest_never_decreases_with_days_late(regime, principal, a, b, c):
    start, middle, end = sorted([a, b, c])
    shorter = compute_interest(regime=regime, principal=principal, start=start, end=middle)
    longer = compute_interest(regime=regime, principal=principal, start=start, end=end)
    assert shorter.interest <= longer.interest


@settings(max_examples=200, deadline=None)
@given(
    regime=st.sampled_from(["fr-b2b", "fr-civil", "eu-b2b"]),
    principal=PRINCIPALS,
    a=DAYS,
    b=DAYS,
    c=DAYS,
)
def test_splitting_a_period_gives_the_same_unrounded_total_when_nothing_is_paid(
    regime, principal, a, b, c
):
    start, middle, end = sorted([a, b, c])
    whole = compute_interest(regime=regime, principal=principal, start=start, end=end)
    first = compute_interest(regime=regime, principal=principal, start=start, end=middle)
    second = compute_interest(regime=regime, principal=principal, start=middle, end=end)
    unrounded = sum((p.interest for p in whole.periods), Decimal(0))
    split = sum((p.interest for p in first.periods + second.periods), Decimal(0))
    assert abs(unrounded - split) < TOLERANCE
    # Rounded separately, the two halves may differ from the whole by at most one cent.
    assert abs(whole.interest - first.interest - second.interest) <= Decimal("0.01")


@settings(max_examples=200, deadline=None)
@given(
    regime=REGIMES,
    principal=PRINCIPALS,
    a=DAYS,
    b=DAYS,
    payments=st.lists(
        st.tuples(
            st.integers(min_value=-30, max_value=3000),
            st.decimals(min_value=Decimal("0.01"), max_value=Decimal("20000000"), places=2),
        ),
        max_size=5,
    ),
    capitalise=st.booleans(),
)
def test_imputation_never_makes_principal_or_interest_negative(
    regime, principal, a, b, payments, capitalise
):
    start, end = ordered(a, b)
    dated = [(min(start + timedelta(days=offset), end), amount) for offset, amount in payments]
    c = compute_interest(
        regime=regime,
        principal=principal,
        start=start,
        end=end,
        payments=dated,
        capitalise_from=start if capitalise else None,
    )
    assert Decimal(0) <= c.outstanding_principal <= principal
    assert c.outstanding_interest >= 0
    for imputation in c.payments:
        assert min(imputation.to_interest, imputation.to_principal, imputation.unapplied) >= 0
        assert (
            imputation.to_interest + imputation.to_principal + imputation.unapplied
            == imputation.amount
        )
    paid = sum((amount for _, amount in dated), Decimal(0))
    unapplied = sum((i.unapplied for i in c.payments), Decimal(0))
    assert c.amount_due == principal + c.interest + c.indemnity - paid + unapplied


@settings(max_examples=200, deadline=None)
@given(regime=REGIMES, principal=PRINCIPALS, a=DAYS, b=DAYS)
def test_365_and_actual_differ_only_when_a_day_falls_in_a_leap_year(regime, principal, a, b):
    start, end = ordered(a, b)
    common = compute_interest(regime=regime, principal=principal, start=start, end=end)
    actual = compute_interest(
        regime=regime, principal=principal, start=start, end=end, day_count="actual"
    )
    leap_days = (
        any(
            days_in_year(year) == 366
            for year in range((start + timedelta(days=1)).year, end.year + 1)
        )
        and end > start
    )
    common_sum = sum((p.interest for p in common.periods), Decimal(0))
    actual_sum = sum((p.interest for p in actual.periods), Decimal(0))
    if not leap_days:
        assert abs(common_sum - actual_sum) < Decimal("1e-15")
        assert common.interest == actual.interest
    else:
        assert actual_sum < common_sum
