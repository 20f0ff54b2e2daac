"""Importing invoices from e-invoices: Factur-X PDFs, UN/CEFACT CII and UBL XML files.

``einvoices_import`` reads each file with ``relance.formats.einvoice`` and hands the records to
the ledger import's writer (``ledger_records_import``): the files of one call are one batch,
taken whole or not at all, every problem listed with its file's name. The files are only a part
of the ledger, so no invoice absent from them is ever settled; importing the same files again
changes nothing, and a newer e-invoice of a number already imported updates that invoice.

The seller is the creditor: the creditor needs a SIREN or a VAT number, and an invoice whose
seller names neither of them (or contradicts one) is refused, as is one billed to the creditor
itself (a purchase invoice), each with its file and element. A buyer whose SIREN names a debtor
the creditor already has (from a CSV ledger, say) is that debtor. A Factur-X PDF is also stored
as its invoice's PDF, so that reminders carry it.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from relance.apps.audit.services import EventInput
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.attach import MAX_PDF_BYTES, files_named, invoice_pdf_store
from relance.apps.ledger.models import Debtor, ImportBatch, Invoice
from relance.apps.ledger.results import ImportResult
from relance.apps.ledger.services import ledger_records_import
from relance.domain.ledger import InvoiceRecord, ReadReport
from relance.domain.problems import N_, Note, Phrase, Problem
from relance.formats.einvoice import EInvoice, Seller, read_einvoice
from relance.formats.einvoice_party import siren_of

FORMAT = "einvoice"
SUFFIXES = (".pdf", ".xml")


@dataclass
class EInvoiceImportResult(ImportResult):
    """An import's result, with the file each problem comes from and what each file gave."""

    files: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        for problem, out in zip(self.problems, data["problems"], strict=True):
            out["file"] = problem.params.get("file")  # set by einvoices_import's refuse()
        data["files"] = self.files
        return data


def einvoice_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files named, folders expanded to their ``*.pdf`` and ``*.xml`` (not recursing)."""
    return files_named(paths, SUFFIXES)


def _own_ids(creditor: Creditor) -> tuple[str, str]:
    """The creditor's SIREN (from its VAT number when it has none) and VAT number, compact."""
    own_vat = creditor.vat_number.replace(" ", "").upper()
    return creditor.siren or siren_of(own_vat), own_vat


def _is_creditor(creditor: Creditor, party: Seller) -> bool:
    """Whether ``party`` names the creditor by its SIREN or VAT number."""
    own_siren, own_vat = _own_ids(creditor)
    return bool(
        (own_siren and party.siren == own_siren) or (own_vat and party.vat == own_vat)
    )


def _same_seller(creditor: Creditor, read: EInvoice) -> bool:
    """True when the seller names the creditor by an identifier and contradicts none."""
    seller = read.seller
    own_siren, own_vat = _own_ids(creditor)
    if own_siren and seller.siren and own_siren != seller.siren:
        return False
    if own_vat and seller.vat and own_vat != seller.vat:
        return False
    return _is_creditor(creditor, seller)


def _seller_problem(creditor: Creditor, read: EInvoice, record: InvoiceRecord) -> Problem | None:
    """Why the invoice cannot be the creditor's receivable, or None: its seller is not the
    creditor, or its buyer is (a purchase invoice)."""
    seller, buyer = read.seller, read.buyer
    if _is_creditor(creditor, buyer):
        return Problem.of(
            "purchase_invoice",
            N_(
                "invoice %(number)s is billed to %(creditor)s itself (buyer SIREN %(siren)s, "
                "VAT %(vat)s): it is a purchase invoice, not one to collect"
            ),
            None,
            buyer.path,
            number=record.number,
            creditor=creditor.name,
            siren=buyer.siren or "-",
            vat=buyer.vat or "-",
        )
    if not seller.siren and not seller.vat:
        return Problem.of(
            "seller_unidentified",
            N_(
                "invoice %(number)s gives no SIREN or VAT number for its seller %(seller)s "
                "(BT-30, BT-31): nothing shows that %(creditor)s issued it"
            ),
            None,
            seller.path,
            number=record.number,
            seller=seller.name or "?",
            creditor=creditor.name,
        )
    if not _same_seller(creditor, read):
        return Problem.of(
            "seller_mismatch",
            N_(
                "invoice %(number)s was issued by %(seller)s (SIREN %(siren)s, VAT "
                "%(vat)s), not by %(creditor)s"
            ),
            None,
            seller.path,
            number=record.number,
            seller=seller.name or "?",
            siren=seller.siren or "-",
            vat=seller.vat or "-",
            creditor=creditor.name,
        )
    return None


def einvoices_import(
    *,
    creditor: Creditor,
    files: list[tuple[str, bytes]],
    as_of: date,
    dry_run: bool = False,
    actor: str = "system",
) -> EInvoiceImportResult:
    """Import the invoices ``files`` (name, bytes) carry for ``creditor``; see the module."""
    report = ReadReport(format=FORMAT)

    def refuse(name: str | None, problem: Problem) -> None:
        if name is not None:
            problem = Problem.of(
                problem.code, N_("%(file)s: %(problem)s"), None, problem.column,
                file=name, problem=problem,
            )  # fmt: skip
        report.problems.append(problem)

    if not files:
        refuse(
            None, Problem.of("no_file", N_("no e-invoice file given (or the folder holds none)"))
        )
    if not any(_own_ids(creditor)):
        refuse(
            None,
            Problem.of(
                "creditor_unidentified",
                N_(
                    "%(creditor)s has no SIREN or VAT number, so no e-invoice can be checked as "
                    "issued by it: set one (relance creditor set --creditor %(ref)s --siren "
                    "123456789, or on the Settings page) and import again"
                ),
                creditor=creditor.name,
                ref=creditor.pk,
            ),
        )
        files = []
    # By kind and number: a credit note may carry the number of the invoice it corrects.
    kept: dict[tuple[str, str], tuple[str, bytes, EInvoice]] = {}
    for name, data in files:
        if len(data) > MAX_PDF_BYTES:
            refuse(
                name,
                Problem.of("too_large", N_("larger than %(size)d MB"), size=MAX_PDF_BYTES // 2**20),
            )
            continue
        read = read_einvoice(data, payment_terms_days=creditor.payment_terms_days)
        for problem in read.problems:
            refuse(name, problem)
        record = read.record
        if record is None:
            continue
        refused = _seller_problem(creditor, read, record)
        if refused is not None:
            refuse(name, refused)
            continue
        report.notes += [
            Note(
                N_("%(file)s: %(note)s"),
                file=name,
                note=Phrase(note.template, note.params) if isinstance(note, Note) else note,
            )
            for note in read.notes
        ]
        key = (record.kind, record.number)
        before = kept.get(key)
        if before is None:
            kept[key] = (name, data, read)
        elif before[2].record == record:
            # The same invoice twice (a Factur-X PDF and its XML): keep the PDF, to store it.
            if read.syntax == "factur-x" and before[2].syntax != "factur-x":
                kept[key] = (name, data, read)
        else:
            refuse(
                name,
                Problem.of(
                    "duplicate_invoice",
                    N_("invoice %(number)s is also in %(other)s, with other figures"),
                    number=record.number,
                    other=before[0],
                ),
            )
    records = _same_debtors(creditor, [read.record for _, _, read in kept.values() if read.record])
    pdfs = {key: (name, data) for key, (name, data, read) in kept.items() if read.syntax == "factur-x"}
    stored: dict[tuple[str, str], str] = {}

    def store_pdfs(batch: ImportBatch) -> list[EventInput]:
        events = []
        numbers = [number for _, number in pdfs]
        for invoice in Invoice.objects.filter(creditor=creditor, number__in=numbers):
            if (invoice.kind, invoice.number) not in pdfs:
                continue
            name, data = pdfs[(invoice.kind, invoice.number)]
            state, event = invoice_pdf_store(
                creditor=creditor,
                invoice=invoice,
                data=data,
                file_name=name,
                read_from="factur-x",
                dry_run=dry_run,
                actor=actor,
            )
            stored[(invoice.kind, invoice.number)] = state
            if event is not None:
                events.append(event)
        return events

    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(f"{name}\0{hashlib.sha256(data).hexdigest()}\n".encode())
    names = ", ".join(name for name, _ in files)
    base = ledger_records_import(
        creditor=creditor,
        records=records,
        report=report,
        filename=names if len(names) <= 255 else f"{len(files)} files: {names}"[:252] + "...",
        sha256=digest.hexdigest(),
        dry_run=dry_run,
        partial=True,  # e-invoices are some of the invoices, never the whole ledger
        as_of=as_of,
        actor=actor,
        on_written=store_pdfs,
    )
    result = EInvoiceImportResult(
        **{f.name: getattr(base, f.name) for f in dataclasses.fields(base)}
    )
    if result.ok:
        result.files = [
            {
                "file": name,
                "syntax": read.syntax,
                "invoice": number,
                "pdf": stored.get((kind, number)),
            }
            for (kind, number), (name, _, read) in kept.items()
        ]
    return result


def _same_debtors(creditor: Creditor, records: list[InvoiceRecord]) -> list[InvoiceRecord]:
    """The records, each buyer with a SIREN given the account of the creditor's debtor of that
    SIREN (the oldest), else of the first record of the batch with that SIREN: a customer is one
    debtor whether it came from a CSV ledger, a FEC or e-invoices."""
    sirens = {r.debtor.siren for r in records if r.debtor.siren}
    accounts: dict[str, str] = {}
    for siren, account in (
        Debtor.objects.filter(creditor=creditor, siren__in=sirens)
        .order_by("id")
        .values_list("siren", "account")
    ):
        accounts.setdefault(siren, account)
    out = []
    for r in records:
        siren = r.debtor.siren
        account = accounts.setdefault(siren, r.debtor.account) if siren else r.debtor.account
        if account != r.debtor.account:
            r = dataclasses.replace(r, debtor=dataclasses.replace(r.debtor, account=account))
        out.append(r)
    return out
