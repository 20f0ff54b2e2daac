"""Reading the ledger: invoice lists, aging (balance âgée) and DSO, as set-based queries."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case, CharField, Count, QuerySet, Sum, Value, When

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.domain.errors import NotFoundError
from relance.domain.money import round_cents

BUCKETS = ("not_due", "1_30", "31_60", "61_90", "over_90")
DSO_WINDOW_DAYS = 90
ZERO = Decimal("0.00")


def debtor_get(*, creditor: Creditor, account: str) -> Debtor:
    """The creditor's debtor with this account number; ``NotFoundError`` when it has none."""
    debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
    if debtor is None:
        raise NotFoundError(f"no debtor with account {account!r} for {creditor.name}")
    return debtor


def invoices_list(
    *, creditor: Creditor, debtor_account: str | None = None, only_open: bool = False
) -> QuerySet[Invoice]:
    qs = Invoice.objects.filter(creditor=creditor).select_related("debtor")
    if debtor_account:
        qs = qs.filter(debtor__account=debtor_account)
    if only_open:
        qs = qs.filter(status=Invoice.Status.OPEN)
    return qs.order_by("due_date", "number")


def invoice_rows(qs: QuerySet[Invoice]) -> Iterator[dict[str, Any]]:
    for number, account, issue, due, currency, total, open_, status in qs.values_list(
        "number", "debtor__account", "issue_date", "due_date", "currency",
        "total_amount", "open_amount", "status",
    ).iterator(chunk_size=5000):
        yield {
            "number": number,
            "debtor_account": account,
            "issue_date": issue.isoformat(),
            "due_date": due.isoformat(),
            "currency": currency,
            "total_amount": str(total),
            "open_amount": str(open_),
            "status": status,
        }


def _bucket_expression(as_of: date) -> Case:
    return Case(
        When(due_date__gte=as_of, then=Value("not_due")),
        When(due_date__gte=as_of - timedelta(days=30), then=Value("1_30")),
        When(due_date__gte=as_of - timedelta(days=60), then=Value("31_60")),
        When(due_date__gte=as_of - timedelta(days=90), then=Value("61_90")),
        default=Value("over_90"),
        output_field=CharField(),
    )


@dataclass
class AgingLine:
    currency: str
    buckets: dict[str, Decimal] = field(default_factory=lambda: dict.fromkeys(BUCKETS, ZERO))
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(BUCKETS, 0))
    debtor_account: str | None = None
    debtor_name: str | None = None

    @property
    def total(self) -> Decimal:
        return sum(self.buckets.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.buckets["not_due"]

    def as_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {}
        if self.debtor_account is not None:
            d["debtor_account"] = self.debtor_account
            d["debtor_name"] = self.debtor_name
        d["currency"] = self.currency
        d.update({b: str(round_cents(self.buckets[b])) for b in BUCKETS})
        d["total"] = str(round_cents(self.total))
        d["overdue"] = str(round_cents(self.overdue))
        d["invoices"] = sum(self.counts.values())
        return d


@dataclass
class AgingReport:
    as_of: date
    totals: list[AgingLine]
    debtors: list[AgingLine] | None
    dso: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "as_of": self.as_of.isoformat(),
            "buckets": list(BUCKETS),
            "totals": [line.as_dict() for line in self.totals],
            "dso": self.dso,
        }
        if self.debtors is not None:
            out["debtors"] = [line.as_dict() for line in self.debtors]
        return out


def aging_report(*, creditor: Creditor, as_of: date, by_debtor: bool = False) -> AgingReport:
    """Open amounts by days past due as of ``as_of``, per currency (and per debtor).

    Days past due = ``as_of`` − due date: 0 or less is not due, then 1–30, 31–60, 61–90, over 90.
    Amounts are the open amounts as the ledger holds them now.
    """
    base = Invoice.objects.filter(creditor=creditor, status=Invoice.Status.OPEN).annotate(
        bucket=_bucket_expression(as_of)
    )
    totals: dict[str, AgingLine] = {}
    rows = base.values("currency", "bucket").annotate(amount=Sum("open_amount"), n=Count("id"))
    for row in rows:
        line = totals.setdefault(row["currency"], AgingLine(row["currency"]))
        line.buckets[row["bucket"]] += row["amount"]
        line.counts[row["bucket"]] += row["n"]
    debtors: list[AgingLine] | None = None
    if by_debtor:
        per: dict[tuple[int, str], AgingLine] = {}
        for row in base.values(
            "debtor_id", "debtor__account", "debtor__name", "currency", "bucket"
        ).annotate(amount=Sum("open_amount"), n=Count("id")):
            key = (row["debtor_id"], row["currency"])
            found = per.get(key)
            if found is None:
                found = per[key] = AgingLine(
                    row["currency"], debtor_account=row["debtor__account"], debtor_name=row["debtor__name"]
                )
            found.buckets[row["bucket"]] += row["amount"]
            found.counts[row["bucket"]] += row["n"]
        debtors = sorted(per.values(), key=lambda line: (-line.overdue, line.debtor_account or ""))
    return AgingReport(
        as_of=as_of,
        totals=sorted(totals.values(), key=lambda line: line.currency),
        debtors=debtors,
        dso=dso(creditor=creditor, as_of=as_of, receivables={c: line.total for c, line in totals.items()}),
    )


def dso(
    *, creditor: Creditor, as_of: date, receivables: dict[str, Decimal], window_days: int = DSO_WINDOW_DAYS
) -> dict[str, Any]:
    """Days sales outstanding, simple method: receivables ÷ sales of the last window × window days."""
    start = as_of - timedelta(days=window_days)
    sales = {
        row["currency"]: row["total"]
        for row in Invoice.objects.filter(
            creditor=creditor, issue_date__gt=start, issue_date__lte=as_of
        )
        .values("currency")
        .annotate(total=Sum("total_amount"))
    }
    by_currency = {}
    for currency, open_total in sorted(receivables.items()):
        sold = sales.get(currency) or ZERO
        value = (open_total / sold * window_days).quantize(Decimal("0.1")) if sold > 0 else None
        by_currency[currency] = {
            "days": str(value) if value is not None else None,
            "receivables": str(round_cents(open_total)),
            "sales": str(round_cents(sold)),
        }
    return {"method": f"receivables / sales of the last {window_days} days x {window_days}",
            "window_days": window_days, "by_currency": by_currency}


__all__ = ["BUCKETS", "AgingReport", "aging_report", "invoice_rows", "invoices_list"]
