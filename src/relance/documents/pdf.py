"""A4 letters with WeasyPrint, and the day's letters as one print-ready PDF batch.

Layout (``templates/layout/letter.css``): page margins 15 mm top, 20 mm left and right. The
recipient block sits where a French DL envelope (110 × 220 mm) with a right-hand window
(45 × 100 mm, 20 mm from the right edge and 15 mm from the bottom, the La Poste standard)
shows it once the sheet is folded in three: allowing for the sheet's slack in the envelope
(10 mm across, 11 mm down), the part of the sheet that is *always* visible is x 100–190 mm,
y 50–84 mm. The block is drawn at x 105–190 mm, y 52–84 mm: six lines of 9.5 pt DejaVu Sans
Condensed fit in 32 mm, and 38 characters in 85 mm. The letterhead stays left of x 98 mm.

Page numbers ("Page 1/2") come from the CSS ``@page`` counters of each letter's own document,
so they restart for every letter of a batch. The EPC QR code (SVG, vector) and the pay link are
printed under the body when the creditor has an IBAN or a pay-link template. Text is in DejaVu
Sans, which has every accented letter and the euro sign, so ``pdftotext`` reads them back.

``render_batch`` renders the letters in worker processes when there are many (WeasyPrint is
CPU-bound and single-threaded), then joins the pages behind a cover sheet listing every letter
(debtor, reference, step, pages).
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from relance.documents.context import LetterContext
from relance.documents.letter import Letter, compose_letter
from relance.documents.qr import epc_svg
from relance.documents.templates import format_date, html_markup

LABELS = {
    "fr": {"qr": "Scannez ce code avec l'application de votre banque pour payer par virement.",
           "link": "Paiement en ligne :"},
    "en": {"qr": "Scan this code with your banking app to pay by transfer.",
           "link": "Pay online:"},
}
# Below this many letters a pool costs more than it saves.
PARALLEL_FROM = 40


@dataclass(frozen=True, slots=True)
class LetterJob:
    """One letter of a batch: what to render."""

    context: LetterContext
    step: str
    lang: str | None = None


@dataclass(frozen=True, slots=True)
class BatchEntry:
    debtor: str
    reference: str
    step: str
    pages: int


def _layout_file(name: str) -> str:
    return resources.files("relance.documents").joinpath("templates", "layout", name).read_text(
        encoding="utf-8"
    )


@cache
def _layout() -> Any:
    # Our own trusted layout; user-editable texts reach it already escaped (``html_markup``).
    env = Environment(autoescape=True, undefined=StrictUndefined, trim_blocks=True)
    return env.from_string(_layout_file("letter.html.j2"))


@cache
def _font_config() -> Any:
    # One font configuration per process: building it for each letter costs a few ms.
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


@cache
def _stylesheet() -> Any:
    from weasyprint import CSS

    return CSS(string=_layout_file("letter.css"), font_config=_font_config())


def letter_html(letter: Letter) -> str:
    """The letter's HTML fragment (one ``<div class="letter">``)."""
    qr = ""
    if letter.qr is not None:
        qr = "data:image/svg+xml;base64," + base64.b64encode(epc_svg(letter.qr)).decode()
    logo = ""
    if letter.logo_path:
        from pathlib import Path

        logo = Path(letter.logo_path).resolve().as_uri()
    return str(
        _layout().render(
            letter=letter,
            body=html_markup(letter.body),
            qr=qr,
            logo=logo,
            labels=LABELS.get(letter.lang, LABELS["fr"]),
        )
    )


def _page(fragments: str, lang: str, footer: str = "") -> str:
    # The footer goes straight into the margin box: ``string-set`` would cost a layout pass.
    style = f"<style>@page {{ @bottom-left {{ content: {_css_string(footer)} }} }}</style>"
    return (f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">{style}</head>'
            f"<body>{fragments}</body></html>")


def _css_string(text: str) -> str:
    r"""A CSS string literal that cannot close the rule it sits in.

    >>> print(_css_string('a "b" </style>'))
    "a \22 b\22  \3C /style\3E "
    """
    escaped = "".join(
        ch if ch.isalnum() or ch in " -—.,:/'" else "\\" + f"{ord(ch):X} " for ch in text
    )
    return f'"{escaped}"'



def _document(letter: Letter) -> Any:
    from weasyprint import HTML

    return HTML(string=_page(letter_html(letter), letter.lang, letter.footer),
                base_url=".").render(stylesheets=[_stylesheet()], font_config=_font_config())


def render_letter(context: LetterContext, step: str, lang: str | None = None) -> bytes:
    """The letter for ``step`` as a PDF."""
    document = _document(compose_letter(context, step, lang))
    return bytes(document.write_pdf())


def _render_chunk(jobs: Sequence[LetterJob]) -> tuple[bytes, list[BatchEntry]]:
    """Render ``jobs`` into one PDF (pages joined), with each letter's entry."""
    documents = []
    entries = []
    for job in jobs:
        letter = compose_letter(job.context, job.step, job.lang)
        document = _document(letter)
        documents.append(document)
        entries.append(BatchEntry(letter.debtor_name, letter.reference, letter.step,
                                  len(document.pages)))
    pages = [page for document in documents for page in document.pages]
    return bytes(documents[0].copy(pages).write_pdf()), entries


def _cover_html(entries: Sequence[BatchEntry], title: str, lang: str) -> str:
    fr = lang == "fr"
    head = ("Débiteur", "Référence", "Étape", "Pages") if fr else (
        "Debtor", "Reference", "Step", "Pages")
    rows = "".join(
        "<tr>" + "".join(f"<td>{Markup.escape(v)}</td>" for v in
                         (e.debtor, e.reference, e.step, e.pages)) + "</tr>"
        for e in entries
    )
    total = sum(e.pages for e in entries)
    summary = (f"{len(entries)} lettres, {total} pages" if fr
               else f"{len(entries)} letters, {total} pages")
    return (f'<div class="cover"><h1>{Markup.escape(title)}</h1><p>{summary}</p><table><thead><tr>'
            + "".join(f"<th>{h}</th>" for h in head) + f"</tr></thead><tbody>{rows}</tbody>"
            "</table></div>")


def render_batch(
    letters: Sequence[LetterJob],
    *,
    title: str = "",
    lang: str = "fr",
    workers: int | None = None,
) -> tuple[bytes, list[BatchEntry]]:
    """One print-ready PDF: a cover sheet listing the letters, then every letter.

    ``workers`` defaults to the CPU count; small batches are rendered in this process.
    """
    from weasyprint import HTML

    if not letters:
        raise ValueError("render_batch needs at least one letter")
    count = workers or os.cpu_count() or 1
    if count > 1 and len(letters) >= PARALLEL_FROM:
        size = -(-len(letters) // (count * 4))  # a few chunks per worker evens the load
        chunks = [letters[i : i + size] for i in range(0, len(letters), size)]
        with ProcessPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(_render_chunk, chunks))
        entries = [entry for _, chunk_entries in results for entry in chunk_entries]
        parts = [pdf for pdf, _ in results]
    else:
        pdf, entries = _render_chunk(letters)
        parts = [pdf]
    heading = title or (
        f"Lettres du {format_date(letters[0].context.letter_date, 'fr')}" if lang == "fr"
        else f"Letters of {format_date(letters[0].context.letter_date, 'en')}"
    )
    cover = HTML(string=_page(_cover_html(entries, heading, lang), lang)).render(
        stylesheets=[_stylesheet()], font_config=_font_config()
    )
    return _join([bytes(cover.write_pdf()), *parts]), entries


def _join(pdfs: Sequence[bytes]) -> bytes:
    """Concatenate PDFs (pypdf, which factur-x already brings in)."""
    from pypdf import PdfWriter

    writer = PdfWriter()
    for pdf in pdfs:
        writer.append(io.BytesIO(pdf))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
