"""A scenario a person assigned to a debtor is the one its new cases follow."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.contexts import step_for
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.pauses import case_for
from relance.apps.editors.services import scenario_assign
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DUE = date(2026, 3, 2)  # a Monday


def _overdue(creditor):  # type: ignore[no-untyped-def]
    debtor = DebtorFactory(creditor=creditor, kind="business")
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        issue_date=DUE - timedelta(days=30),
        due_date=DUE,
        total_amount=Decimal("5000.00"),
    )
    return debtor


def test_a_debtor_assigned_key_accounts_before_any_case_gets_a_call_first(creditor, outbox):  # type: ignore[no-untyped-def]
    key_accounts = Scenario.objects.get(name="Key accounts")
    assigned, other = _overdue(creditor), _overdue(creditor)
    scenario_assign(creditor=creditor, debtor=assigned, scenario=key_accounts)
    assert not Case.objects.filter(debtor=assigned).exists()

    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))

    assert Case.objects.get(debtor=assigned).scenario == key_accounts
    taken = Action.objects.filter(debtor=assigned).exclude(state="skipped")
    assert [(a.step_key, a.channel) for a in taken] == [("call_first", "call")]
    # The debtor beside it keeps the default for its kind: an e-mail three days after the due date.
    assert Case.objects.get(debtor=other).scenario.name == "B2B standard"
    sent = Action.objects.filter(debtor=other).exclude(state="skipped")
    assert [a.step_key for a in sent] == ["reminder"]


def test_a_case_opened_by_hand_and_a_rendered_step_follow_the_assignment(creditor):  # type: ignore[no-untyped-def]
    key_accounts = Scenario.objects.get(name="Key accounts")
    debtor = _overdue(creditor)
    scenario_assign(creditor=creditor, debtor=debtor, scenario=key_accounts)
    step = step_for(debtor=debtor, case=None, step_key="call_first")
    assert step is not None
    assert step.scenario_id == key_accounts.pk
    assert case_for(debtor=debtor, as_of=DUE).scenario == key_accounts
