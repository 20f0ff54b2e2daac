"""Records read from a creditor's ledger export (CSV, FEC, e-invoices).

A reader yields ``InvoiceRecord`` values and fills ``problems``; the import service decides
what to write. Credit notes are invoices with a negative total.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, Protocol

from relance.domain.problems import Problem

DebtorKind = Literal["business", "consumer", "public"]
DEBTOR_KINDS: tuple[DebtorKind, ...] = ("business", "consumer", "public")


@dataclass(frozen=True, slots=True)
class DebtorRecord:
    account: str
    name: str
    kind: DebtorKind = "business"
    siren: str = ""
    email: str = ""
    phone: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    country: str = "FR"


@dataclass(frozen=True, slots=True)
class InvoiceRecord:
    """One open (or settled) receivable as the export states it.

    ``line`` is where it came from in the file, for the audit trail and for problems. A
    negative total makes it a credit note (``is_credit_note``); ``credit_note_for`` is then the
    number of the invoice it corrects, when it names one.
    """

    number: str
    debtor: DebtorRecord
    issue_date: date
    due_date: date
    total_amount: Decimal
    open_amount: Decimal
    currency: str = "EUR"
    line: int = 0
    credit_note_for: str = ""
    # The day the export says the invoice was paid (what it settled), when it says one.
    paid_date: date | None = None

    @property
    def is_credit_note(self) -> bool:
        """A credit note: a document that reduces what the debtor owes."""
        return self.total_amount < 0

    @property
    def kind(self) -> str:
        """The document's kind as the ledger stores it: kind and number identify it."""
        return "credit_note" if self.total_amount < 0 else "invoice"


@dataclass(frozen=True, slots=True)
class LastContact:
    """The last step of the chase done with a debtor before Relance, as the file states it
    (``last_contact_step`` / ``last_contact_date``): the chase resumes after it."""

    account: str
    step: str
    day: date
    line: int
    column: str = ""


@dataclass
class ReadReport:
    """What a reader learnt besides the records: the format, problems, notes for the user, and
    the debtors' last contacts before Relance (per account, when the file has the columns)."""

    format: str
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    contacts: dict[str, LastContact] = field(default_factory=dict)


class LedgerReader(Protocol):
    """Iterate to read the file; ``report`` is complete once iteration has ended."""

    report: ReadReport

    def __iter__(self) -> Iterator[InvoiceRecord]: ...
