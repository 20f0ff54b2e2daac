"""A collector moves a case to the legal stage from the debtor page, records the order's date,
and finds the reminder it calls for on the worklist; all in French, in Chromium."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.collection.models import Case, LegalStage
from relance.apps.workspace.services import user_create
from relance.domain.law.dates import add_months
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def debtor(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    debtor = DebtorFactory(creditor=creditor, name="Garage Martin SAS")
    today = timezone.localdate()
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=today - timedelta(days=90),
                   due_date=today - timedelta(days=60), total_amount=Decimal("4200.00"))
    return debtor


def test_a_collector_moves_a_case_to_the_legal_stage_from_the_debtor_page(page, live_server, debtor, artifacts):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/debtors/{debtor.pk}/")
    stage = page.locator("#legal-stage")  # the dossier's form beside it has a route too
    stage.get_by_label("Voie").select_option("injonction")
    stage.get_by_label("Référence (facultative)").fill("IP-2026-0042")
    page.get_by_role("button", name="Passer en phase judiciaire").click()
    page.wait_for_selector("text=Le dossier est en phase judiciaire")
    assert Case.objects.get(debtor=debtor).status == "legal"
    # No promise nor plan is offered any more: they would write to the debtor.
    assert page.get_by_role("button", name="Enregistrer la promesse").count() == 0

    issued = timezone.localdate() - timedelta(days=3)
    page.get_by_label("Date clé", exact=True).select_option("order_issued")
    page.get_by_label("Date", exact=True).fill(issued.isoformat())
    page.get_by_role("button", name="Enregistrer la date").click()
    page.wait_for_selector("text=Date clé enregistrée.")
    assert LegalStage.objects.get().order_issued_date == issued
    card = page.locator("#legal-stage").inner_text()
    assert "Ordonnance rendue" in card
    assert "IP-2026-0042" in card
    assert "Phase judiciaire" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(artifacts / "legal-stage-fr.png"), full_page=True)

    page.goto(f"{base}/worklist/")
    row = page.locator("#legal tbody tr").first
    assert "Faire signifier l’ordonnance avant le" in row.inner_text()
    assert add_months(issued, 6).strftime("%d/%m/%Y") in row.inner_text()
