"""The outbox: e-mail actions claimed, rendered, sent over SMTP exactly once, with their proof.

Work goes in batches of up to ``BATCH`` actions. What each step writes, and what a crash (even
``SIGKILL``) at each point leaves:

1. *claim* (one transaction per batch, committed before any SMTP traffic): the batch's due
   e-mail actions go from ``planned``/``approved`` to ``sending`` with ``claimed_by``
   (host:pid), a lease (``next_attempt_at``), the rendered snapshot, its sha256 and a
   Message-ID derived from the idempotency key; one ``action.sending`` event each, recorded
   in the same transaction. On PostgreSQL the rows are taken with ``SELECT … FOR UPDATE SKIP
   LOCKED`` so two dispatchers never claim the same row. Crash → the rows are ``sending``
   without ``handed_over_at``. Every message of the batch is rendered to bytes before the
   claim, outside any transaction (``outbox_ahead.render_missing``; each template under its
   render budget), so no template ever runs under the claim's lock: the documents' text and
   HTML, the EPC QR code, the PDFs (``messages.email_compose``, what ``relance render``
   writes), from contexts built for the whole batch at once (``contexts.letter_contexts``); the
   claim takes a message only if it rebuilds the same context, else leaves its action for the
   next claim, and fails one whose template was refused. Each message is stored unchanged as
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
   discarded the group's messages. Crash after → they are never sent again. This commit is the one
   write that exactly-once needs: it must be durable before the final dot, and it is the
   only thing between the message and its dot. A durable PostgreSQL commit waits for a WAL
   flush (milliseconds): one per message capped a single stream well below 300 messages/s,
   one per group does not. The update only matches rows still ``sending`` under this claim
   (owner and lease unchanged): if the lease ran out and another dispatcher took a row back,
   it is not matched, its message is withdrawn (the connection closed before the dot, so the
   server drops it) and left to the other dispatcher. A server that accepts fewer
   connections makes the groups smaller; a message it had no connection for is tried again
   at once in the next group.
3. *accepted*, per group: once the server's replies to the final dots are read, one
   ``UPDATE`` sets ``accepted_at`` on the rows it answered 250 for (not durable on purpose:
   lost, the row becomes ``uncertain``, which is true). A message whose connection broke
   after its hand-over, before the reply, is ``uncertain`` at once.
4. *sent*, once per batch: one transaction turns every accepted row of the batch into
   ``sent`` (``sent_at`` = its hand-over time) and records their ``action.sent`` events. The
   row's ``handed_over_at`` and ``accepted_at`` are the truth; ``sent`` and its event are
   bookkeeping derived from them, so writing them late loses nothing: after a crash between 3
   and 4, recovery turns the accepted rows into ``sent`` and records the same event (marked
   ``recovered``).

Recovery, at the start of every dispatch (``outbox_recovery``): a ``sending`` row whose owner
is gone or whose lease ran out is ``sent`` if it was handed over and accepted, ``uncertain``
if it was handed over without the server's reply (the dispatcher died between the hand-over
commit and the reply: maybe the dots were written, maybe not), else queued again. So no
message goes out twice, and none is recorded as sent without the server's 250: an
``uncertain`` one waits for a person (the worklist, ``relance actions resend|confirm-sent``)
and is no proof of anything (a letter's earlier attempts list only ``sent``).

Why not parallel workers (threads, each with its own connections, sharing the queue with SKIP
LOCKED): their commits overlap as well, but a thread that has committed its hand-over may
then wait milliseconds for the interpreter lock before it writes its dot, so a crash loses
messages far more often (measured: the killed-worker test lost one message in 230); the
group in one thread gets the same overlap and keeps the window a few system calls long.

SMTP failures are retried with exponential backoff (``attempts``, ``next_attempt_at``) and end
as ``failed`` with the reason after ``MAX_ATTEMPTS``; a permanent refusal fails at once.

``outbox_kill`` holds the tests' kill points.
"""

from __future__ import annotations

import hashlib
import os
import socket
import time
from collections import Counter
from datetime import date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from relance.apps.audit.documents import document_store, documents_sync
from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.confirmations import NOTHING_OWED_STEPS
from relance.apps.collection.contexts import ContextRequest, action_request, letter_contexts
from relance.apps.collection.mail_routes import mail_routes
from relance.apps.collection.messages import email_compose, invoice_files
from relance.apps.collection.models import Action, Case
from relance.apps.collection.outbox_ahead import (
    Ahead,
    Job,
    RenderAhead,
    Rendered,
    RenderFailed,
    RenderInline,
    render_missing,
)
from relance.apps.collection.outbox_kill import kill_point as _kill_point
from relance.apps.collection.outbox_outcomes import (
    MAX_ATTEMPTS,
    STOPPED,
    Batch,
    Claimed,
    DispatchResult,
    failure,
    mark_sent,
    mark_uncertain,
    over_budget,
    release,
)
from relance.apps.collection.outbox_recovery import outbox_recover
from relance.apps.collection.outbox_rows import rows_accept, rows_hand_over, rows_write
from relance.apps.collection.readiness import ready_to_go_out
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.channels.registry import sent_channel
from relance.channels.smtp import (
    Deferred,
    Idle,
    NotTried,
    PermanentEmailError,
    RefusedForNowError,
    SmtpLimits,
    Transport,
    UncertainDeliveryError,
    Withdrawn,
)
from relance.documents.context import LetterContext
from relance.documents.formal_notice import check_formal_notice
from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.problems import N_, Problem

__all__ = ["BATCH", "MAX_ATTEMPTS", "DispatchResult", "message_id_for", "outbox_dispatch"]


class PassTally(Protocol):
    """What the outbox adds to when the daily pass runs it (the pass's ``RunResult``)."""

    actions: Counter[str]
    problems: list[Problem]


# The outbox's one sent channel today (``_due`` picks its actions); the letters are printed.
CHANNEL = sent_channel("email")
LEASE = timedelta(minutes=10)
BATCH = 100


def message_id_for(idempotency_key: str, creditor: Creditor) -> str:
    """The same key always gives the same Message-ID, so a resend would be recognisable."""
    domain = creditor.email.rpartition("@")[2] or "relance.invalid"
    return f"<{hashlib.sha256(idempotency_key.encode()).hexdigest()[:40]}@{domain}>"


def smtp_limits() -> SmtpLimits:
    """The SMTP transport's timeouts and circuit breaker (``RELANCE_SMTP_*``)."""
    return SmtpLimits(
        connect=settings.SMTP_CONNECT_TIMEOUT,
        command=settings.SMTP_COMMAND_TIMEOUT,
        breaker=settings.SMTP_BREAKER,
    )


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


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
    routes = mail_routes(creditor=creditor) if transport is None else None
    if routes is not None:  # a creditor's own server (Settings) carries its e-mail
        out = DispatchResult()
        for each, url in routes:
            each_transport = CHANNEL.transport(url, smtp_limits())
            out.add(outbox_dispatch(as_of=as_of, creditor=each, result=result,
                                    transport=each_transport, actor=actor))
        return out
    out = DispatchResult()
    transport = transport or CHANNEL.transport(settings.EMAIL_URL, smtp_limits())
    transport.limit(time.monotonic() + settings.SMTP_RUN_DEADLINE)
    ahead: Ahead = {}
    worker: RenderAhead | None = None
    failed_to_start = False
    try:
        sent, uncertain, recovered = outbox_recover(creditor=creditor, actor=actor)
        out.sent, out.recovered = out.sent + sent, out.recovered + recovered
        out.uncertain += uncertain
        _kill_point("before_claim")
        written, stalled = False, 0
        while True:
            if not written:  # what the next claim takes, written first, outside its lock
                ahead = render_missing(_next_jobs(as_of=as_of, creditor=creditor), ahead, _render)
            batch = _claim(as_of=as_of, creditor=creditor, out=out, actor=actor, ahead=ahead)
            if batch is None:
                break
            _kill_point("after_claim")
            ahead, written = {}, False
            stalled = stalled + 1 if batch.left and not batch.items else 0
            if stalled > 2:  # contexts that change at every read: left for the next run
                out.problems.append(Problem.of("email_stopped", STOPPED["unsettled"]))
                break
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
            _send_batch(
                batch,
                transport=transport,
                out=out,
                actor=actor,
                idle=inline,
                retries=settings.SMTP_RETRIES,
                retry_wait=settings.SMTP_RETRY_WAIT,
            )
            if jobs and worker is not None:
                ahead, written = worker.collect(), True
            elif inline is not None:
                ahead, written = inline.done, inline.complete
            stopped = transport.stopped()
            if stopped:  # what is left stays queued for the next run
                out.problems.append(Problem.of("email_stopped", STOPPED[stopped]))
                break
    finally:
        transport.close()
        if worker is not None:
            worker.close()
    if result is not None:
        result.actions["sent"] += out.sent
        result.actions["failed"] += out.failed
        result.actions["cancelled"] += out.cancelled
        if out.uncertain:
            result.actions["uncertain"] += out.uncertain
            result.problems.append(
                Problem.of(
                    "email_uncertain",
                    N_(
                        "%(count)s e-mail(s) handed to the mail server without its reply: "
                        "not counted as sent; resend them or confirm they arrived"
                    ),
                    count=out.uncertain,
                )
            )
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
    "accepted_at",
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
) -> Batch | None:
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
        batch = Batch(owner=_owner(), lease=now + LEASE, items=[], full=len(actions) == BATCH)
        events: list[EventInput] = []
        left: set[int] = set()

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
                # Written before the claim from this very context, else left for the next
                # claim: no template runs under this lock. The message as it will go out is
                # stored unchanged: the proof of what was sent. A claim that never reaches the
                # hand-over leaves an unreferenced file, nothing else.
                early = ahead.get(a.pk)
                key = (message_id, request.template, context, files)
                if early is None or early[1] is None or early[0] != key:
                    left.add(a.pk)
                    continue
                rendered = early[1]
                if isinstance(rendered, RenderFailed):
                    if rendered.budget:
                        out.problems.append(over_budget(a.pk, debtor.account, rendered.error))
                    raise InvalidInputError(rendered.error)
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
            a.handed_over_at = a.accepted_at = None
            batch.items.append(
                Claimed(
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
        batch.left = len(left)
        synced = documents_sync([i.document for i in batch.items])
        rows_write([a for a in actions if a.pk not in left], _CLAIM_FIELDS)
        events_record(events=events)
        synced()  # every stored message on disk before the claim commits, so before any hand-over
    return batch


def _send_batch(
    batch: Batch,
    *,
    transport: Transport,
    out: DispatchResult,
    actor: str,
    idle: Idle | None = None,
    retries: int = 0,
    retry_wait: float = 0.0,
) -> None:
    """Send a claimed batch, group by group. A message refused with a 4xx reply is tried again
    after ``retry_wait`` seconds (then twice that…), ``retries`` times at most, never past the
    transport's deadline; once the transport stops (deadline, circuit breaker), what was never
    tried goes back to the queue untouched."""
    handed: list[Claimed] = []
    unsure: list[tuple[Claimed, str]] = []
    untried: list[Claimed] = []
    later: list[tuple[float, Claimed, Exception]] = []  # refused for now: (when, item, why)
    tries: Counter[int] = Counter()
    waiting = list(batch.items)
    stopped = ""
    while waiting or later:
        stopped = transport.stopped()
        if stopped:
            untried += waiting
            for _, item, exc in later:
                failure(item, exc, out=out, actor=actor)
            break
        if not waiting:
            time.sleep(max(0.0, min(at for at, _, _ in later) - time.monotonic()))
            now = time.monotonic()
            waiting = [item for at, item, _ in later if at <= now]
            later = [entry for entry in later if entry[0] > now]
            continue
        group, waiting = waiting[: transport.group_size], waiting[transport.group_size :]

        def hand_over(ready: list[int], group: list[Claimed] = group) -> list[int]:
            for _ in ready:
                _kill_point("during_smtp")
            recorded = rows_hand_over(
                [group[n].pk for n in ready], owner=batch.owner, lease=batch.lease
            )
            for _ in recorded:
                _kill_point("after_hand_over")
            return [n for n in ready if group[n].pk in recorded]

        outcomes = transport.send_group([i.mail for i in group], before_commit=hand_over, idle=idle)
        waiting[:0] = [
            i for i, outcome in zip(group, outcomes, strict=True) if isinstance(outcome, Deferred)
        ]
        rows_accept(
            [i.pk for i, outcome in zip(group, outcomes, strict=True) if outcome is None],
            owner=batch.owner,
            lease=batch.lease,
        )
        for item, outcome in zip(group, outcomes, strict=True):
            if isinstance(outcome, Deferred):
                continue
            if outcome is None:
                handed.append(item)
                _kill_point("after_smtp")
            elif isinstance(outcome, Withdrawn):
                out.abandoned += 1
            elif isinstance(outcome, UncertainDeliveryError):
                unsure.append((item, str(outcome)))
            elif isinstance(outcome, NotTried):
                untried.append(item)
            elif isinstance(outcome, RefusedForNowError) and tries[item.pk] < retries:
                tries[item.pk] += 1
                at = time.monotonic() + retry_wait * 2 ** (tries[item.pk] - 1)
                deadline = getattr(transport, "deadline", None)
                if deadline is not None and at >= deadline:
                    failure(item, outcome, out=out, actor=actor)
                else:
                    later.append((at, item, outcome))
            else:
                failure(item, outcome, out=out, actor=actor)
    mark_sent(handed, batch=batch, out=out, actor=actor)
    mark_uncertain(unsure, batch=batch, out=out, actor=actor)
    release(untried, batch=batch, reason=f"the run stopped ({stopped})", actor=actor)
