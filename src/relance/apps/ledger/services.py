"""Writing the ledger: importing exports, recording settlements.

The import is streamed and set-based: records are read in chunks, each chunk is looked up
with one query per table and written with bulk statements, all in one transaction. If the
reader reports any problem, writing stops, reading goes on (to list every problem) and the
transaction is rolled back: a file is taken whole or not at all.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import date
from typing import IO

from django.db import connection, transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import (
    sorting_in_runs,
)
from relance.apps.ledger.hooks import contacts_read_notify
from relance.apps.ledger.models import ImportBatch
from relance.apps.ledger.results import FULL_OR_PARTIAL, ImportResult
from relance.apps.ledger.streaming import DebtorsSeen, ReadAhead, cyclic_gc_paused
from relance.apps.ledger.writer import LedgerWriter
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.ledger import InvoiceRecord, LedgerReader, ReadReport
from relance.formats.ledger import open_ledger

# Records per chunk. Each chunk costs a few round trips to the database (ids, COPY of debtors,
# invoices, settlements), which on a busy machine wait for the server's turn on a CPU; four
# chunks' worth of records (read ahead, queued, written) cost ~40 MB at this size.
CHUNK = 20_000


MAX_NOTES = 1000


def _capped(notes: list[str]) -> list[str]:
    """Notes explain an import to a person; past a thousand, a count says the rest."""
    if len(notes) <= MAX_NOTES:
        return list(notes)
    return [*notes[:MAX_NOTES], f"... and {len(notes) - MAX_NOTES} more notes of the same kinds."]


class _Rollback(Exception):
    """Raised inside the import transaction to undo everything it wrote."""


def ledger_import(
    *,
    creditor: Creditor,
    stream: IO[bytes],
    filename: str,
    format: str = "auto",
    dry_run: bool = False,
    partial: bool = False,
    full: bool = False,
    as_of: date | None = None,
    actor: str = "system",
    mapping: dict[str, str] | None = None,
) -> ImportResult:
    """Import a ledger export (CSV or FEC) for ``creditor``; ``mapping`` names the fields of
    CSV columns the reader does not know (``open_ledger``), over those the creditor's
    ``ledger_columns`` remember.

    ``full`` says the export is the complete list of the creditor's open invoices: invoices
    open here and absent from it are marked settled. ``partial`` says it is only a part: none
    is. Saying neither, the import settles them only when they are few (``ImportResult.asks``);
    else it writes nothing and sets ``result.question``, for the user to say which it is.
    """
    if full and partial:
        raise InvalidInputError("a file is either the full open list or a partial one, not both")
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
        mapping=mapping,
        # The columns the user mapped before (on the Imports page, or with --map).
        known=creditor.ledger_columns,
    )
    return _records_import(
        creditor=creditor,
        reader=reader,
        filename=filename,
        sha256=digest.hexdigest,
        dry_run=dry_run,
        partial=partial,
        full=full,
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
    full: bool = False,
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
            cyclic_gc_paused(),
            connection.constraint_checks_disabled(),
            sorting_in_runs(),
            transaction.atomic(),
        ):
            # The creditor's lock, as the daily pass takes it (``collection_run``): two imports
            # of one creditor, or an import and its pass, run one after the other, the second
            # reading what the first wrote (two full files at once settled nothing either
            # would have). Another creditor's import or pass never waits on it.
            if not Creditor.objects.select_for_update().filter(pk=creditor.pk).values_list(
                "pk", flat=True
            ):
                raise NotFoundError(f"creditor {creditor.pk} no longer exists")
            batch = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.LEDGER,
                format=reader.report.format,
                filename=filename,
                sha256="",
                status=ImportBatch.Status.COMMITTED,
            )
            writer = LedgerWriter(creditor, batch, day, result, scope)
            with ReadAhead(reader, CHUNK, DebtorsSeen()) as chunks:
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
                if not full and result.asks():
                    # Many invoices would be settled by their absence alone: nothing is
                    # written until the user says whether the file is the whole open list.
                    result.question = FULL_OR_PARTIAL
                    if not dry_run:
                        raise _Rollback
            writer.finish()
            # What was done before Relance, as the file says (collection declares it).
            result.problems = contacts_read_notify(
                creditor=creditor, contacts=reader.report.contacts, today=day, actor=actor
            )
            if result.problems:
                raise _Rollback
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
        result.settling, result.settling_counts, result.settling_sums = [], {}, {}
        result.conflicts = []
    return result
