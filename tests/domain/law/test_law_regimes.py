"""Regimes beyond the worked examples: options, refusals, warnings, JSON and explanation."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.law import (
    InvalidRateError,
    UnsupportedPeriodError,
    accrue,
    compute_interest,
    explain,
    penalties_on_invoice,
)

D = Decimal
JSON_KEYS = {
    "regime", "currency", "principal", "interest", "indemnity", "penalties_total",
    "outstanding_principal", "amount_due", "periods", "payments", "warnings",
}  # fmt: skip


def b2b(**kwargs):
    arguments = {
        "regime": "fr-b2b",
        "principal": D("1000.00"),
        "start": date(2025, 7, 31),
        "end": date(2025, 10, 31),
    }
    arguments.update(kwargs)
    return compute_interest(**arguments)


def test_a_contractual_rate_below_three_times_the_legal_rate_is_flagged():
    c = b2b(contract_rate=D("8.00"))
    assert c.interest == D("20.16")
    [warning] = c.warnings
    assert "8,00 %" in warning
    assert "8,28 %" in warning
    assert "2025 H2" in warning
    assert c.periods[0].basis.startswith("Taux contractuel")


def test_the_default_rate_applies_even_below_the_floor_in_2024():
    c = b2b(start=date(2024, 2, 1), end=date(2024, 3, 1))
    assert c.periods[0].rate == D("14.50")  # below 3 × 5.07 = 15.21, and no warning
    assert c.warnings == ()


def test_a_contractual_rate_in_an_unknown_semester_is_computed_but_the_floor_is_flagged():
    c = b2b(contract_rate=D("9.00"), start=date(2026, 6, 30), end=date(2026, 7, 10))
    assert c.interest == D("2.47")
    assert "relance rates add --table fr_legal_professional --from 2026-07-01" in c.warnings[0]


def test_fr_b2b_before_2009_is_refused_rather_than_guessed():
    with pytest.raises(UnsupportedPeriodError, match="L441-6"):
        b2b(start=date(2008, 10, 31), end=date(2009, 2, 1))
    assert b2b(start=date(2008, 12, 31), end=date(2008, 12, 31)).interest == D("0.00")


def test_nothing_is_due_before_the_due_date_not_even_the_indemnity():
    c = penalties_on_invoice(
        regime="fr-b2b", principal=D("500.00"), due_date=date(2025, 5, 31), as_of=date(2025, 5, 1)
    )
    assert (c.interest, c.indemnity, c.amount_due, c.periods) == (
        D("0.00"),
        D("0.00"),
        D("500.00"),
        (),
    )
    assert "Aucun intérêt sur la période." in explain(c)


def test_an_invoice_paid_in_full_on_time_owes_no_indemnity():
    c = b2b(payments=[(date(2025, 7, 31), D("1000.00"))])
    assert (c.interest, c.indemnity, c.amount_due) == (D("0.00"), D("0.00"), D("0.00"))


def test_the_indemnity_is_due_in_full_even_after_a_partial_payment_on_time():
    c = b2b(payments=[(date(2025, 7, 1), D("900.00"))])
    assert c.indemnity == D("40.00")
    assert c.periods[0].base == D("100.00")


def test_the_indemnity_can_be_waived():
    assert b2b(with_indemnity=False).indemnity == D("0.00")


def test_an_indemnity_in_another_currency_is_left_out_with_a_warning():
    c = b2b(currency="USD")
    assert c.indemnity == D("0.00")
    assert "40.00 EUR" in c.warnings[0]
    assert "USD" in c.warnings[0]
    assert c.indemnity_basis == ""


def test_an_overpayment_is_reported_not_turned_into_negative_principal():
    c = b2b(payments=[(date(2025, 9, 30), D("2000.00"))])
    [payment] = c.payments
    assert payment.to_principal == D("1000.00")
    assert payment.unapplied == D("2000.00") - D("1000.00") - payment.to_interest
    assert c.outstanding_principal == D("0.00")
    assert c.periods[-1].end == date(2025, 9, 30)  # nothing bears interest afterwards
    assert "trop-perçu" in c.warnings[0]
    assert "trop-perçu" in explain(c)


def test_a_payment_smaller_than_the_interest_leaves_interest_due():
    c = b2b(payments=[(date(2025, 9, 30), D("10.00"))])
    [payment] = c.payments
    assert (payment.to_interest, payment.to_principal) == (D("10.00"), D("0.00"))
    assert c.outstanding_principal == D("1000.00")
    assert c.amount_due == c.outstanding_principal + c.outstanding_interest + c.indemnity
    assert c.amount_due == D("1000.00") + c.interest + D("40.00") - D("10.00")


def test_payments_after_capitalisation_pay_the_capitalised_interest_first():
    c = compute_interest(
        regime="fr-civil",
        principal=D("50000.00"),
        start=date(2023, 6, 30),
        end=date(2025, 12, 31),
        capitalise_from=date(2023, 6, 30),
        payments=[(date(2024, 9, 30), D("3500.00"))],
    )
    first = c.payments[0]
    assert first.to_interest > D("2327.70")  # capitalised 2,327.70 then the new interest
    assert c.outstanding_principal < D("50000.00")
    assert c.amount_due == D("50000.00") + c.interest - D("3500.00")


def test_a_capitalisation_date_with_nothing_due_records_nothing():
    c = compute_interest(
        regime="fr-civil",
        principal=D("1000.00"),
        start=date(2024, 6, 30),
        end=date(2025, 8, 1),
        capitalise_from=date(2024, 6, 30),
        payments=[(date(2025, 6, 30), D("2000.00"))],
    )
    assert c.capitalisations[0].date == date(2025, 6, 30)
    paid = compute_interest(
        regime="fr-civil",
        principal=D("1000.00"),
        start=date(2024, 6, 30),
        end=date(2025, 8, 1),
        capitalise_from=date(2023, 6, 30),
        payments=[(date(2024, 6, 30), D("1000.00"))],
    )
    assert paid.capitalisations == ()


def test_fr_civil_without_a_mise_en_demeure_has_not_started():
    c = penalties_on_invoice(
        regime="fr-civil", principal=D("800.00"), due_date=date(2025, 1, 31), as_of=date(2025, 6, 1)
    )
    assert (c.interest, c.amount_due) == (D("0.00"), D("800.00"))
    assert "1344-1" in c.warnings[0]


def test_fr_judgment_needs_the_judgment_date():
    with pytest.raises(InvalidInputError, match="judgment_date"):
        penalties_on_invoice(
            regime="fr-judgment",
            principal=D("1.00"),
            due_date=date(2025, 1, 1),
            as_of=date(2025, 6, 1),
        )


def test_fr_judgment_without_signification_is_not_majorated_and_says_so():
    c = compute_interest(
        regime="fr-judgment",
        principal=D("10000.00"),
        start=date(2025, 1, 15),
        end=date(2025, 9, 30),
    )
    assert {p.rate for p in c.periods} == {D("3.71"), D("2.76")}
    assert "signification inconnue" in c.warnings[0]


def test_fr_judgment_on_a_weekday_expiry_has_no_warning_and_a_sunday_one_has():
    weekday = compute_interest(
        regime="fr-judgment",
        principal=D("1000.00"),
        start=date(2025, 1, 10),
        end=date(2025, 4, 1),
        signified=date(2025, 1, 10),  # + 2 months = Monday 10 March 2025
    )
    assert weekday.warnings == ()
    assert weekday.periods[1].start == date(2025, 3, 11)
    sunday = compute_interest(
        regime="fr-judgment",
        principal=D("1000.00"),
        start=date(2025, 1, 9),
        end=date(2025, 4, 1),
        signified=date(2025, 1, 16),  # + 2 months = Sunday 16 March 2025
        creditor_kind="individual",
    )
    assert "dimanche" in sunday.warnings[0]
    assert sunday.periods[1].rate == D("7.21") + 5


def test_fr_judgment_majoration_may_start_on_a_semester_boundary():
    c = compute_interest(
        regime="fr-judgment",
        principal=D("1000.00"),
        start=date(2025, 4, 30),
        end=date(2025, 7, 31),
        signified=date(2025, 4, 30),  # + 2 months = 30 June: majoration from 1 July
    )
    assert [(p.start, p.rate) for p in c.periods] == [
        (date(2025, 5, 1), D("3.71")),
        (date(2025, 7, 1), D("7.76")),
    ]


def test_a_judgment_cannot_be_signified_before_it_is_pronounced():
    with pytest.raises(InvalidInputError, match="signified"):
        compute_interest(
            regime="fr-judgment",
            principal=D("1.00"),
            start=date(2025, 2, 1),
            end=date(2025, 3, 1),
            signified=date(2025, 1, 1),
        )


def test_eu_b2b_uses_the_ecb_rate_plus_eight_points_or_the_given_margin():
    c = compute_interest(
        regime="eu-b2b", principal=D("10000.00"), start=date(2025, 3, 31), end=date(2025, 4, 30)
    )
    assert (c.periods[0].rate, c.indemnity, c.currency) == (D("11.15"), D("40.00"), "EUR")
    assert "8 points" in c.periods[0].basis
    nine = compute_interest(
        regime="eu-b2b",
        principal=D("10000.00"),
        start=date(2025, 3, 31),
        end=date(2025, 4, 30),
        margin=D("9.5"),
    )
    assert nine.periods[0].rate == D("12.65")
    assert "9,5 points" in nine.periods[0].basis


@pytest.mark.parametrize(
    ("principal", "fixed_sum"),
    [("999.99", "40.00"), ("1000.00", "70.00"), ("9999.99", "70.00"), ("10000.00", "100.00")],
)
def test_uk_fixed_sum_depends_on_the_size_of_the_debt(principal, fixed_sum):
    c = compute_interest(
        regime="uk-b2b", principal=D(principal), start=date(2025, 8, 31), end=date(2025, 9, 30)
    )
    assert c.indemnity == D(fixed_sum)
    assert c.periods[0].rate == D("12.25")  # Bank Rate on 30 June 2025 (4.25) + 8


def test_uk_interest_not_yet_running_has_no_period():
    c = compute_interest(
        regime="uk-b2b", principal=D("50.00"), start=date(2025, 8, 31), end=date(2025, 8, 31)
    )
    assert (c.periods, c.indemnity) == ((), D("0.00"))


def test_actual_day_count_splits_a_fixed_rate_at_the_year_end():
    c = compute_interest(
        regime="uk-b2b",
        principal=D("5000.00"),
        start=date(2023, 11, 30),
        end=date(2024, 1, 31),
        day_count="actual",
    )
    assert [(p.end, p.denominator) for p in c.periods] == [
        (date(2023, 12, 31), 365),
        (date(2024, 1, 31), 366),
    ]
    assert "(base 366 jours)" in explain(c)


@pytest.mark.parametrize(
    ("kwargs", "text"),
    [
        ({"regime": "de-b2b"}, "Unknown regime"),
        ({"creditor_kind": "state"}, "Creditor kind"),
        ({"principal": 1000.0}, "positive Decimal"),
        ({"principal": D("0")}, "positive Decimal"),
        ({"principal": D("-5")}, "positive Decimal"),
        ({"end": date(2025, 7, 1)}, "before the start"),
        ({"payments": [(date(2025, 9, 1), D("0"))]}, "positive Decimal"),
        ({"payments": [(date(2025, 11, 1), D("1"))]}, "after the end date"),
        ({"regime": "fr-civil", "contract_rate": D("5")}, "--contract-rate"),
        ({"margin": D("8")}, "--margin"),
        ({"signified": date(2025, 8, 1)}, "--signified"),
        ({"day_count": "360"}, "Day count"),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(kwargs, text):
    with pytest.raises(InvalidInputError, match=text):
        b2b(**kwargs)


def test_errors_belong_to_the_relance_family():
    assert issubclass(InvalidRateError, RelanceError)
    assert issubclass(UnsupportedPeriodError, RelanceError)


def test_as_json_has_the_documented_keys_and_string_amounts():
    c = penalties_on_invoice(
        regime="fr-b2b",
        principal=D("8000"),
        due_date=date(2025, 1, 31),
        as_of=date(2025, 7, 15),
        payments=[(date(2025, 3, 2), D("3000"))],
    )
    data = c.as_json()
    assert set(data) >= JSON_KEYS
    assert json.loads(json.dumps(data)) == data  # only JSON types
    assert (data["principal"], data["interest"], data["amount_due"]) == (
        "8000.00",
        "331.77",
        "5371.77",
    )
    assert data["periods"][0] == {
        "start": "2025-02-01",
        "end": "2025-03-02",
        "days": 30,
        "rate": "13.15",
        "base": "8000.00",
        "interest": "86.465753",
        "denominator": 365,
        "basis": c.periods[0].basis,
    }
    assert data["payments"] == [
        {
            "date": "2025-03-02",
            "amount": "3000.00",
            "to_interest": "86.47",
            "to_principal": "2913.53",
            "unapplied": "0.00",
        }
    ]
    assert data["warnings"] == []


def test_explain_gives_every_line_with_its_legal_basis_in_french():
    c = compute_interest(
        regime="fr-civil",
        principal=D("50000.00"),
        start=date(2023, 6, 30),
        end=date(2025, 12, 31),
        capitalise_from=date(2023, 6, 30),
        payments=[(date(2025, 12, 31), D("1000.00"))],
    )
    text = explain(c)
    assert (
        "01/07/2023 → 31/12/2023    184    4,22 %     50 000,00   1 063,671233  C. civ. 1231-6"
        in text
    )
    assert "Capitalisation annuelle des intérêts échus (C. civ. 1343-2)" in text
    assert "30/06/2024  2 327,70 EUR ajoutés à la base" in text
    assert "31/12/2025  1 000,00 EUR : 1 000,00 aux intérêts, 0,00 au principal" in text
    assert "Indemnité" not in text
    assert text.endswith("Montant dû au 31/12/2025 : 54 347,75 EUR")


def test_explain_lists_warnings_and_the_indemnity():
    text = explain(b2b(contract_rate=D("5")))
    assert "Indemnité forfaitaire : 40,00 EUR — Indemnité forfaitaire pour frais" in text
    assert "Avertissements :\n  - Taux contractuel de 5,00 %" in text


def test_accrue_alone_handles_several_payments_on_one_day():
    from relance.domain.law import RateSpan

    span = RateSpan(date(2025, 1, 1), date(2025, 1, 31), D("10"), "test")
    result = accrue(
        principal=D("1000.00"),
        start=date(2024, 12, 31),
        end=date(2025, 1, 31),
        spans=[span],
        payments=[(date(2025, 1, 10), D("1.00")), (date(2025, 1, 10), D("500.00"))],
    )
    assert [i.to_interest for i in result.imputations] == [D("1.00"), D("1.74")]  # 2.74 accrued
    assert result.outstanding_principal == D("501.74")


def test_annual_legal_rates_before_2015_give_one_period_per_year():
    c = compute_interest(
        regime="fr-civil", principal=D("1000.00"), start=date(2011, 11, 30), end=date(2012, 12, 31)
    )
    assert [(p.start, p.days, p.rate) for p in c.periods] == [
        (date(2011, 12, 1), 31, D("0.38")),
        (date(2012, 1, 1), 366, D("0.71")),
    ]
    assert "taux légal 2012 (tous les autres cas), 0,71 %" in c.periods[1].basis
    assert c.interest == D("7.44")  # 0.322740 + 7.119452


def test_legal_rate_basis_names_the_half_year_and_the_category():
    c = compute_interest(
        regime="fr-civil",
        principal=D("1000.00"),
        start=date(2025, 2, 10),
        end=date(2025, 3, 1),
        creditor_kind="individual",
    )
    assert c.periods[0].basis == (
        "C. civ. 1231-6 et 1344-1 : taux légal 2025 H1 (créancier particulier), 7,21 %"
    )
