"""Importing a ledger, bank or e-invoice file: staged, reviewed, then confirmed or dropped."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.workspace import selectors, services
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.forms import ColumnsForm, EInvoicesForm, UploadForm
from relance.apps.workspace.models import ImportUpload
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.views.labels import BATCH_KIND_LABELS, BATCH_STATUS_LABELS
from relance.config.uploads import upload_limit_message, upload_too_large


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
    if upload_too_large(request):  # stopped as it arrived: nothing of it was kept
        (einvoices_form if einvoices_posted else form).add_error(None, upload_limit_message())
    elif einvoices_posted and einvoices_form.is_valid():
        upload = services.einvoices_upload_stage(
            creditor=creditor,
            user=request.user,
            files=[(f.name, f.read()) for f in einvoices_form.cleaned_data["documents"]],
            actor=actor(request),
        )
    elif posted and not einvoices_posted and form.is_valid():
        uploaded = form.cleaned_data["file"]
        upload = services.import_upload_stage(
            creditor=creditor,
            user=request.user,
            kind=form.cleaned_data["kind"],
            filename=uploaded.name,
            data=uploaded.read(),
            actor=actor(request),
        )
    if upload is not None:
        return redirect("workspace:import_review", token=upload.token)
    return render(
        request,
        "workspace/imports.html",
        {
            "form": form,
            "einvoices_form": einvoices_form,
            "batches": [
                (b, BATCH_KIND_LABELS.get(b.kind, b.kind), BATCH_STATUS_LABELS.get(b.status, b.status))
                for b in selectors.imports_recent(creditor=creditor)
            ],
            "nav": "imports",
            "can_act": request.grant.allows("collector"),
        },
        status=413 if upload_too_large(request) else 200,
    )


@workspace_view("collector")
def import_review(request: WorkspaceRequest, token: str) -> HttpResponse:
    """The dry run's result; for a CSV ledger refused for its header, a choice of field for
    each column (posted here: remembered for the creditor, then the file checked again)."""
    upload = selectors.import_upload_get(creditor=request.creditor, token=token)
    columns = services.import_upload_columns(upload=upload)
    form = None
    if columns is not None:
        posted = request.method == "POST"
        form = ColumnsForm(request.POST if posted else None, columns=columns)
        if posted and form.is_valid():
            services.import_upload_map(upload=upload, fields=form.chosen(), actor=actor(request))
            return redirect("workspace:import_review", token=upload.token)
    return render(
        request,
        "workspace/import_review.html",
        {"upload": upload, "result": upload.dry_run, "nav": "imports", "columns_form": form},
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
    decision = request.POST.get("decision")
    settle = decision if decision in ("full", "partial") else None
    result = services.import_upload_confirm(upload=upload, actor=actor(request), settle=settle)
    if result.get("question"):  # the file is not the one checked, or no answer was given
        messages.error(request, _("Say whether the file is the whole open list or a part of it."))
        return redirect("workspace:import_review", token=upload.token)
    return render(
        request,
        "workspace/import_done.html",
        {"result": result, "filename": upload.filename, "nav": "imports"},
    )
