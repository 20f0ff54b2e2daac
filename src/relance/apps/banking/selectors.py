"""Reading bank data: matches, debtors' credits, and the checks that make chasing safe.

The daily pass asks two questions before it chases anyone (DESIGN.md, "safe to chase"):

- has money come in recently that might be this debtor's and that nobody has matched yet?
  (``debtors_blocked_by_unmatched_credits`` for a whole creditor, set-based;
  ``debtor_has_unmatched_recent_credit`` for one debtor);
- is the bank data recent enough to trust that unpaid means unpaid? (``bank_feed_stale``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Max, QuerySet, Sum
from django.utils import timezone
from rapidfuzz import fuzz, process

from relance.apps.banking.models import BankStatement, KnownIban, Match, StatementLine
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.matching import normalise_name

NAME_CUTOFF = 90.0
BLOCK_DAYS = 5  # how long an unmatched credit holds the chase of the debtors it may be from
ZERO = Decimal("0.00")


def _money(value: Decimal) -> str:
    return f"{value:.2f}"


# --- matches ------------------------------------------------------------------------------------


def matches_list(*, creditor: Creditor, state: str | None = None) -> QuerySet[Match]:
    qs = (
        Match.objects.filter(creditor=creditor)
        .select_related("line", "debtor")
        .prefetch_related("allocations__invoice")
        .order_by("-line__booking_date", "-id")
    )
    if state:
        qs = qs.filter(state=state)
    return qs


def match_get(*, match_id: int, creditor: Creditor | None = None) -> Match:
    qs = Match.objects.select_related("line", "debtor")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    match = qs.filter(pk=match_id).first()
    if match is None:
        raise NotFoundError(f"no match {match_id} (see `relance matches list`)")
    return match


def matches_summary(matches: Sequence[Match]) -> list[dict[str, Any]]:
    """What was matched and why: the line, the debtor, the invoices, the amounts, the reasons.

    A match built in memory carries its ``allocation_rows``; one read from the database its
    ``allocations``. Invoice numbers are read in one query.
    """
    rows_of = {
        id(match): list(getattr(match, "allocation_rows", None) or match.allocations.all())
        for match in matches
    }
    ids = {row.invoice_id for rows in rows_of.values() for row in rows}
    numbers = dict(Invoice.objects.filter(pk__in=ids).values_list("id", "number")) if ids else {}
    result = []
    for match in matches:
        line = match.line
        result.append(
            {
                "id": match.pk,
                "state": match.state,
                "confidence": str(match.confidence),
                "reasons": list(match.reasons),
                "line": {
                    "id": line.pk,
                    "booking_date": line.booking_date.isoformat(),
                    "value_date": line.value_date.isoformat() if line.value_date else None,
                    "amount": _money(line.amount),
                    "currency": line.currency,
                    "counterparty_name": line.counterparty_name,
                    "counterparty_iban": line.counterparty_iban,
                    "remittance": line.remittance,
                    "structured_reference": line.structured_reference,
                },
                "debtor": {
                    "id": match.debtor_id,
                    "account": match.debtor.account,
                    "name": match.debtor.name,
                },
                "allocations": [
                    {
                        "invoice": row.invoice_id,
                        "number": numbers.get(row.invoice_id, ""),
                        "amount": _money(row.amount),
                    }
                    for row in rows_of[id(match)]
                ],
                "overpayment": _money(match.overpayment),
                "payment": match.payment_id,
                "created_at": match.created_at.isoformat() if match.created_at else None,
                "applied_at": match.applied_at.isoformat() if match.applied_at else None,
                "applied_by": match.applied_by,
                "undone_at": match.undone_at.isoformat() if match.undone_at else None,
                "undone_by": match.undone_by,
            }
        )
    return result


# --- statement lines ----------------------------------------------------------------------------


def lines_list(*, creditor: Creditor, status: str | None = None) -> QuerySet[StatementLine]:
    """The creditor's statement lines, newest first, optionally of one status."""
    if status and status not in StatementLine.Status.values:
        raise InvalidInputError(
            f"unknown line status {status!r}: one of {', '.join(StatementLine.Status.values)}"
        )
    qs = StatementLine.objects.filter(creditor=creditor).order_by("-booking_date", "-id")
    if status:
        qs = qs.filter(status=status)
    return qs


def line_get(*, line_id: int, creditor: Creditor | None = None) -> StatementLine:
    qs = StatementLine.objects.all()
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    line = qs.filter(pk=line_id).first()
    if line is None:
        raise NotFoundError(f"no statement line {line_id} (see `relance bank lines`)")
    return line


def lines_summary(
    lines: Sequence[StatementLine], *, as_of: date | None = None, days: int = BLOCK_DAYS
) -> list[dict[str, Any]]:
    """Each line as shown to a person, with ``blocks``: the debtors whose chasing it holds on
    ``as_of`` (today by default), as ``debtors_blocked_by_unmatched_credits`` sees them."""
    day = as_of or timezone.localdate()
    pending = {StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED}
    recent_ids: dict[int, list[int]] = defaultdict(list)
    for line in lines:
        if line.amount > 0 and line.status in pending and day - timedelta(days=days) <= line.booking_date <= day:
            recent_ids[line.creditor_id].append(line.pk)
    blocking: dict[int, set[int]] = {}
    for creditor_id, ids_of_creditor in recent_ids.items():
        for start in range(0, len(ids_of_creditor), 5000):
            recent = _recent_credits(creditor_id, day, days).filter(
                pk__in=ids_of_creditor[start : start + 5000]
            )
            blocking.update(_blocked_by_line(creditor_id, recent))
    ids = {debtor for debtors in blocking.values() for debtor in debtors}
    debtors = {
        pk: {"id": pk, "account": account, "name": name}
        for pk, account, name in Debtor.objects.filter(pk__in=ids).values_list(
            "id", "account", "name"
        )
    } if ids else {}
    return [
        {
            "id": line.pk,
            "booking_date": line.booking_date.isoformat(),
            "value_date": line.value_date.isoformat() if line.value_date else None,
            "amount": _money(line.amount),
            "currency": line.currency,
            "counterparty_name": line.counterparty_name,
            "counterparty_iban": line.counterparty_iban,
            "remittance": line.remittance,
            "structured_reference": line.structured_reference,
            "status": line.status,
            "blocks": [debtors[pk] for pk in sorted(blocking.get(line.pk, ())) if pk in debtors],
            "dismissed_at": line.dismissed_at.isoformat() if line.dismissed_at else None,
            "dismissed_by": line.dismissed_by,
            "dismissed_reason": line.dismissed_reason,
        }
        for line in lines
    ]


# --- credits ------------------------------------------------------------------------------------


def debtor_credit(*, debtor: Debtor, currency: str | None = None) -> Decimal:
    """What the debtor has paid beyond what was allocated to invoices (overpayments)."""
    payments = Payment.objects.filter(debtor=debtor)
    allocations = Allocation.objects.filter(payment__debtor=debtor)
    if currency:
        payments = payments.filter(currency=currency)
        allocations = allocations.filter(payment__currency=currency)
    paid = payments.aggregate(total=Sum("amount"))["total"] or ZERO
    allocated = allocations.aggregate(total=Sum("amount"))["total"] or ZERO
    return Decimal(paid - allocated).quantize(Decimal("0.01"))


# --- safe to chase ------------------------------------------------------------------------------


def _recent_credits(creditor_id: int, as_of: date, days: int) -> QuerySet[StatementLine]:
    return StatementLine.objects.filter(
        creditor_id=creditor_id,
        amount__gt=0,
        status__in=[StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED],
        booking_date__gte=as_of - timedelta(days=days),
        booking_date__lte=as_of,
    )


def _payer_names(lines: QuerySet[StatementLine]) -> list[str]:
    names = {
        normalise_name(name)
        for name in lines.exclude(counterparty_name="").values_list("counterparty_name", flat=True)
    }
    return sorted(name for name in names if name)


def _blocked_by_line(creditor_id: int, lines: QuerySet[StatementLine]) -> dict[int, set[int]]:
    """For each of ``lines``, the debtors it may be a payment of: the debtor whose known IBAN
    it comes from, the debtor a suggestion gives it to, debtors named like its payer."""
    rows = list(lines.values_list("id", "counterparty_iban", "counterparty_name"))
    blocked: dict[int, set[int]] = defaultdict(set)
    if not rows:
        return blocked
    by_iban: dict[str, set[int]] = defaultdict(set)
    for iban, debtor_id in KnownIban.objects.filter(
        creditor_id=creditor_id,
        iban__in=lines.exclude(counterparty_iban="").values("counterparty_iban"),
    ).values_list("iban", "debtor_id"):
        by_iban[iban].add(debtor_id)
    for line_id, debtor_id in Match.objects.filter(
        line__in=lines, state=Match.State.SUGGESTED
    ).values_list("line_id", "debtor_id"):
        blocked[line_id].add(debtor_id)
    by_name: dict[str, set[int]] = {}
    payers = _payer_names(lines)
    if payers:
        debtors: dict[int, str] = {}
        for pk, name in (
            Debtor.objects.filter(creditor_id=creditor_id)
            .values_list("id", "name")
            .iterator(chunk_size=20000)
        ):
            normalised = normalise_name(name)
            if normalised:
                debtors[pk] = normalised
        for payer in payers:
            by_name[payer] = {
                pk
                for _, _, pk in process.extract(
                    payer, debtors, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_CUTOFF,
                    limit=None,
                )
            }
    for line_id, iban, name in rows:
        blocked[line_id].update(by_iban.get(iban, ()) if iban else ())
        blocked[line_id].update(by_name.get(normalise_name(name), ()) if name else ())
    return blocked


def debtors_blocked_by_unmatched_credits(
    *, creditor: Creditor, as_of: date, days: int = BLOCK_DAYS
) -> set[int]:
    """Ids of debtors who may have paid: a credit of the last ``days`` days, not yet matched,
    comes from one of their known IBANs, is suggested as theirs, or bears a name like theirs
    (rapidfuzz ≥ 90). Chasing them waits until a person has looked at the line: matched it
    (``relance matches apply``) or dismissed it (``relance bank dismiss``)."""
    blocked: set[int] = set()
    for debtors in _blocked_by_line(creditor.pk, _recent_credits(creditor.pk, as_of, days)).values():
        blocked.update(debtors)
    return blocked


def debtor_has_unmatched_recent_credit(
    *, debtor: Debtor, as_of: date, days: int = BLOCK_DAYS
) -> bool:
    """The one-debtor form of ``debtors_blocked_by_unmatched_credits``."""
    lines = _recent_credits(debtor.creditor_id, as_of, days)
    ibans = KnownIban.objects.filter(debtor=debtor).values("iban")
    if lines.filter(counterparty_iban__in=ibans).exists():
        return True
    if Match.objects.filter(line__in=lines, debtor=debtor, state=Match.State.SUGGESTED).exists():
        return True
    name = normalise_name(debtor.name)
    return bool(name) and any(
        fuzz.token_sort_ratio(payer, name) >= NAME_CUTOFF for payer in _payer_names(lines)
    )


def bank_feed_as_of(*, creditor: Creditor) -> date | None:
    """The newest day the creditor's bank data covers (line booking or statement closing)."""
    newest_line = StatementLine.objects.filter(creditor=creditor).aggregate(day=Max("booking_date"))
    newest_statement = BankStatement.objects.filter(creditor=creditor).aggregate(
        day=Max("closing_date")
    )
    days = [d for d in (newest_line["day"], newest_statement["day"]) if d is not None]
    return max(days) if days else None


def bank_feed_stale(*, creditor: Creditor, as_of: date, max_age_days: int = 3) -> str | None:
    """A message when the bank data is older than ``max_age_days`` on ``as_of``.

    ``None`` when it is fresh, and when the creditor has never imported a statement (then
    nothing can be said about payments, and the ledger alone is the source)."""
    newest = bank_feed_as_of(creditor=creditor)
    if newest is None:
        return None
    age = (as_of - newest).days
    if age <= max_age_days:
        return None
    return (
        f"bank data of {creditor.name} ends on {newest.isoformat()}, {age} days before "
        f"{as_of.isoformat()} (more than {max_age_days}): import the latest statement "
        "(`relance import bank FILE`) so that nobody who has paid is chased"
    )
