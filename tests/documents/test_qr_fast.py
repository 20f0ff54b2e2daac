"""The fast QR writer draws exactly segno's symbol, and its PNG scans back to the payload."""

from __future__ import annotations

import io
import random
from decimal import Decimal

import pytest
import segno

from relance.documents.qr import EpcPayment, epc_payload
from relance.documents.qr_fast import png_from_matrix, qr_matrix, version_for


def _payloads() -> list[str]:
    rng = random.Random(4)
    out = []
    for length in range(1, 332, 5):  # every version an EPC payload can need (up to 331 bytes)
        tail = "".join(rng.choice("abcdéfghXYZ 0123-€\n") for _ in range(length))
        text = ("BCD\n002\n1\nSCT\n\n" + tail).encode()[:331].decode(errors="ignore")
        out.append(text)
    return out


@pytest.mark.parametrize("text", _payloads())
def test_the_matrix_is_segno_s_module_for_module(text):
    reference = segno.make_qr(text, error="m", boost_error=False, encoding="utf-8", mask=0)
    data = text.encode()
    assert version_for(len(data)) == reference.version
    assert [bytes(row) for row in qr_matrix(data)] == [bytes(row) for row in reference.matrix]


def test_the_versions_cover_every_epc_payload():
    assert {version_for(n) for n in range(1, 332)} == set(range(1, 14))
    with pytest.raises(ValueError, match="do not fit"):
        version_for(10_000)


def test_the_png_scans_back_and_has_the_modules_where_the_matrix_says():
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    payload = epc_payload(
        EpcPayment(
            "Atelier Lumière SAS",
            "FR7630006000011234567890189",
            Decimal("1234.5"),
            "R-2026-0001 FA-1 FA-2",
            "AGRIFRPP",
        )
    )
    matrix = qr_matrix(payload.encode())
    image = Image.open(io.BytesIO(png_from_matrix(matrix)))
    side = (len(matrix) + 8) * 4
    assert image.size == (side, side)
    (code,) = zxingcpp.read_barcodes(image)
    assert code.text == payload
    grey = image.convert("L")
    for i, row in enumerate(matrix):
        for j, dark in enumerate(row):
            assert (grey.getpixel((4 * (j + 4) + 2, 4 * (i + 4) + 1)) == 0) == bool(dark)
    assert grey.getpixel((0, 0)) == grey.getpixel((side - 1, side - 1)) == 255  # the quiet zone
