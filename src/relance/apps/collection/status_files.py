"""Taking in the status file an agency or a lawyer sends back (``relance case status-import``).

Each line names a case in the legal stage by its hand-off reference and says what became of it
(``formats.handoff_status``). The file is taken whole or refused whole, every problem with its
line and reason: a line that does not parse, a reference no case in the legal stage has, a date
after today, a line already taken in (same case, status, amount and date), a ``paid`` whose
amount is not what the debtor still owes, a ``partly_paid`` that would settle it all or more.

Taken in, a ``paid`` or ``partly_paid`` line becomes a ledger payment dated the day the agency
or lawyer received it, allocated to the debtor's open invoices oldest first (a ``paid`` leaves
nothing open, and the next pass closes the case); ``plan`` and ``abandoned`` are recorded on the
case's legal stage (``abandoned`` comes on the worklist for a person to choose what is next).
Every line is an audit event on the debtor (``legal.status_reported``).
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.banking.match_writing import invoice_open_amounts, invoices_write
from relance.apps.collection.bulk import ZERO, open_totals
from relance.apps.collection.models import Case, LegalStage, StatusReport
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Allocation, Invoice, Payment
from relance.domain.problems import N_, Problem
from relance.formats.handoff_status import PAYING, StatusLine, status_file_parse


@dataclass
class StatusImportResult:
    lines: int = 0
    payments: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "imported": not self.problems,
            "lines": self.lines,
            "payments": self.payments,
            "problems": [p.as_dict() for p in self.problems],
        }


def _check(
    lines: list[StatusLine], stages: dict[str, LegalStage], as_of: date
) -> list[Problem]:
    problems: list[Problem] = []
    owed = open_totals({s.case.debtor_id for s in stages.values()})
    collected: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for x in lines:
        stage = stages.get(x.reference)
        if stage is None:
            problems.append(Problem.of(
                "unknown_reference", N_("No case in the legal stage has the reference %(reference)s."),
                x.line, "reference", reference=x.reference,
            ))
            continue
        if x.day > as_of:
            problems.append(Problem.of(
                "future_date", N_("%(day)s is after today."), x.line, "date", day=x.day.isoformat()
            ))
        if StatusReport.objects.filter(stage=stage, status=x.status, amount=x.amount, report_date=x.day).exists():
            problems.append(Problem.of(
                "already_imported", N_("This line was already taken in (%(reference)s, %(status)s, %(day)s)."),
                x.line, reference=x.reference, status=x.status, day=x.day.isoformat(),
            ))
            continue  # its payment is in the ledger already: what is owed now says nothing of it
        if x.status not in PAYING:
            continue
        debtor_id = stage.case.debtor_id
        left = owed.get(debtor_id, ZERO) - collected[debtor_id]
        collected[debtor_id] += x.amount
        if x.status == "paid" and x.amount != left:
            problems.append(Problem.of(
                "paid_amount", N_("Paid %(amount)s, but %(left)s is what the debtor owes: say partly_paid or the amount owed."),
                x.line, "amount", amount=str(x.amount), left=str(left),
            ))
        if x.status == "partly_paid" and x.amount >= left:
            problems.append(Problem.of(
                "partly_paid_amount", N_("Partly paid %(amount)s, but the debtor owes only %(left)s: say paid."),
                x.line, "amount", amount=str(x.amount), left=str(left),
            ))
    return problems


def _pay(stage: LegalStage, x: StatusLine, label: str) -> tuple[Payment, list[dict[str, Any]]]:
    """A payment of ``x.amount`` on ``x.day``, allocated to the debtor's open invoices oldest first."""
    debtor = stage.case.debtor
    ids = list(
        Invoice.objects.filter(debtor=debtor, status=Invoice.Status.OPEN, open_amount__gt=0)
        .order_by("due_date", "number", "pk")
        .values_list("pk", flat=True)
    )
    opened = invoice_open_amounts(ids)
    payment = Payment.objects.create(
        creditor_id=stage.creditor_id, debtor=debtor, value_date=x.day, amount=x.amount,
        reference=f"{stage.reference} ({label}, line {x.line})", origin=Payment.Origin.MANUAL,
    )
    left, changed, allocated = x.amount, {}, []
    for pk in ids:
        if left <= 0:
            break
        part = min(left, opened[pk])
        Allocation.objects.create(payment=payment, invoice_id=pk, amount=part)
        changed[pk] = opened[pk] - part
        allocated.append({"invoice": pk, "amount": part})
        left -= part
    invoices_write(changed, timezone.now())
    return payment, allocated


def status_file_import(
    *, creditor: Creditor, data: bytes, name: str, as_of: date, actor: str = "system"
) -> StatusImportResult:
    """Take in a status file whole, or refuse it whole with every problem (see the module)."""
    result = StatusImportResult()
    lines, problems = status_file_parse(data)
    if problems:
        result.problems = problems
        return result
    sha = hashlib.sha256(data).hexdigest()
    with transaction.atomic():
        stages = {
            s.reference: s
            for s in LegalStage.objects.select_for_update()
            .filter(creditor=creditor, reference__in={x.reference for x in lines}, case__status=Case.Status.LEGAL)
            .select_related("case", "case__debtor")
        }
        result.problems = _check(lines, stages, as_of)
        if result.problems:
            return result
        events: list[EventInput] = []
        for x in lines:
            stage = stages[x.reference]
            payment, allocated = _pay(stage, x, name) if x.status in PAYING else (None, [])
            StatusReport.objects.create(
                stage=stage, status=x.status, amount=x.amount, report_date=x.day, payment=payment,
                file_sha256=sha, line=x.line,
            )
            if stage.reported_date is None or x.day >= stage.reported_date:
                stage.reported_status, stage.reported_date = x.status, x.day
                stage.save(update_fields=["reported_status", "reported_date", "updated_at"])
            result.payments += payment is not None
            events.append(EventInput(
                "legal.status_reported", "debtor", stage.case.debtor_id, creditor.pk,
                {"reference": x.reference, "status": x.status, "amount": x.amount, "date": x.day,
                 "payment": payment.pk if payment else None, "allocations": allocated,
                 "file": name, "sha256": sha, "line": x.line},
                actor,
            ))
        events_record(events=events)
        result.lines = len(lines)
    return result
