"""Bank statement lines from a CSV export (RFC 4180, with the separators banks really use).

No standard governs bank CSV exports; this module reads the columns below, matched by their
header in English or French (case, accents, spaces, dashes and underscores ignored). The
separator is found from the header line: ``,``, ``;`` or TAB. Amounts may be written the
French way (``1 234,50``) or the English way (``1,234.50``); dates as ``2024-01-13``,
``13/01/2024``, ``13/01/24``, ``13.01.2024`` or ``20240113``.

=================  ===================================================  =========
column             also accepted as                                     required
=================  ===================================================  =========
date               booking_date, date operation, date comptable         yes
value_date         date valeur, valeur
amount             montant, somme (signed: ``+`` money in, ``-`` out)   amount or
debit              debit (money out, written positive or negative)      debit and/or
credit             credit (money in)                                    credit
label              libelle, description, intitule, operation
counterparty       tiers, payer, payeur, beneficiaire, name, nom
iban               counterparty_iban, iban tiers, compte
reference          bank_reference, ref, référence (the bank's reference)
remittance         motif, communication, details, remittance_information
structured_ref...  structured_reference, creditor_reference, reference_creancier
end_to_end_id      end to end, e2e
currency           devise (default ``EUR``)
account            compte bancaire, account_iban (the statement's account)
=================  ===================================================  =========

Lines of all accounts form one statement per account. The header is line 1; data lines are
numbered as in the file.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

from relance.domain.banking import BankReport, LineRecord, StatementRecord, build_report
from relance.domain.money import AmountError, parse_amount
from relance.domain.problems import N_, Problem
from relance.formats._bankutil import (
    BankFormat,
    clean,
    compact_iban,
    decode_text,
    head_text,
    parse_flexible_date,
)

_ALIASES: dict[str, tuple[str, ...]] = {
    "date": (
        "date",
        "bookingdate",
        "dateoperation",
        "datecomptable",
        "datedoperation",
        "datecompta",
    ),
    "value_date": ("valuedate", "datevaleur", "valeur", "datedevaleur"),
    "amount": ("amount", "montant", "somme"),
    "debit": ("debit",),
    "credit": ("credit",),
    "label": ("label", "libelle", "description", "intitule", "operation", "libelleoperation"),
    "counterparty": (
        "counterparty",
        "tiers",
        "payer",
        "payeur",
        "beneficiaire",
        "name",
        "nom",
        "counterpartyname",
    ),
    "iban": ("iban", "counterpartyiban", "ibantiers"),
    "reference": ("reference", "bankreference", "ref"),
    "remittance": ("remittance", "motif", "communication", "details", "remittanceinformation"),
    "structured_reference": ("structuredreference", "creditorreference", "referencecreancier"),
    "end_to_end_id": ("endtoendid", "endtoend", "e2e"),
    "currency": ("currency", "devise"),
    "account": ("account", "comptebancaire", "accountiban"),
}


def _key(header: str) -> str:
    text = unicodedata.normalize("NFKD", header).encode("ascii", "ignore").decode()
    return "".join(char for char in text.lower() if char.isalnum())


def _columns(header: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    lookup = {alias: name for name, aliases in _ALIASES.items() for alias in aliases}
    for index, title in enumerate(header):
        name = lookup.get(_key(title))
        if name and name not in found:
            found[name] = index
    return found


def _separator(first_line: str) -> str:
    counts = {sep: first_line.count(sep) for sep in (";", "\t", ",")}
    return max(counts, key=lambda sep: counts[sep])


def looks_like_bank_csv(text: str) -> bool:
    """A header line naming a date column and an amount (or debit/credit) column."""
    first = text.lstrip("\ufeff").split("\n", 1)[0].rstrip("\r")
    if not first:
        return False
    header = next(csv.reader([first], delimiter=_separator(first)))
    columns = _columns(header)
    return "date" in columns and ("amount" in columns or "debit" in columns or "credit" in columns)


def _rows(text: str) -> Iterator[tuple[int, list[str]]]:
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_separator(first))
    for row in reader:
        yield reader.line_num, row


def _money(text: str) -> Decimal:
    return parse_amount(text) if text.strip() else Decimal(0)


def read_bank_csv(data: bytes) -> BankReport:
    """Read a bank CSV export (columns in the module docstring)."""
    text, encoding = decode_text(data)
    text = text.lstrip("\ufeff")
    problems: list[Problem] = []
    rows = _rows(text)
    try:
        _, header = next(rows)
    except StopIteration:
        return build_report("csv", (), [Problem.of("csv_empty", N_("empty file"), 1)])
    columns = _columns(header)
    no_date = "date" not in columns
    no_amount = not {"amount", "debit", "credit"} & columns.keys()
    if no_date or no_amount:
        missing = (
            N_("missing column(s): date, amount (or debit/credit)")
            if no_date and no_amount
            else N_("missing column(s): date")
            if no_date
            else N_("missing column(s): amount (or debit/credit)")
        )
        return build_report("csv", (), [Problem.of("csv_header", missing, 1)])
    by_account: dict[str, list[LineRecord]] = {}
    for number, row in rows:
        if not any(cell.strip() for cell in row):
            continue

        def cell(name: str, row: list[str] = row) -> str:
            index = columns.get(name)
            return row[index].strip() if index is not None and index < len(row) else ""

        try:
            booking = parse_flexible_date(cell("date"))
        except ValueError:
            problems.append(
                Problem.of(
                    "csv_date",
                    N_("%(value)r is not a date"),
                    number,
                    header[columns["date"]],
                    value=cell("date"),
                )
            )
            continue
        value_date: date | None = None
        if cell("value_date"):
            try:
                value_date = parse_flexible_date(cell("value_date"))
            except ValueError:
                problems.append(
                    Problem.of(
                        "csv_date",
                        N_("%(value)r is not a date"),
                        number,
                        header[columns["value_date"]],
                        value=cell("value_date"),
                    )
                )
                continue
        try:
            if "amount" in columns and cell("amount"):
                amount = _money(cell("amount"))
            else:
                amount = abs(_money(cell("credit"))) - abs(_money(cell("debit")))
        except AmountError as exc:
            problems.append(Problem.from_error("csv_amount", exc, number))
            continue
        if not (cell("amount") or cell("debit") or cell("credit")):
            problems.append(Problem.of("csv_amount", N_("no amount on this line"), number))
            continue
        account = compact_iban(cell("account"))
        by_account.setdefault(account, []).append(
            LineRecord(
                booking_date=booking,
                value_date=value_date,
                amount=amount,
                currency=(cell("currency") or "EUR").upper(),
                account=account,
                counterparty_name=clean(cell("counterparty")),
                counterparty_iban=compact_iban(cell("iban")),
                remittance=clean(cell("remittance")),
                structured_reference=clean(cell("structured_reference")),
                end_to_end_id=clean(cell("end_to_end_id")),
                bank_reference=clean(cell("reference")),
                label=clean(cell("label")),
                line=number,
            )
        )
    statements = [
        StatementRecord(
            account=account,
            currency=lines[0].currency,
            lines=tuple(lines),
            line=lines[0].line,
        )
        for account, lines in by_account.items()
    ]
    if not statements and not problems:
        problems.append(Problem.of("csv_empty", N_("no data line after the header"), 1))
    return build_report("csv", statements, problems, [f"bank CSV, {encoding}"])


def _is_bank_csv(data: bytes) -> bool:
    text = head_text(data)
    # Markup that is neither camt nor OFX is no CSV, whatever its first line says.
    return not text.lstrip().startswith("<") and looks_like_bank_csv(text)


BANK_CSV = BankFormat("csv", N_("bank CSV"), _is_bank_csv, read_bank_csv)
