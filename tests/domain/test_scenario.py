"""The scenario engine: due steps, catch-up after downtime, business days, TOML round-trip."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.domain.calendar import add_business_days, is_business_day, next_business_day
from relance.domain.scenario import (
    Scenario,
    ScenarioError,
    Step,
    evaluate,
    next_step,
    scenario_from_toml,
    scenario_to_toml,
    step_days,
)

B2B = Scenario(
    "B2B standard",
    (
        Step("courtesy", -5, "email", "courtesy"),
        Step("reminder", 3, "email", "reminder"),
        Step("invoice_again", 10, "email", "invoice_again"),
        Step("call", 15, "call", "call"),
        Step("letter", 25, "letter", "reminder_letter"),
        Step("formal_notice", 35, "registered_letter", "formal_notice", requires_approval=True),
        Step("escalation", 50, "task", "escalation"),
    ),
    ("business",),
)
DUE = date(2026, 3, 2)  # a Monday


def test_no_step_before_the_first_step_day():
    assert next_step(B2B, anchor_due_date=DUE, as_of=DUE - timedelta(days=6), done_keys=()) is None


def test_the_courtesy_step_comes_five_days_before_the_due_date():
    step = next_step(B2B, anchor_due_date=DUE, as_of=DUE - timedelta(days=5), done_keys=())
    assert step is not None
    assert step.key == "courtesy"


def test_a_step_already_taken_is_not_repeated():
    assert next_step(B2B, anchor_due_date=DUE, as_of=DUE, done_keys={"courtesy"}) is None


def test_after_downtime_only_the_most_advanced_due_step_is_carried_out():
    decision = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=12), done_keys={"courtesy"})
    assert decision.step is not None
    assert decision.step.key == "invoice_again"
    assert [s.key for s in decision.passed_over] == ["reminder"]


def test_catching_up_never_passes_over_the_mise_en_demeure():
    # A debtor met for the first time a year after the due date: the formal notice that makes
    # escalation lawful is proposed for approval; escalation waits until it has been sent.
    decision = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=365), done_keys=())
    assert decision.step is not None
    assert decision.step.key == "formal_notice"
    assert [s.key for s in decision.passed_over] == ["courtesy", "reminder", "invoice_again", "call", "letter"]
    after = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=366), done_keys={"formal_notice"})
    assert after.step is not None
    assert after.step.key == "escalation"


def test_the_scenario_never_goes_back_to_an_earlier_step():
    # The anchor moved later (the oldest invoice was paid): earlier steps are due again by date,
    # but they come before the last one taken.
    assert next_step(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=4), done_keys={"letter"}) is None


def test_call_steps_move_to_the_next_business_day():
    # J+15 from Monday 2026-03-02 is Tuesday 17 March: a business day; from a due date such that
    # J+15 falls on 14 July (Bastille Day), the call moves to Wednesday 15 July.
    due = date(2026, 7, 14) - timedelta(days=15)
    assert B2B.step("call").day(due) == date(2026, 7, 15)
    assert next_step(B2B, anchor_due_date=due, as_of=date(2026, 7, 14), done_keys={"invoice_again"}) is None
    step = next_step(B2B, anchor_due_date=due, as_of=date(2026, 7, 15), done_keys={"invoice_again"})
    assert step is not None
    assert step.key == "call"


def test_steps_for_other_debtor_kinds_are_left_out():
    s = Scenario("s", (Step("a", 0, "email", "a"), Step("b", 1, "email", "b", debtor_kinds=("consumer",))))
    assert next_step(s, anchor_due_date=DUE, as_of=DUE + timedelta(days=3), done_keys={"a"},
                     debtor_kind="business") is None


def test_business_days_skip_weekends_and_french_holidays():
    assert not is_business_day(date(2026, 5, 1))
    assert not is_business_day(date(2026, 5, 2))
    assert next_business_day(date(2026, 5, 1)) == date(2026, 5, 4)
    assert next_business_day(date(2026, 5, 4)) == date(2026, 5, 4)
    assert add_business_days(date(2026, 4, 30), 1) == date(2026, 5, 4)


def test_toml_round_trip_keeps_every_field():
    s = Scenario(
        "Grands comptes \"clés\"",
        (
            Step("call", -2, "call", "call", min_amount=Decimal("500.00")),
            Step("mise", 30, "registered_letter", "formal_notice", requires_approval=True,
                 debtor_kinds=("business", "public")),
        ),
        ("business", "public"),
        "Un appel d'abord.\nPuis le reste.",
    )
    assert scenario_from_toml(scenario_to_toml(s)) == s


def test_the_issue_example_reads():
    s = scenario_from_toml(
        '[scenario]\nname = "B2B standard"\ndebtor_kinds = ["business"]\n'
        '[[steps]]\nkey = "courtesy"\noffset_days = -5\nchannel = "email"\ntemplate = "courtesy"\n'
    )
    assert s.steps == (Step("courtesy", -5, "email", "courtesy"),)
    assert s.lead_days == 5


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[scenario]\nname = "x"\n[[steps]]\nkey = "a"\noffset_days = 1\nchannel = "fax"\n', "channel"),
        ('[scenario]\nname = "x"\n[[steps]]\nkey = "a"\nchannel = "email"\n', "offset_days"),
        ('[scenario]\nname = "x"\n[[steps]]\nkey = "a"\noffset_days = 5\nchannel = "email"\n'
         '[[steps]]\nkey = "b"\noffset_days = 1\nchannel = "email"\n', "order"),
        ("[scenario\n", "TOML"),
    ],
)
def test_a_bad_scenario_is_refused_with_the_reason(text, fragment):
    with pytest.raises(ScenarioError, match=fragment):
        scenario_from_toml(text)


# --- properties -------------------------------------------------------------------------------

offsets = st.lists(st.integers(min_value=-10, max_value=90), min_size=1, max_size=8, unique=True)
channels = st.sampled_from(["email", "call", "letter", "task"])


@st.composite
def scenarios(draw):
    offs = sorted(draw(offsets))
    return Scenario("p", tuple(Step(f"s{i}", o, draw(channels), "t") for i, o in enumerate(offs)))


@settings(max_examples=200, deadline=None)
@given(
    scenario=scenarios(),
    due=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)),
    run_days=st.sets(st.integers(min_value=-15, max_value=120)),
)
def test_running_on_any_days_never_repeats_nor_reorders_and_accounts_for_every_step(scenario, due, run_days):
    done: list[str] = []
    passed: list[str] = []
    sent_days: dict[str, date] = {}
    for n in sorted(run_days):
        as_of = due + timedelta(days=n)
        decision = evaluate(scenario, anchor_due_date=due, as_of=as_of, done_keys=set(done) | set(passed))
        if decision.step is None:
            continue
        assert decision.step.key not in done
        assert decision.day is not None
        assert decision.day <= as_of
        passed.extend(p.key for p in decision.passed_over)
        done.append(decision.step.key)
        sent_days[decision.step.key] = as_of
    order = [s.key for s in scenario.steps]
    taken = [k for k in order if k in done or k in passed]
    # Never repeated, never out of order; every step before the last taken one is accounted for.
    assert len(done) == len(set(done))
    assert [k for k in order if k in done] == done
    assert taken == order[: len(taken)]
    assert not set(done) & set(passed)


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), due=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
def test_running_every_day_carries_out_each_step_on_its_day_and_skips_none(scenario, due):
    done: set[str] = set()
    for n in range(-15, 140):
        as_of = due + timedelta(days=n)
        decision = evaluate(scenario, anchor_due_date=due, as_of=as_of, done_keys=done)
        if decision.step is not None:
            assert decision.day == as_of
            done.add(decision.step.key)
            # Two steps on the same day is the only way to pass one over on a daily run.
            days = dict(zip([s.key for s in scenario.steps], step_days(scenario.steps, due), strict=True))
            assert all(days[p.key] == as_of for p in decision.passed_over)
            done |= {p.key for p in decision.passed_over}
    assert done == {s.key for s in scenario.steps}
