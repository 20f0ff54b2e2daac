"""Call outcomes: each one closes the call, updates the case, and leaves an audit event."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.attempts import attempts_for
from relance.apps.collection.calls import (
    MAX_CALL_ATTEMPTS,
    call_outcome_record,
    task_complete,
    wrong_phones,
)
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case, Dispute, Promise
from relance.domain.errors import InvalidInputError, NotFoundError
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 3, 2)  # a Monday
DAY = DUE + timedelta(days=16)  # Wednesday 18 March: the call step (J+15) is due


@pytest.fixture
def call(creditor):
    debtor = DebtorFactory(creditor=creditor, phone="04 72 00 00 01")
    for n in range(2):
        InvoiceFactory(
            debtor=debtor,
            creditor=creditor,
            number=f"FA-CALL-{n}",
            issue_date=DUE - timedelta(days=30),
            due_date=DUE,
            total_amount=Decimal("600.00"),
        )
    # The two e-mails before the call were sent by hand: declared, the chase resumes at the call.
    contact_declare(creditor=creditor, debtor=debtor, step_key="invoice_again",
                    contact_date=DUE + timedelta(days=10), today=DAY)
    collection_run(creditor=creditor, as_of=DAY, dispatch=False)
    return Action.objects.get(debtor=debtor, channel="call", state="planned")


def record(call, outcome, **kwargs):
    return call_outcome_record(
        action=call, outcome=outcome, as_of=DAY, actor="user:camille", **kwargs
    )


def test_a_promise_closes_the_call_records_the_promise_and_pauses_the_case(call):
    result = record(call, "promise", amount=Decimal("1200"), day=DAY + timedelta(days=10))
    call.refresh_from_db()
    assert call.state == "sent"
    assert call.sent_at is not None
    assert call.outcome["outcome"] == "promise"
    assert call.outcome["amount"] == "1200.00"
    promise = Promise.objects.get(debtor=call.debtor)
    assert (promise.amount, promise.promised_date, result.promise) == (
        Decimal("1200"),
        DAY + timedelta(days=10),
        promise,
    )
    case = Case.objects.get(pk=call.case_id)
    assert case.status == "paused"
    assert case.paused_until == DAY + timedelta(days=13)
    event = Event.objects.get(kind="call.recorded", subject_id=call.pk)
    assert event.payload["outcome"] == "promise"
    assert event.actor == "user:camille"
    assert call.outcome["summary"] == "promesse de paiement de 1\u202f200,00\xa0€ au 28 mars 2026"


def test_the_outcome_is_quoted_among_the_earlier_attempts_of_later_letters(call):
    record(call, "promise", amount=Decimal("1200"), day=DAY + timedelta(days=10))
    attempts = attempts_for(debtor=call.debtor, before=DAY + timedelta(days=1))
    assert attempts[-1].channel == "call"
    assert attempts[-1].summary.startswith("promesse de paiement")


def test_an_english_debtor_gets_an_english_summary(call):
    call.debtor.language = "en"
    call.debtor.save()
    record(call, "call_back", day=DAY + timedelta(days=2))
    call.refresh_from_db()
    assert call.outcome["summary"] == "call back on 20 March 2026"


def test_a_promise_needs_an_amount_and_a_date_and_changes_nothing_without(call):
    for kwargs in (
        {"amount": Decimal("100")},
        {"day": DAY},
        {},
        {"amount": Decimal("0"), "day": DAY},
    ):
        with pytest.raises(InvalidInputError):
            record(call, "promise", **kwargs)
    with pytest.raises(InvalidInputError, match="already past"):
        record(call, "promise", amount=Decimal("10"), day=DAY - timedelta(days=1))
    call.refresh_from_db()
    assert call.state == "planned"
    assert call.outcome == {}
    assert not Promise.objects.exists()


def test_a_dispute_opens_one_per_invoice_named(call):
    result = record(
        call, "dispute", invoices=["FA-CALL-0", "FA-CALL-1"], reason="livraison incomplète"
    )
    assert sorted(d.invoice.number for d in result.disputes) == ["FA-CALL-0", "FA-CALL-1"]
    assert set(Dispute.objects.values_list("status", "reason")) == {
        ("open", "livraison incomplète")
    }
    call.refresh_from_db()
    assert call.outcome["invoices"] == ["FA-CALL-0", "FA-CALL-1"]


def test_a_dispute_on_an_unknown_or_someone_elses_invoice_is_refused_and_nothing_is_kept(
    call, creditor
):
    other = InvoiceFactory(
        debtor=DebtorFactory(creditor=creditor), creditor=creditor, number="FA-OTHER"
    )
    for numbers in (["FA-CALL-0", "FA-NOPE"], ["FA-CALL-0", other.number]):
        with pytest.raises(NotFoundError):
            record(call, "dispute", invoices=numbers, reason="x")
    with pytest.raises(InvalidInputError, match="reason"):
        record(call, "dispute", invoices=["FA-CALL-0"], reason="  ")
    with pytest.raises(InvalidInputError, match="invoice"):
        record(call, "dispute", invoices=[], reason="x")
    assert not Dispute.objects.exists()
    call.refresh_from_db()
    assert call.state == "planned"


def test_a_call_back_creates_one_call_on_that_day(call):
    day = DAY + timedelta(days=5)
    result = record(call, "call_back", day=day)
    [again] = result.follow_ups
    assert (again.channel, again.planned_date, again.state, again.step_key) == (
        "call",
        day,
        "planned",
        call.step_key,
    )
    assert Action.objects.filter(idempotency_key=f"call:{call.pk}:call_back").count() == 1
    with pytest.raises(InvalidInputError, match="already has its outcome"):
        record(call, "call_back", day=day)
    assert Action.objects.filter(debtor=call.debtor, channel="call").count() == 2


def test_a_call_back_needs_a_date_not_past(call):
    with pytest.raises(InvalidInputError, match="date"):
        record(call, "call_back")
    with pytest.raises(InvalidInputError, match="past"):
        record(call, "call_back", day=DAY - timedelta(days=1))


def test_a_wrong_number_is_marked_and_a_task_to_find_the_right_one_is_created(call):
    result = record(call, "wrong_number")
    [task] = result.follow_ups
    assert (task.channel, task.step_key, task.planned_date) == ("task", "find_number", DAY)
    assert wrong_phones(debtor=call.debtor) == {"04 72 00 00 01"}
    call.debtor.refresh_from_db()
    assert call.debtor.phone == "04 72 00 00 01"  # kept: nothing is lost
    done = task_complete(action=task, as_of=DAY, note="nouveau numéro 04 72 00 00 09")
    assert done.state == "sent"
    assert done.outcome["note"] == "nouveau numéro 04 72 00 00 09"
    with pytest.raises(InvalidInputError, match="closed already"):
        task_complete(action=task, as_of=DAY)


def test_paid_already_pauses_for_three_business_days_and_plans_a_check(call):
    result = record(call, "paid_already", day=DAY - timedelta(days=1))
    case = Case.objects.get(pk=call.case_id)
    assert case.status == "paused"
    assert case.paused_until == date(2026, 3, 23)
    [task] = result.follow_ups
    assert (task.step_key, task.planned_date) == ("check_payment", date(2026, 3, 23))
    assert Event.objects.filter(kind="case.paused", subject_id=case.pk).exists()


def test_paid_already_leaves_a_payment_plan_in_place(call, creditor):
    from relance.apps.collection.pauses import plan_create

    plan_create(
        creditor=creditor,
        debtor_account=call.debtor.account,
        instalments=2,
        first=DAY + timedelta(days=5),
        as_of=DAY,
    )
    record(call, "paid_already")
    assert Case.objects.get(pk=call.case_id).status == "plan"


def test_no_answer_retries_the_next_business_day_then_moves_on(call):
    current = call
    seen = []
    for n in range(1, MAX_CALL_ATTEMPTS + 1):
        result = call_outcome_record(
            action=current, outcome="no_answer", as_of=current.planned_date
        )
        seen.append(current.planned_date)
        if n < MAX_CALL_ATTEMPTS:
            [current] = result.follow_ups
        else:
            assert result.follow_ups == []
            assert result.outcome["gave_up"] is True
    assert seen == [date(2026, 3, 18), date(2026, 3, 19), date(2026, 3, 20)]
    assert Action.objects.filter(debtor=call.debtor, channel="call").count() == MAX_CALL_ATTEMPTS


def test_no_answer_on_a_friday_retries_on_monday(call):
    result = call_outcome_record(action=call, outcome="no_answer", as_of=date(2026, 3, 20))
    assert result.follow_ups[0].planned_date == date(2026, 3, 23)


def test_only_a_pending_call_takes_an_outcome(call):
    letter = Action.objects.create(
        creditor=call.creditor,
        debtor=call.debtor,
        case=call.case,
        step_key="reminder_letter",
        channel="letter",
        template="reminder_letter",
        planned_date=DAY,
        idempotency_key="test:letter",
    )
    with pytest.raises(InvalidInputError, match="not a call"):
        record(letter, "no_answer")
    call.state = "cancelled"
    call.save()
    with pytest.raises(InvalidInputError, match="cancelled"):
        record(call, "no_answer")
    with pytest.raises(InvalidInputError, match="outcome must be one of"):
        record(letter, "maybe")


def test_another_creditors_call_is_not_found(call):
    with pytest.raises(NotFoundError):
        call_outcome_record(
            action=call.pk, outcome="no_answer", as_of=DAY, creditor=CreditorFactory()
        )
    call.refresh_from_db()
    assert call.state == "planned"


def test_a_failed_outcome_rolls_back_the_disputes_already_opened(call, creditor):
    from relance.apps.collection.pauses import dispute_open

    dispute_open(creditor=creditor, invoice_number="FA-CALL-1", reason="earlier", as_of=DAY)
    with pytest.raises(InvalidInputError, match="already in dispute"):
        record(call, "dispute", invoices=["FA-CALL-0", "FA-CALL-1"], reason="x")
    assert list(Dispute.objects.values_list("invoice__number", flat=True)) == ["FA-CALL-1"]
    call.refresh_from_db()
    assert call.state == "planned"
    assert not Event.objects.filter(kind="call.recorded").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_recording_the_same_call_at_once_record_it_once():
    import threading

    from django.db import connection

    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor, phone="04 72 00 00 01")
    InvoiceFactory(
        debtor=debtor, creditor=creditor, issue_date=DUE - timedelta(days=30), due_date=DUE
    )
    contact_declare(creditor=creditor, debtor=debtor, step_key="invoice_again",
                    contact_date=DUE + timedelta(days=10), today=DAY)
    collection_run(creditor=creditor, as_of=DAY, dispatch=False)
    call = Action.objects.get(debtor=debtor, channel="call")
    barrier = threading.Barrier(2)
    done, refused = [], []

    def record_no_answer() -> None:
        try:
            barrier.wait()
            done.append(call_outcome_record(action=call.pk, outcome="no_answer", as_of=DAY))
        except InvalidInputError as exc:
            refused.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=record_no_answer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(done) == 1
    assert len(refused) == 1
    assert "already has its outcome" in refused[0].message
    assert (
        Action.objects.filter(debtor=debtor, channel="call").count() == 2
    )  # the call and one retry
    assert Event.objects.filter(kind="call.recorded").count() == 1


def test_an_invoice_not_received_goes_again_today_by_e_mail_or_by_post(call):
    from relance.apps.ledger.models import Debtor

    Debtor.objects.filter(pk=call.debtor_id).update(email="compta@client.example")
    result = record(call, "invoice_not_received")
    [again] = result.follow_ups
    assert (again.channel, again.step_key, again.template, again.planned_date) == (
        "email", "invoice_again", "invoice_again", DAY
    )
    call.refresh_from_db()
    assert call.outcome["summary"] == "facture non reçue, renvoyée le 18 mars 2026"
    # One resend, nothing else planned.
    assert Action.objects.filter(debtor=call.debtor, step_key="invoice_again").count() == 1


def test_an_invoice_not_received_without_an_e_mail_address_goes_by_post(call):
    from relance.apps.ledger.models import Debtor

    Debtor.objects.filter(pk=call.debtor_id).update(
        email="", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    [again] = record(call, "invoice_not_received").follow_ups
    assert again.channel == "letter"
    assert again.reason == "no usable e-mail address: sent by post instead"


def test_cash_difficulties_put_a_plan_to_offer_on_today_s_tasks(call):
    [task] = record(call, "cash_difficulty").follow_ups
    assert (task.channel, task.step_key, task.planned_date) == ("task", "offer_plan", DAY)
    call.refresh_from_db()
    assert call.outcome["summary"] == "difficultés de trésorerie, échéancier à proposer"


def test_a_voicemail_is_called_again_the_next_business_day(call):
    [retry] = record(call, "voicemail").follow_ups
    assert (retry.channel, retry.planned_date, retry.attempts) == ("call", DAY + timedelta(days=1), 1)
    call.refresh_from_db()
    assert call.outcome["summary"] == "message laissé"
