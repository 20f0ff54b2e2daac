"""Writing the ledger: importing exports, recording settlements.

The import is streamed and set-based: records are read in chunks, each chunk is looked up
with one query per table and written with bulk statements, all in one transaction. If the
reader reports any problem, writing stops, reading goes on (to list every problem) and the
transaction is rolled back: a file is taken whole or not at all.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.domain.ledger import DebtorRecord, InvoiceRecord
from relance.domain.problems import Problem
from relance.formats.ledger import open_ledger

CHUNK = 5000
ZERO = Decimal("0.00")


@dataclass
class ImportResult:
    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    settled: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "settled": self.settled,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
            "batch": self.batch_id,
            "dry_run": self.dry_run,
            "committed": self.ok and not self.dry_run,
        }


class _Rollback(Exception):
    """Raised inside the import transaction to undo everything it wrote."""


def _chunks(records: Iterable[InvoiceRecord], size: int) -> Iterator[list[InvoiceRecord]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


class _LedgerWriter:
    """Applies chunks of records for one creditor within the caller's transaction."""

    def __init__(self, creditor: Creditor, batch: ImportBatch, as_of: date, result: ImportResult):
        self.creditor = creditor
        self.batch = batch
        self.as_of = as_of
        self.result = result
        self.seen: set[int] = set()
        self.events: list[EventInput] = []
        self._payments: dict[str, Payment] = {}

    def _settlement_payment(self, currency: str) -> Payment:
        # One payment per batch and currency carries every settlement the export reports, so
        # open amounts still follow from allocations and the batch explains each of them.
        payment = self._payments.get(currency)
        if payment is None:
            payment = Payment.objects.create(
                creditor=self.creditor,
                value_date=self.as_of,
                amount=ZERO,
                currency=currency,
                reference=f"ledger import #{self.batch.pk} ({self.batch.filename})",
                origin=Payment.Origin.LEDGER,
                import_batch=self.batch,
            )
            self._payments[currency] = payment
        return payment

    def _debtors(self, records: list[InvoiceRecord]) -> dict[str, Debtor]:
        wanted: dict[str, DebtorRecord] = {}
        for r in records:
            wanted.setdefault(r.debtor.account, r.debtor)
        existing = {
            d.account: d
            for d in Debtor.objects.filter(creditor=self.creditor, account__in=list(wanted))
        }
        new = [
            Debtor(
                creditor=self.creditor,
                account=rec.account,
                name=rec.name,
                kind=rec.kind,
                siren=rec.siren,
                email=rec.email,
                phone=rec.phone,
                address=rec.address,
                postal_code=rec.postal_code,
                city=rec.city,
                country=rec.country or "FR",
            )
            for account, rec in wanted.items()
            if account not in existing
        ]
        if new:
            Debtor.objects.bulk_create(new, batch_size=2000)
            existing.update(
                (d.account, d)
                for d in Debtor.objects.filter(
                    creditor=self.creditor, account__in=[d.account for d in new]
                )
            )
        changed = []
        for account, rec in wanted.items():
            d = existing[account]
            # The export is the source of truth for identity and address; blank fields in the
            # export never erase what a collector typed in.
            updates = {
                name: value
                for name, value in (
                    ("name", rec.name), ("siren", rec.siren), ("email", rec.email),
                    ("phone", rec.phone), ("address", rec.address),
                    ("postal_code", rec.postal_code), ("city", rec.city),
                )
                if value and getattr(d, name) != value
            }
            if updates:
                for name, value in updates.items():
                    setattr(d, name, value)
                changed.append(d)
        if changed:
            Debtor.objects.bulk_update(
                changed, ["name", "siren", "email", "phone", "address", "postal_code", "city"]
            )
        return existing

    def apply(self, records: list[InvoiceRecord]) -> None:
        debtors = self._debtors(records)
        existing = {
            inv.number: inv
            for inv in Invoice.objects.filter(
                creditor=self.creditor, number__in=[r.number for r in records]
            ).only(
                "id", "number", "debtor_id", "issue_date", "due_date", "currency",
                "total_amount", "open_amount", "status",
            )
        }
        to_create: list[Invoice] = []
        to_update: list[Invoice] = []
        allocations: list[tuple[Invoice, Decimal]] = []
        for r in records:
            inv = existing.get(r.number)
            if inv is None:
                inv = Invoice(
                    creditor=self.creditor,
                    debtor=debtors[r.debtor.account],
                    number=r.number,
                    issue_date=r.issue_date,
                    due_date=r.due_date,
                    currency=r.currency,
                    total_amount=r.total_amount,
                    open_amount=r.open_amount,
                    status=Invoice.Status.OPEN if r.open_amount else Invoice.Status.PAID,
                    import_batch=self.batch,
                    source_line=r.line,
                )
                to_create.append(inv)
                if r.open_amount != r.total_amount:
                    allocations.append((inv, r.total_amount - r.open_amount))
                self.result.created += 1
                continue
            self.seen.add(inv.pk)
            before = {
                "due_date": inv.due_date, "issue_date": inv.issue_date,
                "total_amount": inv.total_amount, "currency": inv.currency,
                "open_amount": inv.open_amount, "debtor": inv.debtor_id,
            }
            fields_changed = (
                inv.due_date != r.due_date
                or inv.issue_date != r.issue_date
                or inv.total_amount != r.total_amount
                or inv.currency != r.currency
                or inv.debtor_id != debtors[r.debtor.account].pk
            )
            if fields_changed:
                inv.due_date, inv.issue_date = r.due_date, r.issue_date
                inv.currency = r.currency
                inv.debtor_id = debtors[r.debtor.account].pk
                inv.open_amount += r.total_amount - inv.total_amount
                inv.total_amount = r.total_amount
            delta = inv.open_amount - r.open_amount
            if delta:
                allocations.append((inv, delta))
                inv.open_amount = r.open_amount
            if not fields_changed and not delta:
                self.result.unchanged += 1
                continue
            if r.open_amount == 0 and before["open_amount"] != 0:
                self.result.settled += 1
                kind = "ledger.invoice_settled"
            else:
                self.result.updated += 1
                kind = "ledger.invoice_updated"
            to_update.append(inv)
            self.events.append(
                EventInput(
                    kind=kind,
                    subject_type="invoice",
                    subject_id=inv.pk,
                    creditor_id=self.creditor.pk,
                    payload={
                        "number": inv.number,
                        "batch": self.batch.pk,
                        "line": r.line,
                        "before": before,
                        "after": {
                            "due_date": r.due_date, "issue_date": r.issue_date,
                            "total_amount": r.total_amount, "currency": r.currency,
                            "open_amount": r.open_amount,
                        },
                    },
                )
            )
        if to_create:
            Invoice.objects.bulk_create(to_create, batch_size=2000)
            if any(inv.pk is None for inv in to_create):  # SQLite before RETURNING support
                ids = dict(
                    Invoice.objects.filter(
                        creditor=self.creditor, number__in=[i.number for i in to_create]
                    ).values_list("number", "id")
                )
                for inv in to_create:
                    inv.pk = ids[inv.number]
            self.seen.update(inv.pk for inv in to_create)
        self._allocate(allocations)
        for inv in to_update:
            inv.status = Invoice.Status.OPEN if inv.open_amount else Invoice.Status.PAID
        if to_update:
            Invoice.objects.bulk_update(
                to_update,
                ["due_date", "issue_date", "currency", "debtor", "total_amount", "open_amount", "status"],
                batch_size=2000,
            )

    def _allocate(self, allocations: list[tuple[Invoice, Decimal]]) -> None:
        """Record the settlements the export reports; invoices already carry their new open amount."""
        rows = []
        for inv, amount in allocations:
            payment = self._settlement_payment(inv.currency)
            payment.amount += amount
            rows.append(Allocation(payment=payment, invoice_id=inv.pk, amount=amount))
        if rows:
            Allocation.objects.bulk_create(rows, batch_size=2000)

    def settle_missing(self) -> None:
        """Invoices still open here but gone from the export's open list have been settled."""
        open_ids = list(
            Invoice.objects.filter(creditor=self.creditor, status=Invoice.Status.OPEN)
            .exclude(open_amount=0)
            .values_list("id", flat=True)
        )
        gone = [pk for pk in open_ids if pk not in self.seen]
        for chunk_start in range(0, len(gone), CHUNK):
            invoices = list(
                Invoice.objects.filter(pk__in=gone[chunk_start : chunk_start + CHUNK]).only(
                    "id", "number", "currency", "open_amount", "status", "import_batch_id", "source_line"
                )
            )
            rows = []
            for inv in invoices:
                payment = self._settlement_payment(inv.currency)
                payment.amount += inv.open_amount
                rows.append(Allocation(payment=payment, invoice_id=inv.pk, amount=inv.open_amount))
                self.events.append(
                    EventInput(
                        kind="ledger.invoice_settled",
                        subject_type="invoice",
                        subject_id=inv.pk,
                        creditor_id=self.creditor.pk,
                        payload={
                            "number": inv.number,
                            "batch": self.batch.pk,
                            "reason": "no longer in the export's open items",
                            "open_amount_before": inv.open_amount,
                        },
                    )
                )
                inv.open_amount = ZERO
                inv.status = Invoice.Status.PAID
            Allocation.objects.bulk_create(rows, batch_size=2000)
            Invoice.objects.bulk_update(invoices, ["open_amount", "status"], batch_size=2000)
            self.result.settled += len(invoices)

    def finish(self) -> None:
        for payment in self._payments.values():
            payment.save(update_fields=["amount"])


def ledger_import(
    *,
    creditor: Creditor,
    stream: IO[bytes],
    filename: str,
    format: str = "auto",
    dry_run: bool = False,
    partial: bool = False,
    as_of: date | None = None,
    actor: str = "system",
) -> ImportResult:
    """Import a ledger export (CSV or FEC) for ``creditor``.

    The export is taken as the complete list of the creditor's invoices: invoices open here
    and absent from it are marked settled, unless ``partial`` says the file is only a part.
    """
    digest = hashlib.sha256()

    class _Hashing:
        """Hash the bytes as the reader consumes them, so the file is read once."""

        def __init__(self, raw: IO[bytes]):
            self.raw = raw

        def read(self, n: int = -1) -> bytes:
            data = self.raw.read(n)
            digest.update(data)
            return data

        def readline(self, n: int = -1) -> bytes:
            data = self.raw.readline(n)
            digest.update(data)
            return data

        def __iter__(self) -> Iterator[bytes]:
            for line in self.raw:
                digest.update(line)
                yield line

    day = as_of or timezone.localdate()
    reader = open_ledger(
        _Hashing(stream),  # type: ignore[arg-type]
        format=format,
        payment_terms_days=creditor.payment_terms_days,
    )
    result = ImportResult(format=reader.report.format, dry_run=dry_run)
    try:
        with transaction.atomic():
            batch = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.LEDGER,
                format=reader.report.format,
                filename=filename,
                sha256="",
                status=ImportBatch.Status.COMMITTED,
            )
            writer = _LedgerWriter(creditor, batch, day, result)
            for chunk in _chunks(reader, CHUNK):
                if reader.report.problems:
                    continue  # keep reading to list every problem; nothing more is written
                writer.apply(chunk)
            result.problems = list(reader.report.problems)
            result.notes = list(reader.report.notes)
            if result.problems:
                raise _Rollback
            if not partial:
                writer.settle_missing()
            writer.finish()
            batch.sha256 = digest.hexdigest()
            batch.created_count = result.created
            batch.updated_count = result.updated
            batch.unchanged_count = result.unchanged
            batch.settled_count = result.settled
            batch.notes = result.notes
            batch.save()
            events_record(
                events=[
                    *writer.events,
                    EventInput(
                        kind="ledger.imported",
                        subject_type="import_batch",
                        subject_id=batch.pk,
                        creditor_id=creditor.pk,
                        actor=actor,
                        payload={
                            "filename": filename,
                            "sha256": batch.sha256,
                            "format": result.format,
                            "created": result.created,
                            "updated": result.updated,
                            "unchanged": result.unchanged,
                            "settled": result.settled,
                        },
                    ),
                ]
            )
            result.batch_id = batch.pk
            if dry_run:
                result.batch_id = None
                raise _Rollback
    except _Rollback:
        pass
    result.format = reader.report.format
    if result.problems and not dry_run:
        refused = ImportBatch.objects.create(
            creditor=creditor,
            kind=ImportBatch.Kind.LEDGER,
            format=reader.report.format,
            filename=filename,
            sha256=digest.hexdigest(),
            status=ImportBatch.Status.REFUSED,
            problems=[p.as_dict() for p in result.problems],
            notes=result.notes,
        )
        result.batch_id = refused.pk
    if result.problems:
        result.created = result.updated = result.unchanged = result.settled = 0
    return result
