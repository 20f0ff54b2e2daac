"""A collector imports two e-invoices at once in the browser: chosen together, checked, confirmed."""

from __future__ import annotations

from pathlib import Path

import pytest

from relance.apps.ledger.models import Invoice
from relance.apps.workspace.services import user_create
from tests.browser.test_workspace import PASSWORD, _login
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "samples"
FILES = ["facturx/fnfe-Facture_FR_BASICWL.pdf", "ubl/akretion-ubl-21-en16931.xml"]


@pytest.fixture
def moulin(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    creditor = CreditorFactory(name="Au bon moulin", siren="999999998")
    user_create(username="camille", password=PASSWORD, role="collector", creditors=[creditor])
    return creditor


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is missing")
def test_a_collector_imports_two_e_invoices_at_once(page, live_server, moulin, artifacts):
    base = live_server.url
    _login(page, base)
    page.goto(f"{base}/imports/")
    page.get_by_label("Factures électroniques", exact=False).set_input_files(
        [str(SAMPLES / name) for name in FILES]
    )
    page.get_by_role("button", name="Vérifier les factures électroniques").click()
    page.wait_for_selector("#confirm-import")
    assert page.locator(".count-created").inner_text() == "2"
    assert page.locator("table.files tbody tr").count() == 2
    page.screenshot(path=str(artifacts / "einvoices-review-fr.png"), full_page=True)
    page.get_by_role("button", name="Importer pour de bon").click()
    page.wait_for_selector("text=Importé")
    assert set(Invoice.objects.filter(creditor=moulin).values_list("number", flat=True)) == {
        "FA-2017-0010",
        "F124212",
    }
