"""Letters on paper: the day's print batch and registered-letter delivery.

``letters_batch`` prints the day's letters and registered letters (approved or not needing
approval, planned for the day or before) into one PDF behind a cover sheet. Each letter's pages
are stored unchanged under ``MEDIA_ROOT/documents/<sha256>.pdf`` (``audit.documents``); the hash
goes on the action and into an ``action.sent`` audit event ("document as sent"). A mise en
demeure the validator refuses, or a letter that cannot be written, stays pending and is
reported.

``letter_deliver`` records a registered letter's tracking number and then its acknowledgement
date (or that it was not claimed): the receipt date is the proof and the notice date. The
signed acknowledgement itself, scanned, is kept unchanged with its SHA-256 when given: a dossier
cites that file instead of the paper original.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import PurePath
from typing import Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import EventInput, event_record, events_record
from relance.apps.collection.contexts import LETTER_CHANNELS
from relance.apps.collection.models import Action, Step
from relance.apps.collection.readiness import ready_to_go_out
from relance.apps.collection.sendable import documents_check
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Invoice
from relance.apps.legal.selectors import rate_tables
from relance.documents.context import LetterContext
from relance.documents.letter import compose_letter
from relance.documents.templates import render_step
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_, Problem
from relance.domain.vocabulary import channel_word, state_word

# --- the day's letters ----------------------------------------------------------------------------


@dataclass
class BatchResult:
    as_of: date
    pdf: bytes = b""
    sha256: str = ""
    letters: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "sha256": self.sha256,
            "letters": self.letters,
            "refused": self.refused,
            "problems": [p.as_dict() for p in self.problems],
        }


def letters_due(
    *, as_of: date, creditor: Creditor | None = None, ids: Sequence[int] | None = None
) -> list[Action]:
    """The letter and registered-letter actions ready to print: approved (or needing no
    approval) and planned for ``as_of`` or before; only ``ids`` among them when given."""
    qs = Action.objects.filter(
        ready_to_go_out(channels=LETTER_CHANNELS, as_of=as_of)
    ).select_related("debtor", "debtor__creditor", "case")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    if ids is not None:
        qs = qs.filter(pk__in=list(ids))
    return list(qs.order_by("creditor_id", "debtor__name", "id"))


def letters_due_count(*, as_of: date, creditor: Creditor) -> int:
    """How many letters ``letters_due`` would list for ``creditor``: one query."""
    return Action.objects.filter(
        ready_to_go_out(channels=LETTER_CHANNELS, as_of=as_of), creditor=creditor
    ).count()


def letters_awaiting_delivery(*, creditor: Creditor) -> list[Action]:
    """The registered letters printed whose tracking number or receipt is not recorded yet,
    the oldest first: each waits for a person to record what La Poste says."""
    return list(
        Action.objects.filter(
            creditor=creditor,
            channel=Step.Channel.REGISTERED_LETTER,
            state=Action.State.SENT,
            received_date__isnull=True,
            not_claimed=False,
        )
        .select_related("debtor", "case")
        .order_by("sent_at", "id")
    )


def letters_batch(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    workers: int | None = None,
    actor: str = "system",
    ids: Sequence[int] | None = None,
) -> BatchResult:
    """Print the day's letters (only ``ids`` among them when given) into one PDF and mark them
    sent; refuse what may not go out."""
    from relance.documents.pdf import LetterJob, letter_pdfs, render_batch

    result = BatchResult(as_of=as_of)
    actions = letters_due(as_of=as_of, creditor=creditor, ids=ids)
    tables = rate_tables()
    jobs: list[LetterJob] = []
    ready: list[tuple[Action, LetterContext, str]] = []
    refusals: list[EventInput] = []
    for check in documents_check(actions, as_of=as_of, tables=tables):
        a, template, context, problems = check.action, check.template, check.context, check.problems
        if problems:
            for p in problems:
                result.problems.append(
                    Problem.of(
                        p.code,
                        N_("action %(action)s (%(account)s, %(step)s): %(problem)s"),
                        action=a.pk,
                        account=a.debtor.account,
                        step=a.step_key,
                        problem=p,
                    )
                )
            result.refused.append(
                {
                    "action": a.pk,
                    "debtor": a.debtor.account,
                    "step": a.step_key,
                    "problems": [p.as_dict() for p in problems],
                }
            )
            refusals.append(
                EventInput(
                    "action.refused",
                    "action",
                    a.pk,
                    a.creditor_id,
                    {"step": a.step_key, "problems": [str(p) for p in problems]},
                    actor,
                )
            )
            continue
        assert context is not None
        jobs.append(LetterJob(context, template))
        ready.append((a, context, template))
    events_record(events=refusals)
    if not jobs:
        return result
    locale = (ready[0][0].creditor.locale or "fr")[:2]
    pdf, entries = render_batch(
        jobs, workers=workers, lang=locale if locale in ("fr", "en") else "fr"
    )
    documents = letter_pdfs(pdf, entries)
    moment = timezone.now()
    if as_of < timezone.localdate(moment):
        # A past day's batch: the letters bear that date, and so does their record.
        moment = timezone.make_aware(datetime.combine(as_of, time(12)))
    batch_name, batch_digest = document_store(pdf)
    result.pdf, result.sha256 = pdf, batch_digest
    events: list[EventInput] = []
    # Every text written before the transaction: no template runs under its lock.
    texts = [
        (compose_letter(context, template), render_step(context, template).subject)
        for _, context, template in ready
    ]
    with transaction.atomic():
        for (a, context, _template), entry, document, (letter, subject) in zip(
            ready, entries, documents, texts, strict=True
        ):
            name, digest = document_store(document)
            locked = Action.objects.select_for_update().get(pk=a.pk)
            if locked.state not in (Action.State.PLANNED, Action.State.APPROVED):
                continue  # taken by someone else meanwhile: its own record stands
            invoice_ids = list(
                Invoice.objects.filter(
                    debtor_id=a.debtor_id, number__in=[i.number for i in context.invoices]
                ).values_list("pk", flat=True)
            )
            Action.objects.filter(pk=a.pk).update(
                state=Action.State.SENT,
                sent_at=moment,
                sha256=digest,
                document=name,
                subject=subject,
                body_text=letter.as_text(),
                invoice_ids=invoice_ids,
                recipient="\n".join(letter.recipient),
                updated_at=moment,
            )
            row = {
                "action": a.pk,
                "debtor": a.debtor.account,
                "debtor_name": a.debtor.name,
                "step": a.step_key,
                "channel": a.channel,
                "reference": context.reference,
                "pages": entry.pages,
                "sha256": digest,
                "document": name,
                "amount": str(context.amount_claimed),
            }
            result.letters.append(row)
            events.append(
                EventInput(
                    "action.sent",
                    "action",
                    a.pk,
                    a.creditor_id,
                    {
                        "note": "document as sent",
                        "step": a.step_key,
                        "channel": a.channel,
                        "sha256": digest,
                        "document": name,
                        "pages": entry.pages,
                        "batch_sha256": batch_digest,
                        "invoices": [i.number for i in context.invoices],
                        "amount": context.amount_claimed,
                        "awaiting_delivery": a.channel == Step.Channel.REGISTERED_LETTER,
                    },
                    actor,
                )
            )
        events.append(
            EventInput(
                "letters.batch",
                "batch",
                None,
                creditor.pk if creditor else None,
                {
                    "as_of": as_of,
                    "sha256": batch_digest,
                    "document": batch_name,
                    "letters": len(result.letters),
                },
                actor,
            )
        )
        events_record(events=events)
    return result


# --- registered letters: tracking and receipt ---------------------------------------------------


def letter_deliver(
    *,
    action_id: int,
    tracking: str,
    received: date | None = None,
    not_claimed: bool = False,
    actor: str = "system",
    returned: date | None = None,
    receipt: bytes | None = None,
    receipt_filename: str = "",
) -> Action:
    """Record a registered letter's tracking number and its acknowledgement (date, or not claimed).

    ``returned``: the day an unclaimed letter came back (default today), kept as
    ``outcome["not_claimed_on"]``: the next step counts its deadline from it. ``receipt``: the
    signed acknowledgement as scanned (PDF or image), stored unchanged with its SHA-256; never
    replaced by another file once recorded."""
    tracking = tracking.strip()
    if not tracking:
        raise InvalidInputError(N_("give the registered letter's tracking number"))
    if received is not None and not_claimed:
        raise InvalidInputError(
            N_("a letter is either received on a date or not claimed, not both")
        )
    stored = _receipt_store(receipt, receipt_filename) if receipt is not None else None
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise NotFoundError(f"no action {action_id}")
        if action.channel != Step.Channel.REGISTERED_LETTER:
            raise InvalidInputError(
                N_("action %(action)s is a %(channel)s, not a registered letter"),
                params={"action": action_id, "channel": channel_word(action.channel)},
            )
        if action.state != Action.State.SENT:
            raise InvalidInputError(
                N_("action %(action)s is %(state)s: print it first (relance letters batch)"),
                params={"action": action_id, "state": state_word(action.state)},
            )
        if action.tracking_number and action.tracking_number != tracking:
            raise InvalidInputError(
                N_("action %(action)s already has tracking number %(tracking)s"),
                params={"action": action_id, "tracking": action.tracking_number},
            )
        sent_day = timezone.localdate(action.sent_at) if action.sent_at else action.planned_date
        if received is not None and received < sent_day:
            raise InvalidInputError(
                N_("the letter cannot be received (%(received)s) before it was sent (%(sent)s)"),
                params={"received": received, "sent": sent_day},
            )
        if action.received_date and received and received != action.received_date:
            raise InvalidInputError(
                N_(
                    "action %(action)s was already received on %(day)s: the proof is not "
                    "rewritten"
                ),
                params={"action": action_id, "day": action.received_date},
            )
        if stored is not None:
            if received is None and action.received_date is None:
                raise InvalidInputError(
                    f"action {action_id} is not received: give the date on the acknowledgement (--received)"
                )
            if action.receipt_sha256 and action.receipt_sha256 != stored[1]:
                raise InvalidInputError(
                    f"action {action_id} already has its acknowledgement of receipt: the proof is not rewritten"
                )
            action.receipt_name, action.receipt_sha256 = stored
        action.tracking_number = tracking
        if received is not None:
            action.received_date, action.not_claimed = received, False
        if not_claimed:
            action.not_claimed = True
            back = returned or timezone.localdate()
            if back < sent_day:
                raise InvalidInputError(
                    N_("the letter cannot come back (%(back)s) before it was sent (%(sent)s)"),
                    params={"back": back, "sent": sent_day},
                )
            action.outcome = {**(action.outcome or {}), "not_claimed_on": back.isoformat()}
        action.save(
            update_fields=[
                "tracking_number",
                "received_date",
                "not_claimed",
                "outcome",
                "receipt_name",
                "receipt_sha256",
                "updated_at",
            ]
        )
        kind = (
            "action.received"
            if received
            else "action.not_claimed"
            if not_claimed
            else "action.tracking"
        )
        event_record(
            kind=kind,
            subject_type="action",
            subject_id=action.pk,
            creditor_id=action.creditor_id,
            payload={
                "step": action.step_key,
                "tracking": tracking,
                "received": received,
                "not_claimed": action.not_claimed,
                "sha256": action.sha256,
                **({"receipt": stored[0], "receipt_sha256": stored[1]} if stored else {}),
            },
            actor=actor,
        )
    return action


def action_get(*, action_id: int) -> Action:
    action = Action.objects.select_related("debtor").filter(pk=action_id).first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action


RECEIPT_SUFFIXES = frozenset({".pdf", ".png", ".jpg", ".jpeg"})
MAX_RECEIPT_BYTES = 20 * 1024 * 1024


def _receipt_store(data: bytes, filename: str) -> tuple[str, str]:
    """The scanned acknowledgement of receipt, stored unchanged: (name, sha256); refused whole
    when it is empty, too large or not a PDF or an image."""
    suffix = PurePath(filename).suffix.lower()
    if suffix not in RECEIPT_SUFFIXES:
        raise InvalidInputError(
            f"the acknowledgement of receipt must be one of {', '.join(sorted(RECEIPT_SUFFIXES))}, "
            f"not {PurePath(filename).name!r}"
        )
    if not data:
        raise InvalidInputError("the acknowledgement of receipt's file is empty")
    if len(data) > MAX_RECEIPT_BYTES:
        raise InvalidInputError("the acknowledgement of receipt's file is larger than 20 MB")
    return document_store(data, suffix=suffix, durable=True)
