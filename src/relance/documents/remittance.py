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


WORDS = {
    "fr": {
        "title": "Relevé de reversement au créancier (CPCE R124-5)",
        "agency": "Société de recouvrement", "creditor": "Créancier", "period": "Période",
        "rate": "Taux de commission", "basis": "Commission à la charge du créancier (CPCE R124-3 3°), "
        "calculée au centime sur chaque encaissement.",
        "headers": ("Date", "Compte", "Débiteur", "Référence du paiement", "Factures", "Encaissé",
                    "Commission", "À reverser"),
        "total": "Total", "none": "Aucun encaissement sur la période.",
    },
    "en": {
        "title": "Remittance statement to the creditor (CPCE R124-5)",
        "agency": "Collection agency", "creditor": "Creditor", "period": "Period",
        "rate": "Commission rate", "basis": "Commission payable by the creditor (CPCE R124-3 3°), "
        "computed to the cent on each payment.",
        "headers": ("Date", "Account", "Debtor", "Payment reference", "Invoices", "Collected",
                    "Commission", "To remit"),
        "total": "Total", "none": "No payment in the period.",
    },
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
    return str(_layout().render(
        lang=lang, w=WORDS[lang], agency=statement.agency, creditor=statement.creditor,
        start=format_date(statement.start, lang), end=format_date(statement.end, lang),
        rate=format_percent(statement.rate, lang), rows=rows,
        totals=(money(statement.collected), money(statement.commission), money(statement.net)),
    ))


def remittance_pdf(statement: RemittanceData, lang: str = "fr") -> bytes:
    from weasyprint import HTML

    pdf: bytes = HTML(string=remittance_html(statement, lang)).write_pdf()
    return pdf
