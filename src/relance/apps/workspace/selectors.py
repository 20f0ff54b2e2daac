"""Reads of the workspace: grants, throttling, whether collection is installed, the dashboard,
imports. The debtor list and page read through ``debtor_selectors``, the worklist through
``worklist_selectors``.

Every read takes the creditor the person is working for and filters on it first, so an id from
another creditor is simply not found. Lists are set-based: one aggregated query per page.
"""

from __future__ import annotations

import calendar
import importlib.util
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection
from django.db.models import Count, OuterRef, Q, Sum

from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, ImportBatch, Invoice, Payment
from relance.apps.ledger.selectors import BUCKETS, aging_report
from relance.apps.ledger.writer import MONEY_ORIGINS
from relance.apps.workspace import figures
from relance.apps.workspace.models import ImportUpload, Membership
from relance.domain.errors import NotFoundError

ZERO = Decimal("0.00")


ROLE_RANK = {Membership.Role.VIEWER: 0, Membership.Role.COLLECTOR: 1, Membership.Role.ADMIN: 2}


PAGE_SIZE = 50
# A login is refused after this many failures for one name within the window (services.py
# records the failures and forgets those older than four windows).
THROTTLE_FAILURES = 5
THROTTLE_WINDOW = timedelta(minutes=15)


SORTS = ("overdue", "days", "name")


FILTERS = ("overdue", "dispute", "plan", "hold")


# --- access ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    creditor: Creditor
    role: str

    def allows(self, role: str) -> bool:
        return ROLE_RANK[self.role] >= ROLE_RANK[role]  # type: ignore[index]


def grants_for(*, user: AbstractBaseUser | AnonymousUser) -> list[Grant]:
    """The creditors ``user`` may open, with the role on each. Superusers administer them all."""
    if not user.is_authenticated:
        return []
    if getattr(user, "is_superuser", False):
        return [Grant(c, Membership.Role.ADMIN) for c in Creditor.objects.order_by("name", "id")]
    return [
        Grant(m.creditor, m.role)
        for m in Membership.objects.filter(user_id=user.pk).select_related("creditor").order_by("creditor__name", "creditor_id")
    ]


def grant_choose(*, grants: list[Grant], creditor_id: Any) -> Grant | None:
    """The grant for the creditor kept in the session, else the first one."""
    if not grants:
        return None
    for grant in grants:
        if str(grant.creditor.pk) == str(creditor_id):
            return grant
    return grants[0]


# --- the collection app, when it is installed with its tables ------------------------------------------


@cache
def _collection_ready() -> bool:
    if importlib.util.find_spec("relance.apps.collection.selectors") is None:
        return False
    from relance.apps.collection.models import Action, Case, Dispute, PaymentPlan, Promise

    tables = set(connection.introspection.table_names())
    return all(m._meta.db_table in tables for m in (Action, Case, Dispute, PaymentPlan, Promise))


def collection_ready() -> bool:
    try:
        return _collection_ready()
    except (ImportError, AttributeError):
        return False


# --- dashboard ------------------------------------------------------------------------------------


@dataclass
class Bar:
    bucket: str
    amount: Decimal
    count: int
    percent: float


@dataclass
class DsoPoint:
    month_end: date
    days: Decimal | None
    percent: float = 0.0


@dataclass
class Dashboard:
    as_of: date
    currency: str
    open_total: Decimal
    overdue_total: Decimal
    open_count: int
    bars: list[Bar]
    dso: list[DsoPoint]
    dso_now: Decimal | None
    collected: list[tuple[str, Decimal]]
    collected_by: str
    collected_total: Decimal
    # Settlements known only from ledger imports this month (not money seen arriving), dated
    # by the file's payment date when it gives one, else the day of the import.
    settled_per_accounts: Decimal = ZERO
    promises_due: list[Any] = field(default_factory=list)
    promises_broken: list[Any] = field(default_factory=list)
    has_collection: bool = False
    limits: list[Any] = field(default_factory=list)  # claims within 90 days of their time limit


def _month_ends(as_of: date, months: int) -> list[date]:
    ends = [as_of]
    year, month = as_of.year, as_of.month
    for _ in range(months - 1):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        ends.append(date(year, month, calendar.monthrange(year, month)[1]))
    return list(reversed(ends))


def dso_series(*, creditor: Creditor, as_of: date, currency: str, months: int = 12, window_days: int = 90) -> list[DsoPoint]:
    """DSO at each of the last ``months`` month ends (the current month: ``as_of``).

    Receivables at a date: invoices issued by then less what was allocated to them by then;
    sales: invoices issued in the ``window_days`` before. Two aggregate queries in all.

    Only dated facts count: a settlement a ledger export reported without its date is known
    from the day of the import, so a month end before that day, whose receivables it may or
    may not have lowered, has no figure (None) rather than a guess.
    """
    ends = _month_ends(as_of, months)
    invoices = Invoice.objects.filter(creditor=creditor, currency=currency)
    sums: dict[str, Any] = {}
    for i, end in enumerate(ends):
        sums[f"r{i}"] = Sum("total_amount", filter=Q(issue_date__lte=end))
        sums[f"s{i}"] = Sum("total_amount", filter=Q(issue_date__gt=end - timedelta(days=window_days), issue_date__lte=end))
    totals = invoices.aggregate(**sums)
    paid = Allocation.objects.filter(invoice__creditor=creditor, invoice__currency=currency).aggregate(**{
        f"p{i}": Sum("amount", filter=Q(payment__value_date__lte=end, invoice__issue_date__lte=end))
        for i, end in enumerate(ends)
    }, **{
        f"u{i}": Count("id", filter=Q(payment__is_dated=False, payment__value_date__gt=end, invoice__issue_date__lte=end))
        for i, end in enumerate(ends)
    })
    points = []
    for i, end in enumerate(ends):
        receivable = (totals[f"r{i}"] or ZERO) - (paid[f"p{i}"] or ZERO)
        sales = totals[f"s{i}"] or ZERO
        known = not paid[f"u{i}"]
        days = (receivable / sales * window_days).quantize(Decimal("1")) if sales > 0 and known else None
        points.append(DsoPoint(end, days))
    top = max((p.days for p in points if p.days is not None), default=None)
    for p in points:
        p.percent = float(p.days / top * 100) if top and p.days is not None and p.days > 0 else 0.0
    return points


def collected_in_month(*, creditor: Creditor, as_of: date, currency: str) -> tuple[str, list[tuple[str, Decimal]]]:
    """Money that arrived this month (bank matches, payments recorded with their date), by the
    day it arrived, applied to invoices: by the step that preceded it (or by origin)."""
    allocations = Allocation.objects.filter(
        invoice__creditor=creditor, invoice__currency=currency, payment__origin__in=MONEY_ORIGINS,
        payment__value_date__gte=as_of.replace(day=1), payment__value_date__lte=as_of,
    )
    if collection_ready():
        from django.db.models import Subquery

        from relance.apps.collection.models import Action

        last_step = Action.objects.filter(
            debtor_id=OuterRef("invoice__debtor_id"), state="sent",
            sent_at__date__lte=OuterRef("payment__value_date"),
        ).order_by("-sent_at").values("step_key")[:1]
        rows = allocations.annotate(step=Subquery(last_step)).values("step", "payment__origin").annotate(total=Sum("amount"))
        by: dict[str, Decimal] = {}
        for r in rows:  # money that came in with no step before it is shown by origin
            key = r["step"] or r["payment__origin"]
            by[key] = by.get(key, ZERO) + r["total"]
        return "step", sorted(by.items(), key=lambda kv: -kv[1])
    origins = allocations.values("payment__origin").annotate(total=Sum("amount")).order_by("-total")
    return "origin", [(r["payment__origin"], r["total"]) for r in origins]


def settled_per_accounts_in_month(*, creditor: Creditor, as_of: date, currency: str) -> Decimal:
    """What ledger imports reported settled this month: known from the accounts, not seen
    arriving; dated by the file's payment date, else by the import's day."""
    total = Allocation.objects.filter(
        invoice__creditor=creditor, invoice__currency=currency, payment__origin=Payment.Origin.LEDGER,
        payment__value_date__gte=as_of.replace(day=1), payment__value_date__lte=as_of,
    ).aggregate(total=Sum("amount"))["total"]
    return Decimal(total or ZERO).quantize(Decimal("0.01"))


def _ledger_board(*, creditor: Creditor, as_of: date) -> Dashboard:
    report = aging_report(creditor=creditor, as_of=as_of)
    main = max(report.totals, key=lambda line: line.total, default=None)
    currency = main.currency if main else "EUR"
    top = max((main.buckets[b] for b in BUCKETS), default=ZERO) if main else ZERO
    bars = [
        Bar(b, main.buckets[b] if main else ZERO, main.counts[b] if main else 0,
            float(main.buckets[b] / top * 100) if main and top > 0 else 0.0)
        for b in BUCKETS
    ]
    series = dso_series(creditor=creditor, as_of=as_of, currency=currency)
    collected_by, collected = collected_in_month(creditor=creditor, as_of=as_of, currency=currency)
    return Dashboard(
        as_of=as_of, currency=currency,
        open_total=main.total if main else ZERO, overdue_total=main.overdue if main else ZERO,
        open_count=sum(main.counts.values()) if main else 0,
        bars=bars, dso=series, dso_now=series[-1].days if series else None,
        collected=collected, collected_by=collected_by,
        collected_total=sum((amount for _, amount in collected), ZERO),
        settled_per_accounts=settled_per_accounts_in_month(creditor=creditor, as_of=as_of, currency=currency),
    )


def dashboard(*, creditor: Creditor, as_of: date) -> Dashboard:
    """The ledger's figures (kept until the ledger changes: figures.py), then today's promises."""
    board = figures.kept("dashboard", creditor=creditor, as_of=as_of,
                         compute=lambda: _ledger_board(creditor=creditor, as_of=as_of))
    if collection_ready():
        from relance.apps.collection.models import Promise

        promises = Promise.objects.filter(creditor=creditor).select_related("debtor")
        board.has_collection = True
        board.promises_due = list(promises.filter(status="open", promised_date__gte=as_of, promised_date__lte=as_of + timedelta(days=7)).order_by("promised_date")[:50])
        board.promises_broken = list(promises.filter(status="broken", resolved_on__gte=as_of - timedelta(days=30)).order_by("-resolved_on")[:50])
        from relance.apps.collection.limits import limit_rows, nearing_limits

        board.limits = limit_rows(nearing_limits(creditor=creditor, as_of=as_of)[:20], as_of)
    return board


# --- imports --------------------------------------------------------------------------------------


def import_upload_get(*, creditor: Creditor, token: str) -> ImportUpload:
    upload = ImportUpload.objects.filter(creditor=creditor, token=token).select_related("creditor").first()
    if upload is None:
        raise NotFoundError("no such upload (it may have been imported or dropped already)")
    return upload


def imports_recent(*, creditor: Creditor, limit: int = 20) -> list[ImportBatch]:
    return list(ImportBatch.objects.filter(creditor=creditor).order_by("-created_at", "-id")[:limit])
