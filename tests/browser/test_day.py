"""A collector's day in Chromium: apply cash, edit a debtor, and the first morning's onboarding."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def creditor(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="admin", creditors=[creditor])
    return creditor


def _login(page, base, then: str = "/"):
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state()
    page.goto(f"{base}{then}")


def test_a_collector_applies_a_suggested_credit_and_sees_the_mise_en_demeure_cancelled(
    page, live_server, creditor, artifacts
):
    from relance.apps.banking.services import statement_import
    from relance.apps.collection.models import Action
    from relance.apps.ledger.models import Invoice
    from tests.apps.banking._helpers import bank_csv
    from tests.apps.workspace.test_desk import desk_for

    today = timezone.localdate()
    _, _, _late, notice = desk_for(creditor, today, "A")
    Invoice.objects.filter(number="A-L0").update(
        total_amount=Decimal("2345.67"), open_amount=Decimal("2345.67")
    )
    statement_import(
        creditor=creditor,
        data=bank_csv(
            (today, Decimal("2345.67"), "SCI DU PARC", "", "VIREMENT"),
            (today, Decimal("999.99"), "M DUPONT", "", "VIR"),
        ),
        filename="releve.csv",
        as_of=today,
    )
    base = live_server.url
    _login(page, base, "/cash/")
    assert page.get_by_role("heading", name="Encaissements").is_visible()
    line = page.locator("article.cash-line", has_text="2\u00a0345,67")
    assert "Le dossier se ferme ; annulées : Mise en demeure" in line.inner_text()
    page.screenshot(path=str(artifacts / "cash-fr.png"), full_page=True)
    line.get_by_role("button", name="Accepter : A Garage Martin SARL").click()
    page.wait_for_selector("text=le dossier est clos")
    notice.refresh_from_db()
    assert notice.state == Action.State.CANCELLED
    # The unknown credit: dismissed in one click with the default reason.
    unknown = page.locator("article.cash-line", has_text="999,99")
    unknown.get_by_role("button", name="Écarter").click()
    page.wait_for_selector("text=Crédit écarté")
    assert page.locator("article.cash-line").count() == 0


def test_an_e_mail_is_given_to_a_fec_debtor_that_arrived_without_one(
    page, live_server, creditor, samples, artifacts
):
    from relance.apps.audit.models import Event
    from relance.apps.ledger.models import Debtor
    from relance.apps.ledger.services import ledger_import

    path = samples / "fec" / "rezdevops-fec-minimal-conforme.txt"
    with path.open("rb") as stream:
        assert ledger_import(creditor=creditor, stream=stream, filename=path.name).ok
    debtor = Debtor.objects.get(creditor=creditor, account="MARTIN")
    assert debtor.email == ""  # a FEC names accounts, never addresses
    base = live_server.url
    _login(page, base, f"/debtors/{debtor.pk}/")
    details = page.locator("#details")
    assert details.locator("dd.email").inner_text() == "—"
    details.locator("summary", has_text="Modifier la fiche").click()
    form = details.get_by_role("form", name="Fiche du débiteur")
    form.get_by_label("E-mail").fill("pas-une-adresse")
    form.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_selector("text=« pas-une-adresse » n’est pas une adresse e-mail")
    form = page.locator("#details").get_by_role("form", name="Fiche du débiteur")
    form.get_by_label("E-mail").fill("compta@martin.example")
    form.get_by_label("Type").select_option(label="Entreprise")
    form.get_by_role("button", name="Enregistrer la fiche").click()
    page.wait_for_selector("text=Fiche du débiteur enregistrée.")
    assert page.locator("#details dd.email").inner_text() == "compta@martin.example"
    debtor.refresh_from_db()
    assert debtor.email == "compta@martin.example"
    assert Event.objects.filter(kind="debtor.changed", subject_id=debtor.pk).count() == 1
    # A contact with a role, and the statement of account to send along.
    page.locator("#details summary", has_text="Modifier la fiche").click()
    contact = page.locator("#details").get_by_role("form", name="Nouveau contact")
    contact.get_by_label("Nom", exact=True).fill("Mme Martin")
    contact.get_by_label("Rôle").select_option(label="Comptabilité fournisseurs")
    contact.get_by_role("button", name="Ajouter le contact").click()
    page.wait_for_selector("text=Contact ajouté.")
    assert "Mme Martin (Comptabilité fournisseurs)" in page.locator("ul.contacts").inner_text()
    page.screenshot(path=str(artifacts / "debtor-edit-fr.png"), full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="Télécharger le relevé (PDF)").click()
    assert download.value.suggested_filename.startswith("releve-MARTIN-")


def test_the_first_morning_on_the_demo_asks_once_what_was_done_outside_relance(
    page, live_server, settings, tmp_path, artifacts
):
    from relance.apps.collection.models import DeclaredContact
    from relance.apps.collection.outside import old_debts
    from relance.apps.creditors.models import Creditor
    from relance.apps.ledger.demo import DEMO_USER, demo_load

    settings.MEDIA_ROOT = tmp_path
    settings.VAR_DIR = tmp_path
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    today = timezone.localdate()
    demo_load(invoices=80, seed=7, as_of=today)
    creditor = Creditor.objects.get()
    rows, _ = old_debts(creditor=creditor, as_of=today)
    first = rows[0].debtor
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill(DEMO_USER[0])
    page.get_by_label("Mot de passe").fill(DEMO_USER[1])
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")
    page.get_by_role("link", name="Avant la première passe").click()
    page.wait_for_selector("h1:has-text('Premiers pas')")
    assert "✓ 1. Votre identité et votre IBAN" in page.locator("#step-identity h2").inner_text()
    assert "✓ 2. Importez votre grand livre" in page.locator("#step-ledger h2").inner_text()
    page.get_by_role("button", name="Ces scénarios me conviennent").click()
    page.wait_for_selector("text=C’est noté")
    assert "✓" in page.locator("#step-scenario h2").inner_text()
    history = page.locator("#history")
    assert history.get_by_label(f"Déjà fait pour {first.name}").input_value() == "nothing"
    history.get_by_label(f"Déjà fait pour {first.name}").select_option(label="Une mise en demeure")
    history.get_by_label(f"Date pour {first.name}").fill((today - timedelta(days=12)).isoformat())
    page.screenshot(path=str(artifacts / "onboarding-fr.png"), full_page=True)
    history.get_by_role("button", name="Enregistrer et reprendre les relances à partir de là").click()
    page.wait_for_selector("text=Enregistré : 1 débiteur(s) reprennent après ce qui a été fait")
    assert "Répondu le" in page.locator("#history").inner_text()
    declared = DeclaredContact.objects.get()
    assert (declared.debtor_id, declared.step_key) == (first.pk, "formal_notice")
    assert DeclaredContact.objects.count() == 1  # the others: "nothing", the default


def test_the_e_mail_as_sent_fits_a_phone_and_shows_its_button(
    page, live_server, creditor, settings, artifacts
):
    from datetime import date

    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.models import Action
    from tests.factories import DebtorFactory, InvoiceFactory

    settings.PUBLIC_URL = live_server.url
    debtor = DebtorFactory(creditor=creditor, name="Garage Martin SARL", email="compta@martin.example")
    InvoiceFactory(debtor=debtor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    sent = Action.objects.get(debtor=debtor, state="sent")
    base = live_server.url
    _login(page, base, f"/debtors/{debtor.pk}/")
    page.get_by_role("link", name="e-mail tel qu’envoyé").click()
    page.wait_for_selector("h1:has-text('E-mail tel qu’envoyé')")
    assert "qr-virement.png" in page.locator("ul.mail-files").inner_text()
    framed = page.frame_locator("iframe.mail-html")
    assert framed.locator("a.portal-button").inner_text() == "Voir et régler mes factures"
    assert framed.locator("img").first.evaluate("i => i.complete && i.naturalWidth > 0")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{base}/actions/{sent.pk}/email/html/")
    button = page.locator("a.portal-button")
    assert button.inner_text() == "Voir et régler mes factures"
    assert button.is_visible()
    assert button.get_attribute("href").startswith(f"{base}/p/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    # The QR code shows: the frame fetches nothing, its images are in the page.
    assert page.evaluate("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.screenshot(path=str(artifacts / "email-phone.png"), full_page=True)
