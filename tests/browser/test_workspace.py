"""A collector's morning in the browser: log in, import, find the debtor, switch to English."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


def _csv() -> str:
    today = timezone.localdate()
    rows = ["Numéro facture;Compte client;Raison sociale;SIREN;Téléphone;Date facture;Date échéance;Montant TTC;Reste dû"]
    for n, (days, amount) in enumerate([(75, "1840,00"), (40, "920,50"), (12, "310,00"), (-10, "560,00")]):
        due = today - timedelta(days=days)
        issue = due - timedelta(days=30)
        rows.append(f"FA-7{n:03d};411777;Menuiserie Lefèvre SARL;552100554;04 72 10 20 30;{issue:%d/%m/%Y};{due:%d/%m/%Y};{amount};{amount}")
    due = today - timedelta(days=100)
    rows.append(f"FA-8000;411888;Garage Martin SAS;;;{due - timedelta(days=30):%d/%m/%Y};{due:%d/%m/%Y};4200,00;4200,00")
    return "\n".join(rows) + "\n"


@pytest.fixture
def collector(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    return creditor


def _login(page, base):
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")


def test_a_collector_imports_a_ledger_and_works_a_debtor(page, live_server, collector, tmp_path, artifacts):
    base = live_server.url
    _login(page, base)
    assert page.get_by_role("heading", name="Tableau de bord").is_visible()

    csv_file = tmp_path / "export.csv"
    csv_file.write_text(_csv(), encoding="utf-8")
    page.goto(f"{base}/imports/")
    page.get_by_label("Fichier", exact=True).set_input_files(str(csv_file))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_selector("#confirm-import")
    assert page.locator(".count-created").inner_text() == "5"
    page.get_by_role("button", name="Importer pour de bon").click()
    page.wait_for_selector("text=Importé")

    page.goto(f"{base}/debtors/?q=Lefèvre")
    page.get_by_role("link", name="Menuiserie Lefèvre SARL").click()
    page.wait_for_selector("h1:has-text('Menuiserie Lefèvre SARL')")
    assert page.locator("table.list tbody tr").count() == 4

    page.get_by_label("Motif", exact=True).fill("Le client conteste une livraison")
    page.get_by_role("button", name="Suspendre les relances").click()
    page.wait_for_selector("text=Relances suspendues.")
    assert "debtor.held" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(artifacts / "debtor-fr.png"), full_page=True)

    page.get_by_label("Langue", exact=True).select_option("en")
    page.locator("#language-submit").click()
    page.wait_for_selector("text=Resume chasing")
    page.screenshot(path=str(artifacts / "debtor-en.png"), full_page=True)

    page.goto(f"{base}/")
    assert page.get_by_role("heading", name="Dashboard").is_visible()
    page.screenshot(path=str(artifacts / "dashboard-en.png"), full_page=True)

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/debtors/")
    page.screenshot(path=str(artifacts / "debtors-phone.png"), full_page=True)


def test_the_login_form_is_reachable_with_the_keyboard(page, live_server, collector):
    page.goto(f"{live_server.url}/login/")
    page.locator(".skip").focus()  # the username field has autofocus: start from the top
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()"))
    assert seen.index("language-switch") < seen.index("id_username") < seen.index("id_password") < seen.index("Connexion")
    page.locator("#id_username").fill("camille")
    page.locator("#id_password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_every_input_of_the_main_pages_has_a_label(page, live_server, collector):
    _login(page, live_server.url)
    for path in ("/", "/debtors/", "/imports/", "/worklist/"):
        page.goto(f"{live_server.url}{path}")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabelled == [], path
