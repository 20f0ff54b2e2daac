"""Each creditor's e-mail through its own server when it set one (Settings), else through the
install's ``RELANCE_EMAIL_URL``.

``outbox_dispatch`` asks ``mail_routes`` first: when no creditor has a server of its own it
answers None and the dispatch goes on as it always did, one transport for all. Otherwise it
gives, creditor by creditor, the server to use, and the outbox is emptied creditor by
creditor, each through its own transport, so that no message ever leaves through another
creditor's server.
"""

from __future__ import annotations

from django.conf import settings

from relance.apps.collection.models import Action
from relance.apps.creditors.mail_server import creditors_with_own_server
from relance.apps.creditors.models import Creditor


def mail_routes(*, creditor: Creditor | None) -> list[tuple[Creditor, str]] | None:
    """(creditor, server URL) to dispatch one by one, or None for the one install-wide server."""
    own = creditors_with_own_server()
    if not own or (creditor is not None and creditor.pk not in own):
        return None
    if creditor is not None:
        return [(creditor, own[creditor.pk])]
    waiting = Action.objects.filter(channel="email").order_by().values("creditor_id")
    return [
        (each, own.get(each.pk, settings.EMAIL_URL))
        for each in Creditor.objects.filter(pk__in=waiting).order_by("pk")
    ]
