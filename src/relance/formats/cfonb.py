"""French CFONB 120 account statements ("relevé de compte 120 caractères").

Follows the CFONB brochure *Relevé de compte sur support informatique* (120-character
records): ``01`` old balance, ``04`` operation, ``05`` operation complement, ``07`` new
balance. Files come with or without line breaks; one long line is cut every 120 characters.

Amounts are 14 characters whose last one carries both the last digit and the sign
(``{ABCDEFGHI`` = +0…+9, ``}JKLMNOPQR`` = −0…−9), with the number of decimals in column 20.
Dates are ``JJMMAA``.

The file is read as it streams, in bounded memory, whatever its size and whether or not it
has line breaks: records are cut from the text as it is decoded, a line's records are held
only until the line ends (or, on a line without end, until a thousand of them), and reading
stops at ``MAX_PROBLEMS`` problems or past ``MAX_OPERATIONS`` operations, refusing the file.

``05`` records are qualified (columns 46-48) and attached to the ``04`` before them:
``LIB``/``LCC``/``LC2`` free text (appended to the remittance), ``NPY`` payer name, ``NBE``
beneficiary name, ``IPY``/``IBE`` payer/beneficiary identifiers (kept in the remittance; an
``IPY`` that is a valid IBAN becomes the counterparty IBAN), ``RCN`` the payer's reference
(end-to-end id), ``RUM`` the mandate reference. Other qualifiers are appended as text.

Record layout (1-based columns) of ``04``: 3-7 bank, 8-11 internal operation code, 12-16
branch, 17-19 currency, 20 decimals, 22-32 account, 33-34 interbank operation code, 35-40
booking date, 41-42 reject reason, 43-48 value date, 49-79 label, 82-88 entry number,
91-104 amount, 105-120 reference. ``01``/``07`` share the account columns, the date in 35-40
and the amount in 91-104.
"""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import IO

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from relance.domain.banking import BankReport, LineRecord, StatementRecord, build_report
from relance.domain.problems import N_, Phrase, Problem, TranslatableError
from relance.formats._bankutil import (
    HEAD,
    BankFormat,
    clean,
    compact_iban,
    head_text,
    join_texts,
    parse_yymmdd_fr,
)

RECORD_LENGTH = 120
# A statement file is refused past these: a bank's file of the day holds some thousands of
# operations, and a file of 200 MB on one line must be refused in seconds, not read whole.
MAX_PROBLEMS = 100
MAX_OPERATIONS = 50_000
_CHUNK = 1 << 20  # bytes decoded at a time
_HELD = 1000  # records of one line held back until it ends (its length may still be wrong)
_POSITIVE = "{ABCDEFGHI"
_NEGATIVE = "}JKLMNOPQR"
_CODES = {"01", "04", "05", "07"}


class CfonbError(TranslatableError):
    """A field that does not follow the CFONB layout."""


def decode_amount(field_text: str, decimals: int) -> Decimal:
    """Decode a CFONB signed amount.

    >>> decode_amount("0000000010401G", 2)
    Decimal('1040.17')
    >>> decode_amount("0000000000227R", 2)
    Decimal('-22.79')
    >>> decode_amount("0000000115350{", 2)
    Decimal('11535.00')
    """
    digits, last = field_text[:-1], field_text[-1:]
    if not digits.isdigit() or not last:
        raise CfonbError(N_("amount %(value)r is not CFONB-encoded"), value=field_text)
    if last in _POSITIVE:
        sign, digit = 1, _POSITIVE.index(last)
    elif last in _NEGATIVE:
        sign, digit = -1, _NEGATIVE.index(last)
    else:
        raise CfonbError(
            N_("amount %(value)r ends with %(last)r, not a CFONB sign character"),
            value=field_text,
            last=last,
        )
    value = Decimal(f"{digits}{digit}").scaleb(-decimals)
    return value if sign > 0 or not value else -value


def looks_like_cfonb(text: str, *, cut: bool = False) -> bool:
    """True when the text starts with CFONB 120 records ("01" + bank code, 120 characters).

    ``cut``: the text is the head of a longer file, so a first line without its end is judged
    on its first two records (a file without line breaks is one line of any size).

    >>> record = "01" + "30002" + "0" * 9 + "EUR2" + " " * 100
    >>> looks_like_cfonb(record * 3), looks_like_cfonb(record[:-1])
    (True, False)
    >>> looks_like_cfonb((record * 600)[:65536], cut=True)
    True
    """
    head = text.lstrip("\r\n")
    first, ended, _rest = head.partition("\n")
    first = first.rstrip("\r")
    if ended or not cut:
        if len(first) < RECORD_LENGTH or len(first) % RECORD_LENGTH:
            return False
    elif len(first) < 2 * RECORD_LENGTH:
        return False
    records = [first[:RECORD_LENGTH], first[RECORD_LENGTH : 2 * RECORD_LENGTH]]
    return all(
        record[:2] in _CODES and record[2:7].isdigit() and record[19:20].isdigit()
        for record in records
        if record
    )


def _encoding(stream: IO[bytes]) -> str:
    """UTF-8 when the whole stream is, else cp1252, else Latin-1 (which maps every byte); read
    in chunks, the stream left at its start."""
    for encoding in ("utf-8", "cp1252"):
        stream.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := stream.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        stream.seek(0)
        return encoding
    stream.seek(0)
    return "latin-1"


@dataclass(slots=True)
class _Cutter:
    """Records cut from decoded text as it comes: (line number, record), and the problems of
    lines whose length is no multiple of 120. A record on the first line is numbered by its
    rank (a file without line breaks counts records), one on a later line by the line."""

    problems: list[Problem]
    line: int = 1
    length: int = 0  # of the current line so far, its end's "\r" left out
    pending: str = ""  # the current line's characters not yet cut into a record
    held: list[tuple[int, str]] = field(default_factory=list)
    flushed: bool = False  # the current line's records went out before it ended
    count: int = 0
    lines_with_text: int = 0

    def feed(self, text: str) -> Iterator[tuple[int, str]]:
        parts = text.split("\n")
        for position, part in enumerate(parts):
            if position:
                yield from self.end_line()
            self.length += len(part)
            text = self.pending + part if self.pending else part
            start, end = 0, len(text)
            # A record is cut when more follows it, or when it ends the text without a "\r"
            # (which may be the line's end); offsets, not slices of the rest, keep it linear.
            while end - start > RECORD_LENGTH or (
                end - start == RECORD_LENGTH and "\r" not in text[start:end]
            ):
                self.count += 1
                record = text[start : start + RECORD_LENGTH]
                self.held.append((self.count if self.line == 1 else self.line, record))
                start += RECORD_LENGTH
                if len(self.held) >= _HELD:
                    yield from self.held
                    self.held.clear()
                    self.flushed = True
            self.pending = text[start:]

    def end_line(self) -> Iterator[tuple[int, str]]:
        rest = self.pending.rstrip("\r")
        length = self.length - (len(self.pending) - len(rest))
        if length and rest.strip():
            self.problems.append(
                Problem.of(
                    "cfonb_length",
                    N_("record of %(length)s characters, expected %(expected)s (CFONB 120)"),
                    self.line,
                    length=length,
                    expected=RECORD_LENGTH,
                )
            )
            if not self.flushed:
                self.count -= len(self.held)
                self.held.clear()
        if length:
            self.lines_with_text += 1
        yield from self.held
        self.held.clear()
        self.line += 1
        self.length, self.pending, self.flushed = 0, "", False


def _records(stream: IO[bytes], encoding: str, cutter: _Cutter) -> Iterator[tuple[int, str]]:
    decoder = codecs.getincrementaldecoder(encoding)()
    while chunk := stream.read(_CHUNK):
        yield from cutter.feed(decoder.decode(chunk))
    yield from cutter.feed(decoder.decode(b"", final=True))
    yield from cutter.end_line()


@dataclass(slots=True)
class _Statement:
    account: str
    currency: str
    line: int
    opening: Decimal | None = None
    opening_date: date | None = None
    closing: Decimal | None = None
    closing_date: date | None = None
    lines: list[LineRecord] = field(default_factory=list)
    texts: list[list[str]] = field(default_factory=list)


def _account(record: str) -> str:
    # Bank, branch and account number: what the RIB (and the IBAN's BBAN) is built from.
    return f"{record[2:7]} {record[11:16]} {record[21:32]}".strip()


def _decimals(record: str) -> int:
    if not record[19:20].isdigit():
        raise CfonbError(N_("number of decimals %(value)r is not a digit"), value=record[19:20])
    return int(record[19:20])


_DATE = Phrase.of(N_("date"))
_BOOKING_DATE = Phrase.of(N_("booking date"))
_VALUE_DATE = Phrase.of(N_("value date"))


def _date(text: str, what: Phrase) -> date:
    try:
        return parse_yymmdd_fr(text)
    except ValueError as exc:
        raise CfonbError(
            N_("%(what)s %(value)r is not a JJMMAA date"), what=what, value=text
        ) from exc


def _complement(line: LineRecord, texts: list[str], record: str) -> LineRecord:
    qualifier = record[45:48]
    info = record[48:118].rstrip()
    value = clean(info)
    if not value:
        return line
    if (qualifier == "NPY" and line.amount > 0) or (qualifier == "NBE" and line.amount < 0):
        line = replace(line, counterparty_name=line.counterparty_name or value)
    elif qualifier == "RCN":
        line = replace(line, end_to_end_id=line.end_to_end_id or value)
    elif qualifier in {"IPY", "IBE"}:
        first = clean(info[:35])
        try:
            iban = str(IBAN(compact_iban(first)).compact)
        except (SchwiftyException, ValueError):
            iban = ""
        if iban and ((qualifier == "IPY") == (line.amount > 0)):
            line = replace(line, counterparty_iban=line.counterparty_iban or iban)
    if qualifier not in {"NPY", "NBE"}:
        texts.append(value)
    return line


def read_cfonb(data: bytes | IO[bytes]) -> BankReport:
    """Read a CFONB 120 statement file, from its bytes or a binary stream that can seek; any
    malformed record is a problem with its line."""
    stream = io.BytesIO(data) if isinstance(data, bytes) else data
    if stream.read(3) != b"\xef\xbb\xbf":
        stream.seek(0)
    start = stream.tell()
    encoding = _encoding(stream)
    stream.seek(start)
    problems: list[Problem] = []
    cutter = _Cutter(problems)
    statements: list[_Statement] = []
    current: _Statement | None = None
    operations = 0
    broken_operation = False  # the 05 records of a refused 04 would only repeat its problem
    for number, record in _records(stream, encoding, cutter):
        if len(problems) >= MAX_PROBLEMS:
            problems.append(
                Problem.of(
                    "cfonb_too_many_problems",
                    N_("more than %(count)s problems: reading stopped (is it a CFONB 120 file?)"),
                    number,
                    count=MAX_PROBLEMS,
                )
            )
            break
        if record[:2] == "04":
            operations += 1
            if operations > MAX_OPERATIONS:
                problems.append(
                    Problem.of(
                        "cfonb_too_large",
                        N_(
                            "more than %(count)s operations in one file: reading stopped; "
                            "ask the bank for shorter statements"
                        ),
                        number,
                        count=MAX_OPERATIONS,
                    )
                )
                break
        code = record[:2]
        if code == "05" and broken_operation:
            continue
        broken_operation = code == "04"
        try:
            if code not in _CODES:
                raise CfonbError(N_("record code %(code)r; expected 01, 04, 05 or 07"), code=code)
            if code == "01":
                current = _Statement(_account(record), record[16:19], number)
                current.opening = decode_amount(record[90:104], _decimals(record))
                current.opening_date = _date(record[34:40], _DATE)
                statements.append(current)
            elif current is None:
                raise CfonbError(
                    N_("record %(code)s before any 01 (old balance) record"), code=code
                )
            elif code == "04":
                decimals = _decimals(record)
                booking = _date(record[34:40], _BOOKING_DATE)
                value_text = record[42:48]
                value_date = _date(value_text, _VALUE_DATE) if value_text.strip("0 ") else None
                current.lines.append(
                    LineRecord(
                        booking_date=booking,
                        value_date=value_date,
                        amount=decode_amount(record[90:104], decimals),
                        currency=record[16:19],
                        # The statement's account: some banks put another bank code on 04 records.
                        account=current.account,
                        label=clean(record[48:79]),
                        bank_reference=clean(record[104:120]) or record[81:88].strip("0 "),
                        kind=record[32:34].strip(),
                        line=number,
                    )
                )
                current.texts.append([])
                broken_operation = False
            elif code == "05":
                if not current.lines:
                    raise CfonbError(
                        N_("05 (complement) record without an 04 (operation) before it")
                    )
                current.lines[-1] = _complement(current.lines[-1], current.texts[-1], record)
            else:  # 07
                current.closing = decode_amount(record[90:104], _decimals(record))
                current.closing_date = _date(record[34:40], _DATE)
                current = None
        except CfonbError as exc:
            problems.append(Problem.from_error("cfonb_record", exc, number))
    one_line = cutter.lines_with_text == 1
    notes = [f"CFONB 120, {encoding}" + (", without line breaks" if one_line else "")]
    done = []
    for statement in statements:
        lines = tuple(
            replace(line, remittance=join_texts(texts))
            for line, texts in zip(statement.lines, statement.texts, strict=True)
        )
        if statement.closing is None:
            problems.append(
                Problem.of(
                    "cfonb_unclosed",
                    N_("old balance (01) without a new balance (07)"),
                    statement.line,
                )
            )
        elif statement.opening is not None:
            total = sum((line.amount for line in lines), Decimal(0))
            if statement.opening + total != statement.closing:
                notes.append(
                    f"line {statement.line}: old balance {statement.opening} + operations {total}"
                    f" ≠ new balance {statement.closing}"
                )
        done.append(
            StatementRecord(
                account=statement.account,
                currency=statement.currency,
                statement_id=f"{statement.opening_date or ''}",
                opening_balance=statement.opening,
                opening_date=statement.opening_date,
                closing_balance=statement.closing,
                closing_date=statement.closing_date,
                lines=lines,
                line=statement.line,
            )
        )
    if not cutter.count and not problems:
        problems.append(Problem.of("cfonb_empty", N_("no CFONB record in the file"), 1))
    problems.sort(key=lambda problem: problem.line or 0)
    return build_report("cfonb", done, problems, notes)


__all__ = ["RECORD_LENGTH", "CfonbError", "decode_amount", "looks_like_cfonb", "read_cfonb"]


def _is_cfonb(data: bytes) -> bool:
    return looks_like_cfonb(head_text(data), cut=len(data) >= HEAD)


CFONB = BankFormat("cfonb", "CFONB 120", _is_cfonb, read_cfonb)
