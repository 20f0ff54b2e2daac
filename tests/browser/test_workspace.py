"""A collector's morning in the browser: log in, import, find the debtor, switch to English."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


def _csv() -> str:
    today = timezone.localdate()
    header = (
        "Numéro facture;Compte client;Raison sociale;SIREN;Téléphone;Adresse;Code postal;Ville;"
        "Date facture;Date échéance;Montant TTC;Reste dû"
    )
    rows = [header]

    def row(number, account, name, siren, phone, days, amount, address=";;"):
        due = today - timedelta(days=days)
        issue = due - timedelta(days=30)
        rows.append(
            f"{number};{account};{name};{siren};{phone};{address};{issue:%d/%m/%Y};{due:%d/%m/%Y};{amount};{amount}"
        )

    for n, (days, amount) in enumerate(
        [(75, "1840,00"), (40, "920,50"), (12, "310,00"), (-10, "560,00")]
    ):
        row(
            f"FA-7{n:03d}",
            "411777",
            "Menuiserie Lefèvre SARL",
            "552100554",
            "04 72 10 20 30",
            days,
            amount,
        )
    row("FA-8000", "411888", "Garage Martin SAS", "", "", 100, "4200,00")
    # Due 40 days ago: the mise en demeure (J+35) waits for approval.
    row(
        "FA-8100",
        "411810",
        "Boulangerie Roux SARL",
        "443061841",
        "04 72 00 00 10",
        40,
        "2500,00",
        "3 rue Pasteur;69007;Lyon",
    )
    # Due 18 days ago: the call (J+15) is on today's worklist.
    row(
        "FA-8200",
        "411820",
        "Fleurs Petit SARL",
        "",
        "04 72 00 00 20",
        18,
        "1200,00",
        "8 quai Perrache;69002;Lyon",
    )
    return "\n".join(rows) + "\n"


def _record_rates(creditor) -> None:
    """What the admin does (Settings, Rates) when a page says a half-year's rate is missing."""
    from relance.apps.ledger.models import Debtor
    from relance.apps.legal.services import rate_add
    from relance.apps.workspace.debtor_selectors import debtor_invoices

    today = timezone.localdate()
    for debtor in Debtor.objects.filter(creditor=creditor):
        for _ in range(6):
            missing = [
                line for line in debtor_invoices(debtor=debtor, as_of=today) if line.missing_rate
            ]
            if not missing:
                break
            words = missing[0].rate_command.split()
            rate_add(
                table=words[words.index("--table") + 1],
                from_date=date.fromisoformat(words[words.index("--from") + 1]),
                rate=Decimal("2.15"),
                source="test",
            )


def _calls_today(creditor) -> None:
    """The pass plans a call for the next business day: on a weekend, bring it to today."""
    from relance.apps.collection.models import Action

    Action.objects.filter(creditor=creditor, channel="call").update(
        planned_date=timezone.localdate()
    )


def _declare(creditor, account: str, step_key: str, days_ago: int) -> None:
    """A step done by hand ``days_ago`` days ago (``relance case history add``)."""
    from relance.apps.collection.history import contact_declare
    from relance.apps.ledger.models import Debtor

    today = timezone.localdate()
    contact_declare(creditor=creditor, debtor=Debtor.objects.get(creditor=creditor, account=account),
                    step_key=step_key, contact_date=today - timedelta(days=days_ago), today=today)


def _run_the_day(creditor) -> None:
    """The day's pass, as the scheduler runs it each morning, with the rates it needs recorded."""
    from relance.apps.collection.daily_pass import collection_run

    _record_rates(creditor)
    collection_run(as_of=timezone.localdate(), creditor=creditor, dispatch=False)
    _calls_today(creditor)


@pytest.fixture
def collector(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    return creditor


def _login(page, base):
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("camille")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")


def test_a_collector_imports_a_ledger_and_works_a_debtor(
    page, live_server, collector, tmp_path, artifacts
):
    base = live_server.url
    _login(page, base)
    assert page.get_by_role("heading", name="Premiers pas").is_visible()  # nothing imported yet

    csv_file = tmp_path / "export.csv"
    csv_file.write_text(_csv(), encoding="utf-8")
    page.goto(f"{base}/imports/")
    page.get_by_label("Fichier", exact=True).set_input_files(str(csv_file))
    page.get_by_role("button", name="Vérifier le fichier").click()
    page.wait_for_selector("#confirm-import")
    assert page.locator(".count-created").inner_text() == "7"
    page.get_by_role("button", name="Importer pour de bon").click()
    page.wait_for_selector("text=Importé")

    page.goto(f"{base}/debtors/?q=Lefèvre")
    page.get_by_role("link", name="Menuiserie Lefèvre SARL").click()
    page.wait_for_selector("h1:has-text('Menuiserie Lefèvre SARL')")
    assert page.locator("table.list tbody tr").count() == 4

    page.get_by_label("Motif", exact=True).fill("Le client conteste une livraison")
    page.get_by_role("button", name="Suspendre les relances").click()
    page.wait_for_selector("text=Relances suspendues.")
    assert "Relances suspendues" in page.locator(".timeline").inner_text()
    page.screenshot(path=str(artifacts / "debtor-fr.png"), full_page=True)

    _record_rates(collector)
    # What was done by hand before Relance: the reminder letter to Roux, the e-mails to Petit.
    # A first pass no longer jumps to the mise en demeure or the call; declared, it resumes there.
    _declare(collector, "411810", "reminder_letter", 15)
    _declare(collector, "411820", "invoice_again", 8)
    page.goto(f"{base}/worklist/")
    page.get_by_role("button", name="Lancer la passe du jour").click()
    page.wait_for_selector("text=Passe du jour faite")
    _calls_today(collector)
    page.reload()
    approval = page.locator("tbody.approval", has_text="Boulangerie Roux SARL")
    approval.get_by_role("link", name="Aperçu").click()  # the preview comes when asked for
    assert "MISE EN DEMEURE" in approval.locator("pre.preview").inner_text().upper()
    card = page.locator("article.call-card", has_text="Fleurs Petit SARL")
    card.locator("summary", has_text="Fiche d’appel").click()
    assert "S'agit-il d'un oubli ?" in card.locator("pre.script").inner_text()
    page.screenshot(path=str(artifacts / "worklist-fr.png"), full_page=True)
    page.evaluate("window.stayedOnPage = true")  # gone if the page reloads: htmx works in place
    approval.get_by_role("button", name="Valider", exact=True).click()
    page.wait_for_selector("tbody.approval.decided >> text=Action validée.")
    assert (
        page.locator("tbody.approval:not(.decided)", has_text="Boulangerie Roux SARL").count()
        == 0
    )
    assert page.evaluate("window.stayedOnPage === true")

    card = page.locator("article.call-card", has_text="Fleurs Petit SARL")
    promised = timezone.localdate() + timedelta(days=10)
    card.get_by_label("Montant promis").fill("1 200,00")
    card.get_by_label("Date promise").fill(promised.isoformat())
    card.get_by_role("button", name="Enregistrer : Promesse de paiement").click()
    recorded = page.locator("article.call-card", has_text="Fleurs Petit SARL").locator(".recorded")
    recorded.wait_for()
    assert "promesse de paiement" in recorded.inner_text()
    assert page.evaluate("window.stayedOnPage === true")
    page.reload()  # a recorded call leaves today's list
    assert page.locator("article.call-card", has_text="Fleurs Petit SARL").count() == 0

    page.goto(f"{base}/debtors/?q=Fleurs")
    page.get_by_role("link", name="Fleurs Petit SARL").click()
    page.wait_for_selector("h1:has-text('Fleurs Petit SARL')")
    timeline = page.locator(".timeline").inner_text()
    assert "promesse de paiement de 1\u202f200,00\xa0€" in timeline
    assert "Promesse" in timeline
    assert "1 200,00 →" in timeline.replace("\u202f", " ").replace("\xa0", " ")
    assert "Entreprise" in page.locator(".facts").first.inner_text()
    page.screenshot(path=str(artifacts / "debtor-promise-fr.png"), full_page=True)

    page.get_by_label("Langue", exact=True).select_option("en")
    page.locator("#language-submit").click()
    page.wait_for_selector("text=Record a promise to pay")
    assert "Promise" in page.locator(".timeline").inner_text()
    assert "Business" in page.locator(".facts").first.inner_text()
    page.screenshot(path=str(artifacts / "debtor-en.png"), full_page=True)

    page.goto(f"{base}/worklist/")
    page.screenshot(path=str(artifacts / "worklist-en.png"), full_page=True)
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
        seen.append(
            page.evaluate("document.activeElement.id || document.activeElement.textContent.trim()")
        )
    assert (
        seen.index("language-switch")
        < seen.index("id_username")
        < seen.index("id_password")
        < seen.index("Connexion")
    )
    page.locator("#id_username").fill("camille")
    page.locator("#id_password").fill(PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server.url}/")


def test_every_input_of_the_main_pages_has_a_label(page, live_server, collector):
    _login(page, live_server.url)
    for path in ("/", "/debtors/", "/imports/", "/worklist/", *_desk_paths(collector)):
        page.goto(f"{live_server.url}{path}")
        unlabelled = page.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
                 .filter(e => !(e.labels && e.labels.length) && !e.getAttribute('aria-label'))
                 .map(e => e.name)"""
        )
        assert unlabelled == [], path


def _desk_paths(creditor) -> list[str]:
    """The debtor page and a call page of a desk with a call to make."""
    from relance.apps.collection.models import Action
    from tests.factories import DebtorFactory, InvoiceFactory

    today = timezone.localdate()
    debtor = DebtorFactory(creditor=creditor, phone="04 72 00 00 30")
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        issue_date=today - timedelta(days=48),
        due_date=today - timedelta(days=18),
    )
    _declare(creditor, debtor.account, "invoice_again", 8)
    _run_the_day(creditor)
    call = Action.objects.get(debtor=debtor, channel="call")
    return [f"/debtors/{debtor.pk}/", f"/worklist/calls/{call.pk}/"]


def test_a_call_outcome_can_be_recorded_with_the_keyboard_alone(page, live_server, collector):
    from relance.apps.collection.models import Action

    _desk_paths(collector)
    _login(page, live_server.url)
    page.goto(f"{live_server.url}/worklist/")
    page.locator(".skip").focus()
    for _ in range(120):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Pas de réponse":
            break
    else:
        pytest.fail("the outcome 'Pas de réponse' cannot be reached with Tab")
    page.keyboard.press("Enter")  # one key records it (htmx, in place)
    page.wait_for_selector("article.call-card .recorded")
    call = Action.objects.get(creditor=collector, channel="call", state="sent")
    assert call.outcome["outcome"] == "no_answer"
