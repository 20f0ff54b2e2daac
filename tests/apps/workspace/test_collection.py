"""With the collection app: today's calls, approvals, and what they put on the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action
from relance.apps.ledger.models import Debtor
from tests.apps.workspace.test_desk import record_missing_rates
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def day_run(creditor_a, today):
    late = DebtorFactory(creditor=creditor_a, name="Garage Martin SARL", phone="04 00 00 00 02")
    InvoiceFactory(debtor=late, creditor=creditor_a, issue_date=today - timedelta(days=70), due_date=today - timedelta(days=40))
    caller = DebtorFactory(creditor=creditor_a, name="Fleurs Petit SARL", phone="04 00 00 00 03")
    InvoiceFactory(debtor=caller, creditor=creditor_a, issue_date=today - timedelta(days=46), due_date=today - timedelta(days=16))
    # The steps before were taken by hand before Relance (a first pass no longer jumps to the
    # call or the mise en demeure): declared, the chase resumes there.
    contact_declare(creditor=creditor_a, debtor=late, step_key="reminder_letter",
                    contact_date=today - timedelta(days=15), today=today)
    contact_declare(creditor=creditor_a, debtor=caller, step_key="invoice_again",
                    contact_date=today - timedelta(days=6), today=today)
    collection_run(as_of=today, creditor=creditor_a, dispatch=False)
    return late, caller


def test_the_worklist_shows_actions_awaiting_approval_and_calls(collector_a, day_run):
    late, caller = day_run
    work = collector_a.get("/worklist/").context["work"]
    assert work.source == "collection"
    assert [a.debtor_id for a in work.approvals] == [late.pk]
    assert [a.debtor_id for a in work.calls] == [caller.pk]


def test_approving_from_the_worklist_approves_the_action(collector_a, day_run, today):
    action = Action.objects.get(requires_approval=True)
    # A mise en demeure that can be sent: approval checks it as the print batch will.
    late, _ = day_run
    Debtor.objects.filter(pk=late.pk).update(
        siren="732829320", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    record_missing_rates(late, today)
    response = collector_a.post(f"/worklist/actions/{action.pk}/approve/")
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.state == "approved"


def test_skipping_from_the_worklist_skips_the_action(collector_a, day_run):
    action = Action.objects.filter(channel="call").first()
    collector_a.post(f"/worklist/actions/{action.pk}/skip/")
    action.refresh_from_db()
    assert action.state == "skipped"


def test_a_viewer_cannot_approve(viewer_a, day_run):
    action = Action.objects.get(requires_approval=True)
    assert viewer_a.post(f"/worklist/actions/{action.pk}/approve/").status_code == 403


def test_the_actions_appear_on_the_debtor_timeline(collector_a, day_run):
    late, _ = day_run
    kinds = [item.kind for item in collector_a.get(f"/debtors/{late.pk}/").context["timeline"]]
    assert "action.planned" in kinds
