"""Read one e-invoice (EN 16931): a Factur-X / ZUGFeRD PDF, a UN/CEFACT CII XML, or a UBL 2.1
Invoice or CreditNote, into the ledger's records.

``read_einvoice(data, ...)`` recognises the syntax from the bytes (``%PDF-`` or the XML root),
never from the file name, and returns an ``EInvoice``: the ``InvoiceRecord`` (with its
``DebtorRecord``), the seller's identity (so that the caller can check the creditor issued it),
and the problems and notes, beancount-style, instead of raising.

The fields read are the EN 16931 business terms: number BT-1, issue date BT-2, type code BT-3
(credit notes, 381 and the like or a UBL ``CreditNote``, give negative amounts), currency BT-5,
due date BT-9 (absent: the issue date plus the caller's payment terms, with a note), grand total
BT-112 and amount due BT-115 (net of the prepaid amount BT-113), the buyer BT-44..58, and the
invoice a credit note corrects BT-25. All profiles carry these, MINIMUM and BASIC WL included
(no lines, not read). XML goes through defusedxml: no DTD, entity or external reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Literal, TypeVar
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree

from relance.domain.ledger import InvoiceRecord
from relance.domain.problems import N_, Note, Phrase, Problem
from relance.formats.einvoice_party import (
    SIRENE_SCHEME,
    Party,
    party_debtor,
    siren_of,
)
from relance.formats.invoice_pdf import NotAPdfError, embedded_xml

Syntax = Literal["factur-x", "cii", "ubl"]

CII_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
# ZUGFeRD 1.0 (2014): the CII of its day (D13B), its own root namespace, other element names
# for the same business terms. Its PDFs embed it as ZUGFeRD-invoice.xml.
ZUGFERD1_NS = {
    "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:15",
}
UBL_INVOICE = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2"
UBL_CREDIT_NOTE = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2"
UBL_NS = {
    "cac": "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2",
    "cbc": "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2",
}
# UNTDID 1001 codes of documents that credit the buyer (EN 16931 code list for BT-3).
CREDIT_NOTE_CODES = frozenset(
    {"81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532"}
)
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Seller:
    """Who issued the invoice (BT-27, BT-30 when SIRENE, BT-31), or who it is billed to (BT-44,
    BT-47, BT-48), and the element that names it (``path``)."""

    name: str = ""
    siren: str = ""
    vat: str = ""
    path: str = ""


@dataclass
class EInvoice:
    """What one file held: its record when it could be read, else problems (never both)."""

    syntax: Syntax | None = None
    record: InvoiceRecord | None = None
    seller: Seller = field(default_factory=Seller)
    buyer: Seller = field(default_factory=Seller)
    type_code: str = ""
    profile: str = ""  # the guideline (BT-24), e.g. urn:factur-x.eu:1p0:basicwl
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def is_credit_note(self) -> bool:
        return self.type_code in CREDIT_NOTE_CODES


class _Refused(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem


def sniff(head: bytes) -> Syntax | None:
    """The e-invoice syntax the first bytes suggest (a PDF may still embed nothing).

    >>> sniff(b"%PDF-1.7")
    'factur-x'
    >>> sniff(b'<?xml version="1.0"?><Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">')
    'ubl'
    >>> sniff(b"<rsm:CrossIndustryInvoice xmlns:rsm="), sniff(b"JournalCode\\t")
    ('cii', None)
    """
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start.startswith(b"%PDF-"):
        return "factur-x"
    if b"CrossIndustryInvoice" in head or ZUGFERD1_NS["rsm"].encode() in head:
        return "cii"
    if UBL_INVOICE.encode() in head or UBL_CREDIT_NOTE.encode() in head:
        return "ubl"
    return None


def read_einvoice(data: bytes, *, payment_terms_days: int = 30) -> EInvoice:
    """Read one e-invoice file's bytes; see the module docstring."""
    result = EInvoice()
    try:
        xml = data
        if data.lstrip()[:5] == b"%PDF-":
            result.syntax = "factur-x"
            xml = _embedded_xml(data)
        root = _parse(xml)
        tag = root.tag
        if tag == f"{{{CII_NS['rsm']}}}CrossIndustryInvoice":
            result.syntax = result.syntax or "cii"
            _read_cii(root, result, payment_terms_days, CII)
        elif tag == f"{{{ZUGFERD1_NS['rsm']}}}CrossIndustryDocument":
            result.syntax = result.syntax or "cii"
            _read_cii(root, result, payment_terms_days, ZUGFERD1)
        elif tag in (f"{{{UBL_INVOICE}}}Invoice", f"{{{UBL_CREDIT_NOTE}}}CreditNote"):
            result.syntax = "ubl"  # even in a PDF (ZUGFeRD 2.x allows XRechnung's UBL)
            _read_ubl(root, result, payment_terms_days)
        else:
            raise _Refused(
                Problem.of(
                    "unknown_root",
                    N_(
                        "the XML root is %(root)s: expected a UN/CEFACT CrossIndustryInvoice, "
                        "a ZUGFeRD 1.0 CrossIndustryDocument, or a UBL Invoice or CreditNote"
                    ),
                    column=_local(tag),
                    root=tag,
                )
            )
    except _Refused as refused:
        result.problems.append(refused.problem)
        result.record = None
    return result


def _embedded_xml(data: bytes) -> bytes:
    try:
        embedded = embedded_xml(data)
    except NotAPdfError as exc:
        raise _Refused(
            Problem.of(
                "unreadable_pdf", N_("unreadable PDF: %(error)s"), error=str(exc.__cause__ or exc)
            )
        ) from exc
    if embedded is None:
        raise _Refused(
            Problem.of(
                "no_embedded_invoice",
                N_(
                    "this PDF embeds no Factur-X or ZUGFeRD XML: it is a plain PDF, which "
                    "carries no invoice data (attach it to an imported invoice instead)"
                ),
            )
        )
    return embedded[1]


def _parse(xml: bytes) -> Element:
    try:
        root: Element = SafeElementTree.fromstring(
            xml, forbid_dtd=True, forbid_entities=True, forbid_external=True
        )
    except DefusedXmlException as exc:
        raise _Refused(
            Problem.of(
                "forbidden_xml",
                N_("the XML declares a DTD or entities, which are refused for safety (%(error)s)"),
                error=type(exc).__name__,
            )
        ) from exc
    except SafeElementTree.ParseError as exc:
        raise _Refused(
            Problem.of("not_xml", N_("not well-formed XML: %(error)s"), error=str(exc))
        ) from exc
    return root


# --- values ------------------------------------------------------------------------------------


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text(node: Element | None) -> str:
    return " ".join((node.text or "").split()) if node is not None else ""


def _scheme(node: Element | None) -> str:
    return node.get("schemeID", "") if node is not None else ""


def _amount(node: Element | None, path: str) -> Decimal | None:
    text = _text(node)
    if node is None or not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise _Refused(
            Problem.of("bad_amount", N_("%(value)r is not an amount"), column=path, value=text)
        )
    return value


@dataclass
class _Fields:
    number: str
    issue: date
    due: date | None
    currency: str
    total: Decimal
    prepaid: Decimal | None
    payable: Decimal | None
    reference: str = ""  # BT-25, the preceding invoice a credit note corrects


def _finish(
    result: EInvoice,
    f: _Fields,
    buyer: Party,
    seller: Party,
    terms_days: int,
    paths: dict[str, str],
) -> None:
    due = f.due
    if due is None:
        due = f.issue + timedelta(days=terms_days)
        result.notes.append(
            Note(
                N_("invoice %(number)s states no due date: due %(due)s, %(days)d days after its "
                   "issue date"),
                number=f.number, due=due, days=terms_days,
            )
        )
    if not buyer.name and not buyer.trading_name:
        raise _Refused(
            Problem.of("missing_field", N_("no buyer name (BT-44)"), column=paths["buyer"])
        )
    # BT-115 is mandatory; without it, the total less the prepaid amount (BT-113) is due
    open_amount = f.payable if f.payable is not None else f.total - (f.prepaid or Decimal(0))
    if not f.currency:  # BT-5 is mandatory, but an invoice is no less owed without it
        result.notes.append(
            Note(N_("invoice %(number)s states no currency (BT-5): taken as EUR"), number=f.number)
        )
    total = f.total
    if result.is_credit_note:
        total, open_amount = -abs(total), -abs(open_amount)
    result.record = InvoiceRecord(
        number=f.number,
        debtor=party_debtor(buyer),
        issue_date=f.issue,
        due_date=due,
        total_amount=total,
        open_amount=open_amount,
        currency=f.currency or "EUR",
        credit_note_for=f.reference[:60] if result.is_credit_note else "",
    )
    result.seller = Seller(
        name=seller.name or seller.trading_name,
        siren=seller.siren,
        vat=seller.vat.replace(" ", "").upper(),
        path=paths.get("seller", ""),
    )
    result.buyer = Seller(
        name=buyer.name or buyer.trading_name,
        siren=buyer.siren,
        vat=buyer.vat.replace(" ", "").upper(),
        path=paths["buyer"],
    )


# What an invoice cannot go without, as "no %(what)s" names it (a page says it in French).
NUMBER = Phrase.of(N_("invoice number (BT-1)"))
ISSUE_DATE = Phrase.of(N_("issue date (BT-2)"))
TOTAL = Phrase.of(N_("invoice total with VAT (BT-112)"))


def _required(value: _T | None, what: Phrase, path: str) -> _T:
    if value is None or value == "":
        raise _Refused(Problem.of("missing_field", N_("no %(what)s"), column=path, what=what))
    return value


# --- CII ---------------------------------------------------------------------------------------


def _cii_date(node: Element | None, path: str) -> date | None:
    if node is None:
        return None
    text = _text(node)
    fmt = node.get("format", "102")
    try:
        if fmt == "102" and len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        pass
    raise _Refused(
        Problem.of(
            "bad_date",
            N_("%(value)r (format %(format)s) is not a date written YYYYMMDD (format 102)"),
            column=path,
            value=text,
            format=fmt,
        )
    )


def _cii_party(node: Element | None, ns: dict[str, str]) -> Party:
    if node is None:
        return Party()

    def t(path: str) -> str:
        return _text(node.find(path, ns))

    legal = node.find("ram:SpecifiedLegalOrganization/ram:ID", ns)
    endpoint = node.find("ram:URIUniversalCommunication/ram:URIID", ns)
    vat = tax_id = ""
    for reg in node.findall("ram:SpecifiedTaxRegistration/ram:ID", ns):
        if reg.get("schemeID", "").upper() == "VA":
            vat = _text(reg)
        elif _text(reg):
            tax_id = _text(reg)
    address = node.find("ram:PostalTradeAddress", ns)
    lines: tuple[str, ...] = ()
    postcode = city = country = ""
    if address is not None:
        lines = tuple(
            _text(address.find(f"ram:{name}", ns)) for name in ("LineOne", "LineTwo", "LineThree")
        )
        postcode = _text(address.find("ram:PostcodeCode", ns))
        city = _text(address.find("ram:CityName", ns))
        country = _text(address.find("ram:CountryID", ns))
    return Party(
        name=t("ram:Name"),
        trading_name=t("ram:SpecifiedLegalOrganization/ram:TradingBusinessName"),
        identifier=t("ram:ID") or t("ram:GlobalID"),
        registered=bool(t("ram:GlobalID")),
        legal_id=_text(legal),
        legal_scheme=_scheme(legal),
        vat=vat,
        tax_id=tax_id,
        endpoint=_text(endpoint),
        endpoint_scheme=_scheme(endpoint),
        contact_email=t("ram:DefinedTradeContact/ram:EmailURIUniversalCommunication/ram:URIID"),
        phone=t("ram:DefinedTradeContact/ram:TelephoneUniversalCommunication/ram:CompleteNumber"),
        lines=lines,
        postal_code=postcode,
        city=city,
        country=country,
    )


@dataclass(frozen=True, slots=True)
class _CiiSchema:
    """Where a version of CII puts the business terms that are read."""

    ns: dict[str, str]
    context: str
    doc: str
    trade: str
    agreement: str
    settlement: str
    sums: str


CII = _CiiSchema(
    CII_NS,
    "rsm:ExchangedDocumentContext",
    "rsm:ExchangedDocument",
    "rsm:SupplyChainTradeTransaction",
    "ram:ApplicableHeaderTradeAgreement",
    "ram:ApplicableHeaderTradeSettlement",
    "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
)
ZUGFERD1 = _CiiSchema(
    ZUGFERD1_NS,
    "rsm:SpecifiedExchangedDocumentContext",
    "rsm:HeaderExchangedDocument",
    "rsm:SpecifiedSupplyChainTradeTransaction",
    "ram:ApplicableSupplyChainTradeAgreement",
    "ram:ApplicableSupplyChainTradeSettlement",
    "ram:SpecifiedTradeSettlementMonetarySummation",
)


def _read_cii(root: Element, result: EInvoice, terms_days: int, schema: _CiiSchema) -> None:
    ns = schema.ns
    doc = schema.doc
    trade = schema.trade
    agreement = f"{trade}/{schema.agreement}"
    settlement = f"{trade}/{schema.settlement}"
    sums = f"{settlement}/{schema.sums}"
    result.profile = _text(
        root.find(f"{schema.context}/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID", ns)
    )
    result.type_code = _text(root.find(f"{doc}/ram:TypeCode", ns))
    number = _required(_text(root.find(f"{doc}/ram:ID", ns)), NUMBER, f"{doc}/ram:ID")
    issue_path = f"{doc}/ram:IssueDateTime/udt:DateTimeString"
    issue = _required(_cii_date(root.find(issue_path, ns), issue_path), ISSUE_DATE, issue_path)
    due_path = f"{settlement}/ram:SpecifiedTradePaymentTerms/ram:DueDateDateTime/udt:DateTimeString"
    due = None
    for node in root.findall(due_path, ns):  # repeated when paid in instalments: the first
        due = due or _cii_date(node, due_path)
    total_path = f"{sums}/ram:GrandTotalAmount"
    total = _required(_amount(root.find(total_path, ns), total_path), TOTAL, total_path)
    prepaid_path = f"{sums}/ram:TotalPrepaidAmount"
    payable_path = f"{sums}/ram:DuePayableAmount"
    fields = _Fields(
        number=number,
        issue=issue,
        due=due,
        currency=_text(root.find(f"{settlement}/ram:InvoiceCurrencyCode", ns)),
        total=total,
        prepaid=_amount(root.find(prepaid_path, ns), prepaid_path),
        payable=_amount(root.find(payable_path, ns), payable_path),
        reference=_text(root.find(f"{settlement}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID", ns)),
    )
    buyer_path = f"{agreement}/ram:BuyerTradeParty"
    seller_path = f"{agreement}/ram:SellerTradeParty"
    _finish(
        result,
        fields,
        _cii_party(root.find(buyer_path, ns), ns),
        _cii_party(root.find(seller_path, ns), ns),
        terms_days,
        {"buyer": buyer_path, "seller": seller_path},
    )


# --- UBL ---------------------------------------------------------------------------------------


def _ubl_date(node: Element | None, path: str) -> date | None:
    if node is None:
        return None
    text = _text(node)
    try:
        if len(text) == 10 and text[4] == "-":
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise _Refused(
        Problem.of(
            "bad_date", N_("%(value)r is not a date written YYYY-MM-DD"), column=path, value=text
        )
    )


def _ubl_party(node: Element | None) -> Party:
    if node is None:
        return Party()
    ns = UBL_NS

    def t(path: str) -> str:
        return _text(node.find(path, ns))

    legal = node.find("cac:PartyLegalEntity/cbc:CompanyID", ns)
    endpoint = node.find("cbc:EndpointID", ns)
    vat = tax_id = ""
    for scheme in node.findall("cac:PartyTaxScheme", ns):
        if _text(scheme.find("cac:TaxScheme/cbc:ID", ns)).upper() == "VAT":
            vat = _text(scheme.find("cbc:CompanyID", ns))
        elif _text(scheme.find("cbc:CompanyID", ns)):
            tax_id = _text(scheme.find("cbc:CompanyID", ns))
    identifier = node.find("cac:PartyIdentification/cbc:ID", ns)
    legal_id, legal_scheme = _text(legal), _scheme(legal)
    if not legal_id and _scheme(identifier) == SIRENE_SCHEME:
        legal_id, legal_scheme = _text(identifier), SIRENE_SCHEME
    country_code = t("cac:PostalAddress/cac:Country/cbc:IdentificationCode").upper()
    if legal_id and not legal_scheme and country_code == "FR" and siren_of(legal_id):
        legal_scheme = SIRENE_SCHEME  # French invoices often leave out the scheme of a SIREN
    address = node.find("cac:PostalAddress", ns)
    lines: tuple[str, ...] = ()
    postcode = city = country = ""
    if address is not None:
        lines = (
            _text(address.find("cbc:StreetName", ns)),
            _text(address.find("cbc:AdditionalStreetName", ns)),
            *(_text(line) for line in address.findall("cac:AddressLine/cbc:Line", ns)),
        )
        postcode = _text(address.find("cbc:PostalZone", ns))
        city = _text(address.find("cbc:CityName", ns))
        country = _text(address.find("cac:Country/cbc:IdentificationCode", ns))
    return Party(
        name=t("cac:PartyLegalEntity/cbc:RegistrationName"),
        trading_name=t("cac:PartyName/cbc:Name"),
        identifier=_text(identifier),
        registered=bool(_scheme(identifier)),
        legal_id=legal_id,
        legal_scheme=legal_scheme,
        vat=vat,
        tax_id=tax_id,
        endpoint=_text(endpoint),
        endpoint_scheme=_scheme(endpoint),
        contact_email=t("cac:Contact/cbc:ElectronicMail"),
        phone=t("cac:Contact/cbc:Telephone"),
        lines=lines,
        postal_code=postcode,
        city=city,
        country=country,
    )


def _read_ubl(root: Element, result: EInvoice, terms_days: int) -> None:
    ns = UBL_NS
    top = _local(root.tag)
    credit_note = top == "CreditNote"
    result.profile = _text(root.find("cbc:CustomizationID", ns))
    code = _text(root.find("cbc:CreditNoteTypeCode" if credit_note else "cbc:InvoiceTypeCode", ns))
    result.type_code = code or ("381" if credit_note else "380")
    if credit_note and result.type_code not in CREDIT_NOTE_CODES:
        result.type_code = "381"  # the root says credit note whatever the code
    number = _required(_text(root.find("cbc:ID", ns)), NUMBER, f"{top}/cbc:ID")
    issue_path = f"{top}/cbc:IssueDate"
    issue = _required(_ubl_date(root.find("cbc:IssueDate", ns), issue_path), ISSUE_DATE, issue_path)
    due = _ubl_date(root.find("cbc:DueDate", ns), f"{top}/cbc:DueDate")
    if due is None:
        # UBL 2.1's CreditNote has no DueDate; EN 16931 puts BT-9 in its PaymentMeans
        for node in root.findall("cac:PaymentMeans/cbc:PaymentDueDate", ns):
            due = due or _ubl_date(node, f"{top}/cac:PaymentMeans/cbc:PaymentDueDate")
    sums = "cac:LegalMonetaryTotal"
    total_path = f"{top}/{sums}/cbc:TaxInclusiveAmount"
    total = _required(
        _amount(root.find(f"{sums}/cbc:TaxInclusiveAmount", ns), total_path), TOTAL, total_path
    )
    fields = _Fields(
        number=number,
        issue=issue,
        due=due,
        currency=_text(root.find("cbc:DocumentCurrencyCode", ns)),
        total=total,
        prepaid=_amount(
            root.find(f"{sums}/cbc:PrepaidAmount", ns), f"{top}/{sums}/cbc:PrepaidAmount"
        ),
        payable=_amount(
            root.find(f"{sums}/cbc:PayableAmount", ns), f"{top}/{sums}/cbc:PayableAmount"
        ),
        reference=_text(root.find("cac:BillingReference/cac:InvoiceDocumentReference/cbc:ID", ns)),
    )
    buyer_path = f"{top}/cac:AccountingCustomerParty/cac:Party"
    _finish(
        result,
        fields,
        _ubl_party(root.find("cac:AccountingCustomerParty/cac:Party", ns)),
        _ubl_party(root.find("cac:AccountingSupplierParty/cac:Party", ns)),
        terms_days,
        {"buyer": buyer_path, "seller": f"{top}/cac:AccountingSupplierParty/cac:Party"},
    )
