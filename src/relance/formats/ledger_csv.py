"""The CSV ledger: one row per open invoice, as any accounting package or spreadsheet exports it.

The format is Relance's own (documented in the README, issue 2 "CSV ledger format"): a header
row whose names are matched case- and accent-insensitively in English or French, then one row
per invoice. Separator ``,`` ``;`` or tab, detected from the header; amounts with ``.`` or ``,``
decimals and space / no-break-space thousands separators; dates ``YYYY-MM-DD`` or
``DD/MM/YYYY``; UTF-8 (with or without BOM) or Windows-1252, detected.

``LedgerCsvReader`` yields an ``InvoiceRecord`` for each row that is sound and records a
``Problem`` for each fault, going on to the end so the user sees them all. The import service
refuses a file with any problem.

Problem codes: ``empty_file``, ``missing_column``, ``duplicate_column``, ``encoding``,
``malformed_row``, ``field_count``, ``empty_value``, ``bad_date``, ``bad_amount``,
``due_before_issue``, ``bad_kind``, ``open_exceeds_total``, ``bad_siren``, ``bad_currency``,
``duplicate_invoice``.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from relance.domain.ledger import DebtorKind, DebtorRecord, InvoiceRecord, ReadReport
from relance.domain.money import AmountError, parse_amount
from relance.domain.problems import Problem
from relance.formats.text import (
    WINDOWS_1252,
    DateError,
    TextSource,
    detect_separator,
    head_line,
    normalize_header,
    parse_date,
)

FORMAT = "csv"
SEPARATORS = ",;\t"

# Field → accepted header names, after normalize_header. The first is the canonical name.
COLUMNS: dict[str, tuple[str, ...]] = {
    "invoice_number": ("invoice_number", "numero_facture", "numero_de_facture"),
    "debtor_account": ("debtor_account", "compte_client"),
    "debtor_name": ("debtor_name", "raison_sociale", "client"),
    "debtor_kind": ("debtor_kind", "type_client"),
    "debtor_siren": ("debtor_siren", "siren"),
    "debtor_email": ("debtor_email", "email", "e_mail", "courriel"),
    "debtor_phone": ("debtor_phone", "telephone"),
    "address": ("address", "adresse"),
    "postal_code": ("postal_code", "code_postal"),
    "city": ("city", "ville"),
    "country": ("country", "pays"),
    "issue_date": ("issue_date", "date_facture", "date_de_facture"),
    "due_date": ("due_date", "date_echeance", "date_d_echeance"),
    "currency": ("currency", "devise"),
    "total_amount": ("total_amount", "montant_ttc"),
    "open_amount": ("open_amount", "reste_du", "reste_a_payer"),
}
REQUIRED = (
    "invoice_number",
    "debtor_account",
    "debtor_name",
    "issue_date",
    "due_date",
    "total_amount",
)
_ALIASES = {alias: field for field, aliases in COLUMNS.items() for alias in aliases}

KINDS: dict[str, DebtorKind] = {
    "business": "business",
    "entreprise": "business",
    "consumer": "consumer",
    "particulier": "consumer",
    "public": "public",
}
_CURRENCY = re.compile(r"[A-Za-z]{3}")
_PLAIN_AMOUNT = re.compile(r"-?\d+(?:[.,]\d+)?")
_CACHE_SIZE = 50_000
_NOT_DIGITS = re.compile(r"[\s.\u00a0-]")


def sniff(head: bytes) -> bool:
    """Whether a file's first bytes look like a CSV ledger: two or more known column names.

    A file that misses a required column still sniffs as a CSV ledger, so that the user is
    told which column is missing rather than that the format is unknown.

    >>> sniff(b"Num\\xe9ro facture;Client;Montant TTC\\r\\nF1;Dupont;12,00\\r\\n")
    True
    >>> sniff(b"JournalCode\\tJournalLib\\n")
    False
    """
    line = head_line(head)
    names = line.split(detect_separator(line, SEPARATORS))
    known = {_ALIASES.get(normalize_header(name.strip().strip('"'))) for name in names}
    known.discard(None)
    return len(known) >= 2


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> None:
    """Cache a value; values repeat in a ledger, but memory must stay bounded."""
    if len(cache) >= _CACHE_SIZE:
        cache.clear()
    cache[key] = value


def _normalize_siren(text: str) -> str | None:
    """The SIREN in a cell (a SIRET gives its first nine digits), or None when invalid."""
    digits = _NOT_DIGITS.sub("", text)
    if stdnum_siren.is_valid(digits):
        return digits
    if len(digits) == 14 and stdnum_siret.is_valid(digits):
        return digits[:9]
    return None


class LedgerCsvReader:
    """Read a CSV ledger from a binary stream; see the module docstring for the format.

    Iterate once to read; ``report`` (format ``"csv"``) is complete when iteration ends.
    Rows with a problem yield nothing.
    """

    def __init__(self, stream: BinaryIO, *, default_currency: str = "EUR") -> None:
        self._stream = stream
        self.default_currency = default_currency
        self.report = ReadReport(format=FORMAT)
        self._read = False
        self._header: list[str] = []
        self._index: dict[str, int] = {}
        self._dates: dict[str, date] = {}
        self._sirens: dict[str, str | None] = {}
        self._debtors: dict[tuple[str, ...], DebtorRecord] = {}
        self._fields: tuple[str, ...] = ()
        self._cells: Callable[[list[str]], tuple[str, ...]] = tuple

    def __iter__(self) -> Iterator[InvoiceRecord]:
        if self._read:
            raise RuntimeError("a ledger reader reads its stream once")
        self._read = True
        source = TextSource(self._stream, legacy=WINDOWS_1252)
        try:
            yield from self._rows(source)
        finally:
            self.report.problems.extend(source.problems)
            self.report.problems.sort(key=lambda p: p.line or 0)
            self.report.notes.extend(source.notes)

    def _rows(self, source: TextSource) -> Iterator[InvoiceRecord]:
        problems = self.report.problems
        lines = iter(source)
        first = next(lines, None)
        while first is not None and not first.strip():
            first = next(lines, None)
        if first is None:
            problems.append(Problem("empty_file", "the file is empty; expected a header row"))
            return
        header_line = source.line_number
        separator = detect_separator(first, SEPARATORS)
        reader = csv.reader(itertools.chain([first], lines), delimiter=separator)
        header = [name.strip() for name in next(reader)]

        index: dict[str, int] = {}
        for position, name in enumerate(header):
            field = _ALIASES.get(normalize_header(name))
            if field is None:
                continue
            if field in index:
                problems.append(
                    Problem(
                        "duplicate_column",
                        f"columns {header[index[field]]!r} and {name!r} both give {field}",
                        line=header_line,
                        column=name,
                    )
                )
            else:
                index[field] = position
        found = ", ".join(repr(name) for name in header)
        for field in REQUIRED:
            if field not in index:
                names = " or ".join(repr(name) for name in COLUMNS[field])
                problems.append(
                    Problem(
                        "missing_column",
                        f"required column {field} ({names}) is missing; columns found: {found}",
                        line=header_line,
                    )
                )
        ignored = [name for name in header if _ALIASES.get(normalize_header(name)) is None]
        if ignored:
            self.report.notes.append(
                "Columns ignored: " + ", ".join(repr(name) for name in ignored) + "."
            )
        if problems:
            return

        self._header, self._index = header, index
        self._fields = tuple(index)
        self._cells = itemgetter(*index.values())
        width = len(header)
        first_line_of: dict[str, int] = {}
        # csv counts the lines it was given; blank lines before the header come on top.
        offset = header_line - 1
        previous_end = reader.line_num
        while True:
            try:
                row = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                problems.append(
                    Problem(
                        "malformed_row", f"unreadable row: {exc}", line=offset + reader.line_num
                    )
                )
                previous_end = reader.line_num
                continue
            line = offset + previous_end + 1
            previous_end = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != width:
                problems.append(
                    Problem(
                        "field_count",
                        f"{len(row)} fields where the header has {width}",
                        line=line,
                    )
                )
                continue
            number = row[index["invoice_number"]].strip()
            seen_on = first_line_of.setdefault(number, line) if number else line
            if seen_on != line:
                problems.append(
                    Problem(
                        "duplicate_invoice",
                        f"invoice {number} already appears on line {seen_on}",
                        line=line,
                        column=header[index["invoice_number"]],
                    )
                )
            record = self._record(row, line)
            if record is None or seen_on != line:
                continue
            yield record

    def _fault(self, code: str, field: str, message: str, line: int) -> None:
        column = self._header[self._index[field]]
        self.report.problems.append(Problem(code, message, line=line, column=column))

    def _date(self, cells: dict[str, str], field: str, line: int) -> date | None:
        text = cells.get(field, "")
        if not text:
            return None
        found = self._dates.get(text)
        if found is None:
            try:
                found = parse_date(text)
            except DateError as exc:
                self._fault("bad_date", field, str(exc), line)
                return None
            _remember(self._dates, text, found)
        return found

    def _amount(self, cells: dict[str, str], field: str, line: int) -> Decimal | None:
        text = cells.get(field, "")
        if not text:
            return None
        if _PLAIN_AMOUNT.fullmatch(text):  # the common case, without the general parser
            return Decimal(text.replace(",", "."))
        try:
            return parse_amount(text.replace("€", ""))
        except AmountError as exc:
            self._fault("bad_amount", field, str(exc), line)
            return None

    def _record(self, row: list[str], line: int) -> InvoiceRecord | None:
        """The row's invoice, or None after recording its problems."""
        problems = self.report.problems
        count = len(problems)
        cells = dict(zip(self._fields, map(str.strip, self._cells(row)), strict=True))

        for field in REQUIRED:
            if not cells[field]:
                self._fault("empty_value", field, f"{field} is empty", line)

        dates = self._dates
        issue_date = dates.get(cells["issue_date"]) or self._date(cells, "issue_date", line)
        due_date = dates.get(cells["due_date"]) or self._date(cells, "due_date", line)
        if issue_date is not None and due_date is not None and due_date < issue_date:
            self._fault(
                "due_before_issue",
                "due_date",
                f"due date {due_date} is before issue date {issue_date}",
                line,
            )

        text = cells["total_amount"]
        if _PLAIN_AMOUNT.fullmatch(text):  # the common case, without the general parser
            total_amount: Decimal | None = Decimal(text.replace(",", "."))
        else:
            total_amount = self._amount(cells, "total_amount", line)
        open_amount = self._amount(cells, "open_amount", line)
        if open_amount is None:
            open_amount = total_amount
        elif total_amount is not None and (
            abs(open_amount) > abs(total_amount) or open_amount * total_amount < 0
        ):
            self._fault(
                "open_exceeds_total",
                "open_amount",
                f"open amount {open_amount} does not fit within total {total_amount}",
                line,
            )

        kind: DebtorKind = "business"
        kind_text = cells.get("debtor_kind", "")
        if kind_text:
            found_kind = KINDS.get(kind_text) or KINDS.get(normalize_header(kind_text))
            if found_kind is None:
                self._fault(
                    "bad_kind",
                    "debtor_kind",
                    f"{kind_text!r} is not a debtor kind (business/entreprise, "
                    "consumer/particulier, public)",
                    line,
                )
            else:
                kind = found_kind

        siren = cells.get("debtor_siren", "")
        if siren:
            if siren in self._sirens:
                valid = self._sirens[siren]
            else:
                valid = _normalize_siren(siren)
                _remember(self._sirens, siren, valid)
            if valid is None:
                self._fault("bad_siren", "debtor_siren", f"{siren!r} is not a valid SIREN", line)
            else:
                siren = valid

        currency = cells.get("currency") or self.default_currency
        if not _CURRENCY.fullmatch(currency):
            self._fault(
                "bad_currency",
                "currency",
                f"{currency!r} is not a currency code (3 letters, like EUR)",
                line,
            )

        if (
            len(problems) > count
            or issue_date is None
            or due_date is None
            or total_amount is None
            or open_amount is None
        ):
            return None
        get = cells.get
        fields = (
            cells["debtor_account"],
            cells["debtor_name"],
            kind,
            siren,
            get("debtor_email", ""),
            get("debtor_phone", ""),
            get("address", ""),
            get("postal_code", ""),
            get("city", ""),
            (get("country") or "FR").upper(),
        )
        # Exports list a debtor on each of its invoices: share one record between them.
        debtor = self._debtors.get(fields)
        if debtor is None:
            debtor = DebtorRecord(*fields)
            _remember(self._debtors, fields, debtor)
        return InvoiceRecord(
            number=cells["invoice_number"],
            debtor=debtor,
            issue_date=issue_date,
            due_date=due_date,
            total_amount=total_amount,
            open_amount=open_amount,
            currency=currency.upper(),
            line=line,
        )
