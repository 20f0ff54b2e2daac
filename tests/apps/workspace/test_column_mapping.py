"""A CSV ledger with column names Relance does not know gets a mapping step on the Imports page:
a field chosen for each column, remembered for the creditor (the CLI uses it too), then the
file checked again. And the check page lists what an import would settle (issue #15)."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.ledger.models import Invoice
from relance.apps.ledger.services import ledger_import
from relance.apps.workspace.models import ImportUpload
from relance.cli import main as cli_main
from tests.apps.workspace.test_wording import page_text

pytestmark = pytest.mark.django_db

# "Réf", "Tiers", "Nom", "Émise le", "Payable le", "TTC" are no column names Relance knows.
ODD = (
    "Réf;Tiers;Nom;Émise le;Payable le;TTC;Commercial\n"
    "FB-1;411LUNE;Atelier Lune SARL;01/02/2026;03/03/2026;1 200,00;Paul\n"
    "FB-2;411SOL;Sol SAS;05/02/2026;07/03/2026;300,00;Léa\n"
)
FIELDS = ["invoice_number", "debtor_account", "debtor_name", "issue_date", "due_date", "total_amount", ""]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def stage(client, text: str, name: str = "export.csv"):
    response = client.post(
        "/imports/", {"kind": "ledger", "file": SimpleUploadedFile(name, text.encode("utf-8"))}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def test_unknown_columns_get_a_mapping_step_remembered_for_the_next_file_and_the_cli(
    collector_a, creditor_a, tmp_path, capsys
):
    review = stage(collector_a, ODD)
    page = page_text(collector_a.get(review))
    assert "Dites ce que contient chaque colonne" in page
    assert "numéro de facture *" in page  # the fields in French, the required ones marked
    assert 'id="confirm-import"' not in page

    mapped = collector_a.post(review, {f"column_{i}": f for i, f in enumerate(FIELDS)})
    assert mapped.status_code == 302
    page = page_text(collector_a.get(review))
    assert "Dites ce que contient chaque colonne" not in page
    assert 'id="confirm-import"' in page
    upload = ImportUpload.objects.get()
    assert (upload.dry_run["created"], upload.dry_run["problems"]) == (2, [])
    creditor_a.refresh_from_db()
    assert creditor_a.ledger_columns == {
        "ref": "invoice_number", "tiers": "debtor_account", "nom": "debtor_name",
        "emise_le": "issue_date", "payable_le": "due_date", "ttc": "total_amount", "commercial": "",
    }
    collector_a.post(f"{review}confirm/", {"decision": "confirm"})
    assert set(Invoice.objects.filter(creditor=creditor_a).values_list("number", flat=True)) == {"FB-1", "FB-2"}

    # A month later, the same export: no mapping step, straight to the check.
    later = ODD + "FB-3;411SOL;Sol SAS;05/03/2026;07/04/2026;90,00;Léa\n"
    page = page_text(collector_a.get(stage(collector_a, later, "mars.csv")))
    assert "Dites ce que contient chaque colonne" not in page
    assert 'id="confirm-import"' in page
    # ... and the CLI reads it without --map.
    path = tmp_path / "mars.csv"
    path.write_text(later, encoding="utf-8")
    assert cli_main(["import", "ledger", str(path), "--creditor", str(creditor_a.pk), "--partial"]) == 0
    assert Invoice.objects.filter(creditor=creditor_a, number="FB-3").exists()


def test_a_mapping_still_missing_a_field_stays_on_the_step_and_writes_nothing(collector_a, creditor_a):
    review = stage(collector_a, ODD)
    incomplete = ["invoice_number", "debtor_account", "debtor_name", "", "due_date", "total_amount", ""]
    collector_a.post(review, {f"column_{i}": f for i, f in enumerate(incomplete)})
    page = page_text(collector_a.get(review))
    assert "Dites ce que contient chaque colonne" in page
    assert "colonne obligatoire date de facture" in page
    assert not Invoice.objects.exists()


def test_a_cli_map_is_remembered_once_the_import_is_done(creditor_a, tmp_path, capsys):
    path = tmp_path / "odd.csv"
    path.write_text(ODD, encoding="utf-8")
    ref = str(creditor_a.pk)
    maps = [x for name, f in zip(["Réf", "Tiers", "Nom", "Émise le", "Payable le", "TTC", "Commercial"], FIELDS, strict=True)
            for x in ("--map", f"{name}={f}")]
    assert cli_main(["import", "ledger", str(path), "--creditor", ref, "--dry-run", *maps]) == 0
    creditor_a.refresh_from_db()
    assert creditor_a.ledger_columns == {}  # a dry run remembers nothing
    assert cli_main(["import", "ledger", str(path), "--creditor", ref, *maps]) == 0
    creditor_a.refresh_from_db()
    assert creditor_a.ledger_columns["ref"] == "invoice_number"
    assert cli_main(["import", "ledger", str(path), "--creditor", ref]) == 0


def test_the_check_page_lists_what_would_be_settled_and_asks(collector_a, creditor_a):
    header = "numero_facture;compte_client;raison_sociale;date_facture;date_echeance;montant_ttc\n"
    rows = "".join(f"FA-{n:03d};411C;Client SARL;01/02/2026;03/03/2026;100,00\n" for n in range(1, 13))
    assert ledger_import(
        creditor=creditor_a, stream=io.BytesIO((header + rows).encode()), filename="a.csv", as_of=date(2026, 4, 1)
    ).ok
    review = stage(collector_a, header + rows.splitlines(keepends=True)[0])
    page = page_text(collector_a.get(review))
    assert "11 factures ouvertes sont absentes de ce fichier" in page
    assert "11 factures seraient marquées soldées" in page
    assert "FA-012" in page
    assert "absente du fichier" in page
    assert 'id="confirm-import"' not in page
    # Confirming without an answer writes nothing and comes back to the question.
    back = collector_a.post(f"{review}confirm/", {"decision": "confirm"})
    assert back.status_code == 302
    assert Invoice.objects.filter(creditor=creditor_a, status="open").count() == 12
    done = page_text(collector_a.post(f"{review}confirm/", {"decision": "full"}))
    assert "11 factures marquées soldées" in done
    assert Invoice.objects.filter(creditor=creditor_a, status="open").count() == 1
