"""The remittance statement as a PDF (CPCE R124-5): what the agency received for the creditor
in a period, payment by payment, with its commission and what it owes the creditor.

Reads any statement with the attributes ``RemittanceData`` names (the ledger app's
``Remittance``); lays it out with a trusted Jinja layout (autoescaped) and WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any, Protocol

from jinja2 import Environment, StrictUndefined

from relance.documents.formatting import format_date, format_money, format_percent


class RemittanceLineData(Protocol):
    @property
    def value_date(self) -> date: ...
    @property
    def account(self) -> str: ...
    @property
    def debtor(self) -> str: ...
    @property
    def reference(self) -> str: ...
    @property
    def invoices(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def net(self) -> Decimal: ...


class ProposalData(Protocol):
    @property
    def day(self) -> date: ...
    @property
    def account(self) -> str: ...
    @property
    def debtor(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> Decimal: ...
    @property
    def terms(self) -> str: ...


class RemittanceData(Protocol):
    @property
    def creditor(self) -> str: ...
    @property
    def agency(self) -> str: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def lines(self) -> Sequence[RemittanceLineData]: ...
    @property
    def collected(self) -> Decimal: ...
    @property
    def commission(self) -> Decimal: ...
    @property
    def net(self) -> Decimal: ...
    @property
    def proposals(self) -> Sequence[ProposalData]: ...


WORDS = {
    "fr": {
        "title": "Relevé de reversement au créancier (CPCE R124-5)",
        "agency": "Société de recouvrement", "creditor": "Créancier", "period": "Période",
        "rate": "Taux de commission", "basis": "Commission à la charge du créancier (CPCE R124-3 3°), "
        "calculée au centime sur chaque encaissement.",
        "headers": ("Date", "Compte", "Débiteur", "Référence du paiement", "Factures", "Encaissé",
                    "Commission", "À reverser"),
        "total": "Total", "none": "Aucun encaissement sur la période.",
        "proposals": "Propositions de paiement autrement qu'au comptant (CPCE R124-5)",
        "proposal_headers": ("Date", "Compte", "Débiteur", "Proposition", "Montant", "Termes"),
        "no_proposal": "Aucune proposition sur la période.",
    },
    "en": {
        "title": "Remittance statement to the creditor (CPCE R124-5)",
        "agency": "Collection agency", "creditor": "Creditor", "period": "Period",
        "rate": "Commission rate", "basis": "Commission payable by the creditor (CPCE R124-3 3°), "
        "computed to the cent on each payment.",
        "headers": ("Date", "Account", "Debtor", "Payment reference", "Invoices", "Collected",
                    "Commission", "To remit"),
        "total": "Total", "none": "No payment in the period.",
        "proposals": "Proposals to pay otherwise than at once (CPCE R124-5)",
        "proposal_headers": ("Date", "Account", "Debtor", "Proposal", "Amount", "Terms"),
        "no_proposal": "No proposal in the period.",
    },
}


KINDS: dict[str, dict[str, str]] = {
    "fr": {"promise": "Promesse de paiement", "plan": "Échéancier", "reported_plan": "Échéancier (mandataire)"},
    "en": {"promise": "Promise to pay", "plan": "Payment plan", "reported_plan": "Payment plan (agent)"},
}


@cache
def _layout() -> Any:
    source = resources.files("relance.documents").joinpath("templates", "layout", "remittance.html.j2")
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    return env.from_string(source.read_text(encoding="utf-8"))


def remittance_html(statement: RemittanceData, lang: str = "fr") -> str:
    lang = "fr" if lang == "fr" else "en"

    def money(amount: Decimal) -> str:
        return format_money(amount, lang)

    rows = [
        (format_date(x.value_date, lang), x.account, x.debtor, x.reference, x.invoices, money(x.amount),
         money(x.commission), money(x.net))
        for x in statement.lines
    ]
    proposals = [
        (format_date(x.day, lang), x.account, x.debtor, KINDS[lang].get(x.kind, x.kind),
         money(x.amount), x.terms)
        for x in statement.proposals
    ]
    return str(_layout().render(
        lang=lang, w=WORDS[lang], proposals=proposals, agency=statement.agency, creditor=statement.creditor,
        start=format_date(statement.start, lang), end=format_date(statement.end, lang),
        rate=format_percent(statement.rate, lang), rows=rows,
        totals=(money(statement.collected), money(statement.commission), money(statement.net)),
    ))


def remittance_pdf(statement: RemittanceData, lang: str = "fr") -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=remittance_html(statement, lang)).write_pdf()
    return pdf
