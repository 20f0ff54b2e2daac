"""Time limits watched: each open claim's last day to act, from the ledger and what was recorded.

``claim_limits`` gives each open invoice of a creditor its ``Limit``: the law engine's
``prescription`` (``relance.domain.law``) run from the due date with the kind of claim the
parties make (a public body: the loi 68-1250's four years; a consumer: two years, C. conso.
L218-2; a creditor who is a private individual: five, C. civ. 2224; otherwise five, C. com.
L110-4) and the events that interrupt or suspend it:

- the debtor's partial payments (an acknowledgement, C. civ. 2240), from the bank or recorded by
  hand; a settlement read from the accounting export is left out, its date being the import's;
- the payment plans the debtor agreed (an acknowledgement), on the day they were recorded;
- the events recorded with ``relance prescription record`` (``LimitationEvent``): an
  acknowledgement, a claim in court, an act of enforcement, a mediation or conciliation;
- for a public body, the registered letters sent to it (a written claim, loi 68-1250 art. 2).

Under two years nothing can have run out (the shortest period, and events only push it back),
so only older invoices are computed: the pass reads this every day. Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from relance.apps.collection.models import Action, PaymentPlan, Step
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Invoice
from relance.apps.legal.models import LimitationEvent
from relance.apps.legal.selectors import claim_kind
from relance.domain.errors import RelanceError
from relance.domain.law import PrescriptionResult, prescription
from relance.domain.law.dates import add_years

# Within this many days of its last day, a claim is shown on the worklist and the dashboard.
WATCH_DAYS = 90
SHORTEST_YEARS = 2  # C. conso. L218-2; every other period is longer


@dataclass(frozen=True, slots=True)
class Limit:
    """One open invoice's last day to act (``expires``), and how it was reached."""

    invoice_id: int
    debtor_id: int
    number: str
    expires: date
    result: PrescriptionResult | None = None
    problem: str = ""  # an event the engine refused: the date is not known, a person must look
    debtor_name: str = ""

    def is_expired(self, as_of: date) -> bool:
        return not self.problem and as_of > self.expires

    def days_left(self, as_of: date) -> int:
        return (self.expires - as_of).days


def claim_limits(
    *,
    creditor: Creditor,
    as_of: date,
    within_days: int = 0,
    debtor_ids: list[int] | None = None,
    invoice_ids: list[int] | None = None,
) -> dict[int, Limit]:
    """Per open invoice (by id), its ``Limit``: those that may have run out by ``as_of`` plus
    ``within_days`` (older than two years by then), or exactly ``invoice_ids`` when given."""
    invoices = Invoice.objects.filter(
        creditor=creditor, status=Invoice.Status.OPEN, open_amount__gt=0
    )
    if invoice_ids is not None:
        invoices = invoices.filter(pk__in=invoice_ids)
    else:
        horizon = as_of + timedelta(days=within_days)
        invoices = invoices.filter(due_date__lt=add_years(horizon, -SHORTEST_YEARS))
    if debtor_ids is not None:
        invoices = invoices.filter(debtor_id__in=debtor_ids)
    rows = list(
        invoices.values("pk", "debtor_id", "number", "due_date", "debtor__kind", "debtor__name")
    )
    if not rows:
        return {}
    ids = [row["pk"] for row in rows]
    debtors = {row["debtor_id"] for row in rows}
    events = _events(creditor=creditor, invoice_ids=ids, debtor_ids=debtors, as_of=as_of)
    out: dict[int, Limit] = {}
    for row in rows:
        kind = claim_kind(debtor_kind=row["debtor__kind"], creditor_kind=creditor.kind)
        start = row["due_date"]
        mine = [
            event
            for event in (*events["invoice"].get(row["pk"], ()), *events["debtor"].get(row["debtor_id"], ()))
            if event[0] >= start and (kind == "public" or event[1] != "written_claim")
        ]
        try:
            result = prescription(kind, start, mine)
        except RelanceError as exc:
            out[row["pk"]] = Limit(row["pk"], row["debtor_id"], row["number"], start, None,
                                   str(exc), row["debtor__name"])
            continue
        out[row["pk"]] = Limit(row["pk"], row["debtor_id"], row["number"], result.expires, result,
                               "", row["debtor__name"])
    return out


def _events(
    *, creditor: Creditor, invoice_ids: list[int], debtor_ids: set[int], as_of: date
) -> dict[str, dict[int, list[tuple[date, str, date | None]]]]:
    """The events known up to ``as_of``, by invoice and by debtor (those on all its claims)."""
    by_invoice: dict[int, list[tuple[date, str, date | None]]] = defaultdict(list)
    by_debtor: dict[int, list[tuple[date, str, date | None]]] = defaultdict(list)
    for invoice_id, day in (
        Allocation.objects.filter(
            invoice_id__in=invoice_ids, amount__gt=0, payment__value_date__lte=as_of
        )
        .exclude(payment__origin="ledger")
        .values_list("invoice_id", "payment__value_date")
        .distinct()
    ):
        by_invoice[invoice_id].append((day, "acknowledgement", None))
    for debtor_id, created in PaymentPlan.objects.filter(
        creditor=creditor, debtor_id__in=debtor_ids
    ).values_list("debtor_id", "created_at"):
        day = timezone.localdate(created)
        if day <= as_of:
            by_debtor[debtor_id].append((day, "acknowledgement", None))
    for row in LimitationEvent.objects.filter(
        creditor=creditor, debtor_id__in=debtor_ids, date__lte=as_of
    ).filter(Q(invoice_id__in=invoice_ids) | Q(invoice__isnull=True)).values(
        "debtor_id", "invoice_id", "kind", "date", "end_date"
    ):
        end = row["end_date"] if row["end_date"] and row["end_date"] <= as_of else None
        event = (row["date"], row["kind"], end)
        if row["invoice_id"] is None:
            by_debtor[row["debtor_id"]].append(event)
        else:
            by_invoice[row["invoice_id"]].append(event)
    for debtor_id, sent in Action.objects.filter(
        creditor=creditor,
        debtor_id__in=debtor_ids,
        debtor__kind="public",
        channel=Step.Channel.REGISTERED_LETTER,
        state=Action.State.SENT,
        sent_at__isnull=False,
    ).values_list("debtor_id", "sent_at"):
        day = timezone.localdate(sent)
        if day <= as_of:
            by_debtor[debtor_id].append((day, "written_claim", None))
    return {"invoice": by_invoice, "debtor": by_debtor}


def time_barred(*, creditor: Creditor, as_of: date) -> dict[int, list[Limit]]:
    """Per debtor, its open invoices past their last day to act (or whose date is unknown
    because a recorded event was refused): a letter threatening court must not go out."""
    barred: dict[int, list[Limit]] = defaultdict(list)
    for limit in claim_limits(creditor=creditor, as_of=as_of).values():
        if limit.problem or limit.is_expired(as_of):
            barred[limit.debtor_id].append(limit)
    return dict(barred)


def nearing_limits(*, creditor: Creditor, as_of: date, days: int = WATCH_DAYS) -> list[Limit]:
    """Open invoices whose last day to act falls within ``days`` (or has passed), soonest first."""
    limits = claim_limits(creditor=creditor, as_of=as_of, within_days=days).values()
    return sorted(
        (lim for lim in limits if lim.problem or lim.days_left(as_of) <= days),
        key=lambda lim: (lim.expires, lim.number),
    )


def limit_json(limit: Limit | None, as_of: date) -> dict[str, Any] | None:
    """A limit for the API: the last day, whether it has passed, and the events counted."""
    if limit is None:
        return None
    if limit.result is None:
        return {"last_day": None, "expired": None, "problem": limit.problem}
    return {
        "last_day": None if limit.expires == date.max else limit.expires.isoformat(),
        "expired": limit.is_expired(as_of),
        "kind": limit.result.kind,
        "basis": limit.result.basis,
        "events": [event.as_json() for event in limit.result.restarted_by],
        "notes": list(limit.result.notes),
    }


# --- the daily pass's hold ------------------------------------------------------------------

TIME_BARRED_TASK = "time_barred"


@dataclass(frozen=True, slots=True)
class TimeBarHold:
    """A step the pass held because a claim it would list is past its time limit."""

    debtor_id: int
    case_id: int | None  # None: the case is opened for the task
    scenario_id: int
    cycle: int
    step_key: str
    key: str  # the step's idempotency key; the task's is this plus ":time_barred"
    limits: tuple[Limit, ...]


def court_templates(*, creditor: Creditor) -> frozenset[str]:
    """The step names whose text, in this creditor's own templates, threatens court action."""
    from relance.documents.templates import creditor_sources
    from relance.domain.policy import mentions_court

    return frozenset(
        name.split("/")[-1].split(".")[0]
        for name, source in creditor_sources(str(creditor.pk))
        if mentions_court(source)
    )


def time_bar_note(limits: tuple[Limit, ...]) -> str:
    """Why the step was held, in French, for the task a person reads."""
    parts = []
    for limit in limits:
        if limit.problem:
            parts.append(f"{limit.number} : délai inconnu ({limit.problem})")
        else:
            parts.append(f"{limit.number} : dernier jour pour agir le {limit.expires:%d/%m/%Y}")
    return (
        "Créance prescrite ou délai inconnu — aucune lettre menaçant d'une action en justice "
        "n'est envoyée. " + " ; ".join(parts) + ". Vérifiez les interruptions (paiement, "
        "reconnaissance, demande en justice) et enregistrez-les avec relance prescription record, "
        "ou classez la créance."
    )


def record_time_bars(
    *, creditor: Creditor, as_of: date, holds: list[TimeBarHold], actor: str
) -> int:
    """Plan one task per held step, once (its idempotency key); returns how many were new."""
    from relance.apps.audit.services import events_record
    from relance.apps.collection.bulk import rows_events

    if not holds:
        return 0
    opened = _open_cases(creditor=creditor, as_of=as_of, holds=holds)
    tasks = [
        Action(
            creditor=creditor,
            debtor_id=hold.debtor_id,
            case_id=hold.case_id or opened[hold.debtor_id],
            step_key=TIME_BARRED_TASK,
            channel=Step.Channel.TASK,
            template=TIME_BARRED_TASK,
            planned_date=as_of,
            state=Action.State.PLANNED,
            reason=time_bar_note(hold.limits)[:200],
            idempotency_key=f"{hold.key}:{TIME_BARRED_TASK}",
            outcome={
                "held_step": hold.step_key,
                "note": time_bar_note(hold.limits),
                "invoices": [
                    {"number": lim.number, "last_day": lim.expires.isoformat(), "problem": lim.problem}
                    for lim in hold.limits
                ],
            },
        )
        for hold in holds
        if hold.case_id or hold.debtor_id in opened
    ]
    if not tasks:
        return 0
    keys = [task.idempotency_key for task in tasks]
    known = set(Action.objects.filter(idempotency_key__in=keys).values_list("idempotency_key", flat=True))
    fresh = [task for task in tasks if task.idempotency_key not in known]
    Action.objects.bulk_create(fresh, ignore_conflicts=True)
    created = Action.objects.filter(
        idempotency_key__in=[task.idempotency_key for task in fresh]
    ).values_list("pk", "case_id", "outcome")
    events_record(
        events=rows_events(
            "action.planned",
            "action",
            [
                (pk, creditor.pk, {"case": case_id, "step": TIME_BARRED_TASK,
                                   "held_step": outcome.get("held_step")})
                for pk, case_id, outcome in created
            ],
            actor,
        )
    )
    return len(fresh)


def _open_cases(*, creditor: Creditor, as_of: date, holds: list[TimeBarHold]) -> dict[int, int]:
    """The open case of each held debtor that had none, opened now for its task."""
    from relance.apps.collection.models import OPEN_CASE_STATUSES, Case

    new = [hold for hold in holds if hold.case_id is None]
    if not new:
        return {}
    Case.objects.bulk_create(
        [
            Case(creditor=creditor, debtor_id=hold.debtor_id, scenario_id=hold.scenario_id,
                 cycle=hold.cycle, status=Case.Status.ACTIVE, opened_on=as_of)
            for hold in new
        ],
        ignore_conflicts=True,
    )
    return dict(
        Case.objects.filter(
            creditor=creditor, debtor_id__in=[hold.debtor_id for hold in new],
            status__in=OPEN_CASE_STATUSES,
        ).values_list("debtor_id", "pk")
    )


def limit_rows(limits: list[Limit], as_of: date) -> list[dict[str, Any]]:
    """The limits as the pages list them: days left, past or not, or the problem."""
    return [
        {
            "invoice_id": lim.invoice_id,
            "debtor_id": lim.debtor_id,
            "debtor_name": lim.debtor_name,
            "number": lim.number,
            "last_day": None if lim.problem else lim.expires,
            "days_left": None if lim.problem else lim.days_left(as_of),
            "expired": lim.is_expired(as_of),
            "problem": lim.problem,
        }
        for lim in limits
    ]
