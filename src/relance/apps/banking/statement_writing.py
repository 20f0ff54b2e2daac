"""Writing a bank statement import inside its transaction: the creditor's open invoices and known
IBANs read for matching, the statements and lines not seen before stored, the new credits
matched, and the sure matches applied (``match_writing``).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from decimal import Decimal
from typing import Any, cast

from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.banking.match_writing import CHUNK, ZERO, matches_apply, money_text
from relance.apps.banking.models import (
    BankStatement,
    KnownIban,
    Match,
    MatchAllocation,
    StatementLine,
)
from relance.apps.banking.selectors import matches_summary
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, ImportBatch, Invoice
from relance.domain.banking import LineRecord, StatementRecord
from relance.domain.matching import InvoiceIndex, MatchProposal, OpenInvoice, match_lines


def compact_iban(text: str) -> str:
    return re.sub(r"[\s\-]", "", text).upper()


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


def statements_write(
    creditor: Creditor,
    batch: ImportBatch,
    statements: Sequence[StatementRecord],
    result: dict[str, Any],
    actor: str,
    threshold: Decimal,
    day: date,
) -> None:
    """Store the statements and lines not seen before, match the new credits and apply the
    sure matches, filling ``result``; within ``statement_import``'s transaction."""
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
    events = matches_apply(to_apply, actor=actor, now=now)
    result["matched"] = len(to_apply)
    result["suggested"] = len(matches) - len(to_apply)
    result["unmatched"] = len(credits) - len(matches)
    result["amount_matched"] = money_text(sum((m.line.amount for m in to_apply), ZERO))
    result["amount_allocated"] = money_text(
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
            # Applied by matches_apply, which needs to see them as suggestions first.
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
