"""A letter is never dropped without a person seeing it: a reminder letter nobody printed holds
its case when the next step falls due, until it is printed or skipped by hand."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.collection.actions import action_skip
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_an_unprinted_reminder_letter_holds_the_mise_en_demeure_until_a_person_acts():
    today = timezone.localdate()
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor, siren="732829320", address="3 rue Pasteur",
                           postal_code="69007", city="Lyon")
    InvoiceFactory(debtor=debtor, creditor=creditor, total_amount=Decimal("900.00"),
                   issue_date=today - timedelta(days=70), due_date=today - timedelta(days=40))
    contact_declare(creditor=creditor, debtor=debtor, step_key="call",
                    contact_date=today - timedelta(days=20), today=today)
    collection_run(as_of=today, creditor=creditor, dispatch=False)
    letter = Action.objects.get(debtor=debtor, step_key="reminder_letter")
    assert letter.state == "planned"
    # Weeks later the mise en demeure is due; the letter was never printed.
    later = today + timedelta(days=20)
    result = collection_run(as_of=later, creditor=creditor, dispatch=False)
    letter.refresh_from_db()
    assert letter.state == "planned"
    assert not Action.objects.filter(debtor=debtor, step_key="formal_notice").exists()
    assert result.held["waiting_for_pending_action"] == 1
    assert result.actions["cancelled"] == 0
    # A person skips it: the chase goes on with the next step.
    action_skip(action_id=letter.pk, actor="camille")
    collection_run(as_of=later, creditor=creditor, dispatch=False)
    assert Action.objects.get(debtor=debtor, step_key="formal_notice").state == "planned"
