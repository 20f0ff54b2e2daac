"""The legal stage of a case: moving it there with its route, its key dates, its reminders.

``case_legal`` moves the debtor's open case to ``legal`` with its route (``relance case
legal``, ``POST /api/cases/legal``, the debtor page): every message still pending for the case
is cancelled in the same transaction, and from then on nothing goes to the debtor
(``policy.is_silent``; the pass holds the case as ``legal_stage``); a payment that settles what
was chased still closes it. ``legal_date_record`` records a key date (``relance case
legal-date``); a date the law makes a claim in court (``procedure.limitation_interruption``)
also records the interruption of the time limit (``legal.services.limitation_record``).
``legal_reminders_due`` gives the worklist what the recorded dates call for on a day.

Each change is an audit event on the debtor (``legal.stage_entered``, ``legal.date_recorded``),
so the debtor's timeline shows it. The ``filed`` date cites the SHA-256 of the dossier built for
the stage's route and reference (``legal.dossier_built``), the proof of what was filed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction

from relance.apps.audit.models import Event
from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection.bulk import ZERO, open_totals
from relance.apps.collection.contexts import case_reference
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    PENDING_ACTION_STATES,
    Action,
    Case,
    LegalStage,
    Promise,
)
from relance.apps.collection.pauses import case_for
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.selectors import debtor_get
from relance.domain import policy
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law import procedure
from relance.domain.problems import N_

# The model's field for each key date.
DATE_FIELDS = {key: f"{key}_date" for key in procedure.KEY_DATES}
LEGAL_STAGE_REASON = "legal stage"


def stage_dates(stage: LegalStage) -> dict[str, date]:
    """The key dates recorded on ``stage``, by key."""
    found: dict[str, date] = {}
    for key, field in DATE_FIELDS.items():
        value = getattr(stage, field)
        if value is not None:
            found[key] = value
    return found


def case_legal(
    *,
    creditor: Creditor,
    account: str,
    route: str,
    as_of: date,
    reference: str = "",
    actor: str = "system",
) -> LegalStage:
    """Move the debtor's case to the legal stage by ``route``; cancel what it still had to send.

    Refused, with the reason: an unknown route, a debtor who owes nothing, a case already in
    the legal stage, a case on a payment plan or waiting on a promise (end it first: the
    debtor keeps an agreement there).
    """
    if route not in procedure.ROUTES:
        raise InvalidInputError(
            N_("Unknown route %(route)s: one of %(routes)s."),
            params={"route": route, "routes": ", ".join(procedure.ROUTES)},
        )
    reference = reference.strip()
    if len(reference) > 100:
        raise InvalidInputError(N_("A reference is at most 100 characters."), params={})
    debtor = debtor_get(creditor=creditor, account=account)
    with transaction.atomic():
        if open_totals([debtor.pk]).get(debtor.pk, ZERO) <= 0:
            raise InvalidInputError(
                N_("%(account)s owes nothing: there is no claim to take to the legal stage."),
                params={"account": account},
            )
        current = Case.objects.select_for_update().filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
        case = current if current is not None else case_for(debtor=debtor, as_of=as_of)
        if case.status == Case.Status.LEGAL:
            raise InvalidInputError(
                N_("The case of %(account)s is already in the legal stage."), params={"account": account}
            )
        if case.status == Case.Status.PLAN:
            raise InvalidInputError(
                N_("%(account)s is on a payment plan: end the plan before the legal stage."),
                params={"account": account},
            )
        if Promise.objects.filter(case=case, status=Promise.Status.OPEN).exists():
            raise InvalidInputError(
                N_("%(account)s has an open promise to pay: wait for its date before the legal stage."),
                params={"account": account},
            )
        reference = reference or case_reference(case=case, debtor=debtor, as_of=as_of)
        if LegalStage.objects.filter(creditor=creditor, reference=reference).exists():
            raise InvalidInputError(
                N_("The reference %(reference)s is already another case's."), params={"reference": reference}
            )
        pending = list(
            Action.objects.select_for_update()
            .filter(case=case, state__in=PENDING_ACTION_STATES)
            .values_list("pk", "step_key")
        )
        Action.objects.filter(pk__in=[pk for pk, _ in pending]).update(
            state=Action.State.CANCELLED, reason=LEGAL_STAGE_REASON
        )
        case.status, case.paused_until, case.pause_reason = policy.LEGAL, None, f"legal: {route}"
        case.save(update_fields=["status", "paused_until", "pause_reason", "updated_at"])
        stage = LegalStage.objects.create(
            case=case, creditor=creditor, route=route, entered_on=as_of, reference=reference
        )
        events_record(
            events=[
                EventInput(
                    "legal.stage_entered", "debtor", debtor.pk, creditor.pk,
                    {"case": case.pk, "route": route, "reference": reference, "date": as_of,
                     "cancelled": [pk for pk, _ in pending]},
                    actor,
                ),
                *(
                    EventInput("action.cancelled", "action", pk, creditor.pk,
                               {"step": step, "reason": LEGAL_STAGE_REASON}, actor)
                    for pk, step in pending
                ),
            ]
        )
    return stage


def legal_stage_get(*, creditor: Creditor, account: str) -> LegalStage:
    """The debtor's case in the legal stage; ``NotFoundError`` when it has none."""
    debtor = debtor_get(creditor=creditor, account=account)
    stage = (
        LegalStage.objects.filter(creditor=creditor, case__debtor=debtor, case__status=Case.Status.LEGAL)
        .select_related("case", "case__debtor")
        .first()
    )
    if stage is None:
        raise NotFoundError(
            N_("The case of %(account)s is not in the legal stage."), params={"account": account}
        )
    return stage


def legal_date_record(
    *, creditor: Creditor, account: str, key: str, day: date, as_of: date, actor: str = "system"
) -> LegalStage:
    """Record a key date of the debtor's legal stage (checked by ``procedure.key_date_check``).

    The same date again changes nothing; another date for a key already recorded is refused.
    A date that interrupts the time limit records that interruption in the same transaction.
    """
    from relance.apps.legal.services import limitation_record

    stage = legal_stage_get(creditor=creditor, account=account)
    dates = stage_dates(stage)
    if key in dates:
        if dates[key] == day:
            return stage
        raise InvalidInputError(
            N_("%(key)s is already recorded on %(day)s."),
            params={"key": procedure.key_word(key), "day": dates[key].isoformat()},
        )
    procedure.key_date_check(stage.route, key, day, dates, as_of)
    basis = procedure.limitation_interruption(stage.route, key)
    dossier = _dossier_filed(stage, day) if key == "filed" else None
    with transaction.atomic():
        setattr(stage, DATE_FIELDS[key], day)
        stage.save(update_fields=[DATE_FIELDS[key], "updated_at"])
        events_record(
            events=[
                EventInput(
                    "legal.date_recorded", "debtor", stage.case.debtor_id, creditor.pk,
                    {"case": stage.case_id, "route": stage.route, "reference": stage.reference,
                     "key": key, "date": day, "interrupts": basis or None,
                     **({"dossier_sha256": dossier["sha256"], "dossier_document": dossier["document"]}
                        if dossier else {})},
                    actor,
                )
            ]
        )
        if basis is not None:
            limitation_record(
                creditor=creditor, account=account, kind="claim", day=day, actor=actor,
                proof=f"{stage.route} {stage.reference}, {key} {day.isoformat()} — {basis}"[:300],
            )
    return stage


def _dossier_filed(stage: LegalStage, day: date) -> dict[str, Any] | None:
    """The dossier this stage filed: the last one built for the debtor on the stage's route and
    reference no later than ``day`` (``legal.dossier_built``); None when none was built here."""
    built = Event.objects.filter(
        kind="legal.dossier_built", subject_type="debtor", subject_id=stage.case.debtor_id,
        creditor_id=stage.creditor_id,
    ).order_by("-pk").values_list("payload", flat=True)
    for payload in built:
        if (
            payload.get("route") == stage.route
            and payload.get("reference") == stage.reference
            and str(payload.get("as_of", "")) <= day.isoformat()
        ):
            return dict(payload)
    return None


def legal_stage_of(*, debtor: Any) -> LegalStage | None:
    """The debtor's case in the legal stage, if it has one."""
    return (
        LegalStage.objects.filter(case__debtor=debtor, case__status=Case.Status.LEGAL).select_related("case").first()
    )


@dataclass(frozen=True)
class DueReminder:
    """One reminder of a case in the legal stage, as the worklist lists it."""

    stage: LegalStage
    reminder: procedure.LegalReminder
    is_past: bool

    @property
    def debtor(self) -> Any:
        return self.stage.case.debtor


# The agency or lawyer reported it gave up: a person chooses what comes next.
ABANDONED = "abandoned"


def legal_reminders_due(*, creditor: Creditor, as_of: date) -> list[DueReminder]:
    """What the recorded key dates of the creditor's cases in the legal stage call for on
    ``as_of`` (``procedure.legal_reminders``), and the hand-offs reported abandoned; by day."""
    found: list[DueReminder] = []
    stages = LegalStage.objects.filter(creditor=creditor, case__status=Case.Status.LEGAL).select_related(
        "case", "case__debtor"
    )
    for stage in stages:
        for reminder in procedure.legal_reminders(stage.route, stage_dates(stage), as_of):
            found.append(DueReminder(stage, reminder, reminder.is_past(as_of)))
        if stage.reported_status == ABANDONED and stage.reported_date and stage.reported_date <= as_of:
            found.append(DueReminder(stage, procedure.LegalReminder(ABANDONED, stage.reported_date, None, ""), False))
    return sorted(found, key=lambda due: (due.reminder.day, due.stage.reference))
