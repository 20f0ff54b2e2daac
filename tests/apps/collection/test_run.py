"""The daily pass: one action per debtor and step, idempotent, set-based, safe to chase."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.services import chain_verify
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.pauses import debtor_hold, dispute_close, dispute_open
from relance.apps.collection.scenarios import scenario_export, scenario_import
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)  # Monday


def overdue_debtor(creditor, *, dues=(DUE,), kind="business", amount="1200.00", **kw):
    debtor = DebtorFactory(creditor=creditor, kind=kind, **kw)
    invoices = [
        InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=d - timedelta(days=30), due_date=d,
                       total_amount=Decimal(amount))
        for d in dues
    ]
    return debtor, invoices


def declare(debtor, step_key, day):
    """A step done by hand before Relance took over (``relance case history add``)."""
    contact_declare(creditor=debtor.creditor, debtor=debtor, step_key=step_key, contact_date=day, today=day)


def steps(debtor, state=None):
    qs = Action.objects.filter(debtor=debtor).order_by("id")
    if state:
        qs = qs.filter(state=state)
    return [a.step_key for a in qs]


def test_the_default_scenarios_are_installed():
    assert set(Scenario.objects.values_list("name", flat=True)) == {"B2B standard", "Consumer gentle", "Key accounts", "Public bodies"}


def test_one_action_per_debtor_and_step_listing_every_overdue_invoice(creditor, outbox):
    debtor, invoices = overdue_debtor(creditor, dues=(DUE, DUE + timedelta(days=1), DUE - timedelta(days=2)))
    result = collection_run(creditor=creditor, as_of=DUE - timedelta(days=2) + timedelta(days=3))
    assert result.actions["sent"] == 1
    (action,) = Action.objects.filter(debtor=debtor, state="sent")
    assert action.step_key == "reminder"
    # The step follows the oldest overdue invoice; the message lists the overdue ones.
    # as_of is DUE + 1: the invoice due that day is not overdue yet and is not listed.
    assert sorted(action.invoice_ids) == sorted([invoices[0].pk, invoices[2].pk])
    assert len(list(outbox.glob("*.eml"))) == 1


def test_running_twice_the_same_day_creates_nothing_new(creditor, outbox):
    overdue_debtor(creditor)
    first = collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    count = Action.objects.count()
    second = collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    assert first.actions["sent"] == 1
    assert Action.objects.count() == count
    assert second.as_dict()["actions"] == dict.fromkeys(second.as_dict()["actions"], 0)
    assert len(list(outbox.glob("*.eml"))) == 1


def test_the_first_pass_on_an_overdue_debt_starts_with_the_reminder_and_skips_nothing_after_it(creditor, outbox):
    # Catching up used to jump to "invoice again" and record the reminder as skipped: the
    # debtor got "our reminder had no reply" without any reminder. The chase now starts with
    # the reminder; only the courtesy note meant for before the due date is not sent, and it
    # is dated the day the chase started.
    debtor, _ = overdue_debtor(creditor)
    start = DUE + timedelta(days=12)
    result = collection_run(creditor=creditor, as_of=start)
    assert steps(debtor) == ["courtesy", "reminder"]
    assert steps(debtor, "skipped") == ["courtesy"]
    courtesy = Action.objects.get(debtor=debtor, step_key="courtesy")
    assert (courtesy.reason, courtesy.planned_date) == ("chase started", start)
    assert result.actions["sent"] == 1
    assert len(list(outbox.glob("*.eml"))) == 1
    # The next step keeps the scenario's gap (7 days from the reminder), not its date by the due date.
    collection_run(creditor=creditor, as_of=start + timedelta(days=6))
    assert steps(debtor) == ["courtesy", "reminder"]
    collection_run(creditor=creditor, as_of=start + timedelta(days=7))
    assert steps(debtor) == ["courtesy", "reminder", "invoice_again"]


def test_a_call_step_becomes_a_task_on_a_business_day(creditor):
    debtor, _ = overdue_debtor(creditor, dues=(date(2026, 4, 29),))  # J+15 = Thursday 14 May (Ascension)
    # The chase no longer jumps to the call on a first pass: the e-mails before it were sent by hand.
    declare(debtor, "invoice_again", date(2026, 5, 9))
    collection_run(creditor=creditor, as_of=date(2026, 5, 9))
    collection_run(creditor=creditor, as_of=date(2026, 5, 14))
    assert not Action.objects.filter(debtor=debtor, step_key="call").exists()
    collection_run(creditor=creditor, as_of=date(2026, 5, 15))
    call = Action.objects.get(debtor=debtor, step_key="call")
    assert (call.planned_date, call.state) == (date(2026, 5, 15), "planned")


def test_the_mise_en_demeure_waits_for_approval_and_holds_the_case(creditor):
    debtor, _ = overdue_debtor(creditor)
    # The steps before it were taken outside Relance (a first pass never plans a mise en demeure).
    declare(debtor, "reminder_letter", DUE + timedelta(days=25))
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=36))
    assert result.actions["awaiting_approval"] == 1
    action = Action.objects.get(debtor=debtor, step_key="formal_notice")
    assert (action.state, action.requires_approval) == ("planned", True)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=51))
    assert not Action.objects.filter(debtor=debtor, step_key="escalation").exists()


def test_a_settled_debtor_gets_nothing_and_pending_work_is_cancelled(creditor):
    debtor, (invoice,) = overdue_debtor(creditor)
    declare(debtor, "invoice_again", DUE + timedelta(days=10))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=16))
    assert steps(debtor, "planned") == ["call"]
    invoice.open_amount, invoice.status = Decimal("0"), "paid"
    invoice.save()
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=17))
    assert result.actions["cancelled"] == 1
    assert steps(debtor, "planned") == []
    assert Case.objects.get(debtor=debtor).status == "closed_paid"
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=30))
    assert Action.objects.filter(debtor=debtor).exclude(state__in=["cancelled", "skipped", "sent"]).count() == 0


def test_a_disputed_invoice_leaves_the_chase_and_the_rest_continues(creditor):
    debtor, (old, new) = overdue_debtor(creditor, dues=(DUE - timedelta(days=20), DUE))
    dispute_open(creditor=creditor, invoice_number=old.number, reason="livraison incomplète", as_of=DUE)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    action = Action.objects.get(debtor=debtor, step_key="reminder")
    assert action.invoice_ids == [new.pk]
    dispute_close(creditor=creditor, invoice_number=old.number, as_of=DUE + timedelta(days=4))


def test_a_debtor_with_every_invoice_in_dispute_gets_nothing(creditor):
    debtor, (invoice,) = overdue_debtor(creditor)
    dispute_open(creditor=creditor, invoice_number=invoice.number, reason="", as_of=DUE)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    assert steps(debtor) == []


@pytest.mark.parametrize("flag", ["legal", "do-not-contact"])
def test_a_held_debtor_gets_no_message(creditor, flag):
    debtor, _ = overdue_debtor(creditor)
    debtor_hold(creditor=creditor, debtor_account=debtor.account, hold=True, kind=flag, reason="avocat")
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    assert steps(debtor) == []
    assert sum(result.held.values()) == 1
    debtor_hold(creditor=creditor, debtor_account=debtor.account, hold=False, kind=flag)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=4))
    assert steps(debtor, "sent") == ["reminder"]


def test_below_the_minimum_amount_the_step_waits(creditor):
    scenario_import(text=scenario_export(name="B2B standard").replace(
        'key = "reminder"\noffset_days = 3\nchannel = "email"\ntemplate = "reminder"',
        'key = "reminder"\noffset_days = 3\nchannel = "email"\ntemplate = "reminder"\nmin_amount = "50"'))
    debtor, _ = overdue_debtor(creditor, amount="20.00")
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    assert steps(debtor, "sent") == []
    assert result.held["below_minimum"] == 1


def test_consumers_follow_the_gentle_scenario_in_english(creditor, outbox):
    debtor, _ = overdue_debtor(creditor, kind="consumer", language="en")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    assert steps(debtor) == []
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=7))
    action = Action.objects.get(debtor=debtor, step_key="reminder")
    assert action.state == "sent"
    assert action.subject.startswith("Reminder: invoice")  # the documents' English text


def test_dry_run_changes_nothing(creditor, outbox):
    overdue_debtor(creditor)
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=3), dry_run=True)
    assert result.actions["planned"] == 1
    assert Action.objects.count() == 0
    assert Case.objects.count() == 0
    assert not outbox.exists() or not list(outbox.glob("*.eml"))


def test_every_change_is_in_the_audit_trail(creditor):
    overdue_debtor(creditor)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=12))
    from relance.apps.audit.models import Event

    kinds = set(Event.objects.values_list("kind", flat=True))
    assert {"case.opened", "action.skipped", "action.planned", "action.sending", "action.sent"} <= kinds
    assert chain_verify().ok


def test_idempotency_keys_name_creditor_debtor_scenario_and_step(creditor):
    debtor, (invoice,) = overdue_debtor(creditor)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    scenario = Scenario.objects.get(name="B2B standard")
    keys = set(Action.objects.values_list("idempotency_key", flat=True))
    assert f"{creditor.pk}:{debtor.pk}:{scenario.pk}:reminder" in keys
    # Paid, then late again: a new case, a new cycle, fresh keys.
    invoice.open_amount, invoice.status = Decimal("0"), "paid"
    invoice.save()
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=4))
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=DUE, due_date=DUE + timedelta(days=30))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=33))
    assert f"{creditor.pk}:{debtor.pk}:{scenario.pk}:reminder:2" in set(Action.objects.values_list("idempotency_key", flat=True))
