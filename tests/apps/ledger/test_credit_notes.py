"""Credit notes net against what the debtor owes (issue 14, "Every amount is the amount owed"):
a credit note keeps its own identity even with its invoice's number, reduces the invoice it names
(UBL BillingReference, CII InvoiceReferencedDocument, the CSV's credit_note_for), else the oldest
invoice, and a debtor whose net balance is zero or below is never chased."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from relance.apps.ledger.einvoices import einvoices_import
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.apps.ledger.selectors import aging_report
from relance.apps.ledger.services import ledger_import
from tests.factories import CreditorFactory

pytestmark = pytest.mark.django_db

D = Decimal
SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples"
needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason="../shared/samples is missing")
PEPPOL = "ubl/peppol-base-example.xml"  # Snippet1, 1,656.25 EUR to buyer FR23342
AKRETION = "ubl/akretion-ubl-21-en16931.xml"  # F124212, 208.03 due, seller Au bon moulin
CII = "cii/akretion-factur-x-en16931.xml"  # F20260023, 104.90, seller LE FOURNISSEUR
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    folder = tmp_path / "outbox"
    settings.EMAIL_URL = f"file://{folder}"
    settings.MEDIA_ROOT = tmp_path / "media"
    return folder


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def ubl_credit_note(
    name: str, *, number: str | None = None, amounts: dict[str, str] | None = None,
    reference: tuple[str, str] | None = None,
) -> bytes:
    """A UBL CreditNote made from a sample Invoice: the root and its namespace swapped, and the
    number, amounts (old → new text) and first BillingReference (old → new) changed."""
    text = sample(name).decode()
    text = text.replace(UBL_INVOICE, UBL_CREDIT_NOTE)
    text = text.replace("<Invoice ", "<CreditNote ").replace("</Invoice>", "</CreditNote>")
    text = text.replace("<cbc:InvoiceTypeCode>380</cbc:InvoiceTypeCode>",
                        "<cbc:CreditNoteTypeCode>381</cbc:CreditNoteTypeCode>")
    if number is not None:
        old = text.split("<cbc:ID>", 1)[1].split("</cbc:ID>", 1)[0]
        text = text.replace(f"<cbc:ID>{old}</cbc:ID>", f"<cbc:ID>{number}</cbc:ID>", 1)
    for old, new in (amounts or {}).items():
        text = text.replace(f">{old}<", f">{new}<")
    if reference is not None:
        text = text.replace(f"<cbc:ID>{reference[0]}</cbc:ID>", f"<cbc:ID>{reference[1]}</cbc:ID>", 1)
    return text.encode()  # fmt: skip


def einvoices(creditor, *files: tuple[str, bytes]):
    result = einvoices_import(
        creditor=creditor, files=list(files), as_of=date(2026, 8, 1), actor="test"
    )
    assert result.ok, result.problems
    return result


def open_amounts(creditor) -> dict[tuple[str, str], tuple[Decimal, Decimal, str]]:
    return {
        (i.kind, i.number): (i.total_amount, i.open_amount, i.status)
        for i in Invoice.objects.filter(creditor=creditor)
    }


def every_open_amount_follows_from_its_allocations() -> None:
    for invoice in Invoice.objects.all():
        allocated = sum((a.amount for a in invoice.allocations.all()), D(0))
        assert invoice.open_amount == invoice.total_amount - allocated, invoice.number


def aging_total(creditor, as_of: date) -> Decimal:
    report = aging_report(creditor=creditor, as_of=as_of)
    return sum((sum(line.buckets.values(), D(0)) for line in report.totals), D(0))


# --- The cases, with the e-invoice samples -----------------------------------------------


@needs_samples
@pytest.mark.parametrize("credit_first", [False, True])
def test_a_peppol_credit_note_with_its_invoices_own_number_is_a_document_of_its_own(credit_first):
    creditor = CreditorFactory(name="SupplierOfficialName Ltd", siren="", vat_number="GB1232434")  # its seller
    invoice = ("peppol-invoice.xml", sample(PEPPOL))
    credit = ("peppol-credit.xml", ubl_credit_note(PEPPOL, amounts={"1656.25": "656.25"}))
    for one in [credit, invoice] if credit_first else [invoice, credit]:
        einvoices(creditor, one)
    assert open_amounts(creditor) == {
        ("invoice", "Snippet1"): (D("1656.25"), D("1000.00"), "open"),
        ("credit_note", "Snippet1"): (D("-656.25"), D("0.00"), "paid"),
    }
    every_open_amount_follows_from_its_allocations()
    # Importing either again changes nothing: the two documents stay two.
    again = einvoices(creditor, invoice, credit)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Invoice.objects.filter(creditor=creditor).count() == 2


@needs_samples
def test_a_credit_note_naming_its_invoice_leaves_nothing_to_chase():
    moulin = CreditorFactory(name="Au bon moulin", siren="999999998", vat_number="FR11999999998")
    credit = ubl_credit_note(AKRETION, number="AV-2026-0001", reference=("F124211", "F124212"))
    result = einvoices(moulin, ("F124212.xml", sample(AKRETION)), ("AV-2026-0001.xml", credit))
    assert open_amounts(moulin) == {
        ("invoice", "F124212"): (D("308.03"), D("0.00"), "paid"),
        ("credit_note", "AV-2026-0001"): (D("-308.03"), D("0.00"), "paid"),
    }
    assert Invoice.objects.get(number="AV-2026-0001").credit_note_for == "F124212"
    assert result.notes == []  # a referenced credit note that fits needs no word
    # The audit trail says which credit note paid which invoice.
    (applied,) = Event.objects.filter(kind="ledger.credit_note_applied")
    assert (applied.payload["credit_note"], applied.payload["invoice"]) == ("AV-2026-0001", "F124212")
    assert (applied.payload["amount"], applied.payload["referenced"]) == ("208.03", True)
    assert chain_verify().ok
    as_of = date(2026, 10, 1)  # the invoice is 77 days late
    assert aging_total(moulin, as_of) == D("0.00")
    run = collection_run(creditor=moulin, as_of=as_of)
    assert not Action.objects.filter(debtor__creditor=moulin).exists()
    assert run.actions.get("queued", 0) == run.actions.get("sent", 0) == 0


@needs_samples
def test_a_cii_credit_note_names_its_invoice_by_invoice_referenced_document():
    supplier = CreditorFactory(siren="123456782", vat_number="FR11123456782")
    xml = sample(CII).decode()
    credit = (
        xml.replace("<ram:TypeCode>380</ram:TypeCode>", "<ram:TypeCode>381</ram:TypeCode>", 1)
        .replace("<ram:ID>F20260023</ram:ID>", "<ram:ID>AV-0001</ram:ID>", 1)
        .replace("<ram:DuePayableAmount>104.90</ram:DuePayableAmount>",
                 "<ram:DuePayableAmount>40.00</ram:DuePayableAmount>")
        .replace("<ram:SpecifiedTradeSettlementHeaderMonetarySummation>",
                 "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>F20260023</ram:IssuerAssignedID>"
                 "</ram:InvoiceReferencedDocument><ram:SpecifiedTradeSettlementHeaderMonetarySummation>")
    )  # fmt: skip
    assert credit != xml
    einvoices(supplier, ("F20260023.xml", xml.encode()), ("AV-0001.xml", credit.encode()))
    invoice = Invoice.objects.get(kind="invoice", number="F20260023")
    note = Invoice.objects.get(kind="credit_note", number="AV-0001")
    assert (invoice.open_amount, note.open_amount, note.credit_note_for) == (
        D("64.90"), D("0.00"), "F20260023",
    )  # fmt: skip


# --- The CSV ledger ----------------------------------------------------------------------------

HEADER = "numero_facture;compte_client;raison_sociale;email;date_facture;date_echeance;montant_ttc;reste_du;avoir_sur\n"


def csv_import(creditor, rows: str, as_of=date(2026, 2, 10)):
    return ledger_import(
        creditor=creditor, stream=io.BytesIO((HEADER + rows).encode()), filename="grand-livre.csv",
        as_of=as_of,
    )  # fmt: skip


def test_a_negative_line_beside_a_positive_one_nets_and_the_email_asks_for_the_net(outbox):
    creditor = CreditorFactory()
    result = csv_import(
        creditor,
        "F-100;411DUP;Dupuis SARL;compta@dupuis.example;01/01/2026;31/01/2026;1000,00;1000,00;\n"
        "AV-7;411DUP;Dupuis SARL;compta@dupuis.example;05/01/2026;05/01/2026;-529,87;-529,87;\n",
    )
    assert result.ok, result.problems
    assert open_amounts(creditor) == {
        ("invoice", "F-100"): (D("1000.00"), D("470.13"), "open"),
        ("credit_note", "AV-7"): (D("-529.87"), D("0.00"), "paid"),
    }
    # Unreferenced, the credit is applied to the oldest invoice, and the import says so.
    assert any("AV-7" in note and "F-100" in note and "oldest" in note for note in result.notes)
    assert aging_total(creditor, date(2026, 2, 10)) == D("470.13")
    collection_run(creditor=creditor, as_of=date(2026, 2, 10))
    (sent,) = outbox.glob("*.eml")
    message = email.message_from_bytes(sent.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "470,13" in body
    assert "avoir déduit 529,87" in body  # the invoice line shows the credit applied
    assert "règlement de 1\u202f000,00" not in body
    assert "règlement de 1 000,00" not in body
    assert "règlement de 470,13" in body


def test_a_credit_note_naming_a_later_invoice_pays_that_one_not_the_oldest():
    creditor = CreditorFactory()
    csv_import(
        creditor,
        "F-1;411A;Alpha SAS;;01/12/2025;31/12/2025;300,00;300,00;\n"
        "F-2;411A;Alpha SAS;;01/01/2026;31/01/2026;500,00;500,00;\n"
        "AV-2;411A;Alpha SAS;;10/01/2026;10/01/2026;-500,00;-500,00;F-2\n",
    )
    amounts = open_amounts(creditor)
    assert amounts[("invoice", "F-1")][1] == D("300.00")
    assert amounts[("invoice", "F-2")][1:] == (D("0.00"), "paid")


def test_a_credit_note_bearing_its_invoices_number_in_a_csv_is_not_a_duplicate():
    creditor = CreditorFactory()
    result = csv_import(
        creditor,
        "F-9;411B;Beta SAS;;01/01/2026;31/01/2026;1000,00;1000,00;\n"
        "F-9;411B;Beta SAS;;15/01/2026;15/01/2026;-1000,00;-1000,00;F-9\n",
    )
    assert result.ok, result.problems
    assert open_amounts(creditor) == {
        ("invoice", "F-9"): (D("1000.00"), D("0.00"), "paid"),
        ("credit_note", "F-9"): (D("-1000.00"), D("0.00"), "paid"),
    }


def test_a_reference_on_an_invoice_is_refused_with_its_line():
    creditor = CreditorFactory()
    result = csv_import(creditor, "F-3;411C;Gamma SAS;;01/01/2026;31/01/2026;100,00;100,00;F-1\n")
    assert [(p.code, p.line) for p in result.problems] == [("reference_on_invoice", 2)]
    assert not Invoice.objects.filter(creditor=creditor).exists()


def test_a_credit_larger_than_the_debt_is_reported_and_the_debtor_is_never_chased():
    creditor = CreditorFactory()
    result = csv_import(
        creditor,
        "F-5;411D;Delta SAS;compta@delta.example;01/12/2025;31/12/2025;200,00;200,00;\n"
        "AV-5;411D;Delta SAS;compta@delta.example;05/12/2025;05/12/2025;-350,00;-350,00;\n",
    )
    assert open_amounts(creditor)[("credit_note", "AV-5")][1:] == (D("-150.00"), "open")
    assert any("AV-5" in note and "150.00" in note and "remain" in note for note in result.notes)
    collection_run(creditor=creditor, as_of=date(2026, 3, 1))
    assert not Action.objects.filter(debtor__creditor=creditor).exists()
    # A new invoice later takes what is left of the credit, oldest first.
    csv_import(
        creditor,
        "F-5;411D;Delta SAS;;01/12/2025;31/12/2025;200,00;200,00;\n"
        "AV-5;411D;Delta SAS;;05/12/2025;05/12/2025;-350,00;-350,00;\n"
        "F-6;411D;Delta SAS;;01/02/2026;03/03/2026;400,00;400,00;\n",
        as_of=date(2026, 3, 1),
    )
    amounts = open_amounts(creditor)
    assert amounts[("invoice", "F-6")][1] == D("250.00")
    assert amounts[("credit_note", "AV-5")][1:] == (D("0.00"), "paid")
    every_open_amount_follows_from_its_allocations()


def test_the_export_lettering_the_credit_itself_undoes_relances_netting():
    """When the accountant letters the credit note in the next export (the invoice's open amount
    already net, the credit note gone), Relance's own application is taken back, never counted
    twice."""
    creditor = CreditorFactory()
    csv_import(
        creditor,
        "F-1;411E;Epsilon SAS;;01/01/2026;31/01/2026;1000,00;1000,00;\n"
        "AV-1;411E;Epsilon SAS;;05/01/2026;05/01/2026;-400,00;-400,00;F-1\n",
    )
    assert open_amounts(creditor)[("invoice", "F-1")][1] == D("600.00")
    csv_import(creditor, "F-1;411E;Epsilon SAS;;01/01/2026;31/01/2026;1000,00;600,00;\n")
    amounts = open_amounts(creditor)
    assert amounts[("invoice", "F-1")][1:] == (D("600.00"), "open")
    assert amounts[("credit_note", "AV-1")][1:] == (D("0.00"), "paid")
    every_open_amount_follows_from_its_allocations()
    assert Debtor.objects.get(account="411E").invoices.count() == 2
    credit_payments = Payment.objects.filter(origin="credit")
    assert credit_payments.exists()
    assert all(p.amount == 0 for p in credit_payments)
    assert sum(a.amount for a in Allocation.objects.filter(payment__origin="credit")) == 0
