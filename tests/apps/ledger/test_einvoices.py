"""Importing invoices from e-invoices (Factur-X PDF, CII, UBL): one batch, all or nothing, never
settling what the files do not show, the seller checked, the buyer's SIREN naming one debtor."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.apps.audit.models import Event
from relance.apps.ledger.einvoices import einvoices_import
from relance.apps.ledger.models import Debtor, ImportBatch, Invoice
from relance.apps.ledger.services import ledger_import
from relance.cli import main
from tests.factories import CreditorFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is missing")
# The FNFE samples and akretion's UBL are all issued by "Au bon moulin", SIREN 999999998.
FR_INVOICE = "facturx/fnfe-Facture_FR_BASICWL.pdf"  # FA-2017-0010 to Ma jolie boutique
DOM_INVOICE = "facturx/fnfe-Facture_DOM_BASICWL.pdf"  # FA-2017-0009 to Hôtel Saint Denis
CREDIT_NOTE = "facturx/fnfe-Avoir_FR_type381_BASIC.pdf"  # AV-2017-0005 to Ma jolie boutique
UBL = "ubl/akretion-ubl-21-en16931.xml"  # F124212 to Ma jolie boutique SARL (SIREN 787878784)
AS_OF = date(2026, 8, 1)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def moulin():
    return CreditorFactory(name="Au bon moulin", siren="999999998", vat_number="FR 11 999999998")


def files(*names: str) -> list[tuple[str, bytes]]:
    return [(Path(name).name, (SAMPLES / name).read_bytes()) for name in names]


def run(creditor, *names: str, extra=(), **kw):
    return einvoices_import(
        creditor=creditor, files=[*files(*names), *extra], as_of=AS_OF, actor="test", **kw
    )


def snapshot():
    return (
        sorted(
            Invoice.objects.values_list("number", "total_amount", "open_amount", "status", "pdf")
        ),
        sorted(Debtor.objects.values_list("account", "name", "siren")),
    )


@needs_samples
def test_e_invoices_become_invoices_with_their_due_amount_and_their_pdf(moulin):
    result = run(moulin, FR_INVOICE, DOM_INVOICE, CREDIT_NOTE, UBL)
    assert result.ok, result.problems
    assert (result.format, result.created, result.updated, result.settled) == ("einvoice", 4, 0, 0)
    fa10 = Invoice.objects.get(number="FA-2017-0010")
    assert (fa10.issue_date, fa10.due_date, fa10.currency) == (
        date(2017, 11, 13),
        date(2017, 12, 13),
        "EUR",
    )
    # 470.15 due on the invoice, less the credit note AV-2017-0005 that names it (BT-25).
    assert (fa10.total_amount, fa10.open_amount, fa10.status) == (
        Decimal("671.15"),
        Decimal("236.68"),
        "open",
    )
    credit = Invoice.objects.get(number="AV-2017-0005")
    assert (credit.kind, credit.credit_note_for) == ("credit_note", "FA-2017-0010")
    assert (credit.total_amount, credit.open_amount, credit.status) == (
        Decimal("-233.47"),
        Decimal("0.00"),
        "paid",
    )
    # The Factur-X PDFs are the invoices' PDFs; the UBL invoice has none.
    digest = hashlib.sha256((SAMPLES / FR_INVOICE).read_bytes()).hexdigest()
    assert fa10.pdf.name == f"invoices/{digest}.pdf"
    assert fa10.pdf.read() == (SAMPLES / FR_INVOICE).read_bytes()
    assert not Invoice.objects.get(number="F124212").pdf
    # One debtor per SIREN: the BASIC WL's buyer and the UBL's (named by its SIRET) are one.
    jolie = Debtor.objects.get(siren="787878784")
    assert jolie.account == "787878784"
    assert set(jolie.invoices.values_list("number", flat=True)) == {
        "FA-2017-0010",
        "AV-2017-0005",
        "F124212",
    }
    batch = ImportBatch.objects.get(pk=result.batch_id)
    assert (batch.format, batch.status, batch.created_count) == ("einvoice", "committed", 4)
    kinds = list(Event.objects.values_list("kind", flat=True))
    assert kinds.count("ledger.invoice_pdf_attached") == 3
    assert kinds.count("ledger.imported") == 1
    assert {f["invoice"]: f["pdf"] for f in result.as_dict()["files"]} == {
        "FA-2017-0010": "attached",
        "FA-2017-0009": "attached",
        "AV-2017-0005": "attached",
        "F124212": None,
    }


@needs_samples
def test_importing_the_same_files_again_changes_nothing(moulin):
    assert run(moulin, FR_INVOICE, CREDIT_NOTE, UBL).ok
    before, events = snapshot(), Event.objects.exclude(kind="ledger.imported").count()
    again = run(moulin, FR_INVOICE, CREDIT_NOTE, UBL)
    assert again.ok, again.problems
    assert (again.created, again.updated, again.unchanged, again.settled) == (0, 0, 3, 0)
    assert snapshot() == before
    assert Event.objects.exclude(kind="ledger.imported").count() == events


@needs_samples
def test_a_newer_e_invoice_of_the_same_number_updates_it_and_settles_nothing_else(moulin):
    assert run(moulin, FR_INVOICE, UBL).ok
    newer = (SAMPLES / UBL).read_bytes().replace(b">208.03<", b">108.03<")
    result = run(moulin, extra=[("F124212-v2.xml", newer)])
    assert result.ok, result.problems
    assert (result.created, result.updated, result.settled) == (0, 1, 0)
    assert Invoice.objects.get(number="F124212").open_amount == Decimal("108.03")
    # partial by nature: FA-2017-0010, absent from this call, is still open
    assert Invoice.objects.get(number="FA-2017-0010").status == "open"
    assert Event.objects.filter(kind="ledger.invoice_updated").count() == 1


@needs_samples
def test_one_bad_file_refuses_them_all_and_every_problem_names_its_file(moulin):
    truncated = (SAMPLES / UBL).read_bytes()[:3000]
    result = run(
        moulin,
        FR_INVOICE,
        DOM_INVOICE,
        extra=[("broken.xml", truncated), ("notes.xml", b"<notes><x/></notes>")],
    )
    assert not result.ok
    assert (result.created, result.updated) == (0, 0)
    assert Invoice.objects.count() == 0
    assert Debtor.objects.count() == 0
    problems = result.as_dict()["problems"]
    assert [(p["file"], p["code"], p["line"]) for p in problems] == [
        ("broken.xml", "not_xml", None),
        ("notes.xml", "unknown_root", None),
    ]
    assert problems[1]["message"].startswith("notes.xml: the XML root is notes")
    refused = ImportBatch.objects.get(status="refused")
    assert refused.format == "einvoice"
    assert [p["code"] for p in refused.problems] == ["not_xml", "unknown_root"]


def test_no_file_is_a_problem_of_no_file(moulin):
    result = einvoices_import(creditor=moulin, files=[], as_of=AS_OF, actor="test")
    assert [(p["file"], p["code"]) for p in result.as_dict()["problems"]] == [(None, "no_file")]


@needs_samples
def test_an_invoice_issued_by_another_company_is_refused(creditor):
    assert creditor.siren == "552100554"
    result = run(creditor, FR_INVOICE)
    assert [p.code for p in result.problems] == ["seller_mismatch"]
    assert "issued by Au bon moulin (SIREN 999999998" in result.problems[0].message
    assert Invoice.objects.count() == 0


@needs_samples
def test_a_creditor_known_by_its_vat_number_only_is_checked_by_the_siren_in_it():
    other = CreditorFactory(name="Autre SAS", siren="", vat_number="FR 40 552100554")
    result = run(other, FR_INVOICE)
    assert [p.code for p in result.problems] == ["seller_mismatch"]


@needs_samples
def test_a_creditor_without_identifiers_is_told_how_to_set_one_and_nothing_is_imported():
    anonymous = CreditorFactory(name="Kunden", siren="", vat_number="")
    result = run(anonymous, "cii/corpus-EN16931_Einfach_DueDate.cii.xml", FR_INVOICE)
    assert [p.code for p in result.problems] == ["creditor_unidentified"]
    assert f"relance creditor set --creditor {anonymous.pk} --siren" in result.problems[0].message
    assert Invoice.objects.count() == 0


# Each foreign sample's seller, none of them the French creditor "Au bon moulin".
FOREIGN = [
    ("cii/corpus-EN16931_Einfach_DueDate.cii.xml", "DE123456789"),
    ("cii/cen-CII_example1.xml", "NL8200.98.395.B.01"),
    ("ubl/cen-ubl-tc434-example2.xml", "NO123456789MVA"),
    ("ubl/peppol-base-example.xml", "GB1232434"),
    ("facturx/mustang-MustangGnuaccountingBeispielRE-20201121_508.pdf", "DE136695976"),
]


@needs_samples
@pytest.mark.parametrize(("name", "vat"), FOREIGN)
def test_a_foreign_sellers_invoice_is_refused_naming_the_file_and_the_seller_element(moulin, name, vat):
    result = run(moulin, name)
    (problem,) = result.problems
    assert problem.code == "seller_mismatch"
    assert problem.message.startswith(f"{Path(name).name}: ")
    assert f"VAT {vat.replace(' ', '').upper()}" in problem.message
    assert problem.column.endswith(("ram:SellerTradeParty", "cac:AccountingSupplierParty/cac:Party"))
    assert Invoice.objects.count() == 0


@needs_samples
def test_a_creditor_known_by_its_siren_only_refuses_a_foreign_seller_and_takes_its_own():
    siren_only = CreditorFactory(name="Au bon moulin", siren="999999998", vat_number="")
    assert [p.code for p in run(siren_only, "ubl/cen-ubl-tc434-example1.xml").problems] == [
        "seller_mismatch"
    ]
    assert run(siren_only, FR_INVOICE).ok


@needs_samples
def test_a_purchase_invoice_billed_to_the_creditor_is_refused_naming_the_buyer_element():
    # Au bon moulin bills Ma jolie boutique (SIREN 787878784): in the boutique's own Relance,
    # that is a purchase invoice.
    boutique = CreditorFactory(name="Ma jolie boutique", siren="787878784", vat_number="")
    result = run(boutique, FR_INVOICE, UBL)
    assert [p.code for p in result.problems] == ["purchase_invoice", "purchase_invoice"]
    problem = result.problems[0]
    assert "fnfe-Facture_FR_BASICWL.pdf: invoice FA-2017-0010" in problem.message
    assert "billed to Ma jolie boutique itself (buyer SIREN 787878784" in problem.message
    assert problem.column.endswith("ram:BuyerTradeParty")
    assert result.problems[1].column.endswith("cac:AccountingCustomerParty/cac:Party")
    assert Invoice.objects.count() == 0


@needs_samples
def test_a_seller_without_any_identifier_is_refused(moulin, tmp_path):
    data = (SAMPLES / "ubl/akretion-ubl-21-en16931.xml").read_text(encoding="utf-8")
    start = data.index("<cac:AccountingSupplierParty>")
    end = data.index("</cac:AccountingSupplierParty>")
    supplier = data[start:end]
    import re

    bare = re.sub(r"<cac:PartyTaxScheme>.*?</cac:PartyTaxScheme>", "", supplier, flags=re.S)
    bare = re.sub(r"<cac:PartyLegalEntity>.*?</cac:PartyLegalEntity>", "<cac:PartyLegalEntity><cbc:RegistrationName>Au bon moulin</cbc:RegistrationName></cac:PartyLegalEntity>", bare, flags=re.S)
    result = run(moulin, extra=[("anonyme.xml", (data[:start] + bare + data[end:]).encode())])
    assert [p.code for p in result.problems] == ["seller_unidentified"]
    assert result.problems[0].message.startswith("anonyme.xml: invoice F124212 gives no SIREN or VAT")


@needs_samples
def test_a_debtor_imported_from_a_csv_ledger_is_the_one_its_siren_names(moulin):
    csv = (
        "numero_facture;compte_client;raison_sociale;siren;date_facture;date_echeance;montant_ttc\n"
        "FV-1;411JOLIE;Ma jolie boutique;787878784;01/10/2017;31/10/2017;100,00\n"
    )
    assert ledger_import(
        creditor=moulin, stream=io.BytesIO(csv.encode()), filename="ledger.csv", as_of=AS_OF
    ).ok
    result = run(moulin, FR_INVOICE, UBL)
    assert result.ok, result.problems
    assert Debtor.objects.count() == 1
    assert set(Invoice.objects.values_list("number", "debtor__account")) == {
        ("FV-1", "411JOLIE"),
        ("FA-2017-0010", "411JOLIE"),
        ("F124212", "411JOLIE"),
    }
    assert Invoice.objects.get(number="FV-1").status == "open"


@needs_samples
def test_the_same_invoice_as_pdf_and_as_xml_is_imported_once_with_its_pdf():
    creditor = CreditorFactory(name="Lieferant GmbH", siren="", vat_number="DE123456789")
    result = run(
        creditor,
        "cii/corpus-EN16931_Einfach_DueDate.cii.xml",
        "facturx/corpus-EN16931_Einfach_DueDate.pdf",
    )
    assert result.ok, result.problems
    assert result.created == 1
    assert Invoice.objects.get(number="471102").pdf


@needs_samples
def test_a_dry_run_counts_and_writes_nothing(moulin, media):
    result = run(moulin, FR_INVOICE, CREDIT_NOTE, dry_run=True)
    assert (result.ok, result.created, result.batch_id) == (True, 2, None)
    assert Invoice.objects.count() == 0
    assert ImportBatch.objects.count() == 0
    assert not (media / "invoices").exists()


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@needs_samples
def test_the_command_imports_a_folder_and_prints_the_ledger_import_json(moulin, tmp_path, capsys):
    folder = tmp_path / "inbox"
    folder.mkdir()
    for name in (FR_INVOICE, CREDIT_NOTE, UBL):
        shutil.copy(SAMPLES / name, folder)
    (folder / "readme.txt").write_text("not an invoice")  # not *.pdf nor *.xml: left alone
    code, out, _ = cli(capsys, "import", "einvoices", str(folder), "--creditor", str(moulin.pk), "--json")
    assert code == 0
    data = json.loads(out)
    assert {k: data[k] for k in ("format", "created", "updated", "unchanged", "settled")} == {
        "format": "einvoice",
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "settled": 0,
    }
    assert data["problems"] == []
    assert data["committed"] is True

    code, out, _ = cli(capsys, "import", "einvoices", str(folder), "--creditor", str(moulin.pk))
    assert code == 0
    assert "3 e-invoices imported: 0 created, 0 updated, 3 unchanged." in out


@needs_samples
def test_the_command_exits_non_zero_and_lists_each_file_problem(moulin, tmp_path, capsys):
    bad = tmp_path / "bad.xml"
    bad.write_bytes(b"<Invoice")
    code, out, _ = cli(
        capsys, "import", "einvoices", str(SAMPLES / FR_INVOICE), str(bad),
        "--creditor", str(moulin.pk), "--json",
    )  # fmt: skip
    assert code == 1
    data = json.loads(out)
    assert data["committed"] is False
    [problem] = data["problems"]
    assert (problem["file"], problem["line"], problem["code"]) == ("bad.xml", None, "not_xml")
    assert problem["message"].startswith("bad.xml: not well-formed XML")
    assert Invoice.objects.count() == 0

    code, _, err = cli(capsys, "import", "einvoices", str(bad), "--creditor", str(moulin.pk))
    assert code == 1
    assert "refused, nothing was imported" in err


@needs_samples
def test_a_few_e_invoices_read_only_their_own_rows_of_a_large_ledger(moulin):
    """The ledger import reads every number and account a creditor has before a large file; a
    few e-invoices ask only for their own, and still find the invoice they update."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories import DebtorFactory, InvoiceFactory

    other = DebtorFactory(creditor=moulin, account="411OTHER")
    for n in range(30):
        InvoiceFactory(creditor=moulin, debtor=other, number=f"OLD-{n}")
    assert run(moulin, UBL).ok
    newer = (SAMPLES / UBL).read_bytes().replace(b">208.03<", b">108.03<")
    with CaptureQueriesContext(connection) as queries:
        result = run(moulin, extra=[("F124212-v2.xml", newer)])
    assert (result.created, result.updated) == (0, 1)
    read = [
        q["sql"] for q in queries.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT")
    ]  # fmt: skip
    numbers = [sql for sql in read if '"number"' in sql and "ledger_invoice" in sql]
    assert numbers
    assert all(" IN (" in sql for sql in numbers), numbers  # never the whole ledger's numbers
