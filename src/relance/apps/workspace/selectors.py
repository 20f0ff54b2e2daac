"""Reads of the workspace: grants, throttling, the dashboard, debtor lists and pages, worklist.

Every read takes the creditor the person is working for and filters on it first, so an id from
another creditor is simply not found. Lists are set-based: one aggregated query per page.
"""

from __future__ import annotations

import calendar
import importlib.util
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, cached_property
from typing import Any, cast

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import formats, timezone

from relance.apps.audit.models import Event
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.apps.ledger.selectors import BUCKETS, aging_report
from relance.apps.workspace import figures
from relance.apps.workspace.models import ImportUpload, LoginFailure, Membership
from relance.apps.workspace.services import THROTTLE_FAILURES, THROTTLE_WINDOW
from relance.apps.workspace.wording import error_text
from relance.errors import NotFoundError, RelanceError

ZERO = Decimal("0.00")
ROLE_RANK = {Membership.Role.VIEWER: 0, Membership.Role.COLLECTOR: 1, Membership.Role.ADMIN: 2}
PAGE_SIZE = 50
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


def login_throttled(*, username: str, ip: str) -> bool:
    since = timezone.now() - THROTTLE_WINDOW
    recent = LoginFailure.objects.filter(username=username[:150], ip=ip[:45], at__gte=since)
    return recent.count() >= THROTTLE_FAILURES


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
    promises_due: list[Any] = field(default_factory=list)
    promises_broken: list[Any] = field(default_factory=list)
    has_collection: bool = False


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
    })
    points = []
    for i, end in enumerate(ends):
        receivable = (totals[f"r{i}"] or ZERO) - (paid[f"p{i}"] or ZERO)
        sales = totals[f"s{i}"] or ZERO
        days = (receivable / sales * window_days).quantize(Decimal("1")) if sales > 0 else None
        points.append(DsoPoint(end, days))
    top = max((p.days for p in points if p.days is not None), default=None)
    for p in points:
        p.percent = float(p.days / top * 100) if top and p.days is not None and p.days > 0 else 0.0
    return points


def collected_in_month(*, creditor: Creditor, as_of: date, currency: str) -> tuple[str, list[tuple[str, Decimal]]]:
    """Money applied to invoices this month, by the step that preceded it (or by origin)."""
    allocations = Allocation.objects.filter(
        invoice__creditor=creditor, invoice__currency=currency,
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
    return board


# --- debtors --------------------------------------------------------------------------------------


def debtors_search(
    *, creditor: Creditor, as_of: date, q: str = "", filters: tuple[str, ...] = (), sort: str = "overdue",
    totals: bool = True,
) -> QuerySet[Debtor]:
    """The creditor's debtors with their open and overdue totals, searched, filtered and sorted.

    ``totals=False`` leaves the totals out (to count the debtors, or page them by name), unless
    the overdue filter needs them.
    """
    qs = Debtor.objects.filter(creditor=creditor)
    text = q.strip()
    if text:
        compact = text.replace(" ", "")
        match = Q(name__icontains=text) | Q(account__istartswith=text)
        if compact.isdigit():
            match |= Q(siren__startswith=compact)
        qs = qs.filter(match)
    open_q = Q(invoices__status=Invoice.Status.OPEN)
    overdue_q = open_q & Q(invoices__due_date__lt=as_of)
    if totals or "overdue" in filters:
        totalled = qs.annotate(
            open_total=Sum("invoices__open_amount", filter=open_q),
            overdue_total=Sum("invoices__open_amount", filter=overdue_q),
            oldest_due=Min("invoices__due_date", filter=overdue_q),
            open_count=Count("invoices", filter=open_q),
        )
        qs = totalled.filter(overdue_total__gt=0) if "overdue" in filters else totalled
    if "hold" in filters:
        # One list of ids (no OR across tables), so the totals are read for these debtors only.
        held = Debtor.objects.filter(creditor=creditor, is_legal_hold=True).order_by().values("id")
        if collection_ready():
            from relance.apps.collection.models import Case

            paused = Case.objects.filter(creditor=creditor, status="paused").order_by().values("debtor_id")
            held = held.union(paused)
        qs = qs.filter(pk__in=held)
    if "dispute" in filters:
        if not collection_ready():
            return qs.none()
        from relance.apps.collection.models import Dispute

        qs = qs.filter(Exists(Dispute.objects.filter(invoice__debtor_id=OuterRef("pk"), status="open")))
    if "plan" in filters:
        if not collection_ready():
            return qs.none()
        from relance.apps.collection.models import PaymentPlan

        qs = qs.filter(Exists(PaymentPlan.objects.filter(debtor_id=OuterRef("pk"), status="active")))
    if sort == "name" or not (totals or "overdue" in filters):
        return qs.order_by("name", "id")
    if sort == "days":
        return qs.order_by(F("oldest_due").asc(nulls_last=True), "name", "id")
    return qs.order_by(F("overdue_total").desc(nulls_last=True), "name", "id")


def _collection_filtered_ids(*, creditor: Creditor, filters: tuple[str, ...]) -> set[int]:
    """The ids of the debtors every one of ``filters`` keeps (as ``debtors_search`` filters),
    read from the collection's tables alone rather than by testing each of the debtors."""
    kept: set[int] | None = None
    for name in filters:
        if name == "hold":
            ids = set(Debtor.objects.filter(creditor=creditor, is_legal_hold=True).values_list("id", flat=True))
            if collection_ready():
                from relance.apps.collection.models import Case

                ids |= set(Case.objects.filter(creditor=creditor, status="paused").values_list("debtor_id", flat=True))
        elif name in ("dispute", "plan"):
            if not collection_ready():
                return set()
            from relance.apps.collection.models import Dispute, PaymentPlan

            if name == "dispute":
                ids = set(
                    Dispute.objects.filter(invoice__creditor=creditor, status="open").values_list(
                        "invoice__debtor_id", flat=True
                    )
                )
            else:
                ids = set(
                    PaymentPlan.objects.filter(creditor=creditor, status="active").values_list(
                        "debtor_id", flat=True
                    )
                )
        else:
            continue
        kept = ids if kept is None else kept & ids
    return kept or set()


class _CountedPaginator(Paginator[Debtor]):
    """Counts ``counted`` (the same debtors without their totals) rather than the totalled list."""

    def __init__(self, object_list: Any, per_page: int, *, counted: QuerySet[Debtor]) -> None:
        super().__init__(object_list, per_page)
        self.counted = counted

    @cached_property
    def count(self) -> int:
        return self.counted.count()


def debtors_page(
    *, creditor: Creditor, as_of: date, q: str = "", filters: tuple[str, ...] = (), sort: str = "overdue", page: Any = 1
) -> Page[Debtor]:
    found: Page[int] | Page[Debtor]
    if sort in ("overdue", "days"):
        # The whole ledger ranked by an aggregate: kept between requests (figures.py). The
        # collection filters (disputes, plans, holds change by the minute) and the search are
        # read now, as sets of ids, and keep their debtors in the ranking's order: a search
        # matching thousands of debtors never totals their invoices, only the page's fifty.
        ranking = figures.debtor_ranking(creditor=creditor, as_of=as_of, sort=sort, overdue_only="overdue" in filters)
        others = tuple(f for f in filters if f != "overdue")
        if others:
            wanted = _collection_filtered_ids(creditor=creditor, filters=others)
            ranking = [debtor_id for debtor_id in ranking if debtor_id in wanted]
        if q.strip():
            matching = debtors_search(creditor=creditor, as_of=as_of, q=q, totals=False).order_by()
            wanted = set(matching.values_list("id", flat=True))
            ranking = [debtor_id for debtor_id in ranking if debtor_id in wanted]
        found = Paginator(ranking, PAGE_SIZE).get_page(page)
    elif sort == "name" and "overdue" not in filters:
        # In name order: page the debtors first, then total the page's fifty only.
        names = debtors_search(creditor=creditor, as_of=as_of, q=q, filters=filters, sort=sort, totals=False)
        found = Paginator(names.values_list("id", flat=True), PAGE_SIZE).get_page(page)
    else:
        qs = debtors_search(creditor=creditor, as_of=as_of, q=q, filters=filters, sort=sort)
        plain = debtors_search(creditor=creditor, as_of=as_of, q=q, filters=filters, totals=False)
        found = _CountedPaginator(qs, PAGE_SIZE, counted=plain).get_page(page)
    listed = list(found.object_list)
    if listed and not isinstance(listed[0], Debtor):  # ids: the page's fifty, with their totals
        rows = {d.pk: d for d in debtors_search(creditor=creditor, as_of=as_of).filter(pk__in=listed)}
        listed = [rows[i] for i in listed if i in rows]
    found.object_list = listed
    # Debtors now, however the page was cut: a swap the stubs cannot follow.
    debtors_found = cast("Page[Debtor]", found)
    for debtor in debtors_found:
        oldest = debtor.oldest_due  # type: ignore[attr-defined]
        debtor.days_overdue = (as_of - oldest).days if oldest else 0  # type: ignore[attr-defined]
    return debtors_found


def debtor_get(*, creditor: Creditor, debtor_id: int) -> Debtor:
    debtor = Debtor.objects.filter(creditor=creditor, pk=debtor_id).first()
    if debtor is None:
        raise NotFoundError(f"no debtor {debtor_id}")
    return debtor


@dataclass
class InvoiceLine:
    invoice: Invoice
    days_overdue: int
    penalties: Decimal | None
    amount_due: Decimal | None
    note: str = ""
    missing_rate: str = ""  # the period whose rate nobody recorded yet
    rate_command: str = ""  # the command that records it


def _penalties() -> Any:
    try:
        from relance.apps.legal.selectors import invoice_penalties, rate_tables
    except ImportError:  # the legal app without its selectors: show no penalties
        return None, None
    return invoice_penalties, rate_tables


INVOICE_PAGE_SIZE = 50


def debtor_invoices(*, debtor: Debtor, as_of: date, limit: int = 200) -> list[InvoiceLine]:
    """The debtor's open invoices, oldest due first, with penalties as of ``as_of``."""
    qs = Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN).order_by("due_date", "number")
    return _invoice_lines(debtor=debtor, as_of=as_of, invoices=qs[:limit])


def debtor_invoices_page(*, debtor: Debtor, as_of: date, page: Any = 1, per_page: int = INVOICE_PAGE_SIZE) -> Page[InvoiceLine]:
    """One page of the debtor's open invoices (oldest due first: the overdue ones lead), with
    penalties as of ``as_of`` computed for that page's invoices only."""
    qs = Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN).order_by("due_date", "number")
    # The invoices' ids, paged; the page's lines then take their place.
    found: Page[Any] = Paginator(qs.values_list("id", flat=True), per_page).get_page(page)
    ids = list(found.object_list)
    found.object_list = _invoice_lines(debtor=debtor, as_of=as_of, invoices=qs.filter(pk__in=ids)) if ids else []
    return found


def debtor_open_total(*, debtor: Debtor) -> Decimal:
    """What the debtor owes on all its open invoices (every page)."""
    total = Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN).aggregate(t=Sum("open_amount"))["t"]
    return total or ZERO


def _invoice_lines(*, debtor: Debtor, as_of: date, invoices: QuerySet[Invoice]) -> list[InvoiceLine]:
    invoice_penalties, rate_tables = _penalties()
    tables = rate_tables() if rate_tables else None
    lines: list[InvoiceLine] = []
    # The allocations of all the invoices in one query, and the debtor already in hand: the
    # penalties read both, and would otherwise cost two queries per invoice.
    allocations = Allocation.objects.select_related("payment").order_by("payment__value_date", "id")
    for invoice in invoices.select_related("creditor").prefetch_related(Prefetch("allocations", queryset=allocations)):
        invoice.debtor = debtor
        days = max((as_of - invoice.due_date).days, 0)
        penalties = amount_due = None
        note = ""
        if invoice_penalties and days > 0 and invoice.total_amount > 0:
            try:
                computed = invoice_penalties(invoice=invoice, as_of=as_of, tables=tables)
                penalties, amount_due = computed.penalties_total, computed.amount_due
                note = " ".join(computed.warnings)
            except RelanceError as exc:
                if getattr(exc, "code", "") == "unknown_rate":
                    lines.append(InvoiceLine(invoice, days, None, None, "", exc.period, exc.command))  # type: ignore[attr-defined]
                    continue
                note = error_text(exc)  # the reader's language: a page is all that shows it
        lines.append(InvoiceLine(invoice, days, penalties, amount_due, note))
    return lines


def debtor_invoices_open(*, debtor: Debtor, limit: int = 200, number: str | None = None) -> list[Invoice]:
    """The debtor's open invoices, oldest due first; only the one numbered ``number`` if given."""
    qs = Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN)
    if number is not None:
        qs = qs.filter(number=number)
    return list(qs.order_by("due_date", "number")[:limit])


def debtor_case(*, debtor: Debtor) -> Any:
    """The debtor's open collection case, or None."""
    from relance.apps.collection.models import OPEN_CASE_STATUSES, Case

    return Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()


def debtor_disputes_open(*, debtor: Debtor) -> dict[str, Any]:
    """The debtor's open disputes by invoice number."""
    from relance.apps.collection.models import Dispute

    rows = Dispute.objects.filter(invoice__debtor=debtor, status="open").select_related("invoice")
    return {d.invoice.number: d for d in rows}


def debtor_paid_invoices(*, debtor: Debtor, limit: int = 20) -> list[Invoice]:
    return list(Invoice.objects.filter(debtor=debtor, status=Invoice.Status.PAID).order_by("-due_date", "-number")[:limit])


@dataclass
class TimelineItem:
    at: datetime
    kind: str
    text: str
    actor: str = ""
    channel: str = ""
    action_id: int | None = None
    has_document: bool = False
    body: str = ""
    step: str = ""  # a collection step's template (its kind of message), for its label


def _event_text(event: Event) -> str:
    p = event.payload or {}
    if event.subject_type == "invoice":
        after = p.get("after") or {}
        parts = [str(p.get("number", ""))]
        if "open_amount" in after:
            parts.append(f"{(p.get('before') or {}).get('open_amount', '')} → {after['open_amount']}")
        return " ".join(x for x in parts if x)
    if p.get("reason"):
        return str(p["reason"])
    if "notes" in p:
        return str(p["notes"])[:200]
    return ""


def _money(amount: Decimal) -> str:
    return formats.number_format(amount, 2, use_l10n=True, force_grouping=True)


def _day(day: date) -> str:
    return formats.date_format(day, "SHORT_DATE_FORMAT")


def _step_of(action: Any) -> str:
    """The kind of message an action is (its template, aliases resolved), else its step key."""
    from relance.documents.templates import STEP_ALIASES

    name = action.template or action.step_key
    return str(STEP_ALIASES.get(name, name))


def debtor_timeline(*, debtor: Debtor, limit: int = 100) -> list[TimelineItem]:
    """What happened to the debtor, newest first: audit events, payments, and collection steps."""
    invoice_ids = Invoice.objects.filter(debtor=debtor).values("id")
    events = Event.objects.filter(creditor_id=debtor.creditor_id).filter(
        Q(subject_type="debtor", subject_id=debtor.pk) | Q(subject_type="invoice", subject_id__in=invoice_ids)
    ).order_by("-id")[:limit]
    items = [TimelineItem(e.created_at, e.kind, _event_text(e), e.actor) for e in events]
    tz = timezone.get_current_timezone()
    for payment in Payment.objects.filter(debtor=debtor).order_by("-value_date")[:limit]:
        at = datetime(payment.value_date.year, payment.value_date.month, payment.value_date.day, 12, tzinfo=tz)
        items.append(TimelineItem(at, "payment", f"{payment.amount} {payment.currency} {payment.reference}".strip(), payment.origin))
    if collection_ready():
        from relance.apps.collection.models import Action, Dispute, PaymentPlan, Promise

        for action in Action.objects.filter(debtor=debtor).order_by("-planned_date", "-id")[:limit]:
            at = action.sent_at or datetime(action.planned_date.year, action.planned_date.month, action.planned_date.day, 9, tzinfo=tz)
            outcome = action.outcome if isinstance(action.outcome, dict) else {}
            if action.channel == "call" and outcome.get("outcome"):  # a call made: what it achieved
                text = str(outcome.get("summary") or outcome["outcome"])
                if outcome.get("note"):
                    text += f" — {outcome['note']}"
                kind, actor = "call", str(outcome.get("by", ""))
            else:
                text = action.subject
                if outcome.get("note"):
                    text += f" — {outcome['note']}"
                kind, actor = f"action.{action.state}", ""
            items.append(TimelineItem(at, kind, text.strip(), actor, channel=action.channel, action_id=action.pk,
                                      has_document=bool(action.document), body=action.body_text,
                                      step=_step_of(action)))
        for promise in Promise.objects.filter(debtor=debtor)[:limit]:
            items.append(TimelineItem(promise.created_at, f"promise.{promise.status}", f"{_money(promise.amount)} → {_day(promise.promised_date)}"))
        for dispute in Dispute.objects.filter(invoice__debtor=debtor).select_related("invoice")[:limit]:
            items.append(TimelineItem(dispute.created_at, "dispute.open", f"{dispute.invoice.number}: {dispute.reason}"))
            if dispute.closed_on:
                closed = datetime(dispute.closed_on.year, dispute.closed_on.month, dispute.closed_on.day, 12, tzinfo=tz)
                items.append(TimelineItem(max(closed, dispute.created_at), "dispute.closed", dispute.invoice.number))
        for plan in PaymentPlan.objects.filter(debtor=debtor).prefetch_related("instalments")[:limit]:
            parts = ", ".join(f"{_money(i.amount)} → {_day(i.due_date)}" for i in plan.instalments.all())
            items.append(TimelineItem(plan.created_at, f"plan.{plan.status}", f"{_money(plan.total_amount)}: {parts}"))
    items.sort(key=lambda item: item.at, reverse=True)
    return items[:limit]


# --- worklist -------------------------------------------------------------------------------------


# A call card carries six outcome forms: ten cards is what a page renders well within 300 ms.
CALLS_PAGE_SIZE = 10
APPROVALS_PAGE_SIZE = 20


@dataclass
class Worklist:
    source: str  # "collection" or "ledger"
    calls: list[Any]  # the calls on the page asked for (the debtors to call, without collection)
    approvals: list[Any]  # the approvals on the page asked for
    calls_page: Page[Any] | None = None
    approvals_page: Page[Any] | None = None


def worklist(
    *, creditor: Creditor, as_of: date, limit: int = 50, calls_page: Any = 1, approvals_page: Any = 1,
    per_page: tuple[int, int] = (CALLS_PAGE_SIZE, APPROVALS_PAGE_SIZE),
) -> Worklist:
    """Today's calls and the actions waiting for approval, each list paged (``per_page``: calls,
    approvals on a page; oldest first); without collection, the ``limit`` most overdue debtors."""
    if collection_ready():
        from relance.apps.collection.models import Action

        pending = Action.objects.filter(creditor=creditor, state__in=("planned", "approved")).select_related("debtor")
        calls = pending.filter(channel="call", planned_date__lte=as_of).order_by("planned_date", "id")
        approvals = pending.filter(requires_approval=True, state="planned").order_by("planned_date", "id")
        on_calls = Paginator(calls, per_page[0]).get_page(calls_page)
        on_approvals = Paginator(approvals, per_page[1]).get_page(approvals_page)
        return Worklist("collection", list(on_calls.object_list), list(on_approvals.object_list), on_calls, on_approvals)
    debtors = debtors_search(creditor=creditor, as_of=as_of, filters=("overdue",), sort="overdue")
    listed = list(debtors.exclude(phone="").filter(is_do_not_contact=False, is_legal_hold=False)[:limit])
    for debtor in listed:
        debtor.days_overdue = (as_of - debtor.oldest_due).days if debtor.oldest_due else 0  # type: ignore[attr-defined]
    return Worklist("ledger", listed, [])


def action_get(*, creditor: Creditor, action_id: int) -> Any:
    if not collection_ready():
        raise NotFoundError("no collection actions in this install")
    from relance.apps.collection.models import Action

    action = Action.objects.filter(creditor=creditor, pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action


# --- imports --------------------------------------------------------------------------------------


def import_upload_get(*, creditor: Creditor, token: str) -> ImportUpload:
    upload = ImportUpload.objects.filter(creditor=creditor, token=token).select_related("creditor").first()
    if upload is None:
        raise NotFoundError("no such upload (it may have been imported or dropped already)")
    return upload


def imports_recent(*, creditor: Creditor, limit: int = 20) -> list[ImportBatch]:
    return list(ImportBatch.objects.filter(creditor=creditor).order_by("-created_at", "-id")[:limit])
