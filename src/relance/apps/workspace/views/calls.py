"""The collector's calls and tasks: a call's card, script and outcomes; a task marked done."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.workspace import desk
from relance.apps.workspace.access import back_url, workspace_view
from relance.apps.workspace.forms import ONE_CLICK_OUTCOMES, TaskDoneForm, outcome_forms
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import CHANNEL_LABELS
from relance.apps.workspace.wording import error_text
from relance.domain.errors import RelanceError


def cards_with_forms(
    cards: list[desk.CallCard], data: Any = None, only: str = ""
) -> list[desk.CallCard]:
    """The call cards with their outcome forms (bound to ``data`` when given) and labelled history."""
    for card in cards:
        card.forms = outcome_forms(  # type: ignore[attr-defined]
            card.action, card.invoices, data, only, owed=card.overdue_total or card.open_total
        )
        # One click records these; the others show their few fields on the card.
        card.quick = sorted(  # type: ignore[attr-defined]
            (f for f in card.forms if f[0] in ONE_CLICK_OUTCOMES),  # type: ignore[attr-defined]
            key=lambda f: ONE_CLICK_OUTCOMES.index(f[0]),
        )
        card.detailed = [f for f in card.forms if f[0] not in ONE_CLICK_OUTCOMES]  # type: ignore[attr-defined]
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
    [card] = cards_with_forms(
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
                    actor=actor(request),
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
                    [card] = cards_with_forms(
                        desk.call_cards(creditor=creditor, calls=[action], as_of=today)
                    )
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
    [card] = cards_with_forms(
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
        actor=actor(request),
        creditor=creditor,
    )
    messages.success(request, _("Task done."))
    return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))


@require_POST
@workspace_view()
def proposal_decide(request: WorkspaceRequest, action_id: int, decision: str) -> HttpResponse:
    """A plan the debtor proposed on the portal, accepted (the plan is created and its
    confirmation sent) or declined (recorded, and the debtor told)."""
    from relance.apps.collection.pauses import plan_proposal_accept, plan_proposal_decline

    today = timezone.localdate()
    if decision == "accept":
        plan_proposal_accept(
            creditor=request.creditor, task_id=action_id, as_of=today, actor=actor(request)
        )
        messages.success(
            request, _("Plan accepted: the debtor receives its confirmation, every instalment.")
        )
    elif decision == "decline":
        plan_proposal_decline(
            creditor=request.creditor, task_id=action_id, as_of=today,
            reason=request.POST.get("reason", ""), actor=actor(request),
        )
        messages.success(request, _("Plan declined: the debtor is told, the chase goes on."))
    else:
        raise Http404
    return HttpResponseRedirect(back_url(request, reverse("workspace:worklist")))

