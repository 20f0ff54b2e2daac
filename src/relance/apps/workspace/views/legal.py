"""The end of the amicable path: download a dossier, write a claim off (the debtor page), take in
a status file from an agency or a lawyer (the debtor list)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.workspace import debtor_selectors
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.forms import DossierForm, StatusFileForm, WriteOffForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import ROUTE_LABELS, WRITE_OFF_LABELS
from relance.apps.workspace.wording import problem_text


@require_POST
@workspace_view()
def debtor_dossier(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    """The dossier as a ZIP download; a refusal comes back on the page with every reason."""
    from relance.apps.legal.dossier import dossier_build

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = DossierForm(request.POST, prefix="dossier", routes=ROUTE_LABELS)
    if not form.is_valid():
        messages.error(request, _("Choose a route for the dossier."))
        return redirect("workspace:debtor", debtor_id=debtor.pk)
    result = dossier_build(
        creditor=request.creditor, account=debtor.account, route=form.cleaned_data["route"],
        as_of=timezone.localdate(), is_consumer_credit=form.cleaned_data["consumer_credit"],
        enter_legal_stage=form.cleaned_data["legal_stage"], actor=actor(request),
    )
    if result.stage is not None:
        messages.success(
            request,
            _("The case is in the legal stage (%(route)s), reference %(reference)s.")
            % {"route": ROUTE_LABELS[result.stage.route], "reference": result.stage.reference},
        )
    response = HttpResponse(result.data, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{result.filename}"'
    return response


@require_POST
@workspace_view(write_role="admin")
def debtor_write_off(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    """Close the case as written off; the entry (FEC layout) is downloaded for the accountant."""
    from relance.apps.legal.write_off import case_write_off

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = WriteOffForm(request.POST, prefix="writeoff", reasons=WRITE_OFF_LABELS)
    if not form.is_valid():
        messages.error(request, _("Choose why the claim is written off."))
        return redirect("workspace:debtor", debtor_id=debtor.pk)
    result = case_write_off(
        creditor=request.creditor, account=debtor.account, reason=form.cleaned_data["reason"],
        as_of=timezone.localdate(), vat_rate=form.cleaned_data["vat_rate"],
        penalties_invoiced=form.cleaned_data["penalties_invoiced"], actor=actor(request),
    )
    response = HttpResponse(result.data, content_type="text/plain; charset=utf-8")
    name = f"perte-{debtor.account}-{timezone.localdate().isoformat()}.txt"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@workspace_view("collector")
def status_import(request: WorkspaceRequest) -> HttpResponse:
    """A status file from an agency or a lawyer (``collection.status_files``): taken whole, or
    refused whole with every line and reason shown, nothing recorded."""
    from relance.apps.collection.status_files import status_file_import

    posted = request.method == "POST"
    form = StatusFileForm(request.POST if posted else None, request.FILES if posted else None)
    problems: list[dict[str, object]] = []
    name = ""
    if posted and form.is_valid():
        uploaded = form.cleaned_data["file"]
        name = uploaded.name or "statut.csv"
        result = status_file_import(
            creditor=request.creditor, data=uploaded.read(), name=name,
            as_of=timezone.localdate(), actor=actor(request),
        )
        if not result.problems:
            messages.success(
                request,
                _("%(name)s: taken in whole. Lines: %(lines)s; payments recorded: %(payments)s.")
                % {"name": name, "lines": result.lines, "payments": result.payments},
            )
            return redirect("workspace:debtors")
        problems = [
            {"text": _("line %(line)s: %(problem)s") % {"line": p.line, "problem": problem_text(p)}
             if p.line is not None else problem_text(p), "code": p.code}
            for p in result.problems
        ]
    return render(
        request,
        "workspace/status_import.html",
        {"form": form, "problems": problems, "name": name, "nav": "debtors"},
        status=400 if posted else 200,
    )
