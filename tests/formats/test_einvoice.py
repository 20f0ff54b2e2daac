"""Reading e-invoices (Factur-X PDF, CII, UBL): the third-party samples, read by hand, and the
files refused with a clear problem."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
import weasyprint

from relance.formats.einvoice import read_einvoice, sniff

D = Decimal

# file, syntax, number, type code, issued, due, currency, total (BT-112), due (BT-115):
# each value read in the file itself (see ../shared/samples/README.md for the sources).
SAMPLES_EXPECTED = [
    ("ubl/akretion-ubl-21-en16931.xml", "ubl", "F124212", "380",
     date(2026, 6, 17), date(2026, 7, 16), "EUR", D("308.03"), D("208.03")),
    ("ubl/cen-ubl-tc434-example1.xml", "ubl", "12115118", "380",
     date(2015, 1, 9), date(2015, 1, 9), "EUR", D("250.33"), D("250.33")),
    ("ubl/cen-ubl-tc434-example2.xml", "ubl", "TOSL108", "380",
     date(2013, 6, 30), date(2013, 7, 20), "NOK", D("1801.78"), D("801.78")),
    ("ubl/peppol-base-example.xml", "ubl", "Snippet1", "380",
     date(2017, 11, 13), date(2017, 12, 1), "EUR", D("1656.25"), D("1656.25")),
    # a CreditNote states no due date: the issue date plus the 30 days of payment terms
    ("ubl/cen-ubl-tc434-creditnote1.xml", "ubl", "018304 / 28865", "381",
     date(2019, 9, 23), date(2019, 10, 23), "EUR", D("-100.11"), D("-100.11")),
    ("cii/cen-CII_example1.xml", "cii", "12115118", "380",
     date(2015, 1, 9), date(2015, 1, 9), "EUR", D("250.33"), D("250.33")),
    ("cii/cen-CII_business_example_02.xml", "cii", "INV000013", "380",
     date(2013, 8, 25), date(2013, 5, 10), "EUR", D("11.90"), D("11.90")),
    ("cii/akretion-factur-x-en16931.xml", "cii", "F20260023", "380",
     date(2026, 1, 31), date(2026, 3, 2), "EUR", D("104.90"), D("104.90")),
    ("cii/corpus-EN16931_Einfach_DueDate.cii.xml", "cii", "471102", "380",
     date(2018, 3, 5), date(2019, 3, 5), "EUR", D("529.87"), D("529.87")),
    ("facturx/fnfe-Facture_FR_BASICWL.pdf", "factur-x", "FA-2017-0010", "380",
     date(2017, 11, 13), date(2017, 12, 13), "EUR", D("671.15"), D("470.15")),
    ("facturx/fnfe-Facture_DOM_BASICWL.pdf", "factur-x", "FA-2017-0009", "380",
     date(2017, 11, 5), date(2017, 12, 5), "EUR", D("530.75"), D("383.75")),
    ("facturx/fnfe-Avoir_FR_type381_BASIC.pdf", "factur-x", "AV-2017-0005", "381",
     date(2017, 11, 16), date(2017, 11, 16), "EUR", D("-233.47"), D("-233.47")),
    ("facturx/corpus-EN16931_Einfach_DueDate.pdf", "factur-x", "471102", "380",
     date(2018, 3, 5), date(2019, 3, 5), "EUR", D("529.87"), D("529.87")),
    ("facturx/mustang-MustangGnuaccountingBeispielRE-20201121_508.pdf", "factur-x",
     "RE-20201121/508", "380", date(2020, 11, 21), date(2020, 12, 12), "EUR", D("571.04"),
     D("571.04")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "syntax", "number", "type_code", "issued", "due", "currency", "total", "payable"),
    SAMPLES_EXPECTED,
    ids=[row[0] for row in SAMPLES_EXPECTED],
)
def test_each_sample_reads_to_the_values_written_in_it(
    samples: Path,
    name: str,
    syntax: str,
    number: str,
    type_code: str,
    issued: date,
    due: date,
    currency: str,
    total: Decimal,
    payable: Decimal,
) -> None:
    read = read_einvoice((samples / name).read_bytes(), payment_terms_days=30)
    assert read.problems == []
    assert read.record is not None
    r = read.record
    assert (read.syntax, read.type_code) == (syntax, type_code)
    assert (r.number, r.issue_date, r.due_date, r.currency) == (number, issued, due, currency)
    assert (r.total_amount, r.open_amount) == (total, payable)


def test_a_credit_note_without_due_date_says_how_its_due_date_was_set(samples: Path) -> None:
    data = (samples / "ubl" / "cen-ubl-tc434-creditnote1.xml").read_bytes()
    read = read_einvoice(data, payment_terms_days=45)
    assert read.record is not None
    assert read.is_credit_note
    assert read.record.total_amount == D("-100.11")
    assert read.record.due_date == date(2019, 11, 7)
    assert read.notes == [
        "invoice 018304 / 28865 states no due date: due 2019-11-07, 45 days after its issue date"
    ]


def test_a_french_buyer_gives_its_siren_and_the_seller_its_identity(samples: Path) -> None:
    read = read_einvoice((samples / "facturx" / "fnfe-Facture_FR_BASICWL.pdf").read_bytes())
    assert read.record is not None
    debtor = read.record.debtor
    assert (debtor.account, debtor.name, debtor.kind, debtor.siren) == (
        "787878784",
        "Ma jolie boutique",
        "business",
        "787878784",
    )
    assert (debtor.address, debtor.postal_code, debtor.city, debtor.country) == (
        "35 rue de la République",
        "69001",
        "Lyon",
        "FR",
    )
    assert (read.seller.name, read.seller.siren, read.seller.vat) == (
        "Au bon moulin",
        "999999998",
        "FR11999999998",
    )
    assert read.profile == "urn:factur-x.eu:1p0:basicwl"


def test_the_buyer_identifier_is_the_account_and_the_em_address_its_email(samples: Path) -> None:
    read = read_einvoice((samples / "cii" / "akretion-factur-x-en16931.xml").read_bytes())
    assert read.record is not None
    debtor = read.record.debtor
    # BT-46 (GlobalID 0088) is the account; SIREN from the legal registration, scheme 0002
    assert (debtor.account, debtor.siren) == ("3654789851", "987654321")
    assert debtor.email == "me@buyer.com"  # BT-49 with scheme EM, before the contact's BT-58
    assert debtor.phone == "01 01 25 45 87"
    assert debtor.address == "MON ADRESSE LIGNE 1, Buyer line 2, Buyer line 3"
    assert read.seller.siren == "123456782"


def test_a_ubl_buyer_gives_its_siren_from_its_siret_and_its_contact_email(samples: Path) -> None:
    read = read_einvoice((samples / "ubl" / "akretion-ubl-21-en16931.xml").read_bytes())
    assert read.record is not None
    debtor = read.record.debtor
    assert (debtor.name, debtor.siren, debtor.kind) == (
        "Ma jolie boutique SARL",
        "787878784",
        "business",
    )
    assert debtor.email == "laetita.durand@jolieboutique.com"
    assert (read.seller.siren, read.seller.vat) == ("999999998", "FR11999999998")


UBL_HEAD = (
    '<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2" '
    'xmlns:cac="urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2" '
    'xmlns:cbc="urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2">'
)


def ubl(
    body: str = "<cbc:ID>F1</cbc:ID><cbc:IssueDate>2026-01-05</cbc:IssueDate>",
    total: str = "120.00",
    buyer: str = "<cac:PartyLegalEntity><cbc:RegistrationName>Jean Dupont"
    "</cbc:RegistrationName></cac:PartyLegalEntity>",
) -> bytes:
    return (
        f"{UBL_HEAD}{body}<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>"
        f"<cac:AccountingCustomerParty><cac:Party>{buyer}</cac:Party></cac:AccountingCustomerParty>"
        f"<cac:LegalMonetaryTotal><cbc:TaxInclusiveAmount currencyID='EUR'>{total}"
        "</cbc:TaxInclusiveAmount></cac:LegalMonetaryTotal></Invoice>"
    ).encode()


def test_a_buyer_without_any_identifier_is_a_consumer_named_by_its_account() -> None:
    read = read_einvoice(ubl(), payment_terms_days=30)
    assert read.problems == []
    assert read.record is not None
    assert (read.record.debtor.account, read.record.debtor.kind) == ("JEAN-DUPONT", "consumer")
    assert read.record.open_amount == D("120.00")  # no PayableAmount: the total, nothing prepaid
    assert read.record.due_date == date(2026, 2, 4)
    assert read.notes == [
        "invoice F1 states no due date: due 2026-02-04, 30 days after its issue date"
    ]


@pytest.mark.parametrize(
    ("endpoint", "kind", "email"),
    [
        ('<cbc:EndpointID schemeID="0088">5790000435951</cbc:EndpointID>', "business", ""),
        ('<cbc:EndpointID schemeID="EM">jean@example.org</cbc:EndpointID>', "consumer",
         "jean@example.org"),
        ('<cbc:EndpointID schemeID="em">jean@example.org</cbc:EndpointID>', "consumer",
         "jean@example.org"),
    ],
)
def test_a_network_endpoint_makes_a_business_and_an_email_one_an_address(
    endpoint: str, kind: str, email: str
) -> None:
    name = "<cac:PartyLegalEntity><cbc:RegistrationName>Jean Dupont</cbc:RegistrationName>"
    read = read_einvoice(ubl(buyer=f"{endpoint}{name}</cac:PartyLegalEntity>"))
    assert read.record is not None
    assert (read.record.debtor.kind, read.record.debtor.email) == (kind, email)


def test_an_invoice_without_currency_is_taken_as_euros_and_says_so() -> None:
    read = read_einvoice(
        ubl().replace(b"<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>", b"")
    )
    assert read.record is not None
    assert read.record.currency == "EUR"
    assert read.notes[-1] == "invoice F1 states no currency (BT-5): taken as EUR"


def only_problem(data: bytes) -> tuple[str, str, str | None]:
    read = read_einvoice(data)
    assert read.record is None
    assert len(read.problems) == 1
    p = read.problems[0]
    return p.code, p.message, p.column


def test_a_truncated_xml_is_refused_as_not_well_formed(samples: Path) -> None:
    data = (samples / "ubl" / "cen-ubl-tc434-example1.xml").read_bytes()
    code, message, _ = only_problem(data[: len(data) // 2])
    assert code == "not_xml"
    assert message.startswith("not well-formed XML: ")


def test_an_xml_with_a_dtd_or_an_entity_is_refused_before_it_is_read() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE Invoice [<!ENTITY x "boom">]>' + ubl(
        body="<cbc:ID>&x;</cbc:ID><cbc:IssueDate>2026-01-05</cbc:IssueDate>"
    )
    code, message, _ = only_problem(bomb)
    assert code == "forbidden_xml"
    assert "DTD or entities" in message


def test_an_unknown_root_is_refused_and_named() -> None:
    code, message, column = only_problem(b"<Document xmlns='urn:iso:camt.053'><x/></Document>")
    assert code == "unknown_root"
    assert column == "Document"
    assert "{urn:iso:camt.053}Document" in message


def test_a_pdf_without_embedded_xml_is_refused() -> None:
    pdf = weasyprint.HTML(string="<p>Facture F1</p>").write_pdf()
    code, message, _ = only_problem(pdf)
    assert code == "no_embedded_invoice"
    assert "plain PDF" in message


def test_a_broken_pdf_is_refused_with_the_reason_once() -> None:
    code, message, _ = only_problem(b"%PDF-1.4\nnot really a PDF")
    assert code == "unreadable_pdf"
    assert message.startswith("unreadable PDF: ")
    assert "unreadable PDF" not in message.removeprefix("unreadable PDF: ")


def test_a_missing_number_or_a_bad_amount_names_the_element() -> None:
    assert only_problem(ubl(body="<cbc:IssueDate>2026-01-05</cbc:IssueDate>")) == (
        "missing_field",
        "no invoice number (BT-1)",
        "Invoice/cbc:ID",
    )
    assert only_problem(ubl(total="12O,00")) == (
        "bad_amount",
        "'12O,00' is not an amount",
        "Invoice/cac:LegalMonetaryTotal/cbc:TaxInclusiveAmount",
    )
    assert only_problem(ubl(body="<cbc:ID>F1</cbc:ID><cbc:IssueDate>05/01/2026</cbc:IssueDate>"))[
        :2
    ] == ("bad_date", "'05/01/2026' is not a date written YYYY-MM-DD")


def test_a_missing_issue_date_is_named_and_a_zero_total_is_not_missing() -> None:
    assert only_problem(ubl(body="<cbc:ID>F1</cbc:ID>")) == (
        "missing_field",
        "no issue date (BT-2)",
        "Invoice/cbc:IssueDate",
    )
    read = read_einvoice(ubl(total="0.00"))
    assert read.record is not None
    assert read.record.total_amount == D("0.00")


def test_the_syntax_is_sniffed_from_the_content() -> None:
    assert sniff(b"%PDF-1.4") == "factur-x"
    assert sniff(UBL_HEAD.encode()) == "ubl"
    assert sniff(b"numero_facture;compte_client") is None


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("cii/cen-CII_business_example_02.xml", "business"),  # a GLN (GlobalID 0088)
        ("ubl/cen-ubl-tc434-creditnote1.xml", "business"),  # a VAT number
        ("cii/cen-CII_example1.xml", "consumer"),  # only the seller's own account number
        # No identifier, but "Kunden AG Mitte": a company legal form no person bears.
        ("cii/corpus-EN16931_Einfach_DueDate.cii.xml", "business"),
        ("facturx/corpus-EN16931_Einfach_DueDate.pdf", "business"),
    ],
)
def test_a_buyer_is_a_business_when_a_register_knows_it(samples: Path, name: str, kind: str):
    read = read_einvoice((samples / name).read_bytes())
    assert read.record is not None
    assert read.record.debtor.kind == kind


def test_a_cii_invoice_without_grand_total_names_the_missing_element(samples: Path) -> None:
    data = (samples / "cii" / "cen-CII_example1.xml").read_bytes()
    data = data.replace(b"<ram:GrandTotalAmount>250.33</ram:GrandTotalAmount>", b"")
    code, message, column = only_problem(data)
    assert (code, message) == ("missing_field", "no invoice total with VAT (BT-112)")
    assert column == (
        "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
        "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:GrandTotalAmount"
    )


@pytest.mark.parametrize(
    ("registration", "kind"),
    [
        ('<ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID>'
         "</ram:SpecifiedTaxRegistration>", "business"),
        ('<ram:SpecifiedTaxRegistration><ram:ID schemeID="FC">201/113/40209</ram:ID>'
         "</ram:SpecifiedTaxRegistration>", "business"),
        ("<ram:SpecifiedLegalOrganization><ram:ID>HRB 12345</ram:ID>"
         "</ram:SpecifiedLegalOrganization>", "business"),
    ],
)
def test_a_foreign_buyer_with_a_vat_tax_or_legal_identifier_is_a_business(
    samples: Path, registration: str, kind: str
) -> None:
    data = (samples / "cii/corpus-EN16931_Einfach_DueDate.cii.xml").read_bytes()
    data = data.replace(b"<ram:Name>Kunden AG Mitte</ram:Name>", b"<ram:Name>Kunden Mitte</ram:Name>")
    marker = b"</ram:PostalTradeAddress>\n      </ram:BuyerTradeParty>"
    assert marker in data
    read = read_einvoice(data.replace(marker, b"</ram:PostalTradeAddress>" + registration.encode() + b"</ram:BuyerTradeParty>"))
    assert read.record is not None
    assert read.record.debtor.kind == kind
    bare = read_einvoice(data)
    assert bare.record is not None
    assert bare.record.debtor.kind == "consumer"  # no identifier and no legal form: a person


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("Kunden AG", "business"),
        ("Müller GmbH &amp; Co. KG", "business"),
        ("Boulangerie Martin S.A.R.L.", "business"),
        ("Nordic A/S", "business"),
        ("Jean Dupont", "consumer"),
        ("Agnès Sagan", "consumer"),  # letters of a legal form inside a word are no legal form
    ],
)
def test_a_company_legal_form_in_the_name_makes_a_business(name: str, kind: str) -> None:
    buyer = f"<cac:PartyLegalEntity><cbc:RegistrationName>{name}</cbc:RegistrationName></cac:PartyLegalEntity>"
    read = read_einvoice(ubl(buyer=buyer))
    assert read.record is not None
    assert read.record.debtor.kind == kind


# A ZUGFeRD 1.0 BASIC invoice, made from the 1.0 schema's element names (no ZUGFeRD 1 file is
# among the shared samples): its own root namespace, HeaderExchangedDocument,
# SpecifiedSupplyChainTradeTransaction, ApplicableSupplyChainTradeAgreement/-Settlement.
ZUGFERD1 = """<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossIndustryDocument xmlns:rsm="urn:ferd:CrossIndustryDocument:invoice:1p0"
  xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12"
  xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15">
  <rsm:SpecifiedExchangedDocumentContext>
    <ram:GuidelineSpecifiedDocumentContextParameter>
      <ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:basic</ram:ID>
    </ram:GuidelineSpecifiedDocumentContextParameter>
  </rsm:SpecifiedExchangedDocumentContext>
  <rsm:HeaderExchangedDocument>
    <ram:ID>ZF1-2014-001</ram:ID>
    <ram:Name>RECHNUNG</ram:Name>
    <ram:TypeCode>380</ram:TypeCode>
    <ram:IssueDateTime><udt:DateTimeString format="102">20140601</udt:DateTimeString></ram:IssueDateTime>
  </rsm:HeaderExchangedDocument>
  <rsm:SpecifiedSupplyChainTradeTransaction>
    <ram:ApplicableSupplyChainTradeAgreement>
      <ram:SellerTradeParty>
        <ram:Name>Lieferant GmbH</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>80333</ram:PostcodeCode>
          <ram:LineOne>Lieferantenstraße 20</ram:LineOne><ram:CityName>München</ram:CityName>
          <ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE123456789</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:SellerTradeParty>
      <ram:BuyerTradeParty>
        <ram:ID>K-4711</ram:ID>
        <ram:Name>Kunden Mitte</ram:Name>
        <ram:PostalTradeAddress><ram:PostcodeCode>69876</ram:PostcodeCode>
          <ram:LineOne>Kundenstraße 15</ram:LineOne><ram:CityName>Frankfurt</ram:CityName>
          <ram:CountryID>DE</ram:CountryID></ram:PostalTradeAddress>
        <ram:SpecifiedTaxRegistration><ram:ID schemeID="VA">DE987654321</ram:ID></ram:SpecifiedTaxRegistration>
      </ram:BuyerTradeParty>
    </ram:ApplicableSupplyChainTradeAgreement>
    <ram:ApplicableSupplyChainTradeSettlement>
      <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>
      <ram:SpecifiedTradePaymentTerms>
        <ram:DueDateDateTime><udt:DateTimeString format="102">20140701</udt:DateTimeString></ram:DueDateDateTime>
      </ram:SpecifiedTradePaymentTerms>
      <ram:SpecifiedTradeSettlementMonetarySummation>
        <ram:LineTotalAmount currencyID="EUR">198.00</ram:LineTotalAmount>
        <ram:TaxBasisTotalAmount currencyID="EUR">198.00</ram:TaxBasisTotalAmount>
        <ram:TaxTotalAmount currencyID="EUR">37.62</ram:TaxTotalAmount>
        <ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>
        <ram:TotalPrepaidAmount currencyID="EUR">35.62</ram:TotalPrepaidAmount>
        <ram:DuePayableAmount currencyID="EUR">200.00</ram:DuePayableAmount>
      </ram:SpecifiedTradeSettlementMonetarySummation>
    </ram:ApplicableSupplyChainTradeSettlement>
  </rsm:SpecifiedSupplyChainTradeTransaction>
</rsm:CrossIndustryDocument>
""".encode()


def zugferd1_pdf(xml: bytes = ZUGFERD1) -> bytes:
    """A PDF embedding the XML as ZUGFeRD 1.0 did: an attachment named ZUGFeRD-invoice.xml."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment("ZUGFeRD-invoice.xml", xml)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(("data", "syntax"), [(ZUGFERD1, "cii"), (zugferd1_pdf(), "factur-x")])
def test_a_zugferd_1_invoice_is_read_as_xml_and_from_its_pdf(data: bytes, syntax: str) -> None:
    assert sniff(data) == syntax

    read = read_einvoice(data, payment_terms_days=30)

    assert read.problems == []
    assert read.record is not None
    r = read.record
    assert (read.syntax, read.type_code, read.profile) == (
        syntax, "380", "urn:ferd:CrossIndustryDocument:invoice:1p0:basic"
    )
    assert (r.number, r.issue_date, r.due_date, r.currency) == (
        "ZF1-2014-001", date(2014, 6, 1), date(2014, 7, 1), "EUR"
    )
    assert (r.total_amount, r.open_amount) == (D("235.62"), D("200.00"))
    assert (r.debtor.account, r.debtor.name, r.debtor.kind, r.debtor.city, r.debtor.country) == (
        "K-4711", "Kunden Mitte", "business", "Frankfurt", "DE"
    )
    assert (read.seller.name, read.seller.vat) == ("Lieferant GmbH", "DE123456789")


def test_a_zugferd_1_invoice_without_total_names_its_own_element() -> None:
    data = ZUGFERD1.replace(b'<ram:GrandTotalAmount currencyID="EUR">235.62</ram:GrandTotalAmount>', b"")
    code, _message, column = only_problem(data)
    assert code == "missing_field"
    assert column == (
        "rsm:SpecifiedSupplyChainTradeTransaction/ram:ApplicableSupplyChainTradeSettlement/"
        "ram:SpecifiedTradeSettlementMonetarySummation/ram:GrandTotalAmount"
    )


def test_a_zugferd_1_pdf_names_its_invoice_for_attaching() -> None:
    from relance.formats.invoice_pdf import pdf_invoice

    found = pdf_invoice(zugferd1_pdf())
    assert (found.number, found.type_code, found.xml_name) == ("ZF1-2014-001", "380", "ZUGFeRD-invoice.xml")
