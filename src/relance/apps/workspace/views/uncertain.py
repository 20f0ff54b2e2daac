"""The worklist's uncertain e-mails: handed to the mail server, its reply never seen.

Each waits for a person (``relance.apps.collection.uncertain``): send it again (same
Message-ID), or say it arrived. Until then it is not sent, proves nothing, and its case waits.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from relance.apps.collection.uncertain import action_confirm_sent, action_resend
from relance.apps.workspace.access import back_url, workspace_view
from relance.apps.workspace.request import WorkspaceRequest
from relance.apps.workspace.views.common import actor
from relance.apps.workspace.wording import error_text
from relance.domain.errors import InvalidInputError


@require_POST
@workspace_view()
def action_uncertain(request: WorkspaceRequest, action_id: int, decision: str) -> HttpResponse:
    worklist = back_url(request, reverse("workspace:worklist"))
    try:
        if decision == "resend":
            action_resend(action_id=action_id, creditor=request.creditor, actor=actor(request))
            messages.success(
                request,
                _("The e-mail goes out again with the next pass, under the same Message-ID."),
            )
        elif decision == "confirm-sent":
            action_confirm_sent(
                action_id=action_id, creditor=request.creditor, actor=actor(request)
            )
            messages.success(request, _("The e-mail is recorded as sent, on your word."))
        else:
            raise Http404
    except InvalidInputError as exc:  # decided meanwhile (another tab, another person)
        messages.error(request, error_text(exc))
    return HttpResponseRedirect(worklist)
