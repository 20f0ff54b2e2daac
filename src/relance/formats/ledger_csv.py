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
``duplicate_invoice``, ``reference_on_invoice``. A credit note may bear its invoice's number.
The optional ``last_contact_step`` / ``last_contact_date`` columns are read by ``ledger_history``.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from decimal import Decimal
from operator import itemgetter
from typing import Any, BinaryIO

from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from relance.domain.ledger import DebtorKind, DebtorRecord, InvoiceRecord, ReadReport
from relance.domain.money import AmountError, decimal_mark, parse_exact_amount
from relance.domain.problems import N_, Problem
from relance.formats import ledger_csv_columns as table
from relance.formats.ledger_csv_columns import (
    ALIASES,
    COLUMNS,
    FIELD_WORDS,
    KINDS,
    REQUIRED,
    header_fields,
)
from relance.formats.ledger_history import HistoryColumns
from relance.formats.text import (
    WINDOWS_1252,
    DateError,
    TextSource,
    detect_separator,
    head_line,
    normalize_header,
    parse_date,
    record_maker,
)

FORMAT = "csv"

SEPARATORS = ",;\t"

_CURRENCY = re.compile(r"[A-Za-z]{3}")

_PLAIN_AMOUNT = re.compile(r"-?\d+(?:[.,]\d+)?")

# The most integer digits the fast path takes (MAX_AMOUNT has twelve). Anything longer goes to
# the full check, which refuses it when it is too large.
_INTEGER_DIGITS = 12

_CACHE_SIZE = 50_000

# Debtor records are shared between the invoices of one debtor. A larger cache shares more
# in files where a debtor's invoices lie far apart, but holding many records costs more than
# building them again (a 50,000-record cache costs ~2 µs a row when most lookups miss). When
# a cache's worth of debtors came in fewer than _SHARING_PAYS rows, the cache is not paying:
# records are built afresh for the next _SHARING_PAUSE rows, then sharing is tried again.
_DEBTOR_CACHE_SIZE = 4_096

_SHARING_PAYS = _DEBTOR_CACHE_SIZE * 5 // 4

_SHARING_PAUSE = _DEBTOR_CACHE_SIZE * 16

_ZERO = Decimal(0)

_NOT_DIGITS = re.compile(r"[\s.\u00a0-]")

_new_debtor = record_maker(DebtorRecord)

_new_invoice = record_maker(InvoiceRecord)


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
    known = {ALIASES.get(normalize_header(name.strip().strip('"'))) for name in names}
    known.discard(None)
    return len(known) >= 2


def _remember(cache: dict[Any, Any], key: Any, value: Any, size: int = _CACHE_SIZE) -> None:
    """Cache a value; values repeat in a ledger, but memory must stay bounded."""
    if len(cache) >= size:
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

    def __init__(
        self,
        stream: BinaryIO,
        *,
        default_currency: str = "EUR",
        mapping: dict[str, str] | None = None,
    ) -> None:
        self._stream = stream
        self.default_currency = default_currency
        # Normalized header → field, or "" for a column to ignore; before the aliases.
        self._aliases = {**ALIASES, **(mapping or {})}
        self.report = ReadReport(format=FORMAT)
        self._read = False
        self._header: list[str] = []
        self._index: dict[str, int] = {}
        self._dates: dict[str, date] = {}
        self._sirens: dict[str, str | None] = {}
        # The decimal marks the file's amounts have shown so far: they decide "1.234".
        self._marks: set[str] = set()
        self._debtors: dict[tuple[str, ...], DebtorRecord] = {}
        self._fields: tuple[str, ...] = ()
        self._cells: Callable[[list[str]], tuple[str, ...]] = tuple
        self._history: HistoryColumns | None = None

    def __iter__(self) -> Iterator[InvoiceRecord]:
        if self._read:
            raise RuntimeError("a ledger reader reads its stream once")
        self._read = True
        source = TextSource(self._stream, legacy=WINDOWS_1252)
        try:
            yield from self._rows(source)  # the header here, the rows by _records
        finally:
            self.report.problems.extend(source.problems)
            self.report.problems.sort(key=lambda p: p.line or 0)
            self.report.notes.extend(source.notes)

    def _rows(self, source: TextSource) -> Iterator[InvoiceRecord]:
        """Read the header; the rows' invoices when it is sound, else none."""
        problems = self.report.problems
        lines = iter(source)
        first = next(lines, None)
        while first is not None and not first.strip():
            first = next(lines, None)
        if first is None:
            problems.append(
                Problem.of("empty_file", N_("the file is empty; expected a header row"))
            )
            return iter(())
        header_line = source.line_number
        separator = detect_separator(first, SEPARATORS)
        reader = csv.reader(itertools.chain([first], lines), delimiter=separator)
        header = [name.strip() for name in next(reader)]

        index = header_fields(header, header_line, self._aliases, problems, self.report.notes)
        if problems:
            return iter(())

        self._header, self._index = header, index
        self._fields = tuple(index)
        self._cells = itemgetter(*index.values())
        self._history = HistoryColumns.from_header(header, header_line, self.report)
        return self._records(reader, header_line)

    def _records(self, reader: Any, header_line: int) -> Iterator[InvoiceRecord]:
        """The invoices of the rows after the header, recording the problems of the others."""
        problems = self.report.problems
        width = len(self._header)
        number_at = self._index["invoice_number"]
        number_column = self._header[number_at]
        index = self._index
        clean = self._clean_row_reader(header_line + 1)
        full_check = self._record
        history, account_at = self._history, self._index["debtor_account"]
        first_line_of: dict[str, int] = {}
        seen = first_line_of.setdefault
        # csv counts the lines it was given; blank lines before the header come on top.
        offset = header_line
        previous_end = reader.line_num
        while True:
            try:
                for row in reader:
                    line = offset + previous_end
                    previous_end = reader.line_num
                    if len(row) != width:
                        if any(cell.strip() for cell in row):
                            problems.append(
                                Problem.of(
                                    "field_count",
                                    N_("%(count)s fields where the header has %(width)s"),
                                    line,
                                    count=len(row),
                                    width=width,
                                )
                            )
                        continue
                    number = row[number_at].strip()
                    if number:
                        # A credit note may bear its invoice's number: the sign tells them apart.
                        seen_on = seen(number + table.SIGN_KEY[row[index["total_amount"]].lstrip()[:1]], line)
                        if seen_on != line:
                            problems.append(
                                Problem.of(
                                    "duplicate_invoice",
                                    N_("invoice %(number)s already appears on line %(other)s"),
                                    line,
                                    number_column,
                                    number=number,
                                    other=seen_on,
                                )
                            )
                            full_check(row, line)  # for the row's own problems
                            continue
                    elif not any(cell.strip() for cell in row):
                        continue
                    record = clean(row, line) or full_check(row, line)
                    if history is not None:
                        history.read(row, line, row[account_at].strip())
                    if record is not None:
                        yield record
                return
            except csv.Error as exc:
                problems.append(
                    Problem.of(
                        "malformed_row",
                        N_("unreadable row: %(error)s"),
                        offset + reader.line_num - 1,
                        error=str(exc),
                    )
                )
                previous_end = reader.line_num

    def _clean_row_reader(
        self, first_line: int
    ) -> Callable[[list[str], int], InvoiceRecord | None]:
        """A function reading a clean row fast: the invoice, or None when it must be checked.

        Every cell is read by a precomputed index and every check is a cache lookup or a
        comparison. A row that fails any check, or that the caches do not know yet, gives
        None and goes to ``_record``, which checks it in full and records its problems in
        their usual order; this function never records one.
        """
        index = self._index
        width = len(self._header)
        # Every field in COLUMNS order; an absent column reads the "" appended to the row.
        padded = len(index) < len(COLUMNS)
        take = itemgetter(*(index.get(field, width) for field in COLUMNS))
        # Strip the whole row when it is narrower than COLUMNS (fewer cells to strip), else
        # strip the cells taken.
        strip_row = width < len(COLUMNS)
        strip = str.strip
        plain = _PLAIN_AMOUNT.fullmatch
        digits = _INTEGER_DIGITS
        learn = self._marks.add
        dates = self._dates
        sirens = self._sirens
        debtors = self._debtors
        kinds: dict[str, DebtorKind] = {}
        currencies: dict[str, str] = {}
        default_currency = self.default_currency
        cache_since = first_line  # the line from which the debtor cache was filled
        share_from = 0  # the line from which debtors are looked up in the cache again

        def clean(row: list[str], line: int) -> InvoiceRecord | None:
            nonlocal cache_since, share_from
            if strip_row:
                cells: Iterable[str] = take([*map(strip, row), ""])
            else:
                if padded:
                    row.append("")
                cells = map(strip, take(row))
            (
                number,
                account,
                name,
                kind_text,
                siren_text,
                email,
                phone,
                address,
                postal_code,
                city,
                country,
                issue_text,
                due_text,
                currency_text,
                total_text,
                open_text,
                credit_for,
                paid_text,
            ) = cells
            if not (number and account and name):
                return None
            issue_date = dates.get(issue_text)
            due_date = dates.get(due_text)
            if issue_date is None or due_date is None or due_date < issue_date:
                return None
            # Digits with at most one inner decimal mark pass without the regex (faster). An
            # amount that may be too large, or whose mark is followed by three digits or more
            # (thousands? decimals beyond the cent?), goes to the full check.
            total_dot = total_text.replace(",", ".")
            if not (
                total_dot.replace(".", "", 1).isdecimal()
                and total_dot[0] != "."
                and total_dot[-1] != "."
            ) and not plain(total_text):
                return None
            point = total_dot.find(".")
            if point < 0:
                if len(total_dot) > digits:
                    return None
            elif point > digits or point < len(total_dot) - 3:
                return None
            else:
                learn(total_text[point])
            total_amount = Decimal(total_dot)
            if credit_for and total_amount >= _ZERO:
                return None  # a reference on an invoice: _record says why it is refused
            paid_date = dates.get(paid_text) if paid_text else None
            if paid_text and paid_date is None:
                return None
            if not open_text or open_text == total_text:
                open_amount = total_amount
            else:
                open_dot = open_text.replace(",", ".")
                if not (
                    open_dot.replace(".", "", 1).isdecimal()
                    and open_dot[0] != "."
                    and open_dot[-1] != "."
                ) and not plain(open_text):
                    return None
                point = open_dot.find(".")
                if point < 0:
                    if len(open_dot) > digits:
                        return None
                elif point > digits or point < len(open_dot) - 3:
                    return None
                else:
                    learn(open_text[point])
                open_amount = Decimal(open_dot)
                # Within the total and of its sign: what _record checks, in two comparisons.
                if not (
                    _ZERO <= open_amount <= total_amount or total_amount <= open_amount <= _ZERO
                ):
                    return None
            kind: DebtorKind = "business"
            if kind_text:
                found_kind = kinds.get(kind_text)
                if found_kind is None:
                    found_kind = KINDS.get(kind_text) or KINDS.get(normalize_header(kind_text))
                    if found_kind is None:
                        return None
                    _remember(kinds, kind_text, found_kind)
                kind = found_kind
            siren = ""
            if siren_text:
                siren = sirens.get(siren_text) or ""
                if not siren:  # invalid, or not checked yet
                    return None
            currency_text = currency_text or default_currency
            currency = currencies.get(currency_text)
            if currency is None:
                if not _CURRENCY.fullmatch(currency_text):
                    return None
                currency = currency_text.upper()
                _remember(currencies, currency_text, currency)
            fields = (
                account,
                name,
                kind,
                siren,
                email,
                phone,
                address,
                postal_code,
                city,
                country.upper() if country else "FR",
            )
            # Exports list a debtor on each of its invoices: share one record between them.
            if line < share_from:  # see _SHARING_PAYS
                debtor = _new_debtor(*fields)
            else:
                cached = debtors.get(fields)
                if cached is not None:
                    debtor = cached
                else:
                    debtor = _new_debtor(*fields)
                    if len(debtors) >= _DEBTOR_CACHE_SIZE:  # _remember, inline
                        debtors.clear()
                        if line - cache_since < _SHARING_PAYS:
                            share_from = line + _SHARING_PAUSE
                        cache_since = max(line, share_from)
                    debtors[fields] = debtor
            return _new_invoice(
                number, debtor, issue_date, due_date, total_amount, open_amount, currency, line,
                credit_for, paid_date,
            )  # fmt: skip

        return clean

    def _fault(self, code: str, field: str, template: str, line: int, **params: Any) -> None:
        column = self._header[self._index[field]]
        self.report.problems.append(Problem.of(code, template, line, column, **params))

    def _fault_from(self, code: str, field: str, error: ValueError, line: int) -> None:
        column = self._header[self._index[field]]
        self.report.problems.append(Problem.from_error(code, error, line, column))

    def _date(self, cells: dict[str, str], field: str, line: int) -> date | None:
        text = cells.get(field, "")
        if not text:
            return None
        found = self._dates.get(text)
        if found is None:
            try:
                found = parse_date(text)
            except DateError as exc:
                self._fault_from("bad_date", field, exc, line)
                return None
            _remember(self._dates, text, found)
        return found

    def _amount(self, cells: dict[str, str], field: str, line: int) -> Decimal | None:
        text = cells.get(field, "")
        if not text:
            return None
        text = text.replace("€", "")
        try:
            value = parse_exact_amount(text, marks=self._marks)
        except AmountError as exc:
            self._fault_from("bad_amount", field, exc, line)
            return None
        mark = decimal_mark(text)
        if mark is not None:
            self._marks.add(mark)
        return value

    def _record(self, row: list[str], line: int) -> InvoiceRecord | None:
        """The row's invoice, or None after recording its problems."""
        problems = self.report.problems
        count = len(problems)
        cells = dict(zip(self._fields, map(str.strip, self._cells(row)), strict=True))

        for field in REQUIRED:
            if not cells[field]:
                self._fault(
                    "empty_value", field, N_("%(name)s is empty"), line, name=FIELD_WORDS[field]
                )

        dates = self._dates
        issue_date = dates.get(cells["issue_date"]) or self._date(cells, "issue_date", line)
        due_date = dates.get(cells["due_date"]) or self._date(cells, "due_date", line)
        paid_date = self._date(cells, "paid_date", line)
        if issue_date is not None and due_date is not None and due_date < issue_date:
            self._fault(
                "due_before_issue",
                "due_date",
                N_("due date %(due)s is before issue date %(issue)s"),
                line,
                due=due_date,
                issue=issue_date,
            )

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
                N_("open amount %(open)s does not fit within total %(total)s"),
                line,
                open=open_amount,
                total=total_amount,
            )

        credit_for = cells.get("credit_note_for", "")
        if credit_for and total_amount is not None and total_amount >= _ZERO:
            self._fault("reference_on_invoice", "credit_note_for", table.REFERENCE_ON_INVOICE, line,
                        reference=credit_for, total=total_amount)  # fmt: skip

        kind: DebtorKind = "business"
        kind_text = cells.get("debtor_kind", "")
        if kind_text:
            found_kind = KINDS.get(kind_text) or KINDS.get(normalize_header(kind_text))
            if found_kind is None:
                self._fault(
                    "bad_kind",
                    "debtor_kind",
                    N_(
                        "%(value)r is not a debtor kind (business/entreprise, "
                        "consumer/particulier, public)"
                    ),
                    line,
                    value=kind_text,
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
                self._fault("bad_siren", "debtor_siren", N_("%(value)r is not a valid SIREN"), line,
                            value=siren)  # fmt: skip
            else:
                siren = valid

        currency = cells.get("currency") or self.default_currency
        if not _CURRENCY.fullmatch(currency):
            self._fault("bad_currency", "currency",
                        N_("%(value)r is not a currency code (3 letters, like EUR)"), line,
                        value=currency)  # fmt: skip

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
            _remember(self._debtors, fields, debtor, _DEBTOR_CACHE_SIZE)
        return InvoiceRecord(
            number=cells["invoice_number"],
            debtor=debtor,
            issue_date=issue_date,
            due_date=due_date,
            total_amount=total_amount,
            open_amount=open_amount,
            currency=currency.upper(),
            line=line,
            credit_note_for=credit_for,
            paid_date=paid_date,
        )
