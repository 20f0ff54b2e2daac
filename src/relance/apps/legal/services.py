"""Writing legal data: rates published after the release (``relance rates add``), the events
that interrupt or suspend a claim's time limit (``relance prescription record``), and the
creditor's contractual terms with their PDF (``relance terms set``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from django.db import transaction

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import event_record
from relance.apps.legal.models import LimitationEvent, PaymentTerms, RateOverride
from relance.apps.legal.selectors import claim_kind
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law import InvalidRateError, load_tables, prescription, rate_override
from relance.domain.law.computation import percent
from relance.domain.problems import N_

if TYPE_CHECKING:
    from relance.apps.creditors.models import Creditor

# RateOverride.rate is DecimalField(max_digits=7, decimal_places=4): refuse what the column
# would silently round or reject, rather than store a different rate than the one typed.
RATE_PLACES = 4
RATE_LIMIT = Decimal("1000")
MAX_CGV_BYTES = 20 * 1024 * 1024


def rate_add(
    *, table: str, from_date: date, rate: Decimal, source: str, actor: str = "system"
) -> RateOverride:
    """Record a newly published rate; from then on it overrides the shipped table.

    Recording the same (table, from) again with another rate or source replaces the row and
    says so in the audit trail (``previous``); recording it unchanged writes nothing.
    """
    checked = rate_override(table=table, from_date=from_date, rate=rate, source=source)
    exponent = checked.rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -RATE_PLACES:
        raise InvalidRateError(
            f"A rate has at most {RATE_PLACES} decimal places, not {checked.rate}."
        )
    if checked.rate >= RATE_LIMIT:
        raise InvalidRateError(f"A rate of {checked.rate} % is not plausible for {table}.")
    with transaction.atomic():
        row = (
            RateOverride.objects.select_for_update()
            .filter(table=checked.table, from_date=checked.from_date)
            .first()
        )
        previous: dict[str, Any] | None = None
        if row is None:
            row = RateOverride.objects.create(
                table=checked.table,
                from_date=checked.from_date,
                rate=checked.rate,
                source=checked.source,
            )
        elif row.rate == checked.rate and row.source == checked.source:
            return row
        else:
            previous = {"rate": percent(row.rate), "source": row.source}
            row.rate = checked.rate
            row.source = checked.source
            row.save(update_fields=["rate", "source"])
        event_record(
            kind="legal.rate_added",
            subject_type="rate",
            subject_id=row.pk,
            creditor_id=None,
            actor=actor,
            payload={
                "table": checked.table,
                "from": checked.from_date.isoformat(),
                "rate": str(checked.rate),
                "source": checked.source,
                "previous": previous,
                "shipped_rate": _shipped_rate(checked.table, checked.from_date),
            },
        )
    return row


def _shipped_rate(table: str, from_date: date) -> str | None:
    """The shipped rate dated ``from_date``, when the new row replaces one (kept for the audit)."""
    for row in load_tables()[table].rows:
        if row.from_date == from_date:
            return percent(row.rate)
    return None


def limitation_record(
    *,
    creditor: Creditor,
    account: str,
    kind: str,
    day: date,
    proof: str,
    invoice_number: str | None = None,
    end: date | None = None,
    actor: str = "system",
) -> LimitationEvent:
    """Record an event on the time limit of a debtor's claims (or of one invoice).

    The law engine checks it first: a mise en demeure between private parties, an act of
    enforcement against a public body or a mediation ending before it starts is refused with
    the reason, and nothing is written. ``proof`` (where the evidence is) is required.
    """
    from relance.apps.ledger.models import Debtor, Invoice

    debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
    if debtor is None:
        raise NotFoundError(f"No debtor with account {account!r} for {creditor.name}.")
    invoice = None
    if invoice_number:
        invoice = Invoice.objects.filter(creditor=creditor, debtor=debtor, number=invoice_number).first()
        if invoice is None:
            raise NotFoundError(f"No invoice {invoice_number!r} for the debtor {account}.")
    if not proof.strip():
        raise InvalidInputError("Say where the proof is (--proof): a court reference, a signed letter…")
    if len(proof) > 300:
        raise InvalidInputError("The proof is at most 300 characters.")
    start = invoice.due_date if invoice is not None and invoice.due_date <= day else day
    prescription(
        claim_kind(debtor_kind=debtor.kind, creditor_kind=creditor.kind), start, [(day, kind, end)]
    )
    with transaction.atomic():
        row = LimitationEvent.objects.create(
            creditor=creditor, debtor=debtor, invoice=invoice, kind=kind, date=day, end_date=end,
            proof=proof.strip(),
        )
        event_record(
            kind="legal.limitation_recorded",
            subject_type="debtor",
            subject_id=debtor.pk,
            creditor_id=creditor.pk,
            actor=actor,
            payload={
                "event": row.pk,
                "kind": kind,
                "date": day.isoformat(),
                "end": end.isoformat() if end else None,
                "invoice": invoice_number or None,
                "proof": row.proof,
            },
        )
    return row


def terms_set(
    *,
    creditor: Creditor,
    reference: str,
    account: str | None = None,
    contract_rate: Decimal | None = None,
    contract_multiple: Decimal | None = None,
    cgv: bytes | None = None,
    cgv_filename: str = "",
    actor: str = "system",
) -> PaymentTerms:
    """Record the creditor's contractual late-payment rate (or one debtor's) with its terms.

    Exactly one of a fixed rate or a multiple of the taux légal; a multiple under 3 is refused
    (C. com. L441-10 II), as the engine would refuse it in every letter. ``cgv``: the terms as a
    PDF, stored unchanged with its SHA-256 (a dossier cites it as a pièce); without it, the PDF
    attached before is kept.
    """
    from relance.apps.ledger.models import Debtor
    from relance.domain.law.regime_rules import FLOOR_FACTOR

    if (contract_rate is None) == (contract_multiple is None):
        raise InvalidInputError("Give the contractual rate (--rate) or its multiple of the taux légal (--multiple).")
    if contract_multiple is not None and not FLOOR_FACTOR <= contract_multiple < 100:
        raise InvalidInputError(
            N_("A contractual rate of %(multiple)s × the taux légal is below the floor of 3 × "
               "the taux légal (C. com. L441-10 II): it cannot be claimed."),
            params={"multiple": contract_multiple},
        )
    if contract_rate is not None and not Decimal(0) < contract_rate < RATE_LIMIT:
        raise InvalidRateError(f"A contractual rate of {contract_rate} % is not plausible.")
    if not reference.strip() or len(reference) > 200:
        raise InvalidInputError("Name the terms that stipulate the rate (--ref, at most 200 characters).")
    debtor = None
    if account:
        debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
        if debtor is None:
            raise NotFoundError(f"No debtor with account {account!r} for {creditor.name}.")
    defaults: dict[str, Any] = {"contract_rate": contract_rate, "contract_multiple": contract_multiple,
                                "reference": reference.strip()}
    if cgv is not None:
        _check_cgv(cgv, cgv_filename)
        name, digest = document_store(cgv, suffix=".pdf", durable=True)
        defaults |= {"cgv_name": name, "cgv_sha256": digest, "cgv_filename": PurePath(cgv_filename).name[:200]}
    with transaction.atomic():
        row, _ = PaymentTerms.objects.update_or_create(creditor=creditor, debtor=debtor, defaults=defaults)
        event_record(
            kind="legal.terms_set", subject_type="creditor", subject_id=creditor.pk,
            creditor_id=creditor.pk, actor=actor,
            payload={"debtor": account, "rate": str(contract_rate) if contract_rate is not None else None,
                     "multiple": str(contract_multiple) if contract_multiple is not None else None,
                     "reference": row.reference, "cgv": row.cgv_name or None,
                     "cgv_sha256": row.cgv_sha256 or None, "cgv_attached": cgv is not None},
        )
    return row


def _check_cgv(data: bytes, filename: str) -> None:
    """The terms' PDF, refused whole when it is not one."""
    if PurePath(filename).suffix.lower() != ".pdf" or not data.startswith(b"%PDF"):
        raise InvalidInputError(
            N_("The general terms must be a PDF file, not %(name)r."), params={"name": PurePath(filename).name}
        )
    if len(data) > MAX_CGV_BYTES:
        raise InvalidInputError("The general terms' PDF is larger than 20 MB.")
