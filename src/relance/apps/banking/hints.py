"""What the bank says about debtors a person is about to chase: money that may be theirs.

``credit_hints`` gives, for a page of debtors (the worklist's approval table), the facts that
should make a person look twice before approving a reminder: a payment received lately, a
match the matcher suggested and nobody confirmed, a recent credit nobody matched that comes
from the debtor's IBAN, bears a name like the debtor's, or is of exactly an amount the debtor is
asked for (the letter's claim, or the debtor's overdue total). A fixed number of queries for
the whole page, the fuzzy name comparison only against the page's debtors. Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from rapidfuzz import fuzz, process

from relance.apps.banking.models import KnownIban, Match, StatementLine
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Payment
from relance.domain.matching import normalise_name

HINT_DAYS = 30  # how far back a credit or a payment is worth flagging
NAME_CUTOFF = 90.0


@dataclass(frozen=True)
class CreditHint:
    """One fact: ``kind`` is ``payment`` (received and recorded), ``suggested`` (a match waits
    for a person), ``same_amount`` (an unmatched credit of exactly an amount asked for) or
    ``unmatched`` (an unmatched credit from the debtor's IBAN or name)."""

    kind: str
    amount: Decimal
    day: date
    line_id: int | None = None
    confidence: Decimal | None = None


def credit_hints(
    *,
    creditor: Creditor,
    debtor_ids: Iterable[int],
    asked: Mapping[int, Iterable[Decimal]],
    as_of: date,
    days: int = HINT_DAYS,
) -> dict[int, list[CreditHint]]:
    """Per debtor of ``debtor_ids``, the hints of the last ``days`` days (see the module), the
    strongest first. ``asked``: per debtor, the amounts it is being asked for."""
    ids = sorted(set(debtor_ids))
    hints: dict[int, list[CreditHint]] = defaultdict(list)
    if not ids:
        return hints
    since = as_of - timedelta(days=days)
    for debtor_id, amount, day in Payment.objects.filter(
        creditor=creditor, debtor_id__in=ids, amount__gt=0, value_date__gte=since,
        value_date__lte=as_of,
    ).values_list("debtor_id", "amount", "value_date"):
        hints[debtor_id].append(CreditHint("payment", amount, day))
    lines = StatementLine.objects.filter(
        creditor=creditor,
        amount__gt=0,
        status__in=[StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED],
        booking_date__gte=since,
        booking_date__lte=as_of,
    )
    flagged: dict[int, set[int]] = defaultdict(set)  # debtor → lines already said
    for debtor_id, line_id, amount, day, confidence in Match.objects.filter(
        creditor=creditor, debtor_id__in=ids, state=Match.State.SUGGESTED, line__in=lines
    ).values_list("debtor_id", "line_id", "line__amount", "line__booking_date", "confidence"):
        hints[debtor_id].append(CreditHint("suggested", amount, day, line_id, confidence))
        flagged[debtor_id].add(line_id)
    rows = list(
        lines.values_list("id", "amount", "booking_date", "counterparty_iban", "counterparty_name")
    )
    if rows:
        by_amount: dict[Decimal, list[int]] = defaultdict(list)
        by_iban: dict[str, list[int]] = defaultdict(list)
        by_payer: dict[str, list[int]] = defaultdict(list)
        for n, (_, amount, _, iban, payer) in enumerate(rows):
            by_amount[amount].append(n)
            if iban:
                by_iban[iban].append(n)
            if payer and normalise_name(payer):
                by_payer[normalise_name(payer)].append(n)
        found: dict[int, dict[int, str]] = defaultdict(dict)  # debtor → row → kind
        for iban, debtor_id in KnownIban.objects.filter(
            creditor=creditor, debtor_id__in=ids
        ).values_list("iban", "debtor_id"):
            for n in by_iban.get(iban, ()):
                found[debtor_id][n] = "unmatched"
        payers = list(by_payer)
        for pk, name in Debtor.objects.filter(pk__in=ids).values_list("pk", "name"):
            normalised = normalise_name(name)
            if normalised and payers:
                for payer, _, _ in process.extract(
                    normalised, payers, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_CUTOFF,
                    limit=None,
                ):
                    for n in by_payer[payer]:
                        found[pk][n] = "unmatched"
        for debtor_id in ids:
            for amount in {Decimal(a) for a in asked.get(debtor_id, ())}:
                for n in by_amount.get(amount, ()):
                    found[debtor_id][n] = "same_amount"
        for debtor_id, seen in found.items():
            for n, kind in seen.items():
                line_id, amount, day, _, _ = rows[n]
                if line_id not in flagged[debtor_id]:
                    hints[debtor_id].append(CreditHint(kind, amount, day, line_id))
    order = {"same_amount": 0, "suggested": 1, "unmatched": 2, "payment": 3}
    for listed in hints.values():
        listed.sort(key=lambda h: (order[h.kind], -h.day.toordinal()))
    return hints
