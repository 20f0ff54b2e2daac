"""Tables written for a spreadsheet: CSV and XLSX, safe from formula injection.

Every export (``relance export``, ``relance aging --csv``, ``GET /api/exports/...``) writes a
``Table`` here and nowhere else. A debtor's name comes from an accounting export or a form,
so a cell may read ``=HYPERLINK("http://evil.example", "Pay here")``: a spreadsheet opening
the file would run it (OWASP "CSV injection"). So:

- in CSV, a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab, a carriage return or
  a line feed gets a leading ``'`` (OWASP's advice), which every spreadsheet shows as text;
- in XLSX, every text cell is written as a string (never a formula), and a cell that would
  read as one is marked "quote prefix", as Excel marks text typed after a ``'``; its text is
  kept as it was.

Numbers (``Decimal``, ``int``) and dates stay numbers and dates, so a genuine negative amount
(``-100.00``) is never quoted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any, Literal, cast

Cell = str | Decimal | int | date | None
ExportFormat = Literal["csv", "xlsx"]
EXPORT_FORMATS: tuple[ExportFormat, ...] = ("csv", "xlsx")

# OWASP's list: what makes a spreadsheet read a cell as a formula, or break out of one.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")


@dataclass(frozen=True, slots=True)
class Table:
    """A sheet: its name, its column headers and its rows (one cell per header)."""

    name: str
    headers: tuple[str, ...]
    rows: Iterable[Sequence[Cell]]


def reads_as_formula(text: str) -> bool:
    """Whether a spreadsheet could take this text for a formula.

    >>> reads_as_formula('=HYPERLINK("http://x")'), reads_as_formula("+33612345678")
    (True, True)
    >>> reads_as_formula("Martin SARL"), reads_as_formula("")
    (False, False)
    """
    return text.startswith(FORMULA_STARTS)


def csv_cell(value: Cell) -> str:
    """A cell as CSV text: text that could read as a formula behind a ``'``; numbers as written.

    >>> csv_cell("@SUM(A1:A9)"), csv_cell(Decimal("-100.00")), csv_cell(date(2026, 3, 1))
    ("'@SUM(A1:A9)", '-100.00', '2026-03-01')
    >>> csv_cell("-100.00"), csv_cell(None)
    ("'-100.00", '')
    """
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal | int):
        return str(value)
    return "'" + value if reads_as_formula(value) else value


def write_csv(table: Table, stream: IO[str], *, delimiter: str = ",") -> None:
    """The table as CSV (RFC 4180 quoting) on a text stream opened with ``newline=""``."""
    writer = csv.writer(stream, delimiter=delimiter)
    writer.writerow([csv_cell(header) for header in table.headers])
    for row in table.rows:
        writer.writerow([csv_cell(value) for value in row])


def write_xlsx(table: Table, stream: IO[bytes]) -> None:
    """The table as one XLSX sheet: text always a string, numbers and dates typed."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title=table.name[:31])

    def cell(value: Cell) -> Any:  # a WriteOnlyCell
        written: Any
        if isinstance(value, str):
            # A str cell beginning with "=" would be written as a formula: set the type after.
            written = WriteOnlyCell(sheet, value=value)
            written.data_type = "s"
            if reads_as_formula(value):
                written.quotePrefix = True
            return written
        if isinstance(value, date) and not isinstance(value, datetime):
            written = WriteOnlyCell(sheet, value=cast(Any, value))
            written.number_format = "yyyy-mm-dd"
            return written
        # Decimal and int: numbers (openpyxl writes a Decimal exactly as it prints).
        return WriteOnlyCell(sheet, value=cast(Any, value))

    sheet.append([cell(header) for header in table.headers])
    for row in table.rows:
        sheet.append([cell(value) for value in row])
    book.save(stream)
