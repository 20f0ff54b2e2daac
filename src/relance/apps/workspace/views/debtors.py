"""The debtor list and the debtor page, with what a collector records there: holds, notes,
promises, disputes and payment plans."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.workspace import debtor_selectors, selectors, services
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.debtor_forms import ContactForm, DebtorForm
from relance.apps.workspace.debtor_states import debtor_states
from relance.apps.workspace.forms import (
    DisputeOpenForm,
    DossierForm,
    HoldForm,
    NotesForm,
    PlanForm,
    PromiseForm,
    StatusFileForm,
    WriteOffForm,
)
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import (
    ACTION_REASONS,
    CHANNEL_LABELS,
    CONTACT_ROLE_LABELS,
    FILTER_LABELS,
    KIND_LABELS,
    ORIGIN_LABELS,
    ROUTE_LABELS,
    SORT_LABELS,
    STATE_LABELS,
    STEP_LABELS,
    TIMELINE_LABELS,
    WRITE_OFF_LABELS,
)
from relance.apps.workspace.views.legal_stage import legal_context, legal_date_form, legal_form
from relance.apps.workspace.wording import error_text
from relance.domain.errors import RelanceError


@workspace_view()
def debtors(request: WorkspaceRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "overdue")
    sort = sort if sort in selectors.SORTS else "overdue"
    active = tuple(f for f in request.GET.getlist("filter") if f in selectors.FILTERS)
    page = debtor_selectors.debtors_page(
        creditor=request.creditor,
        as_of=timezone.localdate(),
        q=q,
        filters=active,
        sort=sort,
        page=request.GET.get("page", 1),
    )
    keep = request.GET.copy()
    keep.pop("page", None)
    states = debtor_states(debtors=list(page.object_list), as_of=timezone.localdate())
    for debtor in page.object_list:
        debtor.state_label = STATE_LABELS.get(states.get(debtor.pk, ""), "")
    return render(
        request,
        "workspace/debtors.html",
        {
            "page": page,
            "q": q,
            "sort": sort,
            "active": active,
            "nav": "debtors",
            "filters": list(FILTER_LABELS.items()),
            "sorts": list(SORT_LABELS.items()),
            "query_keep": keep.urlencode(),
            "has_collection": selectors.collection_ready(),
            "status_form": StatusFileForm() if request.grant.allows("collector") else None,
        },
    )


@workspace_view()
def debtor_detail(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    return debtor_page(request, debtor)


def _penalty_note(line: debtor_selectors.InvoiceLine) -> str:
    if line.missing_rate:
        return _(
            "No rate is recorded yet for %(period)s: the penalties cannot be computed. "
            "Once it is published, record it with: %(command)s"
        ) % {"period": line.missing_rate, "command": line.rate_command}
    return line.note


def debtor_page(
    request: WorkspaceRequest, debtor: Any, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    invoices = debtor_selectors.debtor_invoices_page(
        debtor=debtor, as_of=today, page=request.GET.get("invoices", 1)
    )
    lines = invoices.object_list
    notes: list[str] = []
    for line in lines:  # the same warning on many invoices is one footnote
        note = _penalty_note(line)
        if note:
            if note not in notes:
                notes.append(note)
            line.note_number = notes.index(note) + 1
    unknown = any(line.days_overdue and line.penalties is None for line in lines)
    collection = selectors.collection_ready()
    case = debtor_selectors.debtor_case(debtor=debtor) if collection else None
    open_invoices = [line.invoice for line in lines]
    disputed = debtor_selectors.debtor_disputes_open(debtor=debtor) if collection else {}
    forms = {
        "promise_form": PromiseForm(prefix="promise"),
        "dispute_form": DisputeOpenForm(
            prefix="dispute", invoices=[i for i in open_invoices if i.number not in disputed]
        ),
        "plan_form": PlanForm(prefix="plan", initial={"instalments": 3, "every": "1m"}),
        "hold_form": HoldForm(),
        "notes_form": NotesForm(initial={"notes": debtor.notes}),
        "dossier_form": DossierForm(prefix="dossier", routes=ROUTE_LABELS),
        "write_off_form": WriteOffForm(prefix="writeoff", reasons=WRITE_OFF_LABELS),
        "debtor_form": DebtorForm(initial={f: getattr(debtor, f) for f in DebtorForm.base_fields}),
        "contact_form": ContactForm(prefix="contact"),
    }
    forms.update(bound or {})
    if collection:
        forms.update(legal_context(debtor, bound or {}))
    return render(
        request,
        "workspace/debtor.html",
        {
            "debtor": debtor,
            "lines": lines,
            "invoices_page": invoices,
            "notes": notes,
            "today": today,
            "nav": "debtors",
            "kind_label": KIND_LABELS.get(debtor.kind, debtor.kind),
            "open_total": debtor_selectors.debtor_open_total(debtor=debtor),
            "penalties_total": None if unknown else sum((line.penalties or 0 for line in lines), 0),
            "paid": debtor_selectors.debtor_paid_invoices(debtor=debtor),
            "contacts": [
                (c, CONTACT_ROLE_LABELS.get(c.role, c.role)) for c in debtor.contacts.all()
            ],
            "state_label": STATE_LABELS.get(
                debtor_states(debtors=[debtor], as_of=today).get(debtor.pk, ""), ""
            ),
            "scenario": _scenario_of(debtor) if collection else None,
            "timeline": _timeline(debtor_selectors.debtor_timeline(debtor=debtor)),
            "can_act": request.grant.allows("collector"),
            "can_write_off": request.grant.allows("admin"),
            "written_off": debtor_selectors.debtor_written_off(debtor=debtor) if collection else None,
            "has_collection": collection,
            "case": case,
            "disputed": disputed,
            **forms,
        },
        status=status,
    )


_BANK_LINE = re.compile(r"\bbank line (\d+)")
def _scenario_of(debtor: Any) -> Any:
    from relance.apps.collection.history import debtor_scenario

    return debtor_scenario(debtor=debtor)




def _timeline(items: list[debtor_selectors.TimelineItem]) -> list[debtor_selectors.TimelineItem]:
    for item in items:
        item.label = TIMELINE_LABELS.get(item.kind, item.kind)  # type: ignore[attr-defined]
        if item.kind == "action.not_sent":
            started = date_format(timezone.localtime(item.at).date())
            not_sent = _("Not sent (the chase started on %(date)s)") % {"date": started}
            item.label = not_sent  # type: ignore[attr-defined]
        elif item.reason in ACTION_REASONS:
            why = str(ACTION_REASONS[item.reason])
            item.text = f"{item.text} · {why}" if item.text else why
        item.channel_label = CHANNEL_LABELS.get(item.channel, item.channel)  # type: ignore[attr-defined]
        item.step_label = STEP_LABELS.get(item.step, item.step)  # type: ignore[attr-defined]
        if item.kind == "payment":  # a payment's actor is where it came from
            item.actor = str(ORIGIN_LABELS.get(item.actor, item.actor))
            # A bank payment's reference names its statement line in English (banking).
            item.text = _BANK_LINE.sub(lambda m: _("statement line %(n)s") % {"n": m[1]}, item.text)
    return items


@require_POST
@workspace_view()
def debtor_hold(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = HoldForm(request.POST)
    form.is_valid()
    hold = request.POST.get("hold") == "1"
    services.debtor_hold_set(
        debtor=debtor, hold=hold, reason=form.cleaned_data.get("reason", ""), actor=actor(request)
    )
    messages.success(request, _("Chasing paused.") if hold else _("Chasing resumed."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@require_POST
@workspace_view()
def debtor_notes(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = NotesForm(request.POST)
    if form.is_valid():
        services.debtor_notes_update(
            debtor=debtor, notes=form.cleaned_data["notes"], actor=actor(request)
        )
        messages.success(request, _("Notes saved."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@require_POST
@workspace_view()
def debtor_promise(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.pauses import promise_add

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = PromiseForm(request.POST, prefix="promise")
    if form.is_valid():
        try:
            promise_add(
                creditor=debtor.creditor,
                debtor_account=debtor.account,
                amount=form.cleaned_data["amount"],
                promised_date=form.cleaned_data["date"],
                as_of=timezone.localdate(),
                actor=actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Promise recorded; chasing waits until its date."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"promise_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_dispute(request: WorkspaceRequest, debtor_id: int, decision: str) -> HttpResponse:
    from relance.apps.collection.pauses import dispute_close, dispute_open

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    today = timezone.localdate()
    if decision == "close":
        number = request.POST.get("invoice", "")
        if number not in debtor_selectors.debtor_disputes_open(debtor=debtor):
            raise Http404
        dispute_close(
            creditor=debtor.creditor, invoice_number=number, as_of=today, actor=actor(request)
        )
        messages.success(request, _("Dispute closed: the invoice is chased again."))
        return redirect("workspace:debtor", debtor_id=debtor.pk)
    if decision != "open":
        raise Http404
    # Any open invoice of the debtor may be disputed, whichever page listed it.
    invoices = debtor_selectors.debtor_invoices_open(
        debtor=debtor, number=request.POST.get("dispute-invoice", "")
    )
    form = DisputeOpenForm(request.POST, prefix="dispute", invoices=invoices)
    if form.is_valid():
        try:
            dispute_open(
                creditor=debtor.creditor,
                invoice_number=form.cleaned_data["invoice"],
                reason=form.cleaned_data["reason"],
                as_of=today,
                actor=actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Dispute opened: this invoice is no longer chased."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"dispute_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_plan(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.pauses import plan_create

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = PlanForm(request.POST, prefix="plan")
    if form.is_valid():
        try:
            plan_create(
                creditor=debtor.creditor,
                debtor_account=debtor.account,
                instalments=form.cleaned_data["instalments"],
                first=form.cleaned_data["first"],
                every=form.cleaned_data["every"],
                as_of=timezone.localdate(),
                actor=actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Payment plan created."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"plan_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_legal(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.legal_stage import case_legal

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = legal_form(request.POST)
    if form.is_valid():
        try:
            case_legal(creditor=request.creditor, account=debtor.account, route=form.cleaned_data["route"],
                       reference=form.cleaned_data["reference"], as_of=timezone.localdate(), actor=actor(request))
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("The case is in the legal stage: nothing more is sent to the debtor."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"legal_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_legal_date(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.legal_stage import legal_date_record, legal_stage_of

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    stage = legal_stage_of(debtor=debtor)
    form = legal_date_form(stage.route if stage else "", request.POST)
    if form.is_valid():
        try:
            legal_date_record(creditor=request.creditor, account=debtor.account, key=form.cleaned_data["key"],
                              day=form.cleaned_data["date"], as_of=timezone.localdate(), actor=actor(request))
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Key date recorded."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"legal_date_form": form}, status=400)
