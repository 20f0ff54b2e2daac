"""The Imports page asks before settling many invoices a file leaves out, the list in view, and
maps the columns it does not know (issue #15), in Chromium."""

from __future__ import annotations

import io
from datetime import date

import pytest

from relance.apps.ledger.models import Invoice
from relance.apps.ledger.services import ledger_import
from relance.apps.workspace.services import user_create
from tests.browser.test_workspace import PASSWORD, _login
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HEADER = "numero_facture;compte_client;raison_sociale;date_facture;date_echeance;montant_ttc;reste_du\n"


def row(n: int) -> str:
    return f"FA-{n:03d};411C{n % 3};Client {n % 3} SARL;01/02/2026;03/03/2026;1 000,00;1 000,00\n"


@pytest.fixture
def atelier(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    creditor = CreditorFactory(name="Atelier Lune")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    text = HEADER + "".join(row(n) for n in range(1, 21))
    assert ledger_import(
        creditor=creditor, stream=io.BytesIO(text.encode()), filename="first.csv", as_of=date(2026, 4, 1)
    ).ok
    return creditor


def _upload(page, base, tmp_path, name: str, text: str) -> None:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    page.goto(f"{base}/imports/")
    page.get_by_label("Fichier", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Vérifier le fichier").click()


def test_a_file_leaving_out_most_invoices_asks_full_or_partial_with_the_list(
    page, live_server, atelier, tmp_path, artifacts
):
    base = live_server.url
    _login(page, base)
    three = HEADER + "".join(row(n) for n in range(1, 4))
    _upload(page, base, tmp_path, "trois.csv", three)
    page.wait_for_selector("#full-or-partial")
    question = page.locator("#full-or-partial").inner_text()
    assert "17 factures ouvertes sont absentes de ce fichier" in question
    assert "17 factures seraient marquées soldées" in page.locator("#settling h3").inner_text()
    assert "17\u00a0000,00 EUR" in page.locator("#settling h3").inner_text()
    numbers = page.locator("table.settling-list tbody tr td:first-child").all_inner_texts()
    assert sorted(numbers) == [f"FA-{n:03d}" for n in range(4, 21)]
    assert page.locator("#confirm-import").count() == 0  # no plain "import": an answer is needed
    page.screenshot(path=str(artifacts / "import-full-or-partial-fr.png"), full_page=True)

    page.get_by_role("button", name="Un fichier partiel : ne solder aucune facture absente").click()
    page.wait_for_selector("text=Importé")
    assert Invoice.objects.filter(creditor=atelier, status="open").count() == 20

    _upload(page, base, tmp_path, "trois.csv", three)
    page.wait_for_selector("#full-or-partial")
    page.get_by_role("button", name="La liste complète : solder les factures absentes").click()
    page.wait_for_selector("text=Importé")
    assert "17 factures marquées soldées" in page.locator("#settling h3").inner_text()
    assert sorted(Invoice.objects.filter(creditor=atelier, status="open").values_list("number", flat=True)) == [
        "FA-001", "FA-002", "FA-003",
    ]


ODD = (
    "Réf;Tiers;Nom;Émise le;Payable le;TTC;Commercial\n"
    "FB-1;411LUNE;Lune SARL;01/02/2026;03/03/2026;1 200,00;Paul\n"
    "FB-2;411SOL;Sol SAS;05/02/2026;07/03/2026;300,00;Léa\n"
)


def test_unknown_columns_are_mapped_on_the_page_and_remembered(page, live_server, atelier, tmp_path, artifacts):
    base = live_server.url
    _login(page, base)
    _upload(page, base, tmp_path, "odd.csv", ODD)
    page.wait_for_selector("#columns")
    assert page.locator("#columns select").count() == 7
    for column, field in [
        ("Réf", "numéro de facture *"), ("Tiers", "compte client *"), ("Nom", "raison sociale *"),
        ("Émise le", "date de facture *"), ("Payable le", "date d’échéance *"), ("TTC", "montant TTC *"),
    ]:
        page.get_by_label(column, exact=True).select_option(label=field)
    page.screenshot(path=str(artifacts / "import-columns-fr.png"), full_page=True)
    page.get_by_role("button", name="Vérifier le fichier avec ces colonnes").click()
    page.wait_for_selector("#full-or-partial")  # 20 open invoices, none in this file
    assert page.locator("#columns").count() == 0
    assert page.locator(".count-created").inner_text() == "2"
    page.get_by_role("button", name="Un fichier partiel : ne solder aucune facture absente").click()
    page.wait_for_selector("text=Importé")
    assert set(Invoice.objects.filter(creditor=atelier, number__startswith="FB").values_list("number", flat=True)) == {
        "FB-1", "FB-2",
    }
    atelier.refresh_from_db()
    assert atelier.ledger_columns["payable_le"] == "due_date"
    # The next export with the same columns goes straight to the check.
    _upload(page, base, tmp_path, "odd2.csv", ODD)
    page.wait_for_selector("#full-or-partial")
    assert page.locator("#columns").count() == 0
