"""The e-mail as sent, viewed as an e-mail: headers, text, HTML (sandboxed), attachments."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy
from django.views.decorators.clickjacking import xframe_options_sameorigin

from relance.apps.workspace import worklist_selectors
from relance.apps.workspace.access import workspace_view
from relance.apps.workspace.email_view import (
    html_with_parts,
    is_email,
    sent_email,
    sent_email_part,
)
from relance.apps.workspace.request import WorkspaceRequest

HEADER_LABELS = {
    "From": gettext_lazy("From"),
    "To": gettext_lazy("To"),
    "Reply-To": gettext_lazy("Reply to"),
    "Subject": gettext_lazy("Subject"),
    "Date": gettext_lazy("Date"),
    "Message-ID": "Message-ID",
}

# The HTML part runs nothing and loads nothing: its images are in it (data: addresses).
SANDBOX = "sandbox; default-src 'none'; img-src data:; style-src 'unsafe-inline'"


def _date(value: str) -> str:
    """The Date header in the reader's words (the header itself stays in the .eml)."""
    from datetime import UTC
    from email.utils import parsedate_to_datetime

    from django.utils import formats, timezone

    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return value
    if timezone.is_naive(moment):  # "-0000": UTC, the sender's zone unsaid (RFC 5322)
        moment = moment.replace(tzinfo=UTC)
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def _email_action(request: WorkspaceRequest, action_id: int) -> object:
    action = worklist_selectors.action_get(creditor=request.creditor, action_id=action_id)
    if not is_email(action):
        raise Http404
    return action


@workspace_view()
def email_as_sent(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    action = _email_action(request, action_id)
    try:
        mail = sent_email(action=action)
    except OSError as exc:
        raise Http404 from exc
    return render(
        request,
        "workspace/email_as_sent.html",
        {
            "action": action,
            "mail": mail,
            "headers": [
                (HEADER_LABELS.get(name, name), _date(value) if name == "Date" else value)
                for name, value in mail.headers
            ],
            "nav": "debtors",
        },
    )


@xframe_options_sameorigin
@workspace_view()
def email_as_sent_html(request: WorkspaceRequest, action_id: int) -> HttpResponse:
    action = _email_action(request, action_id)
    mail = sent_email(action=action)
    page = html_with_parts(action=action, email_=mail)
    response = HttpResponse(page, content_type="text/html; charset=utf-8")
    response["Content-Security-Policy"] = SANDBOX
    return response


@workspace_view()
def email_part(request: WorkspaceRequest, action_id: int, number: int) -> HttpResponse:
    action = _email_action(request, action_id)
    found = sent_email_part(action=action, number=number)
    if found is None:
        raise Http404
    content_type, filename, data = found
    response = HttpResponse(data, content_type=content_type)
    shown = content_type.startswith("image/") and request.GET.get("download") != "1"
    kind = "inline" if shown else "attachment"
    safe = "".join(c for c in filename if c.isalnum() or c in "._-") or "part"
    response["Content-Disposition"] = f'{kind}; filename="{safe}"'
    response["Content-Security-Policy"] = SANDBOX
    response["X-Content-Type-Options"] = "nosniff"
    return response
