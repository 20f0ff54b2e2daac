"""The first morning: the steps of a new install, and the one question about old debts."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from relance.apps.collection.outside import history_answer
from relance.apps.workspace import services
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.forms import SmtpTestForm
from relance.apps.workspace.onboarding import onboarding_scenario_checked, onboarding_status
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import CHANNEL_LABELS, KIND_LABELS, STEP_LABELS
from relance.apps.workspace.wording import error_text
from relance.documents.formatting import format_iban
from relance.domain.errors import InvalidInputError

ANSWER_LABELS = [
    ("nothing", gettext_lazy("Nothing yet")),
    ("email", gettext_lazy("A reminder e-mail")),
    ("letter", gettext_lazy("A reminder letter")),
    ("formal_notice", gettext_lazy("A mise en demeure")),
]


def welcome_page(request: WorkspaceRequest, *, status: int = 200, smtp_form: SmtpTestForm | None = None) -> HttpResponse:
    today = timezone.localdate()
    state = onboarding_status(creditor=request.creditor, as_of=today)
    scenarios = [
        {
            "scenario": s,
            "kinds": ", ".join(str(KIND_LABELS.get(k, k)) for k in (s.debtor_kinds or [])),
            "steps": [
                (s_.offset_days, STEP_LABELS.get(s_.key, s_.key), CHANNEL_LABELS.get(s_.channel, s_.channel))
                for s_ in s.steps.all()
            ],
        }
        for s in state.scenarios
    ]
    return render(
        request,
        "workspace/welcome.html",
        {
            "state": state,
            "scenarios": scenarios,
            "answers": [(k, str(v)) for k, v in ANSWER_LABELS],
            "smtp_form": smtp_form or SmtpTestForm(initial={"to": request.user.email or request.creditor.email}),
            "is_admin": request.grant.allows("admin"),
            "can_act": request.grant.allows("collector"),
            "today": today,
            "iban_shown": format_iban(request.creditor.iban) if request.creditor.iban else "",
            "nav": "home",
        },
        status=status,
    )


@workspace_view()
def welcome(request: WorkspaceRequest) -> HttpResponse:
    return welcome_page(request)


@require_POST
@workspace_view(write_role="admin")
def welcome_scenario(request: WorkspaceRequest) -> HttpResponse:
    onboarding_scenario_checked(creditor=request.creditor, actor=actor(request))
    messages.success(request, _("Noted: the chase follows these scenarios."))
    return redirect(reverse("workspace:welcome") + "#step-mail")


@require_POST
@workspace_view(write_role="admin")
def welcome_test_mail(request: WorkspaceRequest) -> HttpResponse:
    form = SmtpTestForm(request.POST)
    if form.is_valid():
        to = form.cleaned_data["to"]
        try:
            message_id = services.smtp_test_send(creditor=request.creditor, to=to, actor=actor(request))
        except InvalidInputError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(
                request,
                _("Test message sent to %(to)s (Message-ID %(id)s).") % {"to": to, "id": message_id},
            )
            return redirect(reverse("workspace:welcome") + "#step-mail")
    return welcome_page(request, status=400, smtp_form=form)


@require_POST
@workspace_view()
def welcome_history(request: WorkspaceRequest) -> HttpResponse:
    """What was done outside Relance, for every debtor listed (each row's answer; ``nothing``
    unless said otherwise)."""
    today = timezone.localdate()
    answers: dict[int, tuple[str, date | None]] = {}
    for key in request.POST:
        if not key.startswith("answer-") or not key[7:].isdigit():
            continue
        debtor_id, value = int(key[7:]), request.POST.get(key, "")
        raw = request.POST.get(f"date-{debtor_id}", "").strip()
        try:
            day = date.fromisoformat(raw) if raw else None
        except ValueError:
            messages.error(request, _("“%(value)s” is not a date.") % {"value": raw})
            return redirect(reverse("workspace:welcome") + "#history")
        answers[debtor_id] = (value, day)
    try:
        counts = history_answer(
            creditor=request.creditor, answers=answers, as_of=today, actor=actor(request)
        )
    except InvalidInputError as exc:
        messages.error(request, error_text(exc))
        return redirect(reverse("workspace:welcome") + "#history")
    done = sum(n for answer, n in counts.items() if answer != "nothing")
    messages.success(
        request,
        _("Recorded: %(done)s debtor(s) resume after what was done; %(fresh)s start with the first reminder.")
        % {"done": done, "fresh": counts["nothing"]},
    )
    return redirect("workspace:welcome")
