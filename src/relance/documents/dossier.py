"""The dossier handed to a court, a commissaire de justice, an agency or a lawyer.

``Dossier`` is what the legal app gathers from the record: the parties, the court (an
injonction de payer), the décompte (``ClaimLine``: principal per invoice, payments received,
interest per period with rate and basis, the 40 € indemnity, each with its fondement) as the
law engine computed it, and the bordereau des pièces (``Exhibit``: numbered, each with its date
and SHA-256). ``dossier_pdf`` lays it out with WeasyPrint (DejaVu Sans, so ``pdftotext`` reads
it back); ``claim_csv`` and ``claim_json`` give the same figures to the recipient's software.
Imports nothing above the documents layer.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined

from relance.documents.formatting import format_date, format_money, format_percent, format_siren
from relance.domain.law.routes import Court, Route
from relance.formats.export import Table, write_csv

KIND_LABELS = {"business": "professionnel", "consumer": "particulier", "public": "acheteur public"}


@dataclass(frozen=True, slots=True)
class Party:
    name: str
    kind: str
    siren: str = ""
    vat_number: str = ""
    address: tuple[str, ...] = ()
    email: str = ""
    phone: str = ""
    iban: str = ""
    account: str = ""


@dataclass(frozen=True, slots=True)
class ClaimLine:
    """One line of the décompte. ``section``: principal, payment, interest, indemnity, costs
    (the justified recovery costs above the flat indemnities, claimed once for the claim).
    ``amount`` is what the line adds to the claim (a payment is negative)."""

    section: str
    invoice: str
    label: str
    amount: Decimal
    basis: str
    start: date | None = None
    end: date | None = None
    days: int | None = None
    rate: Decimal | None = None
    base: Decimal | None = None
    unrounded: str = ""
    exhibits: str = ""


@dataclass(frozen=True, slots=True)
class Exhibit:
    """A pièce: ``filename`` is its path in the ZIP, empty for a paper original kept apart."""

    number: int
    title: str
    day: date | None
    sha256: str = ""
    filename: str = ""
    note: str = ""


@dataclass(frozen=True, slots=True)
class InvoiceClaim:
    """One invoice as the law engine settled it as of the dossier's day."""

    number: str
    issue_date: date
    due_date: date
    principal: Decimal
    paid: Decimal
    outstanding_principal: Decimal
    interest: Decimal
    outstanding_interest: Decimal
    indemnity: Decimal
    amount_due: Decimal


@dataclass(frozen=True, slots=True)
class Dossier:
    route: Route
    reference: str
    as_of: date
    currency: str
    creditor: Party
    debtor: Party
    regime: str
    regime_reason: str
    invoices: tuple[InvoiceClaim, ...]
    lines: tuple[ClaimLine, ...]
    exhibits: tuple[Exhibit, ...]
    court: Court | None = None
    interest_basis: str = ""
    notice: str = ""
    warnings: tuple[str, ...] = field(default=())

    @property
    def principal(self) -> Decimal:
        return sum((i.outstanding_principal for i in self.invoices), Decimal("0.00"))

    @property
    def interest(self) -> Decimal:
        return sum((i.outstanding_interest for i in self.invoices), Decimal("0.00"))

    @property
    def indemnity(self) -> Decimal:
        return sum((i.indemnity for i in self.invoices), Decimal("0.00"))

    @property
    def costs(self) -> Decimal:
        """The complementary compensation for justified costs (C. com. L441-10 II), if claimed."""
        return sum((line.amount for line in self.lines if line.section == "costs"), Decimal("0.00"))

    @property
    def costs_basis(self) -> str:
        return next((line.basis for line in self.lines if line.section == "costs"), "")

    @property
    def total(self) -> Decimal:
        return sum((i.amount_due for i in self.invoices), Decimal("0.00")) + self.costs

    def exhibits_for(self, section: str) -> str:
        """The pièces the décompte's lines of ``section`` cite, in order: "1, 2, 4"."""
        numbers = {int(n) for line in self.lines if line.section == section
                   for n in line.exhibits.split(", ") if n}
        return ", ".join(str(n) for n in sorted(numbers))

    @property
    def interest_from(self) -> date | None:
        """The first day interest runs on any invoice (the Cerfa's "à compter du")."""
        starts = [line.start for line in self.lines if line.section == "interest" and line.rate is not None
                  and line.start is not None]
        return min(starts) if starts else None


@cache
def _template() -> Any:
    text = (
        resources.files("relance.documents")
        .joinpath("templates", "layout", "dossier.html.j2")
        .read_text(encoding="utf-8")
    )
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = lambda v: format_money(v, "fr", "EUR") if v is not None else ""
    env.filters["day"] = lambda v: format_date(v, "fr") if v else ""
    env.filters["rate"] = lambda v: format_percent(v, "fr") if v is not None else ""
    env.filters["siren"] = format_siren
    return env.from_string(text)


def dossier_html(dossier: Dossier) -> str:
    return str(
        _template().render(
            d=dossier, kinds=KIND_LABELS, sections=("principal", "payment", "interest", "indemnity", "costs")
        )
    )


def dossier_pdf(dossier: Dossier) -> bytes:
    """The dossier as one PDF: requête data (or mandate summary), décompte, bordereau."""
    from weasyprint import HTML

    return bytes(HTML(string=dossier_html(dossier)).write_pdf())


CSV_HEADERS = (
    "section", "invoice", "label", "start", "end", "days", "rate", "base", "amount", "basis",
    "exhibits",
)


def claim_csv(dossier: Dossier) -> bytes:
    """The décompte, one line per element, for the recipient's software (UTF-8, comma)."""
    rows = [
        (line.section, line.invoice, line.label, line.start, line.end, line.days,
         line.rate, line.base, line.amount, line.basis, line.exhibits)
        for line in dossier.lines
    ]
    rows.append(("total", "", "Total dû", None, None, None, None, None, dossier.total, "", ""))
    stream = io.StringIO(newline="")
    write_csv(Table("claim", CSV_HEADERS, rows), stream)
    return stream.getvalue().encode("utf-8")


def _party_json(party: Party) -> dict[str, Any]:
    return {
        "name": party.name, "kind": party.kind, "siren": party.siren,
        "vat_number": party.vat_number, "address": list(party.address), "email": party.email,
        "phone": party.phone, "account": party.account,
    }


def claim_json(dossier: Dossier) -> dict[str, Any]:
    """The claim as JSON: parties, route, court, each invoice's figures, the décompte, the pièces."""
    return {
        "route": dossier.route.name,
        "reference": dossier.reference,
        "as_of": dossier.as_of.isoformat(),
        "currency": dossier.currency,
        "creditor": _party_json(dossier.creditor),
        "debtor": _party_json(dossier.debtor),
        "court": (
            {"name": dossier.court.name, "cerfa": dossier.court.cerfa, "source": dossier.court.source}
            if dossier.court else None
        ),
        "regime": dossier.regime,
        "totals": {
            "principal": str(dossier.principal), "interest": str(dossier.interest),
            "indemnity": str(dossier.indemnity), "costs": str(dossier.costs),
            "total": str(dossier.total),
        },
        "invoices": [
            {
                "number": i.number, "issue_date": i.issue_date.isoformat(),
                "due_date": i.due_date.isoformat(), "principal": str(i.principal),
                "paid": str(i.paid), "outstanding_principal": str(i.outstanding_principal),
                "interest": str(i.interest), "outstanding_interest": str(i.outstanding_interest),
                "indemnity": str(i.indemnity), "amount_due": str(i.amount_due),
            }
            for i in dossier.invoices
        ],
        "lines": [
            {
                "section": line.section, "invoice": line.invoice, "label": line.label,
                "start": line.start.isoformat() if line.start else None,
                "end": line.end.isoformat() if line.end else None, "days": line.days,
                "rate": str(line.rate) if line.rate is not None else None,
                "base": str(line.base) if line.base is not None else None,
                "amount": str(line.amount), "basis": line.basis, "exhibits": line.exhibits,
            }
            for line in dossier.lines
        ],
        "exhibits": [
            {
                "number": e.number, "title": e.title, "date": e.day.isoformat() if e.day else None,
                "sha256": e.sha256, "file": e.filename, "note": e.note,
            }
            for e in dossier.exhibits
        ],
        "warnings": list(dossier.warnings),
    }


def claim_json_bytes(dossier: Dossier) -> bytes:
    return json.dumps(claim_json(dossier), ensure_ascii=False, indent=2).encode("utf-8")
