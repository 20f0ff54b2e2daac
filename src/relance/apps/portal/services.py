"""Writing from the portal: a dispute reported, a payment plan proposed, each capped per day.

A dispute goes through the collection app's own ``dispute_open`` (actor ``debtor portal``): the
invoice leaves the chase exactly as when a collector records it. A plan proposal is not a plan:
the collector agrees to it or not. It is recorded as a ``task`` action on the debtor's case
(``step_key`` ``plan_proposal``, the proposal in ``outcome``), the same kind of action the daily
pass plans when a registered letter has no news: it shows in the worklist's tasks and on the
debtor's timeline until someone marks it done, with what was decided, and an audit event
``plan.proposed`` keeps what the debtor asked. A note on the debtor would be a free text field
people overwrite, seen by no one until they open the page.

Each debtor may post ``POSTS_PER_DAY`` forms in 24 hours (counted from the audit events the
portal's posts leave), so a leaked link cannot flood the worklist.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db import connection, transaction
from django.db.models import Q
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext

from relance.apps.audit.models import Event
from relance.apps.audit.services import event_record
from relance.apps.collection.models import Action, Dispute, Step
from relance.apps.collection.pauses import PLAN_PROPOSAL, case_for, dispute_open
from relance.apps.ledger.models import Invoice
from relance.apps.portal.selectors import PortalAccess
from relance.domain.errors import InvalidInputError, NotFoundError

ACTOR = "debtor portal"
POSTS_PER_DAY = 10
MAX_INSTALMENTS = 24
MAX_FIRST_DAYS = 92  # a first instalment within three months
MAX_TEXT = 1000


class PortalLimitError(InvalidInputError):
    code = "portal_limit"


def portal_posts_today(*, access: PortalAccess, now: datetime) -> int:
    """How many forms the debtor posted through the portal in the 24 hours before ``now``."""
    disputes = Dispute.objects.filter(invoice__debtor=access.debtor).values("pk")
    return Event.objects.filter(
        creditor_id=access.creditor.pk,
        actor=ACTOR,
        created_at__gt=now - timedelta(days=1),
    ).filter(
        Q(subject_type="debtor", subject_id=access.debtor.pk)
        | Q(kind="dispute.opened", subject_id__in=disputes)
    ).count()


@contextmanager
def _within_cap(access: PortalAccess, now: datetime) -> Iterator[None]:
    """Count the debtor's posts and write this one in one transaction, one post of a debtor
    at a time: eight workers each counting nine then each writing made sixteen a day.
    PostgreSQL serialises them on an advisory lock of the debtor (no row lock, so nothing
    the daily pass holds is waited for); SQLite's transactions take the write lock first."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, access.debtor.pk % 2**31]
                )
        if portal_posts_today(access=access, now=now) >= POSTS_PER_DAY:
            raise PortalLimitError("too many requests through the portal today")
        yield


_LOCK_SPACE = 0x504F5254  # "PORT": the first key of the portal's advisory locks


def _text(value: str, *, required: bool) -> str:
    text = value.strip()
    if required and not text:
        raise InvalidInputError("say what the problem is")
    if len(text) > MAX_TEXT:
        raise InvalidInputError("the message is too long")
    return text


def portal_dispute_report(
    *, access: PortalAccess, invoice_id: int, reason: str, now: datetime, as_of: date
) -> Dispute:
    """Put one of the debtor's open invoices in dispute, with the debtor's words as reason."""
    text = _text(reason, required=True)
    invoice = Invoice.objects.filter(
        pk=invoice_id, debtor=access.debtor, status=Invoice.Status.OPEN
    ).first()
    if invoice is None:
        raise NotFoundError("no such invoice")
    with _within_cap(access, now):
        return dispute_open(
            creditor=access.creditor,
            invoice_number=invoice.number,
            reason=text,
            as_of=as_of,
            actor=ACTOR,
        )


@dataclass(frozen=True)
class PlanProposal:
    instalments: int
    first: date
    message: str


def portal_plan_propose(
    *, access: PortalAccess, proposal: PlanProposal, now: datetime, as_of: date
) -> Action:
    """Record the debtor's proposed plan as a task for the collector (no plan is created)."""
    if not 2 <= proposal.instalments <= MAX_INSTALMENTS:
        raise InvalidInputError(f"between 2 and {MAX_INSTALMENTS} instalments")
    if not as_of <= proposal.first <= as_of + timedelta(days=MAX_FIRST_DAYS):
        raise InvalidInputError("the first instalment must fall within three months")
    message = _text(proposal.message, required=False)
    creditor, debtor = access.creditor, access.debtor
    # The collector reads the task in the creditor's language.
    lang = (creditor.locale or "fr")[:2]
    with translation.override(lang if lang in ("fr", "en") else "fr"):
        subject = gettext(
            "Payment plan proposed by the debtor: %(count)s instalments from %(first)s"
        ) % {"count": proposal.instalments, "first": date_format(proposal.first, "j F Y")}
    with _within_cap(access, now):
        case = case_for(debtor=debtor, as_of=as_of)
        task = Action.objects.create(
            creditor=creditor,
            debtor=debtor,
            case=case,
            step_key=PLAN_PROPOSAL,
            channel=Step.Channel.TASK,
            template=PLAN_PROPOSAL,
            planned_date=as_of,
            state=Action.State.PLANNED,
            subject=subject[:300],
            reason=(message or subject)[:200],
            body_text=message,
            idempotency_key=f"portal:{creditor.pk}:{debtor.pk}:{PLAN_PROPOSAL}:{uuid.uuid4().hex}",
            outcome={
                "source": "portal",
                "instalments": proposal.instalments,
                "first": proposal.first.isoformat(),
                "message": message,
            },
        )
        event_record(
            kind="plan.proposed",
            subject_type="debtor",
            subject_id=debtor.pk,
            creditor_id=creditor.pk,
            payload={
                "debtor": debtor.account,
                "instalments": proposal.instalments,
                "first": proposal.first,
                "message": message,
                "task": task.pk,
                # What the debtor's timeline says of the event.
                "notes": f"{subject} — {message}" if message else subject,
            },
            actor=ACTOR,
        )
    return task
