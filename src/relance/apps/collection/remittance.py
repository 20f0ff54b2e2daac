"""The remittance statement an agency owes the creditor it collects for (CPCE R124-5).

Every payment received from the creditor's debtors during a period (the mandate's days only),
with the invoices it settled and the agency's commission on it (``domain.law.agency
.commission``, to the cent on each payment); the totals are the sums of the lines. The payments
counted are money received (a bank statement matched, a payment entered or reported in a status
file), never a settlement a ledger import reports nor a credit note applied: no money moved
through the agency there.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
class Remittance:
    creditor: str
    agency: str
    rate: Decimal
    start: date
    end: date
    lines: tuple[RemittanceLine, ...]

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
    return Remittance(creditor.name, mandate.name, mandate.commission_rate, start, end, lines)


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
