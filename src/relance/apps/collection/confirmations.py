"""What was agreed, put in writing: the confirmation of a promise or a plan, and the thank-you.

A promise to pay (``pauses.promise_add``: from a call, the CLI, the API or the workspace), a
payment plan (``pauses.plan_create``), and a plan proposed on the portal and declined
(``pauses.plan_proposal_decline``: step ``plan_declined``) each plan, in the same transaction, the document that
confirms them: an action of step ``promise_confirmation`` or ``plan_confirmation``, planned
for the day, needing no approval, linked to the promise or the plan whose terms (dates and
amounts, every instalment) its document states. It goes out like any other step: by e-mail
through the outbox (exactly once, the message stored with its hash in the audit trail), or,
when the debtor has no usable e-mail address, as a letter in the day's print batch. A debtor
with neither, or on hold, gets no message: a task asks a person to confirm by hand.

``thanks_plan`` runs in the daily pass after the settled cases are closed: a case closed as
paid in the last ``THANKS_WITHIN_DAYS`` days, settled by a payment received during the case,
gets one ``thank_you`` when its scenario says so (``[scenario] thank_you = true``) or its
creditor asked for it for every debtor (``Creditor.sends_thank_you``).

The idempotency key (``promise:<id>:confirmation``, ``plan:<id>:confirmation``,
``case:<id>:thank_you``) makes each of them one action, whatever the retries.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.db.models import Exists, OuterRef, Q

from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.models import Action, Case, PaymentPlan, Promise, Step
from relance.apps.collection.reach import NO_EMAIL_LETTER, email_usable, postal_usable
from relance.apps.collection.results import RunResult
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Debtor, Payment

PROMISE_CONFIRMATION = "promise_confirmation"
PLAN_CONFIRMATION = "plan_confirmation"
PLAN_DECLINED = "plan_declined"
THANK_YOU = "thank_you"
# Documents that answer the debtor rather than chase it.
ANSWER_STEPS = frozenset({PROMISE_CONFIRMATION, PLAN_CONFIRMATION, PLAN_DECLINED, THANK_YOU})
# The one document that goes out when nothing is owed any more (the others are then cancelled).
NOTHING_OWED_STEPS = frozenset({THANK_YOU})
# A thank-you that would arrive later than this after the case closed is not sent at all
# (the pass did not run, or the option was turned on later): thanks come soon or never.
THANKS_WITHIN_DAYS = 7

TASK_SUBJECTS = {
    "held": "Confirm in writing by hand: the debtor is on hold, no message goes out",
    "unreachable": "Confirm in writing by hand: no e-mail nor postal address on file",
}


def _route(debtor: Debtor) -> tuple[str, str]:
    """(channel, why): e-mail when it can, else a letter, else a task for a person."""
    if debtor.is_legal_hold or debtor.is_do_not_contact:
        return Step.Channel.TASK, "held"
    if email_usable(debtor.email):
        return Step.Channel.EMAIL, ""
    if debtor.name.strip() and postal_usable(
        address=debtor.address, postal_code=debtor.postal_code, city=debtor.city
    ):
        return Step.Channel.LETTER, NO_EMAIL_LETTER
    return Step.Channel.TASK, "unreachable"


def _plan(
    *,
    debtor: Debtor,
    case: Case,
    step: str,
    key: str,
    as_of: date,
    actor: str,
    promise: Promise | None = None,
    plan: PaymentPlan | None = None,
) -> Action | None:
    channel, why = _route(debtor)
    if channel == Step.Channel.TASK and step == THANK_YOU:
        return None  # thanks are not worth a person's time when no message may go out
    action, created = Action.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "creditor_id": debtor.creditor_id,
            "debtor": debtor,
            "case": case,
            "step_key": step,
            "channel": channel,
            "template": step,
            "planned_date": as_of,
            "state": Action.State.PLANNED,
            "requires_approval": False,
            "reason": why if channel != Step.Channel.TASK else "",
            "subject": TASK_SUBJECTS.get(why, ""),
            "promise": promise,
            "plan": plan,
        },
    )
    if not created:
        return None
    payload = {"case": case.pk, "step": step, "channel": channel}
    if why:
        payload["why"] = why
    events_record(
        events=[EventInput("action.planned", "action", action.pk, debtor.creditor_id, payload, actor)]
    )
    return action


def promise_confirmation_plan(*, promise: Promise, as_of: date, actor: str) -> Action | None:
    """Plan the written confirmation of ``promise`` (once); None when it was planned already."""
    assert promise.case is not None
    return _plan(
        debtor=promise.debtor,
        case=promise.case,
        step=PROMISE_CONFIRMATION,
        key=f"promise:{promise.pk}:confirmation",
        as_of=as_of,
        actor=actor,
        promise=promise,
    )


def plan_confirmation_plan(*, plan: PaymentPlan, as_of: date, actor: str) -> Action | None:
    """Plan the written confirmation of ``plan`` and its instalments (once)."""
    assert plan.case is not None
    return _plan(
        debtor=plan.debtor,
        case=plan.case,
        step=PLAN_CONFIRMATION,
        key=f"plan:{plan.pk}:confirmation",
        as_of=as_of,
        actor=actor,
        plan=plan,
    )


def plan_declined_plan(*, task: Action, as_of: date, actor: str) -> Action | None:
    """Plan the answer telling the debtor its proposed plan (``task``, the portal's proposal)
    is declined (once)."""
    return _plan(
        debtor=task.debtor,
        case=task.case,
        step=PLAN_DECLINED,
        key=f"proposal:{task.pk}:declined",
        as_of=as_of,
        actor=actor,
    )


def thanks_plan(*, creditor: Creditor, as_of: date, result: RunResult, actor: str) -> None:
    """Thank, once, each debtor whose payment settled its case today (see the module)."""
    thanked = Action.objects.filter(case_id=OuterRef("pk"), step_key=THANK_YOU)
    # A payment received during the case, applied to an invoice: a case settled by a credit
    # note or a write-off is not thanked for a payment.
    paid = Payment.objects.filter(
        debtor_id=OuterRef("debtor_id"),
        amount__gt=0,
        value_date__lte=as_of,
    ).filter(
        Q(value_date__gte=OuterRef("opened_on")) | Q(created_at__gte=OuterRef("created_at"))
    ).filter(Exists(Allocation.objects.filter(payment_id=OuterRef("pk"), amount__gt=0)))
    cases = list(
        Case.objects.filter(
            creditor=creditor,
            status=Case.Status.CLOSED_PAID,
            closed_on__lte=as_of,
            closed_on__gte=as_of - timedelta(days=THANKS_WITHIN_DAYS),
        )
        .filter(Q(scenario__sends_thank_you=True) | Q(creditor__sends_thank_you=True))
        .filter(Exists(paid))
        .filter(~Exists(thanked))
        # A case that went to the legal stage was settled through the court, the agency or
        # the lawyer: Relance says nothing more to that debtor (``policy.is_silent``).
        .filter(legal_stage__isnull=True)
        .select_related("debtor")
    )
    for case in cases:
        if _plan(
            debtor=case.debtor,
            case=case,
            step=THANK_YOU,
            key=f"case:{case.pk}:thank_you",
            as_of=as_of,
            actor=actor,
        ):
            result.actions["thank_you"] += 1
