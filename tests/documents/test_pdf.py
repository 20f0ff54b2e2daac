"""PDF letters read back with pdftotext: accents, euro sign, page numbers, the window block."""

from __future__ import annotations

import gc
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from relance.documents.pdf import LetterJob, letter_pdfs, render_batch, render_letter
from tests.documents.samples import business_context, consumer_context

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)
MM = 72 / 25.4
# What a DL right-hand window always shows of the sheet (see relance.documents.pdf).
WINDOW = {"x": (100 * MM, 190 * MM), "y": (50 * MM, 84 * MM)}


@pytest.fixture(scope="module")
def formal_notice_pdf(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "formal_notice.pdf"
    path.write_bytes(render_letter(business_context("formal_notice"), "formal_notice"))
    return path


def pdftotext(path: Path, *args: str) -> str:
    return subprocess.run(
        ["pdftotext", *args, str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_accents_and_the_euro_sign_come_out_right(formal_notice_pdf):
    text = pdftotext(formal_notice_pdf, "-layout")
    assert "MISE EN DEMEURE" in text
    assert "Lettre recommandée avec accusé de réception" in text
    assert "À Lyon, le 23 avril 2026" in text
    assert re.search(r"2\s?385,68\s?€", text)
    assert "créancière" in text


def test_pages_are_numbered_out_of_the_total(formal_notice_pdf):
    text = pdftotext(formal_notice_pdf, "-layout")
    assert "Page 1/2" in text
    assert "Page 2/2" in text


def test_the_letterhead_states_the_creditors_identity(formal_notice_pdf):
    text = pdftotext(formal_notice_pdf, "-layout", "-l", "1")
    assert "SIREN 732 829 320" in text
    assert "TVA intracommunautaire FR44732829320" in text


def test_the_address_block_sits_inside_the_envelope_window(formal_notice_pdf):
    bbox = pdftotext(formal_notice_pdf, "-bbox", "-f", "1", "-l", "1")
    words = re.findall(
        r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
        r"([^<]*)</word>",
        bbox,
    )
    block = {"Boulangerie", "Paul", "Service", "Jaurès", "69007", "LYON"}
    found: dict[str, tuple[float, ...]] = {}
    for word in words:  # the first occurrence: the body names the debtor again
        if word[4] in block:
            found.setdefault(word[4], tuple(map(float, word[:4])))
    assert set(found) == block
    for x0, y0, x1, y1 in found.values():
        assert WINDOW["x"][0] <= x0
        assert x1 <= WINDOW["x"][1]
        assert WINDOW["y"][0] <= y0
        assert y1 <= WINDOW["y"][1]


def test_nothing_else_shows_through_the_window(formal_notice_pdf):
    cropped = pdftotext(
        formal_notice_pdf,
        "-f",
        "1",
        "-l",
        "1",
        "-x",
        str(int(100 * MM)),
        "-y",
        str(int(50 * MM)),
        "-W",
        str(int(90 * MM)),
        "-H",
        str(int(34 * MM)),
        "-r",
        "72",
    )
    expected = (
        "Boulangerie Martin SAS À l’attention de M. Paul Martin Service comptabilité "
        "8 avenue Jean Jaurès 69007 LYON"
    )
    assert " ".join(cropped.split()) == expected


def test_the_qr_code_and_pay_link_are_printed(formal_notice_pdf):
    text = pdftotext(formal_notice_pdf, "-raw")
    assert "Scannez ce code" in text
    link = "https://pay.atelier-durand.fr/p?i=F-2026-0042%2CF-2026-0087&a=2385.68&d=C00042"
    assert link in "".join(text.split())  # a long link wraps


def test_a_batch_has_a_cover_sheet_listing_each_letter(tmp_path):
    jobs = [
        LetterJob(business_context("reminder_letter"), "reminder_letter"),
        LetterJob(consumer_context("formal_notice"), "formal_notice"),
    ]
    pdf, entries = render_batch(jobs, workers=1)
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    cover = pdftotext(path, "-layout", "-l", "1")
    assert "Lettres du 23 avril 2026" in cover
    assert "Mme Sophie Lefèvre" in cover
    assert [e.step for e in entries] == ["reminder_letter", "formal_notice"]
    pages = pdftotext(path, "-layout").count("\f")
    assert pages == 1 + sum(e.pages for e in entries)


def test_the_printed_qr_code_reads_back_as_the_payment(formal_notice_pdf, tmp_path):
    # Scanned from the page as a banking app would see it: rasterised at 300 dpi.
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from relance.documents.letter import compose_letter
    from relance.documents.qr import epc_payload

    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "300",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            str(formal_notice_pdf),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    (image,) = tmp_path.glob("page*.png")
    results = zxingcpp.read_barcodes(Image.open(image))
    letter = compose_letter(business_context("formal_notice"), "formal_notice")
    assert [r.text for r in results] == [epc_payload(letter.qr)]


def test_a_pooled_batch_numbers_each_letter_on_its_own_and_lists_it_on_the_cover(tmp_path):
    # Enough letters for the worker pool; every tenth a two-page mise en demeure, whose page
    # total the first layout guesses wrong.
    from relance.documents.pdf import PARALLEL_FROM

    jobs = [
        LetterJob(business_context("formal_notice"), "formal_notice")
        if n % 10 == 3
        else LetterJob(consumer_context("reminder_letter"), "reminder_letter")
        for n in range(PARALLEL_FROM)
    ]
    pdf, entries = render_batch(jobs, workers=2)
    assert gc.isenabled()  # paused while the chunks were joined, and on again
    path = tmp_path / "batch.pdf"
    path.write_bytes(pdf)
    assert [e.pages for e in entries] == [2 if n % 10 == 3 else 1 for n in range(PARALLEL_FROM)]
    pages = pdftotext(path, "-layout").split("\f")[:-1]
    cover_pages = len(pages) - sum(e.pages for e in entries)
    cover = "".join(pages[:cover_pages])
    assert f"{PARALLEL_FROM} lettres, {sum(e.pages for e in entries)} pages" in cover
    numbers = [re.search(r"Page (\d+)/(\d+)", page).groups() for page in pages[cover_pages:]]
    expected = []
    for e in entries:
        expected += [(str(n), str(e.pages)) for n in range(1, e.pages + 1)]
    assert numbers == expected


def test_a_batch_restores_the_garbage_collector_it_paused():
    jobs = [LetterJob(business_context("reminder_letter"), "reminder_letter")]
    assert gc.isenabled()
    render_batch(jobs, workers=1)
    assert gc.isenabled()
    gc.disable()
    try:
        render_batch(jobs, workers=1)
        assert not gc.isenabled()  # a caller's own pause is kept
    finally:
        gc.enable()


def test_each_letter_of_a_batch_keeps_only_its_own_qr_code(tmp_path):
    import io

    from pypdf import PdfReader

    jobs = [
        LetterJob(business_context("formal_notice"), "formal_notice"),
        LetterJob(consumer_context("reminder_letter"), "reminder_letter"),
    ]
    pdf, entries = render_batch(jobs, workers=1)
    documents = letter_pdfs(pdf, entries)
    assert len(documents) == 2
    images = []
    for document, entry in zip(documents, entries, strict=True):
        pages = PdfReader(io.BytesIO(document)).pages
        assert len(pages) == entry.pages
        images.append(sum(len(page["/Resources"].get("/XObject", {})) for page in pages))
    assert images == [1, 1]  # the batch's pages name both QR codes
    first = tmp_path / "first.pdf"
    first.write_bytes(documents[0])
    text = pdftotext(first, "-layout")
    assert "Boulangerie Martin SAS" in text
    assert "Page 2/2" in text
    assert "Sophie Lefèvre" not in text
