"""Editing a debtor from its page (details, contacts), and its statement of account as a PDF."""

from __future__ import annotations

from datetime import date

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.ledger.debtor_editing import contact_add, contact_remove, debtor_update
from relance.apps.ledger.statements import debtor_statement
from relance.apps.workspace import debtor_selectors
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.debtor_forms import ContactForm, DebtorForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.wording import error_text
from relance.documents.statement import render_statement
from relance.domain.errors import InvalidInputError


@require_POST
@workspace_view()
def debtor_edit(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.workspace.views.debtors import debtor_page

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = DebtorForm(request.POST)
    if form.is_valid():
        try:
            debtor_update(debtor=debtor, actor=actor(request), **form.cleaned_data)
        except InvalidInputError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Debtor details saved."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    debtor.refresh_from_db()
    return debtor_page(request, debtor, {"debtor_form": form, "editing": True}, status=400)


@require_POST
@workspace_view()
def debtor_contact_add(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    from relance.apps.workspace.views.debtors import debtor_page

    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    form = ContactForm(request.POST, prefix="contact")
    if form.is_valid():
        try:
            contact_add(debtor=debtor, actor=actor(request), **form.cleaned_data)
        except InvalidInputError as exc:
            form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Contact added."))
            return redirect("workspace:debtor", debtor_id=debtor.pk)
    return debtor_page(request, debtor, {"contact_form": form, "editing": True}, status=400)


@require_POST
@workspace_view()
def debtor_contact_remove(request: WorkspaceRequest, debtor_id: int, contact_id: int) -> HttpResponse:
    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    contact_remove(debtor=debtor, contact_id=contact_id, actor=actor(request))
    messages.success(request, _("Contact removed."))
    return redirect("workspace:debtor", debtor_id=debtor.pk)


@workspace_view()
def debtor_statement_pdf(request: WorkspaceRequest, debtor_id: int) -> HttpResponse:
    """The statement of account as of ``?as_of=YYYY-MM-DD`` (today by default)."""
    debtor = debtor_selectors.debtor_get(creditor=request.creditor, debtor_id=debtor_id)
    raw = request.GET.get("as_of", "")
    try:
        as_of = date.fromisoformat(raw) if raw else timezone.localdate()
    except ValueError as exc:
        raise InvalidInputError(_("“%(value)s” is not a date.") % {"value": raw}) from exc
    lang = "en" if (request.LANGUAGE_CODE or "fr").startswith("en") else "fr"
    pdf = render_statement(debtor_statement(debtor=debtor, as_of=as_of), lang=lang)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = f"releve-{debtor.account}-{as_of.isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
