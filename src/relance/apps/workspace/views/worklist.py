"""The worklist: today's pass, the actions awaiting approval with their previews, and the
documents an action prints or sent."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relance.apps.collection import actions as collection_actions
from relance.apps.collection.contexts import LETTER_CHANNELS
from relance.apps.collection.sendable import NotSendableError
from relance.apps.collection.uncertain import actions_uncertain
from relance.apps.workspace import desk, worklist_selectors
from relance.apps.workspace.access import back_url, workspace_view
from relance.apps.workspace.forms import TaskDoneForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.calls import cards_with_forms
from relance.apps.workspace.views.common import actor, streamed
from relance.apps.workspace.views.labels import (
    ACTION_REASONS,
    CHANNEL_LABELS,
    STEP_LABELS,
    TASK_LABELS,
)
from relance.apps.workspace.views.legal_stage import reminder_rows
from relance.apps.workspace.wording import problem_text
from relance.domain.errors import RelanceError


@workspace_view()
def worklist(request: WorkspaceRequest) -> HttpResponse:
    creditor = request.creditor
    today = timezone.localdate()
    filters = worklist_selectors.WorkFilters.from_query(request.GET)
    work = worklist_selectors.worklist(
        creditor=creditor,
        as_of=today,
        calls_page=request.GET.get("calls", 1),
        approvals_page=request.GET.get("approvals", 1),
        filters=filters,
    )
    context: dict[str, Any] = {
        "work": work,
        "pagers": _work_pagers(work),
        "nav": "worklist",
        "can_act": request.grant.allows("collector"),
        "lazy_outcomes": True,  # each outcome's form comes when it is opened (call_outcome)
        "filter_channels": [
            (c, CHANNEL_LABELS.get(c, c)) for c in worklist_selectors.FILTER_CHANNELS
        ],
    }
    if work.source == "collection":
        # A call's script (its letter context, penalties and all) comes when its card opens
        # it (call_script); the card itself carries the summary, the history and the outcomes.
        context["cards"] = cards_with_forms(
            desk.call_cards(creditor=creditor, calls=work.calls, as_of=today, scripts=False)
        )
        for card in context["cards"]:
            card.priority = worklist_selectors.Priority.of(card.action)
        # Each approval is a row of the table: what it asks, how late, the history, what the
        # bank says; its preview comes on request (action_preview), never all at once.
        context["previews"] = approval_rows(creditor=creditor, actions=work.approvals, as_of=today)
        tasks = desk.tasks_due(creditor=creditor, as_of=today)
        for t in tasks:
            t.label = TASK_LABELS.get(t.step_key, t.subject or t.step_key)
            if t.reason in ACTION_REASONS:  # an e-mail step that could not go: say why
                t.label = f"{STEP_LABELS.get(t.step_key, t.step_key)} · {ACTION_REASONS[t.reason]}"
            t.proposal = _proposal(t)
        context["tasks"] = [(t, TaskDoneForm(prefix=f"t{t.pk}")) for t in tasks]
        context["uncertain"] = list(actions_uncertain(creditor=creditor)[:50])
        context["legal"] = reminder_rows(work.legal)
        from relance.apps.collection.letters import letters_due_count

        # Letters approved and not printed hold their case: the worklist says they wait.
        context["letters_to_print"] = letters_due_count(as_of=today, creditor=creditor)
    return render(request, "workspace/worklist.html", context)


def _proposal(task: Any) -> SimpleNamespace | None:
    """A plan the debtor proposed on the portal, as its task keeps it: the number of
    instalments, the first one's date and the debtor's own message."""
    from datetime import date

    terms = task.outcome if isinstance(task.outcome, dict) else {}
    if task.step_key != "plan_proposal" or "first" not in terms:
        return None
    try:
        first = date.fromisoformat(str(terms["first"]))
    except ValueError:
        return None
    return SimpleNamespace(
        instalments=int(terms.get("instalments", 0)), first=first,
        message=str(terms.get("message", "") or task.body_text),
    )


def approval_rows(*, creditor: Any, actions: list[Any], as_of: Any) -> list[desk.Preview]:
    """The approval table's rows: each action with its labels, what approval would refuse
    (the same check, said before anyone clicks), the amount its document asks, its invoices,
    the debtor's last contact, its priority and the bank's hints. A fixed number of queries."""
    from relance.apps.banking.hints import credit_hints
    from relance.documents.templates import payable_amount

    rows = [
        _labelled(desk.Preview(a, "letter" if a.channel in LETTER_CHANNELS else a.channel))
        for a in actions
    ]
    checks = collection_actions.approval_checks(list(actions))
    asked: dict[int, set[Any]] = {}
    for row in rows:
        a = row.action
        check = checks.get(a.pk)
        row.blocking = [problem_text(p) for p in check.problems] if check else []
        row.priority = worklist_selectors.Priority.of(a)  # type: ignore[attr-defined]
        context = check.context if check else None
        row.amount = row.invoice_count = row.last_contact = None  # type: ignore[attr-defined]
        if context is not None:
            try:
                row.amount = payable_amount(context, check.template)  # type: ignore[union-attr,attr-defined]
            except RelanceError:
                row.amount = context.principal  # type: ignore[attr-defined]
            row.invoice_count = len(context.invoices)  # type: ignore[attr-defined]
            if context.attempts:
                last = context.attempts[-1]
                row.last_contact = SimpleNamespace(  # type: ignore[attr-defined]
                    date=last.date, label=CHANNEL_LABELS.get(last.channel, last.channel),
                    summary=last.summary,
                )
            asked.setdefault(a.debtor_id, set()).update(
                {row.amount, context.principal, context.amount_claimed}  # type: ignore[attr-defined]
            )
        asked.setdefault(a.debtor_id, set()).add(row.priority.overdue_amount)  # type: ignore[attr-defined]
    hints = credit_hints(
        creditor=creditor, debtor_ids=asked, asked=asked, as_of=as_of
    ) if rows else {}
    for row in rows:
        row.hints = hints.get(row.action.debtor_id, [])  # type: ignore[attr-defined]
    return rows


@require_POST
@workspace_view()
def run_today(request: WorkspaceRequest) -> HttpResponse:
    """Today's pass for the active creditor, from the worklist: payments first, then each
    debtor's next step, then the e-mails due, exactly as ``relance run`` (on a task queue when
    one is configured). The scheduler does this each morning; the button is for an install
    without one, and for a pass after an import."""
    from django.conf import settings as django_settings

    from relance.apps.collection.morning import morning_pass

    creditor = request.creditor
    today = timezone.localdate()
    if django_settings.BROKER_URL:
        from relance.apps.collection.tasks import daily_pass_enqueue

        daily_pass_enqueue(as_of=today, creditor=creditor.pk)
        messages.success(request, _("Today's pass is queued: the worklist fills as it runs."))
        return redirect("workspace:worklist")
    result = morning_pass(as_of=today, creditor=creditor, actor=actor(request))
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
    action = worklist_selectors.action_get(creditor=request.creditor, action_id=action_id)
    [preview] = desk.action_previews(actions=[action], as_of=timezone.localdate())
    page = "workspace/_preview.html" if request.htmx else "workspace/action_preview.html"
    can_decide = (
        request.grant.allows("collector")
        and action.state == "planned"
        and action.requires_approval
    )
    return render(
        request, page,
        {"p": _labelled(preview), "a": action, "nav": "worklist", "can_decide": can_decide},
    )


def _work_pagers(work: worklist_selectors.Worklist) -> dict[str, dict[str, Any]]:
    """Each list's page and the links to its neighbours, the other list staying on its page."""
    lists = {"calls": work.calls_page, "approvals": work.approvals_page}
    at: dict[str, Any] = {
        **work.filters.as_query(),
        **{name: page.number for name, page in lists.items() if page is not None},
    }
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


@workspace_view()
def action_letter(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """The letter a pending action would print today (a preview: rendered, never stored)."""
    action = worklist_selectors.action_get(creditor=request.creditor, action_id=action_id)
    pdf = desk.letter_pdf(action=action, as_of=timezone.localdate())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="preview-{action.pk}.pdf"'
    return response


@workspace_view()
def action_document(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    """The document as it was sent (kept unchanged under MEDIA_ROOT/documents/)."""
    action = worklist_selectors.action_get(creditor=request.creditor, action_id=action_id)
    if not action.document:
        raise Http404
    is_eml = str(action.document.name).endswith(".eml")
    if is_eml and request.GET.get("raw") != "1":  # an e-mail is read as an e-mail
        return redirect("workspace:email_as_sent", action_id=action.pk)
    try:
        handle = action.document.open("rb")
    except OSError as exc:
        raise Http404 from exc
    kind, suffix = ("message/rfc822", "eml") if is_eml else ("application/pdf", "pdf")
    return streamed(
        FileResponse(
            handle, content_type=kind, as_attachment=is_eml,
            filename=f"{action.sha256 or action.pk}.{suffix}",
        )
    )


@require_POST
@workspace_view()
def action_decide(request: WorkspaceRequest, action_id: int, decision: str) -> HttpResponse:
    action = worklist_selectors.action_get(creditor=request.creditor, action_id=action_id)
    if decision == "approve":
        try:
            collection_actions.actions_approve(
                ids=[action.pk], creditor=request.creditor, actor=actor(request)
            )
        except NotSendableError as exc:
            if not request.htmx:
                raise
            # In place: the card says what keeps the document from going out.
            return render(
                request,
                "workspace/_refused.html",
                {"action": action, "problems": [problem_text(p.params["problem"]) for p in exc.refused]},
            )
    elif decision == "skip":
        collection_actions.action_skip(action_id=action.pk, actor=actor(request))
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


@require_POST
@workspace_view()
def actions_bulk(request: WorkspaceRequest) -> HttpResponse:
    """The approval table's selection, approved or skipped at once. Approval checks each
    document as one approval does; what cannot go out stays waiting, and the page says which
    and why."""
    decision = request.POST.get("decision", "")
    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    back = back_url(request, reverse("workspace:worklist"))
    if not ids:
        messages.error(request, _("Select at least one action."))
        return HttpResponseRedirect(back)
    if decision == "approve":
        done = collection_actions.actions_approve_each(
            ids=ids, creditor=request.creditor, actor=actor(request)
        )
        if done.approved:
            messages.success(
                request,
                ngettext(
                    "%(count)d action approved: it goes out with the next dispatch.",
                    "%(count)d actions approved: they go out with the next dispatch.",
                    len(done.approved),
                )
                % {"count": len(done.approved)},
            )
        if done.decided:
            messages.info(
                request,
                _("Already decided, left as they are: %(debtors)s")
                % {"debtors": ", ".join(a.debtor.name for a in done.decided)},
            )
        for action, problems in done.refused:
            template = action.template or action.step_key
            messages.error(
                request,
                _("Not approved: %(debtor)s (%(step)s): %(problems)s")
                % {
                    "debtor": action.debtor.name,
                    "step": STEP_LABELS.get(template, action.step_key),
                    "problems": " · ".join(problem_text(p) for p in problems),
                },
            )
    elif decision == "skip":
        skipped = collection_actions.actions_skip(
            ids=ids, creditor=request.creditor, actor=actor(request)
        )
        messages.success(
            request,
            ngettext("%(count)d action skipped.", "%(count)d actions skipped.", len(skipped))
            % {"count": len(skipped)},
        )
    else:
        raise Http404
    return HttpResponseRedirect(back)

