"""Reads for the worklist: today's calls and the actions awaiting approval, each paged in priority
order, and one action of the creditor's; without the collection app, the most overdue debtors to
call.

The priority rule lives here, once (``priority_annotate``): what the debtor owes overdue, times
the days its oldest overdue invoice is late, times one plus its history (promises broken,
invoices disputed). The database computes it with the list, so a page of twenty is one query
whatever the number of actions waiting; each row carries the three factors, which the page shows
as the row's reason (``Priority``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    Count,
    DateField,
    DecimalField,
    Expression,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Greatest

from relance.apps.creditors.models import Creditor
from relance.apps.workspace.debtor_selectors import debtors_search
from relance.apps.workspace.selectors import collection_ready
from relance.domain.errors import NotFoundError

# --- worklist -------------------------------------------------------------------------------------


# A call card carries six outcome forms: ten cards is what a page renders well within 300 ms.
CALLS_PAGE_SIZE = 10


APPROVALS_PAGE_SIZE = 20
LIMITS_SHOWN = 50  # claims nearing their time limit, soonest first

# The channels the approval table can be narrowed to (``WorkFilters.channel``).
FILTER_CHANNELS = ("email", "letter", "registered_letter")
MONEY: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
SCORE: DecimalField[Decimal, Decimal] = DecimalField(max_digits=30, decimal_places=2)
ZERO = Decimal("0.00")


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (dates), on SQLite and PostgreSQL alike."""

    output_field = IntegerField()

    def __init__(self, end: Any, start: Any) -> None:
        super().__init__(end, start)

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="(%(expressions)s)", arg_joiner="::date - ", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="CAST(julianday(%(expressions)s) AS integer)",
            arg_joiner=") - julianday(", **extra,
        )


@dataclass(frozen=True)
class WorkFilters:
    """What the collector narrowed the worklist to: one channel of approvals, debtors owing at
    least ``min_amount`` overdue, debtors with a history (a broken promise or a dispute)."""

    channel: str = ""
    min_amount: Decimal | None = None
    with_history: bool = False

    @classmethod
    def from_query(cls, query: Any) -> WorkFilters:
        channel = str(query.get("channel", ""))
        try:
            amount = Decimal(str(query.get("min", "")).replace(" ", "").replace(",", "."))
        except InvalidOperation:
            amount = None
        return cls(
            channel=channel if channel in FILTER_CHANNELS else "",
            min_amount=amount if amount is not None and amount.is_finite() and amount > 0 else None,
            with_history=query.get("history") == "1",
        )

    def as_query(self) -> dict[str, str]:
        out = {}
        if self.channel:
            out["channel"] = self.channel
        if self.min_amount is not None:
            out["min"] = str(self.min_amount)
        if self.with_history:
            out["history"] = "1"
        return out


def priority_annotate(actions: QuerySet[Any], *, as_of: date) -> QuerySet[Any]:
    """``actions`` with their debtor's priority and its factors: ``overdue_amount`` (open and
    due before ``as_of``), ``days_late`` (of the oldest such invoice), ``broken_promises``,
    ``disputes`` (any state: each says the debtor contests), and ``priority`` =
    overdue × days late × (1 + broken promises + disputes). The one place the rule is written."""
    from relance.apps.collection.models import Dispute, Promise
    from relance.apps.ledger.models import Invoice

    overdue = Invoice.objects.filter(
        debtor_id=OuterRef("debtor_id"), status=Invoice.Status.OPEN, due_date__lt=as_of
    ).order_by().values("debtor_id")
    broken = Promise.objects.filter(
        debtor_id=OuterRef("debtor_id"), status=Promise.Status.BROKEN
    ).order_by().values("debtor_id")
    disputed = Dispute.objects.filter(invoice__debtor_id=OuterRef("debtor_id")).order_by().values(
        "invoice__debtor_id"
    )
    today: Expression = Value(as_of, output_field=DateField())
    annotated: QuerySet[Any] = actions.annotate(
        overdue_amount=Coalesce(
            Subquery(overdue.annotate(t=Sum("open_amount")).values("t")[:1], output_field=MONEY),
            Value(ZERO),
            output_field=MONEY,
        ),
        oldest_due=Subquery(overdue.annotate(m=Min("due_date")).values("m")[:1], output_field=DateField()),
        broken_promises=Coalesce(
            Subquery(broken.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()),
            Value(0),
        ),
        disputes=Coalesce(
            Subquery(disputed.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()),
            Value(0),
        ),
    ).annotate(
        days_late=Greatest(
            Coalesce(DaysBetween(today, F("oldest_due")), Value(0)), Value(0),
            output_field=IntegerField(),
        ),
        priority=ExpressionWrapper(
            F("overdue_amount") * F("days_late") * (Value(1) + F("broken_promises") + F("disputes")),
            output_field=SCORE,
        ),
    )
    return annotated


@dataclass(frozen=True)
class Priority:
    """A row's priority and why, as ``priority_annotate`` computed it."""

    score: Decimal
    overdue_amount: Decimal
    days_late: int
    broken_promises: int
    disputes: int

    @property
    def history_weight(self) -> int:
        return 1 + self.broken_promises + self.disputes

    @classmethod
    def of(cls, row: Any) -> Priority:
        return cls(
            Decimal(row.priority or 0),
            Decimal(row.overdue_amount or 0),
            int(row.days_late or 0),
            int(row.broken_promises or 0),
            int(row.disputes or 0),
        )


def _filtered(qs: QuerySet[Any], filters: WorkFilters) -> QuerySet[Any]:
    if filters.min_amount is not None:
        qs = qs.filter(overdue_amount__gte=filters.min_amount)
    if filters.with_history:
        qs = qs.filter(Q(broken_promises__gt=0) | Q(disputes__gt=0))
    return qs


@dataclass
class Worklist:
    source: str  # "collection" or "ledger"
    calls: list[Any]  # the calls on the page asked for (the debtors to call, without collection)
    approvals: list[Any]  # the approvals on the page asked for
    calls_page: Page[Any] | None = None
    approvals_page: Page[Any] | None = None
    # Open claims within 90 days of their last day to act (or past it), soonest first.
    limits: list[Any] = field(default_factory=list)
    # What the key dates of the cases in the legal stage call for today, by day.
    legal: list[Any] = field(default_factory=list)
    filters: WorkFilters = field(default_factory=WorkFilters)


def worklist(
    *, creditor: Creditor, as_of: date, limit: int = 50, calls_page: Any = 1, approvals_page: Any = 1,
    per_page: tuple[int, int] = (CALLS_PAGE_SIZE, APPROVALS_PAGE_SIZE),
    filters: WorkFilters | None = None,
) -> Worklist:
    """Today's calls and the actions waiting for approval, each list paged (``per_page``: calls,
    approvals on a page) in priority order (``priority_annotate``, then the oldest first),
    narrowed by ``filters``; without collection, the ``limit`` most overdue debtors."""
    filters = filters or WorkFilters()
    if collection_ready():
        from relance.apps.collection.models import Action

        pending = Action.objects.filter(creditor=creditor, state__in=("planned", "approved")).select_related("debtor")
        order = ("-priority", "planned_date", "id")
        calls = _filtered(
            priority_annotate(pending.filter(channel="call", planned_date__lte=as_of), as_of=as_of),
            filters,
        ).order_by(*order)
        waiting = pending.filter(requires_approval=True, state="planned")
        if filters.channel:
            waiting = waiting.filter(channel=filters.channel)
        approvals = _filtered(priority_annotate(waiting, as_of=as_of), filters).order_by(*order)
        on_calls = Paginator(calls, per_page[0]).get_page(calls_page)
        on_approvals = Paginator(approvals, per_page[1]).get_page(approvals_page)
        from relance.apps.collection.legal_stage import legal_reminders_due
        from relance.apps.collection.limits import limit_rows, nearing_limits

        return Worklist("collection", list(on_calls.object_list), list(on_approvals.object_list), on_calls,
                        on_approvals, limit_rows(nearing_limits(creditor=creditor, as_of=as_of)[:LIMITS_SHOWN], as_of),
                        legal_reminders_due(creditor=creditor, as_of=as_of),
                        filters)
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
