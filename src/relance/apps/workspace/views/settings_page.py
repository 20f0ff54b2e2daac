"""The creditor's settings page: identity, logo, interest rates and a test e-mail."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from relance.apps.creditors.mail_server import (
    mail_server_get,
    mail_server_remove,
    mail_server_set,
    mail_url_for,
)
from relance.apps.workspace import services
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.forms import (
    RATE_TABLE_LABELS,
    AgencyForm,
    LogoForm,
    RateForm,
    SettingsForm,
    SmtpTestForm,
    TermsForm,
)
from relance.apps.workspace.mail_forms import MailServerForm
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor, streamed
from relance.apps.workspace.wording import error_text
from relance.domain.errors import InvalidInputError


@workspace_view("admin", write_role="admin")
def creditor_settings(request: WorkspaceRequest) -> HttpResponse:
    """The creditor's identity, bank details, pay link and signature; its logo; a test e-mail
    through the configured server. Three forms, told apart by their ``form`` field."""
    creditor = request.creditor
    fields = list(SettingsForm.base_fields)
    which = request.POST.get("form", "identity") if request.method == "POST" else ""
    initial = {f: getattr(creditor, f) for f in fields}
    form = SettingsForm(request.POST if which == "identity" else None, initial=initial)
    logo_form = LogoForm(request.POST if which == "logo" else None, request.FILES if which == "logo" else None)
    terms_form = _terms_form(creditor, request)
    smtp_form = SmtpTestForm(
        request.POST if which == "smtp" else None,
        initial={"to": request.user.email or creditor.email},
    )
    rate_form = RateForm(
        request.POST if which == "rate" else None,
        initial={"table": request.GET.get("table", ""), "from_date": request.GET.get("from", "")},
    )
    agency_form = _agency_form(creditor, request.POST if which == "agency" else None)
    server = mail_server_get(creditor=creditor)
    mail_form = MailServerForm(
        request.POST if which == "mailserver" else None,
        initial={"host": server.host, "port": server.port, "security": server.security,
                 "username": server.username} if server else None,
    )
    status = 200
    if which == "terms" and terms_form.is_valid() and (saved := _terms_save(request, terms_form)):
        return saved
    if which == "agency" and agency_form.is_valid():
        from relance.apps.creditors.services import agency_set

        try:
            agency_set(creditor=creditor, actor=actor(request), **agency_form.cleaned_data)
        except InvalidInputError as exc:
            agency_form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Agency saved: its letters carry the R124-4 mentions from now on."))
            return redirect(reverse("workspace:settings") + "#agency")
    elif which == "mailserver" and mail_form.is_valid():
        data = mail_form.cleaned_data
        try:
            if data["remove"] or not data["host"]:
                mail_server_remove(creditor=creditor, actor=actor(request))
            else:
                mail_server_set(
                    creditor=creditor, actor=actor(request), host=data["host"], port=data["port"],
                    security=data["security"], username=data["username"],
                    password=data["password"] or None,
                )
        except InvalidInputError as exc:
            mail_form.add_error(None, error_text(exc))
        else:
            messages.success(request, _("Mail server saved: send a test message to check it."))
            return redirect(reverse("workspace:settings") + "#smtp-title")
    elif which == "identity" and form.is_valid():
        try:
            services.creditor_settings_update(
                creditor=creditor, actor=actor(request), **form.cleaned_data
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
                services.creditor_logo_set(creditor=creditor, data=None, actor=actor(request))
            elif upload is not None:
                services.creditor_logo_set(
                    creditor=creditor, data=upload.read(), actor=actor(request)
                )
            else:
                raise InvalidInputError(_("Choose an image, or tick No logo."))
        except InvalidInputError as exc:
            logo_form.add_error("logo", error_text(exc))
        else:
            messages.success(request, _("Logo saved: it heads the letters from now on."))
            return redirect("workspace:settings")
    elif which == "rate" and not request.user.is_superuser:
        # A rate serves every creditor of the install: only an install administrator records it.
        rate_form.is_valid()
        rate_form.add_error(
            None,
            _(
                "Only an install administrator can record a rate: it applies to every "
                "creditor of this install."
            ),
        )
        status = 403
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
                actor=actor(request),
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
            message_id = services.smtp_test_send(creditor=creditor, to=to, actor=actor(request))
        except InvalidInputError as exc:
            smtp_form.add_error(None, error_text(exc))
        else:
            messages.success(
                request,
                _("Test message sent to %(to)s (Message-ID %(id)s).")
                % {"to": to, "id": message_id},
            )
            return redirect("workspace:settings")
    if which and status == 200 and any(
        f.errors for f in (form, logo_form, smtp_form, rate_form, agency_form, mail_form, terms_form)
    ):
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
            "mail_route": mail_url_for(creditor=creditor),
            "mail_form": mail_form,
            "rate_form": rate_form,
            "agency_form": agency_form,
            "terms_form": terms_form,
            "terms": _terms_of(creditor),
            "rates_known": _rates_known(),
            "install_admin": request.user.is_superuser,
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
    return streamed(FileResponse(creditor.logo.open("rb"), content_type=kind))


def _terms_of(creditor: Any) -> Any:
    from relance.apps.legal.selectors import payment_terms_for

    return payment_terms_for(creditor_ids=[creditor.pk], debtor_ids=[]).get((creditor.pk, None))


def _terms_form(creditor: Any, request: WorkspaceRequest) -> TermsForm:
    if request.method == "POST" and request.POST.get("form") == "terms":
        return TermsForm(request.POST, request.FILES)
    row = _terms_of(creditor)
    initial = {} if row is None else {
        "kind": "multiple" if row.contract_multiple is not None else "rate",
        "value": row.contract_multiple if row.contract_multiple is not None else row.contract_rate,
        "reference": row.reference,
    }
    return TermsForm(initial=initial)


def _terms_save(request: WorkspaceRequest, form: TermsForm) -> HttpResponse | None:
    """Record the terms and their PDF (``terms_set``); None, with the refusal on the form, if refused."""
    from relance.apps.legal.services import terms_set
    from relance.domain.law import InvalidRateError

    data = form.cleaned_data
    upload = data["cgv"]
    try:
        terms_set(
            creditor=request.creditor, reference=data["reference"],
            contract_multiple=data["value"] if data["kind"] == "multiple" else None,
            contract_rate=data["value"] if data["kind"] == "rate" else None,
            cgv=upload.read() if upload is not None else None,
            cgv_filename=upload.name if upload is not None else "", actor=actor(request),
        )
    except (InvalidRateError, InvalidInputError) as exc:
        form.add_error(None, error_text(exc))
        return None
    messages.success(request, _("General terms saved: a dossier claiming their rate cites them."))
    return redirect(reverse("workspace:settings") + "#terms")


def _agency_form(creditor: Any, data: Any) -> AgencyForm:
    from relance.apps.creditors.selectors import agency_of

    mandate = agency_of(creditor=creditor)
    fields = list(AgencyForm.base_fields)
    return AgencyForm(data, prefix="agency", initial={f: getattr(mandate, f) for f in fields} if mandate else None)


def _rates_known() -> list[dict[str, Any]]:
    """Per rate table: its label, the latest rate and since when, the last day it is known."""
    from relance.apps.legal.selectors import rates_known_until, rates_list

    known = rates_known_until()
    latest: dict[str, dict[str, Any]] = {}
    for row in rates_list():
        # As values, so that the page writes them the reader's way (2,15 %, 01/07/2026).
        latest[row["table"]] = {
            **row,
            "rate": Decimal(row["rate"]),
            "from": date.fromisoformat(row["from"]),
        }
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
