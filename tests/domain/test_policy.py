"""The "may Relance act on this debtor today" rules: holds and their order, the planned day,
what may be printed or sent."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.calendar import is_business_day
from relance.domain.policy import (
    HOLD_REASONS,
    DebtorStanding,
    blocks_case,
    case_hold,
    hold_reason,
    is_silent,
    may_go_out,
    planned_day,
)
from relance.domain.scenario import CHANNELS, Step

REMINDER = Step("reminder", 5, "email", "reminder", min_amount=Decimal("50.00"))
COURTESY = Step("courtesy", -5, "email", "courtesy", min_amount=Decimal("50.00"))
# A step threatening court action: every hold applies to it, time_barred included.
NOTICE = Step("formal_notice", 30, "registered_letter", "formal_notice", min_amount=Decimal("50.00"))
FLAGS = (
    "is_case_waiting",
    "is_legal_hold",
    "is_time_barred",
    "is_do_not_contact",
    "is_bank_feed_stale",
    "has_unmatched_credit",
)


def test_a_debtor_with_nothing_against_it_is_not_held():
    assert hold_reason(DebtorStanding(overdue_amount=Decimal("80.00")), REMINDER) is None


@pytest.mark.parametrize(("flag", "reason"), list(zip(FLAGS, HOLD_REASONS, strict=False)))
def test_each_flag_holds_the_debtor_under_its_reason(flag, reason):
    standing = DebtorStanding(overdue_amount=Decimal("80.00"), **{flag: True})
    assert hold_reason(standing, NOTICE) == reason


@given(st.sets(st.sampled_from(FLAGS), min_size=1))
def test_the_first_reason_in_order_wins(flags):
    standing = DebtorStanding(**dict.fromkeys(flags, True))
    first = min(FLAGS.index(f) for f in flags)
    assert hold_reason(standing, NOTICE) == HOLD_REASONS[first]


def test_a_time_barred_claim_holds_only_the_steps_threatening_court():
    barred = DebtorStanding(overdue_amount=Decimal("80.00"), is_time_barred=True)
    assert hold_reason(barred, REMINDER) is None
    assert hold_reason(barred, NOTICE) == "time_barred"
    own = DebtorStanding(overdue_amount=Decimal("80.00"), is_time_barred=True,
                         court_templates=frozenset({"reminder"}))
    assert hold_reason(own, REMINDER) == "time_barred"


def test_a_step_after_the_due_date_weighs_what_is_overdue():
    standing = DebtorStanding(listed_amount=Decimal("500.00"), overdue_amount=Decimal("20.00"))
    assert hold_reason(standing, REMINDER) == "below_minimum"


def test_a_step_before_the_due_date_weighs_everything_listed():
    standing = DebtorStanding(listed_amount=Decimal("500.00"), overdue_amount=Decimal("0.00"))
    assert hold_reason(standing, COURTESY) is None


def test_a_step_without_a_minimum_is_never_below_it():
    assert hold_reason(DebtorStanding(), Step("call", 20, "call", "call")) is None


def test_a_case_that_is_not_active_is_held_under_its_status():
    assert case_hold("active") is None
    assert [case_hold(s) for s in ("paused", "plan", "legal")] == ["paused", "plan", "legal_stage"]


def test_only_the_legal_stage_silences_a_case():
    assert [is_silent(s) for s in ("active", "paused", "plan", "legal")] == [False, False, False, True]


def test_a_step_awaiting_approval_or_an_e_mail_in_flight_keeps_the_case_waiting():
    assert blocks_case(channel="registered_letter", state="planned", requires_approval=True)
    for channel in ("letter", "registered_letter"):
        # Approved or needing no approval, a letter not printed yet holds the next step.
        for state in ("planned", "approved"):
            assert blocks_case(channel=channel, state=state, requires_approval=False)
        for state in ("sent", "cancelled", "skipped"):
            assert not blocks_case(channel=channel, state=state, requires_approval=False)
    for state in ("planned", "approved", "sending"):
        assert blocks_case(channel="email", state=state, requires_approval=False)
    for state in ("sent", "failed", "cancelled", "skipped"):
        assert not blocks_case(channel="email", state=state, requires_approval=False)
    assert not blocks_case(channel="call", state="planned", requires_approval=False)


@given(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)), st.sampled_from(CHANNELS))
def test_a_call_lands_on_a_business_day_and_the_others_keep_their_day(day, channel):
    planned = planned_day(channel=channel, day=day)
    if channel == "call":
        assert is_business_day(planned)
        assert day <= planned <= day + timedelta(days=6)
    else:
        assert planned == day


def test_the_scenario_engine_plans_a_step_on_the_policy_s_day():
    call = Step("call", 0, "call", "call")
    due = date(2026, 5, 1)  # Labour Day
    assert call.day(due) == planned_day(channel="call", day=due) == date(2026, 5, 4)


@pytest.mark.parametrize(
    ("state", "requires_approval", "ready"),
    [
        ("planned", False, True),
        ("planned", True, False),
        ("approved", True, True),
        ("approved", False, True),
        ("sending", False, False),
        ("sent", False, False),
        ("skipped", False, False),
    ],
)
def test_what_may_go_out_once_its_day_has_come(state, requires_approval, ready):
    day = date(2026, 3, 2)
    assert may_go_out(state=state, requires_approval=requires_approval, planned_date=day, as_of=day) is ready
    assert not may_go_out(
        state=state, requires_approval=requires_approval, planned_date=day, as_of=day - timedelta(days=1)
    )
