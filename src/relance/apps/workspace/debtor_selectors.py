"""Reads for the debtor list and the debtor page: the search and its pages, one debtor's
invoices with their penalties, its case, disputes and timeline.

Every read takes the creditor the person is working for (or one of its debtors) and filters on
it first. Lists are set-based: one aggregated query per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from typing import Any, cast

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, Min, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils import formats, timezone, translation

from relance.apps.audit.models import Event
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, Invoice, Payment
from relance.apps.workspace import figures
from relance.apps.workspace.selectors import PAGE_SIZE, ZERO, collection_ready
from relance.apps.workspace.wording import error_text
from relance.domain.errors import NotFoundError, RelanceError
from relance.domain.vocabulary import LEGAL_DATES, LEGAL_ROUTES, say

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


def debtor_ranking(*, creditor: Creditor, as_of: date, sort: str, overdue_only: bool) -> list[int]:
    """Every debtor id of ``creditor`` in list order for ``sort`` ("overdue" or "days"), kept
    between requests until the ledger moves (figures.py)."""

    def compute() -> list[int]:
        filters = ("overdue",) if overdue_only else ()
        qs = debtors_search(creditor=creditor, as_of=as_of, filters=filters, sort=sort)
        return list(qs.values_list("id", flat=True))

    return figures.kept(
        f"ranking:{sort}:{int(overdue_only)}", creditor=creditor, as_of=as_of, compute=compute
    )


def debtors_page(
    *, creditor: Creditor, as_of: date, q: str = "", filters: tuple[str, ...] = (), sort: str = "overdue", page: Any = 1
) -> Page[Debtor]:
    found: Page[int] | Page[Debtor]
    if sort in ("overdue", "days"):
        # The whole ledger ranked by an aggregate: kept between requests (figures.py). The
        # collection filters (disputes, plans, holds change by the minute) and the search are
        # read now, as sets of ids, and keep their debtors in the ranking's order: a search
        # matching thousands of debtors never totals their invoices, only the page's fifty.
        ranking = debtor_ranking(creditor=creditor, as_of=as_of, sort=sort, overdue_only="overdue" in filters)
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


def debtor_written_off(*, debtor: Debtor) -> Any:
    """The debtor's latest case when it was written off (the pass no longer chases), else None."""
    from relance.apps.collection.models import Case

    latest = Case.objects.filter(debtor=debtor).order_by("-cycle").first()
    return latest if latest is not None and latest.status == Case.Status.CLOSED_WRITTEN_OFF else None


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
    document_is_email: bool = False
    body: str = ""
    step: str = ""  # a collection step's template (its kind of message), for its label
    reason: str = ""  # why the pass planned it so, or did not send it (an action's reason)


def _event_text(event: Event) -> str:
    p = event.payload or {}
    if event.kind.startswith("legal."):
        return _legal_text(event.kind, p)
    if event.kind == "ledger.conflict":  # the payment kept; what the accounts said, for a person
        return (
            f"{p.get('number', '')} : {_money(Decimal(p.get('open_amount', '0')))} ≠ "
            f"{_money(Decimal(p.get('file_open_amount', '0')))} {p.get('currency', '')}"
        )
    if event.subject_type == "invoice":
        after = p.get("after") or {}
        parts = [str(p.get("number", ""))]
        if "open_amount" in after:
            parts.append(f"{(p.get('before') or {}).get('open_amount', '')} → {after['open_amount']}")
        return " ".join(x for x in parts if x)
    if event.kind == "legal.dossier_built":
        return f"{p.get('route', '')} · {p.get('total', '')} · SHA-256 {str(p.get('sha256', ''))[:12]}…"
    if p.get("reason"):
        return str(p["reason"])
    if "notes" in p:
        return str(p["notes"])[:200]
    return ""


def _legal_text(kind: str, p: dict[str, Any]) -> str:
    """A legal-stage event as the timeline says it: the route, the key date, the status."""
    lang = translation.get_language() or "fr"
    route = say(LEGAL_ROUTES, str(p.get("route", "")), lang)
    reference = str(p.get("reference", ""))
    if kind == "legal.date_recorded" and p.get("date"):
        when = _day(date.fromisoformat(str(p["date"])))
        return f"{say(LEGAL_DATES, str(p.get('key', '')), lang)} {when} — {route}, {reference}"
    if kind == "legal.status_reported" and p.get("date"):
        when = _day(date.fromisoformat(str(p["date"])))
        return f"{reference}: {p.get('status', '')} {_money(Decimal(str(p.get('amount', '0'))))} ({when})"
    return f"{route} — {reference}" if p.get("route") else reference


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
        items.append(TimelineItem(at, "payment", f"{_money(payment.amount)} {payment.currency} {payment.reference}".strip(), payment.origin))
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
                if action.state == "skipped" and action.reason == "chase started":
                    # Dated the day the chase started, never the step's day by the due date.
                    kind = "action.not_sent"
            items.append(TimelineItem(at, kind, text.strip(), actor, channel=action.channel, action_id=action.pk,
                                      has_document=bool(action.document), body=action.body_text,
                                      document_is_email=str(action.document.name or "").endswith(".eml"),
                                      step=_step_of(action), reason=action.reason))
        from relance.apps.collection.models import DeclaredContact

        for contact in DeclaredContact.objects.filter(debtor=debtor).order_by("-contact_date")[:limit]:
            at = datetime(contact.contact_date.year, contact.contact_date.month, contact.contact_date.day, 9, tzinfo=tz)
            items.append(TimelineItem(at, "declared", contact.note, contact.declared_by, channel=contact.channel,
                                      step=contact.step_key))
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
