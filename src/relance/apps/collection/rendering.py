"""Default e-mail texts: one Jinja file per template and language, in a shared layout.

``templates/collection/email/<template>.<lang>.txt`` holds three blocks — ``subject``,
``intro``, ``closing`` — and the layouts (``_layout.<lang>.txt``, ``_layout.html``) wrap them
with the greeting, the table of invoices (number, date, due date, open amount), the payment
details and the creditor's identity. French by default; English when the debtor's language
is ``en``; a template missing in the debtor's language falls back to French.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2

from relance.errors import NotFoundError

TEMPLATES = Path(__file__).resolve().parent / "templates" / "collection" / "email"
LANGUAGES = ("fr", "en")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")
_LABELS = {
    "fr": {"hello": "Bonjour,", "invoice": "Facture", "date": "Date", "due": "Échéance", "open": "Reste dû",
           "total": "Total restant dû", "transfer": "Règlement par virement :", "regards": "Cordialement,",
           "ref": "Réf. client :"},
    "en": {"hello": "Hello,", "invoice": "Invoice", "date": "Date", "due": "Due", "open": "Outstanding",
           "total": "Total outstanding", "transfer": "Payment by bank transfer:", "regards": "Kind regards,",
           "ref": "Customer ref.:"},
}


def format_money(amount: Decimal, currency: str = "EUR", lang: str = "fr") -> str:
    """>>> format_money(Decimal("1234.5"), "EUR", "fr")
    '1 234,50 €'
    >>> format_money(Decimal("1234.5"), "EUR", "en")
    '€1,234.50'
    """
    text = f"{amount:,.2f}"
    if lang == "en":
        return f"€{text}" if currency == "EUR" else f"{text} {currency}"
    text = text.replace(",", " ").replace(".", ",")
    return f"{text} €" if currency == "EUR" else f"{text} {currency}"


def format_day(day: date, lang: str = "fr") -> str:
    if lang == "en":
        return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
    return day.strftime("%d/%m/%Y")


@lru_cache(maxsize=4)
def _env(lang: str, html: bool) -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=html,  # noqa: S701  (the text/plain part must not be HTML-escaped)
        keep_trailing_newline=True,
        trim_blocks=False,
    )
    env.filters["money"] = lambda amount, currency="EUR": format_money(amount, currency, lang)
    env.filters["day"] = lambda day: format_day(day, lang)
    return env


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    text: str
    html: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(f"{self.subject}\n\n{self.text}\n\n{self.html}".encode()).hexdigest()


def template_exists(template: str, lang: str = "fr") -> bool:
    return any((TEMPLATES / f"{template}.{code}.txt").is_file() for code in (lang, "fr"))


def email_render(*, template: str, lang: str, context: dict[str, Any]) -> RenderedEmail:
    """Render one step's e-mail. ``context``: creditor, debtor, invoices (dicts), as_of."""
    lang = lang if lang in LANGUAGES else "fr"
    chosen = lang if (TEMPLATES / f"{template}.{lang}.txt").is_file() else "fr"
    if not (TEMPLATES / f"{template}.{chosen}.txt").is_file():
        raise NotFoundError(f"no e-mail text for template {template!r} (looked for {template}.{lang}.txt)")
    env = _env(lang, False)
    invoices = context["invoices"]
    currencies = {i["currency"] for i in invoices}
    totals = [
        format_money(sum((i["open_amount"] for i in invoices if i["currency"] == c), Decimal("0.00")), c, lang)
        for c in sorted(currencies)
    ]
    ctx = {**context, "lang": lang, "total": " + ".join(totals), "labels": _LABELS[lang]}
    tmpl = env.get_template(f"{template}.{chosen}.txt")
    blocks = {
        name: "".join(tmpl.blocks[name](tmpl.new_context(ctx))).strip()
        for name in ("subject", "intro", "closing")
    }
    subject = " ".join(blocks["subject"].split())
    text = env.get_template(f"_layout.{lang}.txt").render({**ctx, **blocks, "subject": subject})
    html = _env(lang, True).get_template("_layout.html").render({**ctx, **blocks, "subject": subject})
    return RenderedEmail(subject=subject, text=text, html=html)
