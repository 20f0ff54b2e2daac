"""The workspace pages: each parses its input, calls one selector or service, and renders."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relance.apps.workspace import selectors, services
from relance.apps.workspace.access import SESSION_CREDITOR, back_url, workspace_view
from relance.apps.workspace.forms import (
    HoldForm,
    NotesForm,
    SettingsForm,
    ThrottledLoginForm,
    UploadForm,
)
from relance.errors import InvalidInputError

BUCKET_LABELS = {
    "not_due": gettext_lazy("Not due"),
    "1_30": gettext_lazy("1–30 days"),
    "31_60": gettext_lazy("31–60 days"),
    "61_90": gettext_lazy("61–90 days"),
    "over_90": gettext_lazy("Over 90 days"),
}
FILTER_LABELS = {
    "overdue": gettext_lazy("Overdue"),
    "dispute": gettext_lazy("In dispute"),
    "plan": gettext_lazy("On a plan"),
    "hold": gettext_lazy("On hold"),
}
SORT_LABELS = {
    "overdue": gettext_lazy("Overdue amount"),
    "days": gettext_lazy("Days overdue"),
    "name": gettext_lazy("Name"),
}


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True
    next_page = "workspace:home"


@require_POST
@workspace_view(write_role="viewer")
def creditor_switch(request: HttpRequest) -> HttpResponse:
    wanted = request.POST.get("creditor", "")
    if not any(str(g.creditor.pk) == wanted for g in request.grants):  # type: ignore[attr-defined]
        raise Http404
    request.session[SESSION_CREDITOR] = int(wanted)
    return HttpResponseRedirect(reverse("workspace:home"))


@workspace_view()
def dashboard(request: HttpRequest) -> HttpResponse:
    board = selectors.dashboard(creditor=request.creditor, as_of=timezone.localdate())  # type: ignore[attr-defined]
    bars = [(BUCKET_LABELS[b.bucket], b) for b in board.bars]
    return render(request, "workspace/dashboard.html", {"board": board, "bars": bars, "nav": "home"})


@workspace_view()
def debtors(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "overdue")
    sort = sort if sort in selectors.SORTS else "overdue"
    active = tuple(f for f in request.GET.getlist("filter") if f in selectors.FILTERS)
    page = selectors.debtors_page(
        creditor=request.creditor, as_of=timezone.localdate(), q=q, filters=active,  # type: ignore[attr-defined]
        sort=sort, page=request.GET.get("page", 1),
    )
    keep = request.GET.copy()
    keep.pop("page", None)
    return render(request, "workspace/debtors.html", {
        "page": page, "q": q, "sort": sort, "active": active, "nav": "debtors",
        "filters": list(FILTER_LABELS.items()), "sorts": list(SORT_LABELS.items()),
        "query_keep": keep.urlencode(), "has_collection": selectors.collection_ready(),
    })


@workspace_view()
def debtor_detail(request: HttpRequest, debtor_id: int) -> HttpResponse:
    creditor = request.creditor  # type: ignore[attr-defined]
    debtor = selectors.debtor_get(creditor=creditor, debtor_id=debtor_id)
    today = timezone.localdate()
    lines = selectors.debtor_invoices(debtor=debtor, as_of=today)
    notes: list[str] = []
    for line in lines:  # the same warning on many invoices is one footnote
        if line.note:
            if line.note not in notes:
                notes.append(line.note)
            line.note_number = notes.index(line.note) + 1  # type: ignore[attr-defined]
    return render(request, "workspace/debtor.html", {
        "debtor": debtor, "lines": lines, "notes": notes, "today": today, "nav": "debtors",
        "open_total": sum((line.invoice.open_amount for line in lines), 0),
        "penalties_total": sum((line.penalties or 0 for line in lines), 0),
        "paid": selectors.debtor_paid_invoices(debtor=debtor),
        "contacts": list(debtor.contacts.all()),
        "timeline": selectors.debtor_timeline(debtor=debtor),
        "hold_form": HoldForm(), "notes_form": NotesForm(initial={"notes": debtor.notes}),
        "can_act": request.grant.allows("collector"),  # type: ignore[attr-defined]
    })


@require_POST
@workspace_view()
def debtor_hold(request: HttpRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)  # type: ignore[attr-defined]
    form = HoldForm(request.POST)
    form.is_valid()
    hold = request.POST.get("hold") == "1"
    services.debtor_hold_set(debtor=debtor, hold=hold, reason=form.cleaned_data.get("reason", ""), actor=_actor(request))
    messages.success(request, _("Chasing paused.") if hold else _("Chasing resumed."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@require_POST
@workspace_view()
def debtor_notes(request: HttpRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)  # type: ignore[attr-defined]
    form = NotesForm(request.POST)
    if form.is_valid():
        services.debtor_notes_update(debtor=debtor, notes=form.cleaned_data["notes"], actor=_actor(request))
        messages.success(request, _("Notes saved."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@workspace_view()
def imports(request: HttpRequest) -> HttpResponse:
    creditor = request.creditor  # type: ignore[attr-defined]
    bank = services.bank_import_available()
    form = UploadForm(request.POST or None, request.FILES or None, bank=bank)
    if request.method == "POST" and form.is_valid():
        uploaded = form.cleaned_data["file"]
        upload = services.import_upload_stage(
            creditor=creditor, user=request.user, kind=form.cleaned_data["kind"],  # type: ignore[arg-type]
            filename=uploaded.name, data=uploaded.read(), actor=_actor(request),
        )
        return redirect("workspace:import_review", token=upload.token)
    return render(request, "workspace/imports.html", {
        "form": form, "batches": selectors.imports_recent(creditor=creditor), "nav": "imports",
        "can_act": request.grant.allows("collector"),  # type: ignore[attr-defined]
    })


@workspace_view("collector")
def import_review(request: HttpRequest, token: str) -> HttpResponse:
    upload = selectors.import_upload_get(creditor=request.creditor, token=token)  # type: ignore[attr-defined]
    return render(request, "workspace/import_review.html", {"upload": upload, "result": upload.dry_run, "nav": "imports"})


@require_POST
@workspace_view("collector")
def import_confirm(request: HttpRequest, token: str) -> HttpResponse:
    upload = selectors.import_upload_get(creditor=request.creditor, token=token)  # type: ignore[attr-defined]
    if request.POST.get("decision") == "drop":
        services.import_upload_drop(upload=upload)
        messages.info(request, _("The file was not imported."))
        return redirect("workspace:imports")
    result = services.import_upload_confirm(upload=upload, actor=_actor(request))
    return render(request, "workspace/import_done.html", {"result": result, "filename": upload.filename, "nav": "imports"})


@workspace_view("admin", write_role="admin")
def creditor_settings(request: HttpRequest) -> HttpResponse:
    creditor = request.creditor  # type: ignore[attr-defined]
    fields = list(SettingsForm.base_fields)
    form = SettingsForm(request.POST or None, initial={f: getattr(creditor, f) for f in fields})
    if request.method == "POST" and form.is_valid():
        try:
            services.creditor_settings_update(creditor=creditor, actor=_actor(request), **form.cleaned_data)
        except InvalidInputError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspace:settings")
    return render(request, "workspace/settings.html", {"form": form, "nav": "settings"})


@workspace_view()
def worklist(request: HttpRequest) -> HttpResponse:
    work = selectors.worklist(creditor=request.creditor, as_of=timezone.localdate())  # type: ignore[attr-defined]
    return render(request, "workspace/worklist.html", {
        "work": work, "nav": "worklist", "can_act": request.grant.allows("collector"),  # type: ignore[attr-defined]
    })


@require_POST
@workspace_view()
def action_decide(request: HttpRequest, action_id: int, decision: str) -> HttpResponse:
    action = selectors.action_get(creditor=request.creditor, action_id=action_id)  # type: ignore[attr-defined]
    from relance.apps.collection import services as collection_services

    if decision == "approve":
        collection_services.actions_approve(ids=[action.pk], creditor=request.creditor, actor=_actor(request))  # type: ignore[attr-defined]
    elif decision == "skip":
        collection_services.action_skip(action_id=action.pk, actor=_actor(request))
    else:
        raise Http404
    messages.success(request, _("Action approved.") if decision == "approve" else _("Action skipped."))
    return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))
