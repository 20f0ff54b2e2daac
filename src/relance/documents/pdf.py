"""A4 letters with WeasyPrint, and the day's letters as one print-ready PDF batch.

Layout (``templates/layout/letter.css``): page margins 15 mm top, 20 mm left and right. The
recipient block sits where a French DL envelope (110 × 220 mm) with a right-hand window
(45 × 100 mm, 20 mm from the right edge and 15 mm from the bottom, the La Poste standard)
shows it once the sheet is folded in three: allowing for the sheet's slack in the envelope
(10 mm across, 11 mm down), the part of the sheet that is *always* visible is x 100–190 mm,
y 50–84 mm. The block is drawn at x 105–190 mm, y 52–84 mm: six lines of 9.5 pt DejaVu Sans
Condensed fit in 32 mm, and 38 characters in 85 mm. The letterhead stays left of x 98 mm.

Many letters are laid out as one WeasyPrint document (a batch chunk, or the single letter):
each letter is a page group of its own named page, whose ``@page`` rule sets the page counter
back to 1 and prints the letter's footer and page total, so "Page 1/2" restarts for every
letter of a batch (see ``_letters_html``). The EPC QR code (a bitmap of one pixel per module,
drawn unsmoothed) and the pay link are printed under the body when the creditor has an IBAN or
a pay-link template. Text is in DejaVu
Sans, which has every accented letter and the euro sign, so ``pdftotext`` reads them back.

``render_batch`` renders the letters in worker processes when there are many (WeasyPrint is
CPU-bound and single-threaded), in chunks of at most ``CHUNK_LETTERS``, joining each chunk's
pages as it comes back, behind a cover sheet listing every letter (debtor, reference, step,
pages). ``letter_pdfs`` cuts the batch back into one PDF per letter, as it was printed.
"""

from __future__ import annotations

import base64
import gc
import io
import os
import re
import threading
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, cast

from jinja2 import Environment, StrictUndefined
from markupsafe import Markup

from relance.documents.context import LetterContext
from relance.documents.formatting import format_date
from relance.documents.letter import Letter, compose_letter
from relance.documents.qr import EpcPayment, epc_qr
from relance.documents.templates import html_markup, step_name

LABELS = {
    "fr": {
        "qr": "Scannez ce code avec l'application de votre banque pour payer par virement.",
        "link": "Paiement en ligne :",
    },
    "en": {"qr": "Scan this code with your banking app to pay by transfer.", "link": "Pay online:"},
}
# Below this many letters a pool costs more than it saves.
PARALLEL_FROM = 40
# The most letters a worker lays out as one document.
CHUNK_LETTERS = 50


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
    return (
        resources.files("relance.documents")
        .joinpath("templates", "layout", name)
        .read_text(encoding="utf-8")
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
        qr = "data:image/x-portable-bitmap;base64," + base64.b64encode(_qr_pbm(letter.qr)).decode()
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


def _qr_pbm(payment: EpcPayment, border: int = 2) -> bytes:
    """The EPC QR code as a bitmap of one pixel per module, ``border`` modules of margin.

    Drawn 22 mm wide with ``image-rendering: pixelated`` (the PDF image is not interpolated),
    it prints as sharp as a vector drawing, and costs WeasyPrint far less than an SVG path of
    hundreds of segments. A binary PBM, written straight from segno's modules, rather than
    segno's PNG: WeasyPrint decodes either with Pillow and embeds the same pixels, and the PBM
    takes a quarter of the time to write.
    """
    modules = epc_qr(payment).matrix
    width = len(modules) + 2 * border
    padding = -width % 8  # each row fills whole bytes
    row_bytes = (width + padding) // 8
    margin = [bytes(row_bytes)] * border
    rows = [
        int(
            "0" * border
            + "".join("1" if dark & 1 else "0" for dark in row)
            + "0" * (border + padding),
            2,
        ).to_bytes(row_bytes, "big")
        for row in modules
    ]
    return b"P4\n%d %d\n" % (width, width) + b"".join(margin + rows + margin)


def _page(fragments: str, lang: str, footer: str = "", style: str = "") -> str:
    # The footer goes straight into the margin box: ``string-set`` would cost a layout pass.
    if not style:
        style = f"@page {{ @bottom-left {{ content: {_css_string(footer)} }} }}"
    return (
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">'
        f"<style>{style}</style></head><body>{fragments}</body></html>"
    )


def _css_string(text: str) -> str:
    r"""A CSS string literal that cannot close the rule it sits in.

    >>> print(_css_string('a "b" </style>'))
    "a \22 b\22  \3C /style\3E "
    """
    escaped = "".join(
        ch if ch.isalnum() or ch in " -—.,:/'" else "\\" + f"{ord(ch):X} " for ch in text
    )
    return f'"{escaped}"'


# Pages seen per (step, language): the guess of how many pages a letter takes (see _letters_html).
_PAGES_SEEN: dict[tuple[str, str], int] = {}


def _letters_html(letters: Sequence[Letter], totals: Sequence[int], first: int) -> str:
    """Several letters as one HTML document, each on its own pages numbered "Page X/Y".

    Each letter starts a page group of a named page (``page: pN``) that carries its footer and
    its page total ``Y``; the page counter is set back to 1 on the first page of each group.
    Writing the totals out, rather than ``counter(pages)``, spares WeasyPrint a second layout
    pass, and ``counter(pages)`` would count the whole document. Letter ``i`` carries the id
    ``letter-{first + i}``, which tells on which page it starts.
    """
    names: dict[tuple[str, int], str] = {}
    fragments = []
    for index, (letter, total) in enumerate(zip(letters, totals, strict=True)):
        name = names.setdefault((letter.footer, total), f"p{len(names)}")
        fragments.append(
            f'<div id="letter-{first + index}" style="page: {name}">{letter_html(letter)}</div>'
        )
    style = ".pay img { image-rendering: pixelated }" + "".join(
        f"@page {name} {{ @bottom-left {{ content: {_css_string(footer)} }}"
        f' @bottom-right {{ content: "Page " counter(page) "/{total}" }} }}'
        f" @page {name}:nth(1 of {name}) {{ counter-set: page 1 }}"
        for (footer, total), name in names.items()
    )
    return _page("".join(fragments), letters[0].lang, style=style)


def _lay_out(letters: Sequence[Letter], totals: Sequence[int], first: int) -> tuple[Any, list[int]]:
    """The letters laid out as one document, and how many pages each one took."""
    from weasyprint import HTML

    document = HTML(string=_letters_html(letters, totals, first), base_url=".").render(
        stylesheets=[_stylesheet()], font_config=_font_config()
    )
    starts: dict[str, int] = {}
    for number, page in enumerate(document.pages):
        for anchor in page.anchors:
            starts.setdefault(anchor, number)
    bounds = [starts[f"letter-{first + index}"] for index in range(len(letters))]
    bounds.append(len(document.pages))
    return document, [bounds[i + 1] - bounds[i] for i in range(len(letters))]


def _render_letters(letters: Sequence[Letter], first: int = 0) -> tuple[Any, list[int]]:
    """The letters as one WeasyPrint document, each numbered on its own, and their page counts.

    A letter's page total is printed before the layout tells it, so it is guessed (what the
    same step took last time, else one page); the letters guessed wrong are laid out again with
    their real totals and their pages put in place of the first ones. The body's layout does
    not depend on the footer, so the second pass gives the same page counts.
    """
    totals = [_PAGES_SEEN.get((letter.step, letter.lang), 1) for letter in letters]
    document, counts = _lay_out(letters, totals, first)
    offsets = [0]
    for count in counts:
        offsets.append(offsets[-1] + count)
    pages = [document.pages[offsets[i] : offsets[i + 1]] for i in range(len(letters))]
    wrong = [i for i in range(len(letters)) if counts[i] != totals[i]]
    for i in wrong:
        _PAGES_SEEN[(letters[i].step, letters[i].lang)] = counts[i]
    if wrong:
        again, again_counts = _lay_out(
            [letters[i] for i in wrong], [counts[i] for i in wrong], first + len(letters)
        )
        if again_counts != [counts[i] for i in wrong]:
            raise RuntimeError("letters changed page count between two layouts")
        position = 0
        for i, count in zip(wrong, again_counts, strict=True):
            pages[i] = again.pages[position : position + count]
            position += count
    return document.copy([page for letter_pages in pages for page in letter_pages]), counts


def _call(function: Callable[..., Any], *args: Any) -> Any:
    return function(*args)


# CPython keeps the frames of Python calls in 16 KiB chunks of memory and unmaps a chunk as soon
# as the calls in it return. WeasyPrint's layout recurses deep enough to cross a chunk boundary
# back and forth some 500 times a letter: an mmap, page faults and a munmap each time, 5 to 9 ms
# of system time per letter (strace: 10,000 mmap/munmap pairs for 20 letters). Called through
# ``_with_stack_room``, whose frame claims 64 KiB of stack slots it never uses, the rendering
# starts in a fresh 128 KiB chunk with room for its whole recursion; minor page faults per
# letter fall from 300-900 to about 50. Any Python runs it unchanged, the slots merely unused.
_with_stack_room = cast(
    Callable[..., Any],
    types.FunctionType(
        _call.__code__.replace(co_stacksize=_call.__code__.co_stacksize + 8192),
        _call.__globals__,
        "_with_stack_room",
    ),
)


def render_letter(context: LetterContext, step: str, lang: str | None = None) -> bytes:
    """The letter for ``step`` as a PDF."""
    return cast(bytes, _with_stack_room(_render_letter_here, context, step, lang))


def _render_letter_here(context: LetterContext, step: str, lang: str | None) -> bytes:
    document, _ = _render_letters([compose_letter(context, step, lang)])
    return bytes(document.write_pdf())


_gc_lock = threading.Lock()
_gc_pausers = 0
_gc_was_enabled = False


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a batch's PDFs are made.

    A chunk's layout keeps hundreds of thousands of boxes and styles alive until it is drawn,
    which every full collection walks again: 8 to 12 % of a chunk's CPU time went to a few
    collections that freed nothing. What the chunk leaves behind is collected, young, once
    the collector runs again. Threads rendering at once share the pause; the last one out
    restores it.
    """
    global _gc_pausers, _gc_was_enabled
    with _gc_lock:
        if _gc_pausers == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pausers += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pausers -= 1
            if _gc_pausers == 0 and _gc_was_enabled:
                gc.enable()


def _render_chunk(chunk: tuple[int, Sequence[LetterJob]]) -> tuple[bytes, list[BatchEntry]]:
    """Render the jobs (the first one being the batch's letter ``first``) into one PDF."""
    return cast(tuple[bytes, list[BatchEntry]], _with_stack_room(_render_chunk_here, chunk))


def _render_chunk_here(chunk: tuple[int, Sequence[LetterJob]]) -> tuple[bytes, list[BatchEntry]]:
    first, jobs = chunk
    with _collector_paused():
        letters = [compose_letter(job.context, job.step, job.lang) for job in jobs]
        document, counts = _render_letters(letters, first)
        entries = [
            BatchEntry(letter.debtor_name, letter.reference, letter.step, count)
            for letter, count in zip(letters, counts, strict=True)
        ]
        return bytes(document.write_pdf()), entries


def _cover_html(entries: Sequence[BatchEntry], title: str, lang: str) -> str:
    fr = lang == "fr"
    head = (
        ("Débiteur", "Référence", "Étape", "Pages")
        if fr
        else ("Debtor", "Reference", "Step", "Pages")
    )
    rows = "".join(
        "<tr>"
        + "".join(f"<td>{Markup.escape(v)}</td>" for v in (e.debtor, e.reference, e.step, e.pages))
        + "</tr>"
        for e in entries
    )
    total = sum(e.pages for e in entries)
    summary = (
        f"{len(entries)} lettres, {total} pages" if fr else f"{len(entries)} letters, {total} pages"
    )
    return (
        f'<div class="cover"><h1>{Markup.escape(title)}</h1><p>{summary}</p><table><thead><tr>'
        + "".join(f"<th>{h}</th>" for h in head)
        + f"</tr></thead><tbody>{rows}</tbody>"
        "</table></div>"
    )


def render_batch(
    letters: Sequence[LetterJob],
    *,
    title: str = "",
    lang: str = "fr",
    workers: int | None = None,
) -> tuple[bytes, list[BatchEntry]]:
    """One print-ready PDF: a cover sheet listing the letters, then every letter.

    ``workers`` defaults to the CPU count; small batches are rendered in this process. With a
    pool, the cover sheet is rendered in it too, beside the letters, from each letter's
    guessed page count; if a guess was wrong it is rendered again here with the real ones.
    """
    if not letters:
        raise ValueError("render_batch needs at least one letter")
    heading = title or (
        f"Lettres du {format_date(letters[0].context.letter_date, 'fr')}"
        if lang == "fr"
        else f"Letters of {format_date(letters[0].context.letter_date, 'en')}"
    )
    count = workers or os.cpu_count() or 1
    if count > 1 and len(letters) >= PARALLEL_FROM:
        # A few chunks per worker even the load, small enough that the last one to finish
        # keeps the other workers idle briefly; beyond a few dozen letters, a chunk's fixed
        # costs (fonts, the PDF's structure) are under 1 % of it.
        size = min(CHUNK_LETTERS, -(-len(letters) // (count * 4)))
        chunks = [(i, letters[i : i + size]) for i in range(0, len(letters), size)]
        guessed = [_guessed_entry(job) for job in letters]
        _stylesheet()  # fonts and stylesheet loaded once, here: forked workers inherit them
        joined = _Joiner()
        entries = []
        with ProcessPoolExecutor(max_workers=count) as pool:
            cover_future = pool.submit(_cover_pdf, guessed, heading, lang)
            # The workers are started (forked with the collector on): the chunks are joined
            # here as they come in, while the workers render the next ones.
            with _collector_paused():
                for pdf, chunk_entries in pool.map(_render_chunk, chunks):
                    joined.append(pdf)
                    entries += chunk_entries
                cover = cover_future.result()
                if entries != guessed:
                    cover = _cover_pdf(entries, heading, lang)
                joined.insert_first(cover)
                return joined.pdf(), entries
    pdf, entries = _render_chunk((0, letters))
    return _join([_cover_pdf(entries, heading, lang), pdf]), entries


def letter_pdfs(batch: bytes, entries: Sequence[BatchEntry]) -> list[bytes]:
    """Each letter of a ``render_batch`` PDF as a PDF of its own, as it was printed.

    WeasyPrint gives all the pages of a chunk one resource dictionary naming every image of the
    chunk: copied as it is, a letter would carry the QR codes of the other letters of its
    chunk (the other debtors' references and amounts). Each page keeps the images it draws.
    Pages are copied one by one: ``PdfWriter.append`` reads the whole batch's outline and
    destinations again for every letter (28 ms a letter for a 1,000-letter batch, against 4).
    """
    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(batch))
    start = len(reader.pages) - sum(entry.pages for entry in entries)
    pdfs = []
    with _collector_paused():
        for entry in entries:
            writer = PdfWriter()
            for page in reader.pages[start : start + entry.pages]:
                _keep_drawn_images(page)
                writer.add_page(page)
            start += entry.pages
            out = io.BytesIO()
            writer.write(out)
            pdfs.append(out.getvalue())
    return pdfs


def _keep_drawn_images(page: Any) -> None:
    """Narrow ``page``'s images (XObjects) to those its content draws."""
    from pypdf.generic import DictionaryObject, NameObject

    resources = cast(DictionaryObject, page["/Resources"].get_object())
    contents = page.get_contents()
    if "/XObject" not in resources or contents is None:
        return
    drawn = set(_DRAWN.findall(contents.get_data()))
    images = cast(DictionaryObject, resources["/XObject"].get_object())
    kept = DictionaryObject(resources)
    kept[NameObject("/XObject")] = DictionaryObject(
        {name: ref for name, ref in images.items() if name[1:].encode() in drawn}
    )
    page[NameObject("/Resources")] = kept


# "/name Do" in a content stream: the page draws the XObject ``name``.
_DRAWN = re.compile(rb"/([^\s/\[\]()<>{}%]+)\s+Do\b")


def _guessed_entry(job: LetterJob) -> BatchEntry:
    """The letter's line on the cover, its page count guessed (see ``_render_letters``)."""
    step = step_name(job.step)
    pages = _PAGES_SEEN.get((step, job.lang or job.context.lang), 1)
    return BatchEntry(job.context.debtor.name, job.context.reference, step, pages)


def _cover_pdf(entries: Sequence[BatchEntry], heading: str, lang: str) -> bytes:
    return cast(bytes, _with_stack_room(_cover_pdf_here, entries, heading, lang))


def _cover_pdf_here(entries: Sequence[BatchEntry], heading: str, lang: str) -> bytes:
    from weasyprint import HTML

    with _collector_paused():
        cover = HTML(string=_page(_cover_html(entries, heading, lang), lang)).render(
            stylesheets=[_stylesheet()], font_config=_font_config()
        )
        return bytes(cover.write_pdf())


class _Joiner:
    """PDFs concatenated as they come (pypdf, which factur-x already brings in)."""

    def __init__(self) -> None:
        from pypdf import PdfWriter

        self._writer = PdfWriter()

    def append(self, pdf: bytes) -> None:
        self._writer.append(io.BytesIO(pdf))

    def insert_first(self, pdf: bytes) -> None:
        self._writer.merge(0, io.BytesIO(pdf))

    def pdf(self) -> bytes:
        out = io.BytesIO()
        self._writer.write(out)
        return out.getvalue()


def _join(pdfs: Sequence[bytes]) -> bytes:
    """The PDFs concatenated."""
    with _collector_paused():
        joined = _Joiner()
        for pdf in pdfs:
            joined.append(pdf)
        return joined.pdf()
