"""Letters to post: the approved letters not printed yet, one PDF for the selection, then the
registered letters waiting for La Poste (a form per letter, and a CSV file taken whole or
refused whole with each line and why, in French)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from relance.apps.collection.models import Action
from relance.apps.collection.pauses import case_for
from tests.apps.workspace.test_desk import record_missing_rates
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def _letter(creditor, today, name, step, channel):
    from datetime import timedelta

    debtor = DebtorFactory(creditor=creditor, name=name, siren="732829320",
                           address="3 rue Pasteur", postal_code="69007", city="Lyon")
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=today - timedelta(days=80),
                   due_date=today - timedelta(days=50))
    record_missing_rates(debtor, today)
    case = case_for(debtor=debtor, as_of=today - timedelta(days=30))
    # An earlier reminder in the record: a mise en demeure is never a first contact.
    Action.objects.create(
        creditor=creditor, debtor=debtor, case=case, step_key="reminder", channel="email",
        template="reminder", planned_date=today - timedelta(days=20), state="sent",
        idempotency_key=f"{debtor.pk}:reminder",
    )
    return Action.objects.create(
        creditor=creditor, debtor=debtor, case=case, step_key=step, channel=channel,
        template=step, planned_date=today, state="approved", requires_approval=True,
        idempotency_key=f"{debtor.pk}:{step}",
    )


@pytest.fixture
def post(creditor_a, today):
    notice = _letter(creditor_a, today, "Garage Martin SARL", "formal_notice", "registered_letter")
    reminder = _letter(creditor_a, today, "Fleurs Petit SARL", "reminder_letter", "letter")
    return notice, reminder


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_the_selection_is_printed_as_one_pdf_and_leaves_the_list(collector_a, post):
    notice, reminder = post
    assert "2 lettres validées attendent d’être imprimées" in page_text(collector_a.get("/worklist/"))
    text = page_text(collector_a.get("/letters/"))
    assert "Garage Martin SARL" in text
    assert "Fleurs Petit SARL" in text
    response = collector_a.post("/letters/print/", {"ids": [notice.pk]})
    assert response.status_code == 302
    notice.refresh_from_db()
    reminder.refresh_from_db()
    assert notice.state == "sent"
    assert notice.sha256
    assert reminder.state == "approved"  # not selected: still to print
    page = collector_a.get(response["Location"])
    body = page_text(page)
    assert "1 lettre imprimée" in body
    batch = page.context["batch"]
    pdf = b"".join(collector_a.get(f"/letters/batch/{batch}.pdf").streaming_content)
    printed = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True,
                             check=True).stdout.decode()
    assert "Garage Martin SARL" in printed
    assert "MISE EN DEMEURE" in printed.upper()
    assert "Fleurs Petit SARL" not in printed
    # The printed registered letter now waits for La Poste; the other is still to print.
    assert [a.pk for a in page.context["to_print"]] == [reminder.pk]
    assert [a.pk for a, _ in page.context["waiting"]] == [notice.pk]
    # Another creditor's batch, or a made-up one, is not served.
    assert collector_a.get(f"/letters/batch/{'0' * 64}.pdf").status_code == 404


def test_a_tracking_number_and_a_receipt_date_are_recorded_from_the_form(
    collector_a, creditor_a, post, today
):
    from relance.apps.collection.letters import letters_batch

    notice, _ = post
    letters_batch(as_of=today, creditor=creditor_a, ids=[notice.pk])
    prefix = f"d{notice.pk}"
    collector_a.post(f"/letters/{notice.pk}/deliver/", {f"{prefix}-tracking": "1A01234567890"})
    notice.refresh_from_db()
    assert notice.tracking_number == "1A01234567890"
    assert notice.received_date is None
    collector_a.post(
        f"/letters/{notice.pk}/deliver/",
        {f"{prefix}-tracking": "1A01234567890", f"{prefix}-received": today.isoformat()},
    )
    notice.refresh_from_db()
    assert notice.received_date == today
    assert notice.pk not in [a.pk for a, _ in collector_a.get("/letters/").context["waiting"]]


def test_a_tracking_file_with_a_bad_line_is_refused_whole_in_french(
    collector_a, creditor_a, post, today
):
    from relance.apps.collection.contexts import case_reference
    from relance.apps.collection.letters import letters_batch

    notice, reminder = post
    letters_batch(as_of=today, creditor=creditor_a)
    reference = case_reference(case=notice.case, debtor=notice.debtor, as_of=today)
    # The page shows the reference a tracking file quotes.
    assert f"référence {reference}, action {notice.pk}" in page_text(collector_a.get("/letters/"))
    bad = (
        "Référence;Numéro de suivi;Date de distribution\n"
        f"{reference};1A01234567890;{today:%d/%m/%Y}\n"
        f"R-2026-9999;1A09999999999;\n"
        f"{reference};12;32/13/2026\n"
    ).encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = collector_a.post(
        "/letters/tracking/", {"file": SimpleUploadedFile("suivi.csv", bad, "text/csv")}
    )
    assert response.status_code == 400
    text = page_text(response)
    assert "Le fichier est refusé, rien n’a été enregistré" in text
    assert "ligne 3 : aucun recommandé imprimé en attente de suivi ne porte la référence" in text
    assert "ligne 4 : '12' n’est pas un numéro de suivi" in text
    assert "ligne 4 : la même lettre figure déjà ligne 2" in text
    assert "n’est pas une date (JJ/MM/AAAA)" in text
    notice.refresh_from_db()
    assert notice.tracking_number == ""  # nothing half-imported
    good = (
        f"Référence;Numéro de suivi;Date de distribution\n{reference};1A 0123 4567 890;"
        f"{today:%d/%m/%Y}\n"
    ).encode()
    response = collector_a.post(
        "/letters/tracking/",
        {"file": SimpleUploadedFile("suivi.csv", good, "text/csv")},
        follow=True,
    )
    assert "1 numéro de suivi enregistré" in page_text(response)
    notice.refresh_from_db()
    assert (notice.tracking_number, notice.received_date) == ("1A01234567890", today)
    reminder.refresh_from_db()
    assert reminder.tracking_number == ""  # a simple letter has no tracking


def test_a_viewer_sees_the_letters_but_cannot_print_them(viewer_a, post):
    notice, _ = post
    assert "Imprimer la sélection" not in page_text(viewer_a.get("/letters/"))
    assert viewer_a.post("/letters/print/", {"ids": [notice.pk]}).status_code == 403
    notice.refresh_from_db()
    assert notice.state == "approved"
