"""E-invoices imported from the Imports page: several files checked together by a dry run, the
counts or the problems (with their file) said in French, then confirmed, by a collector of the
creditor that staged them only."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from relance.apps.ledger.models import ImportBatch, Invoice
from relance.apps.workspace.models import ImportUpload
from relance.apps.workspace.services import einvoices_upload_stage
from tests.apps.workspace.conftest import make_user
from tests.apps.workspace.test_wording import page_text

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is missing")
# Both issued by "Au bon moulin", SIREN 999999998 (see tests/apps/ledger/test_einvoices.py).
FR_INVOICE = "facturx/fnfe-Facture_FR_BASICWL.pdf"  # FA-2017-0010
UBL = "ubl/akretion-ubl-21-en16931.xml"  # F124212


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def moulin(creditor_a):
    creditor_a.name, creditor_a.siren, creditor_a.vat_number = (
        "Au bon moulin", "999999998", "FR 11 999999998",
    )  # fmt: skip
    creditor_a.save()
    return creditor_a


def sample(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(Path(name).name, (SAMPLES / name).read_bytes())


def post_einvoices(client, *files: SimpleUploadedFile, **kw):
    return client.post("/imports/", {"form": "einvoices", "documents": list(files)}, **kw)


def test_the_imports_page_offers_several_e_invoices_at_once(collector_a):
    page = page_text(collector_a.get("/imports/"))
    assert 'type="file" name="documents"' in page
    assert 'accept=".pdf,.xml,.zip" multiple' in page
    assert '<label for="id_documents">' in page
    assert "Importer des factures électroniques" in page


@needs_samples
def test_e_invoices_are_checked_then_imported_on_confirmation(collector_a, moulin, media):
    response = post_einvoices(collector_a, sample(FR_INVOICE), sample(UBL))
    assert response.status_code == 302
    upload = ImportUpload.objects.get()
    assert (upload.kind, upload.filename) == (
        "einvoices", "fnfe-Facture_FR_BASICWL.pdf, akretion-ubl-21-en16931.xml",
    )  # fmt: skip
    assert not Invoice.objects.exists()
    assert not ImportBatch.objects.exists()

    review = collector_a.get(response["Location"])
    assert review.context["result"]["created"] == 2
    page = page_text(review)
    assert "Simulation : voici ce que l’import changerait" in page
    assert "Nouvelles factures" in page
    assert '<dd class="count-created">2</dd>' in page
    assert "<td>fnfe-Facture_FR_BASICWL.pdf</td><td>FA-2017-0010</td>" in page  # files read
    assert "<td>akretion-ubl-21-en16931.xml</td><td>F124212</td>" in page
    assert 'id="confirm-import"' in page

    done = collector_a.post(f"/imports/{upload.token}/confirm/", {"decision": "confirm"})
    assert done.status_code == 200
    assert done.context["result"]["created"] == 2
    assert set(Invoice.objects.filter(creditor=moulin).values_list("number", flat=True)) == {
        "FA-2017-0010",
        "F124212",
    }
    assert Invoice.objects.get(number="FA-2017-0010").pdf  # the Factur-X PDF kept for reminders
    assert ImportBatch.objects.get().format == "einvoice"
    assert not ImportUpload.objects.exists()
    assert not list((media / "imports").iterdir())  # the staged folder is gone


@needs_samples
def test_a_bad_file_among_good_ones_is_named_in_french_and_nothing_is_imported(
    collector_a, moulin
):
    bad = SimpleUploadedFile("pas-une-facture.xml", b"<note>bonjour</note>")
    empty = SimpleUploadedFile("vide.pdf", b"")
    response = post_einvoices(collector_a, sample(FR_INVOICE), bad, sample(UBL), empty, follow=True)
    result = response.context["result"]
    assert {p["file"] for p in result["problems"]} == {"pas-une-facture.xml", "vide.pdf"}
    page = page_text(response)
    assert 'role="alert"' in page
    assert "Aucune de ces factures électroniques ne peut être importée" in page
    assert "pas-une-facture.xml : la racine du XML est note" in page  # named, in French
    assert "vide.pdf : " in page
    assert 'id="confirm-import"' not in page

    token = ImportUpload.objects.get().token
    collector_a.post(f"/imports/{token}/confirm/", {"decision": "confirm"})
    assert not Invoice.objects.exists()
    assert not ImportBatch.objects.filter(status="done").exists()


@needs_samples
def test_a_collector_cannot_confirm_e_invoices_staged_for_another_creditor(
    collector_a, creditor_b
):
    creditor_b.name, creditor_b.siren = "Au bon moulin", "999999998"
    creditor_b.save()
    staged = einvoices_upload_stage(
        creditor=creditor_b,
        user=make_user("bruno", "collector", creditor_b),
        files=[(Path(FR_INVOICE).name, (SAMPLES / FR_INVOICE).read_bytes())],
        actor="user:bruno",
    )
    assert staged.dry_run["created"] == 1
    assert collector_a.get(f"/imports/{staged.token}/").status_code == 404
    refused = collector_a.post(f"/imports/{staged.token}/confirm/", {"decision": "confirm"})
    assert refused.status_code == 404
    dropped = collector_a.post(f"/imports/{staged.token}/confirm/", {"decision": "drop"})
    assert dropped.status_code == 404
    assert not Invoice.objects.exists()
    assert ImportUpload.objects.filter(pk=staged.pk).exists()  # still B's to confirm
    assert Path(staged.path).is_dir()


def test_a_viewer_cannot_upload_e_invoices(viewer_a):
    page = page_text(viewer_a.get("/imports/"))
    assert 'name="documents"' not in page
    refused = post_einvoices(viewer_a, SimpleUploadedFile("f.xml", b"<Invoice/>"))
    assert refused.status_code == 403
    assert not ImportUpload.objects.exists()


def test_no_file_chosen_is_said_in_french_next_to_the_field(collector_a):
    page = page_text(collector_a.post("/imports/", {"form": "einvoices"}))
    assert 'role="alert">Ce champ est obligatoire.' in page
    assert not ImportUpload.objects.exists()


@needs_samples
def test_dropping_staged_e_invoices_removes_their_folder(collector_a, moulin, media):
    post_einvoices(collector_a, sample(FR_INVOICE))
    upload = ImportUpload.objects.get()
    assert Path(upload.path).is_dir()
    collector_a.post(f"/imports/{upload.token}/confirm/", {"decision": "drop"})
    assert not ImportUpload.objects.exists()
    assert not Path(upload.path).exists()
    assert not Invoice.objects.exists()


def zipped(name: str, entries: dict[str, bytes]) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for entry, data in entries.items():
            archive.writestr(entry, data)
    return SimpleUploadedFile(name, buffer.getvalue())


@needs_samples
def test_a_zip_of_e_invoices_is_read_like_its_files(collector_a, moulin):
    archive = zipped(
        "factures.zip",
        {
            "lot/fnfe-Facture_FR_BASICWL.pdf": (SAMPLES / FR_INVOICE).read_bytes(),
            "__MACOSX/lot/._fnfe-Facture_FR_BASICWL.pdf": b"resource fork",
            "lot/lisez-moi.txt": b"hello",
        },
    )
    response = post_einvoices(collector_a, archive, sample(UBL), follow=True)
    result = response.context["result"]
    assert result["problems"] == []
    assert [f["file"] for f in result["files"]] == [
        "factures.zip/fnfe-Facture_FR_BASICWL.pdf",
        "akretion-ubl-21-en16931.xml",
    ]
    token = ImportUpload.objects.get().token
    collector_a.post(f"/imports/{token}/confirm/", {"decision": "confirm"})
    assert Invoice.objects.filter(creditor=moulin).count() == 2


def test_a_zip_that_cannot_be_used_is_refused_in_french(collector_a):
    page = page_text(
        post_einvoices(collector_a, SimpleUploadedFile("lot.zip", b"not a zip"), follow=True)
    )
    assert "lot.zip ne peut pas être ouvert comme archive zip" in page
    page = page_text(
        post_einvoices(collector_a, zipped("vide.zip", {"notes.txt": b"x"}), follow=True)
    )
    assert "vide.zip ne contient aucun fichier PDF ou XML" in page
    many = zipped("gros.zip", {f"f{i}.xml": b"<x/>" for i in range(101)})
    page = page_text(post_einvoices(collector_a, many, follow=True))
    assert "gros.zip contient trop : au plus 100 fichiers et 100 Mo" in page
    assert not ImportUpload.objects.exists()


@needs_samples
def test_an_e_invoices_notes_are_said_in_french(collector_a, creditor_a):
    creditor_a.siren, creditor_a.vat_number = "", "BE0000000196"  # the sample's seller
    creditor_a.save()
    response = post_einvoices(collector_a, sample("ubl/cen-ubl-tc434-creditnote1.xml"))
    page = page_text(collector_a.get(response["Location"]))
    assert (
        "cen-ubl-tc434-creditnote1.xml : la facture 018304 / 28865 n’indique pas d’échéance : "
        "échue le "
    ) in page
    assert "states no due date" not in page
    # The service, as the CLI and the API use it, keeps the English note.
    upload = ImportUpload.objects.get()
    assert any("states no due date" in str(n) for n in upload.dry_run["notes"])
