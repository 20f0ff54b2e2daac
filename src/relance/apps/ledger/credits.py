"""Credit notes netted against what the debtor owes, inside a ledger import's transaction.

A credit note that names its invoice (UBL ``BillingReference``, CII
``InvoiceReferencedDocument``, the CSV's ``credit_note_for``) reduces that invoice; what is left
of it, and a credit note that names none (or names an invoice the ledger does not hold), is a
credit on the debtor's account, applied to the oldest invoices first (by due date, then
number), in the credit note's currency. Whatever no invoice can take stays open on the credit
note, and the import's notes say so.

The netting is Relance's own layer over what the export says: each application is a payment of
origin ``credit`` (no money moves: its amount is zero) whose allocations add to the invoice what
they take from the credit note, so that both documents stay in the ledger and every open amount
still follows from its allocations. The export's own open amount of a document is its stored
open amount plus what was credited to it (``credited_amounts``); each import computes the
applications afresh from those and writes only the differences, so importing the same file twice
changes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q, Sum
from django.utils import timezone

from relance.apps.audit.services import EventInput
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, ImportBatch, Invoice, Payment
from relance.apps.ledger.results import ImportResult
from relance.domain.problems import N_, Note

ZERO = Decimal("0.00")
_LEFT = N_(
    "credit note %(credit)s: %(amount)s %(currency)s remain a credit on the account (no open "
    "invoice left to apply them to)"
)
CHUNK = 900  # ids per IN (...) list, under SQLite's bound-parameter limit


def credited_amounts(invoice_ids: Iterable[int]) -> dict[int, Decimal]:
    """Per document, what credit notes applied by Relance changed of its open amount: positive
    on an invoice (credit received), negative on a credit note (credit used)."""
    ids = list(invoice_ids)
    out: dict[int, Decimal] = {}
    for start in range(0, len(ids), CHUNK):
        for invoice_id, total in (
            Allocation.objects.filter(
                invoice_id__in=ids[start : start + CHUNK], payment__origin=Payment.Origin.CREDIT
            )
            .values_list("invoice_id")
            .annotate(total=Sum("amount"))
            .values_list("invoice_id", "total")
        ):
            if total:
                out[invoice_id] = total
    return out


@dataclass
class _Doc:
    pk: int
    number: str
    kind: str
    reference: str
    currency: str
    issue_date: date
    due_date: date
    stored_open: Decimal
    export_open: Decimal  # the open amount as the export states it, before any netting


class CreditNotes:
    """One import's netting of credit notes; ``seen`` collects the debtors it must look at."""

    def __init__(self, creditor: Creditor, batch: ImportBatch, result: ImportResult):
        self.creditor = creditor
        self.batch = batch
        self.result = result
        self.seen: set[int] = set()
        self.events: list[EventInput] = []

    def apply(self) -> None:
        """Net every open credit note of the debtors seen, and of any debtor holding an unused
        credit (a new invoice may take it), against their invoices."""
        open_credit = Invoice.objects.filter(
            creditor=self.creditor, kind=Invoice.Kind.CREDIT_NOTE, status=Invoice.Status.OPEN
        ).values_list("debtor_id", flat=True).order_by().distinct()
        debtors = sorted(self.seen | set(open_credit))
        for start in range(0, len(debtors), CHUNK):
            self._apply(debtors[start : start + CHUNK])

    def _apply(self, debtor_ids: list[int]) -> None:
        pairs: dict[tuple[int, int], Decimal] = defaultdict(lambda: ZERO)
        credited: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for credit_id, invoice_id, amount in Allocation.objects.filter(
            payment__origin=Payment.Origin.CREDIT,
            payment__debtor_id__in=debtor_ids,
            amount__gt=0,
        ).values_list("payment__credit_note_id", "invoice_id", "amount"):
            pairs[(credit_id, invoice_id)] += amount
            credited[invoice_id] += amount
            credited[credit_id] -= amount
        docs: dict[int, list[_Doc]] = defaultdict(list)
        for row in (
            Invoice.objects.filter(debtor_id__in=debtor_ids)
            .filter(Q(status=Invoice.Status.OPEN) | Q(pk__in=list(credited)))
            .order_by("due_date", "number", "pk")
            .values_list(
                "pk", "debtor_id", "number", "kind", "credit_note_for", "currency",
                "issue_date", "due_date", "open_amount",
            )
        ):  # fmt: skip
            pk, debtor_id, number, kind, reference, currency, issued, due, stored = row
            docs[debtor_id].append(
                _Doc(pk, number, kind, reference, currency, issued, due, stored,
                     stored + credited.get(pk, ZERO))
            )  # fmt: skip
        for debtor_id, items in docs.items():
            notes: dict[int, list[Note]] = defaultdict(list)
            wanted = self._net(items, notes)
            changed = self._write(debtor_id, items, pairs, wanted)
            # Said when the netting changes, and for as long as a credit is left unused.
            for credit_id, said in notes.items():
                if credit_id in changed or said[-1].template == _LEFT:
                    self.result.notes.extend(said)

    def _net(
        self, items: list[_Doc], notes: dict[int, list[Note]]
    ) -> dict[tuple[int, int], Decimal]:
        """What each credit note should give each invoice, from the export's open amounts."""
        due = {d.pk: d.export_open for d in items if d.kind == Invoice.Kind.INVOICE}
        invoices = [d for d in items if d.kind == Invoice.Kind.INVOICE]
        by_number = {d.number: d for d in invoices}
        credits = sorted(
            (d for d in items if d.kind == Invoice.Kind.CREDIT_NOTE and d.export_open < 0),
            key=lambda d: (not d.reference, d.issue_date, d.number),
        )
        wanted: dict[tuple[int, int], Decimal] = {}
        for credit in credits:
            left = -credit.export_open
            target = by_number.get(credit.reference) if credit.reference else None
            if credit.reference and target is None:
                notes[credit.pk].append(
                    Note(
                        N_("credit note %(credit)s names invoice %(invoice)s, which the ledger "
                           "does not hold: it is a credit on the account, applied to the oldest "
                           "invoices first"),
                        credit=credit.number, invoice=credit.reference,
                    )
                )  # fmt: skip
            order = ([target] if target is not None else []) + [
                d for d in invoices if d is not target
            ]
            for invoice in order:
                if left <= 0:
                    break
                if invoice.currency != credit.currency or due[invoice.pk] <= 0:
                    continue
                amount = min(left, due[invoice.pk])
                due[invoice.pk] -= amount
                left -= amount
                wanted[(credit.pk, invoice.pk)] = amount
                if invoice is not target:
                    notes[credit.pk].append(
                        Note(
                            N_("credit note %(credit)s: %(amount)s %(currency)s applied to "
                               "invoice %(invoice)s (a credit on the account, oldest invoice "
                               "first)"),
                            credit=credit.number, amount=amount, currency=credit.currency,
                            invoice=invoice.number,
                        )
                    )  # fmt: skip
            if left > 0:
                notes[credit.pk].append(
                    Note(
                        _LEFT,
                        credit=credit.number, amount=left, currency=credit.currency,
                    )
                )  # fmt: skip
        return wanted

    def _write(
        self,
        debtor_id: int,
        items: list[_Doc],
        pairs: dict[tuple[int, int], Decimal],
        wanted: dict[tuple[int, int], Decimal],
    ) -> set[int]:
        """Write the differences; the credit notes whose applications changed."""
        by_pk = {d.pk: d for d in items}
        changes: dict[int, dict[int, Decimal]] = defaultdict(dict)  # credit note → invoice → delta
        for key in set(wanted) | {k for k in pairs if k[0] in by_pk or k[1] in by_pk}:
            delta = wanted.get(key, ZERO) - pairs.get(key, ZERO)
            if delta:
                changes[key[0]][key[1]] = delta
        if not changes:
            return set()
        now = timezone.now()
        moved: dict[int, Decimal] = defaultdict(lambda: ZERO)
        rows: list[Allocation] = []
        for credit_id, deltas in changes.items():
            credit = by_pk.get(credit_id) or _missing(credit_id)
            payment = Payment.objects.create(
                creditor=self.creditor,
                debtor_id=debtor_id,
                value_date=credit.issue_date,
                amount=ZERO,
                currency=credit.currency,
                reference=f"credit note {credit.number}",
                origin=Payment.Origin.CREDIT,
                import_batch=self.batch,
                credit_note_id=credit_id,
            )
            for invoice_id, delta in deltas.items():
                rows += [
                    Allocation(payment=payment, invoice_id=invoice_id, amount=delta),
                    Allocation(payment=payment, invoice_id=credit_id, amount=-delta),
                ]
                moved[invoice_id] += delta
                moved[credit_id] -= delta
                invoice = by_pk.get(invoice_id)
                self.events.append(
                    EventInput(
                        kind="ledger.credit_note_applied",
                        subject_type="invoice",
                        subject_id=invoice_id,
                        creditor_id=self.creditor.pk,
                        payload={
                            "credit_note": credit.number,
                            "credit_note_id": credit_id,
                            "invoice": invoice.number if invoice else None,
                            "amount": delta,
                            "currency": credit.currency,
                            "referenced": bool(invoice and credit.reference == invoice.number),
                            "batch": self.batch.pk,
                        },
                    )
                )
        Allocation.objects.bulk_create(rows)
        for pk, delta in moved.items():
            stored = Invoice.objects.filter(pk=pk).values_list("open_amount", flat=True).get()
            new_open = stored - delta
            Invoice.objects.filter(pk=pk).update(
                open_amount=new_open,
                status=Invoice.Status.OPEN if new_open else Invoice.Status.PAID,
                updated_at=now,
            )
        return set(changes)


def _missing(pk: int) -> _Doc:
    """A credit note whose allocations are undone though it is no longer open: read it."""
    d = Invoice.objects.get(pk=pk)
    return _Doc(d.pk, d.number, d.kind, d.credit_note_for, d.currency, d.issue_date,
                d.due_date, d.open_amount, d.open_amount)  # fmt: skip
