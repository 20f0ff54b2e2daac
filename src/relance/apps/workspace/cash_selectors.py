"""What the cash application page shows: the credits waiting for a person, what each may pay,
why the matcher thinks so, and what applying it does to the chase.

The matcher (``relance.domain.matching``) writes its reasons in English, stored with each
match; ``reason_text`` says them in the page's language, each known sentence through the
catalogue with its values kept. A reason it does not know is shown as stored.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Sum
from django.utils import formats
from django.utils.translation import gettext, gettext_lazy

from relance.apps.banking.models import KnownIban, Match, StatementLine
from relance.apps.banking.selectors import lines_summary
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.workspace.views.labels import STEP_LABELS

ZERO = Decimal("0.00")
PAGE_LINES = 50
CANDIDATES = 5

# The matcher's sentences (domain/matching.py), each with the words the page says instead.
_WHERE = {
    "structured reference": gettext_lazy("the structured reference"),
    "remittance text": gettext_lazy("the remittance text"),
    "end-to-end id": gettext_lazy("the end-to-end id"),
    "bank label": gettext_lazy("the bank label"),
}
_REASONS: list[tuple[re.Pattern[str], Any]] = [
    (re.compile(r"numbers of (?P<n>\d+) debtors found; kept those of (?P<debtor>.+)"),
     gettext_lazy("numbers of %(n)s debtors found; kept those of %(debtor)s")),
    (re.compile(r"invoice number (?P<number>.+) found in (?P<where>.+)"),
     gettext_lazy("invoice number %(number)s found in %(where)s")),
    (re.compile(r"already settled by an earlier line: (?P<numbers>.+)"),
     gettext_lazy("already settled by an earlier line: %(numbers)s")),
    (re.compile(r"nothing left open on the quoted invoices; (?P<amount>[\d.]+) kept as a credit"),
     gettext_lazy("nothing left open on the quoted invoices; %(amount)s kept as a credit")),
    (re.compile(r"amount equals the open amount of the invoices"),
     gettext_lazy("the amount equals the open amount of the invoices")),
    (re.compile(r"amount equals the open amount of invoice (?P<number>.+), the only one with it"),
     gettext_lazy("the amount equals the open amount of invoice %(number)s, the only one")),
    (re.compile(r"amount equals the open amount of invoice (?P<number>.+)"),
     gettext_lazy("the amount equals the open amount of invoice %(number)s")),
    (re.compile(r"amount equals the open amount"),
     gettext_lazy("the amount equals the open amount")),
    (re.compile(r"partial payment: (?P<amount>[\d.]+) of (?P<open>[\d.]+) open, oldest due first"),
     gettext_lazy("partial payment: %(amount)s of %(open)s open, oldest due first")),
    (re.compile(r"overpayment of (?P<amount>[\d.]+) kept as a credit"),
     gettext_lazy("overpayment of %(amount)s kept as a credit")),
    (re.compile(r"IBAN known from earlier matches with another debtor \((?P<debtor>.+)\)"),
     gettext_lazy("IBAN known from earlier payments of another debtor (%(debtor)s)")),
    (re.compile(r"IBAN known from earlier matches"),
     gettext_lazy("IBAN known from this debtor's earlier payments")),
    (re.compile(r"payer name (?P<payer>.+) ~ (?P<name>.+) (?P<score>\d+)%"),
     gettext_lazy("payer's name %(payer)s close to %(name)s (%(score)s %%)")),
    (re.compile(r"no open invoice for this debtor; (?P<amount>[\d.]+) kept as a credit"),
     gettext_lazy("no open invoice for this debtor; %(amount)s kept as a credit")),
    (re.compile(r"amount equals the debtor's (?P<n>\d+) open invoices"),
     gettext_lazy("the amount equals the debtor's %(n)s open invoices")),
    (re.compile(r"amount matches no invoice; allocated oldest due first"),
     gettext_lazy("the amount matches no invoice; allocated oldest due first")),
    (re.compile(r"chosen by a person"), gettext_lazy("chosen by a person")),
]


def reason_text(reason: str) -> str:
    """One of the matcher's reasons in the page's language."""
    for pattern, template in _REASONS:
        found = pattern.fullmatch(reason)
        if found is None:
            continue
        values: dict[str, Any] = {}
        for key, value in found.groupdict().items():
            if key in ("amount", "open"):
                value = _money(Decimal(value))
            elif key == "where":
                value = str(_WHERE.get(value, value))
            elif key in ("payer", "name"):
                value = f"« {value.strip(chr(39)).strip(chr(34))} »"
            values[key] = value
        return str(template) % values
    return reason


@dataclass
class Candidate:
    """One way the credit may be applied: a debtor's invoices, and what it does to the chase."""

    debtor: Debtor
    invoices: list[tuple[Invoice, Decimal]]
    credit_left: Decimal
    effect: str
    match: Match | None = None  # the stored suggestion, when it is one
    confidence: Decimal | None = None
    reasons: list[str] = field(default_factory=list)


@dataclass
class CashLine:
    line: StatementLine
    candidates: list[Candidate]
    blocks: list[dict[str, Any]]
    debtor_invoices: dict[int, list[Invoice]] = field(default_factory=dict)


def _money(amount: Decimal) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def _chase_facts(debtor: Debtor) -> tuple[Decimal, Any, list[Any]]:
    """The debtor's open total, its open case and the case's pending actions."""
    from relance.apps.collection.models import PENDING_ACTION_STATES, Action, Case

    open_total = Invoice.objects.filter(
        debtor=debtor, status=Invoice.Status.OPEN, open_amount__gt=0
    ).aggregate(total=Sum("open_amount"))["total"] or ZERO
    case = Case.objects.filter(debtor=debtor).exclude(
        status__in=[Case.Status.CLOSED_PAID, Case.Status.CLOSED_WRITTEN_OFF]
    ).first()
    pending = list(
        Action.objects.filter(case=case, state__in=PENDING_ACTION_STATES).order_by("planned_date")
    ) if case else []
    return open_total, case, pending


def chase_effect(
    *, debtor: Debtor, applied: Decimal, as_of: date,
    known: dict[int, tuple[Decimal, Any, list[Any]]] | None = None,
) -> str:
    """What applying ``applied`` to ``debtor``'s open invoices does to its chase, said plainly
    (``known`` keeps each debtor's facts across the candidates of one page)."""
    from relance.apps.collection.models import Case

    known = {} if known is None else known
    if debtor.pk not in known:
        known[debtor.pk] = _chase_facts(debtor)
    open_total, case, pending = known[debtor.pk]
    left = open_total - applied
    steps = ", ".join(
        gettext("%(step)s planned on %(date)s")
        % {"step": STEP_LABELS.get(a.step_key, a.step_key), "date": formats.date_format(a.planned_date, "SHORT_DATE_FORMAT")}
        for a in pending
    )
    if left <= 0:
        if case is None:
            return gettext("Every open invoice is paid; no chase was under way.")
        if case.status == Case.Status.LEGAL:
            return gettext(
                "Every open invoice is paid; the case is with the legal route: tell them."
            )
        if pending:
            return gettext("The case closes; cancelled: %(steps)s.") % {"steps": steps}
        return gettext("The case closes.")
    said = gettext("%(left)s stays open; the chase goes on.") % {"left": _money(left)}
    if pending:
        said += " " + gettext("Still planned: %(steps)s.") % {"steps": steps}
    return said


def _allocation_preview(
    invoices: list[Invoice], amount: Decimal
) -> tuple[list[tuple[Invoice, Decimal]], Decimal]:
    rows, left = [], amount
    for invoice in sorted(invoices, key=lambda i: (i.due_date, i.pk)):
        take = min(left, invoice.open_amount)
        if take > 0:
            rows.append((invoice, take))
            left -= take
    return rows, left


def cash_lines(*, creditor: Creditor, as_of: date) -> tuple[list[CashLine], int]:
    """The credits waiting for a person (unmatched or suggested), newest first, each with its
    candidates; and how many are waiting in all."""
    waiting = StatementLine.objects.filter(
        creditor=creditor,
        amount__gt=0,
        status__in=[StatementLine.Status.UNMATCHED, StatementLine.Status.SUGGESTED],
    ).order_by("-booking_date", "-id")
    count = waiting.count()
    lines = list(waiting[:PAGE_LINES])
    summaries = {row["id"]: row for row in lines_summary(lines, as_of=as_of)}
    suggestions: dict[int, list[Match]] = defaultdict(list)
    for match in (
        Match.objects.filter(line__in=lines, state=Match.State.SUGGESTED)
        .select_related("debtor")
        .prefetch_related("allocations__invoice")
        .order_by("-confidence", "id")
    ):
        suggestions[match.line_id].append(match)
    ibans = dict(KnownIban.objects.filter(
            creditor=creditor, iban__in={line.counterparty_iban for line in lines if line.counterparty_iban}
        ).select_related("debtor").values_list("iban", "debtor"))
    known = {d.pk: d for d in Debtor.objects.filter(pk__in=set(ibans.values()))}
    # Invoices open for exactly a waiting credit's amount: one query for the whole page.
    by_amount: dict[tuple[str, Decimal], list[Invoice]] = defaultdict(list)
    unmatched = [line for line in lines if line.status == StatementLine.Status.UNMATCHED]
    if unmatched:
        for invoice in Invoice.objects.filter(
            creditor=creditor, status=Invoice.Status.OPEN, kind=Invoice.Kind.INVOICE,
            open_amount__in={line.amount for line in unmatched},
        ).select_related("debtor").order_by("due_date", "id")[: CANDIDATES * len(unmatched) * 4]:
            by_amount[(invoice.currency, invoice.open_amount)].append(invoice)
    facts: dict[int, tuple[Decimal, Any, list[Any]]] = {}
    result = []
    for line in lines:
        candidates: list[Candidate] = []
        seen: set[int] = set()
        for match in suggestions.get(line.pk, []):
            rows = [(a.invoice, a.amount) for a in match.allocations.all()]
            applied = sum((amount for _, amount in rows), ZERO)
            candidates.append(
                Candidate(
                    debtor=match.debtor,
                    invoices=rows,
                    credit_left=line.amount - applied,
                    effect=chase_effect(
                        debtor=match.debtor, applied=applied, as_of=as_of, known=facts
                    ),
                    match=match,
                    confidence=match.confidence,
                    reasons=[reason_text(r) for r in match.reasons],
                )
            )
            seen.update(invoice.pk for invoice, _ in rows)
        others: list[tuple[Debtor, list[Invoice], str]] = []
        same = [
            i for i in by_amount.get((line.currency, line.amount), []) if i.pk not in seen
        ][:CANDIDATES]
        for invoice in same:
            others.append((invoice.debtor, [invoice], gettext(
                "the amount equals the open amount of invoice %(number)s"
            ) % {"number": invoice.number}))
        payer = known.get(ibans.get(line.counterparty_iban, -1)) if line.counterparty_iban else None
        if payer is not None and not any(c.debtor.pk == payer.pk for c in candidates):
            open_ones = list(
                Invoice.objects.filter(
                    debtor=payer, status=Invoice.Status.OPEN, currency=line.currency,
                    open_amount__gt=0,
                ).exclude(pk__in=seen).order_by("due_date", "id")[:CANDIDATES]
            )
            if open_ones:
                others.append((payer, open_ones, gettext(
                    "IBAN known from this debtor's earlier payments"
                )))
        for debtor, invoices, why in others:
            rows, left = _allocation_preview(invoices, line.amount)
            applied = line.amount - left
            candidates.append(
                Candidate(
                    debtor=debtor, invoices=rows, credit_left=left,
                    effect=chase_effect(debtor=debtor, applied=applied, as_of=as_of, known=facts),
                    reasons=[why],
                )
            )
        summary = summaries.get(line.pk, {})
        result.append(CashLine(line=line, candidates=candidates, blocks=summary.get("blocks", [])))
    return result, count


def cash_invoice(*, creditor: Creditor, number: str = "", invoice_id: int | None = None) -> Invoice | None:
    """The creditor's invoice (not a credit note) by its number or its id, with its debtor."""
    qs = Invoice.objects.filter(creditor=creditor, kind=Invoice.Kind.INVOICE).select_related("debtor")
    if invoice_id is not None:
        return qs.filter(pk=invoice_id).first()
    return qs.filter(number=number.strip()).first() if number.strip() else None
