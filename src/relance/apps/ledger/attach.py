"""Invoice PDFs kept beside the ledger, so that reminders can carry the invoice itself.

An accounting export has no PDFs; the invoicing tool has them, usually as a folder of files.
``invoice_pdfs_attach`` takes PDF files (or folders of them) and matches each to one of the
creditor's invoices: by the number inside a Factur-X PDF (EN 16931 BT-1), else by the file's
name (``FV-2026-0001.pdf``). A file that is not a PDF, names no invoice of the creditor, or
claims an invoice another file also claims is a problem, and any problem refuses the whole lot:
nothing is attached. Each PDF is stored once under its SHA-256; attaching the same file again
changes nothing; every change is an audit event.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from relance.apps.audit.services import EventInput, events_record
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice
from relance.domain.problems import Problem
from relance.formats.invoice_pdf import NotAPdfError, pdf_invoice

MAX_PDF_BYTES = 20 * 1024 * 1024


@dataclass
class AttachResult:
    attached: int = 0
    replaced: int = 0
    unchanged: int = 0
    dry_run: bool = False
    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "attached": self.attached,
            "replaced": self.replaced,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
            "files": self.files,
            "problems": [
                {"file": p.column, "code": p.code, "message": p.message} for p in self.problems
            ],
        }


def files_named(paths: Iterable[str | Path], suffixes: tuple[str, ...]) -> list[Path]:
    """The files named, folders expanded to their files ending in one of ``suffixes`` (not
    recursing), in name order."""
    out: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            out += sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
        else:
            out.append(path)
    return out


def pdf_files(paths: Iterable[str | Path]) -> list[Path]:
    """The PDF files named, folders expanded (their ``*.pdf``, not recursing), in name order."""
    return files_named(paths, (".pdf",))


def invoice_pdfs_attach(
    *, creditor: Creditor, paths: Iterable[str | Path], dry_run: bool = False, actor: str = "system"
) -> AttachResult:
    result = AttachResult(dry_run=dry_run)
    files = pdf_files(paths)
    if not files:
        result.problems.append(Problem("no_file", "no PDF file given (or the folder holds none)"))
        return result
    found: list[tuple[Path, bytes, str, str]] = []  # path, data, number, how it was read
    for path in files:
        name = str(path)
        if not path.is_file():
            result.problems.append(Problem("missing", "no such file", column=name))
            continue
        data = path.read_bytes()
        if len(data) > MAX_PDF_BYTES:
            result.problems.append(
                Problem("too_large", f"larger than {MAX_PDF_BYTES // 2**20} MB", column=name)
            )
            continue
        try:
            read = pdf_invoice(data)
        except NotAPdfError as exc:
            result.problems.append(Problem("not_pdf", str(exc), column=name))
            continue
        if read.number:
            found.append((path, data, read.number, "factur-x"))
        else:
            found.append((path, data, path.stem.strip(), "file name"))
    numbers = {number for _, _, number, _ in found}
    invoices = {i.number: i for i in Invoice.objects.filter(creditor=creditor, number__in=numbers)}
    claimed: dict[str, Path] = {}
    plan: list[tuple[Invoice, bytes, str, Path, str]] = []
    for path, data, number, how in found:
        invoice = invoices.get(number)
        if invoice is None:
            where = "its Factur-X data" if how == "factur-x" else "its file name"
            result.problems.append(
                Problem(
                    "unknown_invoice",
                    f"{creditor.name} has no invoice numbered {number!r} (read from {where}); "
                    "import the ledger first, or name the file after the invoice number",
                    column=str(path),
                )
            )
            continue
        if number in claimed:
            result.problems.append(
                Problem(
                    "duplicate_invoice",
                    f"invoice {number} is also claimed by {claimed[number]}",
                    column=str(path),
                )
            )
            continue
        claimed[number] = path
        digest = hashlib.sha256(data).hexdigest()
        plan.append((invoice, data, digest, path, how))
    if result.problems:
        return result
    events: list[EventInput] = []
    with transaction.atomic():
        for invoice, data, digest, path, how in plan:
            state, event = invoice_pdf_store(
                creditor=creditor,
                invoice=invoice,
                data=data,
                file_name=path.name,
                read_from=how,
                dry_run=dry_run,
                actor=actor,
                digest=digest,
            )
            result.files.append(
                {
                    "file": str(path),
                    "invoice": invoice.number,
                    "read_from": how,
                    "sha256": digest,
                    "state": state,
                }
            )
            setattr(result, state, getattr(result, state) + 1)
            if event is not None:
                events.append(event)
        if events:
            events_record(events=events)
    return result


def invoice_pdf_store(
    *,
    creditor: Creditor,
    invoice: Invoice,
    data: bytes,
    file_name: str,
    read_from: str,
    dry_run: bool = False,
    actor: str = "system",
    digest: str | None = None,
) -> tuple[str, EventInput | None]:
    """Store ``data`` once under its SHA-256 as ``invoice``'s PDF, in the caller's transaction.

    Returns the state (``attached``, ``replaced`` or ``unchanged``) and the audit event for the
    caller to record (None when nothing changed or on a dry run).
    """
    digest = digest or hashlib.sha256(data).hexdigest()
    stored = f"invoices/{digest}.pdf"
    previous = invoice.pdf.name or ""
    state = "unchanged" if previous == stored else ("replaced" if previous else "attached")
    if dry_run or state == "unchanged":
        return state, None
    if not default_storage.exists(stored):
        default_storage.save(stored, ContentFile(data))
    invoice.pdf.name = stored
    invoice.save(update_fields=["pdf"])
    return state, EventInput(
        "ledger.invoice_pdf_attached",
        "invoice",
        invoice.pk,
        creditor.pk,
        {
            "number": invoice.number,
            "file": file_name,
            "read_from": read_from,
            "sha256": digest,
            "previous": previous or None,
        },
        actor,
    )
