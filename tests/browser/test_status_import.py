"""A collector uploads an agency's status file from the debtor list, in Chromium: refused whole with
every line and reason in French (nothing recorded), then taken in once corrected (issue 17)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.collection.legal_stage import case_legal
from relance.apps.collection.models import LegalStage, StatusReport
from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def handed_off(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    today = timezone.localdate()
    debtor = DebtorFactory(creditor=creditor, name="Garage Martin SAS")
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=today - timedelta(days=90),
                   due_date=today - timedelta(days=60), total_amount=Decimal("4200.00"))
    case_legal(creditor=creditor, account=debtor.account, route="agency", reference="AG-2026-12",
               as_of=today - timedelta(days=10))
    other = CreditorFactory(name="Voisin SARL")
    stranger = DebtorFactory(creditor=other, name="Client du voisin")
    InvoiceFactory(debtor=stranger, creditor=other, issue_date=today - timedelta(days=90),
                   due_date=today - timedelta(days=60), total_amount=Decimal("900.00"))
    case_legal(creditor=other, account=stranger.account, route="lawyer", reference="AV-VOISIN",
               as_of=today - timedelta(days=10))
    return debtor


def test_a_status_file_is_refused_whole_then_taken_in_from_the_debtor_list(
    page, live_server, handed_off, tmp_path, artifacts
):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")
    day = (timezone.localdate() - timedelta(days=1)).strftime("%d/%m/%Y")

    bad = tmp_path / "retour.csv"
    bad.write_text(f"reference;statut;montant;date\nAG-2026-12;partiellement payé;1 000,00;{day}\n"
                   f"AV-VOISIN;abandonné;;{day}\nAG-INCONNU;échéancier;;{day}\n", encoding="utf-8")
    page.goto(f"{base}/debtors/")
    page.get_by_label("Fichier de statut d’une société de recouvrement ou d’un avocat").set_input_files(str(bad))
    page.get_by_role("button", name="Importer le fichier de statut").click()
    page.wait_for_selector("text=retour.csv : refusé, rien n’a été importé.")
    refusal = page.get_by_role("alert").inner_text()
    assert "ligne 3 : " in refusal
    assert "AV-VOISIN" in refusal
    assert "ligne 4 : " in refusal
    assert "AG-INCONNU" in refusal
    assert "ligne 2" not in refusal
    page.screenshot(path=str(artifacts / "status-import-refused.png"), full_page=True)
    assert not StatusReport.objects.exists()

    good = tmp_path / "retour-corrige.csv"
    good.write_text(f"reference;statut;montant;date\nAG-2026-12;partiellement payé;1 000,00;{day}\n",
                    encoding="utf-8")
    page.get_by_label("Fichier de statut d’une société de recouvrement ou d’un avocat").set_input_files(str(good))
    page.get_by_role("button", name="Importer le fichier de statut").click()
    page.wait_for_selector("text=retour-corrige.csv : pris en entier.")
    assert page.url.rstrip("/").endswith("/debtors")
    report = StatusReport.objects.get()
    assert (report.status, report.amount) == ("partly_paid", Decimal("1000.00"))
    assert LegalStage.objects.get(reference="AV-VOISIN").reported_status == ""
