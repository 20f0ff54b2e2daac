"""The French pages of a collector's day (cash application, debtor editing and its state, the
onboarding, the mail server settings, the e-mail as sent, the statement of account) show no
raw code, no English word and no typographic slip: each page is read as a person sees it."""

from __future__ import annotations

import html
import re
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from relance.apps.banking.services import statement_import
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from relance.apps.ledger.models import Contact, Invoice
from tests.apps.banking._helpers import bank_csv
from tests.apps.workspace.test_desk import desk_for
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

ENGLISH = re.compile(
    r"\b(the|and|of|with|your|is|are|not|this|from|for|to|by|on|Save|Edit|Remove|Add|Send|"
    r"None|Accept|Dismiss|Apply|Invoice|Amount|Debtor|Credit|Role|Kind|State|Step|"
    r"Day|Download|Statement|Payment|Open|Headers|Attachments|Plain|Subject)\b"
)
# A word, a closing quote or bracket glued to the French double punctuation.
GLUED = re.compile(r"[\w»)\]][:;!?](?=\s|$)")
CODE = re.compile(r"\[[a-z_]+\]|\b[a-z]+_[a-z_]+\b")
SKIPPED = {"script", "style", "pre", "code", "textarea"}


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIPPED:
            self.skipping += 1

    def handle_endtag(self, tag):
        if tag in SKIPPED and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def visible(content: str) -> str:
    parser = _Visible()
    parser.feed(content)
    return " ".join(" ".join(parser.parts).split())


# A command a page tells the reader to type is written as typed.
COMMAND = re.compile(r"\brelance [a-z]+ [a-z]+(?: (?:--[a-z-]+|[\w.:-]+))*")


def slips(text: str) -> list[str]:
    text = COMMAND.sub("«commande»", text)
    found = []
    for pattern in (ENGLISH, GLUED, CODE):
        for match in pattern.finditer(text):
            found.append(text[max(0, match.start() - 40) : match.end() + 20])
    return found


def check_page(response) -> str:
    assert response.status_code in (200, 400), response.status_code
    text = visible(response.content.decode())
    assert slips(text) == [], slips(text)
    return text


@pytest.fixture
def day(creditor_a, today, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    settings.PUBLIC_URL = "https://relance.example.fr"
    caller, _, late, _ = desk_for(creditor_a, today, "A")
    Invoice.objects.filter(number="A-L0").update(
        total_amount=Decimal("2345.67"), open_amount=Decimal("2345.67")
    )
    statement_import(
        creditor=creditor_a,
        data=bank_csv(
            (today, Decimal("2345.67"), "SCI DU PARC", "", "VIREMENT"),
            (today, Decimal("999.99"), "M DUPONT", "", "VIR"),
        ),
        filename="releve.csv",
        as_of=today,
    )
    Contact.objects.create(debtor=late, name="Mme Roux", role="accounts_payable", is_primary=True)
    return caller, late


def test_the_cash_page_reads_in_french(collector_a, day):
    text = check_page(collector_a.get("/cash/"))
    assert "Effet sur les relances" in text


def test_the_debtor_page_with_its_edit_form_and_the_list_read_in_french(admin_a, day):
    _, late = day
    check_page(admin_a.get(f"/debtors/{late.pk}/"))
    check_page(admin_a.get("/debtors/?sort=name"))
    refused = admin_a.post(f"/debtors/{late.pk}/edit/", {"name": late.name, "kind": "business",
                           "country": "FR", "language": "fr", "postal_code": "123"})
    assert "un code postal français a cinq chiffres" in check_page(refused)


def test_the_onboarding_and_the_mail_settings_read_in_french(admin_a, creditor_a, today):
    check_page(admin_a.get("/"))  # nothing imported: the first steps
    debtor = DebtorFactory(creditor=creditor_a)  # the question about old debts, once invoices are in
    InvoiceFactory(debtor=debtor, issue_date=today - timedelta(days=90), due_date=today - timedelta(days=60))
    text = check_page(admin_a.get("/welcome/"))
    assert "Qu’avez-vous déjà fait en dehors de Relance ?" in text
    check_page(admin_a.get("/settings/"))


def test_the_e_mail_as_sent_reads_in_french(collector_a, creditor_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    debtor = DebtorFactory(creditor=creditor_a, email="compta@martin.example")
    InvoiceFactory(debtor=debtor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor_a, as_of=date(2026, 3, 5))
    sent = Action.objects.get(debtor=debtor, state="sent")
    check_page(collector_a.get(f"/actions/{sent.pk}/email/"))


def test_the_statement_of_account_reads_in_french(collector_a, day, tmp_path):
    _, late = day
    response = collector_a.get(f"/debtors/{late.pk}/statement.pdf")
    path = tmp_path / "releve.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout
    text = html.unescape(" ".join(text.split()))
    assert "Relevé de compte au" in text
    assert slips(text) == [], slips(text)


@pytest.mark.parametrize(
    "bad", ["Enregistrer: la fiche", "Save the details", "erreur [bad_date]", "étape formal_notice",
            "Pourquoi? rien"],
)
def test_the_reader_catches_each_kind_of_slip(bad):
    assert slips(bad) != []


def test_the_reader_lets_good_french_through():
    assert slips("Solde net dû au 3 mars 2026 : 2 050,00 € ; à 09:30, relance rates add --table ecb_mro") == []


def test_english_readers_get_the_new_pages_in_english(collector_a, day):
    _, late = day
    collector_a.cookies["django_language"] = "en"
    cash = visible(collector_a.get("/cash/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Cash application" in cash
    assert "Effect on the chase:" in cash
    assert "Encaissements" not in cash
    page = visible(collector_a.get(f"/debtors/{late.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode())
    assert "Statement of account as of" in page
    assert "Accounts payable" in page
