"""The end of a claim: a case written off, and the entry the accountant books for it.

``case_write_off`` closes the debtor's case as ``closed_written_off`` with its reason
(insolvency, prescription, amount too small), cancels what was still planned for it, and
returns the journal entry (``domain/law/write_off.py``) in the FEC's layout: the loss on each
receivable (654), the VAT reclaimed on it (44571) when the law allows, and, when they were
invoiced, the penalties and the 40 € indemnity the law engine computes. The file is stored like
any document (SHA-256) and the audit trail records it. The daily pass never chases the debtor of
a case written off (``daily_pass``: the latest case decides).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction

from relance.apps.audit.documents import document_store
from relance.apps.audit.services import event_record
from relance.apps.collection.limits import claim_limits
from relance.apps.collection.models import PENDING_ACTION_STATES, Action, Case
from relance.apps.collection.pauses import case_for
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.legal.selectors import invoice_penalties, invoice_regime_choice, rate_tables
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law.write_off import REASONS, JournalLine, write_off_lines
from relance.formats.fec_write import write_fec

if TYPE_CHECKING:
    from relance.apps.creditors.models import Creditor


@dataclass(frozen=True, slots=True)
class WriteOffResult:
    case_id: int
    reason: str
    lines: tuple[JournalLine, ...]
    data: bytes
    sha256: str
    document: str
    notes: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "case": self.case_id,
            "reason": self.reason,
            "sha256": self.sha256,
            "document": self.document,
            "lines": [
                {"account": x.account, "aux": x.aux, "piece": x.piece, "label": x.label,
                 "debit": str(x.debit), "credit": str(x.credit)}
                for x in self.lines
            ],
            "notes": list(self.notes),
        }


def case_write_off(
    *,
    creditor: Creditor,
    account: str,
    reason: str,
    as_of: date,
    vat_rate: Decimal | None = None,
    penalties_invoiced: bool = False,
    actor: str = "system",
) -> WriteOffResult:
    """Write off ``account``'s overdue open invoices as of ``as_of`` for ``reason``.

    ``vat_rate``: the VAT rate (%) the invoices bear, to reclaim it (none without it, nor for an
    amount dropped as too small). ``penalties_invoiced``: the penalties and indemnities were
    invoiced to the debtor, so they are written off too. A prescription that has not run out is
    refused, with the invoices still in time.
    """
    if reason not in REASONS:
        raise InvalidInputError(f"Motif inconnu {reason!r} ; les motifs sont : {', '.join(REASONS)}.")
    if vat_rate is not None and not Decimal(0) <= vat_rate < 100:
        raise InvalidInputError(f"Un taux de TVA de {vat_rate} % n'est pas plausible.")
    debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
    if debtor is None:
        raise NotFoundError(f"No debtor with account {account!r} for {creditor.name}.")
    invoices = list(
        Invoice.objects.filter(debtor=debtor, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN,
                               open_amount__gt=0, due_date__lt=as_of)
        .select_related("creditor", "debtor").order_by("due_date", "number")
    )
    if not invoices:
        raise InvalidInputError(f"{account} n'a aucune facture échue et impayée au {as_of:%d/%m/%Y} : rien à passer en perte.")
    if reason == "prescription":
        limits = claim_limits(creditor=creditor, as_of=as_of, invoice_ids=[i.pk for i in invoices])
        in_time = [i.number for i in invoices if i.pk not in limits or not limits[i.pk].is_expired(as_of)]
        if in_time:
            raise InvalidInputError(
                f"Les factures {', '.join(in_time)} ne sont pas prescrites au {as_of:%d/%m/%Y} "
                "(relance prescription) : le motif « prescription » ne s'applique pas."
            )
    notes: list[str] = []
    if vat_rate is None:
        notes.append("Sans taux de TVA (--vat-rate), la perte est passée TTC et aucune TVA n'est récupérée.")
    elif not REASONS[reason].reclaims_vat:
        notes.append(REASONS[reason].source)
    penalties: list[tuple[str, Decimal, Decimal]] = []
    if penalties_invoiced:
        tables = rate_tables()
        for invoice in invoices:
            if invoice_regime_choice(invoice=invoice).regime is None:
                continue
            c = invoice_penalties(invoice=invoice, as_of=as_of, tables=tables)
            penalties.append((invoice.number, c.outstanding_interest, c.indemnity))
    lines = tuple(write_off_lines(
        reason=reason, vat_rate=vat_rate, account=debtor.account, name=debtor.name,
        invoices=[(i.number, i.open_amount) for i in invoices], penalties=penalties,
    ))
    latest = Case.objects.filter(debtor=debtor).order_by("-cycle").first()
    if latest is not None and latest.status == Case.Status.CLOSED_WRITTEN_OFF:
        raise InvalidInputError(f"Le dossier de {account} est déjà passé en perte le {latest.closed_on:%d/%m/%Y}.")
    with transaction.atomic():
        case = case_for(debtor=debtor, as_of=as_of)
        entry = f"PERTE-{case.pk}"
        data = write_fec(lines, entry=entry, day=as_of)
        name, digest = document_store(data, suffix=".txt", durable=True)
        pending = list(Action.objects.filter(case__debtor=debtor, state__in=PENDING_ACTION_STATES)
                       .values_list("pk", flat=True))
        Action.objects.filter(pk__in=pending).update(state=Action.State.CANCELLED, reason="written off")
        Case.objects.filter(pk=case.pk).update(
            status=Case.Status.CLOSED_WRITTEN_OFF, closed_on=as_of, paused_until=None,
            pause_reason="", closed_reason=reason,
        )
        event_record(
            kind="case.written_off", subject_type="case", subject_id=case.pk, creditor_id=creditor.pk,
            actor=actor,
            payload={
                "debtor": debtor.account, "reason": reason, "as_of": as_of.isoformat(),
                "invoices": [i.number for i in invoices], "cancelled_actions": pending,
                "vat_rate": str(vat_rate) if vat_rate is not None else None,
                "penalties_invoiced": penalties_invoiced, "sha256": digest, "document": name,
                "entry": entry,
            },
        )
    return WriteOffResult(case.pk, reason, lines, data, digest, name, tuple(notes))
