"""Promises, payment plans: the case waits, then resumes (or closes) on its own."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from relance.apps.collection.confirmations import ANSWER_STEPS
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case, Promise
from relance.apps.collection.pauses import plan_create, promise_add
from relance.domain.errors import InvalidInputError
from relance.domain.scenario import schedule_instalments
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 3, 2)


def debtor_owing(creditor, amount="1200.00"):
    debtor = DebtorFactory(creditor=creditor)
    invoice = InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=DUE - timedelta(days=30), due_date=DUE,
                             total_amount=Decimal(amount))
    return debtor, invoice


def pay(invoice, amount):
    invoice.open_amount -= Decimal(amount)
    invoice.status = "paid" if invoice.open_amount <= 0 else "open"
    invoice.save()


def sent_steps(debtor):
    """The chase's steps (the written confirmation of a promise or plan is not one)."""
    return list(
        Action.objects.filter(debtor=debtor)
        .exclude(state="skipped")
        .exclude(step_key__in=ANSWER_STEPS)
        .values_list("step_key", flat=True)
    )


def test_a_kept_promise_pauses_the_chase_and_the_case_resumes_for_the_rest(creditor):
    debtor, invoice = debtor_owing(creditor)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    promise_add(creditor=creditor, debtor_account=debtor.account, amount=Decimal("500"),
                promised_date=DUE + timedelta(days=10), as_of=DUE + timedelta(days=4))
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=10))
    assert sent_steps(debtor) == ["reminder"]
    pay(invoice, "500")
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=11))
    assert Promise.objects.get().status == "kept"
    assert result.cases["promises_kept"] == 1
    assert Case.objects.get(debtor=debtor).status == "active"


def test_a_broken_promise_is_recorded_and_the_chase_resumes_with_the_most_advanced_step(creditor):
    debtor, _ = debtor_owing(creditor)
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    promise_add(creditor=creditor, debtor_account=debtor.account, amount=Decimal("1200"),
                promised_date=DUE + timedelta(days=10), grace_days=3, as_of=DUE + timedelta(days=4))
    for n in range(5, 14):
        collection_run(creditor=creditor, as_of=DUE + timedelta(days=n))
    assert sent_steps(debtor) == ["reminder"]
    assert Promise.objects.get().status == "open"
    result = collection_run(creditor=creditor, as_of=DUE + timedelta(days=14))
    assert Promise.objects.get().status == "broken"
    assert [p.code for p in result.problems] == ["promise_broken"]
    assert sent_steps(debtor) == ["reminder", "invoice_again"]
    assert Action.objects.get(debtor=debtor, step_key="invoice_again").state == "sent"


def test_a_plan_pauses_while_paid_on_time_and_resumes_at_the_first_missed_instalment(creditor):
    debtor, invoice = debtor_owing(creditor, "900.00")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=3))
    plan = plan_create(creditor=creditor, debtor_account=debtor.account, instalments=3,
                       first=DUE + timedelta(days=10), as_of=DUE + timedelta(days=5))
    assert [i.amount for i in plan.instalments.all()] == [Decimal("300.00")] * 3
    pay(invoice, "300")
    for n in range(6, 30):
        collection_run(creditor=creditor, as_of=DUE + timedelta(days=n))
    assert sent_steps(debtor) == ["reminder"]
    assert plan.instalments.filter(is_paid=True).count() == 1
    # The second instalment (DUE + 41) is not paid: after its grace days the chase resumes.
    for n in range(30, 47):
        collection_run(creditor=creditor, as_of=DUE + timedelta(days=n))
    plan.refresh_from_db()
    assert plan.status == "broken"
    assert Case.objects.get(debtor=debtor).status == "active"
    # The chase resumes with the step after the last one sent (it used to catch up with the
    # mise en demeure, passing over every step in between).
    assert sent_steps(debtor) == ["reminder", "invoice_again"]


def test_a_plan_paid_in_full_closes_the_case(creditor):
    debtor, invoice = debtor_owing(creditor, "100.00")
    plan_create(creditor=creditor, debtor_account=debtor.account, instalments=2, first=DUE, as_of=DUE)
    pay(invoice, "100")
    collection_run(creditor=creditor, as_of=DUE + timedelta(days=1))
    assert Case.objects.get(debtor=debtor).status == "closed_paid"


def test_a_promise_in_the_past_is_refused(creditor):
    debtor, _ = debtor_owing(creditor)
    with pytest.raises(InvalidInputError):
        promise_add(creditor=creditor, debtor_account=debtor.account, amount=Decimal("1"),
                    promised_date=DUE - timedelta(days=1), as_of=DUE)


@settings(max_examples=300, deadline=None)
@given(
    cents=st.integers(min_value=1, max_value=10**11),
    count=st.integers(min_value=1, max_value=60),
    every=st.sampled_from(["1m", "2m", "1w", "15d"]),
    first=st.dates(min_value=date(2025, 1, 1), max_value=date(2030, 12, 31)),
)
def test_instalments_sum_exactly_to_the_amount_owed(cents, count, every, first):
    total = Decimal(cents).scaleb(-2)
    schedule = schedule_instalments(total, count=count, first=first, every=every)
    amounts = [a for _, a in schedule]
    assert sum(amounts) == total
    assert max(amounts) - min(amounts) <= Decimal("0.01")
    assert all(a.as_tuple().exponent == -2 for a in amounts)
    days = [d for d, _ in schedule]
    assert days == sorted(days)
    assert len(set(days)) == len(days)
