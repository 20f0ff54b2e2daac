"""A collector's day in Chromium: the approval table approved in bulk (and with the keyboard),
the letters printed and a registered letter's tracking recorded, a call recorded in one click,
a plan proposed on the portal accepted."""

from __future__ import annotations

import shutil
import subprocess
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from relance.apps.collection.models import Action, PaymentPlan
from relance.apps.workspace.services import user_create
from tests.browser.test_workspace import PASSWORD, _declare, _login, _run_the_day
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def collector(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    return creditor


def _notices(creditor, count: int) -> list[Action]:
    from tests.apps.workspace.test_approval_table import _notices as notices

    return notices(creditor, timezone.localdate(), count)


def test_the_approval_table_approves_a_selection_with_the_keyboard_and_then_all(
    page, live_server, collector, artifacts
):
    notices = _notices(collector, 4)
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/worklist/")
    rows = page.locator("tbody.approval")
    assert rows.count() == 4
    # Previews come on demand: none is on the page until asked for.
    assert page.locator("pre.preview").count() == 0
    first = rows.nth(0)
    first.get_by_role("link", name="Aperçu").click()
    assert "MISE EN DEMEURE" in first.locator("pre.preview").inner_text().upper()
    page.screenshot(path=str(artifacts / "approval-table-fr.png"), full_page=True)
    # j: the first row; x: select it; Shift+A: approve the selection.
    page.locator("h1").click()
    page.keyboard.press("j")
    page.keyboard.press("x")
    assert first.locator("input.pick").is_checked()
    page.keyboard.press("Shift+A")
    page.wait_for_selector("text=1 action validée")
    approved = Action.objects.filter(pk__in=[a.pk for a in notices], state="approved")
    assert approved.count() == 1
    # Then the rest, all selected at once.
    assert page.locator("tbody.approval").count() == 3
    page.locator("#select-all").check()
    page.get_by_role("button", name="Valider la sélection").click()
    page.wait_for_selector("text=3 actions validées")
    assert Action.objects.filter(pk__in=[a.pk for a in notices], state="approved").count() == 4
    assert page.get_by_text("Rien à valider.").is_visible()


def test_the_preview_page_approves_and_skips(page, live_server, collector):
    notice, other = _notices(collector, 2)
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/worklist/actions/{notice.pk}/preview/")
    assert "MISE EN DEMEURE" in page.locator("pre.preview").inner_text().upper()
    page.locator("#preview-decide").get_by_role("button", name="Valider").click()
    page.wait_for_selector("text=Action validée.")
    page.goto(f"{base}/worklist/actions/{other.pk}/preview/")
    page.locator("#preview-decide").get_by_role("button", name="Passer").click()
    page.wait_for_selector("text=Action passée.")
    notice.refresh_from_db()
    other.refresh_from_db()
    assert (notice.state, other.state) == ("approved", "skipped")


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed")
def test_letters_are_printed_and_a_registered_letter_s_tracking_recorded(
    page, live_server, collector, artifacts
):
    from tests.apps.workspace.test_letters_page import _letter

    today = timezone.localdate()
    notice = _letter(collector, today, "Garage Martin SARL", "formal_notice", "registered_letter")
    reminder = _letter(collector, today, "Fleurs Petit SARL", "reminder_letter", "letter")
    base = live_server.url
    _login(page, base)
    page.get_by_role("link", name="Courriers à poster").click()
    page.wait_for_selector("h1:has-text('Courriers à poster')")
    assert page.locator("#print-form tbody tr").count() == 2
    page.get_by_role("button", name="Imprimer la sélection").click()
    page.wait_for_selector("#batch-ready")
    assert page.get_by_text("2 lettres imprimées").is_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les lettres à imprimer (PDF)").click()
    text = subprocess.run(["pdftotext", download.value.path(), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "Garage Martin SARL" in text
    assert "Fleurs Petit SARL" in text
    notice.refresh_from_db()
    reminder.refresh_from_db()
    assert (notice.state, reminder.state) == ("sent", "sent")
    # The registered letter now waits for La Poste.
    form = page.locator(f"#delivery-{notice.pk}")
    form.get_by_label("Numéro de suivi").fill("1A01234567890")
    form.get_by_label("Reçue le").fill(today.isoformat())
    page.screenshot(path=str(artifacts / "letters-fr.png"), full_page=True)
    form.get_by_role("button", name="Enregistrer").click()
    page.wait_for_selector("text=Suivi enregistré.")
    notice.refresh_from_db()
    assert (notice.tracking_number, notice.received_date) == ("1A01234567890", today)
    assert page.get_by_text("Aucun recommandé n’attend son numéro de suivi").is_visible()


def test_a_call_is_recorded_in_one_click(page, live_server, collector):
    today = timezone.localdate()
    debtor = DebtorFactory(creditor=collector, name="Fleurs Petit SARL", phone="04 72 00 00 30")
    InvoiceFactory(debtor=debtor, creditor=collector, issue_date=today - timedelta(days=48),
                   due_date=today - timedelta(days=18))
    _declare(collector, debtor.account, "invoice_again", 8)
    _run_the_day(collector)
    call = Action.objects.get(debtor=debtor, channel="call")
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/worklist/")
    card = page.locator("article.call-card", has_text="Fleurs Petit SARL")
    # The promise's amount is there already: what the debtor owes.
    assert card.get_by_label("Montant promis").input_value().replace("\u202f", " ") in (
        "1200,00", "1 200,00"
    )
    card.get_by_role("button", name="Message laissé").click()
    recorded = page.locator("article.call-card", has_text="Fleurs Petit SARL").locator(".recorded")
    recorded.wait_for()
    assert "message laissé" in recorded.inner_text()
    call.refresh_from_db()
    assert call.outcome["outcome"] == "voicemail"
    assert Action.objects.filter(debtor=debtor, channel="call", state="planned").count() == 1


def test_a_plan_proposed_on_the_portal_is_accepted_from_its_task(
    page, live_server, collector, settings
):
    from tests.apps.portal.test_portal import BASE, link, path_of

    settings.PUBLIC_URL = BASE
    settings.PORTAL_DAYS = 120
    today = timezone.localdate()
    debtor = DebtorFactory(creditor=collector, name="Boulangerie Durand",
                           email="compta@durand.example", language="fr")
    InvoiceFactory(debtor=debtor, creditor=collector, issue_date=today - timedelta(days=60),
                   due_date=today - timedelta(days=30))
    first = today + timedelta(days=10)
    Client().post(
        path_of(link(debtor, today)) + "plan/",
        {"instalments": "3", "first": first.isoformat(), "message": "Trois fois, merci",
         "lang": "fr"},
    )
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/worklist/")
    task = page.locator("li.proposal", has_text="Boulangerie Durand")
    assert "Trois fois, merci" in task.inner_text()
    assert "3 échéances à partir du" in task.inner_text()
    task.get_by_role("button", name="Accepter l’échéancier").click()
    page.wait_for_selector("text=Échéancier accepté")
    plan = PaymentPlan.objects.get(debtor=debtor)
    assert plan.instalments.count() == 3
    assert Action.objects.filter(plan=plan, step_key="plan_confirmation").exists()
    assert page.locator("li.proposal").count() == 0
