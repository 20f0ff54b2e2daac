"""A user granted creditor A gets 404 for everything of creditor B, through every endpoint and
every parameter: never 403, never B's data, and nothing of B changes."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.audit.models import Event
from relance.apps.collection.models import Action, Dispute, Promise

pytestmark = pytest.mark.django_db

CSV = (
    "Numéro facture;Compte client;Raison sociale;SIREN;Date facture;Date échéance;Montant TTC;Reste dû\n"
    "FA-900;411900;Menuiserie Lefèvre SARL;552100554;01/01/2026;31/01/2026;1200,00;1200,00\n"
)


@pytest.fixture(params=["collector", "admin"])
def a_only(request, api_as, creditor_a, creditor_b):
    return api_as(f"{request.param}-a", request.param, creditor_a)


@pytest.fixture
def b(creditor_b):
    debtor = creditor_b.debtors.get(name="Garage Secret SARL")
    return {
        "creditor": creditor_b,
        "debtor": debtor,
        "invoice": debtor.invoices.get(),
        "approval": Action.objects.get(creditor=creditor_b, requires_approval=True, state="planned"),
        "pending": Action.objects.filter(creditor=creditor_b, state="planned").order_by("id"),
    }


def _not_found(response):
    assert response.status_code == 404, (response.status_code, response.content)
    body = response.json()
    assert body["code"] == "not_found"
    text = response.content.decode()
    assert "Secret" not in text
    assert "Beta" not in text
    return body


READS = ["/api/invoices", "/api/debtors", "/api/aging", "/api/actions"]


@pytest.mark.parametrize("path", READS)
def test_every_list_for_creditor_b_is_not_found(a_only, b, path):
    _not_found(a_only.get(path, {"creditor": b["creditor"].pk}))


def test_a_creditor_that_does_not_exist_is_also_not_found(a_only):
    _not_found(a_only.get("/api/aging", {"creditor": 999999}))


def test_the_debtor_of_b_is_not_found_by_id_with_or_without_creditor(a_only, b, creditor_a):
    debtor_id = b["debtor"].pk
    _not_found(a_only.get(f"/api/debtors/{debtor_id}"))
    _not_found(a_only.get(f"/api/debtors/{debtor_id}", {"creditor": creditor_a.pk}))
    _not_found(a_only.get(f"/api/debtors/{debtor_id}", {"creditor": b["creditor"].pk}))


def test_invoices_of_a_debtor_account_of_b_are_not_found(a_only, b):
    _not_found(a_only.get("/api/invoices", {"debtor": b["debtor"].account}))


def test_lists_never_show_b(a_only, b):
    for path in [*READS, "/api/creditors"]:
        response = a_only.get(path, {"q": "Secret"} if path == "/api/debtors" else None)
        assert response.status_code == 200, path
        text = response.content.decode()
        for secret in ("Secret", "Beta", b["invoice"].number, b["debtor"].account):
            assert secret not in text, (path, secret)
    assert a_only.get("/api/debtors", {"q": "Secret"}).json()["count"] == 0


def test_approving_or_skipping_an_action_of_b_is_not_found_and_changes_nothing(a_only, b, creditor_a):
    events = Event.objects.count()
    states = dict(Action.objects.filter(creditor=b["creditor"]).values_list("pk", "state"))
    for action in [b["approval"], *b["pending"]]:
        for query in ("", f"?creditor={creditor_a.pk}", f"?creditor={b['creditor'].pk}"):
            _not_found(a_only.post(f"/api/actions/{action.pk}/approve{query}"))
            _not_found(a_only.post(f"/api/actions/{action.pk}/skip{query}"))
    assert dict(Action.objects.filter(creditor=b["creditor"]).values_list("pk", "state")) == states
    assert Event.objects.count() == events


def test_a_dispute_on_an_invoice_of_b_is_not_found(a_only, b):
    _not_found(a_only.post_json("/api/disputes", {"invoice": b["invoice"].number, "reason": "x"}))
    _not_found(a_only.post_json(f"/api/disputes?creditor={b['creditor'].pk}", {"invoice": b["invoice"].number}))
    assert not Dispute.objects.exists()


def test_a_promise_for_a_debtor_of_b_is_not_found(a_only, b, today):
    body = {"debtor": b["debtor"].account, "amount": "10.00", "date": (today + timedelta(days=5)).isoformat()}
    _not_found(a_only.post_json("/api/promises", body))
    _not_found(a_only.post_json(f"/api/promises?creditor={b['creditor'].pk}", body))
    assert not Promise.objects.exists()


def test_an_import_into_b_is_not_found(a_only, b):
    before = b["creditor"].invoices.count()
    upload = SimpleUploadedFile("l.csv", CSV.encode())
    _not_found(a_only.post(f"/api/imports/ledger?creditor={b['creditor'].pk}", {"file": upload}))
    assert b["creditor"].invoices.count() == before


def test_a_run_for_b_is_not_found(a_only, b):
    events = Event.objects.filter(creditor_id=b["creditor"].pk).count()
    _not_found(a_only.post(f"/api/run?creditor={b['creditor'].pk}"))
    assert Event.objects.filter(creditor_id=b["creditor"].pk).count() == events


def test_a_viewer_of_a_also_gets_404_for_b_not_403(api_as, creditor_a, b):
    viewer = api_as("vera", "viewer", creditor_a)
    _not_found(viewer.get(f"/api/debtors/{b['debtor'].pk}"))
    _not_found(viewer.get("/api/actions", {"creditor": b["creditor"].pk}))
    _not_found(viewer.post(f"/api/actions/{b['approval'].pk}/approve?creditor={b['creditor'].pk}"))
