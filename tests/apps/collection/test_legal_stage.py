"""The legal stage: the pass sends nothing, the key dates drive the worklist's reminders,
payments still close the case, a claim in court interrupts the time limit."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.legal_stage import case_legal, legal_date_record, legal_reminders_due
from relance.apps.collection.models import Action, Case, LegalStage
from relance.apps.collection.pauses import plan_create, promise_add
from relance.apps.legal.models import LimitationEvent
from relance.apps.workspace.debtor_selectors import _day, debtor_timeline
from relance.cli import main
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law.regime_rules import judgment_majoration_day
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 30)


def owing(creditor, amount="1200.00"):
    debtor = DebtorFactory(creditor=creditor)
    invoice = InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=DUE - timedelta(days=30),
                             due_date=DUE, total_amount=Decimal(amount))
    return debtor, invoice


def messages(outbox, *, to):
    """The e-mails the outbox wrote to ``to``."""
    return sorted(p.name for p in outbox.glob("**/*.eml") if to in p.read_text(errors="replace"))


def reminders_on(creditor, day):
    return [(d.debtor.account, d.reminder.code, d.reminder.deadline, d.is_past)
            for d in legal_reminders_due(creditor=creditor, as_of=day)]


def test_a_case_in_the_legal_stage_gets_nothing_from_the_pass_and_its_reminders_come_on_their_days(
    creditor, outbox
):
    debtor, _ = owing(creditor)
    other, _ = owing(creditor)  # chased as usual beside it: the pass does run
    for n in range(1, 12):
        collection_run(creditor=creditor, as_of=DUE + timedelta(days=n))
    assert Action.objects.filter(debtor=debtor, state="sent").exists()
    moved_on = DUE + timedelta(days=12)
    # A step planned for the case before it moved is cancelled with it, never sent.
    pending = Action.objects.create(
        creditor=creditor, debtor=debtor, case=Case.objects.get(debtor=debtor), step_key="final_reminder",
        channel="email", template="final_reminder", planned_date=moved_on, idempotency_key="test:pending",
    )
    stage = case_legal(creditor=creditor, account=debtor.account, route="injonction", as_of=moved_on, actor="test")
    assert stage.reference.startswith("R-2026-")
    pending.refresh_from_db()
    assert (pending.state, pending.reason) == ("cancelled", "legal stage")
    before = list(Action.objects.filter(debtor=debtor).values_list("pk", "state"))
    mails_before = messages(outbox, to=debtor.email)
    held = []
    dates = {"filed": moved_on + timedelta(days=3), "order_issued": date(2026, 3, 16),
             "order_served": date(2026, 4, 20)}
    seen: dict[str, date] = {}
    daily: dict[date, list] = {}
    day = moved_on
    while day <= date(2026, 6, 30):
        for key, when in dates.items():
            if when == day:
                legal_date_record(creditor=creditor, account=debtor.account, key=key, day=when, as_of=day)
        result = collection_run(creditor=creditor, as_of=day)
        held.append(result.held.get("legal_stage", 0))
        daily[day] = reminders_on(creditor, day)
        for account, code, _, _ in daily[day]:
            if account == debtor.account:
                seen.setdefault(code, day)
        day += timedelta(days=1)
    assert list(Action.objects.filter(debtor=debtor).values_list("pk", "state")) == before
    assert set(held) == {1}
    assert mails_before
    assert messages(outbox, to=debtor.email) == mails_before
    # The other debtor's chase went on meanwhile.
    assert Action.objects.filter(debtor=other, planned_date__gt=moved_on).exclude(state="cancelled").exists()
    # Served on 20 April 2026: opposition until 20 May (Wednesday), the formule from the 21st.
    assert seen == {"serve_order": date(2026, 3, 16), "opposition_period": date(2026, 4, 20),
                    "request_formula": date(2026, 5, 21)}
    assert daily[date(2026, 3, 15)] == []
    assert daily[date(2026, 4, 19)] == [(debtor.account, "serve_order", date(2026, 9, 16), False)]
    assert daily[date(2026, 5, 20)] == [(debtor.account, "opposition_period", date(2026, 5, 20), False)]
    assert daily[date(2026, 5, 21)] == [(debtor.account, "request_formula", None, False)]


def test_an_order_left_unserved_is_said_past_its_six_months(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="injonction", as_of=date(2026, 3, 1))
    legal_date_record(creditor=creditor, account=debtor.account, key="order_issued", day=date(2026, 3, 2),
                      as_of=date(2026, 3, 2))
    assert reminders_on(creditor, date(2026, 9, 2)) == [(debtor.account, "serve_order", date(2026, 9, 2), False)]
    assert reminders_on(creditor, date(2026, 9, 3)) == [(debtor.account, "serve_order", date(2026, 9, 2), True)]


def test_the_five_points_come_on_the_worklist_two_months_after_the_judgment_is_enforceable(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="lawyer", as_of=date(2025, 1, 2))
    for key, day in (("filed", date(2025, 1, 3)), ("judgment", date(2025, 1, 10)),
                     ("enforceable", date(2025, 1, 15))):
        legal_date_record(creditor=creditor, account=debtor.account, key=key, day=day, as_of=day)
    # The law engine's fr-judgment starts the +5 points on the same day (legal-fr.md TC10).
    assert judgment_majoration_day(date(2025, 1, 15)) == date(2025, 3, 16)
    assert reminders_on(creditor, date(2025, 3, 15)) == []
    assert reminders_on(creditor, date(2025, 3, 16)) == [(debtor.account, "judgment_majoration", None, False)]


def test_a_payment_still_closes_a_case_in_the_legal_stage(creditor):
    debtor, invoice = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="agency", as_of=DUE + timedelta(days=40))
    invoice.open_amount, invoice.status = Decimal("0.00"), "paid"
    invoice.save()
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=41))
    assert result.cases["closed_paid"] == 1
    assert Case.objects.get(debtor=debtor).status == "closed_paid"
    assert legal_reminders_due(creditor=creditor, as_of=DUE + timedelta(days=41)) == []


def test_serving_an_order_interrupts_the_time_limit_and_filing_its_request_does_not(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="injonction", as_of=date(2026, 3, 1))
    for key, day in (("filed", date(2026, 3, 2)), ("order_issued", date(2026, 3, 20)),
                     ("order_served", date(2026, 4, 7))):
        legal_date_record(creditor=creditor, account=debtor.account, key=key, day=day, as_of=day)
    [event] = LimitationEvent.objects.filter(debtor=debtor)
    assert (event.kind, event.date) == ("claim", date(2026, 4, 7))
    assert "2241" in event.proof
    assert "signification" in event.proof


def test_filing_a_refere_provision_interrupts_the_time_limit(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="refere-provision", as_of=date(2026, 3, 1))
    legal_date_record(creditor=creditor, account=debtor.account, key="filed", day=date(2026, 3, 2),
                      as_of=date(2026, 3, 2))
    assert list(LimitationEvent.objects.filter(debtor=debtor).values_list("kind", "date")) == [
        ("claim", date(2026, 3, 2))
    ]


def test_a_hand_off_to_an_agency_interrupts_nothing(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="agency", as_of=date(2026, 3, 1))
    legal_date_record(creditor=creditor, account=debtor.account, key="filed", day=date(2026, 3, 1),
                      as_of=date(2026, 3, 1))
    assert not LimitationEvent.objects.filter(debtor=debtor).exists()


@pytest.mark.parametrize(
    ("route", "key", "day", "words"),
    [
        ("lawyer", "order_issued", date(2026, 3, 2), "injonction de payer"),
        ("injonction", "order_served", date(2026, 3, 2), "Record order_issued"),
        ("injonction", "filed", date(2026, 3, 9), "in the future"),
        ("injonction", "filed", date(2026, 2, 27), None),
    ],
)
def test_a_key_date_that_cannot_be_is_refused_with_its_reason(creditor, route, key, day, words):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route=route, as_of=date(2026, 3, 1))
    if words is None:  # a sound date, then an order issued before it
        legal_date_record(creditor=creditor, account=debtor.account, key=key, day=day, as_of=date(2026, 3, 8))
        with pytest.raises(InvalidInputError, match="cannot come before filed"):
            legal_date_record(creditor=creditor, account=debtor.account, key="order_issued",
                              day=date(2026, 2, 26), as_of=date(2026, 3, 8))
        return
    with pytest.raises(InvalidInputError, match=words):
        legal_date_record(creditor=creditor, account=debtor.account, key=key, day=day, as_of=date(2026, 3, 8))
    assert not Event.objects.filter(kind="legal.date_recorded").exists()


def test_a_case_is_refused_the_legal_stage_twice_on_a_plan_or_for_a_debtor_who_owes_nothing(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="psrpc", as_of=date(2026, 3, 1))
    with pytest.raises(InvalidInputError, match="already in the legal stage"):
        case_legal(creditor=creditor, account=debtor.account, route="lawyer", as_of=date(2026, 3, 1))
    on_plan, _ = owing(creditor)
    plan_create(creditor=creditor, debtor_account=on_plan.account, instalments=2, first=date(2026, 3, 10),
                as_of=date(2026, 3, 1))
    with pytest.raises(InvalidInputError, match="payment plan"):
        case_legal(creditor=creditor, account=on_plan.account, route="lawyer", as_of=date(2026, 3, 1))
    quits = DebtorFactory(creditor=creditor)
    with pytest.raises(InvalidInputError, match="owes nothing"):
        case_legal(creditor=creditor, account=quits.account, route="lawyer", as_of=date(2026, 3, 1))
    with pytest.raises(InvalidInputError, match="Unknown route"):
        case_legal(creditor=creditor, account=on_plan.account, route="bailiff", as_of=date(2026, 3, 1))
    with pytest.raises(NotFoundError, match="not in the legal stage"):
        legal_date_record(creditor=creditor, account=quits.account, key="filed", day=date(2026, 3, 1),
                          as_of=date(2026, 3, 1))


def test_a_promise_or_a_plan_cannot_take_a_case_out_of_the_legal_stage(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="lawyer", as_of=date(2026, 3, 1))
    with pytest.raises(InvalidInputError, match="legal stage"):
        promise_add(creditor=creditor, debtor_account=debtor.account, amount=Decimal("100"),
                    promised_date=date(2026, 3, 20), as_of=date(2026, 3, 2))
    with pytest.raises(InvalidInputError, match="legal stage"):
        plan_create(creditor=creditor, debtor_account=debtor.account, instalments=2, first=date(2026, 3, 20),
                    as_of=date(2026, 3, 2))
    assert Case.objects.get(debtor=debtor).status == "legal"
    assert not Action.objects.filter(debtor=debtor).exists()


def test_the_stage_and_its_dates_are_events_on_the_debtor_timeline(creditor):
    debtor, _ = owing(creditor)
    case_legal(creditor=creditor, account=debtor.account, route="injonction", as_of=date(2026, 3, 1), actor="ana")
    legal_date_record(creditor=creditor, account=debtor.account, key="filed", day=date(2026, 3, 2),
                      as_of=date(2026, 3, 2), actor="ana")
    kinds = [(item.kind, item.actor) for item in debtor_timeline(debtor=debtor)]
    assert ("legal.stage_entered", "ana") in kinds
    assert ("legal.date_recorded", "ana") in kinds
    texts = {item.kind: item.text for item in debtor_timeline(debtor=debtor)}
    assert "njonction" in texts["legal.stage_entered"]
    assert _day(date(2026, 3, 2)) in texts["legal.date_recorded"]


def test_the_cli_moves_a_case_records_its_dates_and_lists_its_reminders(creditor, capsys):
    debtor, _ = owing(creditor)
    assert main(["case", "legal", "--debtor", debtor.account, "--route", "injonction", "--reference", "IP-77",
                 "--as-of", "2026-03-01", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["reference"] == "IP-77"
    assert main(["case", "legal-date", "--debtor", debtor.account, "--key", "order_issued", "--date",
                 "2026-03-05", "--as-of", "2026-03-05"]) == 0
    capsys.readouterr()
    assert main(["case", "reminders", "--as-of", "2026-03-06", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert (row["reference"], row["reminder"], row["deadline"]) == ("IP-77", "serve_order", "2026-09-05")
    assert main(["case", "legal-date", "--debtor", debtor.account, "--key", "judgment", "--date",
                 "2026-03-09", "--as-of", "2026-03-08"]) == 1
    assert "in the future" in capsys.readouterr().err
    assert LegalStage.objects.get().judgment_date is None
