"""What the call, the promise, the plan and the payment put in writing, received over real SMTP.

The daily pass sends through ``RELANCE_EMAIL_URL`` pointing at an aiosmtpd server: the
confirmation of a promise recorded from a call, of a plan created with ``relance plan
create`` (every instalment), and the thank-you for a payment, imported from a bank statement,
that settles the case. Each arrives once, however many passes run, with the amounts and dates
of the record; a debtor without an e-mail address gets the confirmation by post instead.
"""

from __future__ import annotations

import email
import socket
from datetime import date, timedelta
from decimal import Decimal
from email import policy

import pytest
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.banking.services import statement_import
from relance.apps.collection.calls import call_outcome_record
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.letters import letters_batch
from relance.apps.collection.models import Action, PaymentPlan, Promise
from relance.apps.collection.pauses import promise_add
from relance.apps.collection.scenarios import (
    scenario_export,
    scenario_import,
    scenarios_load_defaults,
)
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory
from tests.integration.test_paid_debtor_not_chased import camt053

controller_mod = pytest.importorskip("aiosmtpd.controller")
pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)  # a Monday
EURO = "\u00a0€"


class Keeping:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def titled(self, start: str) -> list[email.message.EmailMessage]:
        return [m for m in self.messages if str(m["Subject"]).startswith(start)]


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keeping()
    controller = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    yield handler
    controller.stop()


def owing(creditor, account, *, amount="1200.00", **fields):
    fields.setdefault("email", f"{account.lower()}@example.org")
    debtor = DebtorFactory(creditor=creditor, account=account, **fields)
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        number=f"{account}-1",
        issue_date=DUE - timedelta(days=30),
        due_date=DUE,
        total_amount=Decimal(amount),
    )
    return debtor


def text_of(message: email.message.EmailMessage) -> str:
    return message.get_body(("plain",)).get_content().replace("\r\n", "\n")


def test_a_promise_made_on_the_phone_is_confirmed_in_writing_once(creditor, smtp):
    debtor = owing(creditor, "411PROM")
    day = DUE - timedelta(days=5)
    while not Action.objects.filter(debtor=debtor, channel="call").exists():
        collection_run(creditor=creditor, as_of=day)
        day += timedelta(days=1)
        assert day < DUE + timedelta(days=40), "the scenario never planned the call"
    call = Action.objects.get(debtor=debtor, channel="call")
    call_day = call.planned_date
    call_outcome_record(
        action=call,
        outcome="promise",
        amount=Decimal("750.00"),
        day=date(2026, 4, 15),
        as_of=call_day,
        actor="camille",
    )
    for n in range(3):  # the same day again, and the next days: still one confirmation
        collection_run(creditor=creditor, as_of=call_day + timedelta(days=n))

    (mail,) = smtp.titled("Confirmation de votre engagement de paiement")
    assert mail["To"].addresses[0].addr_spec == "411prom@example.org"
    assert "15 avril 2026" in str(mail["Subject"])
    text = text_of(mail)
    assert f"vous vous engagez à régler 750,00{EURO} au plus tard le 15 avril 2026" in text
    assert "411PROM-1" in text
    confirmation = Action.objects.get(debtor=debtor, step_key="promise_confirmation")
    assert confirmation.promise == Promise.objects.get(debtor=debtor)
    assert (confirmation.state, confirmation.channel, confirmation.requires_approval) == (
        "sent",
        "email",
        False,
    )
    assert confirmation.planned_date == call_day
    assert Event.objects.filter(kind="action.sent", subject_id=confirmation.pk).count() == 1
    assert confirmation.sha256  # the message kept as sent
    assert confirmation.document


def test_a_plan_is_confirmed_with_every_instalment(creditor, smtp, capsys):
    debtor = owing(creditor, "411PLAN", amount="1000.00")
    as_of = DUE + timedelta(days=20)
    code = main(
        [
            "plan", "create", "--debtor", "411PLAN", "--instalments", "3",
            "--first", "2026-04-05", "--as-of", as_of.isoformat(), "--json",
        ]
    )
    assert code == 0, capsys.readouterr().err
    capsys.readouterr()
    collection_run(creditor=creditor, as_of=as_of)
    collection_run(creditor=creditor, as_of=as_of + timedelta(days=1))

    (mail,) = smtp.titled("Confirmation de votre échéancier de paiement (3 échéances)")
    text = text_of(mail)
    plan = PaymentPlan.objects.get(debtor=debtor)
    instalments = list(plan.instalments.order_by("position"))
    assert [i.amount for i in instalments] == [Decimal("333.34"), Decimal("333.33"), Decimal("333.33")]
    assert f"soit 1\u202f000,00{EURO}" in text
    assert f"- 5 avril 2026 : 333,34{EURO}" in text
    assert f"- 5 mai 2026 : 333,33{EURO}" in text
    assert f"- 5 juin 2026 : 333,33{EURO}" in text
    assert Action.objects.get(step_key="plan_confirmation").plan == plan


def test_a_debtor_without_e_mail_gets_the_confirmation_by_post(creditor, smtp):
    debtor = owing(
        creditor, "411POST", email="", address="3 rue Neuve", postal_code="69001", city="Lyon"
    )
    as_of = DUE + timedelta(days=20)
    promise_add(
        creditor=creditor,
        debtor_account=debtor.account,
        amount=Decimal("400.00"),
        promised_date=date(2026, 4, 10),
        as_of=as_of,
    )
    confirmation = Action.objects.get(debtor=debtor, step_key="promise_confirmation")
    assert confirmation.channel == "letter"
    assert "no usable e-mail" in confirmation.reason
    batch = letters_batch(as_of=as_of, creditor=creditor)
    assert [row["step"] for row in batch.letters] == ["promise_confirmation"]
    confirmation.refresh_from_db()
    assert confirmation.state == "sent"
    assert f"400,00{EURO} au plus tard le 10 avril 2026" in confirmation.body_text
    assert not smtp.messages
    # The next batch prints it no more.
    assert letters_batch(as_of=as_of + timedelta(days=1), creditor=creditor).letters == []


def test_a_debtor_with_neither_address_gets_a_task_for_a_person(creditor):
    debtor = owing(creditor, "411NONE", email="")
    promise_add(
        creditor=creditor,
        debtor_account=debtor.account,
        amount=Decimal("400.00"),
        promised_date=date(2026, 4, 10),
        as_of=DUE + timedelta(days=20),
    )
    (task,) = Action.objects.filter(debtor=debtor, step_key="promise_confirmation")
    assert task.channel == "task"
    assert task.subject.startswith("Confirm in writing by hand")


def _thank_you_in_b2b_scenario() -> None:
    scenarios_load_defaults()
    text = scenario_export(name="B2B standard")
    assert "thank_you" not in text
    scenario_import(text=text.replace("[[steps]]", "thank_you = true\n\n[[steps]]", 1))
    assert "thank_you = true" in scenario_export(name="B2B standard")


# Each payer its own account, as in life (the matching learns who pays from which IBAN).
IBANS = {"business": "FR7630004000031234567890143", "consumer": "FR1420041010050500013M02606"}


def _pay(creditor, debtor, amount: str, booked: date) -> None:
    result = statement_import(
        creditor=creditor,
        data=camt053(
            booked=booked,
            amount=Decimal(amount),
            payer=debtor.name,
            iban=IBANS[debtor.kind],
            ustrd=f"Reglement facture {debtor.account}-1",
        ),
        filename=f"camt-{debtor.account}.xml",
        as_of=booked,
    )
    assert result["matched"] == 1, result


def test_a_payment_that_settles_the_case_is_thanked_once_when_the_scenario_says_so(
    creditor, smtp
):
    _thank_you_in_b2b_scenario()
    business = owing(creditor, "411THX", amount="1234.50")
    consumer = owing(creditor, "411CONS", kind="consumer")  # its scenario thanks no one
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=8))  # the reminders
    paid_on = DUE + timedelta(days=9)
    _pay(creditor, business, "1234.50", paid_on)
    _pay(creditor, consumer, "1200.00", paid_on)
    for n in range(10, 14):
        collection_run(creditor=creditor, as_of=DUE + timedelta(days=n))

    (mail,) = smtp.titled("Merci pour votre règlement")
    assert mail["To"].addresses[0].addr_spec == "411thx@example.org"
    assert f"Merci pour votre règlement de 1\u202f234,50{EURO}" == str(mail["Subject"])
    text = text_of(mail)
    assert f"votre règlement de 1\u202f234,50{EURO} du 11 mars 2026" in text
    assert "Votre compte est désormais soldé" in text
    thanks = Action.objects.get(step_key="thank_you")
    assert (thanks.debtor, thanks.state, thanks.planned_date) == (
        business,
        "sent",
        DUE + timedelta(days=10),
    )


def test_a_creditor_may_thank_every_debtor(creditor, smtp):
    creditor.sends_thank_you = True
    creditor.save()
    consumer = owing(creditor, "411CONS", kind="consumer")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=8))
    _pay(creditor, consumer, "1200.00", DUE + timedelta(days=9))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=10))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=11))
    (mail,) = smtp.titled("Merci pour votre règlement")
    assert mail["To"].addresses[0].addr_spec == "411cons@example.org"


def test_a_case_settled_without_a_payment_is_not_thanked(creditor, smtp):
    creditor.sends_thank_you = True
    creditor.save()
    debtor = owing(creditor, "411NOPAY")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=8))
    # Written off in the ledger (or netted by a credit note): no payment to thank for.
    debtor.invoices.update(open_amount=Decimal("0"), status="paid")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=10))
    assert not Action.objects.filter(step_key="thank_you").exists()
    assert not smtp.titled("Merci")


def test_a_plan_proposed_on_the_portal_and_accepted_is_confirmed_in_writing(
    creditor, smtp, client, capsys, settings
):
    from tests.apps.portal.test_portal import BASE, link, path_of

    settings.PUBLIC_URL = BASE

    debtor = owing(creditor, "411PORTAL", amount="900.00")
    today = timezone.localdate()  # the portal's link is signed for the real day
    debtor.invoices.update(issue_date=today - timedelta(days=60), due_date=today - timedelta(days=30))
    first = today + timedelta(days=10)
    response = client.post(
        path_of(link(debtor, today)) + "plan/",
        {"instalments": "3", "first": first.isoformat(), "message": "", "lang": "fr"},
    )
    assert response.status_code == 302
    task = Action.objects.get(debtor=debtor, step_key="plan_proposal")
    assert not PaymentPlan.objects.exists()
    assert main(["plan", "accept", str(task.pk), "--as-of", today.isoformat(), "--json"]) == 0
    capsys.readouterr()
    task.refresh_from_db()
    assert (task.state, task.outcome["outcome"]) == ("sent", "accepted")
    # Accepting it again is refused: one plan, one confirmation.
    assert main(["plan", "accept", str(task.pk), "--as-of", today.isoformat()]) == 1
    assert "answered already" in capsys.readouterr().err
    collection_run(creditor=creditor, as_of=today)
    (mail,) = smtp.titled("Confirmation de votre échéancier de paiement (3 échéances)")
    plan = PaymentPlan.objects.get(debtor=debtor)
    assert plan.instalments.first().due_date == first
    assert f"soit 900,00{EURO}" in text_of(mail)
    assert f"- {first.day} " in text_of(mail)


def test_thanks_come_soon_or_never(creditor, smtp):
    debtor = owing(creditor, "411LATE")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=8))
    _pay(creditor, debtor, "1200.00", DUE + timedelta(days=9))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=10))  # closed, not thanked
    creditor.sends_thank_you = True  # turned on a fortnight later
    creditor.save()
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=24))
    assert not Action.objects.filter(step_key="thank_you").exists()
    assert not smtp.titled("Merci")
