"""Every worked example of legal-fr.md §11 (TC0–TC15), to the cent."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from relance.domain.law import (
    Computation,
    RateSpan,
    accrue,
    compute_interest,
    penalties_on_invoice,
)
from relance.domain.law.computation import unrounded

D = Decimal


def rows(computation: Computation) -> list[tuple[str, str, int, str, str]]:
    return [
        (p.start.isoformat(), p.end.isoformat(), p.days, str(p.rate), unrounded(p.interest))
        for p in computation.periods
    ]


def test_tc0_public_example_of_thirty_days_at_14_50_gives_11_92():
    span = RateSpan(date(2024, 2, 2), date(2024, 3, 2), D("14.50"), "test")
    result = accrue(
        principal=D("1000.00"), start=date(2024, 2, 1), end=date(2024, 3, 2), spans=[span]
    )
    assert result.interest == D("11.92")
    # The same figure through fr-b2b: 2024 H1 is ECB 4.50 + 10 = 14.50.
    b2b = compute_interest(
        regime="fr-b2b", principal=D("1000.00"), start=date(2024, 2, 1), end=date(2024, 3, 2)
    )
    assert (b2b.days, b2b.interest) == (30, D("11.92"))


def test_tc1_b2b_within_one_semester():
    c = penalties_on_invoice(
        regime="fr-b2b",
        principal=D("10000.00"),
        due_date=date(2025, 3, 31),
        as_of=date(2025, 4, 30),
    )
    assert rows(c) == [("2025-04-01", "2025-04-30", 30, "13.15", "108.082192")]
    assert (c.interest, c.indemnity, c.penalties_total) == (D("108.08"), D("40.00"), D("148.08"))
    assert c.amount_due == D("10148.08")


def test_tc2_b2b_crossing_1_july_2024_uses_the_h2_rate_after_it():
    c = compute_interest(
        regime="fr-b2b", principal=D("5000.00"), start=date(2024, 5, 15), end=date(2024, 8, 14)
    )
    assert rows(c) == [
        ("2024-05-16", "2024-06-30", 46, "14.50", "91.369863"),
        ("2024-07-01", "2024-08-14", 45, "14.25", "87.842466"),
    ]
    assert (c.days, c.interest, c.indemnity) == (91, D("179.21"), D("40.00"))


def test_tc3_b2b_into_a_leap_year_rounds_the_total_not_each_period():
    c = compute_interest(
        regime="fr-b2b", principal=D("12345.67"), start=date(2023, 11, 30), end=date(2024, 2, 29)
    )
    assert rows(c) == [
        ("2023-12-01", "2023-12-31", 31, "14.00", "146.795090"),
        ("2024-01-01", "2024-02-29", 60, "14.50", "294.266655"),
    ]
    assert c.interest == D("441.06")  # Σ of rounded periods would be 441.07
    assert c.penalties_total == D("481.06")


def test_tc3_actual_day_count_divides_the_2024_days_by_366():
    c = compute_interest(
        regime="fr-b2b",
        principal=D("12345.67"),
        start=date(2023, 11, 30),
        end=date(2024, 2, 29),
        day_count="actual",
    )
    assert [unrounded(p.interest) for p in c.periods] == ["146.795090", "293.462648"]
    assert [p.denominator for p in c.periods] == [365, 366]
    assert c.interest == D("440.26")


def test_tc4_2022_h2_still_uses_zero_because_the_first_hike_took_effect_27_july():
    c = compute_interest(
        regime="fr-b2b", principal=D("20000.00"), start=date(2022, 10, 31), end=date(2023, 3, 15)
    )
    assert rows(c) == [
        ("2022-11-01", "2022-12-31", 61, "10.00", "334.246575"),
        ("2023-01-01", "2023-03-15", 74, "12.50", "506.849315"),
    ]
    assert (c.days, c.interest) == (135, D("841.10"))


def test_tc5_one_year_over_three_semesters():
    c = compute_interest(
        regime="fr-b2b", principal=D("7500.00"), start=date(2024, 9, 30), end=date(2025, 9, 30)
    )
    assert rows(c) == [
        ("2024-10-01", "2024-12-31", 92, "14.25", "269.383562"),
        ("2025-01-01", "2025-06-30", 181, "13.15", "489.071918"),
        ("2025-07-01", "2025-09-30", 92, "12.15", "229.684932"),
    ]
    assert (c.days, c.interest, c.indemnity) == (365, D("988.14"), D("40.00"))


def test_tc6_contractual_rate_of_three_times_the_legal_rate_is_accepted_at_the_floor():
    c = compute_interest(
        regime="fr-b2b",
        principal=D("1000.00"),
        start=date(2025, 7, 31),
        end=date(2025, 10, 31),
        contract_rate=D("8.28"),
    )
    assert (c.days, c.interest, c.indemnity) == (92, D("20.87"), D("40.00"))
    assert c.warnings == ()  # 8.28 is not below the floor 3 × 2.76
    default = compute_interest(
        regime="fr-b2b", principal=D("1000.00"), start=date(2025, 7, 31), end=date(2025, 10, 31)
    )
    assert default.interest == D("30.62")


def test_tc7_one_day_late_on_1_july_takes_the_h2_rate():
    c = compute_interest(
        regime="fr-b2b", principal=D("100000.00"), start=date(2025, 6, 30), end=date(2025, 7, 1)
    )
    assert rows(c) == [("2025-07-01", "2025-07-01", 1, "12.15", "33.287671")]
    assert (c.interest, c.penalties_total) == (D("33.29"), D("73.29"))


def test_tc8_professional_creditor_against_a_consumer_runs_from_the_mise_en_demeure():
    c = penalties_on_invoice(
        regime="fr-civil",
        principal=D("2500.00"),
        due_date=date(2025, 1, 15),
        notice_date=date(2025, 2, 10),
        as_of=date(2025, 8, 20),
    )
    assert rows(c) == [
        ("2025-02-11", "2025-06-30", 140, "3.71", "35.575342"),
        ("2025-07-01", "2025-08-20", 51, "2.76", "9.641096"),
    ]
    assert (c.days, c.interest, c.indemnity) == (191, D("45.22"), D("0.00"))


@pytest.mark.parametrize(("day_count", "total"), [("365", "203.07"), ("actual", "202.51")])
def test_tc9_individual_creditor_uses_the_particuliers_rate(day_count, total):
    c = compute_interest(
        regime="fr-civil",
        principal=D("3000.00"),
        start=date(2024, 3, 1),
        end=date(2024, 12, 31),
        creditor_kind="individual",
        day_count=day_count,
    )
    assert [(p.days, str(p.rate)) for p in c.periods] == [(121, "8.01"), (184, "8.16")]
    if day_count == "365":
        assert [unrounded(p.interest) for p in c.periods] == ["79.661096", "123.406027"]
    assert (c.interest, c.indemnity) == (D(total), D("0.00"))


def test_tc10_judgment_majoration_of_five_points_from_the_day_after_two_months():
    c = penalties_on_invoice(
        regime="fr-judgment",
        principal=D("10000.00"),
        due_date=date(2024, 10, 31),
        judgment_date=date(2025, 1, 15),
        signified=date(2025, 1, 15),
        as_of=date(2025, 9, 30),
    )
    assert rows(c) == [
        ("2025-01-16", "2025-03-15", 59, "3.71", "59.969863"),
        ("2025-03-16", "2025-06-30", 107, "8.71", "255.334247"),
        ("2025-07-01", "2025-09-30", 92, "7.76", "195.594521"),
    ]
    assert (c.days, c.interest, c.indemnity) == (258, D("510.90"), D("0.00"))
    assert "L313-3" in c.periods[1].basis


def test_tc11_partial_payment_is_imputed_on_rounded_interest_first():
    c = penalties_on_invoice(
        regime="fr-b2b",
        principal=D("8000.00"),
        due_date=date(2025, 1, 31),
        as_of=date(2025, 7, 15),
        payments=[(date(2025, 3, 2), D("3000.00"))],
    )
    assert rows(c) == [
        ("2025-02-01", "2025-03-02", 30, "13.15", "86.465753"),
        ("2025-03-03", "2025-06-30", 120, "13.15", "219.902730"),
        ("2025-07-01", "2025-07-15", 15, "12.15", "25.397511"),
    ]
    [payment] = c.payments
    assert (payment.to_interest, payment.to_principal) == (D("86.47"), D("2913.53"))
    assert c.outstanding_principal == D("5086.47")
    assert c.outstanding_interest == D("245.30")
    assert c.interest == D("331.77")  # over the life of the debt
    assert c.amount_due == D("5371.77")  # 5,331.77 + 40.00


def test_tc12_annual_capitalisation_ordered_from_the_claim_date():
    c = compute_interest(
        regime="fr-civil",
        principal=D("50000.00"),
        start=date(2023, 6, 30),
        end=date(2025, 12, 31),
        capitalise_from=date(2023, 6, 30),
    )
    assert [(p.start.isoformat(), p.days, str(p.rate), str(p.base)) for p in c.periods] == [
        ("2023-07-01", 184, "4.22", "50000.00"),
        ("2024-01-01", 182, "5.07", "50000.00"),
        ("2024-07-01", 184, "4.92", "52327.70"),
        ("2025-01-01", 181, "3.71", "52327.70"),
        ("2025-07-01", 184, "2.76", "54588.24"),
    ]
    assert [(k.date.isoformat(), str(k.amount)) for k in c.capitalisations] == [
        ("2024-06-30", "2327.70"),
        ("2025-06-30", "2260.54"),
    ]
    assert c.interest == D("5347.75")
    assert c.amount_due == D("55347.75")
    control = compute_interest(
        regime="fr-civil", principal=D("50000.00"), start=date(2023, 6, 30), end=date(2025, 12, 31)
    )
    assert control.interest == D("5183.36")


def test_tc13_uk_rate_is_fixed_for_the_life_of_the_debt():
    c = penalties_on_invoice(
        regime="uk-b2b", principal=D("5000.00"), due_date=date(2025, 2, 28), as_of=date(2025, 9, 30)
    )
    assert rows(c) == [("2025-03-01", "2025-09-30", 214, "12.75", "373.767123")]
    assert (c.currency, c.interest, c.indemnity, c.penalties_total) == (
        "GBP",
        D("373.77"),
        D("70.00"),
        D("443.77"),
    )


def test_tc14_2025_h2_into_2026_h1_with_the_latest_verified_rates():
    c = compute_interest(
        regime="fr-b2b", principal=D("4200.00"), start=date(2025, 12, 15), end=date(2026, 2, 15)
    )
    assert rows(c) == [
        ("2025-12-16", "2025-12-31", 16, "12.15", "22.369315"),
        ("2026-01-01", "2026-02-15", 46, "12.15", "64.311781"),
    ]
    assert (c.days, c.interest, c.indemnity) == (62, D("86.68"), D("40.00"))


def test_tc15_rounds_half_up_where_a_truncating_implementation_gives_18_87():
    span = RateSpan(date(2018, 7, 2), date(2018, 11, 4), D("0.88"), "test")
    result = accrue(
        principal=D("6216.16"), start=date(2018, 7, 1), end=date(2018, 11, 4), spans=[span]
    )
    assert unrounded(result.periods[0].interest) == "18.883502"  # "18.8835" in the text
    assert result.interest == D("18.88")
    # 0.88 is also the taux légal "autres cas" of 2018 H2.
    civil = compute_interest(
        regime="fr-civil", principal=D("6216.16"), start=date(2018, 7, 1), end=date(2018, 11, 4)
    )
    assert (civil.days, civil.interest) == (126, D("18.88"))
