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


LONG = EpcPayment(name="Société Générale des Établissements Dupont-Moreau & Fils " * 2,
                  iban="FR76 3000 6000 0112 3456 7890 189", amount=Decimal("999999999.99"),
                  text="R-2026-9999 " + " ".join(f"F-2026-{n:04d}" for n in range(11)),
                  bic="AGRIFRPP")


@pytest.mark.parametrize("payment", [PAYMENT, LONG], ids=["short", "longest"])
def test_the_fixed_mask_keeps_the_version_and_level_the_mask_search_gives(payment):
    import segno

    payload = epc_payload(payment)
    searched = segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8")
    fixed = epc_qr(payment)
    assert (fixed.version, fixed.error, fixed.mode) == (searched.version, "M", "byte")
    assert fixed.mask == 0
    assert fixed.designator == f"{searched.version}-M"


@pytest.mark.parametrize("payment", [PAYMENT, LONG], ids=["short", "longest"])
def test_every_drawn_code_decodes_back_to_the_payload(payment):
    # The e-mails' PNG, the letters' bitmap and epc_png, each read by zxing-cpp.
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    from relance.documents.pdf import _qr_pbm
    from relance.documents.qr import transfer_png

    payload = epc_payload(payment)
    mail = transfer_png(payment.name, payment.iban, payment.bic, payment.amount, payment.text)
    letter = Image.open(io.BytesIO(_qr_pbm(payment))).convert("L")
    letter = letter.resize((letter.width * 6, letter.height * 6), Image.Resampling.NEAREST)
    for image in (Image.open(io.BytesIO(mail)), letter,
                  Image.open(io.BytesIO(epc_png(payment)))):
        assert [r.text for r in zxingcpp.read_barcodes(image)] == [payload]


def test_a_repeated_payload_is_encoded_once():
    from dataclasses import replace

    from relance.documents.qr import _symbol

    payment = replace(PAYMENT, text="R-2026-7777 cached once")
    first = epc_qr(payment)
    misses = _symbol.cache_info().misses
    assert epc_qr(payment) is first
    assert epc_svg(payment)
    assert epc_png(payment)
    assert _symbol.cache_info().misses == misses
