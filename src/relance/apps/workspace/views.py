"""The workspace pages: each parses its input, calls one selector or service, and renders."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relance.apps.collection.contexts import LETTER_CHANNELS
from relance.apps.workspace import desk, figures, selectors, services
from relance.apps.workspace.access import SESSION_CREDITOR, back_url, workspace_view
from relance.apps.workspace.forms import (
    RATE_TABLE_LABELS,
    DisputeOpenForm,
    EInvoicesForm,
    HoldForm,
    LogoForm,
    NotesForm,
    PlanForm,
    PromiseForm,
    RateForm,
    SettingsForm,
    SmtpTestForm,
    TaskDoneForm,
    ThrottledLoginForm,
    UploadForm,
    outcome_forms,
)
from relance.apps.workspace.models import ImportUpload
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.wording import error_text, problem_text
from relance.errors import InvalidInputError, RelanceError

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
KIND_LABELS = {
    "business": gettext_lazy("Business"),
    "consumer": gettext_lazy("Consumer"),
    "public": gettext_lazy("Public body"),
}
TIMELINE_LABELS = {
    "action.planned": gettext_lazy("Planned"),
    "action.approved": gettext_lazy("Approved"),
    "action.sending": gettext_lazy("Sending"),
    "action.sent": gettext_lazy("Done"),
    "action.failed": gettext_lazy("Failed"),
    "action.cancelled": gettext_lazy("Cancelled"),
    "action.skipped": gettext_lazy("Skipped"),
    "call": gettext_lazy("Call"),
    "promise.open": gettext_lazy("Promise"),
    "promise.kept": gettext_lazy("Promise kept"),
    "promise.broken": gettext_lazy("Promise broken"),
    "dispute.open": gettext_lazy("Dispute open"),
    "dispute.closed": gettext_lazy("Dispute closed"),
    "plan.active": gettext_lazy("Payment plan"),
    "plan.completed": gettext_lazy("Payment plan completed"),
    "plan.broken": gettext_lazy("Payment plan broken"),
    "payment": gettext_lazy("Payment"),
    "debtor.held": gettext_lazy("Chasing paused"),
    "debtor.released": gettext_lazy("Chasing resumed"),
    "debtor.notes_changed": gettext_lazy("Notes changed"),
    "ledger.invoice_updated": gettext_lazy("Invoice changed"),
    "ledger.invoice_settled": gettext_lazy("Invoice settled"),
}
CHANNEL_LABELS = {
    "email": gettext_lazy("e-mail"),
    "letter": gettext_lazy("letter"),
    "registered_letter": gettext_lazy("registered letter"),
    "call": gettext_lazy("call"),
    "sms": gettext_lazy("SMS"),
    "task": gettext_lazy("task"),
}
STEP_LABELS = {
    "courtesy": gettext_lazy("Courtesy reminder"),
    "reminder": gettext_lazy("Reminder"),
    "invoice_again": gettext_lazy("Invoice sent again"),
    "call": gettext_lazy("Call"),
    "final_reminder": gettext_lazy("Final reminder"),
    "reminder_letter": gettext_lazy("Reminder letter"),
    "formal_notice": gettext_lazy("Formal notice"),
    "escalation": gettext_lazy("Escalation"),
    "thank_you": gettext_lazy("Thank-you for the payment"),
    "promise_confirmation": gettext_lazy("Promise confirmed"),
    "plan_confirmation": gettext_lazy("Payment plan confirmed"),
    "find_number": gettext_lazy("Find the right phone number"),
    "check_payment": gettext_lazy("Check the bank for the announced payment"),
}
TASK_LABELS = {
    "find_number": gettext_lazy("Find the right phone number"),
    "check_payment": gettext_lazy("Check the bank for the announced payment"),
}
SORT_LABELS = {
    "overdue": gettext_lazy("Overdue amount"),
    "days": gettext_lazy("Days overdue"),
    "name": gettext_lazy("Name"),
}


def _actor(request: HttpRequest) -> str:
    return f"user:{request.user.get_username()}"


def _streamed(response: FileResponse) -> HttpResponse:
    # workspace_view types a page as returning an HttpResponse; a FileResponse streams, so it is
    # only an HttpResponseBase. Django serves either alike.
    return response  # type: ignore[return-value]


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    authentication_form = ThrottledLoginForm
    redirect_authenticated_user = True
    next_page = "workspace:home"


@require_POST
@workspace_view(write_role="viewer")
def creditor_switch(request: WorkspaceRequest) -> HttpResponse:
    wanted = request.POST.get("creditor", "")
    if not any(str(g.creditor.pk) == wanted for g in request.grants):
        raise Http404
    request.session[SESSION_CREDITOR] = int(wanted)
    return HttpResponseRedirect(reverse("workspace:home"))


@workspace_view()
def dashboard(request: WorkspaceRequest) -> HttpResponse:
    board = selectors.dashboard(creditor=request.creditor, as_of=timezone.localdate())
    bars = [(BUCKET_LABELS[b.bucket], b) for b in board.bars]
    return render(
        request, "workspace/dashboard.html", {"board": board, "bars": bars, "nav": "home"}
    )


@workspace_view()
def debtors(request: WorkspaceRequest) -> HttpResponse:
    q = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "overdue")
    sort = sort if sort in selectors.SORTS else "overdue"
    active = tuple(f for f in request.GET.getlist("filter") if f in selectors.FILTERS)
    page = selectors.debtors_page(
        creditor=request.creditor,
        as_of=timezone.localdate(),
        q=q,
        filters=active,
        sort=sort,
        page=request.GET.get("page", 1),
    )
    keep = request.GET.copy()
    keep.pop("page", None)
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
        },
    )


@workspace_view()
def debtor_detail(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    return _debtor_page(request, debtor)


def _penalty_note(line: selectors.InvoiceLine) -> str:
    if line.missing_rate:
        return _(
            "No rate is recorded yet for %(period)s: the penalties cannot be computed. "
            "Once it is published, record it with: %(command)s"
        ) % {"period": line.missing_rate, "command": line.rate_command}
    return line.note


def _debtor_page(
    request: WorkspaceRequest, debtor: Any, bound: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    today = timezone.localdate()
    invoices = selectors.debtor_invoices_page(
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
    case = selectors.debtor_case(debtor=debtor) if collection else None
    open_invoices = [line.invoice for line in lines]
    disputed = selectors.debtor_disputes_open(debtor=debtor) if collection else {}
    forms = {
        "promise_form": PromiseForm(prefix="promise"),
        "dispute_form": DisputeOpenForm(
            prefix="dispute", invoices=[i for i in open_invoices if i.number not in disputed]
        ),
        "plan_form": PlanForm(prefix="plan", initial={"instalments": 3, "every": "1m"}),
        "hold_form": HoldForm(),
        "notes_form": NotesForm(initial={"notes": debtor.notes}),
    }
    forms.update(bound or {})
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
            "open_total": selectors.debtor_open_total(debtor=debtor),
            "penalties_total": None if unknown else sum((line.penalties or 0 for line in lines), 0),
            "paid": selectors.debtor_paid_invoices(debtor=debtor),
            "contacts": list(debtor.contacts.all()),
            "timeline": _timeline(selectors.debtor_timeline(debtor=debtor)),
            "can_act": request.grant.allows("collector"),
            "has_collection": collection,
            "case": case,
            "disputed": disputed,
            **forms,
        },
        status=status,
    )


def _timeline(items: list[selectors.TimelineItem]) -> list[selectors.TimelineItem]:
    for item in items:
        item.label = TIMELINE_LABELS.get(item.kind, item.kind)  # type: ignore[attr-defined]
        item.channel_label = CHANNEL_LABELS.get(item.channel, item.channel)  # type: ignore[attr-defined]
        item.step_label = STEP_LABELS.get(item.step, item.step)  # type: ignore[attr-defined]
    return items


@require_POST
@workspace_view()
def debtor_hold(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = HoldForm(request.POST)
    form.is_valid()
    hold = request.POST.get("hold") == "1"
    services.debtor_hold_set(
        debtor=debtor, hold=hold, reason=form.cleaned_data.get("reason", ""), actor=_actor(request)
    )
    messages.success(request, _("Chasing paused.") if hold else _("Chasing resumed."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@require_POST
@workspace_view()
def debtor_notes(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = NotesForm(request.POST)
    if form.is_valid():
        services.debtor_notes_update(
            debtor=debtor, notes=form.cleaned_data["notes"], actor=_actor(request)
        )
        messages.success(request, _("Notes saved."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@workspace_view()
def imports(request: WorkspaceRequest) -> HttpResponse:
    """A ledger or bank file, or e-invoices (two forms, told apart by their ``form`` field):
    staged and checked by a dry run, then reviewed before anything is written."""
    creditor = request.creditor
    bank = services.bank_import_available()
    posted = request.method == "POST"
    einvoices_posted = posted and request.POST.get("form") == "einvoices"
    form = UploadForm(
        request.POST if posted and not einvoices_posted else None,
        request.FILES if posted and not einvoices_posted else None,
        bank=bank,
    )
    einvoices_form = EInvoicesForm(
        request.POST if einvoices_posted else None, request.FILES if einvoices_posted else None
    )
    upload = None
    if einvoices_posted and einvoices_form.is_valid():
        upload = services.einvoices_upload_stage(
            creditor=creditor,
            user=request.user,
            files=[(f.name, f.read()) for f in einvoices_form.cleaned_data["documents"]],
            actor=_actor(request),
        )
    elif posted and not einvoices_posted and form.is_valid():
        uploaded = form.cleaned_data["file"]
        upload = services.import_upload_stage(
            creditor=creditor,
            user=request.user,
            kind=form.cleaned_data["kind"],
            filename=uploaded.name,
            data=uploaded.read(),
            actor=_actor(request),
        )
    if upload is not None:
        return redirect("workspace:import_review", token=upload.token)
    return render(
        request,
        "workspace/imports.html",
        {
            "form": form,
            "einvoices_form": einvoices_form,
            "batches": selectors.imports_recent(creditor=creditor),
            "nav": "imports",
            "can_act": request.grant.allows("collector"),
        },
    )


@workspace_view("collector")
def import_review(request: WorkspaceRequest, token: str) -> HttpResponse:
    upload = selectors.import_upload_get(creditor=request.creditor, token=token)
    return render(
        request,
        "workspace/import_review.html",
        {"upload": upload, "result": upload.dry_run, "nav": "imports"},
    )


@require_POST
@workspace_view("collector")
def import_confirm(request: WorkspaceRequest, token: str) -> HttpResponse:
    upload = selectors.import_upload_get(creditor=request.creditor, token=token)
    if request.POST.get("decision") == "drop":
        services.import_upload_drop(upload=upload)
        if upload.kind == ImportUpload.Kind.EINVOICES:
            messages.info(request, _("The e-invoices were not imported."))
        else:
            messages.info(request, _("The file was not imported."))
        return redirect("workspace:imports")
    result = services.import_upload_confirm(upload=upload, actor=_actor(request))
    return render(
        request,
        "workspace/import_done.html",
        {"result": result, "filename": upload.filename, "nav": "imports"},
    )


@workspace_view("admin", write_role="admin")
def creditor_settings(request: WorkspaceRequest) -> HttpResponse:
    """The creditor's identity, bank details, pay link and signature; its logo; a test e-mail
    through the configured server. Three forms, told apart by their ``form`` field."""
    creditor = request.creditor
    fields = list(SettingsForm.base_fields)
    which = request.POST.get("form", "identity") if request.method == "POST" else ""
    initial = {f: getattr(creditor, f) for f in fields}
    form = SettingsForm(request.POST if which == "identity" else None, initial=initial)
    logo_form = LogoForm(request.POST if which == "logo" else None, request.FILES or None)
    smtp_form = SmtpTestForm(
        request.POST if which == "smtp" else None,
        initial={"to": request.user.email or creditor.email},
    )
    rate_form = RateForm(
        request.POST if which == "rate" else None,
        initial={"table": request.GET.get("table", ""), "from_date": request.GET.get("from", "")},
    )
    status = 200
    if which == "identity" and form.is_valid():
        try:
            services.creditor_settings_update(
                creditor=creditor, actor=_actor(request), **form.cleaned_data
            )
        except InvalidInputError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspace:settings")
    elif which == "logo" and logo_form.is_valid():
        upload = logo_form.cleaned_data["logo"]
        try:
            if logo_form.cleaned_data["remove"]:
                services.creditor_logo_set(creditor=creditor, data=None, actor=_actor(request))
            elif upload is not None:
                services.creditor_logo_set(
                    creditor=creditor, data=upload.read(), actor=_actor(request)
                )
            else:
                raise InvalidInputError(_("Choose an image, or tick No logo."))
        except InvalidInputError as exc:
            logo_form.add_error("logo", error_text(exc))
        else:
            messages.success(request, _("Logo saved: it heads the letters from now on."))
            return redirect("workspace:settings")
    elif which == "rate" and rate_form.is_valid():
        from relance.apps.legal.services import rate_add
        from relance.domain.law import InvalidRateError

        data = rate_form.cleaned_data
        try:
            rate_add(
                table=data["table"],
                from_date=data["from_date"],
                rate=data["rate"],
                source=data["source"],
                actor=_actor(request),
            )
        except (InvalidRateError, InvalidInputError) as exc:
            rate_form.add_error(None, error_text(exc))
        else:
            messages.success(
                request,
                _("Rate recorded: every computation uses it from now on."),
            )
            return redirect(reverse("workspace:settings") + "#rates")
    elif which == "smtp" and smtp_form.is_valid():
        to = smtp_form.cleaned_data["to"]
        try:
            message_id = services.smtp_test_send(creditor=creditor, to=to, actor=_actor(request))
        except InvalidInputError as exc:
            smtp_form.add_error(None, error_text(exc))
        else:
            messages.success(
                request,
                _("Test message sent to %(to)s (Message-ID %(id)s).")
                % {"to": to, "id": message_id},
            )
            return redirect("workspace:settings")
    if which and any(f.errors for f in (form, logo_form, smtp_form, rate_form)):
        status = 400
    return render(
        request,
        "workspace/settings.html",
        {
            "form": form,
            "logo_form": logo_form,
            "smtp_form": smtp_form,
            "creditor": creditor,
            "email_url": _email_target(),
            "rate_form": rate_form,
            "rates_known": _rates_known(),
            "nav": "settings",
        },
        status=status,
    )


@workspace_view("admin", write_role="admin")
def creditor_logo(request: WorkspaceRequest) -> HttpResponse:
    """The active creditor's logo as stored (for the settings page)."""
    from django.http import FileResponse

    creditor = request.creditor
    if not creditor.logo:
        raise Http404
    kind = "image/png" if creditor.logo.name.endswith(".png") else "image/jpeg"
    return _streamed(FileResponse(creditor.logo.open("rb"), content_type=kind))


def _rates_known() -> list[dict[str, Any]]:
    """Per rate table: its label, the latest rate and since when, the last day it is known."""
    from relance.apps.legal.selectors import rates_known_until, rates_list

    known = rates_known_until()
    latest: dict[str, dict[str, Any]] = {}
    for row in rates_list():
        latest[row["table"]] = row
    return [
        {
            "table": name,
            "label": label,
            "latest": latest.get(name),
            "known_until": known.get(name),
        }
        for name, label in RATE_TABLE_LABELS.items()
    ]


def _email_target() -> str:
    """Where e-mail goes, without any password: the server, or the folder of .eml files."""
    from urllib.parse import urlsplit

    from django.conf import settings as django_settings

    parts = urlsplit(django_settings.EMAIL_URL)
    if parts.scheme == "file":
        return parts.path
    return f"{parts.scheme}://{parts.hostname}:{parts.port or ''}".rstrip(":")


@workspace_view()
def worklist(request: WorkspaceRequest) -> HttpResponse:
    creditor = request.creditor
    today = timezone.localdate()
    work = selectors.worklist(
        creditor=creditor,
        as_of=today,
        calls_page=request.GET.get("calls", 1),
        approvals_page=request.GET.get("approvals", 1),
    )
    context: dict[str, Any] = {
        "work": work,
        "pagers": _work_pagers(work),
        "nav": "worklist",
        "can_act": request.grant.allows("collector"),
        "lazy_outcomes": True,  # each outcome's form comes when it is opened (call_outcome)
    }
    if work.source == "collection":
        # A call's script (its letter context, penalties and all) comes when its card opens
        # it (call_script); the card itself carries the summary, the history and the outcomes.
        context["cards"] = _cards(
            desk.call_cards(creditor=creditor, calls=work.calls, as_of=today, scripts=False)
        )
        # Each approval's preview (a whole letter, rendered and checked) comes on its own
        # request as the card scrolls into view (action_preview): the list itself stays quick.
        context["previews"] = [
            _labelled(desk.Preview(a, "letter" if a.channel in LETTER_CHANNELS else a.channel))
            for a in work.approvals
        ]
        tasks = desk.tasks_due(creditor=creditor, as_of=today)
        for t in tasks:
            t.label = TASK_LABELS.get(t.step_key, t.subject or t.step_key)
        context["tasks"] = [(t, TaskDoneForm(prefix=f"t{t.pk}")) for t in tasks]
    return render(request, "workspace/worklist.html", context)


@require_POST
@workspace_view()
def run_today(request: WorkspaceRequest) -> HttpResponse:
    """Today's pass for the active creditor, from the worklist: payments first, then each
    debtor's next step, then the e-mails due, exactly as ``relance run`` (on a task queue when
    one is configured). The scheduler does this each morning; the button is for an install
    without one, and for a pass after an import."""
    from django.conf import settings as django_settings

    from relance.apps.collection.services import collection_run

    creditor = request.creditor
    today = timezone.localdate()
    if django_settings.BROKER_URL:
        from relance.apps.collection.tasks import daily_pass_enqueue

        daily_pass_enqueue(as_of=today, creditor=creditor.pk)
        messages.success(request, _("Today's pass is queued: the worklist fills as it runs."))
        return redirect("workspace:worklist")
    result = collection_run(as_of=today, creditor=creditor, actor=_actor(request))
    figures.warm(creditor=creditor, as_of=today)  # as relance run does
    counts = result.as_dict()["actions"]
    messages.success(
        request,
        _(
            "Today's pass is done: %(cases)s debtors looked at; %(sent)s messages sent, "
            "%(approval)s awaiting approval, %(planned)s planned, %(failed)s failed."
        )
        % {
            "cases": result.cases_evaluated,
            "sent": counts.get("sent", 0),
            "approval": counts.get("awaiting_approval", 0),
            "planned": counts.get("planned", 0),
            "failed": counts.get("failed", 0),
        },
    )
    for problem in result.problems[:5]:
        messages.warning(request, problem_text(problem))
    return redirect("workspace:worklist")


def _labelled(preview: desk.Preview) -> desk.Preview:
    action = preview.action
    preview.channel_label = CHANNEL_LABELS.get(action.channel, action.channel)  # type: ignore[attr-defined]
    template = action.template or action.step_key
    preview.step_label = STEP_LABELS.get(template, action.step_key)  # type: ignore[attr-defined]
    return preview


@workspace_view()
def action_preview(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """Exactly what one action waiting for approval will send if approved today: the letter as
    the batch prints it (with the mise en demeure's check), the e-mail as the outbox writes it.
    A fragment for the worklist's approval card; alone, it is a readable page too."""
    action = selectors.action_get(creditor=request.creditor, action_id=action_id)
    [preview] = desk.action_previews(actions=[action], as_of=timezone.localdate())
    page = "workspace/_preview.html" if request.htmx else "workspace/action_preview.html"
    return render(request, page, {"p": _labelled(preview), "a": action, "nav": "worklist"})


def _work_pagers(work: selectors.Worklist) -> dict[str, dict[str, Any]]:
    """Each list's page and the links to its neighbours, the other list staying on its page."""
    lists = {"calls": work.calls_page, "approvals": work.approvals_page}
    at = {name: page.number for name, page in lists.items() if page is not None}
    pagers: dict[str, dict[str, Any]] = {}
    for name, page in lists.items():
        if page is None:
            continue
        pagers[name] = {
            "page": page,
            "previous": "?" + urlencode({**at, name: page.previous_page_number()})
            if page.has_previous()
            else "",
            "next": "?" + urlencode({**at, name: page.next_page_number()})
            if page.has_next()
            else "",
        }
    return pagers


def _cards(cards: list[desk.CallCard], data: Any = None, only: str = "") -> list[desk.CallCard]:
    for card in cards:
        card.forms = outcome_forms(card.action, card.invoices, data, only)  # type: ignore[attr-defined]
        # The attempts are frozen dataclasses: the labelled copies are plain namespaces.
        card.history = [
            SimpleNamespace(
                date=a.date,
                channel=a.channel,
                summary=a.summary,
                label=CHANNEL_LABELS.get(a.channel, a.channel),
            )
            for a in card.history
        ]
    return cards


@workspace_view()
def call_detail(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """One call: its card and outcome forms; POST records the outcome (works without JavaScript)."""
    from relance.apps.collection.calls import call_get, call_outcome_record

    creditor = request.creditor
    action = call_get(action_id=action_id, creditor=creditor)
    if action.channel != "call":
        raise Http404
    today = timezone.localdate()
    outcome = request.POST.get("outcome", "") if request.method == "POST" else ""
    [card] = _cards(
        desk.call_cards(creditor=creditor, calls=[action], as_of=today),
        request.POST or None,
        outcome,
    )
    if request.method == "POST":
        chosen = next((f for o, _label, f in card.forms if o == outcome), None)  # type: ignore[attr-defined]
        if chosen is None:
            messages.error(request, _("Choose what the call achieved."))
        elif chosen.is_valid():
            data = chosen.cleaned_data
            try:
                call_outcome_record(
                    action=action,
                    outcome=outcome,
                    as_of=today,
                    actor=_actor(request),
                    creditor=creditor,
                    amount=data.get("amount"),
                    day=data.get("date"),
                    invoices=data.get("invoices") or (),
                    reason=data.get("reason", ""),
                    phone=data.get("phone", ""),
                    note=data.get("note", ""),
                )
            except RelanceError as exc:
                chosen.add_error(None, error_text(exc))
            else:
                if request.htmx:
                    # In place on the worklist: the card again, its outcome now recorded.
                    action = call_get(action_id=action_id, creditor=creditor)
                    [card] = _cards(desk.call_cards(creditor=creditor, calls=[action], as_of=today))
                    return render(
                        request,
                        "workspace/_call_card.html",
                        {"card": card, "can_act": True, "just_recorded": True},
                    )
                messages.success(request, _("Call outcome recorded."))
                return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))
        if request.htmx:
            # htmx swaps only a 2xx answer: the card comes back with the form's errors.
            return render(
                request,
                "workspace/_call_card.html",
                {"card": card, "can_act": True, "open_outcome": outcome},
            )
        return render(
            request,
            "workspace/call.html",
            {"card": card, "nav": "worklist", "can_act": True, "open_outcome": outcome},
            status=400,
        )
    return render(
        request,
        "workspace/call.html",
        {
            "card": card,
            "nav": "worklist",
            "can_act": request.grant.allows("collector"),
        },
    )


@workspace_view()
def call_outcome(request: WorkspaceRequest, action_id: int, outcome: str) -> HttpResponse:
    """One outcome's form for a call card on the worklist (htmx, when the collector opens it);
    alone, the call's page, which shows them all."""
    from relance.apps.collection.calls import call_get

    creditor = request.creditor
    action = call_get(action_id=action_id, creditor=creditor)
    if action.channel != "call":
        raise Http404
    if not request.htmx:
        return redirect("workspace:call", action.pk)
    [card] = _cards(
        desk.call_cards(
            creditor=creditor, calls=[action], as_of=timezone.localdate(), scripts=False
        )
    )
    found = [(label, form) for o, label, form in card.forms if o == outcome]  # type: ignore[attr-defined]
    if not found:
        raise Http404
    [(label, form)] = found
    return render(
        request,
        "workspace/_outcome_form.html",
        {
            "card": card,
            "outcome": outcome,
            "label": label,
            "form": form,
            "next_url": reverse("workspace:worklist"),
        },
    )


@workspace_view()
def call_script(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """One call's script as of today, for its card on the worklist (htmx); alone, the call's
    page, which shows it."""
    from relance.apps.collection.calls import call_get

    creditor = request.creditor
    action = call_get(action_id=action_id, creditor=creditor)
    if action.channel != "call":
        raise Http404
    if not request.htmx:
        return redirect("workspace:call", action.pk)
    [card] = desk.call_cards(creditor=creditor, calls=[action], as_of=timezone.localdate())
    return render(request, "workspace/_call_script.html", {"card": card})


@require_POST
@workspace_view()
def task_done(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    from relance.apps.collection.calls import call_get, task_complete

    creditor = request.creditor
    action = call_get(action_id=action_id, creditor=creditor)
    form = TaskDoneForm(request.POST, prefix=f"t{action.pk}")
    form.is_valid()
    task_complete(
        action=action,
        as_of=timezone.localdate(),
        note=form.cleaned_data.get("note", ""),
        actor=_actor(request),
        creditor=creditor,
    )
    messages.success(request, _("Task done."))
    return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))


@workspace_view()
def action_letter(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """The letter a pending action would print today (a preview: rendered, never stored)."""
    action = selectors.action_get(creditor=request.creditor, action_id=action_id)
    pdf = desk.letter_pdf(action=action, as_of=timezone.localdate())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{action.pk}.pdf"'
    return response


@workspace_view()
def action_document(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """The document as it was sent (kept unchanged under MEDIA_ROOT/documents/)."""
    action = selectors.action_get(creditor=request.creditor, action_id=action_id)
    if not action.document:
        raise Http404
    try:
        handle = action.document.open("rb")
    except OSError as exc:
        raise Http404 from exc
    return _streamed(
        FileResponse(
            handle, content_type="application/pdf", filename=f"{action.sha256 or action.pk}.pdf"
        )
    )


@require_POST
@workspace_view()
def debtor_promise(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.services import promise_add

    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = PromiseForm(request.POST, prefix="promise")
    if form.is_valid():
        try:
            promise_add(
                creditor=debtor.creditor,
                debtor_account=debtor.account,
                amount=form.cleaned_data["amount"],
                promised_date=form.cleaned_data["date"],
                as_of=timezone.localdate(),
                actor=_actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Promise recorded; chasing waits until its date."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return _debtor_page(request, debtor, {"promise_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_dispute(request: WorkspaceRequest, debtor_id: int, decision: str) -> HttpResponse:
    from relance.apps.collection.services import dispute_close, dispute_open

    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    today = timezone.localdate()
    if decision == "close":
        number = request.POST.get("invoice", "")
        if number not in selectors.debtor_disputes_open(debtor=debtor):
            raise Http404
        dispute_close(
            creditor=debtor.creditor, invoice_number=number, as_of=today, actor=_actor(request)
        )
        messages.success(request, _("Dispute closed: the invoice is chased again."))
        return redirect("workspace:debtor", debtor_id=debtor.pk)
    if decision != "open":
        raise Http404
    # Any open invoice of the debtor may be disputed, whichever page listed it.
    invoices = selectors.debtor_invoices_open(
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
                actor=_actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Dispute opened: this invoice is no longer chased."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return _debtor_page(request, debtor, {"dispute_form": form}, status=400)


@require_POST
@workspace_view()
def debtor_plan(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.collection.services import plan_create

    debtor = selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
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
                actor=_actor(request),
            )
        except RelanceError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Payment plan created."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return _debtor_page(request, debtor, {"plan_form": form}, status=400)


@require_POST
@workspace_view()
def action_decide(request: WorkspaceRequest, action_id: int, decision: str) -> HttpResponse:
    action = selectors.action_get(creditor=request.creditor, action_id=action_id)
    from relance.apps.collection import services as collection_services

    if decision == "approve":
        collection_services.actions_approve(
            ids=[action.pk], creditor=request.creditor, actor=_actor(request)
        )
    elif decision == "skip":
        collection_services.action_skip(action_id=action.pk, actor=_actor(request))
    else:
        raise Http404
    if request.htmx:
        # In place on the worklist: the approval card gives way to what was decided.
        action.refresh_from_db()
        template = action.template or action.step_key
        return render(
            request,
            "workspace/_decided.html",
            {
                "action": action,
                "decision": decision,
                "step_label": STEP_LABELS.get(template, action.step_key),
                "channel_label": CHANNEL_LABELS.get(action.channel, action.channel),
            },
        )
    messages.success(
        request, _("Action approved.") if decision == "approve" else _("Action skipped.")
    )
    return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))
