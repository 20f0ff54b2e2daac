"""The outbox's recovery, run at the start of every dispatch (``relance.apps.collection.dispatch``).

A ``sending`` row whose owner process is gone (same host, pid dead) or whose lease ran out is
resolved: ``sent`` if it was handed over and the server's 250 to its end was recorded
(``accepted_at``); ``uncertain`` if it was handed over without that reply (the dispatcher died
in the window the channel documents, ``relance.channels.smtp``: the message may have reached
the server or not, and only a person can say); else put back in the queue and sent again
(only if it is still not handed over and still under the claim that was seen, so a dispatcher
handing it over at that moment wins). So a message is never sent twice, and never recorded
as sent unless the server was seen to take it.
"""

from __future__ import annotations

import os
import socket

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.models import Action
from relance.apps.creditors.models import Creditor
from relance.channels.registry import sent_channels


def owner_gone(owner: str) -> bool:
    host, _, pid = owner.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def queued_state(requires_approval: bool) -> str:
    return Action.State.APPROVED if requires_approval else Action.State.PLANNED


UNCERTAIN_REASON = (
    "handed over to the mail server, but its reply was never seen: resend it, or confirm it "
    "arrived"
)


def outbox_recover(*, creditor: Creditor | None, actor: str) -> tuple[int, int, int]:
    """Resolve the ``sending`` rows whose dispatcher is gone or whose lease ran out: (how many
    turned out sent, how many are uncertain, how many were recovered in all)."""
    sent = uncertain = recovered = 0
    now = timezone.now()
    qs = Action.objects.filter(
        state=Action.State.SENDING, channel__in=[c.name for c in sent_channels()]
    )
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    stuck = [
        a
        for a in qs
        if (a.next_attempt_at and a.next_attempt_at < now) or owner_gone(a.claimed_by)
    ]
    if not stuck:
        return sent, uncertain, recovered
    events = []
    with transaction.atomic():
        for a in stuck:
            still = Action.objects.filter(pk=a.pk, state=Action.State.SENDING)
            if a.handed_over_at is not None and a.accepted_at is not None:
                changed = still.update(
                    state=Action.State.SENT,
                    sent_at=a.handed_over_at,
                    next_attempt_at=None,
                    updated_at=now,
                )
                kind, payload = (
                    "action.sent",
                    {
                        "message_id": a.message_id,
                        "sha256": a.sha256,
                        "document": a.document.name,
                        "recovered": True,
                    },
                )
                sent += changed
            elif a.handed_over_at is not None:
                # Handed over, but the server's 250 to the end of the message was never seen:
                # the dispatcher may have died before the final dot (the server then dropped
                # the message) or after it. Neither sent again nor called sent: a person says.
                changed = still.update(
                    state=Action.State.UNCERTAIN,
                    next_attempt_at=None,
                    updated_at=now,
                    error=UNCERTAIN_REASON,
                )
                kind, payload = (
                    "action.uncertain",
                    {
                        "message_id": a.message_id,
                        "sha256": a.sha256,
                        "document": a.document.name,
                        "reason": f"dispatcher {a.claimed_by} stopped after the hand-over, "
                        "before the server's reply",
                    },
                )
                uncertain += changed
            else:
                # Only if it is still under the claim seen above and was not handed over since.
                changed = still.filter(
                    handed_over_at__isnull=True,
                    claimed_by=a.claimed_by,
                    next_attempt_at=a.next_attempt_at,
                ).update(
                    state=queued_state(a.requires_approval),
                    next_attempt_at=None,
                    claimed_by="",
                    updated_at=now,
                )
                kind, payload = (
                    "action.requeued",
                    {"reason": f"dispatcher {a.claimed_by} stopped before the hand-over"},
                )
            if changed:
                recovered += 1
                events.append(EventInput(kind, "action", a.pk, a.creditor_id, payload, actor))
        events_record(events=events)
    return sent, uncertain, recovered
