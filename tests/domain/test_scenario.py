"""The scenario engine: due steps, the first contact, steps in order at their intervals, business days,
TOML round-trip."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from relance.domain.calendar import add_business_days, is_business_day, next_business_day
from relance.domain.scenario import (
    Delivery,
    Evaluator,
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


def test_after_downtime_the_next_step_comes_late_and_none_is_skipped():
    # Catching up used to jump to the most advanced step due and pass over the others: a
    # debtor then got "invoice again" without ever getting the reminder. Now the reminder
    # comes (late), and the step after it waits its interval.
    decision = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=12), done_keys={"courtesy"},
                        taken_on={"courtesy": DUE - timedelta(days=5)})
    assert decision.step is not None
    assert decision.step.key == "reminder"
    assert decision.passed_over == ()
    taken = {"courtesy": DUE - timedelta(days=5), "reminder": DUE + timedelta(days=12)}
    done = set(taken)
    assert evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=18), done_keys=done, taken_on=taken).step is None
    nxt = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=19), done_keys=done, taken_on=taken).step
    assert nxt is not None
    assert nxt.key == "invoice_again"


def test_an_old_debt_starts_with_the_first_step_after_the_due_date_never_the_mise_en_demeure():
    # A debtor met for the first time a year after the due date: the chase starts with the
    # reminder (the courtesy note before the due date is not sent), never with the formal notice.
    decision = evaluate(B2B, anchor_due_date=DUE, as_of=DUE + timedelta(days=365), done_keys=())
    assert decision.step is not None
    assert decision.step.key == "reminder"
    assert decision.day == DUE + timedelta(days=3)
    assert [s.key for s in decision.passed_over] == ["courtesy"]


def test_a_debt_not_yet_due_starts_with_the_courtesy_note():
    decision = evaluate(B2B, anchor_due_date=DUE, as_of=DUE - timedelta(days=2), done_keys=())
    assert decision.step is not None
    assert decision.step.key == "courtesy"
    assert decision.passed_over == ()


def test_a_declared_step_resumes_the_chase_at_the_next_step_at_its_interval():
    declared = date(2026, 6, 3)  # a Wednesday: the call five days later falls on a Monday
    done = {"invoice_again"}
    taken = {"invoice_again": declared}
    assert evaluate(B2B, anchor_due_date=DUE, as_of=declared + timedelta(days=4), done_keys=done,
                    taken_on=taken).step is None
    step = evaluate(B2B, anchor_due_date=DUE, as_of=declared + timedelta(days=5), done_keys=done,
                    taken_on=taken).step
    assert step is not None
    assert step.key == "call"


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


def _walk(scenario, due, run_days, kind=None):
    """Run the engine on ``run_days`` (days from the due date), as the pass would; the steps
    taken with their days, and the steps passed over at the start."""
    taken: dict[str, date] = {}
    passed: list[str] = []
    for n in sorted(run_days):
        as_of = due + timedelta(days=n)
        decision = evaluate(scenario, anchor_due_date=due, as_of=as_of,
                            done_keys=set(taken) | set(passed), taken_on=taken, debtor_kind=kind)
        if decision.step is None:
            continue
        assert decision.step.key not in taken
        assert decision.day is not None
        assert decision.day <= as_of
        if decision.passed_over:
            assert not taken, "steps are passed over only when the chase starts"
            assert all(p.offset_days < 0 for p in decision.passed_over)
            passed.extend(p.key for p in decision.passed_over)
        taken[decision.step.key] = as_of
    return taken, passed


@settings(max_examples=300, deadline=None)
@given(
    scenario=scenarios(),
    due=st.dates(min_value=date(2024, 1, 1), max_value=date(2027, 12, 31)),
    start=st.integers(min_value=-15, max_value=700),
    run_days=st.sets(st.integers(min_value=0, max_value=400), max_size=120),
)
def test_on_any_run_days_steps_come_in_order_none_skipped_each_at_least_its_interval_apart(
    scenario, due, start, run_days
):
    # The chase starts on day ``start`` (from the due date; 700: a debt two years old) and the
    # pass runs on any days after it.
    taken, passed = _walk(scenario, due, {start + d for d in run_days} | {start})
    order = [s.key for s in scenario.steps]
    keys = list(taken)
    # In the scenario's order, none skipped: the steps taken follow the passed-over ones.
    assert passed + keys == order[: len(passed) + len(keys)]
    for earlier, later in itertools.pairwise(keys):
        gap = scenario.step(later).offset_days - scenario.step(earlier).offset_days
        assert (taken[later] - taken[earlier]).days >= gap
    if start > 0:
        # An overdue debt never gets a step meant for before the due date.
        assert all(scenario.step(k).offset_days >= 0 for k in keys)


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), due=st.dates(min_value=date(2025, 1, 1), max_value=date(2027, 12, 31)))
# Found by Hypothesis: due on a Sunday, a call meant for the Saturday before comes forward
# to the Friday, never past the due date.
@example(scenario=Scenario("p", (Step("s0", -1, "call", "t"), Step("s1", 0, "email", "t"))),
         due=date(2025, 4, 6))
def test_running_every_day_carries_out_each_step_on_its_day_and_skips_none(scenario, due):
    taken, passed = _walk(scenario, due, range(-15, 140 * 8))
    assert passed == []
    assert list(taken) == [s.key for s in scenario.steps]
    days = dict(zip([s.key for s in scenario.steps], step_days(scenario.steps, due), strict=True))
    previous = None
    for key, day in taken.items():
        # Its own day, or a day later when the step before it fell on the same day (one step
        # per run) and the interval still holds.
        assert day >= days[key]
        if previous is not None:
            gap = scenario.step(key).offset_days - scenario.step(previous).offset_days
            assert (day - taken[previous]).days >= gap
        previous = key


@settings(max_examples=200, deadline=None)
@given(scenario=scenarios(), age=st.integers(min_value=1, max_value=700),
       due=st.dates(min_value=date(2024, 1, 1), max_value=date(2026, 12, 31)))
def test_an_old_debt_run_daily_gets_every_step_after_the_due_date_on_a_compressed_schedule(scenario, due, age):
    taken, _ = _walk(scenario, due, range(age, age + 400))
    after = [s for s in scenario.steps if s.offset_days >= 0]
    assert list(taken) == [s.key for s in after]
    if after:
        start = due + timedelta(days=max(age, after[0].offset_days))
        assert taken[after[0].key] <= next_business_day(start) + timedelta(days=0)
        for s in after[1:]:
            # Exactly the scenario's gap from the step before (calls: the next business day).
            earlier = after[after.index(s) - 1]
            gap = timedelta(days=s.offset_days - earlier.offset_days)
            assert taken[s.key] >= taken[earlier.key] + gap
            assert taken[s.key] <= max(next_business_day(taken[earlier.key] + gap),
                                       next_business_day(s.day(due)), taken[earlier.key] + timedelta(days=1))


# --- the memoised evaluator -------------------------------------------------------------------

kinded = st.lists(
    st.tuples(st.integers(min_value=-10, max_value=90),
              st.sampled_from(["email", "call", "letter", "registered_letter", "task"]),
              st.sampled_from([(), ("business",), ("consumer", "public")])),
    min_size=1, max_size=7, unique_by=lambda t: t[0],
)
deliveries = st.one_of(
    st.none(),
    st.builds(Delivery, sent=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 6, 30)),
              received=st.one_of(st.none(), st.dates(min_value=date(2026, 1, 1),
                                                     max_value=date(2026, 7, 30)))),
)


@settings(max_examples=300, deadline=None)
@given(
    shape=kinded,
    as_of=st.dates(min_value=date(2026, 1, 1), max_value=date(2026, 12, 31)),
    asks=st.lists(
        st.tuples(
            st.dates(min_value=date(2025, 6, 1), max_value=date(2027, 1, 31)),  # anchor
            st.sampled_from([None, "business", "consumer", "public"]),
            st.integers(min_value=0, max_value=7),  # steps taken
            st.lists(st.dates(min_value=date(2025, 6, 1), max_value=date(2026, 12, 31)),
                     max_size=7),  # their days
            deliveries,
        ),
        min_size=1, max_size=12,
    ),
)
def test_the_memoised_evaluator_answers_as_evaluate_does(shape, as_of, asks):
    scenario = Scenario("p", tuple(Step(f"s{i}", o, c, "t", debtor_kinds=k)
                                   for i, (o, c, k) in enumerate(sorted(shape))))
    evaluator = Evaluator(as_of=as_of)
    for _ in range(2):  # the second round is answered from the cache
        for anchor, kind, n, days, delivery in asks:
            done = [s.key for s in scenario.steps[:n]]
            taken = dict(zip(done, days, strict=False))
            sent = {k: delivery for k in done
                    if delivery is not None and scenario.step(k).channel == "registered_letter"}
            expected = evaluate(scenario, anchor_due_date=anchor, as_of=as_of, done_keys=done,
                                debtor_kind=kind, deliveries=sent, taken_on=taken)
            assert evaluator.evaluate(scenario, anchor_due_date=anchor, done_keys=set(done),
                                      debtor_kind=kind, deliveries=sent,
                                      taken_on=taken) == expected


def test_the_evaluator_tells_two_scenarios_with_the_same_steps_apart():
    email_first = Scenario("e", (Step("a", 0, "email", "a"), Step("b", 5, "call", "b")))
    call_first = Scenario("c", (Step("a", 0, "call", "a"), Step("b", 5, "email", "b")))
    evaluator = Evaluator(as_of=date(2026, 5, 1))  # Labour Day: a call waits
    saturday = date(2026, 5, 1)
    assert evaluator.evaluate(email_first, anchor_due_date=saturday, done_keys=()).step.key == "a"
    assert evaluator.evaluate(call_first, anchor_due_date=saturday, done_keys=()).step is None
    assert evaluator.evaluate(email_first, anchor_due_date=saturday, done_keys=()).step.key == "a"
