"""A debtor's statement of account (relevé de compte) as of a date, as an A4 PDF (WeasyPrint).

``StatementOfAccount`` holds what the ledger says on that day: the invoices still open, the
credits (credit notes not yet used up, money received beyond the invoices), the payments
received, and the net balance. Built by ``relance.apps.ledger.statements``; rendered here in
French or English, amounts and dates written the reader's way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined

from relance.documents.formatting import format_date, format_money


@dataclass(frozen=True, slots=True)
class StatementRow:
    reference: str
    day: date
    amount: Decimal  # signed: what it adds to the balance
    due: date | None = None
    total: Decimal | None = None
    note: str = ""
    kind: str = ""  # a payment's origin: "ledger" (settled per the export), "bank", or ""


@dataclass(frozen=True, slots=True)
class StatementOfAccount:
    as_of: date
    currency: str
    creditor_name: str
    creditor_lines: tuple[str, ...]
    debtor_name: str
    debtor_account: str
    debtor_lines: tuple[str, ...]
    invoices: tuple[StatementRow, ...] = ()
    credits: tuple[StatementRow, ...] = ()
    payments: tuple[StatementRow, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def invoices_total(self) -> Decimal:
        return sum((row.amount for row in self.invoices), Decimal("0.00"))

    @property
    def credits_total(self) -> Decimal:
        return sum((row.amount for row in self.credits), Decimal("0.00"))

    @property
    def balance(self) -> Decimal:
        return self.invoices_total + self.credits_total


LABELS = {
    "fr": {
        "title": "Relevé de compte",
        "as_of": "au",
        "account": "Compte client",
        "invoices": "Factures ouvertes",
        "credits": "Avoirs et crédits",
        "payments": "Paiements reçus",
        "reference": "Référence",
        "date": "Date",
        "due": "Échéance",
        "total": "Montant",
        "open": "Reste dû",
        "amount": "Montant",
        "none": "Aucun.",
        "invoices_total": "Total des factures ouvertes",
        "credits_total": "Total des crédits",
        "balance": "Solde net dû",
        "balance_credit": "Solde en votre faveur",
        "footer": "Ce relevé reprend les écritures connues le",
        "ledger": "Règlement constaté par votre comptabilité",
        "bank": "Virement reçu",
        "colon": "\u00a0:",
    },
    "en": {
        "title": "Statement of account",
        "as_of": "as of",
        "account": "Customer account",
        "invoices": "Open invoices",
        "credits": "Credit notes and credits",
        "payments": "Payments received",
        "reference": "Reference",
        "date": "Date",
        "due": "Due",
        "total": "Amount",
        "open": "Open",
        "amount": "Amount",
        "none": "None.",
        "invoices_total": "Open invoices total",
        "credits_total": "Credits total",
        "balance": "Net balance due",
        "balance_credit": "Balance in your favour",
        "footer": "This statement shows the entries known on",
        "ledger": "Settlement recorded in the accounts",
        "bank": "Transfer received",
        "colon": ":",
    },
}

_TEMPLATE = """<!DOCTYPE html><html lang="{{ lang }}"><head><meta charset="utf-8"><style>
@page { size: A4; margin: 15mm 20mm 18mm 20mm;
  @bottom-left { content: "{{ l.footer }} {{ date(s.as_of) }}"; font-size: 8pt; color: #555; } }
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #111; }
.parties { display: flex; justify-content: space-between; margin-bottom: 10mm; }
.parties div { width: 48%; } h1 { font-size: 15pt; margin: 0 0 4mm; }
h2 { font-size: 11pt; margin: 6mm 0 2mm; } table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 1.2mm 1.5mm; border-bottom: 0.3pt solid #bbb; }
th.num, td.num { text-align: right; } tfoot td { font-weight: bold; border-bottom: none; }
.balance { margin-top: 8mm; font-size: 12pt; font-weight: bold; text-align: right; }
</style></head><body>
<div class="parties"><div><strong>{{ s.creditor_name }}</strong>{% for x in s.creditor_lines %}<br>{{ x }}{% endfor %}</div>
<div><strong>{{ s.debtor_name }}</strong>{% for x in s.debtor_lines %}<br>{{ x }}{% endfor %}<br>{{ l.account }}{{ l.colon }} {{ s.debtor_account }}</div></div>
<h1>{{ l.title }} {{ l.as_of }} {{ date(s.as_of) }}</h1>
<h2>{{ l.invoices }}</h2>
{% if s.invoices %}<table><thead><tr><th>{{ l.reference }}</th><th>{{ l.date }}</th><th>{{ l.due }}</th><th class="num">{{ l.total }}</th><th class="num">{{ l.open }}</th></tr></thead><tbody>
{% for r in s.invoices %}<tr><td>{{ r.reference }}</td><td>{{ date(r.day) }}</td><td>{{ date(r.due) }}</td><td class="num">{{ money(r.total) }}</td><td class="num">{{ money(r.amount) }}</td></tr>{% endfor %}
</tbody><tfoot><tr><td colspan="4">{{ l.invoices_total }}</td><td class="num">{{ money(s.invoices_total) }}</td></tr></tfoot></table>
{% else %}<p>{{ l.none }}</p>{% endif %}
<h2>{{ l.credits }}</h2>
{% if s.credits %}<table><thead><tr><th>{{ l.reference }}</th><th>{{ l.date }}</th><th class="num">{{ l.amount }}</th></tr></thead><tbody>
{% for r in s.credits %}<tr><td>{% if r.kind == "ledger" %}{{ l.ledger }}{% elif r.kind == "bank" %}{{ l.bank }}{% if r.reference %} — {{ r.reference }}{% endif %}{% else %}{{ r.reference }}{% endif %}{% if r.note %} ({{ r.note }}){% endif %}</td><td>{{ date(r.day) }}</td><td class="num">{{ money(r.amount) }}</td></tr>{% endfor %}
</tbody><tfoot><tr><td colspan="2">{{ l.credits_total }}</td><td class="num">{{ money(s.credits_total) }}</td></tr></tfoot></table>
{% else %}<p>{{ l.none }}</p>{% endif %}
<h2>{{ l.payments }}</h2>
{% if s.payments %}<table><thead><tr><th>{{ l.reference }}</th><th>{{ l.date }}</th><th class="num">{{ l.amount }}</th></tr></thead><tbody>
{% for r in s.payments %}<tr><td>{% if r.kind == "ledger" %}{{ l.ledger }}{% elif r.kind == "bank" %}{{ l.bank }}{% if r.reference %} — {{ r.reference }}{% endif %}{% else %}{{ r.reference }}{% endif %}</td><td>{{ date(r.day) }}</td><td class="num">{{ money(r.amount) }}</td></tr>{% endfor %}
</tbody></table>{% else %}<p>{{ l.none }}</p>{% endif %}
<p class="balance">{% if s.balance >= 0 %}{{ l.balance }}{% else %}{{ l.balance_credit }}{% endif %} {{ l.as_of }} {{ date(s.as_of) }}{{ l.colon }} {{ money(s.balance if s.balance >= 0 else -s.balance) }}</p>
</body></html>"""


@cache
def _template() -> Any:
    return Environment(autoescape=True, undefined=StrictUndefined).from_string(_TEMPLATE)


def statement_html(statement: StatementOfAccount, lang: str = "fr") -> str:
    lang = lang if lang in LABELS else "fr"
    return str(
        _template().render(
            s=statement,
            l=LABELS[lang],
            lang=lang,
            date=lambda day: format_date(day, lang) if day else "",
            money=lambda amount: format_money(amount, lang, statement.currency)
            if amount is not None else "",
        )
    )


def render_statement(statement: StatementOfAccount, lang: str = "fr") -> bytes:
    """The statement as a PDF."""
    from weasyprint import HTML

    return bytes(HTML(string=statement_html(statement, lang)).write_pdf())
