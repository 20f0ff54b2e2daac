"""The step after a registered letter waits for its delivery (issue 5): receipt or return, plus
the deadline the letter gave; no news for three weeks is flagged."""

from __future__ import annotations

from datetime import date, timedelta

from tests.domain.test_scenario import B2B, DUE

from relance.domain.scenario import NO_NEWS_DAYS, Delivery, Scenario, Step, evaluate

NOTICE_DAY = DUE + timedelta(days=35)  # the formal notice's day
ESCALATION_DAY = DUE + timedelta(days=50)
DONE = {"courtesy", "reminder", "invoice_again", "call", "letter", "formal_notice"}


def decide(as_of: date, delivery: Delivery | None, done=DONE):
    deliveries = {"formal_notice": delivery} if delivery is not None else {}
    return evaluate(B2B, anchor_due_date=DUE, as_of=as_of, done_keys=done, deliveries=deliveries)


def test_without_delivery_facts_the_escalation_comes_on_its_day():
    # No registered letter on record (e.g. never sent): nothing to wait for.
    assert decide(ESCALATION_DAY, None).step.key == "escalation"


def test_a_letter_not_printed_yet_holds_the_next_step():
    decision = decide(ESCALATION_DAY + timedelta(days=30), Delivery(sent=None))
    assert decision.step is None
    assert decision.waiting.reason == "not_sent"
    assert decision.waiting.step_key == "formal_notice"


def test_while_neither_receipt_nor_return_is_known_the_case_waits():
    decision = decide(ESCALATION_DAY, Delivery(sent=NOTICE_DAY))
    assert decision.step is None
    assert decision.waiting.reason == "acknowledgement"
    assert decision.waiting.until is None
    assert not decision.waiting.overdue


def test_no_news_three_weeks_after_sending_is_flagged_and_still_waits():
    sent = NOTICE_DAY
    day_before = decide(sent + timedelta(days=NO_NEWS_DAYS - 1), Delivery(sent=sent))
    assert not day_before.waiting.overdue
    decision = decide(sent + timedelta(days=NO_NEWS_DAYS), Delivery(sent=sent))
    assert decision.step is None
    assert decision.waiting.overdue
    assert NO_NEWS_DAYS > 15  # La Poste keeps the letter 15 days before returning it


def test_the_next_step_comes_no_earlier_than_receipt_plus_the_deadline():
    # Received late: the escalation's own day has passed, receipt + 8 days decides.
    received = ESCALATION_DAY - timedelta(days=2)
    delivery = Delivery(sent=NOTICE_DAY, received=received, deadline_days=8)
    for n in range(8):
        decision = decide(received + timedelta(days=n), delivery)
        assert decision.step is None
        assert decision.waiting.reason == "deadline"
        assert decision.waiting.until == received + timedelta(days=8)
    assert decide(received + timedelta(days=8), delivery).step.key == "escalation"


def test_an_early_receipt_does_not_bring_the_next_step_forward():
    delivery = Delivery(sent=NOTICE_DAY, received=NOTICE_DAY + timedelta(days=2))
    before = decide(ESCALATION_DAY - timedelta(days=1), delivery)
    assert before.step is None
    assert before.waiting is None  # the deadline ran out: only the step's own day is awaited
    assert decide(ESCALATION_DAY, delivery).step.key == "escalation"


def test_a_letter_returned_unclaimed_counts_from_the_day_it_came_back():
    returned = NOTICE_DAY + timedelta(days=18)
    delivery = Delivery(sent=NOTICE_DAY, not_claimed_on=returned, deadline_days=8)
    waiting = decide(returned + timedelta(days=7), delivery)
    assert waiting.step is None
    assert waiting.waiting.until == returned + timedelta(days=8)
    assert decide(returned + timedelta(days=8), delivery).step.key == "escalation"


def test_the_deadline_the_letter_gave_is_the_one_counted():
    received = ESCALATION_DAY
    delivery = Delivery(sent=NOTICE_DAY, received=received, deadline_days=15)
    assert decide(received + timedelta(days=14), delivery).step is None
    assert decide(received + timedelta(days=15), delivery).step.key == "escalation"


def test_after_the_wait_the_next_step_comes_and_none_is_passed_over():
    # Catching up used to jump to "court" and record "escalation" as passed over: a step the
    # debtor never had. The steps now come in order.
    longer = Scenario("longer", (*B2B.steps, Step("court", 60, "task", "escalation")))
    received = NOTICE_DAY + timedelta(days=3)
    decision = evaluate(
        longer,
        anchor_due_date=DUE,
        as_of=DUE + timedelta(days=70),
        done_keys=DONE,
        deliveries={"formal_notice": Delivery(sent=NOTICE_DAY, received=received)},
    )
    assert decision.step.key == "escalation"
    assert decision.passed_over == ()


def test_the_same_day_gives_the_same_decision():
    delivery = Delivery(sent=NOTICE_DAY, received=NOTICE_DAY + timedelta(days=20))
    day = NOTICE_DAY + timedelta(days=25)
    assert decide(day, delivery) == decide(day, delivery)


def test_once_the_next_step_is_taken_the_letter_no_longer_holds_anything():
    # The last step taken is the escalation: no step follows it, nothing is awaited.
    delivery = Delivery(sent=NOTICE_DAY)
    decision = decide(ESCALATION_DAY + timedelta(days=40), delivery, done=DONE | {"escalation"})
    assert decision.step is None
    assert decision.waiting is None


def test_a_letter_planned_but_not_taken_yet_holds_nothing():
    # Before the formal notice is taken, its delivery facts (none) do not matter.
    decision = evaluate(
        B2B,
        anchor_due_date=DUE,
        as_of=NOTICE_DAY,
        done_keys=DONE - {"formal_notice"},
        deliveries={"formal_notice": Delivery(sent=None)},
    )
    assert decision.step.key == "formal_notice"
