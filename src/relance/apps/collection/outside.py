"""The first morning's question: what was already done, outside Relance, for the old debts.

A creditor who starts with Relance has chased some debts by hand. The onboarding page asks it
once, for every debtor with overdue invoices that Relance has never chased and for which
nothing was declared yet: nothing (the default: the chase starts with the first reminder), a
reminder e-mail, a letter, or a mise en demeure, each with its date. An answer other than
nothing is recorded as ``relance case history add`` records it (``history.contact_declare``,
source ``workspace``), so the pass resumes the chase after that step; the answer as a whole is
an audit event (``onboarding.history_answered``), which is how the page knows it was asked.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Exists, Min, OuterRef, Sum

from relance.apps.audit.models import Event
from relance.apps.audit.services import event_record
from relance.apps.collection.history import contact_declare, debtor_scenario
from relance.apps.collection.models import Case, DeclaredContact
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.domain.errors import InvalidInputError
from relance.domain.problems import N_

ANSWERS = ("nothing", "email", "letter", "formal_notice")
ANSWERED = "onboarding.history_answered"


@dataclass(frozen=True)
class OldDebt:
    debtor: Debtor
    overdue_amount: Decimal
    oldest_due: date


def old_debts(*, creditor: Creditor, as_of: date, limit: int = 200) -> tuple[list[OldDebt], int]:
    """Debtors with overdue invoices, never chased by Relance, nothing declared: oldest first
    (at most ``limit``), and how many there are in all."""
    qs = (
        Invoice.objects.filter(
            creditor=creditor, status=Invoice.Status.OPEN, kind=Invoice.Kind.INVOICE,
            open_amount__gt=0, due_date__lt=as_of,
        )
        .filter(~Exists(Case.objects.filter(debtor_id=OuterRef("debtor_id"))))
        .filter(~Exists(DeclaredContact.objects.filter(debtor_id=OuterRef("debtor_id"))))
        .values("debtor_id")
        .annotate(total=Sum("open_amount"), oldest=Min("due_date"))
        .order_by("oldest", "debtor_id")
    )
    count = qs.count()
    rows = list(qs[:limit])
    debtors = Debtor.objects.in_bulk([r["debtor_id"] for r in rows])
    return [OldDebt(debtors[r["debtor_id"]], r["total"], r["oldest"]) for r in rows], count


def history_answered(*, creditor: Creditor) -> Event | None:
    """The answer already given, if any (the page asks once)."""
    return (
        Event.objects.filter(subject_type="creditor", subject_id=creditor.pk, kind=ANSWERED)
        .order_by("-id")
        .first()
    )


def outside_step(*, debtor: Debtor, answer: str) -> str | None:
    """The step of the debtor's scenario an answer stands for: the first reminder e-mail after
    the due date, the first letter, the mise en demeure."""
    scenario = debtor_scenario(debtor=debtor)
    if scenario is None or answer == "nothing":
        return None
    steps = list(scenario.steps.order_by("position", "offset_days"))
    for step in steps:
        if answer == "email" and step.channel == "email" and step.offset_days >= 0:
            return str(step.key)
        if answer == "letter" and step.channel == "letter":
            return str(step.key)
        if answer == "formal_notice" and (
            step.key == "formal_notice" or step.channel == "registered_letter"
        ):
            return str(step.key)
    return None


def history_answer(
    *,
    creditor: Creditor,
    answers: Mapping[int, tuple[str, date | None]],
    as_of: date,
    actor: str,
) -> dict[str, int]:
    """Record what was done outside Relance for each debtor of ``answers`` (debtor id →
    (answer, date)); all or nothing. Returns how many debtors got each answer."""
    from django.db import transaction

    debtors = Debtor.objects.in_bulk(list(answers))
    planned: list[tuple[Debtor, str, date]] = []
    counts = dict.fromkeys(ANSWERS, 0)
    for debtor_id, (answer, day) in answers.items():
        debtor = debtors.get(debtor_id)
        if debtor is None or debtor.creditor_id != creditor.pk:
            raise InvalidInputError(N_("no such debtor"))
        if answer not in ANSWERS:
            raise InvalidInputError(N_("unknown answer %(value)r"), params={"value": answer})
        counts[answer] += 1
        if answer == "nothing":
            continue
        if day is None:
            raise InvalidInputError(
                N_("%(name)s: say on which day it was done"), params={"name": debtor.name}
            )
        step = outside_step(debtor=debtor, answer=answer)
        if step is None:
            raise InvalidInputError(
                N_("%(name)s: its scenario has no such step"), params={"name": debtor.name}
            )
        planned.append((debtor, step, day))
    with transaction.atomic():
        for debtor, step, day in planned:
            contact_declare(
                creditor=creditor, debtor=debtor, step_key=step, contact_date=day, today=as_of,
                source=DeclaredContact.Source.WORKSPACE, actor=actor,
                note="declared on the onboarding page",
            )
        event_record(
            kind=ANSWERED, subject_type="creditor", subject_id=creditor.pk,
            creditor_id=creditor.pk, actor=actor, payload={"as_of": as_of, "counts": counts},
        )
    return counts
