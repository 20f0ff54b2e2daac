"""The first morning on a portfolio of old debts, then seventy days of passes (issue 14).

A creditor starts with Relance on debts 10 to 600 days late, business and consumer debtors,
one without an e-mail address. The first pass plans no mise en demeure and no message that
speaks of earlier attempts (each planned message is rendered and read). Then the pass runs
every day for seventy days, the outbox sending for real (the file transport), the mises en
demeure approved and printed, their receipt recorded: every debtor has had the scenario's
steps in order, none skipped, each at least the scenario's interval after the one before.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.actions import actions_approve
from relance.apps.collection.contexts import action_request, letter_contexts
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.letters import letter_deliver, letters_batch
from relance.apps.collection.models import Action, Case
from relance.apps.collection.scenarios import scenario_to_domain
from relance.documents.templates import render_step
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
START = date(2026, 1, 5)  # a Monday; seventy days later the rates of 2026 H1 still apply
# The sentences that presuppose an earlier attempt, in French and in English.
EARLIER_ATTEMPTS = (
    "précédents rappels",
    "restées sans effet",
    "restée sans effet",
    "resté sans réponse",
    "déjà sollicité",
    "earlier reminders",
    "have had no effect",
    "had no reply",
    "already contacted you",
    "mise en demeure",
    "MISE EN DEMEURE",
)


@pytest.fixture
def creditor(db, outbox):
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", vat_number="FR40552100554",
        address="12 rue des Tanneurs", postal_code="69002", city="Lyon",
        iban="FR7630006000011234567890189", bic="AGRIFRPP", email="compta@durand.example",
        phone="04 78 00 00 00", signature="Marie Durand, gérante",
    )


def portfolio(creditor):
    """Twelve debtors whose oldest debt is 10 to 600 days late on START."""
    debtors = []
    for n, days_late in enumerate((10, 18, 35, 60, 95, 130, 200, 270, 365, 420, 500, 600)):
        kind = "consumer" if n % 3 == 1 else "business"
        debtor = DebtorFactory(
            creditor=creditor, account=f"411{n:03d}", name=f"Client {n}", kind=kind,
            siren="732829320" if kind == "business" else "", address=f"{n} avenue Foch",
            postal_code="75016", city="Paris", phone="01 40 00 00 00",
            language="en" if n == 5 else "fr",
            # One debtor has no e-mail address: its e-mail steps go by post.
            email="" if n == 7 else f"client{n}@example.org",
        )
        due = START - timedelta(days=days_late)
        for k in range(1 + n % 3):  # one to three invoices, the later ones less late
            InvoiceFactory(
                debtor=debtor, creditor=creditor, number=f"FA-{n:03d}-{k}",
                issue_date=due + timedelta(days=7 * k - 30), due_date=due + timedelta(days=7 * k),
                total_amount=Decimal("480.00") + 100 * k,
            )
        debtors.append(debtor)
    return debtors


def rendered(action: Action, as_of: date) -> str:
    request = action_request(action, debtor=action.debtor, case=action.case)
    (built,) = letter_contexts([request], as_of=as_of, without_unknown_rates=True)
    assert not isinstance(built, Exception), built
    out = render_step(built.context, request.template)
    return " ".join(f"{out.subject}\n{out.text}".split())


def test_the_first_pass_plans_no_mise_en_demeure_and_nothing_that_speaks_of_earlier_attempts(creditor):
    debtors = portfolio(creditor)
    result = collection_run(creditor=creditor, as_of=START, dispatch=False)
    planned = list(Action.objects.exclude(state="skipped").select_related("debtor", "case"))
    assert len(planned) == len(debtors), "each debtor gets its first step, and one only"
    assert not [a for a in planned if a.channel == "registered_letter" or a.step_key == "formal_notice"]
    assert result.actions["awaiting_approval"] == 0
    for a in planned:
        assert a.step_key == "reminder", (a.debtor.account, a.step_key)
        text = rendered(a, START)
        for phrase in EARLIER_ATTEMPTS:
            assert phrase not in text, (a.debtor.account, phrase, text)
        # Every overdue invoice is listed in the one first message.
        for inv in a.debtor.invoices.filter(due_date__lt=START):
            assert inv.number in text
    # The courtesy note meant for before the due date is not sent; it is dated today.
    skipped = Action.objects.filter(state="skipped")
    assert set(skipped.values_list("step_key", "reason", "planned_date")) == {("courtesy", "chase started", START)}
    # The debtor without an e-mail address gets the reminder by post, and it says why.
    by_post = Action.objects.get(debtor__account="411007")
    assert (by_post.channel, by_post.reason) == ("letter", "no usable e-mail address: sent by post instead")


def test_seventy_days_of_passes_take_every_step_in_order_at_its_interval(creditor, outbox):
    debtors = portfolio(creditor)
    for n in range(71):
        day = START + timedelta(days=n)
        collection_run(creditor=creditor, as_of=day)
        actions_approve(ids=None, creditor=creditor, actor="user:marie")
        batch = letters_batch(as_of=day, workers=1)
        assert not batch.refused, [p.message for p in batch.problems]
        # A registered letter printed three days ago is received today.
        for letter in Action.objects.filter(channel="registered_letter", state="sent", received_date=None,
                                            planned_date__lte=day - timedelta(days=3)):
            letter_deliver(action_id=letter.pk, tracking=f"1A{letter.pk:011d}", received=day)
        # Calls are made the day they are planned; nobody answers.
        for call in Action.objects.filter(channel="call", state="planned", planned_date=day):
            Action.objects.filter(pk=call.pk).update(state="sent", outcome={"outcome": "no_answer"})

    for debtor in debtors:
        case = Case.objects.get(debtor=debtor)
        scenario = scenario_to_domain(case.scenario)
        steps = [s for s in scenario.steps if s.applies_to(debtor.kind)]
        after_due = [s.key for s in steps if s.offset_days >= 0]
        rows = list(Action.objects.filter(case=case).exclude(step_key="no_acknowledgement").order_by("id"))
        taken = [a for a in rows if a.state != "skipped"]
        keys = [a.step_key for a in taken]
        # In order, none skipped, none repeated: a prefix of the steps after the due date.
        assert keys == after_due[: len(keys)], (debtor.account, keys)
        assert [a.step_key for a in rows if a.state == "skipped"] == [
            s.key for s in steps if s.offset_days < 0
        ]
        # Seventy days cover every amicable step and the mise en demeure of both scenarios.
        assert "formal_notice" in keys, (debtor.account, keys)
        for earlier, later in itertools.pairwise(taken):
            gap = scenario.step(later.step_key).offset_days - scenario.step(earlier.step_key).offset_days
            assert (later.planned_date - earlier.planned_date).days >= gap, (debtor.account, earlier, later)
        notice = next(a for a in taken if a.step_key == "formal_notice")
        assert notice.state == "sent"
        # The mise en demeure lists the attempts from the record, each dated.
        text = rendered(notice, notice.planned_date)
        assert "Ces démarches amiables sont restées sans effet" in text or "had no effect" in text
        for a in taken:
            if a.planned_date < notice.planned_date and a.state == "sent" and a.channel != "call":
                assert a.planned_date.strftime("%Y") in text
    sent = Action.objects.filter(channel="email", state="sent")
    assert sent.count() == len(list(outbox.glob("*.eml")))
    assert not Action.objects.filter(state="failed").exists()
    firsts: dict[int, Action] = {}
    for a in Action.objects.exclude(state="skipped").order_by("id"):
        firsts.setdefault(a.debtor_id, a)
    assert {a.step_key for a in firsts.values()} == {"reminder"}
    per_day = defaultdict(int)
    for a in Action.objects.exclude(state="skipped").exclude(step_key="no_acknowledgement"):
        per_day[(a.case_id, a.planned_date)] += 1
    assert max(per_day.values()) == 1, "one step per case and day at most"
