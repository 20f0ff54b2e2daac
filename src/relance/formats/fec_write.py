"""A journal entry written in the FEC's layout (art. A47 A-1 LPF), as ``FecReader`` reads it.

The 18 columns of ``relance.formats.fec.COLUMNS``, pipe separated, dates ``YYYYMMDD``, comma
decimals, UTF-8: an accountant imports it into the accounting package as an entry of the
journal given (``OD``, opérations diverses, by default).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from relance.domain.law.write_off import JournalLine
from relance.formats.fec import COLUMNS

SEPARATOR = "|"


def _amount(value: Decimal) -> str:
    return f"{value:.2f}".replace(".", ",")


def _clean(text: str) -> str:
    return " ".join(text.replace(SEPARATOR, "/").split())


def write_fec(
    lines: Iterable[JournalLine],
    *,
    entry: str,
    day: date,
    journal: tuple[str, str] = ("OD", "Opérations diverses"),
) -> bytes:
    """The entry ``entry`` dated ``day``, one FEC line per journal line, header first."""
    stamp = day.strftime("%Y%m%d")
    rows = [SEPARATOR.join(COLUMNS)]
    for line in lines:
        rows.append(SEPARATOR.join(_clean(cell) for cell in (
            journal[0], journal[1], entry, stamp, line.account, line.account_label, line.aux,
            line.aux_label, line.piece, stamp, line.label, _amount(line.debit), _amount(line.credit),
            "", "", stamp, "", "",
        )))
    return ("\r\n".join(rows) + "\r\n").encode("utf-8")
