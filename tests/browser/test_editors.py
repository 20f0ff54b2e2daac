"""An admin edits a template in Chromium: an unsafe line is refused with its line, the preview
shows the debtor's text, the saved template is what `relance render` then writes."""

from __future__ import annotations

import email
from email import policy

import pytest

from relance import cli
from relance.apps.editors.models import TemplateOverride
from relance.apps.workspace.services import user_create
from tests.apps.collection.test_letters import make_debtor
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def admin(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    creditor = CreditorFactory(
        name="Atelier Durand", iban="FR7630006000011234567890189", bic="AGRIFRPP"
    )
    user_create(username="adele", password=PASSWORD, role="admin", creditors=[creditor])
    make_debtor(creditor)
    return creditor


def _login(page, base):
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("adele")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")


def test_an_admin_edits_previews_saves_and_render_uses_it(
    page, live_server, admin, tmp_path, artifacts, capsys
):
    base = live_server.url
    _login(page, base)

    page.get_by_role("link", name="Scénarios et modèles").click()
    page.wait_for_selector("h1:has-text('Scénarios')")
    page.get_by_role("navigation", name="Éditeurs").get_by_role("link", name="Modèles").click()
    page.get_by_role("link", name="fr/reminder.txt").click()
    page.wait_for_selector("#state:has-text('texte livré')")

    source = page.get_by_label("Source du modèle")
    source.fill("Bonjour {{ debtor.name }},\n{{ ''.__class__.__mro__ }}\n")
    page.get_by_role("button", name="Enregistrer le modèle").click()
    page.wait_for_selector("#problems")
    assert "Ligne 2" in page.locator("#problems").inner_text()
    assert not TemplateOverride.objects.exists()

    source = page.get_by_label("Source du modèle")
    source.fill(
        "Bonjour {{ debtor.name }},\nTEXTE DU NAVIGATEUR : {{ totals.principal|money }} à régler.\n"
    )
    page.get_by_label("À la date du").fill("2026-04-15")
    page.get_by_role("button", name="Aperçu").click()
    page.wait_for_selector("#preview")
    preview = page.locator("#preview").inner_text()
    assert "Bonjour Dupont Bâtiment NT," in preview
    assert "TEXTE DU NAVIGATEUR : 1\u202f700,00\u00a0€ à régler." in preview
    assert not TemplateOverride.objects.exists()
    page.screenshot(path=str(artifacts / "template-preview-fr.png"), full_page=True)

    page.get_by_role("button", name="Enregistrer le modèle").click()
    page.wait_for_selector("text=Modèle enregistré")
    assert page.locator("#state").inner_text() == "modifié"

    out = tmp_path / "reminder.eml"
    assert (
        cli.main(
            [
                "render",
                "--debtor",
                "411DUPONT",
                "--step",
                "reminder",
                "--as-of",
                "2026-04-15",
                "--out",
                str(out),
            ]
        )
        == 0
    )
    capsys.readouterr()
    msg = email.message_from_bytes(out.read_bytes(), policy=policy.default)
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith(
        "Bonjour Dupont Bâtiment NT,\nTEXTE DU NAVIGATEUR : 1\u202f700,00\u00a0€ à régler."
    )

    page.get_by_role("button", name="Revenir au texte livré").click()
    page.wait_for_selector("#state:has-text('texte livré')")
    assert not TemplateOverride.objects.exists()


SCENARIO = """[scenario]
name = "Clients fidèles"
debtor_kinds = ["business"]

[[steps]]
key = "reminder"
offset_days = 7
channel = "email"
template = "reminder"

[[steps]]
key = "reminder_letter"
offset_days = 30
channel = "letter"
template = "reminder_letter"
"""


def test_an_admin_writes_a_scenario_and_gives_it_to_a_debtor(page, live_server, admin, artifacts):
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/scenarios/new/")
    page.get_by_label("Scénario (TOML, comme l’écrit relance scenario export)").fill(
        SCENARIO.replace("offset_days = 30", "offset_days = 1")
    )
    page.get_by_role("button", name="Vérifier et enregistrer").first.click()
    page.wait_for_selector("#problems")
    assert "offset_days" in page.locator("#problems").inner_text()

    page.get_by_label("Scénario (TOML, comme l’écrit relance scenario export)").fill(SCENARIO)
    page.get_by_role("button", name="Vérifier et enregistrer").first.click()
    page.wait_for_selector("text=Scénario « Clients fidèles » enregistré.")
    assert page.locator("#steps tbody tr").count() == 2

    page.get_by_label("Attribuer au débiteur de compte").fill("411DUPONT")
    page.get_by_role("button", name="Attribuer", exact=True).click()
    page.wait_for_selector("text=Scénario « Clients fidèles » attribué.")
    assert "Dupont Bâtiment NT" in page.locator("#reach").inner_text()
    page.screenshot(path=str(artifacts / "scenario-fr.png"), full_page=True)

    page.get_by_label("Langue", exact=True).select_option("en")
    page.locator("#language-submit").click()
    page.wait_for_selector("text=Which of your debtors follow it")
    page.goto(f"{base}/templates/")
    assert page.get_by_role("heading", name="Message templates").is_visible()
    page.screenshot(path=str(artifacts / "templates-en.png"), full_page=True)
