"""Limitation periods: 5 or 2 years, restarted only by an acknowledgement or a claim."""

from __future__ import annotations

from datetime import date

import pytest

from relance.domain.errors import InvalidInputError
from relance.domain.law import PrescriptionEventError, prescription


@pytest.mark.parametrize(
    ("kind", "years", "article"), [("b2b", 5, "L110-4"), ("civil", 5, "2224"), ("b2c", 2, "L218-2")]
)
def test_each_kind_has_its_period_and_article(kind, years, article):
    result = prescription(kind, date(2021, 4, 30))
    assert result.expires == date(2021 + years, 4, 30)
    assert (result.period_years, result.restarted_by) == (years, ())
    assert article in result.basis


def test_an_acknowledgement_before_expiry_starts_a_new_full_period():
    result = prescription("b2c", date(2022, 1, 31), [(date(2023, 6, 15), "acknowledgement")])
    assert result.expires == date(2025, 6, 15)
    assert [event.kind for event in result.restarted_by] == ["acknowledgement"]


def test_an_acknowledgement_on_the_last_day_still_counts():
    result = prescription("b2c", date(2022, 1, 31), [(date(2024, 1, 31), "acknowledgement")])
    assert result.expires == date(2026, 1, 31)


def test_an_acknowledgement_after_expiry_does_not_revive_the_claim():
    result = prescription(
        "b2c",
        date(2020, 1, 31),
        [(date(2022, 2, 1), "acknowledgement"), (date(2023, 1, 1), "claim")],
    )
    assert result.expires == date(2022, 1, 31)
    assert result.restarted_by == ()
    assert [event.date for event in result.ignored] == [date(2022, 2, 1), date(2023, 1, 1)]
    assert "19-26.253" in result.notes[0]
    assert result.is_expired(as_of=date(2022, 2, 1))
    assert not result.is_expired(as_of=date(2022, 1, 31))


def test_events_are_taken_in_date_order_and_a_claim_carries_a_note():
    result = prescription(
        "b2b",
        date(2019, 3, 31),
        [(date(2023, 5, 2), "claim"), (date(2020, 7, 1), "acknowledgement")],
    )
    assert result.expires == date(2028, 5, 2)
    assert [event.kind for event in result.restarted_by] == ["acknowledgement", "claim"]
    assert "2242" in result.notes[0]


@pytest.mark.parametrize("kind", ["mise_en_demeure", "reminder", "relance", "registered letter"])
def test_a_reminder_or_mise_en_demeure_is_refused_with_the_reason(kind):
    with pytest.raises(PrescriptionEventError, match="mise en demeure") as error:
        prescription("b2b", date(2024, 1, 1), [(date(2024, 6, 1), kind)])
    assert "20-23.204" in str(error.value)
    assert error.value.code == "invalid_prescription_event"


def test_an_unknown_kind_or_an_event_before_the_start_is_refused():
    with pytest.raises(InvalidInputError, match="b2b, b2c, civil"):
        prescription("consumer", date(2024, 1, 1))
    with pytest.raises(InvalidInputError, match="precedes the start"):
        prescription("b2b", date(2024, 1, 1), [(date(2023, 12, 1), "acknowledgement")])


def test_29_february_plus_years_ends_on_28_february():
    assert prescription("b2c", date(2024, 2, 29)).expires == date(2026, 2, 28)


def test_as_json():
    result = prescription("b2c", date(2020, 1, 31), [(date(2021, 3, 1), "acknowledgement")])
    assert result.as_json() == {
        "kind": "b2c",
        "start": "2020-01-31",
        "expires": "2023-03-01",
        "period_years": 2,
        "basis": result.basis,
        "restarted_by": [
            {"date": "2021-03-01", "kind": "acknowledgement", "basis": result.restarted_by[0].basis}
        ],
        "ignored": [],
        "notes": [],
    }


# --- suspensions (2238), enforcement (2244), the public four-year rule (loi 68-1250) ---------


def test_a_mediation_suspends_and_the_period_resumes_for_six_months_at_least():
    # 181 days were left on 15 Sept 2024; the mediation ends on 15 Oct 2024: 15 Oct + 181 days is
    # 14 April 2025, but the period resumes for six months at least: 15 April 2025.
    result = prescription("b2b", date(2020, 3, 15), [(date(2024, 9, 15), "suspension", date(2024, 10, 15))])
    assert result.expires == date(2025, 4, 15)
    assert result.restarted_by[0].end == date(2024, 10, 15)
    assert "2238" in result.restarted_by[0].basis
    assert "181 jour(s)" in result.notes[0]


def test_a_mediation_early_on_keeps_the_time_that_was_left():
    # Four years (1,461 days) were left on 10 Jan 2023; it ends on 10 March 2023.
    result = prescription("b2b", date(2022, 1, 10), [(date(2023, 1, 10), "suspension", date(2023, 3, 10))])
    assert result.expires == date(2027, 3, 10)


def test_a_mediation_still_going_on_stops_the_clock():
    result = prescription("b2c", date(2024, 1, 10), [(date(2025, 6, 1), "suspension", None)])
    assert result.expires == date.max
    assert not result.is_expired(as_of=date(2030, 1, 1))
    assert "enregistrez sa fin" in result.notes[0]
    assert "end" not in result.restarted_by[0].as_json()


def test_an_act_of_enforcement_interrupts():
    result = prescription("b2b", date(2020, 1, 1), [(date(2024, 2, 1), "enforcement")])
    assert result.expires == date(2029, 2, 1)
    assert "2244" in result.restarted_by[0].basis


def test_a_public_debt_runs_four_years_from_the_next_first_of_january():
    assert prescription("public", date(2021, 5, 10)).expires == date(2025, 12, 31)
    assert prescription("public", date(2021, 12, 31)).expires == date(2025, 12, 31)
    assert prescription("public", date(2022, 1, 1)).expires == date(2026, 12, 31)


def test_a_written_claim_interrupts_a_public_debt_until_four_years_after_the_next_january():
    result = prescription("public", date(2021, 5, 10), [(date(2023, 3, 1), "written_claim")])
    assert result.expires == date(2027, 12, 31)
    assert "68-1250" in result.restarted_by[0].basis
    claim = prescription("public", date(2021, 5, 10), [(date(2022, 2, 1), "claim")])
    assert claim.expires == date(2026, 12, 31)
    assert "recours" in claim.restarted_by[0].basis
    late = prescription("public", date(2021, 5, 10), [(date(2026, 1, 2), "written_claim")])
    assert late.expires == date(2025, 12, 31)
    assert late.ignored[0].kind == "written_claim"


def test_a_written_claim_between_private_parties_is_refused():
    with pytest.raises(PrescriptionEventError, match="four-year rule of public debts"):
        prescription("b2b", date(2024, 1, 1), [(date(2024, 6, 1), "written_claim")])


@pytest.mark.parametrize("kind", ["suspension", "enforcement"])
def test_the_public_rule_refuses_what_it_does_not_list(kind):
    with pytest.raises(PrescriptionEventError, match="not an event of the four-year rule"):
        prescription("public", date(2024, 1, 1), [(date(2024, 6, 1), kind, None)])


def test_a_suspension_ending_before_it_starts_or_an_end_on_another_event_is_refused():
    with pytest.raises(InvalidInputError, match="cannot end"):
        prescription("b2b", date(2024, 1, 1), [(date(2024, 6, 1), "suspension", date(2024, 5, 1))])
    with pytest.raises(InvalidInputError, match="Only a suspension has an end date"):
        prescription("b2b", date(2024, 1, 1), [(date(2024, 6, 1), "claim", date(2024, 7, 1))])


def test_a_suspension_as_json_has_its_end():
    result = prescription("b2b", date(2020, 3, 15), [(date(2024, 9, 15), "suspension", date(2024, 10, 15))])
    assert result.as_json()["restarted_by"][0]["end"] == "2024-10-15"
