"""What a dossier says, read from the record: the claim the law engine computes, and the pièces.

``dossier_gather`` reads a debtor's overdue invoices, asks the law engine for each one's
penalties (the regime chooser of ``domain/law/choice.py`` through ``invoice_penalties``, the
same computation as ``relance interest``), checks the route's rules (``domain/law/routes.py``)
and lists the exhibits: each invoice PDF stored, every e-mail and letter as sent (the stored
file, its date and SHA-256), the acknowledgement of receipt of the mise en demeure, the
creditor's general terms when they stipulate the rate claimed (``relance terms set --cgv-file``),
and the proof of every justified recovery cost recorded on the case when the regime lets them be
claimed (``domain/law/costs.py``: the same complement as the mise en demeure). Only messages
seen to leave count: an ``uncertain`` e-mail is never cited; a stored file whose SHA-256 no
longer matches refuses the dossier. Reads only; refusals raise ``DossierRefusedError`` with every reason.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from pathlib import PurePath
from typing import TYPE_CHECKING

from django.utils import timezone

from relance.apps.audit.documents import document_path
from relance.apps.collection.contexts import case_current, case_reference
from relance.apps.collection.costs import costs_by_case
from relance.apps.collection.limits import claim_limits
from relance.apps.collection.models import Action, Case, Dispute, PaymentPlan, Step
from relance.apps.ledger.models import Debtor, Invoice
from relance.apps.legal.selectors import (
    invoice_penalties,
    payment_terms_for,
    rate_tables,
    regime_choice_for,
)
from relance.documents.dossier import ClaimLine, Dossier, Exhibit, InvoiceClaim, Party
from relance.documents.formatting import format_date, format_money
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.law.computation import unrounded
from relance.domain.law.costs import complement
from relance.domain.law.routes import ROUTE_NAMES, ROUTES, ClaimFacts, choose_court, route_refusals
from relance.domain.vocabulary import CLAIMS, LETTER_CHANNELS, STEPS, say

if TYPE_CHECKING:
    from relance.apps.creditors.models import Creditor
    from relance.apps.legal.models import PaymentTerms

EXHIBIT_CHANNELS = ("email", "letter", "registered_letter")
SUFFIXES = {"email": ".eml"}


class DossierRefusedError(InvalidInputError):
    """No dossier for this claim on this route: ``reasons`` says every why, in French."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("Dossier refusé : " + " ".join(reasons), code="dossier_refused")
        self.reasons = reasons


@dataclass(frozen=True, slots=True)
class Piece:
    """An exhibit and the bytes that go into the ZIP (none for a paper original)."""

    exhibit: Exhibit
    data: bytes | None


def _party(*, name: str, kind: str, siren: str, vat: str, address: str, postal_code: str,
           city: str, country: str, email: str, phone: str, account: str = "") -> Party:
    place = " ".join(part for part in (postal_code, city) if part)
    lines = tuple(line for line in (address, place, "" if country == "FR" else country) if line)
    return Party(name, kind, siren, vat, lines, email, phone, account=account)


def _file(name: str, expected: str) -> bytes:
    path = document_path(name)
    if not path.is_file():
        raise InvalidInputError(f"Le document conservé {name} est introuvable : le dossier n'est pas constitué.")
    data = path.read_bytes()
    if hashlib.sha256(data).hexdigest() != expected:
        raise InvalidInputError(
            f"Le document conservé {name} ne correspond plus à son empreinte SHA-256 : il n'est pas cité."
        )
    return data


def _invoice_pdf(invoice: Invoice) -> bytes | None:
    if not invoice.pdf:
        return None
    with invoice.pdf.open("rb") as fh:
        return bytes(fh.read())


def dossier_gather(
    *, creditor: Creditor, account: str, route: str, as_of: date, is_consumer_credit: bool = False
) -> tuple[Dossier, list[Piece]]:
    """The dossier for ``account``'s overdue invoices on ``route`` as of ``as_of``, and its pièces."""
    if route not in ROUTES:
        raise InvalidInputError(f"Route inconnue {route!r} ; les routes sont : {', '.join(ROUTE_NAMES)}.")
    rules = ROUTES[route]
    debtor = Debtor.objects.filter(creditor=creditor, account=account).first()
    if debtor is None:
        raise NotFoundError(f"No debtor with account {account!r} for {creditor.name}.")
    invoices = list(
        Invoice.objects.filter(debtor=debtor, kind=Invoice.Kind.INVOICE, status=Invoice.Status.OPEN,
                               open_amount__gt=0, due_date__lt=as_of)
        .select_related("creditor", "debtor").order_by("due_date", "number")
    )
    ids = [i.pk for i in invoices]
    disputed = tuple(Dispute.objects.filter(invoice_id__in=ids, status=Dispute.Status.OPEN)
                     .order_by("invoice__number").values_list("invoice__number", flat=True))
    limits = claim_limits(creditor=creditor, as_of=as_of, invoice_ids=ids) if ids else {}
    expired = tuple(sorted(lim.number for lim in limits.values() if lim.problem or lim.is_expired(as_of)))
    under_plan = (
        PaymentPlan.objects.filter(debtor=debtor, status=PaymentPlan.Status.ACTIVE).exists()
        or Case.objects.filter(debtor=debtor, status=Case.Status.PLAN).exists()
    )
    notice = (
        Action.objects.filter(debtor=debtor, channel=Step.Channel.REGISTERED_LETTER, state=Action.State.SENT,
                              received_date__isnull=False, received_date__lte=as_of)
        .order_by("-received_date", "-id").first()
    )
    currencies = sorted({i.currency for i in invoices}) or ["EUR"]
    if len(currencies) > 1:
        raise DossierRefusedError([f"Factures en plusieurs devises ({', '.join(currencies)}) : un dossier par devise."])
    facts = ClaimFacts(
        debtor_kind=debtor.kind, total=sum((i.open_amount for i in invoices), Decimal(0)), expired=expired,
        disputed=disputed, under_plan=under_plan, notice_received=notice is not None,
        is_consumer_credit=is_consumer_credit, has_invoices=bool(invoices),
    )
    # Refused on the record first: a computation that lacks a rate must not hide the reasons.
    reasons = route_refusals(rules, facts)
    if reasons:
        raise DossierRefusedError(reasons)
    choice = regime_choice_for(debtor=debtor, creditor=creditor, currencies=currencies)
    terms_rows = payment_terms_for(creditor_ids=[creditor.pk], debtor_ids=[debtor.pk])
    terms = terms_rows.get((creditor.pk, debtor.pk)) or terms_rows.get((creditor.pk, None))
    tables = rate_tables()
    computed = [
        (i, invoice_penalties(invoice=i, as_of=as_of, regime=choice.regime, tables=tables, terms=terms,
                              notice_date=notice.received_date if notice else None))
        if choice.regime else (i, None)
        for i in invoices
    ]
    claims = tuple(_claim(i, c) for i, c in computed)
    principal_and_interest = sum((c.outstanding_principal + c.outstanding_interest for c in claims), Decimal(0))
    reasons = route_refusals(rules, replace(facts, total=principal_and_interest))
    if reasons:
        raise DossierRefusedError(reasons)
    pieces, by_invoice, warnings = _pieces(invoices, debtor, notice, as_of)
    notice_ref = next((p.exhibit.number for p in pieces if p.exhibit.title.startswith("Mise en demeure")), None)
    contractual = terms is not None and choice.regime == "fr-b2b"
    terms_ref = _terms_piece(pieces, terms) if contractual and terms is not None and terms.cgv_name else None
    lines: list[ClaimLine] = []
    for invoice, computation in computed:
        lines.extend(_lines(invoice, computation, by_invoice.get(invoice.pk), notice_ref, terms_ref))
        if computation is not None:
            warnings.extend(computation.warnings)
    case = case_current(debtor=debtor)
    indemnities = sum((c.indemnity for c in claims), Decimal("0.00"))
    lines.extend(_cost_lines(pieces, case, choice.regime, indemnities, currencies[0], as_of))
    if contractual and terms is not None and terms_ref is None:
        warnings.append(f"Taux contractuel stipulé par « {terms.reference} » : joignez ces conditions à la requête.")
    court = None
    if route == "injonction":
        court = choose_court(debtor_kind=debtor.kind, creditor_kind=creditor.kind, city=debtor.city,
                             is_consumer_credit=is_consumer_credit)
    interest_basis = next((c.basis for _, c in computed if c is not None and c.basis), "")
    dossier = Dossier(
        route=rules, reference=case_reference(case=case, debtor=debtor, as_of=as_of),
        as_of=as_of, currency=currencies[0],
        creditor=_party(name=creditor.name, kind="consumer" if creditor.kind == "individual" else "business", siren=creditor.siren, vat=creditor.vat_number,
                        address=creditor.address, postal_code=creditor.postal_code, city=creditor.city,
                        country=creditor.country, email=creditor.email, phone=creditor.phone),
        debtor=_party(name=debtor.name, kind=debtor.kind, siren=debtor.siren, vat="", address=debtor.address,
                      postal_code=debtor.postal_code, city=debtor.city, country=debtor.country,
                      email=debtor.email, phone=debtor.phone, account=debtor.account),
        regime=choice.regime or "", regime_reason=choice.reason, invoices=claims, lines=tuple(lines),
        exhibits=tuple(p.exhibit for p in pieces), court=court, interest_basis=interest_basis,
        notice=_notice_text(notice, notice_ref), warnings=tuple(dict.fromkeys(warnings)),
    )
    return dossier, pieces


def _claim(invoice: Invoice, c: object) -> InvoiceClaim:
    from relance.domain.law import Computation

    if not isinstance(c, Computation):
        zero = Decimal("0.00")
        return InvoiceClaim(invoice.number, invoice.issue_date, invoice.due_date, invoice.open_amount, zero,
                            invoice.open_amount, zero, zero, zero, invoice.open_amount)
    paid = sum((p.amount for p in c.payments), Decimal("0.00"))
    return InvoiceClaim(invoice.number, invoice.issue_date, invoice.due_date, c.principal, paid,
                        c.outstanding_principal, c.interest, c.outstanding_interest, c.indemnity, c.amount_due)


def _lines(invoice: Invoice, c: object, exhibit: int | None, notice_ref: int | None,
           terms_ref: int | None = None) -> list[ClaimLine]:
    from relance.domain.law import Computation

    ref = str(exhibit) if exhibit else ""
    principal = c.principal if isinstance(c, Computation) else invoice.open_amount
    lines = [ClaimLine(
        "principal", invoice.number,
        f"Principal : facture n° {invoice.number} du {invoice.issue_date:%d/%m/%Y}, échue le {invoice.due_date:%d/%m/%Y}",
        principal, "Obligation contractuelle : facture impayée (C. civ. 1103)", exhibits=ref,
    )]
    if not isinstance(c, Computation):
        return lines
    for p in c.payments:
        lines.append(ClaimLine(
            "payment", invoice.number, f"Règlement reçu le {p.date:%d/%m/%Y}", -p.amount,
            f"Imputé d'abord sur les intérêts (C. civ. 1343-1) : {p.to_interest} sur les intérêts, "
            f"{p.to_principal} sur le principal", start=p.date, end=p.date,
        ))
    refs = ", ".join(str(n) for n in (exhibit, notice_ref if c.regime == "fr-civil" else None,
                                      terms_ref if c.regime == "fr-b2b" else None) if n)
    for period in c.periods:
        lines.append(ClaimLine(
            "interest", invoice.number, "Intérêts de retard", period.interest, period.basis,
            start=period.start, end=period.end, days=period.days, rate=period.rate, base=period.base,
            unrounded=unrounded(period.interest), exhibits=refs,
        ))
    if c.periods:
        lines.append(ClaimLine("interest", invoice.number, "Intérêts arrêtés (arrondis au centime)", c.interest,
                               c.basis, exhibits=refs))
    if c.indemnity:
        lines.append(ClaimLine("indemnity", invoice.number, "Indemnité forfaitaire pour frais de recouvrement",
                               c.indemnity, c.indemnity_basis, exhibits=ref))
    return lines


def _terms_piece(pieces: list[Piece], terms: PaymentTerms) -> int:
    """The creditor's general terms stipulating the contractual rate, as a pièce (the stored PDF,
    checked against its hash)."""
    data = _file(terms.cgv_name, terms.cgv_sha256)
    kind = "Conditions contractuelles propres au débiteur" if terms.debtor_id else "Conditions générales"
    return _add(pieces, f"{kind} stipulant le taux contractuel : {terms.reference}",
                None, data, "conditions-generales", ".pdf",
                note=f"Fichier remis : {terms.cgv_filename}" if terms.cgv_filename else "")


def _cost_lines(pieces: list[Piece], case: Case | None, regime: str | None, indemnities: Decimal,
                currency: str, as_of: date) -> list[ClaimLine]:
    """The justified recovery costs recorded on ``case`` as one head of claim, what they exceed the
    flat indemnities by, as the mise en demeure states it (``domain.law.costs.complement``); each
    proof a pièce, its file checked against the hash recorded. Nothing under a regime that allows
    no complement (a consumer never bears them, CPCE L111-8), nor when the indemnities cover them."""
    recorded = costs_by_case([case.pk], as_of=as_of).get(case.pk, []) if case is not None else []
    costs = [c for c in recorded if c.currency == currency]
    total = sum((c.amount for c in costs), Decimal("0.00"))
    found = complement(regime=regime, costs=total, indemnities=indemnities) if costs else None
    if found is None:
        return []
    listed, numbers = [], []
    for cost in costs:
        data = _file(cost.proof_name, cost.proof_sha256)
        number = _add(pieces, f"Justificatif des frais de recouvrement du {cost.incurred_on:%d/%m/%Y} : "
                      f"{cost.description} ({format_money(cost.amount, 'fr', currency)})",
                      cost.incurred_on, data, f"frais-{cost.incurred_on:%Y%m%d}-{cost.pk}",
                      PurePath(cost.proof_name).suffix, note=f"Fichier remis : {cost.proof_filename}")
        numbers.append(str(number))
        listed.append(f"{format_date(cost.incurred_on, 'fr')}, {cost.description}, "
                      f"{format_money(cost.amount, 'fr', currency)} (pièce {number})")
    label = (f"{say(CLAIMS, 'complement', 'fr')} : {say(CLAIMS, 'costs_incurred', 'fr')} "
             f"{format_money(total, 'fr', currency)} ({' ; '.join(listed)})")
    if found.indemnities:
        label += f", {say(CLAIMS, 'less_indemnities', 'fr')} {format_money(found.indemnities, 'fr', currency)}"
    return [ClaimLine("costs", "", label, found.amount, found.basis, exhibits=", ".join(numbers))]


def _notice_text(notice: Action | None, ref: int | None) -> str:
    if notice is None:
        return ""
    sent = timezone.localdate(notice.sent_at) if notice.sent_at else notice.planned_date
    return (f"Mise en demeure envoyée par lettre recommandée le {sent:%d/%m/%Y} (n° {notice.tracking_number}), "
            f"reçue le {notice.received_date:%d/%m/%Y} (pièce {ref}).")


def _pieces(
    invoices: list[Invoice], debtor: Debtor, notice: Action | None, as_of: date
) -> tuple[list[Piece], dict[int, int], list[str]]:
    pieces: list[Piece] = []
    by_invoice: dict[int, int] = {}
    warnings: list[str] = []

    def add(title: str, day: date | None, data: bytes | None, stem: str, suffix: str, note: str = "") -> int:
        return _add(pieces, title, day, data, stem, suffix, note)

    for invoice in invoices:
        data = _invoice_pdf(invoice)
        if data is None:
            warnings.append(f"La facture {invoice.number} n'est pas enregistrée en PDF dans Relance "
                            "(relance invoices attach) : joignez-la au dossier.")
            continue
        by_invoice[invoice.pk] = add(f"Facture n° {invoice.number} du {invoice.issue_date:%d/%m/%Y}",
                                     invoice.issue_date, data, f"facture-{_slug(invoice.number)}", ".pdf")
    sent = (
        Action.objects.filter(debtor=debtor, channel__in=EXHIBIT_CHANNELS, state=Action.State.SENT,
                              sent_at__isnull=False)
        .exclude(document="").order_by("sent_at", "id")
    )
    for action in sent:
        day = timezone.localdate(action.sent_at) if action.sent_at else action.planned_date
        if day > as_of:
            continue
        data = _file(action.document.name, action.sha256)
        step = say(STEPS, action.step_key, "fr")
        is_notice = notice is not None and action.pk == notice.pk
        title = ("Mise en demeure" if is_notice else step) + (
            f" par {say(LETTER_CHANNELS, action.channel, 'fr')} du {day:%d/%m/%Y}")
        if action.subject:
            title += f" : {action.subject}"
        suffix = SUFFIXES.get(action.channel, ".pdf")
        add(title, day, data, f"{day:%Y%m%d}-{_slug(action.step_key)}", suffix,
            note=f"Message-ID {action.message_id}" if action.message_id else "")
        if is_notice and notice is not None and notice.received_date:
            # The scan kept with its hash when the creditor gave it; else the paper original.
            receipt = _file(notice.receipt_name, notice.receipt_sha256) if notice.receipt_sha256 else None
            add(f"Avis de réception de la lettre recommandée n° {notice.tracking_number or '—'}, "
                f"signé le {notice.received_date:%d/%m/%Y}", notice.received_date, receipt,
                f"{notice.received_date:%Y%m%d}-avis-de-reception", PurePath(notice.receipt_name).suffix)
    return pieces, by_invoice, warnings


def _add(pieces: list[Piece], title: str, day: date | None, data: bytes | None, stem: str, suffix: str,
         note: str = "") -> int:
    """Number the next pièce: its file goes under ``pieces/`` in the ZIP (none for a paper original)."""
    number = len(pieces) + 1
    name = f"pieces/{number:02d}-{stem}{suffix}" if data is not None else ""
    digest = hashlib.sha256(data).hexdigest() if data is not None else ""
    pieces.append(Piece(Exhibit(number, title, day, digest, name, note), data))
    return number


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in text)[:40]
