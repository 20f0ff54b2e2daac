"""Writing bank data: importing statements, applying and undoing matches.

``statement_import`` reads a bank file (``relance.formats.bank``), refuses it whole when the
reader reports any problem, stores the lines it has not seen before, and matches the new
credit lines against the creditor's open invoices (``relance.domain.matching``). Matches at
or above the threshold are applied at once; the others wait as suggestions for a person.

A person who looks at a credit nobody could tie to an invoice (a refund, a loan, another
activity) dismisses it (``line_dismiss``): it then holds nobody's chasing and is never
matched again, until ``line_restore`` gives it back.

Applying a match writes a ledger ``Payment`` (origin ``bank``) for the whole line and one
ledger ``Allocation`` per invoice, and lowers the invoices' open amounts, in one
transaction. What the line brings beyond its allocations stays on the payment, unallocated:
a credit on the debtor's account (``selectors.debtor_credit``). Undoing a match removes the
payment and its allocations and gives the invoices back exactly what was taken.

The services are here; what they write inside their transactions is in ``statement_writing``
(a statement import) and ``match_writing`` (applying and undoing a match).
"""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal
from typing import IO, Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.banking.match_writing import (
    invoice_open_amounts,
    invoices_write,
    known_iban_forget,
    matches_apply,
)
from relance.apps.banking.models import (
    Match,
    MatchAllocation,
    StatementLine,
)
from relance.apps.banking.statement_writing import statements_write
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.domain.banking import BankReport
from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_
from relance.formats.bank import read_statement

THRESHOLD = Decimal("0.80")
ZERO = Decimal("0.00")


class _Rollback(Exception):
    """Raised inside the import transaction to undo everything it wrote (dry run)."""


def _result(format: str) -> dict[str, Any]:
    return {
        "format": format,
        "statements": 0,
        "lines": 0,
        "duplicates": 0,
        "debits": 0,
        "credits": 0,
        "matched": 0,
        "suggested": 0,
        "unmatched": 0,
        "amount_matched": "0.00",
        "amount_allocated": "0.00",
        "problems": [],
        "notes": [],
        "matches": [],
        "batch": None,
        "dry_run": False,
        "committed": False,
    }


def statement_import(
    *,
    creditor: Creditor,
    data: bytes | IO[bytes],
    filename: str,
    format: str = "auto",
    dry_run: bool = False,
    as_of: date | None = None,
    actor: str = "system",
    threshold: Decimal = THRESHOLD,
    report: BankReport | None = None,
) -> dict[str, Any]:
    """Import a bank file for ``creditor``; see the module docstring. ``report`` is ``data``
    as ``read_statement`` read it, when the caller has it already (it keeps the problems'
    wording for a page).

    Counts in the result: ``statements`` and ``lines`` are what the file holds,
    ``duplicates`` the lines already imported before (skipped), ``credits`` the new credit
    lines, of which ``matched`` were applied, ``suggested`` wait for a person and
    ``unmatched`` found no debtor. ``amount_matched`` sums the applied lines (what is not
    allocated to invoices stays as a credit on the debtor), ``amount_allocated`` what went
    to invoices. ``matches`` explains each match: the line, the debtor, the invoices, the
    amount, the confidence and the reasons.
    """
    if report is None:
        report = read_statement(data, format=format)
    digest = _sha256(data)
    result = _result(report.format)
    result["dry_run"] = dry_run
    result["statements"] = len(report.statements)
    result["lines"] = len(report.lines)
    result["notes"] = list(report.notes)
    if report.problems:
        result["problems"] = [problem.as_dict() for problem in report.problems]
        if not dry_run:
            refused = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.BANK,
                format=report.format,
                filename=filename[:255],
                sha256=digest,
                status=ImportBatch.Status.REFUSED,
                problems=result["problems"],
                notes=result["notes"],
            )
            result["batch"] = refused.pk
        return result

    day = as_of or timezone.localdate()
    try:
        with transaction.atomic():
            # The creditor's lock, as the pass and the ledger import take it: two bank files
            # of one creditor match against what the other applied, never the same invoices.
            Creditor.objects.select_for_update().filter(pk=creditor.pk).first()
            batch = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.BANK,
                format=report.format,
                filename=filename[:255],
                sha256=digest,
                status=ImportBatch.Status.COMMITTED,
            )
            statements_write(creditor, batch, report.statements, result, actor, threshold, day)
            result["batch"] = batch.pk
            result["committed"] = True
            if dry_run:
                raise _Rollback
    except _Rollback:
        result["batch"] = None
        result["committed"] = False
        for summary in result["matches"]:
            summary["id"] = None
    return result


def _sha256(data: bytes | IO[bytes]) -> str:
    """The file's SHA-256, a stream read again from its start in chunks (memory stays bounded)."""
    if isinstance(data, bytes):
        return hashlib.sha256(data).hexdigest()
    data.seek(0)
    digest = hashlib.sha256()
    while chunk := data.read(1 << 20):
        digest.update(chunk)
    return digest.hexdigest()


# --- a person confirms or undoes ----------------------------------------------------------------


def _locked(match: Match) -> Match:
    return (
        Match.objects.select_for_update()
        .select_related("line", "line__statement", "debtor")
        .get(pk=match.pk)
    )


def match_apply(*, match: Match, actor: str) -> Match:
    """Confirm a suggested match: the line becomes a payment of the debtor's invoices."""
    with transaction.atomic():
        match = _locked(match)
        if match.state != Match.State.SUGGESTED:
            raise InvalidInputError(f"match {match.pk} is {match.state}; only a suggestion can be applied")
        if match.line.matches.filter(state=Match.State.APPLIED).exclude(pk=match.pk).exists():
            raise InvalidInputError(f"line {match.line.pk} is already matched by another match")
        if match.line.status == StatementLine.Status.DISMISSED:
            raise InvalidInputError(
                f"line {match.line.pk} was dismissed; restore it first (`relance bank restore`)"
            )
        match.allocation_rows = list(match.allocations.order_by("id"))  # type: ignore[attr-defined]
        now = timezone.now()
        events = matches_apply([match], actor=actor, now=now)
        events_record(events=events, at=now)
    return match


def match_undo(*, match: Match, actor: str) -> Match:
    """Undo a match: applied, its payment and allocations go and the invoices get back what
    they had open; suggested, it is dismissed. The line is unmatched again either way."""
    with transaction.atomic():
        match = _locked(match)
        if match.state == Match.State.UNDONE:
            raise InvalidInputError(f"match {match.pk} is already undone")
        now = timezone.now()
        was = match.state
        restored: list[dict[str, Any]] = []
        if was == Match.State.APPLIED and match.payment_id is not None:
            allocations = list(
                Allocation.objects.filter(payment_id=match.payment_id).values_list(
                    "invoice_id", "amount"
                )
            )
            open_amounts = invoice_open_amounts(invoice for invoice, _ in allocations)
            for invoice, amount in allocations:
                restored.append(
                    {"invoice": invoice, "amount": amount, "open_before": open_amounts[invoice]}
                )
                open_amounts[invoice] += amount
            invoices_write(open_amounts, now)
            payment_id = match.payment_id
            match.payment = None
            match.save(update_fields=["payment"])
            Allocation.objects.filter(payment_id=payment_id).delete()
            Payment.objects.filter(pk=payment_id).delete()
            known_iban_forget(match)
        match.state = Match.State.UNDONE
        match.undone_at = now
        match.undone_by = actor
        match.save(update_fields=["state", "undone_at", "undone_by"])
        line = match.line
        line.status = StatementLine.Status.UNMATCHED
        line.save(update_fields=["status"])
        events_record(
            events=[
                EventInput(
                    kind="bank.match_undone",
                    subject_type="match",
                    subject_id=match.pk,
                    creditor_id=match.creditor_id,
                    actor=actor,
                    payload={"line": line.pk, "debtor": match.debtor_id, "was": was,
                             "restored": restored},
                )
            ],
            at=now,
        )
    return match


# --- a person chooses what a credit pays --------------------------------------------------------

CHOSEN = "chosen by a person"


def match_choose(
    *,
    line: StatementLine,
    debtor: Debtor,
    parts: list[tuple[Invoice, Decimal | None]],
    actor: str,
) -> Match:
    """A person says which of ``debtor``'s invoices an unmatched or suggested credit pays:
    another debtor or invoice than suggested (reassign), or several invoices with an amount
    each (split). An amount left ``None`` takes what the line still holds, oldest due first;
    what the line brings beyond the invoices stays a credit on the debtor. The line's pending
    suggestions are closed and the chosen match applied at once, in one transaction.
    """
    if not parts:
        raise InvalidInputError("choose at least one invoice the credit pays")
    if debtor.creditor_id != line.creditor_id:
        raise InvalidInputError("that debtor belongs to another creditor")
    with transaction.atomic():
        line = _line_locked(line)
        pending = (StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED)
        if line.amount <= 0 or line.status not in pending:
            raise InvalidInputError(
                N_("line %(line)s is no longer waiting for a person: %(status)s"),
                params={"line": line.pk, "status": line.status},
            )
        ids = [invoice.pk for invoice, _ in parts]
        if len(set(ids)) != len(ids):
            raise InvalidInputError("each invoice may be named only once")
        open_amounts = invoice_open_amounts(ids)
        invoices = {i.pk: i for i in Invoice.objects.filter(pk__in=ids)}
        for invoice, amount in parts:
            found = invoices.get(invoice.pk)
            if found is None or found.debtor_id != debtor.pk:
                raise InvalidInputError(
                    N_("invoice %(number)s is not one of this debtor's"),
                    params={"number": invoice.number},
                )
            if found.currency != line.currency or open_amounts[found.pk] <= 0:
                raise InvalidInputError(
                    N_("invoice %(number)s has nothing open in %(currency)s"),
                    params={"number": found.number, "currency": line.currency},
                )
            if amount is not None and not ZERO < amount <= open_amounts[found.pk]:
                raise InvalidInputError(
                    N_("%(amount)s for invoice %(number)s: between 0.01 and its open %(open)s"),
                    params={"amount": amount, "number": found.number,
                            "open": open_amounts[found.pk]},
                )
        given = sum((amount for _, amount in parts if amount is not None), ZERO)
        if given > line.amount:
            raise InvalidInputError(
                N_("the amounts (%(given)s) are more than the credit (%(amount)s)"),
                params={"given": given, "amount": line.amount},
            )
        left = line.amount - given
        rows: list[tuple[int, Decimal]] = []
        rest = sorted(
            (invoices[i.pk] for i, amount in parts if amount is None),
            key=lambda i: (i.due_date, i.pk),
        )
        chosen = {invoice.pk: amount for invoice, amount in parts}
        for invoice, _ in parts:
            if chosen[invoice.pk] is not None:
                rows.append((invoice.pk, chosen[invoice.pk]))  # type: ignore[arg-type]
        for invoice in rest:
            take = min(left, open_amounts[invoice.pk])
            if take > 0:
                rows.append((invoice.pk, take))
                left -= take
        if not rows:
            raise InvalidInputError("nothing of the credit is left for the invoices chosen")
        now = timezone.now()
        closed = list(
            Match.objects.select_for_update().filter(line=line, state=Match.State.SUGGESTED)
        )
        for old in closed:
            old.state, old.undone_at, old.undone_by = Match.State.UNDONE, now, actor
        Match.objects.bulk_update(closed, ["state", "undone_at", "undone_by"])
        match = Match.objects.create(
            line=line, creditor_id=line.creditor_id, debtor=debtor,
            state=Match.State.SUGGESTED, confidence=Decimal("1.00"), reasons=[CHOSEN],
            overpayment=line.amount - sum((amount for _, amount in rows), ZERO),
            created_by=actor,
        )
        match.allocation_rows = MatchAllocation.objects.bulk_create(  # type: ignore[attr-defined]
            [MatchAllocation(match=match, invoice_id=pk, amount=amount) for pk, amount in rows]
        )
        match.line = line
        events = [
            EventInput(
                kind="bank.match_chosen",
                subject_type="match",
                subject_id=match.pk,
                creditor_id=line.creditor_id,
                actor=actor,
                payload={
                    "line": line.pk,
                    "debtor": debtor.pk,
                    "was": line.status,
                    "suggestions_closed": [{"match": m.pk, "debtor": m.debtor_id} for m in closed],
                    "allocations": [{"invoice": pk, "amount": amount} for pk, amount in rows],
                },
            )
        ]
        events += matches_apply([match], actor=actor, now=now)
        events_record(events=events, at=now)
    return match


# --- a person dismisses a credit that pays no invoice -------------------------------------------


def _line_locked(line: StatementLine) -> StatementLine:
    return StatementLine.objects.select_for_update().get(pk=line.pk)


def line_dismiss(*, line: StatementLine, actor: str, reason: str) -> StatementLine:
    """A person looked at an unmatched or suggested credit and says it pays no open invoice.

    The line becomes ``dismissed``: it no longer holds the chasing of any debtor and no
    match will ever be made of it. Its pending suggestions are closed (``undone``).
    """
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInputError("say why the line is dismissed (--reason)")
    with transaction.atomic():
        line = _line_locked(line)
        pending = (StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED)
        if line.amount <= 0 or line.status not in pending:
            hint = " (undo its match first: `relance matches undo ID`)" if (
                line.status == StatementLine.Status.MATCHED
            ) else ""
            raise InvalidInputError(
                f"line {line.pk} is {'a debit' if line.amount <= 0 else line.status}; only an "
                f"unmatched or suggested credit can be dismissed{hint}"
            )
        now = timezone.now()
        suggestions = list(
            Match.objects.select_for_update()
            .filter(line=line, state=Match.State.SUGGESTED)
            .order_by("id")
        )
        for match in suggestions:
            match.state = Match.State.UNDONE
            match.undone_at = now
            match.undone_by = actor
        Match.objects.bulk_update(suggestions, ["state", "undone_at", "undone_by"])
        was = line.status
        line.status = StatementLine.Status.DISMISSED
        line.dismissed_at = now
        line.dismissed_by = actor
        line.dismissed_reason = reason
        line.save(update_fields=["status", "dismissed_at", "dismissed_by", "dismissed_reason"])
        events_record(
            events=[
                EventInput(
                    kind="bank.line_dismissed",
                    subject_type="statement_line",
                    subject_id=line.pk,
                    creditor_id=line.creditor_id,
                    actor=actor,
                    payload={
                        "reason": reason,
                        "was": was,
                        "booking_date": line.booking_date,
                        "amount": line.amount,
                        "currency": line.currency,
                        "counterparty_name": line.counterparty_name,
                        "counterparty_iban": line.counterparty_iban,
                        "suggestions_closed": [
                            {"match": m.pk, "debtor": m.debtor_id} for m in suggestions
                        ],
                    },
                )
            ],
            at=now,
        )
    return line


def line_restore(*, line: StatementLine, actor: str) -> StatementLine:
    """Undo ``line_dismiss``: the suggestions it closed are open again, the line is
    suggested or unmatched as before, and holds the chasing of its debtors again."""
    with transaction.atomic():
        line = _line_locked(line)
        if line.status != StatementLine.Status.DISMISSED:
            raise InvalidInputError(f"line {line.pk} is {line.status}, not dismissed")
        now = timezone.now()
        # The dismissal closed them at its own moment: exactly those are reopened.
        reopened = list(
            Match.objects.select_for_update().filter(
                line=line, state=Match.State.UNDONE, payment__isnull=True,
                undone_at=line.dismissed_at, undone_by=line.dismissed_by,
            ).order_by("id")
        ) if line.dismissed_at else []
        for match in reopened:
            match.state = Match.State.SUGGESTED
            match.undone_at = None
            match.undone_by = ""
        Match.objects.bulk_update(reopened, ["state", "undone_at", "undone_by"])
        payload = {
            "reason_was": line.dismissed_reason,
            "dismissed_by": line.dismissed_by,
            "suggestions_reopened": [{"match": m.pk, "debtor": m.debtor_id} for m in reopened],
        }
        line.status = (
            StatementLine.Status.SUGGESTED if reopened else StatementLine.Status.UNMATCHED
        )
        line.dismissed_at = None
        line.dismissed_by = ""
        line.dismissed_reason = ""
        line.save(update_fields=["status", "dismissed_at", "dismissed_by", "dismissed_reason"])
        events_record(
            events=[
                EventInput(
                    kind="bank.line_restored",
                    subject_type="statement_line",
                    subject_id=line.pk,
                    creditor_id=line.creditor_id,
                    actor=actor,
                    payload=payload,
                )
            ],
            at=now,
        )
    return line
