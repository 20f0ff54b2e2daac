"""The worklist's priority rule (``worklist_selectors.priority_annotate``): overdue amount × days
late × (1 + broken promises + disputes), and the filters that narrow the list."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.models import Action, Case, Dispute, Promise, Scenario
from relance.apps.workspace.worklist_selectors import (
    WorkFilters,
    priority_annotate,
    worklist,
)
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def _call(creditor, today, name, amount, days, *, broken=0, disputed=False):
    debtor = DebtorFactory(creditor=creditor, name=name)
    invoice = InvoiceFactory(
        debtor=debtor, creditor=creditor, total_amount=Decimal(amount),
        issue_date=today - timedelta(days=days + 30), due_date=today - timedelta(days=days),
    )
    # Not yet due: it counts in no factor.
    InvoiceFactory(debtor=debtor, creditor=creditor, total_amount=Decimal("5000"),
                   due_date=today + timedelta(days=10))
    scenario, _ = Scenario.objects.get_or_create(name="test")
    case = Case.objects.create(creditor=creditor, debtor=debtor, scenario=scenario, opened_on=today)
    for n in range(broken):
        Promise.objects.create(
            creditor=creditor, debtor=debtor, case=case, amount=Decimal("10"),
            promised_date=today - timedelta(days=5 + n), baseline_amount=Decimal(amount),
            status=Promise.Status.BROKEN,
        )
    if disputed:
        Dispute.objects.create(creditor=creditor, invoice=invoice, opened_on=today,
                               status=Dispute.Status.CLOSED)
    return Action.objects.create(
        creditor=creditor, debtor=debtor, case=case, step_key="call", channel="call",
        template="call", planned_date=today, idempotency_key=f"t:{debtor.pk}",
    )


def test_the_score_is_amount_times_days_times_the_history(creditor_a, today):
    plain = _call(creditor_a, today, "Plain", "1000.00", 30)
    promised = _call(creditor_a, today, "Promised", "1000.00", 30, broken=2)
    disputed = _call(creditor_a, today, "Disputed", "1000.00", 30, disputed=True)
    rows = {a.pk: a for a in priority_annotate(Action.objects.all(), as_of=today)}
    assert rows[plain.pk].overdue_amount == Decimal("1000.00")
    assert rows[plain.pk].days_late == 30
    assert rows[plain.pk].priority == Decimal("30000.00")
    assert rows[promised.pk].broken_promises == 2
    assert rows[promised.pk].priority == Decimal("90000.00")
    assert rows[disputed.pk].disputes == 1
    assert rows[disputed.pk].priority == Decimal("60000.00")


def test_a_larger_later_debt_comes_first_and_a_history_lifts_a_smaller_one(creditor_a, today):
    small = _call(creditor_a, today, "Small", "100.00", 10)
    big = _call(creditor_a, today, "Big", "2000.00", 60)
    older = _call(creditor_a, today, "Older", "2000.00", 90)
    troubled = _call(creditor_a, today, "Troubled", "100.00", 10, broken=30)
    work = worklist(creditor=creditor_a, as_of=today)
    assert [a.pk for a in work.calls] == [older.pk, big.pk, troubled.pk, small.pk]


def test_the_filters_keep_debtors_with_a_history_or_above_an_amount(creditor_a, today):
    _call(creditor_a, today, "Small", "100.00", 10)
    big = _call(creditor_a, today, "Big", "2000.00", 60)
    troubled = _call(creditor_a, today, "Troubled", "100.00", 10, broken=1)
    history = worklist(creditor=creditor_a, as_of=today, filters=WorkFilters(with_history=True))
    assert [a.pk for a in history.calls] == [troubled.pk]
    at_least = WorkFilters.from_query({"min": "1 000,00"})
    assert at_least.min_amount == Decimal("1000.00")
    assert [a.pk for a in worklist(creditor=creditor_a, as_of=today, filters=at_least).calls] == [
        big.pk
    ]
    assert WorkFilters.from_query({"min": "beaucoup", "channel": "fax"}) == WorkFilters()
