"""Writing matches: a match becomes a ledger payment of the whole line with one allocation per
invoice, the invoices' open amounts lowered (never below zero: the rest stays a credit on the
debtor), and undoing gives back what was taken. The services in ``services`` call these inside
their transactions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from relance.apps.audit.services import EventInput
from relance.apps.banking.models import (
    KnownIban,
    Match,
    MatchAllocation,
    StatementLine,
)
from relance.apps.ledger.models import Allocation, Invoice, Payment

ZERO = Decimal("0.00")


CHUNK = 5000


def money_text(value: Decimal) -> str:
    return f"{value:.2f}"


def invoice_open_amounts(ids: Iterable[int]) -> dict[int, Decimal]:
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


def invoices_write(open_amounts: dict[int, Decimal], now: datetime) -> None:
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


def matches_apply(matches: Sequence[Match], *, actor: str, now: datetime) -> list[EventInput]:
    """Turn matches into payments and allocations; returns the audit events to record.

    Each match's ``allocation_rows`` are its ``MatchAllocation`` rows. An invoice is never
    given more than it still has open at this moment (another line may have paid it since
    the match was proposed): the difference stays as a credit on the debtor.
    """
    if not matches:
        return []
    rows_of = {match.pk: list(match.allocation_rows) for match in matches}  # type: ignore[attr-defined]
    open_amounts = invoice_open_amounts(
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
    invoices_write({pk: amount for pk, amount in open_amounts.items() if amount != before[pk]}, now)
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


def known_iban_forget(match: Match) -> None:
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
