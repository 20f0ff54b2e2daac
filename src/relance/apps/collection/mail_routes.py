"""Each creditor's e-mail through its own server when it set one (Settings), else through the
install's ``RELANCE_EMAIL_URL``.

``outbox_dispatch`` asks ``dispatch_routed`` first: when no creditor has a server of its own it
answers None and the dispatch goes on as it always did, one transport for all. Otherwise the
outbox is emptied creditor by creditor, each through its own transport, so that no message
ever leaves through another creditor's server.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from relance.apps.creditors.mail_server import creditors_with_own_server
from relance.apps.creditors.models import Creditor


def dispatch_routed(
    *, as_of: date, creditor: Creditor | None, result: Any, actor: str
) -> Any | None:
    from django.conf import settings

    from relance.apps.collection.dispatch import CHANNEL, outbox_dispatch, smtp_limits
    from relance.apps.collection.models import Action
    from relance.apps.collection.outbox_outcomes import DispatchResult

    own = creditors_with_own_server()
    if not own:
        return None
    if creditor is not None:
        if creditor.pk not in own:
            return None
        transport = CHANNEL.transport(own[creditor.pk], smtp_limits())
        return outbox_dispatch(
            as_of=as_of, creditor=creditor, result=result, transport=transport, actor=actor
        )
    out = DispatchResult()
    waiting = Action.objects.filter(channel="email").order_by().values("creditor_id")
    for each in Creditor.objects.filter(pk__in=waiting).order_by("pk"):
        url = own.get(each.pk, settings.EMAIL_URL)
        transport = CHANNEL.transport(url, smtp_limits())
        out.add(
            outbox_dispatch(
                as_of=as_of, creditor=each, result=result, transport=transport, actor=actor
            )
        )
    return out
