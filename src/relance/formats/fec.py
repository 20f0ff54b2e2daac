"""The FEC (Fichier des écritures comptables, art. L47 A and A47 A-1 LPF): open receivables.

Every French accounting package exports the FEC: one line per accounting entry line, 18
columns in a fixed order (``COLUMNS``), tab or pipe separated (one separator per file), comma
decimals, dates ``YYYYMMDD``, UTF-8 or ISO-8859-15. ``FecReader`` checks every line and derives
the customer invoices and what remains open on them:

* Customer accounts are those whose ``CompteNum`` starts with ``411``. The debtor is the
  auxiliary account (``CompAuxNum`` / ``CompAuxLib``), else the account itself.
* An invoice is the debit lines on one customer with one ``PieceRef``. Every debit on a
  customer account counts, whatever the journal: opening balances (à-nouveaux), rejected
  direct debits and miscellaneous entries are receivables too. When a piece has lines in the
  sales journal and elsewhere, its issue date and line come from the sales journal.
* Paid date: the latest date (``PieceDate``, else ``EcritureDate``) of the credits applied to
  an invoice; it dates the settlement the import records.
* Issue date: ``PieceDate``, else ``EcritureDate``. The FEC has no due date: it is the issue
  date plus the creditor's payment terms, and ``report.notes`` says so.
* Credits on the customer (payments, credit notes) settle invoices. Lettered credits go to the
  debits with the same ``EcritureLet`` on that customer, oldest first; unlettered ones go first
  to the customer's invoice with the credit's own ``PieceRef`` (the debtor named the debt, C.
  civ. art. 1342-10 al. 1), then to the oldest invoices (art. 1342-10 al. 2), and each such
  allocation is written in ``report.notes``. Open amounts never go below zero.

Every invoice is yielded, settled ones too (open amount 0), so the import service can mark as
settled the invoices that left the open list. Lines with a problem are left out of the
derivation; the import service refuses a file with any problem.

Problem codes: ``empty_file``, ``bad_header``, ``encoding``, ``field_count``,
``mixed_separator``, ``empty_value``, ``bad_date``, ``not_validated``, ``bad_amount``,
``debit_and_credit``.

Memory: lines stream through; only customer debits and unlettered credits are kept, as
tuples, so a 1,000,000-line FEC with 200,000 customers stays far below 1 GB.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from typing import BinaryIO

from relance.domain.ledger import InvoiceRecord, ReadReport
from relance.domain.money import MAX_AMOUNT, AmountError, decimal_mark, parse_exact_amount
from relance.domain.problems import N_, Note, Problem
from relance.formats.fec_settlement import ZERO, Credit, InvoiceDraft, settle
from relance.formats.text import (
    ISO_8859_15,
    DateError,
    TextSource,
    head_line,
    normalize_header,
    parse_fec_date,
)

FORMAT = "fec"
CUSTOMER_ACCOUNTS = ("411",)

COLUMNS = (
    "JournalCode",
    "JournalLib",
    "EcritureNum",
    "EcritureDate",
    "CompteNum",
    "CompteLib",
    "CompAuxNum",
    "CompAuxLib",
    "PieceRef",
    "PieceDate",
    "EcritureLib",
    "Debit",
    "Credit",
    "EcritureLet",
    "DateLet",
    "ValidDate",
    "Montantdevise",
    "Idevise",
)
WIDTH = len(COLUMNS)
(
    JOURNAL_CODE,
    JOURNAL_LIB,
    ECRITURE_NUM,
    ECRITURE_DATE,
    COMPTE_NUM,
    COMPTE_LIB,
    COMP_AUX_NUM,
    COMP_AUX_LIB,
    PIECE_REF,
    PIECE_DATE,
    ECRITURE_LIB,
    DEBIT,
    CREDIT,
    ECRITURE_LET,
    DATE_LET,
    VALID_DATE,
    MONTANT_DEVISE,
    IDEVISE,
) = range(WIDTH)
# Art. A47 A-1 makes these mandatory; the auxiliary account, lettering and currency columns
# may be empty. ValidDate has its own code (not_validated): an unvalidated entry can still change.
REQUIRED = (
    JOURNAL_CODE,
    JOURNAL_LIB,
    ECRITURE_NUM,
    ECRITURE_DATE,
    COMPTE_NUM,
    COMPTE_LIB,
    PIECE_REF,
    PIECE_DATE,
    ECRITURE_LIB,
)
_SALES_CODES = frozenset({"V", "VE", "VT", "VTE", "VEN", "VENTE", "VENTES", "SALES"})
# The most integer digits the fast path takes (MAX_AMOUNT has twelve).
_INTEGER_DIGITS = 12


_ZEROS = frozenset({"", "0", "0,00", "0.00", "0,0", "0.0", "-0,00"})


def sniff(head: bytes) -> bool:
    """Whether a file's first bytes look like a FEC: its header starts with ``JournalCode``.

    >>> sniff(b"JournalCode|JournalLib|EcritureNum")
    True
    >>> sniff(b"invoice_number,debtor_account")
    False
    """
    return head_line(head).strip().lower().startswith("journalcode")


def _is_sales_journal(code: str, label: str) -> bool:
    words = normalize_header(label)
    return code.upper() in _SALES_CODES or "vente" in words or "sale" in words


class FecReader:
    """Read a FEC from a binary stream; see the module docstring for what it derives.

    Iterate once to read; ``report`` (format ``"fec"``) is complete when iteration ends.
    """

    def __init__(
        self,
        stream: BinaryIO,
        *,
        payment_terms_days: int = 30,
        customer_accounts: tuple[str, ...] = CUSTOMER_ACCOUNTS,
    ) -> None:
        self._stream = stream
        self.payment_terms_days = payment_terms_days
        self.customer_accounts = customer_accounts
        self.report = ReadReport(format=FORMAT)
        self._read = False
        self._dates: dict[str, date] = {}
        self._sales: dict[tuple[str, str], bool] = {}
        self._marks: set[str] = set()

    # Sound lines are read on a fast path that falls back to _check_line on any doubt; tests
    # turn it off to compare.
    _fast_path = True

    def __iter__(self) -> Iterator[InvoiceRecord]:
        if self._read:
            raise RuntimeError("a ledger reader reads its stream once")
        self._read = True
        source = TextSource(self._stream, legacy=ISO_8859_15)
        self.report.notes.append(
            Note(
                N_(
                    "The FEC has no due dates: each invoice is taken as due %(days)s days after "
                    "its PieceDate (EcritureDate when PieceDate is empty), the creditor's "
                    "payment terms."
                ),
                days=self.payment_terms_days,
            )
        )
        try:
            yield from self._read_lines(source)
        finally:
            self.report.problems.extend(source.problems)
            self.report.problems.sort(key=lambda p: p.line or 0)
            self.report.notes.extend(source.notes)

    # Reading -------------------------------------------------------------------------------

    def _read_lines(self, source: TextSource) -> Iterator[InvoiceRecord]:
        problems = self.report.problems
        lines = iter(source)
        header = next(lines, None)
        while header is not None and not header.strip():
            header = next(lines, None)
        if header is None:
            problems.append(
                Problem.of("empty_file", N_("the file is empty; expected the FEC header"))
            )
            return
        separator = "\t" if header.count("\t") >= header.count("|") else "|"
        other = "|" if separator == "\t" else "\t"
        if not self._check_header(header, separator, source.line_number):
            return

        invoices: dict[tuple[str, str], InvoiceDraft] = {}
        names: dict[str, str] = {}
        lettered_credits: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        # The latest day of each lettering's credits: the day its debits were last paid.
        credit_dates: dict[tuple[str, str], date] = {}
        unlettered: dict[str, list[Credit]] = defaultdict(list)
        prefixes = self.customer_accounts
        outside_sales = 0
        strip = str.strip
        dates = self._dates
        zeros = _ZEROS
        # An amount that may be too large, or with three digits or more after its mark, goes
        # to _check_line (parse_exact_amount); the marks seen decide "1.234" there.
        digits = _INTEGER_DIGITS
        learn = self._marks.add
        check_line = self._check_line
        fast_path = self._fast_path

        for text in lines:
            line = source.line_number
            body = text.rstrip("\r\n")
            if not body.strip():
                continue
            fields = body.split(separator)
            if len(fields) != WIDTH:
                fields = self._fit(fields, body, separator, other, line)
                if not fields:
                    continue
            (
                journal_code,
                journal_lib,
                entry_number,
                entry_date,
                account,
                account_lib,
                aux,
                aux_lib,
                piece,
                piece_date,
                entry_lib,
                debit_text,
                credit_text,
                letter,
                letter_date,
                valid_date,
                _currency_amount,
                _currency,
            ) = map(strip, fields)

            # The fast path for a sound line; on any doubt, _check_line checks it in full and
            # records its problems.
            checked: tuple[date, Decimal] | None = None
            if (
                fast_path
                and journal_code
                and journal_lib
                and entry_number
                and account
                and account_lib
                and piece
                and entry_lib
                and valid_date in dates
                and entry_date in dates
                and (not letter_date or letter_date in dates)
            ):
                issue_date = dates.get(piece_date)
                debit: Decimal | None
                credit: Decimal | None
                if debit_text in zeros:
                    debit = ZERO
                else:
                    dotted = debit_text.replace(",", ".")
                    point = dotted.find(".")
                    debit = (
                        Decimal(dotted)
                        if dotted.replace(".", "", 1).isdecimal()
                        and dotted[0] != "."
                        and dotted[-1] != "."
                        and (point if point >= 0 else len(dotted)) <= digits
                        and not 0 <= point < len(dotted) - 3
                        else None
                    )
                    if point >= 0:
                        learn(debit_text[point])
                if credit_text in zeros:
                    credit = ZERO
                else:
                    dotted = credit_text.replace(",", ".")
                    point = dotted.find(".")
                    credit = (
                        Decimal(dotted)
                        if dotted.replace(".", "", 1).isdecimal()
                        and dotted[0] != "."
                        and dotted[-1] != "."
                        and (point if point >= 0 else len(dotted)) <= digits
                        and not 0 <= point < len(dotted) - 3
                        else None
                    )
                    if point >= 0:
                        learn(credit_text[point])
                if (
                    issue_date is not None
                    and debit is not None
                    and credit is not None
                    and not (debit and credit)
                ):
                    checked = issue_date, debit - credit
            if checked is None:
                checked = check_line(fields, line)
                if checked is None:
                    continue
            if not account.startswith(prefixes):
                continue
            issue_date, amount = checked
            if not amount:
                continue
            debtor = aux or account
            if debtor not in names:
                label = aux_lib if aux else ""
                names[debtor] = label or account_lib or debtor
            if amount > 0:
                journal = (journal_code, journal_lib)
                sales = self._sales.get(journal)
                if sales is None:
                    sales = self._sales[journal] = _is_sales_journal(*journal)
                key = (debtor, piece)
                lets = ((letter, amount),) if letter else ()
                found = invoices.get(key)
                if found is None:
                    invoices[key] = (line, issue_date, amount, sales, lets)
                    outside_sales += not sales
                else:
                    first_line, first_date, total, first_sales, first_lets = found
                    if sales and not first_sales:
                        first_line, first_date, first_sales = line, issue_date, True
                        outside_sales -= 1
                    invoices[key] = (
                        first_line,
                        first_date,
                        total + amount,
                        first_sales,
                        first_lets + lets,
                    )
            elif letter:
                lettered_credits[debtor, letter] -= amount
                known = credit_dates.get((debtor, letter))
                credit_dates[debtor, letter] = max(known, issue_date) if known else issue_date
            else:
                unlettered[debtor].append((line, -amount, piece, issue_date))

        if not invoices and not unlettered and not lettered_credits:
            self.report.notes.append(
                Note(
                    N_(
                        "No line on a customer account (%(prefixes)s): this FEC holds no receivable."
                    ),
                    prefixes=", ".join(f"{prefix}…" for prefix in prefixes),
                )
            )
        if outside_sales:
            self.report.notes.append(
                Note(
                    N_(
                        "%(count)s receivable(s) come from debits on customer accounts outside "
                        "the sales journal (opening balances, rejected payments, adjustments); "
                        "they are read as invoices."
                    ),
                    count=outside_sales,
                )
            )
        for (_debtor, piece), (line, _date, total, _sales, _lets) in invoices.items():
            if total > MAX_AMOUNT:  # each line fits, their sum does not: nothing could hold it
                problems.append(
                    Problem.of(
                        "bad_amount",
                        N_(
                            "the debits of piece %(piece)s add up to %(total)s, beyond the "
                            "largest amount Relance holds (%(limit)s)"
                        ),
                        line,
                        COLUMNS[DEBIT],
                        piece=piece,
                        total=total,
                        limit=MAX_AMOUNT,
                    )
                )
        yield from settle(
            invoices,
            names,
            lettered_credits,
            unlettered,
            credit_dates=credit_dates,
            notes=self.report.notes,
            payment_terms_days=self.payment_terms_days,
        )

    def _check_header(self, header: str, separator: str, line: int) -> bool:
        names = header.rstrip("\r\n").split(separator)
        while len(names) > WIDTH and not names[-1].strip():
            names.pop()
        names = [name.strip().lstrip("\ufeff") for name in names]
        if len(names) != WIDTH:
            self.report.problems.append(
                Problem.of(
                    "bad_header",
                    N_("the header has %(count)s columns where the FEC has %(width)s: %(columns)s"),
                    line,
                    count=len(names),
                    width=WIDTH,
                    columns=", ".join(COLUMNS),
                )
            )
            return False
        good = True
        for name, expected in zip(names, COLUMNS, strict=True):
            if name == expected:
                continue
            if name.lower() == expected.lower():
                self.report.notes.append(
                    Note(N_("Header %(name)r read as %(expected)r."), name=name, expected=expected)
                )
                continue
            good = False
            self.report.problems.append(
                Problem.of(
                    "bad_header",
                    N_("column %(name)r where the FEC has %(expected)r"),
                    line,
                    name,
                    name=name,
                    expected=expected,
                )
            )
        return good

    def _fit(
        self, fields: list[str], body: str, separator: str, other: str, line: int
    ) -> list[str]:
        """The line's 18 fields, or [] after recording why there are not 18."""
        # Some exports end every line with a separator; the empty tail is harmless.
        while len(fields) > WIDTH and not fields[-1].strip():
            fields.pop()
        if len(fields) == WIDTH:
            return fields
        if body.count(other) >= WIDTH - 1:
            mixed = (
                N_(
                    "this line is tab-separated while the file is pipe-separated; "
                    "a FEC uses one separator throughout"
                )
                if other == "\t"
                else N_(
                    "this line is pipe-separated while the file is tab-separated; "
                    "a FEC uses one separator throughout"
                )
            )
            self.report.problems.append(Problem.of("mixed_separator", mixed, line))
        else:
            self.report.problems.append(
                Problem.of(
                    "field_count",
                    N_("%(count)s fields where the FEC has %(width)s"),
                    line,
                    count=len(fields),
                    width=WIDTH,
                )
            )
        return []

    def _date(self, text: str) -> date:
        found = self._dates.get(text)
        if found is None:
            found = self._dates[text] = parse_fec_date(text)
        return found

    def _check_line(self, fields: list[str], line: int) -> tuple[date, Decimal] | None:
        """The line's issue date and signed amount (debit − credit), or None after its problems."""
        problems = self.report.problems
        count = len(problems)
        for position in REQUIRED:
            if not fields[position].strip():
                problems.append(
                    Problem.of(
                        "empty_value",
                        N_("%(name)s is empty"),
                        line,
                        COLUMNS[position],
                        name=COLUMNS[position],
                    )
                )
        dates: list[date | None] = []
        for position in (ECRITURE_DATE, PIECE_DATE, DATE_LET, VALID_DATE):
            text = fields[position].strip()
            if not text:
                dates.append(None)
                continue
            try:
                dates.append(self._date(text))
            except DateError as exc:
                dates.append(None)
                problems.append(Problem.from_error("bad_date", exc, line, COLUMNS[position]))
        if not fields[VALID_DATE].strip():
            problems.append(
                Problem.of(
                    "not_validated",
                    N_(
                        "ValidDate is empty: the entry is not validated and may still change; "
                        "export the FEC after validating the entries"
                    ),
                    line,
                    COLUMNS[VALID_DATE],
                )
            )
        amounts: list[Decimal] = []
        for position in (DEBIT, CREDIT):
            text = fields[position].strip()
            if text in _ZEROS:
                amounts.append(ZERO)
                continue
            try:
                amounts.append(parse_exact_amount(text, marks=self._marks))
                mark = decimal_mark(text)
                if mark is not None:
                    self._marks.add(mark)
            except AmountError as exc:
                amounts.append(ZERO)
                problems.append(Problem.from_error("bad_amount", exc, line, COLUMNS[position]))
        debit, credit = amounts
        if debit and credit:
            problems.append(
                Problem.of(
                    "debit_and_credit",
                    N_(
                        "both Debit (%(debit)s) and Credit (%(credit)s) are filled; "
                        "a line is one or the other"
                    ),
                    line,
                    COLUMNS[CREDIT],
                    debit=fields[DEBIT].strip(),
                    credit=fields[CREDIT].strip(),
                )
            )
        if len(problems) > count:
            return None
        issue_date = dates[1] or dates[0]
        if issue_date is None:  # pragma: no cover - both are required and checked above
            return None
        return issue_date, debit - credit
