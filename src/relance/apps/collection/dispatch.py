"""The outbox: e-mail actions claimed, rendered, sent over SMTP exactly once, with their proof.

Work goes in batches of up to ``BATCH`` actions. What each step writes, and what a crash (even
``SIGKILL``) at each point leaves:

1. *claim* (one transaction per batch, committed before any SMTP traffic): the batch's due
   e-mail actions go from ``planned``/``approved`` to ``sending`` with ``claimed_by``
   (host:pid), a lease (``next_attempt_at``), the rendered snapshot, its sha256 and a
   Message-ID derived from the idempotency key; one ``action.sending`` event each, recorded
   in the same transaction. On PostgreSQL the rows are taken with ``SELECT … FOR UPDATE SKIP
   LOCKED`` so two dispatchers never claim the same row. Crash → the rows are ``sending``
   without ``handed_over_at``. Every message of the batch is rendered to bytes (inside the
   claim) before the first one is sent: the documents' text and HTML, the EPC QR code, the
   PDFs (``messages.email_compose``, what ``relance render`` writes), from contexts built for
   the whole batch at once (``contexts.letter_contexts``). Each message is stored unchanged as
   ``documents/<sha256>.eml`` and made durable (fsync) before the claim commits; the claim
   records that file and hash on the row and in its events, so the proof of a message is the
   very bytes handed over under that claim. A claim that never reaches the hand-over leaves
   an unreferenced file. While a full batch is being sent, the next one is written ahead
   (``outbox_ahead``); the next claim takes such a message only if it was written from the
   same context, template and Message-ID it rebuilds in its transaction.
2. *hand-over*, per group of messages (one per SMTP connection, ``?connections=`` in the
   URL, 8 by default): the transport writes each message of the group up to the final dot,
   then this module commits ``handed_over_at`` for them — one ``UPDATE`` of the group's
   rows, nothing else, its own transaction — then the transport writes their final ``.``
   of the DATA phase (see ``relance.channels.smtp``). Crash before the commit → the server
   discarded the group's messages. Crash after → they count as sent. This commit is the one
   write that exactly-once needs: it must be durable before the final dot, and it is the
   only thing between the message and its dot. A durable PostgreSQL commit waits for a WAL
   flush (milliseconds): one per message capped a single stream well below 300 messages/s,
   one per group does not. The update only matches rows still ``sending`` under this claim
   (owner and lease unchanged): if the lease ran out and another dispatcher took a row back,
   it is not matched, its message is withdrawn (the connection closed before the dot, so the
   server drops it) and left to the other dispatcher. A server that accepts fewer
   connections makes the groups smaller; a message it had no connection for is tried again
   at once in the next group.
3. *sent*, once per batch: one transaction turns every handed-over row of the batch into
   ``sent`` (``sent_at`` = its hand-over time) and records their ``action.sent`` events. The
   row's ``handed_over_at`` is the truth; ``sent`` and its event are bookkeeping derived from
   it, so writing them late loses nothing: after a crash between 2 and 3, recovery turns the
   handed-over rows into ``sent`` and records the same event (marked ``recovered``).

Recovery, at the start of every dispatch (``outbox_recovery``): a ``sending`` row whose owner
is gone or whose lease ran out is ``sent`` if it was handed over, else queued again. So every
due message goes out once: never twice, and never lost except in the one window the channel
documents (between the hand-over commit and the writes of the group's final dots).

Why not parallel workers (threads, each with its own connections, sharing the queue with SKIP
LOCKED): their commits overlap as well, but a thread that has committed its hand-over may
then wait milliseconds for the interpreter lock before it writes its dot, so a crash loses
messages far more often (measured: the killed-worker test lost one message in 230); the
group in one thread gets the same overlap and keeps the window a few system calls long.

SMTP failures are retried with exponential backoff (``attempts``, ``next_attempt_at``) and end
as ``failed`` with the reason after ``MAX_ATTEMPTS``; a permanent refusal fails at once.

``RELANCE_TEST_KILL_AT`` (tests only) makes the process SIGKILL itself at a named point:
``before_claim``, ``after_claim``, ``during_smtp`` (message written, before the hand-over of
its group), ``after_smtp`` (the group's replies read, 250 for this message, before ``sent`` is
recorded); ``RELANCE_TEST_KILL_NTH`` picks the n-th time the point is reached (default 1), a
point being reached once per message.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from relance.apps.audit.documents import document_store, documents_sync
from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.confirmations import NOTHING_OWED_STEPS
from relance.apps.collection.contexts import ContextRequest, action_request, letter_contexts
from relance.apps.collection.messages import email_compose, invoice_files
from relance.apps.collection.models import Action, Case
from relance.apps.collection.outbox_ahead import Ahead, Job, RenderAhead, Rendered, RenderInline
from relance.apps.collection.outbox_recovery import outbox_recover, queued_state
from relance.apps.collection.outbox_rows import rows_hand_over, rows_write
from relance.apps.collection.readiness import ready_to_go_out
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.channels.email_mime import PreparedEmail
from relance.channels.registry import sent_channel
from relance.channels.smtp import (
    Deferred,
    Idle,
    PermanentEmailError,
    Transport,
    UncertainDeliveryError,
    Withdrawn,
)
from relance.documents.context import LetterContext
from relance.documents.formal_notice import check_formal_notice
from relance.domain.problems import N_, Problem
from relance.errors import InvalidInputError, RelanceError


class PassTally(Protocol):
    """What the outbox adds to when the daily pass runs it (the pass's ``RunResult``)."""

    actions: Counter[str]
    problems: list[Problem]


# The outbox's one sent channel today (``_due`` picks its actions); the letters are printed.
CHANNEL = sent_channel("email")
MAX_ATTEMPTS = 5
BACKOFF = timedelta(minutes=5)
LEASE = timedelta(minutes=10)
BATCH = 100
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


@dataclass
class DispatchResult:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    recovered: int = 0
    cancelled: int = 0
    abandoned: int = 0  # claim lost to another dispatcher before the hand-over: theirs to send
    problems: list[Problem] = field(default_factory=list)

    def add(self, other: DispatchResult) -> None:
        for name in ("sent", "failed", "retried", "recovered", "cancelled", "abandoned"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems.extend(other.problems)


@dataclass
class _Claimed:
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
class _Batch:
    owner: str
    lease: datetime
    items: list[_Claimed]
    full: bool = False  # as many actions as a batch takes: more may be waiting


def _render(
    context: LetterContext,
    template: str,
    message_id: str,
    files: tuple[tuple[str, Path], ...],
    stamp: float,
) -> Rendered:
    """The message, written and stored (not yet durably: the claim syncs its batch)."""
    outgoing = email_compose(
        context=context,
        template=template,
        message_id=message_id,
        invoices=files,
        date_timestamp=stamp,
    )
    mail = CHANNEL.prepare(outgoing)
    document, digest = document_store(mail.data, suffix=".eml")
    return Rendered(outgoing.subject, outgoing.text, outgoing.html, mail, document, digest)


# Off unless RELANCE_RENDER_AHEAD=1 (and a second core): on the shared 2-core bench machine it
# made the outbox slower (SQLite, 1,000 messages: 2.7-4.1x the smtplib baseline with it,
# 2.0x without), the second process competing with the SMTP server for the cores and the
# next batch's contexts being read twice.
RENDER_AHEAD = (os.cpu_count() or 1) > 1 and os.environ.get("RELANCE_RENDER_AHEAD", "0") == "1"


def outbox_dispatch(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    result: PassTally | None = None,
    transport: Transport | None = None,
    actor: str = "system",
) -> DispatchResult:
    """Send every due e-mail action once. Must run outside a transaction (each step commits)."""
    out = DispatchResult()
    transport = transport or CHANNEL.transport(settings.EMAIL_URL)
    ahead: Ahead = {}
    worker: RenderAhead | None = None
    failed_to_start = False
    try:
        sent, recovered = outbox_recover(creditor=creditor, actor=actor)
        out.sent, out.recovered = out.sent + sent, out.recovered + recovered
        _kill_point("before_claim")
        while (
            batch := _claim(as_of=as_of, creditor=creditor, out=out, actor=actor, ahead=ahead)
        ) is not None:
            _kill_point("after_claim")
            ahead = {}
            ahead_on = batch.full and RENDER_AHEAD and not failed_to_start
            jobs = _next_jobs(as_of=as_of, creditor=creditor) if ahead_on else []
            if jobs and worker is None:
                try:
                    worker = RenderAhead(_render)
                except (
                    OSError,
                    AssertionError,
                ):  # no fork here (a daemonic worker…): render inline
                    failed_to_start, jobs = True, []
            if jobs and worker is not None:
                worker.submit(jobs)
            # No second process: the next batch is written here, in the SMTP round trips.
            inline = (
                RenderInline(_render, partial(_next_jobs, as_of=as_of, creditor=creditor))
                if batch.full and not jobs
                else None
            )
            _send_batch(batch, transport=transport, out=out, actor=actor, idle=inline)
            if jobs and worker is not None:
                ahead = worker.collect()
            elif inline is not None:
                ahead = inline.done
    finally:
        transport.close()
        if worker is not None:
            worker.close()
    if result is not None:
        result.actions["sent"] += out.sent
        result.actions["failed"] += out.failed
        result.actions["cancelled"] += out.cancelled
        result.problems.extend(out.problems)
    return out


_CLAIM_FIELDS = (
    "state",
    "reason",
    "error",
    "attempts",
    "subject",
    "body_text",
    "body_html",
    "sha256",
    "invoice_ids",
    "recipient",
    "message_id",
    "claimed_by",
    "next_attempt_at",
    "handed_over_at",
    "updated_at",
    "document",
)


def _due(*, as_of: date, creditor: Creditor | None, now: datetime) -> QuerySet[Action]:
    qs = Action.objects.filter(ready_to_go_out(channels=[CHANNEL.name], as_of=as_of)).filter(
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
    )
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return qs.order_by("id")


def _next_jobs(*, as_of: date, creditor: Creditor | None) -> list[Job]:
    """What the next claim will most likely take, to render ahead (read only, nothing locked)."""
    actions = list(_due(as_of=as_of, creditor=creditor, now=timezone.now())[:BATCH])
    debtors = {d.pk: d for d in Debtor.objects.filter(pk__in={a.debtor_id for a in actions})}
    cases = {c.pk: c for c in Case.objects.filter(pk__in={a.case_id for a in actions})}
    creditors = {c.pk: c for c in Creditor.objects.filter(pk__in={a.creditor_id for a in actions})}
    requests = []
    for a in actions:
        try:
            requests.append(
                (a, action_request(a, debtor=debtors[a.debtor_id], case=cases.get(a.case_id)))
            )
        except RelanceError:
            continue
    built = letter_contexts([r for _, r in requests], as_of=as_of, without_unknown_rates=True)
    stamp = timezone.now().timestamp()
    jobs: list[Job] = []
    for (a, request), result in zip(requests, built, strict=True):
        debtor = debtors[a.debtor_id]
        if (
            isinstance(result, RelanceError)
            or (not result.context.invoices and request.template not in NOTHING_OWED_STEPS)
            or not CHANNEL.recipient(email=debtor.email, phone=debtor.phone)
        ):
            continue
        message_id = a.message_id or message_id_for(a.idempotency_key, creditors[a.creditor_id])
        files = tuple(invoice_files(result.invoices))
        key = (message_id, request.template, result.context, files)
        jobs.append((a.pk, key, (result.context, request.template, message_id, files, stamp)))
    return jobs


def _claim(
    *,
    as_of: date,
    creditor: Creditor | None,
    out: DispatchResult,
    actor: str,
    ahead: Ahead | None = None,
) -> _Batch | None:
    """Take up to ``BATCH`` due actions, render them, store each message, commit them as
    ``sending``; None when the queue is empty."""
    now = timezone.now()
    ahead = ahead or {}
    with transaction.atomic():
        qs = _due(as_of=as_of, creditor=creditor, now=now)
        if connection.features.has_select_for_update_skip_locked:
            qs = qs.select_for_update(skip_locked=True)
        actions = list(qs[:BATCH])
        if not actions:
            return None
        debtors = {d.pk: d for d in Debtor.objects.filter(pk__in={a.debtor_id for a in actions})}
        cases = {c.pk: c for c in Case.objects.filter(pk__in={a.case_id for a in actions})}
        creditors = {
            c.pk: c for c in Creditor.objects.filter(pk__in={a.creditor_id for a in actions})
        }
        batch = _Batch(owner=_owner(), lease=now + LEASE, items=[], full=len(actions) == BATCH)
        events: list[EventInput] = []

        def fail(a: Action, error: str) -> None:
            a.state, a.error, a.reason = Action.State.FAILED, error, "cannot be written"
            out.failed += 1
            events.append(
                EventInput("action.failed", "action", a.pk, a.creditor_id, {"error": error}, actor)
            )

        requests: list[tuple[Action, ContextRequest]] = []
        for a in actions:
            a.attempts += 1
            a.updated_at = now
            try:
                requests.append(
                    (a, action_request(a, debtor=debtors[a.debtor_id], case=cases.get(a.case_id)))
                )
            except RelanceError as exc:
                fail(a, str(exc))
        built = letter_contexts([r for _, r in requests], as_of=as_of, without_unknown_rates=True)
        stamp = now.timestamp()
        for (a, request), result in zip(requests, built, strict=True):
            debtor, cred = debtors[a.debtor_id], creditors[a.creditor_id]
            if isinstance(result, RelanceError):
                fail(a, str(result))
                continue
            context = result.context
            if not context.invoices and request.template not in NOTHING_OWED_STEPS:
                # Checked again right before sending: paid or disputed since the action was planned.
                a.state, a.reason = Action.State.CANCELLED, "nothing left to chase"
                out.cancelled += 1
                events.append(
                    EventInput(
                        "action.cancelled",
                        "action",
                        a.pk,
                        a.creditor_id,
                        {"reason": a.reason},
                        actor,
                    )
                )
                continue
            message_id = a.message_id or message_id_for(a.idempotency_key, cred)
            try:
                recipient = CHANNEL.recipient(email=debtor.email, phone=debtor.phone)
                if not recipient:
                    raise PermanentEmailError(f"debtor {debtor.account} has no e-mail address")
                if request.template == "formal_notice":
                    refused = check_formal_notice(context)
                    if refused:
                        raise InvalidInputError("; ".join(p.message for p in refused))
                files = tuple(invoice_files(result.invoices))
                # Written ahead from this very context, or written now. Either way the message
                # as it will go out is stored unchanged: the proof of what was sent. A claim
                # that never reaches the hand-over leaves an unreferenced file, nothing else.
                early = ahead.get(a.pk)
                if (
                    early is not None
                    and early[1] is not None
                    and early[0] == (message_id, request.template, context, files)
                ):
                    rendered = early[1]
                else:
                    rendered = _render(context, request.template, message_id, files, stamp)
            except (PermanentEmailError, RelanceError, ValueError) as exc:
                fail(a, str(exc))
                continue
            mail, document, digest = rendered.mail, rendered.document, rendered.sha256
            a.subject, a.body_text, a.body_html = rendered.subject, rendered.text, rendered.html
            a.sha256, a.document = digest, document
            a.invoice_ids = [i.pk for i in result.invoices]
            a.recipient = recipient
            a.message_id = message_id
            a.state, a.claimed_by, a.next_attempt_at = (
                Action.State.SENDING,
                batch.owner,
                batch.lease,
            )
            a.handed_over_at = None
            batch.items.append(
                _Claimed(
                    a.pk,
                    a.creditor_id,
                    a.attempts,
                    a.requires_approval,
                    a.recipient,
                    a.message_id,
                    a.sha256,
                    document,
                    mail,
                )
            )
            payload: dict[str, Any] = {
                "message_id": a.message_id,
                "sha256": digest,
                "document": document,
                "attempt": a.attempts,
            }
            if result.missing_rate:
                payload["penalties_left_out"] = f"no published rate for {result.missing_rate}"
                out.problems.append(
                    Problem.of(
                        "rate_unknown",
                        N_(
                            "action %(action)s (%(account)s): sent without the penalties, "
                            "no published rate for %(period)s"
                        ),
                        action=a.pk,
                        account=debtor.account,
                        period=result.missing_rate,
                    )
                )
            events.append(
                EventInput("action.sending", "action", a.pk, a.creditor_id, payload, actor)
            )
        synced = documents_sync([i.document for i in batch.items])
        rows_write(actions, _CLAIM_FIELDS)
        events_record(events=events)
        synced()  # every stored message on disk before the claim commits, so before any hand-over
    return batch


def _send_batch(
    batch: _Batch,
    *,
    transport: Transport,
    out: DispatchResult,
    actor: str,
    idle: Idle | None = None,
) -> None:
    handed: list[_Claimed] = []
    waiting = list(batch.items)
    while waiting:
        group, waiting = waiting[: transport.group_size], waiting[transport.group_size :]

        def hand_over(ready: list[int], group: list[_Claimed] = group) -> list[int]:
            for _ in ready:
                _kill_point("during_smtp")
            recorded = rows_hand_over(
                [group[n].pk for n in ready], owner=batch.owner, lease=batch.lease
            )
            return [n for n in ready if group[n].pk in recorded]

        outcomes = transport.send_group([i.mail for i in group], before_commit=hand_over, idle=idle)
        waiting[:0] = [
            i for i, outcome in zip(group, outcomes, strict=True) if isinstance(outcome, Deferred)
        ]
        for item, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Deferred):
                continue
            if outcome is None:
                handed.append(item)
                _kill_point("after_smtp")
            elif isinstance(outcome, Withdrawn):
                out.abandoned += 1
            elif isinstance(outcome, UncertainDeliveryError):
                handed.append(item)
                Action.objects.filter(pk=item.pk).update(error=str(outcome))
            else:
                _failure(item, outcome, out=out, actor=actor)
    _mark_sent(handed, batch=batch, out=out, actor=actor)


def _mark_sent(handed: list[_Claimed], *, batch: _Batch, out: DispatchResult, actor: str) -> None:
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


def _failure(item: _Claimed, exc: Exception, *, out: DispatchResult, actor: str) -> None:
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
