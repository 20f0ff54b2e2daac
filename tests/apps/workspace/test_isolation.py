"""A user of creditor A can neither read nor change anything of creditor B, by any URL: 404."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.workspace.models import ImportUpload
from relance.apps.workspace.services import import_upload_stage
from tests.apps.workspace.test_pages import CSV

pytestmark = pytest.mark.django_db


@pytest.fixture
def upload_b(creditor_b, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return import_upload_stage(creditor=creditor_b, user=None, kind="ledger", filename="b.csv", data=CSV.encode(), actor="t")


@pytest.fixture
def admin_of_a(login, creditor_a):
    return login("adele", "admin", creditor_a)


def test_the_debtor_page_of_b_is_not_found(admin_of_a, debtor_b):
    assert admin_of_a.get(f"/debtors/{debtor_b.pk}/").status_code == 404


def test_pausing_a_debtor_of_b_is_not_found_and_changes_nothing(admin_of_a, debtor_b):
    assert admin_of_a.post(f"/debtors/{debtor_b.pk}/hold/", {"hold": "1"}).status_code == 404
    debtor_b.refresh_from_db()
    assert not debtor_b.is_legal_hold


def test_notes_of_a_debtor_of_b_are_not_found_and_unchanged(admin_of_a, debtor_b):
    assert admin_of_a.post(f"/debtors/{debtor_b.pk}/notes/", {"notes": "x"}).status_code == 404
    debtor_b.refresh_from_db()
    assert debtor_b.notes == ""


def test_the_debtor_list_never_shows_b(admin_of_a, debtor_a, debtor_b):
    body = admin_of_a.get("/debtors/?q=Secret").content.decode()
    assert "Secret Client B" not in body


def test_the_dashboard_counts_only_a(admin_of_a, debtor_a, debtor_b):
    assert admin_of_a.get("/").context["board"].open_count == 2


def test_the_worklist_lists_only_a(admin_of_a, debtor_a, debtor_b):
    assert "Secret Client B" not in admin_of_a.get("/worklist/").content.decode()


def test_an_upload_of_b_cannot_be_reviewed(admin_of_a, upload_b):
    assert admin_of_a.get(f"/imports/{upload_b.token}/").status_code == 404


def test_an_upload_of_b_cannot_be_confirmed_or_dropped(admin_of_a, upload_b):
    for decision in ("confirm", "drop"):
        response = admin_of_a.post(f"/imports/{upload_b.token}/confirm/", {"decision": decision})
        assert response.status_code == 404
    assert ImportUpload.objects.filter(pk=upload_b.pk).exists()


def test_an_upload_goes_to_the_active_creditor_only(admin_of_a, creditor_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    admin_of_a.post("/imports/", {"kind": "ledger", "file": SimpleUploadedFile("a.csv", CSV.encode())})
    assert ImportUpload.objects.get().creditor_id == creditor_a.pk


def test_settings_change_only_the_creditor_of_a(admin_of_a, creditor_a, creditor_b):
    admin_of_a.post("/settings/", {"name": "Renamed", "payment_terms_days": 30, "creditor": creditor_b.pk})
    creditor_b.refresh_from_db()
    assert creditor_b.name == "Beta SARL"


def test_the_switcher_cannot_reach_b(admin_of_a, creditor_b):
    assert admin_of_a.post("/creditor/", {"creditor": creditor_b.pk}).status_code == 404


def test_an_action_of_b_cannot_be_approved_or_skipped(admin_of_a, creditor_b, today):
    from datetime import timedelta

    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.history import contact_declare
    from relance.apps.collection.models import Action
    from tests.factories import DebtorFactory, InvoiceFactory

    debtor = DebtorFactory(creditor=creditor_b)
    InvoiceFactory(debtor=debtor, creditor=creditor_b, issue_date=today - timedelta(days=70), due_date=today - timedelta(days=40))
    # Declared done by hand: a first pass no longer jumps to the mise en demeure.
    contact_declare(creditor=creditor_b, debtor=debtor, step_key="reminder_letter",
                    contact_date=today - timedelta(days=15), today=today)
    collection_run(as_of=today, creditor=creditor_b, dispatch=False)
    action = Action.objects.get(requires_approval=True)
    for decision in ("approve", "skip"):
        assert admin_of_a.post(f"/worklist/actions/{action.pk}/{decision}/").status_code == 404
    assert admin_of_a.get(f"/worklist/actions/{action.pk}/preview/").status_code == 404
    assert admin_of_a.get(f"/worklist/actions/{action.pk}/preview/", HTTP_HX_REQUEST="true").status_code == 404
    action.refresh_from_db()
    assert action.state == "planned"
