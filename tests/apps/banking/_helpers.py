"""Small builders for bank files in tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

HEADER = "date;montant;tiers;iban;motif;reference\n"


def bank_csv(*lines: tuple[date, Decimal | str, str, str, str]) -> bytes:
    """A bank CSV: (booking date, signed amount, payer, payer IBAN, remittance) per line."""
    rows = [HEADER]
    for n, (day, amount, payer, iban, remittance) in enumerate(lines, start=1):
        text = str(amount).replace(".", ",")
        rows.append(f"{day:%d/%m/%Y};{text};{payer};{iban};{remittance};REF{n:04d}\n")
    return "".join(rows).encode()
