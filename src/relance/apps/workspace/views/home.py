"""Signing in, choosing the active creditor, and the dashboard."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from relance.apps.workspace import selectors
from relance.apps.workspace.access import SESSION_CREDITOR, workspace_view
from relance.apps.workspace.forms import ThrottledLoginForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.labels import BUCKET_LABELS, ORIGIN_LABELS, STEP_LABELS


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
    from relance.apps.workspace.onboarding import creditor_has_invoices
    from relance.apps.workspace.views.onboarding import welcome_page

    if not creditor_has_invoices(creditor=request.creditor):
        return welcome_page(request)  # nothing to show but zeros: the first steps instead
    board = selectors.dashboard(creditor=request.creditor, as_of=timezone.localdate())
    bars = [(BUCKET_LABELS[b.bucket], b) for b in board.bars]
    # Each line of what was collected: the step before the money came, else its origin.
    collected = [
        (STEP_LABELS.get(key) or ORIGIN_LABELS.get(key) or key, amount)
        for key, amount in board.collected
    ]
    from relance.apps.workspace.onboarding import history_question_pending

    pending = selectors.collection_ready() and history_question_pending(creditor=request.creditor)
    return render(
        request,
        "workspace/dashboard.html",
        {"board": board, "bars": bars, "collected": collected, "nav": "home", "welcome_pending": pending},
    )
