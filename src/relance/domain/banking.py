"""Bank statement records, whatever file format they were read from.

Readers in ``relance.formats`` (ISO 20022 camt.053/054, OFX, CFONB 120, bank CSV) turn a file
into a ``BankReport``: statements, each with its ``LineRecord`` values, plus the problems met
and notes for the user. A report with problems is refused whole by the import service.

Amounts are exact ``Decimal`` values, signed from the account holder's side: a credit
(money in, a debtor paying) is positive, a debit negative.

Every line carries a ``fingerprint`` so that importing the same statement twice adds nothing:
a SHA-256 over the account, the dates, the amount, the references, the counterparty and the
remittance text, plus an occurrence counter that keeps two genuinely identical lines of one
file apart (two payments of 50 € on the same day with no reference at all).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from relance.domain.money import MAX_AMOUNT, ZERO, round_cents
from relance.domain.problems import N_, Note, Problem

# Statement balances are DecimalField(max_digits=16, decimal_places=2).
MAX_BALANCE = Decimal("99999999999999.99")


@dataclass(frozen=True, slots=True)
class LineRecord:
    """One booked movement on a bank account.

    ``amount`` is signed: ``+`` credit, ``-`` debit. ``remittance`` joins every unstructured
    remittance line the payer sent; ``structured_reference`` holds the creditor reference
    (ISO 11649 ``RF…`` or a national one) when the format has a field for it. ``label`` is the
    bank's own booking text and ``kind`` the bank's transaction code. ``line`` is the 1-based
    line of the file where the movement starts.
    """

    booking_date: date
    amount: Decimal
    currency: str
    value_date: date | None = None
    account: str = ""
    counterparty_name: str = ""
    counterparty_iban: str = ""
    remittance: str = ""
    structured_reference: str = ""
    end_to_end_id: str = ""
    bank_reference: str = ""
    label: str = ""
    kind: str = ""
    line: int = 0
    fingerprint: str = ""

    @property
    def is_credit(self) -> bool:
        return self.amount > 0

    def fingerprint_key(self) -> str:
        """The text the fingerprint hashes, without the occurrence counter."""
        parts = (
            self.account,
            self.booking_date.isoformat(),
            self.value_date.isoformat() if self.value_date else "",
            format(self.amount.normalize() if self.amount else Decimal(0), "f"),
            self.currency,
            self.end_to_end_id,
            self.bank_reference,
            self.structured_reference,
            self.counterparty_iban,
            " ".join(self.counterparty_name.split()).upper(),
            " ".join(self.remittance.split()).upper(),
        )
        return "\x1f".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "booking_date": self.booking_date.isoformat(),
            "value_date": self.value_date.isoformat() if self.value_date else None,
            "amount": str(self.amount),
            "currency": self.currency,
            "account": self.account,
            "counterparty_name": self.counterparty_name,
            "counterparty_iban": self.counterparty_iban,
            "remittance": self.remittance,
            "structured_reference": self.structured_reference,
            "end_to_end_id": self.end_to_end_id,
            "bank_reference": self.bank_reference,
            "label": self.label,
            "kind": self.kind,
            "line": self.line,
            "fingerprint": self.fingerprint,
        }


@dataclass(frozen=True, slots=True)
class StatementRecord:
    """One statement (or notification) of one account: balances when known, and its lines.

    ``account`` is the IBAN when the file gives one, else the bank's account id.
    Balances are signed like lines (a negative balance is an overdraft).
    """

    account: str
    currency: str
    statement_id: str = ""
    opening_balance: Decimal | None = None
    opening_date: date | None = None
    closing_balance: Decimal | None = None
    closing_date: date | None = None
    lines: tuple[LineRecord, ...] = ()
    line: int = 0

    def as_dict(self) -> dict[str, Any]:
        def amount(value: Decimal | None) -> str | None:
            return None if value is None else str(value)

        def day(value: date | None) -> str | None:
            return None if value is None else value.isoformat()

        return {
            "account": self.account,
            "currency": self.currency,
            "statement_id": self.statement_id,
            "opening_balance": amount(self.opening_balance),
            "opening_date": day(self.opening_date),
            "closing_balance": amount(self.closing_balance),
            "closing_date": day(self.closing_date),
            "line": self.line,
            "lines": [line.as_dict() for line in self.lines],
        }


@dataclass(frozen=True, slots=True)
class BankReport:
    """What a bank-file reader returns: the statements, the problems, notes for the user.

    ``format`` is one of ``camt053``, ``camt054``, ``ofx``, ``cfonb``, ``csv`` (or ``unknown``).
    Any problem means the file must be refused whole.
    """

    format: str
    statements: tuple[StatementRecord, ...] = ()
    problems: tuple[Problem, ...] = ()
    notes: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def lines(self) -> tuple[LineRecord, ...]:
        return tuple(line for statement in self.statements for line in statement.lines)

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "statements": [statement.as_dict() for statement in self.statements],
            "problems": [problem.as_dict() for problem in self.problems],
            "notes": list(self.notes),
        }


def fingerprint_lines(
    lines: Sequence[LineRecord], seen: dict[str, int] | None = None
) -> list[LineRecord]:
    """Give each line its fingerprint; ``seen`` counts occurrences across several calls.

    >>> from datetime import date
    >>> a = LineRecord(date(2024, 1, 13), Decimal("10.00"), "EUR", account="FR76")
    >>> first, second = fingerprint_lines([a, a])
    >>> first.fingerprint != second.fingerprint
    True
    >>> fingerprint_lines([a])[0].fingerprint == first.fingerprint
    True
    """
    counts: dict[str, int] = {} if seen is None else seen
    result = []
    for line in lines:
        key = line.fingerprint_key()
        occurrence = counts.get(key, 0)
        counts[key] = occurrence + 1
        digest = hashlib.sha256(f"{key}\x1e{occurrence}".encode()).hexdigest()
        result.append(replace(line, fingerprint=digest))
    return result


def _in_cents(
    statement: StatementRecord, problems: list[Problem], notes: list[str]
) -> StatementRecord:
    """The statement with every amount in cents, rounded half-up (``round_cents``) with a note.

    A movement that rounds to nothing is a problem, not a 0.00 line: a bank books cents, so
    ``0.00001`` is no money that arrived but a misread file (a currency's decimals, a column),
    and a person must look at it before anything is matched against it. An amount beyond
    what the database holds is a problem too.
    """
    lines = []
    for line in statement.lines:
        amount = round_cents(line.amount)
        if abs(amount) > MAX_AMOUNT:
            problems.append(
                Problem.of(
                    "bank_amount_too_large",
                    N_("amount %(amount)s is beyond the largest amount Relance holds (%(limit)s)"),
                    line.line,
                    amount=line.amount,
                    limit=MAX_AMOUNT,
                )
            )
        elif amount != line.amount:
            if amount == ZERO:
                problems.append(
                    Problem.of(
                        "bank_amount_below_cent",
                        N_(
                            "amount %(amount)s is less than a cent: a bank books cents, so the "
                            "file is misread or wrong; nothing was imported"
                        ),
                        line.line,
                        amount=line.amount,
                    )
                )
            else:
                notes.append(
                    Note(
                        N_("line %(line)s: amount %(amount)s rounded half-up to %(rounded)s"),
                        line=line.line,
                        amount=line.amount,
                        rounded=amount,
                    )
                )
            line = replace(line, amount=amount)
        lines.append(line)
    opening, closing = (
        _balance_in_cents(value, statement.line, problems)
        for value in (statement.opening_balance, statement.closing_balance)
    )
    return replace(
        statement, lines=tuple(lines), opening_balance=opening, closing_balance=closing
    )


def _balance_in_cents(
    value: Decimal | None, where: int, problems: list[Problem]
) -> Decimal | None:
    """A balance rounded half-up to the cent; as written ("111") when it has no more digits."""
    if value is None:
        return None
    rounded = round_cents(value)
    if abs(rounded) > MAX_BALANCE:
        problems.append(
            Problem.of(
                "bank_amount_too_large",
                N_("balance %(amount)s is beyond the largest balance Relance holds (%(limit)s)"),
                where,
                amount=value,
                limit=MAX_BALANCE,
            )
        )
    return value if rounded == value else rounded


def build_report(
    format: str,
    statements: Iterable[StatementRecord],
    problems: Iterable[Problem] = (),
    notes: Iterable[str] = (),
) -> BankReport:
    """Assemble a report: every amount in cents (``_in_cents``), every line fingerprinted
    (occurrences counted over the whole file)."""
    seen: dict[str, int] = {}
    found, told = list(problems), list(notes)
    done = tuple(
        replace(rounded, lines=tuple(fingerprint_lines(rounded.lines, seen)))
        for rounded in (_in_cents(statement, found, told) for statement in statements)
    )
    return BankReport(format=format, statements=done, problems=tuple(found), notes=tuple(told))
