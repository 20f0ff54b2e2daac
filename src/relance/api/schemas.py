"""What each endpoint answers, for the OpenAPI description. Money is a string of cents
("1200.00", a ``Decimal`` written out), dates are ISO 8601."""

from __future__ import annotations

import datetime
import re
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BeforeValidator, Field

from relance.domain.law.routes import RouteCode

_ISO_DATE = re.compile(r"^(19[0-9]{2}|2[0-9]{3})-[0-9]{2}-[0-9]{2}$")


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD`` (or a date) from 1900 to 2999: pydantic alone reads ``0`` as
    1970-01-01, and a day of year 1 leaves no room for the penalties' periods before it."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        if 1900 <= value.year <= 2999:
            return value
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return value
    raise ValueError("a date is written YYYY-MM-DD, from 1900 to 2999")


IsoDate = Annotated[
    datetime.date,
    BeforeValidator(_iso_date),
    Field(json_schema_extra={"pattern": _ISO_DATE.pattern}),
]
"""A day the client gives: ISO 8601's ``YYYY-MM-DD`` and nothing else, 1900 to 2999."""


class ErrorOut(Schema):
    code: str
    message: str
    # A refused approval (code "not_sendable"): each problem, {code, message, line, column}.
    problems: list[dict[str, Any]] | None = None


class CreditorOut(Schema):
    id: int
    name: str
    kind: str
    siren: str
    vat_number: str
    iban: str
    bic: str
    email: str
    address: str
    postal_code: str
    city: str
    country: str
    payment_terms_days: int
    role: str  # yours on this creditor: viewer, collector or admin


class Paged(Schema):
    creditor: int
    count: int
    page: int
    pages: int


class InvoiceOut(Schema):
    number: str
    debtor_account: str
    issue_date: datetime.date
    due_date: datetime.date
    currency: str
    total_amount: str
    open_amount: str
    status: str
    # An open invoice's time limit (prescription): last_day (none while a mediation suspends
    # it), expired, kind, basis, the events counted (payments, plans, recorded events), notes;
    # or problem when a recorded event was refused. None for a paid invoice.
    limitation: dict[str, Any] | None = None


class InvoicePage(Paged):
    items: list[InvoiceOut]


class DebtorBase(Schema):
    id: int
    account: str
    name: str
    kind: str
    siren: str
    email: str
    phone: str
    is_do_not_contact: bool
    is_legal_hold: bool


class DebtorOut(DebtorBase):
    open_total: str
    overdue_total: str
    open_invoices: int
    days_overdue: int


class DebtorPage(Paged):
    items: list[DebtorOut]


class CaseOut(Schema):
    id: int
    status: str
    paused_until: datetime.date | None


class OpenInvoiceOut(Schema):
    id: int
    number: str
    issue_date: datetime.date
    due_date: datetime.date
    currency: str
    total_amount: str
    open_amount: str
    days_overdue: int
    penalties: str | None  # None when not overdue, or when a rate is missing
    amount_due: str | None  # open amount, penalties and the indemnity
    note: str
    missing_rate: str  # the period whose rate is not recorded yet (then no penalties)


class DebtorDetail(DebtorBase):
    creditor: int
    as_of: datetime.date
    open_total: str
    open_invoices_count: int
    open_invoices_pages: int
    case: CaseOut | None
    open_invoices: list[OpenInvoiceOut]


class ActionOut(Schema):
    id: int
    debtor_account: str
    debtor_name: str
    step: str
    channel: str
    planned_date: datetime.date
    state: str
    awaiting_approval: bool
    reason: str
    idempotency_key: str
    message_id: str
    sha256: str
    attempts: int
    error: str
    phone: str


class ActionPage(Paged):
    items: list[ActionOut]


# A row id: what the databases' 64-bit keys hold.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]


class ApproveIn(Schema):
    ids: Annotated[list[RowId], Field(min_length=1)]  # the actions awaiting approval, approved at once


class DisputeIn(Schema):
    invoice: Annotated[str, Field(min_length=1)]  # the invoice number
    reason: str = ""
    as_of: IsoDate | None = None  # the day it is opened (default: today)


class DisputeOut(Schema):
    id: int
    creditor: int
    invoice: str
    reason: str
    status: str
    opened_on: datetime.date


class PromiseIn(Schema):
    debtor: Annotated[str, Field(min_length=1)]  # the debtor's account
    # more than zero, in euros and cents: "500.00", "500"
    amount: Annotated[
        str,
        Field(pattern=r"^([0-9]{0,11}[1-9][0-9]{0,11}(\.[0-9]{1,2})?|[0-9]{1,12}\.([0-9][1-9]|[1-9][0-9]?))$"),
    ]
    date: IsoDate  # the day the debtor promised to pay by
    grace_days: Annotated[int, Field(ge=0)] = 3
    as_of: IsoDate | None = None  # the day it is recorded (default: today)


class PromiseOut(Schema):
    id: int
    creditor: int
    debtor: str
    amount: str
    date: datetime.date
    grace_days: int
    status: str


class CostOut(Schema):
    id: int
    creditor: int
    debtor: str
    case: int
    amount: str
    currency: str
    date: datetime.date
    description: str
    proof: str
    sha256: str


class ImportOut(Schema):
    format: str
    created: int
    updated: int
    unchanged: int
    settled: int
    settling: dict[str, Any]
    question: str | None
    conflicts: list[dict[str, Any]]
    problems: list[dict[str, Any]]
    notes: list[str]
    batch: int | None
    dry_run: bool
    committed: bool


class RunOut(Schema):
    as_of: datetime.date
    dry_run: bool
    cases_evaluated: int
    actions: dict[str, int]
    by_channel: dict[str, int]
    cases: dict[str, int]
    held: dict[str, int]
    problems: list[dict[str, Any]]


# A legal stage's key dates (``domain.law.procedure.KEY_DATES``; a test keeps them equal).
LegalKey = Literal["filed", "order_issued", "order_served", "formula_requested", "judgment", "enforceable"]
# Text with no NUL character, which PostgreSQL's text columns cannot hold (a 500, not a 400).
NUL_FREE = r"^[^\x00]*$"
# A form field that must not be empty (an empty multipart field reads as an absent one).
NonEmpty = Annotated[str, Field(min_length=1, pattern=NUL_FREE)]


class LegalIn(Schema):
    debtor: Annotated[str, Field(pattern=NUL_FREE)]  # the debtor's account
    route: RouteCode  # injonction, psrpc, refere-provision, agency or lawyer
    reference: Annotated[str, Field(pattern=NUL_FREE)] = ""  # default: the case's, R-YYYY-NNNN
    as_of: IsoDate | None = None  # the day it moves (default: today)


class LegalDateIn(Schema):
    debtor: Annotated[str, Field(pattern=NUL_FREE)]
    key: LegalKey
    date: IsoDate
    as_of: IsoDate | None = None  # today, for the check that the date is past


class LegalStageOut(Schema):
    debtor: str
    case: int
    route: str
    reference: str
    entered_on: datetime.date
    dates: dict[str, datetime.date]


class LegalReminderOut(Schema):
    debtor: str
    reference: str
    route: str
    reminder: str
    since: datetime.date
    deadline: datetime.date | None
    past: bool
    basis: str


class StatusImportOut(Schema):
    """A status file from an agency or a lawyer: taken whole (``imported``) or refused whole with
    every line and reason in ``problems``; the JSON of ``relance case status-import --json``."""

    imported: bool
    lines: int
    payments: int
    problems: list[dict[str, Any]]
