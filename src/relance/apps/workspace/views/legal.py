"""The end of the amicable path on the debtor page: download a dossier, write a claim off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.workspace import debtor_selectors
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.forms import DossierForm, WriteOffForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import ROUTE_LABELS, WRITE_OFF_LABELS


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
