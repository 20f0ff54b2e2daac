"""The outbox: e-mail actions claimed, rendered, sent over SMTP exactly once, with their proof.

The sequence for each message, and what a crash (even ``SIGKILL``) at each point leaves:

1. *claim* (one transaction, committed before any SMTP traffic): due e-mail actions go from
   ``planned``/``approved`` to ``sending`` with ``claimed_by`` (host:pid), a lease, the
   rendered snapshot, its sha256 and a Message-ID derived from the idempotency key. On
   PostgreSQL the rows are taken with ``SELECT … FOR UPDATE SKIP LOCKED`` so workers never
   claim the same row. Crash → the row is ``sending`` without ``handed_over_at``.
2. *hand-over*: the transport writes the whole message, then this module commits
   ``handed_over_at``, then the transport writes the final ``.`` of the DATA phase (see
   ``relance.channels.email``). Crash before the commit → the server discarded the message.
   Crash after → the message counts as sent.
3. *sent*: after the server's 250 the row becomes ``sent`` (batched into the next commit).

Recovery, at the start of every dispatch: a ``sending`` row whose owner process is gone (same
host, pid dead) or whose lease ran out is resolved — ``sent`` if it was handed over, else put
back in the queue and sent again. So every due message goes out once: never twice, and never
lost except in the one window the channel documents (between the hand-over commit and the
write of the final dot, one system call long), where it is lost rather than doubled.

SMTP failures are retried with exponential backoff (``attempts``, ``next_attempt_at``) and end
as ``failed`` with the reason after ``MAX_ATTEMPTS``; a permanent refusal fails at once.

``RELANCE_TEST_KILL_AT`` (tests only) makes the process SIGKILL itself at a named point:
``before_claim``, ``after_claim``, ``during_smtp`` (message written, before the hand-over),
``after_smtp`` (250 received, before ``sent`` is recorded); ``RELANCE_TEST_KILL_NTH`` picks
the n-th time the point is reached (default 1).
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.models import Action, Dispute
from relance.apps.collection.rendering import email_render
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.channels.email import (
    OutgoingEmail,
    PermanentEmailError,
    TemporaryEmailError,
    Transport,
    UncertainDeliveryError,
    build_message,
    transport_from_url,
)
from relance.domain.problems import Problem
from relance.errors import RelanceError

if TYPE_CHECKING:
    from relance.apps.collection.services import RunResult

MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=5)
LEASE = timedelta(minutes=10)
BATCH = 50
_reached: Counter[str] = Counter()


def _kill_point(name: str) -> None:
    if os.environ.get("RELANCE_TEST_KILL_AT") != name:
        return
    _reached[name] += 1
    if _reached[name] >= int(os.environ.get("RELANCE_TEST_KILL_NTH", "1")):
        os.kill(os.getpid(), signal.SIGKILL)


def message_id_for(idempotency_key: str, creditor: Creditor) -> str:
    """The same key always gives the same Message-ID, so a resend would be recognisable."""
    domain = creditor.email.rpartition("@")[2] or "relance.invalid"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _owner_gone(owner: str) -> bool:
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


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0
    cancelled: int = 0


def _queued_state(action: Action) -> str:
    return Action.State.APPROVED if action.requires_approval else Action.State.PLANNED


def outbox_dispatch(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    result: RunResult | None = None,
    transport: Transport | None = None,
    actor: str = "system",
) -> DispatchResult:
    """Send every due e-mail action once. Must run outside a transaction (each step commits)."""
    out = DispatchResult()
    transport = transport or transport_from_url(settings.EMAIL_URL)
    try:
        _recover(creditor=creditor, out=out, actor=actor)
        _kill_point("before_claim")
        while True:
            batch = _claim(as_of=as_of, creditor=creditor, out=out, actor=actor)
            if not batch:
                break
            _kill_point("after_claim")
            _send_batch(batch, transport=transport, out=out, actor=actor, result=result)
    finally:
        transport.close()
    if result is not None:
        result.actions["sent"] += out.sent
        result.actions["failed"] += out.failed
        result.actions["cancelled"] += out.cancelled
    return out


def _recover(*, creditor: Creditor | None, out: DispatchResult, actor: str) -> None:
    now = timezone.now()
    qs = Action.objects.filter(state=Action.State.SENDING, channel="email")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    stuck = [a for a in qs if (a.next_attempt_at and a.next_attempt_at < now) or _owner_gone(a.claimed_by)]
    if not stuck:
        return
    events = []
    with transaction.atomic():
        for a in stuck:
            if a.handed_over_at is not None:
                changed = Action.objects.filter(pk=a.pk, state=Action.State.SENDING).update(
                    state=Action.State.SENT, sent_at=a.handed_over_at, next_attempt_at=None,
                )
                kind, payload = "action.sent", {"message_id": a.message_id, "sha256": a.sha256, "recovered": True}
                out.sent += changed
            else:
                changed = Action.objects.filter(pk=a.pk, state=Action.State.SENDING).update(
                    state=_queued_state(a), next_attempt_at=None, claimed_by="",
                )
                kind, payload = "action.requeued", {"reason": f"dispatcher {a.claimed_by} stopped before the hand-over"}
            if changed:
                out.recovered += 1
                events.append(EventInput(kind, "action", a.pk, a.creditor_id, payload, actor))
        events_record(events=events)


def _listed_invoices(debtor_ids: Iterable[int], as_of: date) -> dict[int, list[dict[str, Any]]]:
    """Per debtor, what the message lists: its overdue invoices not in dispute (or, before any
    is overdue, the ones about to fall due)."""
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for inv in (
        Invoice.objects.filter(debtor_id__in=list(debtor_ids), status=Invoice.Status.OPEN, open_amount__gt=0,
                               due_date__lte=as_of + timedelta(days=31))
        .filter(~Exists(disputed)).order_by("due_date", "number")
        .values("id", "debtor_id", "number", "issue_date", "due_date", "open_amount", "total_amount", "currency")
    ):
        row: dict[str, Any] = dict(inv)
        row["days_late"] = (as_of - row["due_date"]).days
        rows[row["debtor_id"]].append(row)
    for debtor_id, invoices in rows.items():
        overdue = [i for i in invoices if i["days_late"] > 0]
        rows[debtor_id] = overdue or invoices
    return rows


def _creditor_context(c: Creditor) -> dict[str, Any]:
    return {k: getattr(c, k) for k in ("name", "siren", "iban", "bic", "email", "phone", "address", "postal_code", "city", "signature")}


def _claim(*, as_of: date, creditor: Creditor | None, out: DispatchResult, actor: str) -> list[Action]:
    now = timezone.now()
    with transaction.atomic():
        qs = Action.objects.filter(channel="email", planned_date__lte=as_of).filter(
            Q(state=Action.State.PLANNED, requires_approval=False) | Q(state=Action.State.APPROVED)
        ).filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        if creditor is not None:
            qs = qs.filter(creditor=creditor)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        actions = list(qs.order_by("id")[:BATCH])
        if not actions:
            return []
        debtors = {d.pk: d for d in Debtor.objects.filter(pk__in={a.debtor_id for a in actions})}
        creditors = {c.pk: c for c in Creditor.objects.filter(pk__in={a.creditor_id for a in actions})}
        invoices = _listed_invoices(debtors, as_of)
        owner, lease = _owner(), now + LEASE
        claimed, events = [], []
        for a in actions:
            debtor, cred = debtors[a.debtor_id], creditors[a.creditor_id]
            listed = invoices.get(a.debtor_id, [])
            a.attempts += 1
            if not listed:
                # Checked again right before sending: paid or disputed since the action was planned.
                a.state, a.reason = Action.State.CANCELLED, "nothing left to chase"
                out.cancelled += 1
                events.append(EventInput("action.cancelled", "action", a.pk, a.creditor_id, {"reason": a.reason}, actor))
                continue
            try:
                if not debtor.email:
                    raise PermanentEmailError(f"debtor {debtor.account} has no e-mail address")
                rendered = email_render(
                    template=a.template, lang=debtor.language,
                    context={"creditor": _creditor_context(cred), "debtor": {"name": debtor.name, "account": debtor.account},
                             "invoices": listed, "as_of": as_of},
                )
            except (PermanentEmailError, RelanceError) as exc:
                a.state, a.error, a.reason = Action.State.FAILED, str(exc), "cannot be written"
                out.failed += 1
                events.append(EventInput("action.failed", "action", a.pk, a.creditor_id, {"error": str(exc)}, actor))
                continue
            a.subject, a.body_text, a.body_html, a.sha256 = rendered.subject, rendered.text, rendered.html, rendered.sha256
            a.invoice_ids = [i["id"] for i in listed]
            a.recipient = debtor.email
            a.message_id = a.message_id or message_id_for(a.idempotency_key, cred)
            a.state, a.claimed_by, a.next_attempt_at = Action.State.SENDING, owner, lease
            a.handed_over_at = None
            claimed.append(a)
            events.append(EventInput("action.sending", "action", a.pk, a.creditor_id,
                                     {"message_id": a.message_id, "sha256": a.sha256, "attempt": a.attempts}, actor))
        Action.objects.bulk_update(actions, [
            "state", "reason", "error", "attempts", "subject", "body_text", "body_html", "sha256", "invoice_ids",
            "recipient", "message_id", "claimed_by", "next_attempt_at", "handed_over_at",
        ])
        events_record(events=events)
    for a in claimed:
        a._creditor = creditors[a.creditor_id]  # type: ignore[attr-defined]
    return claimed


def _mark_sent(ids: list[tuple[int, int, str, str]], *, out: DispatchResult, actor: str, moment: datetime) -> None:
    if not ids:
        return
    Action.objects.filter(pk__in=[i[0] for i in ids], state=Action.State.SENDING).update(
        state=Action.State.SENT, sent_at=moment, next_attempt_at=None,
    )
    events_record(events=[
        EventInput("action.sent", "action", pk, creditor_id, {"message_id": mid, "sha256": sha}, actor)
        for pk, creditor_id, mid, sha in ids
    ])
    out.sent += len(ids)
    ids.clear()


def _send_batch(batch: list[Action], *, transport: Transport, out: DispatchResult, actor: str,
                result: RunResult | None) -> None:
    pending: list[tuple[int, int, str, str]] = []
    for a in batch:
        cred: Creditor = a._creditor  # type: ignore[attr-defined]
        msg = build_message(OutgoingEmail(
            message_id=a.message_id, from_name=cred.name, from_address=cred.email or "relance@localhost",
            to=a.recipient, reply_to=cred.email, subject=a.subject, text=a.body_text, html=a.body_html,
        ))
        handed: list[datetime] = []

        def hand_over(a: Action = a, handed: list[datetime] = handed) -> None:
            _kill_point("during_smtp")
            moment = timezone.now()
            with transaction.atomic():
                Action.objects.filter(pk=a.pk, state=Action.State.SENDING).update(handed_over_at=moment)
                _mark_sent(pending, out=out, actor=actor, moment=moment)
            handed.append(moment)

        try:
            transport.send(msg, before_commit=hand_over)
        except UncertainDeliveryError as exc:
            pending.append((a.pk, a.creditor_id, a.message_id, a.sha256))
            Action.objects.filter(pk=a.pk).update(error=str(exc))
            continue
        except (TemporaryEmailError, PermanentEmailError) as exc:
            _failure(a, exc, out=out, actor=actor, result=result)
            continue
        pending.append((a.pk, a.creditor_id, a.message_id, a.sha256))
        _kill_point("after_smtp")
    with transaction.atomic():
        _mark_sent(pending, out=out, actor=actor, moment=timezone.now())


def _failure(a: Action, exc: Exception, *, out: DispatchResult, actor: str, result: RunResult | None) -> None:
    """A refused or failed send: try again later with backoff, or give up with the reason."""
    now = timezone.now()
    permanent = isinstance(exc, PermanentEmailError) or a.attempts >= MAX_ATTEMPTS
    with transaction.atomic():
        if permanent:
            Action.objects.filter(pk=a.pk).update(
                state=Action.State.FAILED, error=str(exc), reason="e-mail refused", next_attempt_at=None, handed_over_at=None,
            )
            out.failed += 1
            kind, payload = "action.failed", {"error": str(exc), "attempts": a.attempts}
            if result is not None:
                result.problems.append(Problem("email_failed", f"action {a.pk} ({a.recipient}): {exc}"))
        else:
            retry_at = now + BACKOFF * (4 ** (a.attempts - 1))
            Action.objects.filter(pk=a.pk).update(
                state=_queued_state(a), error=str(exc), next_attempt_at=retry_at, handed_over_at=None, claimed_by="",
            )
            out.retried += 1
            kind, payload = "action.retry", {"error": str(exc), "attempts": a.attempts, "next_attempt_at": retry_at}
        events_record(events=[EventInput(kind, "action", a.pk, a.creditor_id, payload, actor)])
