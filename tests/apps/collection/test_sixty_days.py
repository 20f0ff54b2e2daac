"""Sixty consecutive daily passes over the demo portfolio (issue 4, "Done when")."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.services import chain_verify
from relance.apps.collection.confirmations import ANSWER_STEPS
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case
from relance.apps.collection.pauses import dispute_open, promise_add
from relance.apps.collection.scenarios import scenario_to_domain
from relance.apps.ledger.demo import demo_load
from relance.apps.ledger.models import Invoice
from relance.domain.policy import planned_day
from relance.domain.scenario import step_days
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
START = date(2026, 3, 1)


def test_sixty_days_of_passes_send_each_step_once_on_its_day(outbox, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    demo_load(invoices=60, seed=1, as_of=START)
    from relance.apps.creditors.models import Creditor

    creditor = Creditor.objects.get()
    open_by_debtor = defaultdict(list)
    for inv in Invoice.objects.filter(status="open", open_amount__gt=0).order_by("due_date"):
        open_by_debtor[inv.debtor_id].append(inv)
    overdue = sorted((d for d in open_by_debtor if open_by_debtor[d][0].due_date < START),
                     key=lambda d: (open_by_debtor[d][0].due_date, d))
    # One debtor pays on day 10, one disputes everything, one promises to pay on day 20.
    payer, disputer, promiser = overdue[0], overdue[1], overdue[2]
    # The demo's debtors are mostly long overdue (their chase starts on day one); a few fall due during
    # the sixty days, so every step of theirs comes on its own day.
    for n in range(6):
        fresh = DebtorFactory(creditor=creditor, account=f"FRESH{n}", kind="consumer" if n % 3 == 0 else "business")
        InvoiceFactory(debtor=fresh, creditor=creditor, issue_date=START - timedelta(days=20),
                       due_date=START + timedelta(days=5 + 3 * n), total_amount=Decimal("480.00"))
    for inv in Invoice.objects.filter(debtor__account__startswith="FRESH"):
        open_by_debtor[inv.debtor_id].append(inv)
    for inv in open_by_debtor[disputer]:
        dispute_open(creditor=creditor, invoice_number=inv.number, reason="contestée", as_of=START)
    promiser_account = open_by_debtor[promiser][0].debtor.account
    anchor_before_promise = {}

    for n in range(60):
        day = START + timedelta(days=n)
        if n == 5:
            promise_add(creditor=creditor, debtor_account=promiser_account, amount=Decimal("1"),
                        promised_date=START + timedelta(days=20), grace_days=0, as_of=day)
            anchor_before_promise = set(Action.objects.filter(debtor_id=promiser).values_list("id", flat=True))
        if n == 10:
            Invoice.objects.filter(debtor_id=payer).update(open_amount=0, status="paid")
        collection_run(creditor=creditor, as_of=day)
        # Running again the same day changes nothing.
        if n % 15 == 0:
            again = collection_run(creditor=creditor, as_of=day)
            assert sum(again.as_dict()["actions"].values()) == 0

    actions = list(Action.objects.select_related("case__scenario").order_by("id"))
    by_case = defaultdict(list)
    for a in actions:
        by_case[a.case_id].append(a)
    for case_id, rows in by_case.items():
        # The written confirmations answer the debtor: not steps of the scenario.
        keys = [a.step_key for a in rows if a.step_key not in ANSWER_STEPS]
        assert len(keys) == len(set(keys)), f"case {case_id} repeated a step: {keys}"
        scenario = scenario_to_domain(rows[0].case.scenario)
        order = [s.key for s in scenario.steps]
        assert keys == [k for k in order if k in keys], f"case {case_id} out of order: {keys}"
        assert keys == order[: len(keys)], f"case {case_id} has a hole: {keys}"
    # Each step carried out on its day, or (an old debt, chased from START on a compressed
    # schedule) the scenario's gap after the step before it, whichever is later: never sooner,
    # never later. (It used to be "on its day" only: steps before START were caught up on.)
    checked = 0
    for debtor_id, invoices in open_by_debtor.items():
        if debtor_id in (payer, disputer, promiser):
            continue
        case = Case.objects.filter(debtor_id=debtor_id).first()
        if case is None:
            continue
        scenario = scenario_to_domain(case.scenario)
        days = dict(zip([s.key for s in scenario.steps], step_days(scenario.steps, invoices[0].due_date), strict=True))
        previous = None
        for a in by_case[case.pk]:
            if a.state == "skipped":
                assert scenario.step(a.step_key).offset_days < 0
                assert (a.reason, a.planned_date) == ("chase started", case.opened_on)
                continue
            step = scenario.step(a.step_key)
            expected = max(days[a.step_key], START)
            if previous is not None:
                gap = timedelta(days=step.offset_days - scenario.step(previous.step_key).offset_days)
                expected = max(expected, previous.planned_date + gap)
            expected = planned_day(channel=step.channel, day=expected)
            assert a.planned_date == expected, (a.step_key, a.planned_date, expected)
            previous = a
            checked += 1
    assert checked >= 15
    # E-mails: every one sent once (one file per Message-ID, one sent action per file).
    sent = [a for a in actions if a.channel == "email" and a.state == "sent"]
    assert len({a.message_id for a in sent}) == len(sent) == len(list(outbox.glob("*.eml")))
    # Nothing after the payer settled; nothing at all to the debtor in dispute.
    assert Case.objects.get(debtor_id=payer, cycle=1).status == "closed_paid"
    assert not [a for a in actions if a.debtor_id == payer and a.created_at.date() > START + timedelta(days=10)
                and a.state not in ("cancelled",) and a.planned_date > START + timedelta(days=10)]
    assert not [a for a in actions if a.debtor_id == disputer]
    # The promise (not kept) paused the chase until its date, then it resumed.
    promised = [a for a in actions if a.debtor_id == promiser and a.pk not in anchor_before_promise]
    assert all(a.planned_date > START + timedelta(days=20) for a in promised)
    (confirmation,) = [a for a in actions if a.debtor_id == promiser and a.step_key == "promise_confirmation"]
    assert (confirmation.state, confirmation.planned_date) == ("sent", START + timedelta(days=5))
    assert chain_verify().ok
