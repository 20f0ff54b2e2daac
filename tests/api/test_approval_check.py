"""The API refuses to approve a document that could not be sent, listing each problem."""

from __future__ import annotations

import pytest

from relance.apps.collection.models import Action
from relance.apps.ledger.models import Debtor
from tests.apps.workspace.test_desk import record_missing_rates

pytestmark = pytest.mark.django_db


def test_approving_a_mise_en_demeure_that_cannot_be_sent_is_refused_with_its_problems(
    collector_a, creditor_a, today
):
    # The fixture's mise en demeure is to a company with neither SIREN nor postal address.
    notice = Action.objects.get(creditor=creditor_a, requires_approval=True, state="planned")
    record_missing_rates(notice.debtor, today)
    response = collector_a.post(f"/api/actions/{notice.pk}/approve")
    assert response.status_code == 409  # well formed, refused by what the document lacks
    body = response.json()
    assert body["code"] == "not_sendable"
    assert body["message"].startswith("cannot be approved, the document could not be sent: ")
    codes = {p["code"] for p in body["problems"]}
    assert {"debtor_address", "debtor_siren"} <= codes
    assert all(p["message"].startswith(f"action {notice.pk} (") for p in body["problems"])
    notice.refresh_from_db()
    assert notice.state == "planned"

    Debtor.objects.filter(pk=notice.debtor_id).update(
        siren="732829320", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    response = collector_a.post(f"/api/actions/{notice.pk}/approve")
    assert response.status_code == 200
    assert response.json()["state"] == "approved"


def test_many_actions_are_approved_at_once_and_those_that_cannot_go_are_listed(
    collector_a, creditor_a, creditor_b, today
):
    notice = Action.objects.get(creditor=creditor_a, requires_approval=True, state="planned")
    record_missing_rates(notice.debtor, today)
    response = collector_a.post_json("/api/actions/approve", {"ids": [notice.pk]})
    assert response.status_code == 200
    body = response.json()
    assert body["approved"] == []
    [refused] = body["refused"]
    assert refused["id"] == notice.pk
    assert {"debtor_address", "debtor_siren"} <= {p["code"] for p in refused["problems"]}
    Debtor.objects.filter(pk=notice.debtor_id).update(
        siren="732829320", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    other = Action.objects.get(creditor=creditor_b, requires_approval=True, state="planned")
    response = collector_a.post_json("/api/actions/approve", {"ids": [notice.pk, other.pk]})
    assert response.status_code == 404  # another creditor's action: nothing approved
    notice.refresh_from_db()
    assert notice.state == "planned"
    response = collector_a.post_json("/api/actions/approve", {"ids": [notice.pk]})
    assert response.json() == {"approved": [notice.pk], "refused": []}
