"""EPC069-12 QR codes ("SEPA credit transfer" / "GiroCode"), built to the spec and drawn by segno.

The payload is a few lines of UTF-8 text (EPC069-12 v3, version 002)::

    BCD                service tag
    002                version (the BIC is optional in 002)
    1                  character set: UTF-8
    SCT                SEPA credit transfer
    <BIC>              may be empty
    <name>             beneficiary, at most 70 characters
    <IBAN>
    EUR<amount>        0.01 to 999999999.99, a dot as decimal mark, no thousands separator
    <purpose>          four-letter code, empty here
    <structured ref>   an ISO 11649 "RF" reference, or empty
    <text>             unstructured remittance information, at most 140 characters

Either the structured reference or the text is set, never both; our references (``R-2026-…``,
invoice numbers) are not RF creditor references, so they go in the text. The whole payload is
at most 331 bytes; the symbol uses error correction level M, as the spec requires.

One PNG writer (``_matrix_png``) draws every PNG code: the e-mails' and the debtor portal's
(``transfer_png``, cached, the creditor's part of the payload checked once) and ``epc_png``.
The letters print the same symbol as a bitmap (``documents.pdf``).
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache

import segno
from schwifty import BIC, IBAN
from schwifty.exceptions import SchwiftyException

from relance.domain.errors import InvalidInputError
from relance.domain.money import round_cents

MAX_PAYLOAD_BYTES = 331
MAX_AMOUNT = Decimal("999999999.99")


class EpcError(InvalidInputError):
    code = "epc_qr"


@dataclass(frozen=True, slots=True)
class EpcPayment:
    """What an EPC QR code carries."""

    name: str
    iban: str
    amount: Decimal
    text: str = ""
    bic: str = ""
    reference: str = ""  # an ISO 11649 RF reference, exclusive with ``text``
    currency: str = "EUR"


def epc_payload(payment: EpcPayment) -> str:
    """The EPC069-12 text for ``payment``, checked against the spec's limits.

    >>> print(epc_payload(EpcPayment("Atelier Durand SARL", "FR76 3000 6000 0112 3456 7890 189",
    ...                               Decimal("1234.5"), "R-2026-0001 F-1 F-2", "AGRIFRPP")))
    BCD
    002
    1
    SCT
    AGRIFRPP
    Atelier Durand SARL
    FR7630006000011234567890189
    EUR1234.50
    <BLANKLINE>
    <BLANKLINE>
    R-2026-0001 F-1 F-2
    """
    if payment.currency != "EUR":
        raise EpcError("An EPC QR code carries euros only.")
    try:
        iban = IBAN(payment.iban).compact
        bic = str(BIC(payment.bic)) if payment.bic.strip() else ""
    except SchwiftyException as exc:
        raise EpcError(f"Not a valid IBAN/BIC for the QR code: {exc}") from exc
    amount = round_cents(payment.amount)
    if not Decimal("0.01") <= amount <= MAX_AMOUNT:
        raise EpcError(f"The QR amount must be between 0.01 and {MAX_AMOUNT}, not {amount}.")
    name = " ".join(payment.name.split())[:70]
    if payment.reference and payment.text:
        raise EpcError("An EPC QR code has a structured reference or a text, not both.")
    text = " ".join(payment.text.split())[:140]
    lines = ["BCD", "002", "1", "SCT", bic, name, iban, f"EUR{amount}", "",
             payment.reference.replace(" ", ""), text]
    payload = "\n".join(lines)
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise EpcError(f"The EPC payload is longer than {MAX_PAYLOAD_BYTES} bytes.")
    return payload


def parse_epc_payload(payload: str) -> EpcPayment:
    """Read a payload back (tests, and checking a code scanned from a letter).

    >>> p = EpcPayment("A", "FR7630006000011234567890189", Decimal("10"), "F-1")
    >>> parse_epc_payload(epc_payload(p)) == EpcPayment("A", "FR7630006000011234567890189",
    ...                                                 Decimal("10.00"), "F-1")
    True
    """
    lines = payload.split("\n")
    lines += [""] * (12 - len(lines))
    if lines[:4] != ["BCD", "002", "1", "SCT"] and lines[:4] != ["BCD", "001", "1", "SCT"]:
        raise EpcError("Not an EPC069-12 payload.")
    amount_text = lines[7]
    if not amount_text.startswith("EUR"):
        raise EpcError("The EPC amount is not in euros.")
    return EpcPayment(name=lines[5], iban=lines[6], amount=Decimal(amount_text[3:]),
                      text=lines[10], bic=lines[4], reference=lines[9])


def epc_qr(payment: EpcPayment) -> segno.QRCode:
    """The QR symbol: byte mode, UTF-8, error correction M (not raised, as the spec asks)."""
    return _symbol(epc_payload(payment))


@lru_cache(maxsize=1024)
def _symbol(payload: str) -> segno.QRCode:
    # A fixed mask: any of the eight is valid QR, and scoring all eight costs more than the
    # rest of a letter's QR work (a batch draws a thousand of them). Cached by payload: a
    # letter redrawn, its PDF and its e-mail carry the same code; callers only read it.
    return segno.make_qr(payload, error="m", boost_error=False, encoding="utf-8", mask=0)


def epc_svg(payment: EpcPayment, *, scale: int = 3) -> bytes:
    """The QR code as SVG bytes (vector, for PDFs)."""
    out = io.BytesIO()
    epc_qr(payment).save(out, kind="svg", scale=scale, border=2, xmldecl=False)
    return out.getvalue()


def epc_png(payment: EpcPayment, *, scale: int = 6) -> bytes:
    """The QR code as PNG bytes, ``border`` 4 modules of quiet zone."""
    return _matrix_png(epc_qr(payment).matrix, scale=scale, border=4)


@lru_cache(maxsize=4096)
def transfer_png(name: str, iban: str, bic: str, amount: Decimal, text: str) -> bytes:
    """The EPC QR code of a transfer as a PNG (the e-mails' and the debtor portal's), cached by
    what it carries (a retry draws the same code); b"" when the creditor's IBAN or BIC cannot
    go into one."""
    try:
        payload = _epc_payload(name, iban, bic, amount, text)
    except EpcError:
        return b""
    return _matrix_png(_symbol(payload).matrix)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _matrix_png(matrix: Sequence[bytes | bytearray], *, scale: int = 4, border: int = 4) -> bytes:
    """A QR symbol's modules (1 dark, 0 light) as the PNG segno draws (the one PNG writer):
    1-bit greyscale, ``scale`` pixels a module, ``border`` modules of quiet zone. segno's writer
    packs the pixels one by one in Python (2 to 3 ms a message, as long as encoding the
    symbol); here each row is one ``str.translate`` and one integer, the same scanlines
    (tests compare them)."""
    width = (len(matrix) + 2 * border) * scale
    size = (width + 7) // 8
    pad = "0" * (size * 8 - width)
    side = "1" * (border * scale)
    pixels = {0: "1" * scale, 1: "0" * scale}  # a set bit is white
    blank = b"\0" + int("1" * width + pad, 2).to_bytes(size, "big")
    same = (b"\2" + bytes(size)) * (scale - 1)  # filter "Up", nothing changed: the row again
    rows = [blank * (border * scale)]
    for row in matrix:
        bits = side + bytes(row).decode("latin-1").translate(pixels) + side + pad
        rows += (b"\0" + int(bits, 2).to_bytes(size, "big"), same)
    rows.append(blank * (border * scale))
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", struct.pack(">2I5B", width, width, 1, 0, 0, 0, 0))
        + _png_chunk(b"IDAT", zlib.compress(b"".join(rows)))
        + _png_chunk(b"IEND", b"")
    )


@lru_cache(maxsize=256)
def _epc_head(name: str, iban: str, bic: str) -> str:
    """The payload's lines up to the amount, the IBAN and BIC checked once per creditor."""
    payload = epc_payload(EpcPayment(name=name, iban=iban, amount=Decimal("1.00"), bic=bic))
    return payload[: payload.index("\nEUR")]


def _epc_payload(name: str, iban: str, bic: str, amount: Decimal, text: str) -> str:
    """``epc_payload`` for a text, the creditor's part checked once (schwifty parses an
    IBAN in a tenth of a millisecond); tests compare the two."""
    value = round_cents(amount)
    if not Decimal("0.01") <= value <= MAX_AMOUNT:
        raise EpcError(f"The QR amount must be between 0.01 and {MAX_AMOUNT}, not {value}.")
    payload = f"{_epc_head(name, iban, bic)}\nEUR{value}\n\n\n{' '.join(text.split())[:140]}"
    if len(payload.encode("utf-8")) > MAX_PAYLOAD_BYTES:
        raise EpcError(f"The EPC payload is longer than {MAX_PAYLOAD_BYTES} bytes.")
    return payload
