"""Writing a chunk of ledger records for one creditor inside the import's transaction: invoices
inserted or updated with bulk statements, the indexes set aside for a large import, and the
invoices the export left out settled. Debtors are written by ``debtor_writing``, settlements
by ``settlement``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Max, Q, Sum
from django.utils import timezone

from relance.apps.audit.services import EventInput
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.bulk import (
    bulk_insert,
    bulk_update,
    create_indexes,
    date_value,
    drop_secondary_indexes,
    foreign_key_checks_off,
    reserve_ids,
    timestamp_value,
)
from relance.apps.ledger.credits import CreditNotes, credited_amounts
from relance.apps.ledger.debtor_writing import DebtorWriter
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.apps.ledger.results import ImportResult
from relance.apps.ledger.settlement import ZERO, Settlements
from relance.apps.ledger.streaming import Chunk
from relance.domain.ledger import InvoiceRecord

# The origins of payments that are money received, never undone by a ledger export.
MONEY_ORIGINS = (Payment.Origin.BANK, Payment.Origin.MANUAL)
CENT = Decimal("0.01")

# Past this many new invoices in one import (from the first when the table was empty), when it
# brings most of the table's rows, an SQLite import drops the invoice and debtor indexes that
# enforce nothing and rebuilds them at the end: sorting keys once is cheaper than inserting them
# one by one into B-trees on random keys. PostgreSQL keeps them (``_set_indexes_aside``).
REBUILD_INDEXES_FROM = 50_000


_INVOICE_COLUMNS = (
    "creditor_id",
    "debtor_id",
    "number",
    "kind",
    "credit_note_for",
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


class LedgerWriter:
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
        # What the creditor already has, read once: a chunk then only queries rows that exist.
        debtors = Debtor.objects.filter(creditor=creditor)
        invoices = Invoice.objects.filter(creditor=creditor)
        if scope is not None:
            debtors = debtors.filter(account__in={r.debtor.account for r in scope})
            invoices = invoices.filter(number__in={r.number for r in scope})
        debtor_ids: dict[str, int] = dict(
            debtors.values_list("account", "id").iterator(chunk_size=10000)
        )
        # Kind and number identify a document: a credit note may bear its invoice's number.
        self._known_numbers: set[tuple[str, str]] = set(
            invoices.values_list("kind", "number").iterator(chunk_size=10000)
        )
        # Credit notes Relance applied (see ``credits``) sit on top of what the export says;
        # only a creditor who has some pays for reading them with each chunk.
        self._credits = CreditNotes(creditor, batch, result)
        self._has_credits = Payment.objects.filter(
            creditor=creditor, origin=Payment.Origin.CREDIT
        ).exists()
        # Money that arrived (a bank match, a payment recorded by hand) is a fact no export
        # undoes: only a creditor who has some pays for looking them up with each chunk.
        self._has_money = Payment.objects.filter(
            creditor=creditor, origin__in=MONEY_ORIGINS
        ).exists()
        # What is open before the import, by currency: the share an import's settlements weigh.
        result.open_before = {
            currency: total.quantize(CENT)
            for currency, total in Invoice.objects.filter(
                creditor=creditor, status=Invoice.Status.OPEN, open_amount__gt=0
            )
            .values_list("currency")
            .annotate(total=Sum("open_amount"))
            .order_by()
        }
        # Invoices written by this import get larger ids: only those up to here may be settled.
        self._last_id_before: int | None = Invoice.objects.aggregate(top=Max("id"))["top"]
        self._debtors = DebtorWriter(creditor, debtor_ids)
        self._settlements = Settlements(creditor, batch, as_of)
        first_import = not debtor_ids and not self._known_numbers
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

    def apply(self, chunk: Chunk) -> None:
        records = chunk.records
        debtor_ids = self._debtors.for_chunk(chunk)
        known_keys = self._known_numbers
        wanted = {(r.kind, r.number) for r in records} & known_keys
        known = [number for _, number in wanted]
        existing: dict[tuple[str, Any], tuple[Any, ...]] = {
            (kind, row[1]): (*row, reference)
            for *row, kind, reference in Invoice.objects.filter(
                creditor=self.creditor, number__in=known
            ).values_list(
                "id",
                "number",
                "debtor_id",
                "issue_date",
                "due_date",
                "currency",
                "total_amount",
                "open_amount",
                "kind",
                "credit_note_for",
            )
            if (kind, row[1]) in wanted
        }
        credited = (
            credited_amounts([found[0] for found in existing.values()])
            if self._has_credits
            else {}
        )
        received = (
            money_received([found[0] for found in existing.values()])
            if self._has_money and existing
            else {}
        )
        now = timezone.now()
        stamp = timestamp_value(now)
        new_ids = iter(reserve_ids("ledger_invoice", len(records) - len(existing)))
        new_rows: list[tuple[Any, ...]] = []
        updates: list[tuple[Any, ...]] = []
        allocations: list[tuple[int, str, Decimal, date | None]] = []
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
        credit_notes = self._credits.seen
        for r in records:
            debtor_id = debtor_ids[r.debtor.account]
            if r.total_amount < 0:
                credit_notes.add(debtor_id)
            row = find((r.kind, r.number)) if existing else None
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
                        r.kind,
                        r.credit_note_for,
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
                    add_allocation((pk, r.currency, total - open_amount, r.paid_date))
                known_add((r.kind, r.number))
                created += 1
                continue
            row, old_reference = row[:8], row[8]
            pk, _, old_debtor, old_issue, old_due, old_currency, old_total, old_open = row
            # What the export said last time: the open amount before Relance's credit netting.
            applied = credited.get(pk, ZERO)
            if applied:
                credit_notes.add(debtor_id)
                old_open += applied
            self.seen.add(pk)
            fields_changed = (
                old_due != r.due_date
                or old_issue != r.issue_date
                or old_total != r.total_amount
                or old_currency != r.currency
                or old_debtor != debtor_id
                or old_reference != r.credit_note_for
            )
            # A changed total moves the open amount with it; what the export says is still
            # open beyond that was settled (or reopened) and becomes an allocation.
            open_now = old_open + (r.total_amount - old_total)
            delta = open_now - r.open_amount
            file_open = r.open_amount
            if delta < 0 and received.get(pk, ZERO) > 0:
                # The export would reopen what money that arrived settled: keep the payment,
                # leave the open amount as it is, and let a person settle the disagreement.
                self._conflict(pk, r, debtor_id, open_now - applied, received[pk])
                file_open, delta = open_now, ZERO
            if not fields_changed and not delta:
                self.result.unchanged += 1
                continue
            if delta:
                # A settlement the export dates; a reopening (negative) is the import's own.
                allocations.append((pk, r.currency, delta, r.paid_date if delta > 0 else None))
            if file_open == 0 and old_open != 0:
                self.result.settled += 1
                self.result.settle(
                    {
                        "number": r.number,
                        "debtor": r.debtor.account,
                        "open_amount": old_open,
                        "currency": r.currency,
                        "why": "paid",
                    }
                )
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
                    file_open - applied,
                    Invoice.Status.OPEN if file_open - applied else Invoice.Status.PAID,
                    r.credit_note_for,
                    now,
                    pk,
                )
            )
            self.events.append(
                invoice_change_event(
                    kind=kind, before=row, record=r, debtor_id=debtor_id, batch=self.batch
                )
            )
        self.result.created += created
        if new_rows:
            if self.result.created >= self._weigh_indexes_at:
                self._set_indexes_aside()
            bulk_insert("ledger_invoice", ("id", *_INVOICE_COLUMNS), new_rows)
        self._settlements.allocate(allocations)
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
                "credit_note_for",
                "updated_at",
            ],
            updates,
        )

    def _conflict(
        self, pk: int, r: InvoiceRecord, debtor_id: int, kept: Decimal, received: Decimal
    ) -> None:
        """Report an invoice the export says is more open than money received left it."""
        row = {
            "number": r.number,
            "debtor": r.debtor.account,
            "open_amount": kept,
            "file_open_amount": r.open_amount,
            "currency": r.currency,
            "line": r.line,
        }
        self.result.conflicts.append(row)
        self.events.append(
            EventInput(
                kind="ledger.conflict",
                subject_type="invoice",
                subject_id=pk,
                creditor_id=self.creditor.pk,
                payload={
                    "number": r.number,
                    "debtor": debtor_id,
                    "batch": self.batch.pk,
                    "line": r.line,
                    "open_amount": kept,
                    "file_open_amount": r.open_amount,
                    "received_amount": received,
                    "currency": r.currency,
                },
            )
        )

    def _set_indexes_aside(self) -> None:
        """Drop the invoice and debtor indexes that enforce nothing when this import brings
        most of the table's rows (see REBUILD_INDEXES_FROM); ``finish`` rebuilds them.

        Only on SQLite, where the import holds the database's one write lock anyway and
        readers keep their snapshot. PostgreSQL takes an ACCESS EXCLUSIVE lock on the table
        from DROP INDEX to commit: every other creditor's reads and writes of invoices would
        wait for this import (another creditor's aging went from 1.4 s to 7.2 s), and two
        first imports at once deadlocked. There the indexes stay.
        """
        self._weigh_indexes_at = float("inf")
        if connection.vendor != "sqlite":
            return
        # How many rows the table may already hold, per row this import adds.
        others_per_row = 4.0
        created = self.result.created
        if Invoice.objects.count() - created > created * others_per_row:
            self._weigh_indexes_at = created * 2  # a small part of a large table, so far
            return
        self._rebuild = drop_secondary_indexes("ledger_invoice")
        debtors = self._debtors.created
        if Debtor.objects.count() - debtors <= debtors * others_per_row:
            self._rebuild += drop_secondary_indexes("ledger_debtor")

    def settle_missing(self, chunk_size: int) -> None:
        """Invoices still open here but gone from the export's open list have been settled,
        ``chunk_size`` at a time."""
        if self._last_id_before is None:
            return  # the table was empty: every invoice is this import's
        # Open here, or open in the last export though netted to zero here by a credit note.
        still_open = Q(status=Invoice.Status.OPEN)
        if self._has_credits:
            still_open |= Q(
                pk__in=Allocation.objects.filter(
                    payment__origin=Payment.Origin.CREDIT, payment__creditor=self.creditor
                ).values("invoice_id")
            )
        gone = [
            row
            for row in Invoice.objects.filter(creditor=self.creditor, id__lte=self._last_id_before)
            .filter(still_open)
            .values_list("id", "number", "currency", "open_amount", "debtor__account")
            .iterator(chunk_size=5000)
            if row[0] not in self.seen
        ]
        now = timezone.now()
        for start in range(0, len(gone), chunk_size):
            chunk = gone[start : start + chunk_size]
            # The export settled what it showed open, credit netting included: a credit note
            # applied here then goes back to its credit note (``CreditNotes.apply``).
            credited = credited_amounts([pk for pk, *_ in chunk]) if self._has_credits else {}
            chunk = [row for row in chunk if row[3] + credited.get(row[0], ZERO)]
            for pk, number, currency, open_amount, account in chunk:
                self.result.settle(
                    {
                        "number": number,
                        "debtor": account,
                        "open_amount": open_amount + credited.get(pk, ZERO),
                        "currency": currency,
                        "why": "absent",
                    }
                )
            self._settlements.allocate(
                [
                    (pk, currency, open_amount + credited.get(pk, ZERO), None)
                    for pk, _, currency, open_amount, _ in chunk
                ]
            )
            bulk_update(
                "ledger_invoice",
                "id",
                ["open_amount", "status", "updated_at"],
                [(-credited.get(pk, ZERO), Invoice.Status.PAID, now, pk) for pk, *_ in chunk],
            )
            self._credits.seen.update(
                debtor
                for pk, debtor in Invoice.objects.filter(pk__in=list(credited)).values_list(
                    "pk", "debtor_id"
                )
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
                for pk, number, _, open_amount, _ in chunk
            )
            self.result.settled += len(chunk)

    def finish(self) -> None:
        if self._rebuild:
            create_indexes(self._rebuild)
        self._settlements.save()
        self._credits.apply()
        self.events.extend(self._credits.events)


def money_received(invoice_ids: list[int]) -> dict[int, Decimal]:
    """What bank matches and recorded payments brought to each of these invoices (those that
    have any)."""
    rows = (
        Allocation.objects.filter(invoice_id__in=invoice_ids, payment__origin__in=MONEY_ORIGINS)
        .values_list("invoice_id")
        .annotate(total=Sum("amount"))
        .order_by()
    )
    return {pk: total.quantize(CENT) for pk, total in rows}  # SQLite's SUM is not exact


def invoice_change_event(
    *, kind: str, before: tuple[Any, ...], record: InvoiceRecord, debtor_id: int, batch: ImportBatch
) -> EventInput:
    """The audit event of an invoice the export changed or settled: its fields before and after.

    ``before`` is the invoice's row as the writer read it: id, number, debtor id, issue and due
    dates, currency, total and open amounts.
    """
    pk, _, old_debtor, old_issue, old_due, old_currency, old_total, old_open = before
    return EventInput(
        kind=kind,
        subject_type="invoice",
        subject_id=pk,
        creditor_id=batch.creditor_id,
        payload={
            "number": record.number,
            "batch": batch.pk,
            "line": record.line,
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
                "issue_date": record.issue_date,
                "due_date": record.due_date,
                "currency": record.currency,
                "total_amount": record.total_amount,
                "open_amount": record.open_amount,
            },
        },
    )
