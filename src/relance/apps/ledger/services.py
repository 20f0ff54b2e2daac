"""Writing the ledger: importing exports, recording settlements.

The import is streamed and set-based: records are read in chunks, each chunk is looked up
with one query per table and written with bulk statements, all in one transaction. If the
reader reports any problem, writing stops, reading goes on (to list every problem) and the
transaction is rolled back: a file is taken whole or not at all.
"""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import itertools
import queue
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter
from typing import IO, Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import (
    bulk_insert,
    bulk_update,
    create_indexes,
    date_value,
    drop_secondary_indexes,
    foreign_key_checks_off,
    reserve_ids,
    sorting_in_runs,
    timestamp_value,
)
from relance.apps.ledger.models import Debtor, ImportBatch, Invoice, Payment
from relance.domain.ledger import DebtorRecord, InvoiceRecord, LedgerReader, ReadReport
from relance.domain.problems import Problem
from relance.errors import NotFoundError
from relance.formats.ledger import open_ledger

# Records per chunk. Each chunk costs a few round trips to the database (ids, COPY of debtors,
# invoices, settlements), which on a busy machine wait for the server's turn on a CPU; four
# chunks' worth of records (read ahead, queued, written) cost ~40 MB at this size.
CHUNK = 20_000
# Past this many new invoices in one import (from the first when the table was empty), when it
# brings most of the table's rows, an import drops the invoice and debtor indexes that enforce
# nothing and rebuilds them at the end: sorting keys once is cheaper than inserting them one by
# one into B-trees on random keys (and, on PostgreSQL, than writing each insertion to the WAL).
REBUILD_INDEXES_FROM = 50_000
ZERO = Decimal("0.00")
_DEBTOR_FIELDS = attrgetter(*(f.name for f in dataclasses.fields(DebtorRecord)))
_DEBTOR_COLUMNS = (
    "creditor_id",
    "account",
    "name",
    "kind",
    "siren",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "language",
    "is_do_not_contact",
    "is_legal_hold",
    "notes",
    "created_at",
    "updated_at",
)
_INVOICE_COLUMNS = (
    "creditor_id",
    "debtor_id",
    "number",
    "issue_date",
    "due_date",
    "currency",
    "total_amount",
    "open_amount",
    "status",
    "pdf",
    "import_batch_id",
    "source_line",
    "created_at",
    "updated_at",
)


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


MAX_NOTES = 1000


def _capped(notes: list[str]) -> list[str]:
    """Notes explain an import to a person; past a thousand, a count says the rest."""
    if len(notes) <= MAX_NOTES:
        return list(notes)
    return [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more notes of the same kinds."]


class _Rollback(Exception):
    """Raised inside the import transaction to undo everything it wrote."""


def _chunks(records: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(records)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


_DONE = object()
_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a large import runs.

    An import allocates millions of short-lived tuples and records (freed by reference
    counting) beside hundreds of thousands of long-lived ones (the debtors and invoice
    numbers it has seen), which every full collection walks again: a third of a
    million-row import's CPU time went to collections that found nothing. The records form
    no cycles. Imports running at once share the pause; the last one out restores it.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


class _ReadAhead:
    """Chunks of records read by a second thread while the caller writes the previous ones.

    Reading is Python work; writing is mostly the database's (PostgreSQL's server, SQLite's
    B-trees, both without the GIL): on two cores they overlap. ``prepare``, run on each chunk
    in the reader thread, takes more of the Python work off the writer. At most two chunks
    wait in the queue, so memory stays bounded. The reader thread touches no database. Use
    as a context manager: leaving it, on success or error, stops and joins the thread.
    """

    def __init__(
        self,
        records: Iterable[Any],
        size: int,
        prepare: Callable[[list[Any]], Any] = lambda chunk: chunk,
    ):
        self._records = records
        self._size = size
        self._prepare = prepare
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, name="ledger-read-ahead", daemon=True)

    def _put(self, item: Any) -> bool:
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)  # wakes up to notice a stop
                return True
            except queue.Full:
                continue
        return False

    def _read(self) -> None:
        try:
            for chunk in _chunks(self._records, self._size):
                if not self._put(self._prepare(chunk)):
                    return
        except BaseException as exc:  # handed to the writing thread, which raises it
            self._put(exc)
            return
        self._put(_DONE)

    def __enter__(self) -> Iterator[Any]:
        self._thread.start()
        return self._chunks()

    def _chunks(self) -> Iterator[Any]:
        while (item := self._queue.get()) is not _DONE:
            if isinstance(item, BaseException):
                raise item
            yield item

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@dataclass(slots=True)
class _Chunk:
    """A chunk of records, with what the read-ahead thread found out about its debtors."""

    records: list[InvoiceRecord]
    debtors: dict[str, DebtorRecord]  # by account, each as the chunk first shows it
    news: list[DebtorRecord]  # those the file shows for the first time, or changed since


class _DebtorsSeen:
    """Sorts a chunk's debtors out against what the file showed before.

    Runs in the read-ahead thread (see ``_ReadAhead``): comparing hundreds of thousands of
    debtors field by field is Python work that needs no database, and the writer's thread is
    the busier one. The records are the export's own, so the writer's decisions stay the same:
    a debtor is created the first time the file names it and refreshed when it changes.
    """

    def __init__(self) -> None:
        self._last: dict[str, DebtorRecord] = {}

    def __call__(self, records: list[InvoiceRecord]) -> _Chunk:
        debtors: dict[str, DebtorRecord] = {}
        want = debtors.setdefault
        for debtor in [r.debtor for r in records]:
            want(debtor.account, debtor)
        last = self._last
        # Records are shared between a debtor's rows, so many are the very one seen before;
        # the others are compared field by field in C (a dataclass's __eq__ is Python).
        fields_of = _DEBTOR_FIELDS
        news = [
            rec
            for account, rec in debtors.items()
            if (before := last.get(account)) is not rec
            and (before is None or fields_of(before) != fields_of(rec))
        ]
        for rec in news:
            last[rec.account] = rec
        return _Chunk(records, debtors, news)


class _LedgerWriter:
    """Applies chunks of records for one creditor within the caller's transaction."""

    def __init__(
        self,
        creditor: Creditor,
        batch: ImportBatch,
        as_of: date,
        result: ImportResult,
        scope: Sequence[InvoiceRecord] | None = None,
    ):
        """``scope``: every record the import will bring, when known before it starts (a few
        e-invoices): then only their own debtors and numbers are read, not the whole ledger."""
        self.creditor = creditor
        self.batch = batch
        self.as_of = as_of
        self.result = result
        self.seen: set[int] = set()
        self.events: list[EventInput] = []
        self._payments: dict[str, Payment] = {}
        self._debtors_created = 0
        # What the creditor already has, read once: a chunk then only queries rows that exist.
        debtors = Debtor.objects.filter(creditor=creditor)
        invoices = Invoice.objects.filter(creditor=creditor)
        if scope is not None:
            debtors = debtors.filter(account__in={r.debtor.account for r in scope})
            invoices = invoices.filter(number__in={r.number for r in scope})
        self._debtor_ids: dict[str, int] = dict(
            debtors.values_list("account", "id").iterator(chunk_size=10000)
        )
        self._known_numbers: set[str] = set(
            invoices.values_list("number", flat=True).iterator(chunk_size=10000)
        )
        # Invoices written by this import get larger ids: only those up to here may be settled.
        self._last_id_before: int | None = Invoice.objects.aggregate(top=Max("id"))["top"]
        first_import = not self._debtor_ids and not self._known_numbers
        if scope is not None and first_import:  # the records' own rows are absent; others?
            first_import = not Debtor.objects.filter(creditor=creditor).exists()
        if first_import:
            self._trust_own_references()
        self._day_values: dict[date, Any] = {}
        self._rebuild: list[str] = []  # statements rebuilding the indexes set aside
        # The created count at which to weigh setting indexes aside: at once when the table
        # is empty (rebuilding then costs only this import's own rows, whatever its size).
        self._weigh_indexes_at: float = 1 if self._last_id_before is None else REBUILD_INDEXES_FROM

    def _trust_own_references(self) -> None:
        """A creditor's first import references only rows it writes itself, and the creditor:
        once the creditor is locked against deletion, PostgreSQL's row-by-row foreign-key
        checks (see ``foreign_key_checks_off``) can only confirm what holds by construction.
        SQLite's are off for every import (see ``ledger_import``)."""
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 1 FROM creditors_creditor WHERE id = %s FOR KEY SHARE",
                [self.creditor.pk],
            )
            if cursor.fetchone() is not None:
                foreign_key_checks_off()

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

    def _debtors(self, chunk: _Chunk) -> dict[str, int]:
        """Debtor ids for the chunk's accounts, creating the new ones and refreshing changed ones."""
        wanted = chunk.debtors
        debtor_ids = self._debtor_ids
        missing = [a for a in wanted if a not in debtor_ids]
        if missing:
            now = timestamp_value(timezone.now())
            creditor_id = self.creditor.pk
            ids = reserve_ids("ledger_debtor", len(missing))
            bulk_insert(
                "ledger_debtor",
                ("id", *_DEBTOR_COLUMNS),
                [
                    (
                        pk,
                        creditor_id,
                        rec.account,
                        rec.name,
                        rec.kind,
                        rec.siren,
                        rec.email,
                        rec.phone,
                        rec.address,
                        rec.postal_code,
                        rec.city,
                        rec.country or "FR",
                        "fr",
                        False,
                        False,
                        "",
                        now,
                        now,
                    )
                    for pk, rec in zip(ids, [wanted[a] for a in missing], strict=True)
                ],
            )
            debtor_ids.update(zip(missing, ids, strict=True))
            self._debtors_created += len(missing)
        # Debtors new to the file were just created, unless the creditor had them already.
        created = set(missing)
        changed = [rec for rec in chunk.news if rec.account not in created]
        if changed:
            self._refresh_debtors(changed)
        return self._debtor_ids

    def _refresh_debtors(self, records: list[DebtorRecord]) -> None:
        # The export is the source of truth for identity and address; blank fields in the
        # export never erase what a collector typed in.
        fields = ("name", "siren", "email", "phone", "address", "postal_code", "city")
        debtors = {
            d.account: d
            for d in Debtor.objects.filter(
                creditor=self.creditor, account__in=[r.account for r in records]
            )
        }
        dirty = []
        for rec in records:
            d = debtors[rec.account]
            updates = {
                f: getattr(rec, f)
                for f in fields
                if getattr(rec, f) and getattr(d, f) != getattr(rec, f)
            }
            if updates:
                for f, value in updates.items():
                    setattr(d, f, value)
                dirty.append(d)
        if dirty:
            Debtor.objects.bulk_update(dirty, [*fields, "updated_at"])

    def apply(self, chunk: _Chunk) -> None:
        records = chunk.records
        debtor_ids = self._debtors(chunk)
        known = [r.number for r in records if r.number in self._known_numbers]
        existing = {
            row[1]: row
            for row in Invoice.objects.filter(creditor=self.creditor, number__in=known).values_list(
                "id",
                "number",
                "debtor_id",
                "issue_date",
                "due_date",
                "currency",
                "total_amount",
                "open_amount",
            )
        }
        now = timezone.now()
        stamp = timestamp_value(now)
        new_ids = iter(reserve_ids("ledger_invoice", len(records) - len(existing)))
        new_rows: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        allocations: list[tuple[int, str, Decimal]] = []
        # Locals for the loop that runs a million times: attribute lookups cost as much as
        # the rest of a new invoice's row.
        creditor_id, batch_id = self.creditor.pk, self.batch.pk
        open_status, paid_status = Invoice.Status.OPEN.value, Invoice.Status.PAID.value
        add_row, add_allocation = new_rows.append, allocations.append
        known_add = self._known_numbers.add
        find = existing.get
        # Dates as each database takes them (see date_value), converted once per distinct date.
        day_values = self._day_values
        day = day_values.get
        created = 0
        for r in records:
            debtor_id = debtor_ids[r.debtor.account]
            row = find(r.number) if existing else None
            if row is None:
                pk = next(new_ids)
                total, open_amount = r.total_amount, r.open_amount
                issue, due = r.issue_date, r.due_date
                add_row(
                    (
                        pk,
                        creditor_id,
                        debtor_id,
                        r.number,
                        day(issue) or day_values.setdefault(issue, date_value(issue)),
                        day(due) or day_values.setdefault(due, date_value(due)),
                        r.currency,
                        total,
                        open_amount,
                        open_status if open_amount else paid_status,
                        "",
                        batch_id,
                        r.line or None,
                        stamp,
                        stamp,
                    )
                )
                if open_amount != total:
                    add_allocation((pk, r.currency, total - open_amount))
                known_add(r.number)
                created += 1
                continue
            pk, _, old_debtor, old_issue, old_due, old_currency, old_total, old_open = row
            self.seen.add(pk)
            fields_changed = (
                old_due != r.due_date
                or old_issue != r.issue_date
                or old_total != r.total_amount
                or old_currency != r.currency
                or old_debtor != debtor_id
            )
            # A changed total moves the open amount with it; what the export says is still
            # open beyond that was settled (or reopened) and becomes an allocation.
            open_now = old_open + (r.total_amount - old_total)
            delta = open_now - r.open_amount
            if not fields_changed and not delta:
                self.result.unchanged += 1
                continue
            if delta:
                allocations.append((pk, r.currency, delta))
            if r.open_amount == 0 and old_open != 0:
                self.result.settled += 1
                kind = "ledger.invoice_settled"
            else:
                self.result.updated += 1
                kind = "ledger.invoice_updated"
            updates.append(
                (
                    debtor_id,
                    r.issue_date,
                    r.due_date,
                    r.currency,
                    r.total_amount,
                    r.open_amount,
                    Invoice.Status.OPEN if r.open_amount else Invoice.Status.PAID,
                    now,
                    pk,
                )
            )
            self.events.append(
                EventInput(
                    kind=kind,
                    subject_type="invoice",
                    subject_id=pk,
                    creditor_id=self.creditor.pk,
                    payload={
                        "number": r.number,
                        "batch": self.batch.pk,
                        "line": r.line,
                        "before": {
                            "debtor": old_debtor,
                            "issue_date": old_issue,
                            "due_date": old_due,
                            "currency": old_currency,
                            "total_amount": old_total,
                            "open_amount": old_open,
                        },
                        "after": {
                            "debtor": debtor_id,
                            "issue_date": r.issue_date,
                            "due_date": r.due_date,
                            "currency": r.currency,
                            "total_amount": r.total_amount,
                            "open_amount": r.open_amount,
                        },
                    },
                )
            )
        self.result.created += created
        if new_rows:
            if self.result.created >= self._weigh_indexes_at:
                self._set_indexes_aside()
            bulk_insert("ledger_invoice", ("id", *_INVOICE_COLUMNS), new_rows)
        self._allocate(allocations)
        bulk_update(
            "ledger_invoice",
            "id",
            [
                "debtor_id",
                "issue_date",
                "due_date",
                "currency",
                "total_amount",
                "open_amount",
                "status",
                "updated_at",
            ],
            updates,
        )

    def _set_indexes_aside(self) -> None:
        """Drop the invoice and debtor indexes that enforce nothing when this import brings
        most of the table's rows (see REBUILD_INDEXES_FROM); ``finish`` rebuilds them.

        PostgreSQL locks a table against its readers from DROP INDEX to commit, so there the
        import must bring nearly all of the table: a new install's first ledger.
        """
        self._weigh_indexes_at = float("inf")
        # How many rows the table may already hold, per row this import adds.
        others_per_row = 4.0 if connection.vendor == "sqlite" else 0.25
        created = self.result.created
        if Invoice.objects.count() - created > created * others_per_row:
            self._weigh_indexes_at = created * 2  # a small part of a large table, so far
            return
        self._rebuild = drop_secondary_indexes("ledger_invoice")
        debtors = self._debtors_created
        if Debtor.objects.count() - debtors <= debtors * others_per_row:
            self._rebuild += drop_secondary_indexes("ledger_debtor")

    def _allocate(self, allocations: list[tuple[int, str, Decimal]]) -> None:
        """Record the settlements the export reports; invoices already carry their new open amount."""
        if not allocations:
            return
        now = timestamp_value(timezone.now())
        payments: dict[str, int] = {}
        rows: list[tuple[int, int, Decimal, str]] = []
        add = rows.append
        for invoice_id, currency, amount in allocations:
            payment_id = payments.get(currency)
            if payment_id is None:
                payment_id = payments[currency] = self._settlement_payment(currency).pk
            add((payment_id, invoice_id, amount, now))
        for currency in payments:
            self._payments[currency].amount += sum(
                [amount for _, kind, amount in allocations if kind == currency], ZERO
            )
        bulk_insert("ledger_allocation", ("payment_id", "invoice_id", "amount", "created_at"), rows)

    def settle_missing(self, chunk_size: int) -> None:
        """Invoices still open here but gone from the export's open list have been settled,
        ``chunk_size`` at a time."""
        if self._last_id_before is None:
            return  # the table was empty: every invoice is this import's
        gone = [
            row
            for row in Invoice.objects.filter(
                creditor=self.creditor, status=Invoice.Status.OPEN, id__lte=self._last_id_before
            )
            .values_list("id", "number", "currency", "open_amount")
            .iterator(chunk_size=5000)
            if row[0] not in self.seen
        ]
        now = timezone.now()
        for start in range(0, len(gone), chunk_size):
            chunk = gone[start : start + chunk_size]
            self._allocate([(pk, currency, open_amount) for pk, _, currency, open_amount in chunk])
            bulk_update(
                "ledger_invoice",
                "id",
                ["open_amount", "status", "updated_at"],
                [(ZERO, Invoice.Status.PAID, now, pk) for pk, *_ in chunk],
            )
            self.events.extend(
                EventInput(
                    kind="ledger.invoice_settled",
                    subject_type="invoice",
                    subject_id=pk,
                    creditor_id=self.creditor.pk,
                    payload={
                        "number": number,
                        "batch": self.batch.pk,
                        "reason": "no longer in the export's open items",
                        "open_amount_before": open_amount,
                    },
                )
                for pk, number, _, open_amount in chunk
            )
            self.result.settled += len(chunk)

    def finish(self) -> None:
        if self._rebuild:
            create_indexes(self._rebuild)
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

    reader = open_ledger(
        _Hashing(stream),  # type: ignore[arg-type]
        format=format,  # type: ignore[arg-type]  # checked by open_ledger, which names the choices
        payment_terms_days=creditor.payment_terms_days,
    )
    return _records_import(
        creditor=creditor,
        reader=reader,
        filename=filename,
        sha256=digest.hexdigest,
        dry_run=dry_run,
        partial=partial,
        day=as_of or timezone.localdate(),
        actor=actor,
    )


class _RecordsReader:
    """Records already read, presented as a ``LedgerReader``."""

    def __init__(self, records: Iterable[InvoiceRecord], report: ReadReport):
        self._records = records
        self.report = report

    def __iter__(self) -> Iterator[InvoiceRecord]:
        return iter(self._records)


def ledger_records_import(
    *,
    creditor: Creditor,
    records: Iterable[InvoiceRecord],
    report: ReadReport,
    filename: str,
    sha256: str,
    dry_run: bool = False,
    partial: bool = False,
    as_of: date | None = None,
    actor: str = "system",
    on_written: Callable[[ImportBatch], list[EventInput]] | None = None,
) -> ImportResult:
    """Import records another reader made (e-invoices, say) exactly as ``ledger_import`` does:
    one batch, all or nothing, the problems already in ``report`` refusing the lot.

    ``on_written``, when given, runs in the import's transaction once the records are written
    (dry runs included, before their rollback); the audit events it returns are recorded with
    the import's, and an exception it raises undoes the whole import.
    """
    records = list(records)
    return _records_import(
        creditor=creditor,
        reader=_RecordsReader(records, report),
        scope=records,
        filename=filename,
        sha256=lambda: sha256,
        dry_run=dry_run,
        partial=partial,
        day=as_of or timezone.localdate(),
        actor=actor,
        on_written=on_written,
    )


def _records_import(
    *,
    creditor: Creditor,
    reader: LedgerReader,
    filename: str,
    sha256: Callable[[], str],
    dry_run: bool,
    partial: bool,
    day: date,
    actor: str,
    on_written: Callable[[ImportBatch], list[EventInput]] | None = None,
    scope: Sequence[InvoiceRecord] | None = None,
) -> ImportResult:
    result = ImportResult(format=reader.report.format, dry_run=dry_run)
    try:
        # Every id an import writes is one it created or read in its own transaction, or the
        # creditor's, checked below; the write lock (SQLite takes it at BEGIN IMMEDIATE) keeps
        # them all until commit. SQLite's own foreign-key checks, a parent lookup for each of
        # an invoice's three references, took half the time its inserts cost: an import turns
        # them off. SQLite can only do so outside a transaction (in a caller's, they stay on);
        # PostgreSQL keeps its checks (constraint_checks_disabled does nothing there).
        with (
            _cyclic_gc_paused(),
            connection.constraint_checks_disabled(),
            sorting_in_runs(),
            transaction.atomic(),
        ):
            if not Creditor.objects.filter(pk=creditor.pk).exists():
                raise NotFoundError(f"creditor {creditor.pk} no longer exists")
            batch = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.LEDGER,
                format=reader.report.format,
                filename=filename,
                sha256="",
                status=ImportBatch.Status.COMMITTED,
            )
            writer = _LedgerWriter(creditor, batch, day, result, scope)
            with _ReadAhead(reader, CHUNK, _DebtorsSeen()) as chunks:
                for chunk in chunks:
                    if reader.report.problems:
                        continue  # keep reading to list every problem; nothing more is written
                    writer.apply(chunk)
            result.problems = list(reader.report.problems)
            result.notes = _capped(reader.report.notes)
            if result.problems:
                raise _Rollback
            if not partial:
                writer.settle_missing(CHUNK)
            writer.finish()
            extra_events = on_written(batch) if on_written is not None else []
            batch.sha256 = sha256()
            batch.created_count = result.created
            batch.updated_count = result.updated
            batch.unchanged_count = result.unchanged
            batch.settled_count = result.settled
            batch.notes = result.notes
            batch.save()
            events_record(
                events=[
                    *writer.events,
                    *extra_events,
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
            sha256=sha256(),
            status=ImportBatch.Status.REFUSED,
            problems=[p.as_dict() for p in result.problems],
            notes=result.notes,
        )
        result.batch_id = refused.pk
    if result.problems:
        result.created = result.updated = result.unchanged = result.settled = 0
    return result
