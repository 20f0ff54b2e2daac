"""EPC069-12 QR codes: the payload as the spec writes it, read back from the drawn image."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from relance.documents.qr import (
    EpcError,
    EpcPayment,
    epc_payload,
    epc_png,
    epc_qr,
    epc_svg,
    parse_epc_payload,
)

PAYMENT = EpcPayment(name="Atelier Durand", iban="FR76 3000 6000 0112 3456 7890 189",
                     amount=Decimal("2385.68"), text="R-2026-0042 F-2026-0042 F-2026-0087",
                     bic="AGRIFRPP")


def test_the_payload_carries_iban_amount_and_reference_in_the_spec_order():
    lines = epc_payload(PAYMENT).split("\n")
    assert lines[:4] == ["BCD", "002", "1", "SCT"]
    assert lines[4:8] == ["AGRIFRPP", "Atelier Durand", "FR7630006000011234567890189",
                          "EUR2385.68"]
    assert lines[10] == "R-2026-0042 F-2026-0042 F-2026-0087"


def test_the_payload_parses_back_to_the_payment():
    back = parse_epc_payload(epc_payload(PAYMENT))
    assert (back.iban, back.amount, back.text) == (
        "FR7630006000011234567890189", Decimal("2385.68"), PAYMENT.text)


def test_the_symbol_uses_error_correction_m_and_byte_mode():
    qr = epc_qr(PAYMENT)
    assert qr.error == "M"
    assert qr.mode == "byte"


def test_the_png_decodes_back_to_the_payload():
    # zxing-cpp reads the rendered image, as a banking app would.
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    image = Image.open(io.BytesIO(epc_png(PAYMENT)))
    results = zxingcpp.read_barcodes(image)
    assert [r.text for r in results] == [epc_payload(PAYMENT)]


def test_svg_is_an_svg_document():
    assert b"<svg" in epc_svg(PAYMENT)


@pytest.mark.parametrize(("change", "message"), [
    ({"iban": "FR76 0000"}, "IBAN"),
    ({"amount": Decimal("0")}, "between"),
    ({"currency": "GBP"}, "euros"),
    ({"reference": "RF18539007547034"}, "not both"),
])
def test_bad_payments_are_refused(change, message):
    from dataclasses import replace

    with pytest.raises(EpcError, match=message):
        epc_payload(replace(PAYMENT, **change))
