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
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.banking.models import (
    BankStatement,
    KnownIban,
    Match,
    MatchAllocation,
    StatementLine,
)
from relance.apps.banking.selectors import matches_summary
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.domain.banking import BankReport, LineRecord, StatementRecord
from relance.domain.matching import InvoiceIndex, MatchProposal, OpenInvoice, match_lines
from relance.errors import InvalidInputError
from relance.formats.bank import read_statement

THRESHOLD = Decimal("0.80")
ZERO = Decimal("0.00")
CHUNK = 5000


class _Rollback(Exception):
    """Raised inside the import transaction to undo everything it wrote (dry run)."""


def compact_iban(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# --- reading the creditor's open invoices -------------------------------------------------------


def open_invoices(*, creditor: Creditor) -> Iterator[OpenInvoice]:
    """The creditor's open invoices as matching sees them, streamed from one query.

    Debtor accounts and names repeat on every invoice of a debtor; sharing one string per
    debtor keeps a million-invoice index in a few hundred megabytes.
    """
    accounts: dict[str, str] = {}
    names: dict[str, str] = {}
    rows = (
        Invoice.objects.filter(
            creditor=creditor, status=Invoice.Status.OPEN, open_amount__gt=0
        )
        .values_list(
            "id", "number", "debtor__account", "debtor__name", "open_amount", "currency", "due_date"
        )
        .order_by()
        .iterator(chunk_size=20000)
    )
    for pk, number, account, name, open_amount, currency, due_date in rows:
        yield OpenInvoice(
            pk,
            number,
            accounts.setdefault(account, account),
            names.setdefault(name, name),
            open_amount,
            currency,
            due_date,
        )


def known_ibans(*, creditor: Creditor) -> dict[str, str]:
    """Payer IBAN → debtor account, for IBANs that only one debtor has paid from."""
    seen: dict[str, set[str]] = defaultdict(set)
    for iban, account in KnownIban.objects.filter(creditor=creditor).values_list(
        "iban", "debtor__account"
    ):
        seen[iban].add(account)
    return {iban: next(iter(accounts)) for iban, accounts in seen.items() if len(accounts) == 1}


# --- import -------------------------------------------------------------------------------------


def _statement_fingerprint(statement: StatementRecord, occurrence: int) -> str:
    def text(value: object) -> str:
        return "" if value is None else str(value)

    key = "\x1f".join(
        [
            statement.account,
            statement.currency,
            statement.statement_id,
            text(statement.opening_balance),
            text(statement.opening_date),
            text(statement.closing_balance),
            text(statement.closing_date),
            str(occurrence),
        ]
    )
    return hashlib.sha256(key.encode()).hexdigest()


def _existing_fingerprints(creditor: Creditor, fingerprints: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(fingerprints), CHUNK):
        found.update(
            StatementLine.objects.filter(
                creditor=creditor, fingerprint__in=fingerprints[start : start + CHUNK]
            ).values_list("fingerprint", flat=True)
        )
    return found


def _line_row(
    creditor: Creditor, statement: BankStatement, record: LineRecord, status: str
) -> StatementLine:
    return StatementLine(
        statement=statement,
        creditor=creditor,
        fingerprint=record.fingerprint,
        booking_date=record.booking_date,
        value_date=record.value_date,
        amount=record.amount,
        currency=record.currency,
        counterparty_name=record.counterparty_name[:200],
        counterparty_iban=compact_iban(record.counterparty_iban)[:40],
        remittance=record.remittance,
        structured_reference=record.structured_reference[:140],
        end_to_end_id=record.end_to_end_id[:140],
        bank_reference=record.bank_reference[:140],
        label=record.label[:255],
        kind=record.kind[:40],
        line=record.line,
        status=status,
    )


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
    data: bytes,
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
    digest = hashlib.sha256(data).hexdigest()
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
            batch = ImportBatch.objects.create(
                creditor=creditor,
                kind=ImportBatch.Kind.BANK,
                format=report.format,
                filename=filename[:255],
                sha256=digest,
                status=ImportBatch.Status.COMMITTED,
            )
            _write(creditor, batch, report.statements, result, actor, threshold, day)
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


def _write(
    creditor: Creditor,
    batch: ImportBatch,
    statements: Sequence[StatementRecord],
    result: dict[str, Any],
    actor: str,
    threshold: Decimal,
    day: date,
) -> None:
    records = [line for statement in statements for line in statement.lines]
    existing = _existing_fingerprints(creditor, [line.fingerprint for line in records])
    new = [line for line in records if line.fingerprint not in existing]
    result["duplicates"] = len(records) - len(new)
    credits = [line for line in new if line.amount > 0]
    result["debits"] = len(new) - len(credits)
    result["credits"] = len(credits)

    proposals: dict[str, MatchProposal] = {}
    if credits:
        index = InvoiceIndex(open_invoices(creditor=creditor))
        for proposal in match_lines(
            credits, index, known_ibans=known_ibans(creditor=creditor), threshold=threshold
        ):
            proposals[proposal.line_key] = proposal

    # Statements: one row per statement that brings new lines, or that has no lines at all
    # and was never seen (its balances are still news).
    stored_statements = set(
        BankStatement.objects.filter(creditor=creditor).values_list("fingerprint", flat=True)
    )
    occurrences: dict[str, int] = defaultdict(int)
    line_rows: list[StatementLine] = []
    for statement in statements:
        base = _statement_fingerprint(statement, 0)
        fingerprint = _statement_fingerprint(statement, occurrences[base])
        occurrences[base] += 1
        fresh = [line for line in statement.lines if line.fingerprint not in existing]
        if not fresh and (statement.lines or fingerprint in stored_statements):
            continue
        row = BankStatement.objects.create(
            creditor=creditor,
            import_batch=batch,
            account=statement.account[:64],
            currency=statement.currency,
            statement_id=statement.statement_id[:140],
            opening_balance=statement.opening_balance,
            opening_date=statement.opening_date,
            closing_balance=statement.closing_balance,
            closing_date=statement.closing_date,
            fingerprint=fingerprint,
            source_line=statement.line,
        )
        for line in fresh:
            if line.amount <= 0:
                status = StatementLine.Status.IGNORED
            elif line.fingerprint not in proposals:
                status = StatementLine.Status.UNMATCHED
            else:
                status = StatementLine.Status.SUGGESTED  # applied ones move on below
            line_rows.append(_line_row(creditor, row, line, status))
    StatementLine.objects.bulk_create(line_rows, batch_size=2000)

    now = timezone.now()
    matches = _matches_create(creditor, line_rows, proposals, actor)
    to_apply = [match for match in matches if match.state == Match.State.APPLIED]
    events = _matches_apply(to_apply, actor=actor, now=now)
    result["matched"] = len(to_apply)
    result["suggested"] = len(matches) - len(to_apply)
    result["unmatched"] = len(credits) - len(matches)
    result["amount_matched"] = _money(sum((m.line.amount for m in to_apply), ZERO))
    result["amount_allocated"] = _money(
        sum((a.amount for m in to_apply for a in m.allocation_rows), ZERO)  # type: ignore[attr-defined]
    )
    result["matches"] = matches_summary(matches)
    batch.created_count = len(line_rows)
    batch.unchanged_count = result["duplicates"]
    batch.settled_count = result["matched"]
    batch.notes = result["notes"]
    batch.save()
    events.append(
        EventInput(
            kind="bank.imported",
            subject_type="import_batch",
            subject_id=batch.pk,
            creditor_id=creditor.pk,
            actor=actor,
            payload={
                "filename": batch.filename,
                "sha256": batch.sha256,
                "format": result["format"],
                "as_of": day,
                **{
                    key: result[key]
                    for key in (
                        "statements", "lines", "duplicates", "credits", "matched", "suggested",
                        "unmatched", "amount_matched",
                    )
                },
            },
        )
    )
    events_record(events=events, at=now)


def _matches_create(
    creditor: Creditor,
    lines: Iterable[StatementLine],
    proposals: dict[str, MatchProposal],
    actor: str,
) -> list[Match]:
    chosen = [(line, proposals[line.fingerprint]) for line in lines if line.fingerprint in proposals]
    if not chosen:
        return []
    accounts = {proposal.debtor_account for _, proposal in chosen}
    debtors = {
        debtor.account: debtor
        for debtor in Debtor.objects.filter(creditor=creditor, account__in=accounts)
    }
    matches = [
        Match(
            line=line,
            creditor=creditor,
            debtor=debtors[proposal.debtor_account],
            # Applied by _matches_apply, which needs to see them as suggestions first.
            state=Match.State.SUGGESTED,
            confidence=proposal.confidence,
            reasons=list(proposal.reasons),
            overpayment=proposal.overpayment,
            created_by=actor,
        )
        for line, proposal in chosen
    ]
    Match.objects.bulk_create(matches, batch_size=2000)
    allocations = []
    for match, (_, proposal) in zip(matches, chosen, strict=True):
        rows = [
            MatchAllocation(
                match=match, invoice_id=cast(int, allocation.invoice_id), amount=allocation.amount
            )
            for allocation in proposal.allocations
        ]
        match.allocation_rows = rows  # type: ignore[attr-defined]
        allocations.extend(rows)
        if proposal.state == "applied":
            match.state = Match.State.APPLIED
    MatchAllocation.objects.bulk_create(allocations, batch_size=2000)
    return matches


def _invoice_open_amounts(ids: Iterable[int]) -> dict[int, Decimal]:
    """Lock the invoices and read what they still have open."""
    wanted = sorted(set(ids))
    found: dict[int, Decimal] = {}
    for start in range(0, len(wanted), CHUNK):
        found.update(
            Invoice.objects.select_for_update()
            .filter(pk__in=wanted[start : start + CHUNK])
            .values_list("id", "open_amount")
        )
    return found


def _invoices_write(open_amounts: dict[int, Decimal], now: datetime) -> None:
    Invoice.objects.bulk_update(
        [
            Invoice(
                pk=pk,
                open_amount=amount,
                status=Invoice.Status.OPEN if amount else Invoice.Status.PAID,
                updated_at=now,
            )
            for pk, amount in open_amounts.items()
        ],
        ["open_amount", "status", "updated_at"],
        batch_size=1000,
    )


def _payment_reference(line: StatementLine) -> str:
    quoted = line.structured_reference or line.end_to_end_id or " ".join(line.remittance.split())
    return f"bank line {line.pk}" + (f": {quoted}" if quoted else "")[:180]


def _matches_apply(matches: Sequence[Match], *, actor: str, now: datetime) -> list[EventInput]:
    """Turn matches into payments and allocations; returns the audit events to record.

    Each match's ``allocation_rows`` are its ``MatchAllocation`` rows. An invoice is never
    given more than it still has open at this moment (another line may have paid it since
    the match was proposed): the difference stays as a credit on the debtor.
    """
    if not matches:
        return []
    rows_of = {match.pk: list(match.allocation_rows) for match in matches}  # type: ignore[attr-defined]
    open_amounts = _invoice_open_amounts(
        allocation.invoice_id for rows in rows_of.values() for allocation in rows
    )
    before = dict(open_amounts)
    payments = []
    shrunk: list[MatchAllocation] = []
    emptied: list[int] = []
    for match in matches:
        line = match.line
        for allocation in rows_of[match.pk]:
            available = max(open_amounts.get(allocation.invoice_id, ZERO), ZERO)
            take = min(allocation.amount, available)
            if take != allocation.amount:
                match.overpayment += allocation.amount - take
                if take > 0:
                    allocation.amount = take
                    shrunk.append(allocation)
                else:
                    emptied.append(allocation.pk)
            open_amounts[allocation.invoice_id] = available - take
        rows_of[match.pk] = [a for a in rows_of[match.pk] if a.pk not in emptied]
        payments.append(
            Payment(
                creditor_id=match.creditor_id,
                debtor_id=match.debtor_id,
                value_date=line.value_date or line.booking_date,
                amount=line.amount,
                currency=line.currency,
                reference=_payment_reference(line),
                origin=Payment.Origin.BANK,
                import_batch_id=line.statement.import_batch_id,
            )
        )
    Payment.objects.bulk_create(payments, batch_size=2000)
    if shrunk:
        MatchAllocation.objects.bulk_update(shrunk, ["amount"], batch_size=1000)
    if emptied:
        MatchAllocation.objects.filter(pk__in=emptied).delete()
    Allocation.objects.bulk_create(
        [
            Allocation(payment=payment, invoice_id=allocation.invoice_id, amount=allocation.amount)
            for match, payment in zip(matches, payments, strict=True)
            for allocation in rows_of[match.pk]
        ],
        batch_size=2000,
    )
    _invoices_write({pk: amount for pk, amount in open_amounts.items() if amount != before[pk]}, now)
    for match, payment in zip(matches, payments, strict=True):
        match.state = Match.State.APPLIED
        match.payment = payment
        match.applied_at = now
        match.applied_by = actor
        match.allocation_rows = rows_of[match.pk]  # type: ignore[attr-defined]
        match.line.status = StatementLine.Status.MATCHED
    Match.objects.bulk_update(
        matches, ["state", "payment", "applied_at", "applied_by", "overpayment"], batch_size=1000
    )
    StatementLine.objects.bulk_update([m.line for m in matches], ["status"], batch_size=1000)
    KnownIban.objects.bulk_create(
        [
            KnownIban(
                creditor_id=match.creditor_id,
                iban=match.line.counterparty_iban,
                debtor_id=match.debtor_id,
                learned_from=match,
            )
            for match in matches
            if match.line.counterparty_iban
        ],
        ignore_conflicts=True,
    )
    numbers = dict(
        Invoice.objects.filter(
            pk__in={a.invoice_id for rows in rows_of.values() for a in rows}
        ).values_list("id", "number")
    )
    return [
        EventInput(
            kind="bank.match_applied",
            subject_type="match",
            subject_id=match.pk,
            creditor_id=match.creditor_id,
            actor=actor,
            payload={
                "line": match.line.pk,
                "debtor": match.debtor_id,
                "payment": match.payment_id,
                "amount": match.line.amount,
                "confidence": match.confidence,
                "reasons": match.reasons,
                "overpayment": match.overpayment,
                "allocations": [
                    {
                        "invoice": a.invoice_id,
                        "number": numbers.get(a.invoice_id, ""),
                        "amount": a.amount,
                        "open_before": before[a.invoice_id],
                    }
                    for a in rows_of[match.pk]
                ],
            },
        )
        for match in matches
    ]


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
        events = _matches_apply([match], actor=actor, now=now)
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
            open_amounts = _invoice_open_amounts(invoice for invoice, _ in allocations)
            for invoice, amount in allocations:
                restored.append(
                    {"invoice": invoice, "amount": amount, "open_before": open_amounts[invoice]}
                )
                open_amounts[invoice] += amount
            _invoices_write(open_amounts, now)
            payment_id = match.payment_id
            match.payment = None
            match.save(update_fields=["payment"])
            Allocation.objects.filter(payment_id=payment_id).delete()
            Payment.objects.filter(pk=payment_id).delete()
            _known_iban_forget(match)
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


def _known_iban_forget(match: Match) -> None:
    """Forget an IBAN learned only from this match (another applied match keeps it known)."""
    iban = match.line.counterparty_iban
    if not iban:
        return
    still_taught = (
        Match.objects.filter(
            creditor_id=match.creditor_id,
            debtor_id=match.debtor_id,
            state=Match.State.APPLIED,
            line__counterparty_iban=iban,
        )
        .exclude(pk=match.pk)
        .exists()
    )
    if not still_taught:
        KnownIban.objects.filter(
            creditor_id=match.creditor_id, debtor_id=match.debtor_id, iban=iban
        ).delete()



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
