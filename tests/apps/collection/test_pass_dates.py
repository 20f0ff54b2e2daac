"""Dates are facts: a wrong ``--as-of`` never resets the chase (issue 19, point 1).

The probe's script: a real pass, then ``relance run --as-of 2000-01-01`` (it closed every case
as paid and cancelled every pending action, mises en demeure awaiting approval included), then
the normal pass again (it opened new cases: 7 debtors reminded twice the same day). And a pass
for a day after today (it queued 16 mises en demeure at once).
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import date, timedelta

import pytest
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 5)


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def _book(creditor) -> None:
    """Twelve debtors, each late by a different number of days: reminders, calls, formal
    notices awaiting approval. The oldest had their reminder letter by hand before Relance
    (declared: a first pass never jumps to a mise en demeure), so their chase resumes there."""
    for n in range(12):
        debtor = DebtorFactory(creditor=creditor, account=f"411{n:03}", email=f"d{n}@example.org")
        due = DAY - timedelta(days=3 + 6 * n)
        InvoiceFactory(
            debtor=debtor, creditor=creditor, number=f"FA-{n}", issue_date=due - timedelta(days=30),
            due_date=due,
        )
        if n >= 6:
            contact_declare(creditor=creditor, debtor=debtor, step_key="reminder_letter",
                            contact_date=DAY - timedelta(days=15), today=DAY)


def _snapshot() -> tuple[list[tuple[int, str]], list[tuple[int, str, str]], int]:
    cases = sorted(Case.objects.values_list("pk", "status"))
    actions = sorted(Action.objects.values_list("pk", "state", "reason"))
    return cases, actions, Event.objects.count()


@pytest.fixture
def chased(creditor, capsys):
    _book(creditor)
    code, out, err = run(capsys, "run", "--as-of", DAY.isoformat(), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["actions"]["awaiting_approval"] >= 1  # a formal notice waits for a person
    assert data["actions"]["sent"] >= 1
    creditor.refresh_from_db()
    assert creditor.last_pass_on == DAY
    return creditor


def test_a_pass_before_the_last_one_is_refused_and_changes_nothing(chased, capsys):
    before = _snapshot()
    code, _, err = run(capsys, "run", "--as-of", "2000-01-01")
    assert code == 1
    assert "2000-01-01" in err
    assert "last pass ran for 2026-03-05" in err
    assert "--dry-run" in err
    assert _snapshot() == before


def test_a_dry_run_for_a_day_long_ago_changes_nothing_and_closes_nothing(chased, capsys):
    before = _snapshot()
    code, out, _ = run(capsys, "run", "--as-of", "2000-01-01", "--dry-run", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["cases"].get("closed_paid", 0) == 0  # a day before the invoices proves no payment
    assert data["actions"]["cancelled"] == 0
    assert _snapshot() == before


def test_a_pass_after_today_is_refused(chased, capsys):
    before = _snapshot()
    tomorrow = timezone.localdate() + timedelta(days=1)
    code, _, err = run(capsys, "run", "--as-of", tomorrow.isoformat())
    assert code == 1
    assert "after today" in err
    assert _snapshot() == before
    code, _, _ = run(capsys, "run", "--as-of", tomorrow.isoformat(), "--dry-run", "--json")
    assert code == 0
    assert _snapshot() == before


def test_no_debtor_is_reminded_twice_a_day_after_the_issue_s_sequence(chased, capsys):
    approvals = set(
        Action.objects.filter(state="planned", requires_approval=True).values_list("pk", flat=True)
    )
    assert run(capsys, "run", "--as-of", "2000-01-01")[0] == 1
    assert run(capsys, "run", "--as-of", "2000-01-01", "--dry-run")[0] == 0
    code, out, _ = run(capsys, "run", "--as-of", DAY.isoformat(), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["actions"]["planned"], data["actions"]["sent"], data["cases"].get("opened", 0)) == (
        0, 0, 0,
    )
    assert not Case.objects.filter(status="closed_paid").exists()
    sent = Counter(Action.objects.filter(state="sent", channel="email").values_list("debtor_id", flat=True))
    assert sent
    assert set(sent.values()) == {1}
    still = set(
        Action.objects.filter(state="planned", requires_approval=True).values_list("pk", flat=True)
    )
    assert still == approvals  # the mises en demeure awaiting approval are all still there


def test_a_case_closes_on_a_payment_not_on_a_date(chased, capsys):
    from relance.apps.ledger.models import Invoice

    paid = Invoice.objects.get(number="FA-3")
    Invoice.objects.filter(pk=paid.pk).update(open_amount=0, status=Invoice.Status.PAID)
    code, out, _ = run(capsys, "run", "--as-of", (DAY + timedelta(days=1)).isoformat(), "--json")
    assert code == 0
    assert json.loads(out)["cases"]["closed_paid"] == 1
    assert Case.objects.get(debtor=paid.debtor).status == "closed_paid"
