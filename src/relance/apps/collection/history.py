"""What was done with a debtor outside Relance: declared contacts, and where they put the chase.

A creditor who starts with Relance has often chased its old debts already, by hand. It says so
per debtor (``contact_declare``, from ``relance case history add`` or the ledger file's
``last_contact_step`` / ``last_contact_date`` columns), and the pass resumes the chase at the
step after the latest one declared, at its interval from the declared date, instead of starting
over with the first reminder. A declared contact is a fact, audited; it is never sent, and a
letter lists it among the earlier attempts.

``declared_for_pass`` reads, per debtor, the latest declared contact of the debtor's current
cycle (declared after its last closed case), for the pass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models import Max

from relance.apps.audit.services import event_record
from relance.apps.collection.models import (
    OPEN_CASE_STATUSES,
    Case,
    DeclaredContact,
    Scenario,
    Step,
)
from relance.apps.collection.scenarios import scenario_id_for, scenarios_load_defaults
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.domain.errors import InvalidInputError
from relance.domain.ledger import LastContact
from relance.domain.problems import N_, Problem


@dataclass(frozen=True)
class Declared:
    """The latest contact declared for a debtor's current cycle."""

    step_key: str
    contact_date: date
    channel: str


def debtor_scenario(*, debtor: Debtor) -> Scenario | None:
    """The scenario that chases ``debtor``: its open case's, the one assigned, or its kind's default."""
    if not Scenario.objects.exists():  # declared before the first pass installed them
        scenarios_load_defaults()
    case = Case.objects.filter(debtor=debtor, status__in=OPEN_CASE_STATUSES).first()
    scenario_id = scenario_id_for(debtor=debtor, case=case)
    return Scenario.objects.filter(pk=scenario_id).first() if scenario_id else None


def contact_declare(
    *,
    creditor: Creditor,
    debtor: Debtor,
    step_key: str,
    contact_date: date,
    today: date,
    channel: str | None = None,
    note: str = "",
    source: str = DeclaredContact.Source.CLI,
    actor: str = "system",
) -> DeclaredContact:
    """Record that ``step_key`` was done with ``debtor`` on ``contact_date``, outside Relance.

    The step must be one of the scenario that chases the debtor (so the pass knows where to
    resume); the date may not be after ``today``. Declaring the same step on the same day
    twice changes nothing.
    """
    if debtor.creditor_id != creditor.pk:
        raise InvalidInputError(N_("no such debtor"))
    if contact_date > today:
        raise InvalidInputError(
            N_("the contact date %(date)s is in the future"), params={"date": contact_date}
        )
    scenario = debtor_scenario(debtor=debtor)
    steps = {s.key: s for s in scenario.steps.all()} if scenario else {}
    step = steps.get(step_key)
    if step is None:
        raise InvalidInputError(
            N_("step %(step)r is not a step of the scenario for %(account)s: one of %(steps)s"),
            params={"step": step_key, "account": debtor.account, "steps": ", ".join(steps) or "-"},
        )
    channel = channel or step.channel
    if channel not in Step.Channel.values:
        raise InvalidInputError(
            N_("channel %(channel)r is not one of %(channels)s"),
            params={"channel": channel, "channels": ", ".join(Step.Channel.values)},
        )
    existing = DeclaredContact.objects.filter(
        debtor=debtor, step_key=step_key, contact_date=contact_date
    ).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            row = DeclaredContact.objects.create(
                creditor=creditor,
                debtor=debtor,
                step_key=step_key,
                contact_date=contact_date,
                channel=channel,
                note=note[:300],
                source=source,
                declared_by=actor[:100],
            )
            event_record(
                kind="contact.declared",
                subject_type="debtor",
                subject_id=debtor.pk,
                creditor_id=creditor.pk,
                payload={
                    "step": step_key,
                    "date": contact_date,
                    "channel": channel,
                    "note": row.note,
                    "source": source,
                },
                actor=actor,
            )
    except IntegrityError:  # declared at the same moment by another process
        return DeclaredContact.objects.get(
            debtor=debtor, step_key=step_key, contact_date=contact_date
        )
    return row


def contacts_declare_from_ledger(
    *, creditor: Creditor, contacts: Mapping[str, LastContact], today: date, actor: str
) -> list[Problem]:
    """Declare the last contacts a ledger file gives (the ledger's ``contacts_read`` hook, in
    the import's transaction): each one as ``contact_declare`` would, or its problem, with the
    file's line and column, so the import refuses the whole file."""
    debtors = {
        d.account: d
        for d in Debtor.objects.filter(creditor=creditor, account__in=list(contacts))
    }
    problems: list[Problem] = []
    for account, contact in sorted(contacts.items(), key=lambda item: item[1].line):
        try:
            contact_declare(
                creditor=creditor,
                debtor=debtors[account],
                step_key=contact.step,
                contact_date=contact.day,
                today=today,
                source=DeclaredContact.Source.LEDGER,
                actor=actor,
            )
        except InvalidInputError as exc:
            problems.append(Problem.from_error("bad_history", exc, contact.line, contact.column))
    return problems


def declared_for_pass(
    *, creditor: Creditor, as_of: date, debtor_ids: Iterable[int] | None = None
) -> dict[int, Declared]:
    """Per debtor, the latest contact declared on or before ``as_of`` for its current cycle.

    A contact declared before the debtor's last case was closed belonged to that chase: the
    next one starts afresh.
    """
    closed = dict(
        Case.objects.filter(creditor=creditor, closed_on__isnull=False)
        .values("debtor_id")
        .annotate(last=Max("closed_on"))
        .values_list("debtor_id", "last")
    )
    rows = DeclaredContact.objects.filter(creditor=creditor, contact_date__lte=as_of)
    if debtor_ids is not None:
        rows = rows.filter(debtor_id__in=list(debtor_ids))
    latest: dict[int, Declared] = {}
    for debtor_id, step_key, day, channel in rows.order_by("contact_date", "id").values_list(
        "debtor_id", "step_key", "contact_date", "channel"
    ):
        if debtor_id in closed and day <= closed[debtor_id]:
            continue
        latest[debtor_id] = Declared(step_key, day, channel)
    return latest
