"""Exports of one creditor's debtors, invoices, aging and actions, as ``Table`` values that
``relance.formats.export`` writes as CSV or XLSX (formula injection escaped there).

Every table reads one creditor's rows only: the CLI and the API pass the creditor the caller
may read, and nothing here looks past it. Amounts are ``Decimal`` and dates ``date``, so that a
spreadsheet reads them as numbers and dates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import date
from typing import IO

from relance.apps.collection.selectors import actions_list
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor
from relance.apps.ledger.selectors import BUCKETS, aging_report, invoices_list
from relance.domain.errors import InvalidInputError
from relance.domain.money import round_cents
from relance.formats.export import EXPORT_FORMATS, Cell, Table, write_csv, write_xlsx

DEBTOR_FIELDS = (
    "account", "name", "kind", "siren", "email", "phone", "address", "postal_code", "city", "country",
)


def _debtors(creditor: Creditor, as_of: date) -> Table:
    rows = Debtor.objects.filter(creditor=creditor).order_by("account").values_list(*DEBTOR_FIELDS)
    return Table("debtors", DEBTOR_FIELDS, rows.iterator(chunk_size=5000))


def _invoices(creditor: Creditor, as_of: date) -> Table:
    headers = (
        "number", "debtor_account", "debtor_name", "issue_date", "due_date", "currency",
        "total_amount", "open_amount", "status",
    )
    rows = invoices_list(creditor=creditor).values_list(
        "number", "debtor__account", "debtor__name", "issue_date", "due_date", "currency",
        "total_amount", "open_amount", "status",
    )
    return Table("invoices", headers, rows.iterator(chunk_size=5000))


def _aging(creditor: Creditor, as_of: date) -> Table:
    report = aging_report(creditor=creditor, as_of=as_of, by_debtor=True)
    headers = ("debtor_account", "debtor_name", "currency", *BUCKETS, "total")

    def rows() -> Iterator[Sequence[Cell]]:
        for line in report.debtors or ():
            yield (
                line.debtor_account, line.debtor_name, line.currency,
                *(round_cents(line.buckets[bucket]) for bucket in BUCKETS),
                round_cents(line.total),
            )

    return Table(f"aging {as_of.isoformat()}", headers, rows())


def _actions(creditor: Creditor, as_of: date) -> Table:
    headers = (
        "id", "debtor_account", "debtor_name", "step", "channel", "planned_date", "state",
        "reason", "recipient", "subject",
    )

    def rows() -> Iterator[Sequence[Cell]]:
        for action in actions_list(creditor=creditor).iterator(chunk_size=2000):
            yield (
                action.pk, action.debtor.account, action.debtor.name, action.step_key,
                action.channel, action.planned_date, action.state, action.reason,
                action.recipient, action.subject,
            )

    return Table("actions", headers, rows())


EXPORTS: dict[str, Callable[[Creditor, date], Table]] = {
    "debtors": _debtors,
    "invoices": _invoices,
    "aging": _aging,
    "actions": _actions,
}

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_table(*, creditor: Creditor, kind: str, as_of: date) -> Table:
    """One creditor's ``kind`` (debtors, invoices, aging, actions) as a table."""
    build = EXPORTS.get(kind)
    if build is None:
        raise InvalidInputError(f"unknown export {kind!r}: one of {', '.join(EXPORTS)}")
    return build(creditor, as_of)


def export_write(
    *, creditor: Creditor, kind: str, format: str, as_of: date, stream: IO[bytes]
) -> None:
    """Write one creditor's ``kind`` as ``format`` (csv: UTF-8 with a BOM, which Excel needs
    to read accents; xlsx) on a binary stream."""
    if format not in EXPORT_FORMATS:
        raise InvalidInputError(f"unknown export format {format!r}: one of {', '.join(EXPORT_FORMATS)}")
    table = export_table(creditor=creditor, kind=kind, as_of=as_of)
    if format == "xlsx":
        write_xlsx(table, stream)
        return
    import io

    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    try:
        write_csv(table, text)
        text.flush()
    finally:
        text.detach()
