"""The remittance statement an agency owes the creditor it collects for (CPCE R124-5).

Every payment received from the creditor's debtors during a period (the mandate's days only),
with the invoices it settled and the agency's commission on it (``domain.law.agency
.commission``, to the cent on each payment); the totals are the sums of the lines. The payments
counted are money received (a bank statement matched, a payment entered or reported in a status
file), never a settlement a ledger import reports nor a credit note applied: no money moved
through the agency there.

R124-5 also has the agency report the debtor's proposals to pay otherwise than at once: the
statement lists the promises to pay and the payment plans recorded in the period, and the plans
an agency or a lawyer reported in a status file (``proposals``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.utils import timezone

from relance.apps.collection.models import PaymentPlan, Promise, StatusReport
from relance.apps.creditors.models import AgencyMandate, Creditor
from relance.apps.ledger.models import Allocation, Payment
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law.agency import commission
from relance.formats.export import Cell, Table

ZERO = Decimal("0.00")
RECEIVED = (Payment.Origin.BANK, Payment.Origin.MANUAL)


@dataclass(frozen=True, slots=True)
class RemittanceLine:
    value_date: date
    account: str
    debtor: str
    reference: str
    invoices: str
    amount: Decimal
    commission: Decimal

    @property
    def net(self) -> Decimal:
        return self.amount - self.commission


@dataclass(frozen=True, slots=True)
class Proposal:
    """A debtor's proposal to pay otherwise than at once, as recorded (``kind``: promise, plan,
    reported_plan); ``terms``: the promised day, or the instalments' days."""

    day: date
    account: str
    debtor: str
    kind: str
    amount: Decimal
    terms: str


@dataclass(frozen=True, slots=True)
class Remittance:
    creditor: str
    agency: str
    rate: Decimal
    start: date
    end: date
    lines: tuple[RemittanceLine, ...]
    proposals: tuple[Proposal, ...] = ()

    @property
    def collected(self) -> Decimal:
        return sum((x.amount for x in self.lines), ZERO)

    @property
    def commission(self) -> Decimal:
        return sum((x.commission for x in self.lines), ZERO)

    @property
    def net(self) -> Decimal:
        return self.collected - self.commission


def remittance_statement(*, creditor: Creditor, start: date, end: date) -> Remittance:
    """The payments received for ``creditor`` from ``start`` to ``end`` (both included) under
    its agency's mandate, each with the commission; ``NotFoundError`` without an agency."""
    mandate = AgencyMandate.objects.filter(creditor=creditor).first()
    if mandate is None:
        raise NotFoundError(f"No agency collects for {creditor.name} (relance agency set).")
    if end < start:
        raise InvalidInputError(f"The period ends ({end}) before it starts ({start}).")
    payments = list(
        Payment.objects.filter(
            creditor=creditor, origin__in=RECEIVED, amount__gt=0, debtor__isnull=False,
            value_date__gte=max(start, mandate.since), value_date__lte=end,
        ).select_related("debtor").order_by("value_date", "pk")
    )
    numbers: dict[int, list[str]] = defaultdict(list)
    for payment_id, number in (
        Allocation.objects.filter(payment_id__in=[p.pk for p in payments], amount__gt=0)
        .order_by("invoice__due_date", "invoice__number").values_list("payment_id", "invoice__number")
    ):
        numbers[payment_id].append(number)
    lines = tuple(
        RemittanceLine(p.value_date, p.debtor.account if p.debtor else "", p.debtor.name if p.debtor else "",
                       p.reference, " ".join(numbers.get(p.pk, [])), p.amount,
                       commission(p.amount, mandate.commission_rate))
        for p in payments
    )
    first = max(start, mandate.since)
    return Remittance(creditor.name, mandate.name, mandate.commission_rate, start, end, lines,
                      _proposals(creditor, first, end))


def _proposals(creditor: Creditor, start: date, end: date) -> tuple[Proposal, ...]:
    found: list[Proposal] = []
    for promise in Promise.objects.filter(creditor=creditor).select_related("debtor"):
        day = timezone.localdate(promise.created_at)
        if start <= day <= end:
            found.append(Proposal(day, promise.debtor.account, promise.debtor.name, "promise", promise.amount,
                                  promise.promised_date.isoformat()))
    for plan in PaymentPlan.objects.filter(creditor=creditor).select_related("debtor").prefetch_related("instalments"):
        day = timezone.localdate(plan.created_at)
        if start <= day <= end:
            found.append(Proposal(day, plan.debtor.account, plan.debtor.name, "plan", plan.total_amount,
                                  " ".join(i.due_date.isoformat() for i in plan.instalments.all())))
    for report in StatusReport.objects.filter(
        stage__creditor=creditor, status="plan", report_date__gte=start, report_date__lte=end
    ).select_related("stage__case__debtor"):
        debtor = report.stage.case.debtor
        found.append(Proposal(report.report_date, debtor.account, debtor.name, "reported_plan", report.amount,
                              report.stage.reference))
    return tuple(sorted(found, key=lambda p: (p.day, p.account)))


def remittance_table(remittance: Remittance) -> Table:
    """The statement as a sheet, a total line at the end."""
    rows: list[tuple[Cell, ...]] = [
        (x.value_date, x.account, x.debtor, x.reference, x.invoices, x.amount, remittance.rate, x.commission, x.net)
        for x in remittance.lines
    ]
    rows.append((None, "", "TOTAL", "", "", remittance.collected, remittance.rate, remittance.commission, remittance.net))
    return Table(
        "remittance",
        ("date", "account", "debtor", "payment_reference", "invoices", "amount", "commission_rate",
         "commission", "net"),
        rows,
    )
