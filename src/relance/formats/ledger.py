"""Open a creditor's ledger export, whatever its format: the CSV ledger or the FEC.

The format is recognised from the content (the header line), never from the file name, since
users rename exports freely. See ``relance.formats.ledger_csv`` and ``relance.formats.fec``.
"""

from __future__ import annotations

from typing import BinaryIO, Literal

from relance.domain.errors import InvalidInputError
from relance.domain.ledger import LedgerReader
from relance.formats import fec, ledger_csv
from relance.formats.ledger_csv_columns import read_header
from relance.formats.text import normalize_header, replay

LedgerFormat = Literal["auto", "csv", "fec"]
_SNIFF_SIZE = 8 * 1024


def detect_format(head: bytes) -> Literal["csv", "fec"] | None:
    """The ledger format of a file's first bytes, or None when it is neither.

    >>> detect_format(b"JournalCode\\tJournalLib\\tEcritureNum\\n")
    'fec'
    >>> detect_format(b"invoice_number,debtor_account,total_amount\\n")
    'csv'
    >>> detect_format(b"%PDF-1.7") is None
    True
    """
    if fec.sniff(head):
        return "fec"
    if ledger_csv.sniff(head):
        return "csv"
    return None


def open_ledger(
    stream: BinaryIO,
    *,
    format: LedgerFormat = "auto",  # shadows the builtin on purpose: the CLI option is --format
    payment_terms_days: int = 30,
    default_currency: str = "EUR",
    mapping: dict[str, str] | None = None,
    known: dict[str, str] | None = None,
) -> LedgerReader:
    """A reader for the ledger export in ``stream`` (binary, read once, need not seek).

    ``payment_terms_days`` gives FEC invoices their due date; ``default_currency`` fills an
    empty or missing currency column of a CSV ledger. Raises ``InvalidInputError`` when the
    format is unknown or not recognised.

    ``mapping`` names the field of a CSV column the reader does not know (a header, as in the
    file, to a field such as ``invoice_number``; to ``""`` to ignore it): see
    ``ledger_csv_columns.mapping_parse``. A file so mapped is read as a CSV ledger.

    ``known`` is a mapping remembered from earlier imports (the creditor's): it names columns
    as ``mapping`` does, under it, but only a file with two of its columns is taken for a CSV
    ledger by it, and a FEC ignores it.
    """
    if format not in ("auto", "csv", "fec"):
        raise InvalidInputError(
            f"unknown ledger format {format!r}; use auto, csv or fec", code="unknown_format"
        )
    if format == "auto":
        head = stream.read(_SNIFF_SIZE)
        stream = replay(head, stream)
        found = detect_format(head)
        if found is None and (mapping or _named_by(head, known or {})):
            found = "csv"  # its columns are named by the mapping, not known by the sniffer
        if found is None:
            raise InvalidInputError(
                "this file is neither a FEC (its header starts with JournalCode) nor a CSV "
                "ledger (a header row naming columns such as invoice_number / numero_facture, "
                "debtor_account / compte_client, total_amount / montant_ttc)",
                code="unknown_format",
            )
        format = found
    if format == "fec":
        if mapping:
            raise InvalidInputError(
                "a FEC's columns are fixed by law: --map is for CSV ledgers", code="bad_mapping"
            )
        return fec.FecReader(stream, payment_terms_days=payment_terms_days)
    return ledger_csv.LedgerCsvReader(
        stream, default_currency=default_currency, mapping={**(known or {}), **(mapping or {})}
    )


def _named_by(head: bytes, known: dict[str, str]) -> bool:
    """Whether two or more columns of the header in ``head`` are named by ``known``."""
    if not known:
        return False
    names = [normalize_header(name) for name in read_header(head)]
    return sum(1 for name in names if known.get(name)) >= 2
