"""Pauses in the chase: disputes, promises to pay, payment plans, holds, and their end.

A dispute takes one invoice out of the chase; a promise pauses the case until its date plus
grace; a plan puts the case on instalments; a hold (legal, do-not-contact) stops every
message. The daily pass first calls ``promises_resolve``, ``plans_resolve`` and
``pauses_resume_expired`` so that a pause that has ended lets the case go on the same day.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from relance.apps.audit.services import EventInput, event_record, events_record
from relance.apps.collection.bulk import ZERO, chunks, open_cases, open_totals, rows_events
from relance.apps.collection.confirmations import (
    plan_confirmation_plan,
    plan_declined_plan,
    promise_confirmation_plan,
)
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    PENDING_ACTION_STATES,
    Action,
    Case,
    Dispute,
    Instalment,
    PaymentPlan,
    Promise,
    Scenario,
)
from relance.apps.collection.results import RunResult
from relance.apps.collection.scenarios import (
    assigned_scenarios,
    scenarios_load_defaults,
    scenarios_with_defaults,
)
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.ledger.selectors import debtor_get
from relance.domain import policy
from relance.domain import scenario as engine
from relance.domain.errors import InvalidInputError, NotFoundError, RefusedNowError
from relance.domain.problems import N_, Problem


def _resume(
    case_ids: list[int], *, creditor: Creditor, reason: str, result: RunResult, actor: str
) -> None:
    if not case_ids:
        return
    for part in chunks(case_ids):
        Case.objects.filter(pk__in=part).update(
            status=Case.Status.ACTIVE, paused_until=None, pause_reason=""
        )
    events_record(
        events=rows_events(
            "case.resumed",
            "case",
            [(pk, creditor.pk, {"reason": reason}) for pk in case_ids],
            actor,
        )
    )
    result.cases["resumed"] += len(case_ids)


def promises_resolve(*, creditor: Creditor, as_of: date, result: RunResult, actor: str) -> None:
    """A promise is kept once the debtor has paid its amount; broken when the date plus grace passes."""
    promises = list(Promise.objects.filter(creditor=creditor, status=Promise.Status.OPEN))
    if not promises:
        return
    owed = open_totals({p.debtor_id for p in promises})
    events, resume = [], []
    for p in promises:
        paid = p.baseline_amount - owed.get(p.debtor_id, ZERO)
        if paid >= p.amount:
            p.status = Promise.Status.KEPT
        elif as_of > p.promised_date + timedelta(days=p.grace_days):
            p.status = Promise.Status.BROKEN
            result.problems.append(
                Problem.of(
                    "promise_broken",
                    N_(
                        "debtor %(debtor)s promised %(amount)s by %(date)s and paid %(paid)s: "
                        "chase resumes"
                    ),
                    debtor=p.debtor_id,
                    amount=p.amount,
                    date=p.promised_date,
                    paid=max(paid, ZERO),
                )
            )
        else:
            continue
        p.resolved_on = as_of
        p.save(update_fields=["status", "resolved_on"])
        events.append(
            EventInput(
                f"promise.{p.status}",
                "promise",
                p.pk,
                creditor.pk,
                {"debtor": p.debtor_id, "amount": p.amount, "paid": paid},
                actor,
            )
        )
        result.cases[f"promises_{p.status}"] += 1
        if p.case_id:
            resume.append(p.case_id)
    events_record(events=events)
    still_paused = set(
        Promise.objects.filter(case_id__in=resume, status=Promise.Status.OPEN).values_list(
            "case_id", flat=True
        )
    )
    ids = list(
        Case.objects.filter(
            pk__in=[c for c in resume if c not in still_paused], status=Case.Status.PAUSED
        ).values_list("pk", flat=True)
    )
    _resume(ids, creditor=creditor, reason="promise resolved", result=result, actor=actor)


def plans_resolve(*, creditor: Creditor, as_of: date, result: RunResult, actor: str) -> None:
    """Instalments count as paid as the debtor's balance falls; the first one missed ends the plan."""
    plans = list(
        PaymentPlan.objects.filter(
            creditor=creditor, status=PaymentPlan.Status.ACTIVE
        ).prefetch_related("instalments")
    )
    if not plans:
        return
    owed = open_totals({p.debtor_id for p in plans})
    events: list[EventInput] = []
    resume: list[int] = []
    for plan in plans:
        paid = plan.baseline_amount - owed.get(plan.debtor_id, ZERO)
        running = ZERO
        missed = None
        newly_paid = []
        for inst in plan.instalments.all():
            running += inst.amount
            if paid >= running:
                if not inst.is_paid:
                    newly_paid.append(inst.pk)
            elif missed is None and as_of > inst.due_date + timedelta(days=plan.grace_days):
                missed = inst
        if newly_paid:
            Instalment.objects.filter(pk__in=newly_paid).update(is_paid=True)
            events += [
                EventInput(
                    "instalment.paid", "instalment", pk, creditor.pk, {"plan": plan.pk}, actor
                )
                for pk in newly_paid
            ]
        if paid >= plan.total_amount:
            plan.status = PaymentPlan.Status.COMPLETED
        elif missed is not None:
            plan.status = PaymentPlan.Status.BROKEN
            result.problems.append(
                Problem.of(
                    "plan_broken",
                    N_(
                        "debtor %(debtor)s missed instalment %(position)s of %(amount)s due "
                        "%(date)s: chase resumes"
                    ),
                    debtor=plan.debtor_id,
                    position=missed.position,
                    amount=missed.amount,
                    date=missed.due_date,
                )
            )
        else:
            continue
        plan.resolved_on = as_of
        plan.save(update_fields=["status", "resolved_on"])
        events.append(
            EventInput(
                f"plan.{plan.status}",
                "payment_plan",
                plan.pk,
                creditor.pk,
                {"debtor": plan.debtor_id},
                actor,
            )
        )
        result.cases[f"plans_{plan.status}"] += 1
        if plan.case_id:
            resume.append(plan.case_id)
    events_record(events=events)
    ids = list(
        Case.objects.filter(pk__in=resume, status=Case.Status.PLAN).values_list("pk", flat=True)
    )
    _resume(ids, creditor=creditor, reason="payment plan ended", result=result, actor=actor)


def pauses_resume_expired(
    *, creditor: Creditor, as_of: date, result: RunResult, actor: str
) -> None:
    open_promise = Promise.objects.filter(case_id=OuterRef("pk"), status=Promise.Status.OPEN)
    ids = list(
        open_cases(creditor)
        .filter(status=Case.Status.PAUSED, paused_until__lt=as_of)
        .filter(~Exists(open_promise))
        .values_list("pk", flat=True)
    )
    _resume(ids, creditor=creditor, reason="pause ended", result=result, actor=actor)


def _invoice(creditor: Creditor, number: str) -> Invoice:
    invoice = Invoice.objects.filter(creditor=creditor, number=number).first()
    if invoice is None:
        raise NotFoundError(f"no invoice numbered {number!r} for {creditor.name}")
    return invoice


# One sentence per kind, so that a translation can name the debtors in its own words.
CASE_WITHOUT_SCENARIO = {
    "business": N_("no default scenario for business debtors"),
    "consumer": N_("no default scenario for consumer debtors"),
    "public": N_("no default scenario for public debtors"),
}


def case_for(*, debtor: Debtor, as_of: date) -> Case:
    """The debtor's open case, opened now if it has none: with the scenario a person assigned to
    the debtor, else the default for its kind."""
    case = Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
    if case is not None:
        return case
    if not Scenario.objects.exists():
        scenarios_load_defaults()
    _, defaults = scenarios_with_defaults()
    scenario_id = assigned_scenarios(creditor=debtor.creditor).get(debtor.pk) or defaults.get(
        debtor.kind
    )
    if scenario_id is None:
        raise InvalidInputError(
            CASE_WITHOUT_SCENARIO.get(debtor.kind, N_("no default scenario for %(kind)s debtors")),
            params={"kind": debtor.kind},
        )
    cycle = (Case.objects.filter(debtor=debtor).aggregate(m=Max("cycle"))["m"] or 0) + 1
    case = Case.objects.create(
        creditor_id=debtor.creditor_id,
        debtor=debtor,
        scenario_id=scenario_id,
        cycle=cycle,
        opened_on=as_of,
    )
    event_record(
        kind="case.opened",
        subject_type="case",
        subject_id=case.pk,
        creditor_id=debtor.creditor_id,
        payload={"debtor": debtor.pk, "scenario": scenario_id},
    )
    return case


IN_LEGAL_STAGE = N_(
    "The case is in the legal stage: the court, agency or lawyer handles it, and Relance sends "
    "nothing to the debtor (report what they agree with a status file)."
)


def _refuse_silent(case: Case) -> None:
    """A promise or a plan would take the case out of the legal stage and write to the debtor."""
    if policy.is_silent(case.status):
        raise InvalidInputError(IN_LEGAL_STAGE, params={})


class AlreadyDisputedError(InvalidInputError):
    """A dispute opened on an invoice already in dispute (a caller may say it its own way)."""


def dispute_open(
    *, creditor: Creditor, invoice_number: str, reason: str, as_of: date, actor: str = "system"
) -> Dispute:
    """Take one invoice out of the chase; the debtor's other invoices go on."""
    invoice = _invoice(creditor, invoice_number)
    with transaction.atomic():
        if Dispute.objects.filter(invoice=invoice, status=Dispute.Status.OPEN).exists():
            raise AlreadyDisputedError(
                N_("invoice %(number)s is already in dispute"), params={"number": invoice_number}
            )
        dispute = Dispute.objects.create(
            creditor=creditor, invoice=invoice, reason=reason, opened_on=as_of
        )
        event_record(
            kind="dispute.opened",
            subject_type="dispute",
            subject_id=dispute.pk,
            creditor_id=creditor.pk,
            payload={"invoice": invoice.number, "reason": reason},
            actor=actor,
        )
    return dispute


def dispute_close(
    *, creditor: Creditor, invoice_number: str, as_of: date, actor: str = "system"
) -> Dispute:
    invoice = _invoice(creditor, invoice_number)
    with transaction.atomic():
        dispute = Dispute.objects.filter(invoice=invoice, status=Dispute.Status.OPEN).first()
        if dispute is None:
            raise NotFoundError(f"invoice {invoice_number} has no open dispute")
        dispute.status, dispute.closed_on = Dispute.Status.CLOSED, as_of
        dispute.save(update_fields=["status", "closed_on"])
        event_record(
            kind="dispute.closed",
            subject_type="dispute",
            subject_id=dispute.pk,
            creditor_id=creditor.pk,
            payload={"invoice": invoice.number},
            actor=actor,
        )
    return dispute


def promise_add(
    *,
    creditor: Creditor,
    debtor_account: str,
    amount: Decimal,
    promised_date: date,
    as_of: date,
    grace_days: int = 3,
    actor: str = "system",
) -> Promise:
    """Record a promise to pay and pause the case until its date plus the grace days; its
    written confirmation goes out the same day (``confirmations``)."""
    if amount <= 0:
        raise InvalidInputError("a promise is for a positive amount")
    if promised_date < as_of:
        raise RefusedNowError("the promised date is already past")
    debtor = debtor_get(creditor=creditor, account=debtor_account)
    with transaction.atomic():
        case = case_for(debtor=debtor, as_of=as_of)
        _refuse_silent(case)
        owed = open_totals([debtor.pk]).get(debtor.pk, ZERO)
        promise = Promise.objects.create(
            creditor=creditor,
            debtor=debtor,
            case=case,
            amount=amount,
            promised_date=promised_date,
            grace_days=grace_days,
            baseline_amount=owed,
        )
        until = promised_date + timedelta(days=grace_days)
        case.status, case.paused_until, case.pause_reason = (
            Case.Status.PAUSED,
            until,
            f"promise {promise.pk}",
        )
        case.save(update_fields=["status", "paused_until", "pause_reason", "updated_at"])
        events_record(
            events=[
                EventInput(
                    "promise.added",
                    "promise",
                    promise.pk,
                    creditor.pk,
                    {
                        "debtor": debtor.account,
                        "amount": amount,
                        "date": promised_date,
                        "grace_days": grace_days,
                    },
                    actor,
                ),
                EventInput(
                    "case.paused",
                    "case",
                    case.pk,
                    creditor.pk,
                    {"until": until, "reason": "promise"},
                    actor,
                ),
            ]
        )
        promise_confirmation_plan(promise=promise, as_of=as_of, actor=actor)
    return promise


def plan_create(
    *,
    creditor: Creditor,
    debtor_account: str,
    instalments: int,
    first: date,
    as_of: date,
    every: str = "1m",
    grace_days: int = 3,
    actor: str = "system",
) -> PaymentPlan:
    """Schedule what the debtor owes in instalments that sum to it exactly; the case waits on
    the plan, whose written confirmation (every instalment) goes out the same day."""
    debtor = debtor_get(creditor=creditor, account=debtor_account)
    owed = open_totals([debtor.pk]).get(debtor.pk, ZERO)
    schedule = engine.schedule_instalments(owed, count=instalments, first=first, every=every)
    with transaction.atomic():
        case = case_for(debtor=debtor, as_of=as_of)
        _refuse_silent(case)
        plan = PaymentPlan.objects.create(
            creditor=creditor,
            debtor=debtor,
            case=case,
            total_amount=owed,
            baseline_amount=owed,
            every=every,
            grace_days=grace_days,
        )
        Instalment.objects.bulk_create(
            Instalment(plan=plan, position=n, due_date=day, amount=amount)
            for n, (day, amount) in enumerate(schedule, start=1)
        )
        case.status, case.pause_reason = Case.Status.PLAN, f"payment plan {plan.pk}"
        case.save(update_fields=["status", "pause_reason", "updated_at"])
        events_record(
            events=[
                EventInput(
                    "plan.created",
                    "payment_plan",
                    plan.pk,
                    creditor.pk,
                    {
                        "debtor": debtor.account,
                        "total": owed,
                        "instalments": [{"date": d, "amount": a} for d, a in schedule],
                    },
                    actor,
                ),
                EventInput("case.plan", "case", case.pk, creditor.pk, {"plan": plan.pk}, actor),
            ]
        )
        plan_confirmation_plan(plan=plan, as_of=as_of, actor=actor)
    return plan


# The task the debtor portal leaves when a debtor proposes a plan (``portal_plan_propose``).
PLAN_PROPOSAL = "plan_proposal"


def plan_proposal_accept(
    *, creditor: Creditor, task_id: int, as_of: date, actor: str = "system"
) -> PaymentPlan:
    """Accept the plan a debtor proposed on the portal: the plan it asked for is created (and
    so confirmed in writing, every instalment) and the proposal's task is closed."""
    with transaction.atomic():
        task = (
            Action.objects.select_for_update()
            .filter(pk=task_id, creditor=creditor, step_key=PLAN_PROPOSAL)
            .select_related("debtor")
            .first()
        )
        if task is None:
            raise NotFoundError(f"no plan proposal {task_id}")
        if task.state not in PENDING_ACTION_STATES:
            raise InvalidInputError(
                N_("plan proposal %(task)s was answered already"), params={"task": task.pk}
            )
        terms = task.outcome if isinstance(task.outcome, dict) else {}
        first = date.fromisoformat(str(terms["first"]))
        if first < as_of:
            raise InvalidInputError(
                N_(
                    "the proposed first instalment (%(day)s) is past: agree new dates with the "
                    "debtor and create the plan (relance plan create)"
                ),
                params={"day": first},
            )
        plan = plan_create(
            creditor=creditor,
            debtor_account=task.debtor.account,
            instalments=int(terms["instalments"]),
            first=first,
            as_of=as_of,
            actor=actor,
        )
        task.outcome = {
            **terms,
            "outcome": "accepted",
            "plan": plan.pk,
            "recorded_on": as_of.isoformat(),
            "by": actor,
        }
        task.state, task.sent_at = Action.State.SENT, timezone.now()
        task.save(update_fields=["outcome", "state", "sent_at", "updated_at"])
        event_record(
            kind="plan.accepted",
            subject_type="action",
            subject_id=task.pk,
            creditor_id=creditor.pk,
            payload={"debtor": task.debtor.account, "plan": plan.pk},
            actor=actor,
        )
    return plan


def plan_proposal_decline(
    *, creditor: Creditor, task_id: int, as_of: date, reason: str = "", actor: str = "system"
) -> Action:
    """Decline the plan a debtor proposed on the portal: the proposal's task is closed with why
    (kept in the record), and the debtor is told in writing (``plan_declined``, by e-mail or by
    post as any answer goes); the chase goes on."""
    reason = reason.strip()[:500]
    with transaction.atomic():
        task = (
            Action.objects.select_for_update()
            .filter(pk=task_id, creditor=creditor, step_key=PLAN_PROPOSAL)
            .select_related("debtor", "case")
            .first()
        )
        if task is None:
            raise NotFoundError(f"no plan proposal {task_id}")
        if task.state not in PENDING_ACTION_STATES:
            raise InvalidInputError(
                N_("plan proposal %(task)s was answered already"), params={"task": task.pk}
            )
        answer = plan_declined_plan(task=task, as_of=as_of, actor=actor)
        terms = task.outcome if isinstance(task.outcome, dict) else {}
        task.outcome = {
            **terms, "outcome": "declined", "reason": reason, "recorded_on": as_of.isoformat(),
            "by": actor, "answer": answer.pk if answer else None,
        }
        task.state, task.sent_at = Action.State.SENT, timezone.now()
        task.save(update_fields=["outcome", "state", "sent_at", "updated_at"])
        event_record(
            kind="plan.declined", subject_type="action", subject_id=task.pk,
            creditor_id=creditor.pk, actor=actor,
            payload={"debtor": task.debtor.account, "reason": reason,
                     "answer": answer.pk if answer else None},
        )
    return task


HOLD_FLAGS = {"legal": "is_legal_hold", "do-not-contact": "is_do_not_contact"}


def debtor_hold(
    *,
    creditor: Creditor,
    debtor_account: str,
    hold: bool,
    kind: str = "legal",
    reason: str = "",
    actor: str = "system",
) -> Debtor:
    """Set or clear a debtor's legal-hold (or do-not-contact) flag: no message goes out while set."""
    if kind not in HOLD_FLAGS:
        raise InvalidInputError(f"hold kind must be one of {', '.join(HOLD_FLAGS)}")
    debtor = debtor_get(creditor=creditor, account=debtor_account)
    with transaction.atomic():
        setattr(debtor, HOLD_FLAGS[kind], hold)
        debtor.save(update_fields=[HOLD_FLAGS[kind], "updated_at"])
        event_record(
            kind="debtor.held" if hold else "debtor.released",
            subject_type="debtor",
            subject_id=debtor.pk,
            creditor_id=creditor.pk,
            payload={"flag": kind, "reason": reason},
            actor=actor,
        )
    return debtor
