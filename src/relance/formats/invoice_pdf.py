"""An invoice's PDF: is it one, and which invoice is it?

A Factur-X (or ZUGFeRD) PDF carries its invoice as CII XML inside: the number is read from there
(``rsm:ExchangedDocument/ram:ID``, EN 16931 BT-1), with the document type (380 invoice, 381
credit note...). A plain PDF says nothing machine-readable: the caller falls back on the file's
name.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from defusedxml import ElementTree

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
# ZUGFeRD 1.0 (ZUGFeRD-invoice.xml): its own root namespace and HeaderExchangedDocument.
ZUGFERD1_NS = {
    "rsm": "urn:ferd:CrossIndustryDocument:invoice:1p0",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:12",
}


@dataclass(frozen=True)
class PdfInvoice:
    number: str | None  # None: a plain PDF, no embedded invoice
    type_code: str | None = None
    xml_name: str | None = None  # factur-x.xml, zugferd-invoice.xml...


class NotAPdfError(ValueError):
    pass


def embedded_xml(data: bytes) -> tuple[str, bytes] | None:
    """The name and bytes of the Factur-X (or ZUGFeRD) XML a PDF embeds; None for a plain PDF.
    Raises ``NotAPdfError`` for bytes that are not a PDF, or a PDF that cannot be read (the
    library's own error is its ``__cause__``)."""
    if not data.lstrip()[:5] == b"%PDF-":
        raise NotAPdfError("not a PDF (it does not start with %PDF-)")
    from facturx import get_xml_from_pdf

    # factur-x logs each step at INFO and a plain PDF as an error: its result says it all.
    logger = logging.getLogger("factur-x")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        name, xml = get_xml_from_pdf(io.BytesIO(data), check_xsd=False)
    except Exception as exc:  # the library raises bare exceptions on a broken PDF
        raise NotAPdfError(f"unreadable PDF: {exc}") from exc
    finally:
        logger.setLevel(level)
    return (name, bytes(xml)) if xml else None


def pdf_invoice(data: bytes) -> PdfInvoice:
    """The invoice a PDF carries, if it embeds Factur-X XML. Raises ``NotAPdfError`` for bytes
    that are not a PDF, or a PDF the embedded XML of which cannot be read."""
    embedded = embedded_xml(data)
    if embedded is None:
        return PdfInvoice(None)
    name, xml = embedded
    try:
        root = ElementTree.fromstring(xml)
    except ElementTree.ParseError as exc:
        raise NotAPdfError(f"the embedded {name} is not well-formed XML: {exc}") from exc
    doc, ns = "rsm:ExchangedDocument", NS
    if root.tag == f"{{{ZUGFERD1_NS['rsm']}}}CrossIndustryDocument":
        doc, ns = "rsm:HeaderExchangedDocument", ZUGFERD1_NS
    number = (root.findtext(f"{doc}/ram:ID", namespaces=ns) or "").strip()
    type_code = (root.findtext(f"{doc}/ram:TypeCode", namespaces=ns) or "").strip()
    return PdfInvoice(number or None, type_code or None, name)
