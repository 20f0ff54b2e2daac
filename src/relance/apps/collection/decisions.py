"""What the daily pass decided (``Decision``, ``DecisionPlan``) and the cases it holds back on a registered letter.

``collection_decide`` reads each registered letter's delivery (``read_deliveries``) before
asking the engine, and lists the steps to take and the letters a case waits on; ``record_waits``
then says on each letter's action what its case waits for, and plans a ``no_acknowledgement``
task, once, when three weeks pass without news.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from relance.apps.audit.services import events_record
from relance.apps.collection.bulk import chunks, rows_events
from relance.apps.collection.limits import TimeBarHold
from relance.apps.collection.models import (
    PENDING_ACTION_STATES,
    Action,
    Step,
)
from relance.apps.collection.results import RunResult
from relance.apps.creditors.models import Creditor
from relance.domain import scenario as engine
from relance.domain.problems import N_, Problem
from relance.domain.scenario import DEFAULT_DEADLINE_DAYS


@dataclass(frozen=True)
class Decision:
    debtor_id: int
    case_id: int | None
    scenario_id: int
    cycle: int
    step: engine.Step
    day: date
    passed_over: tuple[tuple[engine.Step, date], ...]


@dataclass(frozen=True)
class LetterWait:
    """A case held back by its registered letter (``action_id``), and why."""

    debtor_id: int
    case_id: int
    action_id: int
    waiting: engine.Waiting

    def note(self) -> str:
        """What the credit manager reads on the letter's action (``relance actions list``)."""
        w, d = self.waiting, self.waiting.delivery
        if w.reason == "not_sent":
            return "next step waits: registered letter not printed yet (relance letters batch)"
        if w.reason == "deadline":
            how = (
                f"received {d.received}" if d.received else f"returned unclaimed {d.not_claimed_on}"
            )
            return f"{how}: next step not before {w.until} ({d.deadline_days}-day deadline)"
        note = (
            f"sent {d.sent}, awaiting acknowledgement of receipt: "
            f"relance actions deliver {self.action_id} --tracking N --received DATE | --not-claimed"
        )
        if w.overdue:
            note = f"no acknowledgement recorded {engine.NO_NEWS_DAYS}+ days after sending ({d.sent}): ask La Poste"
        return note


@dataclass
class DecisionPlan:
    decisions: list[Decision] = field(default_factory=list)
    waits: list[LetterWait] = field(default_factory=list)
    time_bars: list[TimeBarHold] = field(default_factory=list)  # steps held: claim time-barred


# A registered letter whose delivery the next step waits on: on its way to the printer, or sent.
LETTER_ON_ITS_WAY = (*PENDING_ACTION_STATES, Action.State.SENDING, Action.State.SENT)


NO_ACKNOWLEDGEMENT = "no_acknowledgement"


def read_deliveries(letters: dict[int, dict[str, tuple[int, engine.Delivery]]]) -> None:
    """Fill in each registered letter's delivery facts: sent, received, returned unclaimed.

    The day it came back unclaimed is ``outcome["not_claimed_on"]`` when recorded, else the
    day the fact was recorded; the deadline is the letter's (``outcome["deadline_days"]``) or
    the documents' default.
    """
    ids = {pk: (case_id, key) for case_id, keys in letters.items() for key, (pk, _) in keys.items()}
    for part in chunks(list(ids)):
        for (
            pk,
            state,
            sent_at,
            planned,
            received,
            not_claimed,
            outcome,
            updated,
        ) in Action.objects.filter(pk__in=part).values_list(
            "pk",
            "state",
            "sent_at",
            "planned_date",
            "received_date",
            "not_claimed",
            "outcome",
            "updated_at",
        ):
            if state != Action.State.SENT:
                continue  # not printed yet: Delivery(sent=None)
            outcome = outcome or {}
            returned = None
            if not_claimed:
                raw = outcome.get("not_claimed_on")
                returned = date.fromisoformat(raw) if raw else timezone.localdate(updated)
            deadline = outcome.get("deadline_days")
            case_id, key = ids[pk]
            letters[case_id][key] = (
                pk,
                engine.Delivery(
                    sent=timezone.localdate(sent_at) if sent_at else planned,
                    received=received,
                    not_claimed_on=returned,
                    deadline_days=int(deadline) if deadline else DEFAULT_DEADLINE_DAYS,
                ),
            )


def record_waits(
    *, creditor: Creditor, as_of: date, plan: DecisionPlan, result: RunResult, actor: str
) -> None:
    """Say on each held letter's action what the case waits for; raise the letters with no news.

    A letter with no acknowledgement ``NO_NEWS_DAYS`` after sending is a problem in the run's
    summary every day until it is recorded, and a task on the worklist once (its idempotency
    key is the letter's plus ``:no_acknowledgement``).
    """
    if not plan.waits:
        return
    letters = {
        a.pk: a
        for part in chunks([w.action_id for w in plan.waits])
        for a in Action.objects.filter(pk__in=part).select_related("debtor")
    }
    tasks: list[Action] = []
    for w in plan.waits:
        letter = letters[w.action_id]
        note = w.note()[:200]
        if letter.reason != note:
            Action.objects.filter(pk=letter.pk).update(reason=note)
        if not w.waiting.overdue:
            continue
        result.problems.append(
            Problem.of(
                NO_ACKNOWLEDGEMENT,
                N_(
                    "action %(action)s (%(account)s, %(step)s): registered letter sent on "
                    "%(sent)s, no acknowledgement recorded; the next step waits"
                ),
                action=letter.pk,
                account=letter.debtor.account,
                step=letter.step_key,
                sent=w.waiting.delivery.sent,
            )
        )
        tasks.append(
            Action(
                creditor=creditor,
                debtor_id=w.debtor_id,
                case_id=w.case_id,
                step_key=NO_ACKNOWLEDGEMENT,
                channel=Step.Channel.TASK,
                template=NO_ACKNOWLEDGEMENT,
                planned_date=as_of,
                state=Action.State.PLANNED,
                reason=note,
                idempotency_key=f"{letter.idempotency_key}:{NO_ACKNOWLEDGEMENT}",
                outcome={"letter": letter.pk, "tracking": letter.tracking_number},
            )
        )
    if not tasks:
        return
    token = uuid.uuid4().hex
    for task in tasks:
        task.run_token = token
    Action.objects.bulk_create(tasks, ignore_conflicts=True)
    created = list(Action.objects.filter(run_token=token).values_list("pk", "case_id", "outcome"))
    events_record(
        events=rows_events(
            "action.planned",
            "action",
            [
                (
                    pk,
                    creditor.pk,
                    {
                        "case": case_id,
                        "step": NO_ACKNOWLEDGEMENT,
                        "channel": "task",
                        "letter": o.get("letter"),
                    },
                )
                for pk, case_id, o in created
            ],
            actor,
        )
    )
    result.actions["planned"] += len(created)
    result.by_channel["task"] += len(created)
