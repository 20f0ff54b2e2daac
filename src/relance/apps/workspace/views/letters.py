"""Letters to post: the approved letters not printed yet, printed as one PDF for the selection
(as ``relance letters batch``), then the registered letters waiting for what La Poste says (a
form per letter, or a CSV file of tracking numbers)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.desk_forms import DeliveryForm, TrackingFileForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor, streamed
from relance.apps.workspace.views.labels import CHANNEL_LABELS, STEP_LABELS
from relance.apps.workspace.wording import error_text, problem_text
from relance.domain.errors import RelanceError

MAX_TRACKING_BYTES = 2 * 2**20


def _labelled(actions: list[Any]) -> list[Any]:
    for a in actions:
        template = a.template or a.step_key
        a.step_label = STEP_LABELS.get(template, a.step_key)
        a.channel_label = CHANNEL_LABELS.get(a.channel, a.channel)
    return actions


@workspace_view()
def letters(request: WorkspaceRequest, *, tracking_form: Any = None, problems: Any = None,
            status: int = 200) -> HttpResponse:
    from relance.apps.collection.letters import letters_awaiting_delivery, letters_due

    creditor = request.creditor
    today = timezone.localdate()
    from relance.apps.collection.contexts import case_reference

    waiting = _labelled(letters_awaiting_delivery(creditor=creditor))
    for a in waiting:  # the reference the letter bears, which a tracking file may quote
        a.reference = case_reference(case=a.case, debtor=a.debtor, as_of=today)
    batch = request.GET.get("batch", "")
    context = {
        "nav": "letters",
        "can_act": request.grant.allows("collector"),
        "to_print": _labelled(letters_due(as_of=today, creditor=creditor)),
        "waiting": [(a, DeliveryForm(prefix=f"d{a.pk}", initial={"tracking": a.tracking_number}))
                    for a in waiting],
        "tracking_form": tracking_form or TrackingFileForm(),
        "tracking_problems": problems or [],
        "batch": batch if len(batch) == 64 and batch.isalnum() else "",
    }
    return render(request, "workspace/letters.html", context, status=status)


@require_POST
@workspace_view()
def letters_print(request: WorkspaceRequest) -> HttpResponse:
    """Print the selected letters into one PDF (cover sheet, address windows) and mark them
    sent; the page then offers the PDF, and says what could not be printed and why."""
    from relance.apps.collection.letters import letters_batch

    ids = [int(i) for i in request.POST.getlist("ids") if i.isdigit()]
    if not ids:
        messages.error(request, _("Select at least one letter."))
        return HttpResponseRedirect(reverse("workspace:letters"))
    result = letters_batch(
        as_of=timezone.localdate(), creditor=request.creditor, ids=ids, actor=actor(request)
    )
    for problem in result.problems:
        messages.error(request, problem_text(problem))
    if not result.pdf:
        messages.warning(request, _("No letter was printed."))
        return HttpResponseRedirect(reverse("workspace:letters"))
    messages.success(
        request,
        ngettext(
            "%(count)d letter printed: download the PDF, print it and post it.",
            "%(count)d letters printed: download the PDF, print it and post them.",
            len(result.letters),
        )
        % {"count": len(result.letters)},
    )
    return HttpResponseRedirect(f"{reverse('workspace:letters')}?batch={result.sha256}")


@workspace_view()
def letters_batch_pdf(request: WorkspaceRequest, sha256: str) -> HttpResponse:
    """A print batch of the creditor's, as printed (kept under MEDIA_ROOT/documents/)."""
    from relance.apps.audit.models import Event

    if not Event.objects.filter(
        kind="letters.batch", creditor_id=request.creditor.pk, payload__sha256=sha256
    ).exists():
        raise Http404
    path = Path(settings.MEDIA_ROOT) / "documents" / f"{sha256}.pdf"
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise Http404 from exc
    return streamed(
        FileResponse(handle, content_type="application/pdf", filename=f"lettres-{sha256[:12]}.pdf")
    )


@require_POST
@workspace_view()
def letter_deliver(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    from relance.apps.collection.letters import letter_deliver as deliver
    from relance.apps.workspace.worklist_selectors import action_get

    action = action_get(creditor=request.creditor, action_id=action_id)
    form = DeliveryForm(request.POST, prefix=f"d{action.pk}")
    if not form.is_valid():
        for errors in form.errors.values():
            for e in errors:
                messages.error(request, _("%(debtor)s: %(error)s") % {"debtor": action.debtor.name, "error": e})
        return HttpResponseRedirect(reverse("workspace:letters"))
    data = form.cleaned_data
    try:
        deliver(action_id=action.pk, tracking=data["tracking"], received=data.get("received"),
                not_claimed=bool(data.get("not_claimed")), actor=actor(request))
    except RelanceError as exc:
        messages.error(
            request, _("%(debtor)s: %(error)s") % {"debtor": action.debtor.name, "error": error_text(exc)}
        )
    else:
        messages.success(request, _("Delivery recorded."))
    return HttpResponseRedirect(reverse("workspace:letters"))


@require_POST
@workspace_view()
def letters_tracking(request: WorkspaceRequest) -> HttpResponse:
    """A CSV file of tracking numbers, taken whole or refused whole with each line and why."""
    from relance.apps.collection.tracking import TrackingFileError, tracking_file_import

    form = TrackingFileForm(request.POST, request.FILES)
    if not form.is_valid():
        return letters(request, tracking_form=form, status=400)
    upload = form.cleaned_data["file"]
    if upload.size > MAX_TRACKING_BYTES:
        form.add_error("file", _("The file is too large (at most 2 MB)."))
        return letters(request, tracking_form=form, status=400)
    try:
        done = tracking_file_import(
            creditor=request.creditor, data=upload.read(), actor=actor(request)
        )
    except TrackingFileError as exc:
        problems = [
            _("line %(line)s: %(problem)s") % {"line": p.line, "problem": problem_text(p)}
            if p.line else problem_text(p)
            for p in exc.problems
        ]
        return letters(request, tracking_form=form, problems=problems, status=400)
    messages.success(
        request,
        ngettext(
            "%(count)d tracking number recorded.", "%(count)d tracking numbers recorded.",
            len(done),
        )
        % {"count": len(done)},
    )
    return HttpResponseRedirect(reverse("workspace:letters"))
