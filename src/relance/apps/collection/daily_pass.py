"""The daily pass: per creditor, decide each debtor's next step and write cases and actions.

The daily pass (``collection_run``) is set-based: per creditor, one aggregated query gives each
debtor's anchor (the due date of its oldest open invoice not in dispute), its overdue total and
counts; one query gives the step keys already taken per open case. Python then walks the
*debtors* (never the invoices) through the pure scenario engine and writes cases and actions
in bulk. Each action has a unique idempotency key, so a second run on the same day, or two
runs at once, create nothing twice; runs for one creditor also queue on a row lock of the
creditor, as a credit-control run should.

Idempotency key: ``creditor:debtor:scenario:step``, followed by ``:<cycle>`` from the
debtor's second case on (a debtor who paid and fell behind again starts the scenario afresh).

Chasing starts per debtor and follows the scenario in order (``engine.evaluate``): a case's
first step is the scenario's first amicable step (the first after the due date for a debt
already overdue: the courtesy note before it is recorded as ``skipped`` with the reason
"chase started", dated that day), then each step at the scenario's interval from the day the
step before it was taken, or from the day a step was declared done outside Relance
(``history``). No step is ever skipped after downtime; one step per run at most. A step whose
text speaks of earlier attempts (the mise en demeure above all) is held while the case has no
earlier contact, sent or declared. An e-mail step for a debtor without a usable e-mail address
goes as a letter (same text, print batch), or as a task to find an address when there is no
postal address either; the action's reason says why.

A registered letter (the mise en demeure) holds back the step after it until it is delivered
(``engine.Delivery``): no earlier than the acknowledgement's date, or the day it came back
unclaimed, plus the deadline it gave. While the case waits, the letter's action says on what
(its ``reason``, shown by ``relance actions list``), and the run counts it as held
("awaiting_delivery"); three weeks after sending with no news, the run reports a problem and
plans a ``no_acknowledgement`` task, once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Case as SqlCase
from django.db.models import Count, DecimalField, Exists, Max, Min, OuterRef, Sum, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.banking.selectors import bank_feed_stale, debtors_blocked_by_unmatched_credits
from relance.apps.collection.bulk import ZERO, chunks, instances_insert, open_cases, rows_events
from relance.apps.collection.confirmations import thanks_plan
from relance.apps.collection.decisions import (
    LETTER_ON_ITS_WAY,
    Decision,
    DecisionPlan,
    LetterWait,
    read_deliveries,
    record_waits,
)
from relance.apps.collection.history import declared_for_pass
from relance.apps.collection.limits import (
    TimeBarHold,
    court_templates,
    record_time_bars,
    time_barred,
)
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    PENDING_ACTION_STATES,
    Action,
    Case,
    Dispute,
    Scenario,
    Step,
)
from relance.apps.collection.pass_dates import pass_date_check
from relance.apps.collection.pauses import (
    pauses_resume_expired,
    plans_resolve,
    promises_resolve,
)
from relance.apps.collection.reach import CHASE_STARTED, email_fallbacks
from relance.apps.collection.results import RunResult
from relance.apps.collection.scenarios import (
    assigned_scenarios,
    scenarios_load_defaults,
    scenarios_with_defaults,
)
from relance.apps.collection.selectors import debtor_flags, debtors_written_off
from relance.apps.collection.settled import cases_close_settled
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.domain import policy
from relance.domain import scenario as engine
from relance.domain.problems import N_, Problem


class _DryRun(Exception):
    """Raised at the end of a dry run to roll back everything it wrote."""


def idempotency_key(
    *, creditor_id: int, debtor_id: int, scenario_id: int, step_key: str, cycle: int
) -> str:
    key = f"{creditor_id}:{debtor_id}:{scenario_id}:{step_key}"
    return key if cycle <= 1 else f"{key}:{cycle}"


def collection_run(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    dry_run: bool = False,
    dispatch: bool = True,
    actor: str = "system",
    today: date | None = None,
) -> RunResult:
    """The daily pass for one creditor or all of them (DESIGN.md, "The daily pass").

    ``today`` given (every interface gives it), a real pass for a day after it, or before a
    creditor's last real pass, is refused whole (``pass_dates``), and the day of a real pass
    becomes its creditor's ``last_pass_on``."""
    result = RunResult(as_of=as_of, dry_run=dry_run)
    creditor_ids = (
        [creditor.pk] if creditor else list(Creditor.objects.values_list("pk", flat=True))
    )
    try:
        with transaction.atomic():
            if not Scenario.objects.exists():
                scenarios_load_defaults()
            for creditor_id in creditor_ids:
                with transaction.atomic():
                    # One pass at a time per creditor: a second run waits here, then sees the
                    # first one's work and adds nothing.
                    locked = Creditor.objects.select_for_update().get(pk=creditor_id)
                    if today is not None:
                        pass_date_check(
                            creditor=locked, as_of=as_of, today=today, dry_run=dry_run
                        )
                    _creditor_pass(creditor=locked, as_of=as_of, result=result, actor=actor)
                    if not dry_run and (
                        locked.last_pass_on is None or locked.last_pass_on < as_of
                    ):
                        Creditor.objects.filter(pk=locked.pk).update(last_pass_on=as_of)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    if dispatch and not dry_run:
        from relance.apps.collection.dispatch import outbox_dispatch

        outbox_dispatch(as_of=as_of, creditor=creditor, result=result, actor=actor)
    return result


def _creditor_pass(*, creditor: Creditor, as_of: date, result: RunResult, actor: str) -> None:
    promises_resolve(creditor=creditor, as_of=as_of, result=result, actor=actor)
    plans_resolve(creditor=creditor, as_of=as_of, result=result, actor=actor)
    pauses_resume_expired(creditor=creditor, as_of=as_of, result=result, actor=actor)
    lead = max([0, *(engine_s.lead_days for engine_s in scenarios_with_defaults()[0].values())])
    cases_close_settled(creditor=creditor, as_of=as_of, lead=lead, result=result, actor=actor)
    thanks_plan(creditor=creditor, as_of=as_of, result=result, actor=actor)
    plan = collection_decide(creditor=creditor, as_of=as_of, result=result)
    _apply(creditor=creditor, as_of=as_of, plan=plan, result=result, actor=actor)


def debtor_positions(*, creditor: Creditor, as_of: date, lead: int) -> Any:
    """Per debtor: oldest due date among open invoices not in dispute, totals, counts (one query)."""
    disputed = Dispute.objects.filter(invoice_id=OuterRef("pk"), status=Dispute.Status.OPEN)
    money: DecimalField[Decimal, Decimal] = DecimalField(max_digits=16, decimal_places=2)
    return (
        Invoice.objects.filter(
            creditor=creditor,
            status=Invoice.Status.OPEN,
            open_amount__gt=0,
            due_date__lte=as_of + timedelta(days=lead),
        )
        .filter(~Exists(disputed))
        .values("debtor_id")  # alone: grouping on the debtor's columns too sorts far more
        .annotate(
            anchor=Min("due_date"),
            listed_amount=Sum("open_amount"),
            overdue_amount=Coalesce(
                Sum(
                    SqlCase(
                        When(due_date__lt=as_of, then="open_amount"),
                        default=Value(ZERO),
                        output_field=money,
                    )
                ),
                Value(ZERO),
                output_field=money,
            ),
            invoices=Count("id"),
        )
        .order_by()
    )


def collection_decide(
    *, creditor: Creditor, as_of: date, result: RunResult | None = None
) -> DecisionPlan:
    """What the pass would do for each debtor of ``creditor`` today (reads only)."""
    result = result if result is not None else RunResult(as_of=as_of)
    scenarios, defaults = scenarios_with_defaults()
    lead = max([0, *(s.lead_days for s in scenarios.values())])
    cases = {
        row["debtor_id"]: row
        for row in open_cases(creditor).values("pk", "debtor_id", "status", "scenario_id", "cycle")
    }
    done: dict[int, set[str]] = defaultdict(set)
    blocked: set[int] = set()
    letters: dict[int, dict[str, tuple[int, engine.Delivery]]] = defaultdict(dict)
    taken: dict[int, dict[str, date]] = defaultdict(dict)
    contacted: set[int] = set()
    for case_id, step_key, state, channel, needs_approval, pk, planned, sent_at, outcome in (
        Action.objects.filter(
            case__creditor=creditor, case__status__in=OPEN_CASE_STATUSES
        ).values_list(
            "case_id",
            "step_key",
            "state",
            "channel",
            "requires_approval",
            "pk",
            "planned_date",
            "sent_at",
            "outcome",
        )
    ):
        done[case_id].add(step_key)
        if state != Action.State.SKIPPED:
            # The interval runs from the day the step went out: its plan day, or the day it was
            # sent when later (approved late); a sending stamped after ``as_of`` (a past day
            # replayed) counts from its plan day.
            sent = timezone.localdate(sent_at) if sent_at else None
            day = sent if sent is not None and planned < sent <= as_of else planned
            taken[case_id][step_key] = max(day, taken[case_id].get(step_key, day))
        if state == Action.State.SENT or (channel == Step.Channel.CALL and outcome):
            contacted.add(case_id)
        if channel == Step.Channel.REGISTERED_LETTER and state in LETTER_ON_ITS_WAY:
            letters[case_id][step_key] = (pk, engine.Delivery(sent=None))
        if policy.blocks_case(channel=channel, state=state, requires_approval=needs_approval):
            blocked.add(case_id)
    read_deliveries(letters)
    cycles = dict(
        Case.objects.filter(creditor=creditor)
        .values("debtor_id")
        .annotate(m=Max("cycle"))
        .values_list("debtor_id", "m")
    )
    written_off = debtors_written_off(creditor=creditor)
    assigned = assigned_scenarios(creditor=creditor)
    unmatched = debtors_blocked_by_unmatched_credits(creditor=creditor, as_of=as_of)
    stale = bank_feed_stale(creditor=creditor, as_of=as_of)
    if stale:
        result.problems.append(
            Problem(
                "bank_feed_stale", f"{creditor.name}: {stale}; no message is sent until it is fresh"
            )
        )
    declared = declared_for_pass(creditor=creditor, as_of=as_of)
    plan = DecisionPlan()
    first_contacts: list[Decision] = []
    barred = time_barred(creditor=creditor, as_of=as_of)
    court = court_templates(creditor=creditor) if barred else frozenset()
    missing_kinds: set[str] = set()
    evaluator = engine.Evaluator(as_of=as_of)  # a few hundred distinct questions a pass
    debtors = debtor_flags(creditor=creditor)
    for row in debtor_positions(creditor=creditor, as_of=as_of, lead=lead).iterator(
        chunk_size=5000
    ):
        result.cases_evaluated += 1
        debtor_id = row["debtor_id"]
        kind, is_do_not_contact, is_legal_hold = debtors[debtor_id]
        case = cases.get(debtor_id)
        held = policy.case_hold(case["status"]) if case else written_off.get(debtor_id)
        if held is not None:
            result.held[held] += 1
            continue
        scenario_id = case["scenario_id"] if case else assigned.get(debtor_id, defaults.get(kind))
        if scenario_id is None:
            missing_kinds.add(kind)
            continue
        scenario = scenarios[scenario_id]
        case_letters = letters.get(case["pk"], {}) if case else {}
        done_keys = set(done.get(case["pk"], ())) if case else set()
        taken_on = dict(taken.get(case["pk"], {})) if case else {}
        said = declared.get(debtor_id)
        if said is not None and any(s.key == said.step_key for s in scenario.steps):
            # Done outside Relance: the chase resumes after it, at its interval from that day.
            done_keys.add(said.step_key)
            taken_on[said.step_key] = max(said.contact_date, taken_on.get(said.step_key, as_of.min))
        decision = evaluator.evaluate(
            scenario,
            anchor_due_date=row["anchor"],
            done_keys=done_keys,
            debtor_kind=kind,
            deliveries={key: delivery for key, (_, delivery) in case_letters.items()},
            taken_on=taken_on,
        )
        if decision.waiting is not None and case is not None:
            plan.waits.append(
                LetterWait(
                    debtor_id,
                    case["pk"],
                    case_letters[decision.waiting.step_key][0],
                    decision.waiting,
                )
            )
            result.held["awaiting_delivery"] += 1
        if decision.step is None or decision.day is None:
            continue
        step = decision.step
        standing = policy.DebtorStanding(
            is_case_waiting=bool(case and case["pk"] in blocked),
            is_legal_hold=is_legal_hold,
            is_do_not_contact=is_do_not_contact,
            is_bank_feed_stale=bool(stale),
            has_unmatched_credit=debtor_id in unmatched,
            listed_amount=row["listed_amount"],
            overdue_amount=row["overdue_amount"],
            is_time_barred=debtor_id in barred,
            court_templates=court,
        )
        reason = policy.hold_reason(standing, step)
        if reason:
            result.held[reason] += 1
            if reason == "time_barred":
                cycle = case["cycle"] if case else cycles.get(debtor_id, 0) + 1
                key = idempotency_key(creditor_id=creditor.pk, debtor_id=debtor_id,
                                      scenario_id=scenario_id, step_key=step.key, cycle=cycle)
                plan.time_bars.append(TimeBarHold(debtor_id, case["pk"] if case else None,
                                                  scenario_id, cycle, step.key, key,
                                                  tuple(barred[debtor_id])))
            continue
        chosen = Decision(
            debtor_id=debtor_id,
            case_id=case["pk"] if case else None,
            scenario_id=scenario_id,
            cycle=case["cycle"] if case else cycles.get(debtor_id, 0) + 1,
            step=step,
            day=decision.day,
            passed_over=tuple((p, as_of) for p in decision.passed_over),
        )
        has_contact = said is not None or bool(case and case["pk"] in contacted)
        if policy.needs_earlier_contact(step) and not has_contact:
            first_contacts.append(chosen)
            continue
        plan.decisions.append(chosen)
    _hold_first_contacts(creditor=creditor, decisions=first_contacts, result=result)
    for kind in sorted(missing_kinds):
        result.problems.append(
            Problem.of(
                "no_scenario",
                NO_DEFAULT_SCENARIO.get(
                    kind, N_("no default scenario for %(kind)s debtors: import one with is_default")
                ),
                kind=kind,
            )
        )
    return plan


def _hold_first_contacts(
    *, creditor: Creditor, decisions: list[Decision], result: RunResult
) -> None:
    """Hold the steps that speak of earlier attempts for debtors who have had none.

    Such a step (a last reminder "despite our earlier reminders", a mise en demeure) is never
    a debtor's first contact: the case waits, and the run says which debtor a person should
    look at (an earlier step failed or was cancelled, and nothing reached the debtor).
    """
    if not decisions:
        return
    accounts = dict(
        Debtor.objects.filter(pk__in=[d.debtor_id for d in decisions]).values_list("pk", "account")
    )
    for d in decisions:
        result.held["no_earlier_contact"] += 1
        result.problems.append(
            Problem.of(
                "no_earlier_contact",
                N_(
                    "%(account)s: step %(step)s speaks of earlier attempts, and nothing has "
                    "reached the debtor yet (sent or declared): it waits for a person"
                ),
                account=accounts.get(d.debtor_id, d.debtor_id),
                step=d.step.key,
            )
        )


# One sentence per kind, so that a translation can name the debtors in its own words.
NO_DEFAULT_SCENARIO = {
    "business": N_("no default scenario for business debtors: import one with is_default"),
    "consumer": N_("no default scenario for consumer debtors: import one with is_default"),
    "public": N_("no default scenario for public debtors: import one with is_default"),
}


def _apply(
    *, creditor: Creditor, as_of: date, plan: DecisionPlan, result: RunResult, actor: str
) -> None:
    record_waits(creditor=creditor, as_of=as_of, plan=plan, result=result, actor=actor)
    result.actions["planned"] += record_time_bars(
        creditor=creditor, as_of=as_of, holds=plan.time_bars, actor=actor
    )
    if not plan.decisions:
        return
    token = uuid.uuid4().hex
    new_cases = [d for d in plan.decisions if d.case_id is None]
    if new_cases:
        instances_insert(
            [
                Case(
                    creditor=creditor,
                    debtor_id=d.debtor_id,
                    scenario_id=d.scenario_id,
                    cycle=d.cycle,
                    status=Case.Status.ACTIVE,
                    opened_on=as_of,
                )
                for d in new_cases
            ],
            ignore_conflicts=True,
        )
    case_ids = dict(open_cases(creditor).values_list("debtor_id", "pk")) if new_cases else {}
    opened = [(case_ids[d.debtor_id], d) for d in new_cases if d.debtor_id in case_ids]
    rows: list[Action] = []
    superseded: list[int] = []
    planned_days: dict[str, date] = {}  # per channel: today, or a call's next business day
    unreachable = email_fallbacks(
        [d.debtor_id for d in plan.decisions if d.step.channel == Step.Channel.EMAIL]
    )
    for d in plan.decisions:
        found = d.case_id or case_ids.get(d.debtor_id)
        if found is None:  # a concurrent pass opened it in another cycle; it decides for it
            continue
        case_id: int = found
        if d.case_id:
            superseded.append(case_id)

        def action(
            step: engine.Step,
            day: date,
            state: str,
            reason: str = "",
            *,
            d: Decision = d,
            case_id: int = case_id,
        ) -> Action:
            return Action(
                creditor=creditor,
                debtor_id=d.debtor_id,
                case_id=case_id,
                step_key=step.key,
                channel=step.channel,
                template=step.template,
                planned_date=day,
                state=state,
                requires_approval=step.requires_approval,
                reason=reason,
                run_token=token,
                idempotency_key=idempotency_key(
                    creditor_id=creditor.pk,
                    debtor_id=d.debtor_id,
                    scenario_id=d.scenario_id,
                    step_key=step.key,
                    cycle=d.cycle,
                ),
            )

        for step, day in d.passed_over:
            rows.append(action(step, day, Action.State.SKIPPED, CHASE_STARTED))
        if d.step.channel not in planned_days:
            planned_days[d.step.channel] = policy.planned_day(channel=d.step.channel, day=as_of)
        planned = action(d.step, planned_days[d.step.channel], Action.State.PLANNED)
        if d.step.channel == Step.Channel.EMAIL and d.debtor_id in unreachable:
            planned.channel, planned.reason = unreachable[d.debtor_id]
        rows.append(planned)
    # Work left undone from an earlier step (a call nobody made) gives way to the new step. A
    # letter never does: unprinted, it holds its case (``policy.blocks_case``) until a person
    # prints it or skips it, so it is never dropped unseen.
    cancelled = []
    for part in chunks(superseded):
        cancelled += list(
            Action.objects.filter(case_id__in=part, state__in=PENDING_ACTION_STATES)
            .exclude(channel__in=(Step.Channel.EMAIL, *policy.LETTERS))
            .values_list("pk", "step_key")
        )
    Action.objects.filter(pk__in=[p for p, _ in cancelled]).update(
        state=Action.State.CANCELLED, reason="superseded"
    )
    instances_insert(rows, ignore_conflicts=True)
    created = list(
        Action.objects.filter(run_token=token).values_list(
            "pk", "case_id", "step_key", "channel", "state", "requires_approval"
        )
    )
    by_step: dict[str, list[int]] = defaultdict(list)
    events = rows_events(
        "case.opened",
        "case",
        [(pk, creditor.pk, {"debtor": d.debtor_id, "scenario": d.scenario_id}) for pk, d in opened],
        actor,
    )
    events += rows_events(
        "action.cancelled",
        "action",
        [(p, creditor.pk, {"step": k, "reason": "superseded"}) for p, k in cancelled],
        actor,
    )
    for pk, case_id, step_key, channel, state, needs_approval in created:
        if state == Action.State.SKIPPED:
            result.actions["skipped"] += 1
            events.append(
                EventInput(
                    "action.skipped",
                    "action",
                    pk,
                    creditor.pk,
                    {"case": case_id, "step": step_key, "reason": CHASE_STARTED},
                    actor,
                )
            )
            continue
        result.actions["awaiting_approval" if needs_approval else "planned"] += 1
        result.by_channel[channel] += 1
        by_step[step_key].append(case_id)
        events.append(
            EventInput(
                "action.planned",
                "action",
                pk,
                creditor.pk,
                {
                    "case": case_id,
                    "step": step_key,
                    "channel": channel,
                    "awaiting_approval": needs_approval,
                },
                actor,
            )
        )
    for step_key, ids in by_step.items():
        for part in chunks(ids):
            Case.objects.filter(pk__in=part).update(current_step=step_key)
    result.cases["opened"] += len(opened)
    result.actions["cancelled"] += len(cancelled)
    events_record(events=events)
