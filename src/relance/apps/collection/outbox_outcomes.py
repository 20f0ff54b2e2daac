"""The outbox's outcomes: what a batch's messages became once the transport is done with them.

``mark_sent``: the accepted rows become ``sent`` with their events; ``mark_uncertain``: handed
over without the server's reply, ``uncertain``; ``failure``: refused or failed, tried again
later with backoff, or ``failed`` with the reason; ``release``: claimed but never tried (the
run's deadline passed, or the circuit breaker opened), back in the queue as if never claimed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.models import Action
from relance.apps.collection.outbox_recovery import UNCERTAIN_REASON, queued_state
from relance.channels.email_mime import PreparedEmail
from relance.channels.smtp import PermanentEmailError
from relance.domain.problems import N_, Problem

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=5)


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0
    cancelled: int = 0
    abandoned: int = 0  # claim lost to another dispatcher before the hand-over: theirs to send
    uncertain: int = 0  # handed over, the server's reply never seen: a person decides
    problems: list[Problem] = field(default_factory=list)

    def add(self, other: DispatchResult) -> None:
        for name in (
            "sent",
            "failed",
            "retried",
            "recovered",
            "cancelled",
            "abandoned",
            "uncertain",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


@dataclass
class Claimed:
    pk: int
    creditor_id: int
    attempts: int
    requires_approval: bool
    recipient: str
    message_id: str
    sha256: str
    document: str
    mail: PreparedEmail


@dataclass
class Batch:
    owner: str
    lease: datetime
    items: list[Claimed]
    full: bool = False  # as many actions as a batch takes: more may be waiting
    left: int = 0  # due actions not written before the claim: left for the next one


def mark_uncertain(
    items: list[tuple[Claimed, str]], *, batch: Batch, out: DispatchResult, actor: str
) -> None:
    """Handed over, then the connection broke before the server's reply: ``uncertain``."""
    if not items:
        return
    with transaction.atomic():
        for item, error in items:
            Action.objects.filter(
                pk=item.pk, state=Action.State.SENDING, claimed_by=batch.owner
            ).update(
                state=Action.State.UNCERTAIN,
                error=f"{UNCERTAIN_REASON} ({error})",
                next_attempt_at=None,
                updated_at=timezone.now(),
            )
        events_record(
            events=[
                EventInput(
                    "action.uncertain",
                    "action",
                    item.pk,
                    item.creditor_id,
                    {
                        "message_id": item.message_id,
                        "sha256": item.sha256,
                        "document": item.document,
                        "reason": error,
                    },
                    actor,
                )
                for item, error in items
            ]
        )
    out.uncertain += len(items)


def mark_sent(handed: list[Claimed], *, batch: Batch, out: DispatchResult, actor: str) -> None:
    """The batch's handed-over rows become ``sent``, with their events, in one transaction."""
    if not handed:
        return
    with transaction.atomic():
        Action.objects.filter(
            pk__in=[i.pk for i in handed],
            state=Action.State.SENDING,
            claimed_by=batch.owner,
            next_attempt_at=batch.lease,
            handed_over_at__isnull=False,
            accepted_at__isnull=False,
        ).update(
            state=Action.State.SENT,
            sent_at=F("handed_over_at"),
            next_attempt_at=None,
            updated_at=timezone.now(),
        )
        events_record(
            events=[
                EventInput(
                    "action.sent",
                    "action",
                    i.pk,
                    i.creditor_id,
                    {"message_id": i.message_id, "sha256": i.sha256, "document": i.document},
                    actor,
                )
                for i in handed
            ]
        )
    out.sent += len(handed)


def failure(item: Claimed, exc: Exception, *, out: DispatchResult, actor: str) -> None:
    """A refused or failed send: try again later with backoff, or give up with the reason."""
    now = timezone.now()
    permanent = isinstance(exc, PermanentEmailError) or item.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        if permanent:
            Action.objects.filter(pk=item.pk).update(
                state=Action.State.FAILED,
                error=str(exc),
                reason="e-mail refused",
                next_attempt_at=None,
                handed_over_at=None,
                updated_at=now,
            )
            out.failed += 1
            kind, payload = "action.failed", {"error": str(exc), "attempts": item.attempts}
            out.problems.append(
                Problem("email_failed", f"action {item.pk} ({item.recipient}): {exc}")
            )
        else:
            retry_at = now + BACKOFF * (4 ** (item.attempts - 1))
            Action.objects.filter(pk=item.pk).update(
                state=queued_state(item.requires_approval),
                error=str(exc),
                next_attempt_at=retry_at,
                handed_over_at=None,
                claimed_by="",
                updated_at=now,
            )
            out.retried += 1
            kind, payload = (
                "action.retry",
                {"error": str(exc), "attempts": item.attempts, "next_attempt_at": retry_at},
            )
        events_record(
            events=[EventInput(kind, "action", item.pk, item.creditor_id, payload, actor)]
        )


def release(items: list[Claimed], *, batch: Batch, reason: str, actor: str) -> None:
    """Claimed but never tried (the run's deadline, the circuit breaker): back in the queue as
    it was, the claim's attempt not counted."""
    if not items:
        return
    now = timezone.now()
    with transaction.atomic():
        for item in items:
            Action.objects.filter(
                pk=item.pk,
                state=Action.State.SENDING,
                claimed_by=batch.owner,
                handed_over_at__isnull=True,
            ).update(
                state=queued_state(item.requires_approval),
                attempts=F("attempts") - 1,
                claimed_by="",
                next_attempt_at=None,
                updated_at=now,
            )
        events_record(
            events=[
                EventInput(
                    "action.requeued",
                    "action",
                    item.pk,
                    item.creditor_id,
                    {"reason": f"not tried: {reason}"},
                    actor,
                )
                for item in items
            ]
        )


def over_budget(action: int, account: str, error: str) -> Problem:
    """The problem a run reports for an action whose template went past its render budget."""
    return Problem.of(
        "template_budget",
        N_("action %(action)s (%(account)s) not sent, its template was stopped: %(error)s"),
        action=action,
        account=account,
        error=error,
    )


# Why the outbox stopped before the queue was empty (``Transport.stopped``).
STOPPED = {
    "deadline": N_(
        "e-mail sending stopped: the run's time for sending e-mail is over; what is left goes "
        "out with the next run"
    ),
    "breaker": N_(
        "e-mail sending stopped: the mail server failed several times in a row; what is left "
        "goes out with the next run"
    ),
    "unsettled": N_(
        "e-mail sending stopped: the messages left kept changing while they were written; "
        "they go out with the next run"
    ),
}
