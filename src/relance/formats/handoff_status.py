"""The status file an agency or a lawyer sends back about the cases handed to it.

A CSV (``,`` or ``;``, UTF-8 or Windows-1252) with a header naming four columns, in any order:
``reference`` (the hand-off's reference, as in the dossier), ``status`` (``paid``,
``partly_paid``, ``plan``, ``abandoned``, or in French ``payé``, ``partiellement payé``,
``échéancier``, ``abandonné``), ``amount`` (what was collected for ``paid`` and
``partly_paid``: required and positive; else optional) and ``date`` (``YYYY-MM-DD`` or
``DD/MM/YYYY``). ``status_file_parse`` returns the lines *and* every problem, each with its
line (the header is line 1); the caller takes the file whole or not at all.

Imports only the domain.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from relance.domain.money import AmountError, parse_amount
from relance.domain.problems import N_, Problem
from relance.formats.text import DateError, detect_separator, normalize_header, parse_date

STATUSES = ("paid", "partly_paid", "plan", "abandoned")
PAYING = frozenset({"paid", "partly_paid"})
_WORDS = {
    "paid": "paid", "paye": "paid", "payee": "paid", "regle": "paid",
    "partly_paid": "partly_paid", "partially_paid": "partly_paid", "partiellement_paye": "partly_paid",
    "paiement_partiel": "partly_paid",
    "plan": "plan", "echeancier": "plan", "payment_plan": "plan",
    "abandoned": "abandoned", "abandonne": "abandoned", "abandon": "abandoned",
}
COLUMNS = ("reference", "status", "amount", "date")
_HEADERS = {"reference": "reference", "ref": "reference", "status": "status", "statut": "status",
            "amount": "amount", "montant": "amount", "date": "date"}


@dataclass(frozen=True, slots=True)
class StatusLine:
    line: int
    reference: str
    status: str
    amount: Decimal
    day: date


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def status_file_parse(data: bytes) -> tuple[list[StatusLine], list[Problem]]:
    """The lines of a status file and its problems (see the module).

    >>> lines, problems = status_file_parse(b"reference;status;amount;date\\nR-1;paye;1 200,00;02/03/2026\\n")
    >>> [(x.reference, x.status, x.amount, x.day) for x in lines], problems
    ([('R-1', 'paid', Decimal('1200.00'), datetime.date(2026, 3, 2))], [])
    >>> status_file_parse(b"reference,status,amount,date\\nR-1,lost,,2026-03-02\\n")[1][0].message
    "'lost' is not a status: paid, partly_paid, plan or abandoned"
    """
    text = _text(data)
    rows = text.splitlines()
    if not rows or not rows[0].strip():
        return [], [Problem.of("empty_file", N_("The file is empty: a header line is expected."), 1)]
    reader = csv.reader(io.StringIO(text), delimiter=detect_separator(rows[0], ",;\t"))
    header = [_HEADERS.get(normalize_header(name), "") for name in next(reader)]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        return [], [Problem.of(
            "missing_column", N_("The header lacks the columns %(columns)s (reference, status, amount, date)."),
            1, columns=", ".join(missing),
        )]
    where = {name: header.index(name) for name in COLUMNS}
    lines: list[StatusLine] = []
    problems: list[Problem] = []
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: (row[i].strip() if i < len(row) else "") for name, i in where.items()}
        found = len(problems)
        if not cells["reference"]:
            problems.append(Problem.of("no_reference", N_("No reference."), number, "reference"))
        status = _WORDS.get(normalize_header(cells["status"]))
        if status is None:
            problems.append(Problem.of(
                "bad_status", N_("%(value)r is not a status: paid, partly_paid, plan or abandoned"),
                number, "status", value=cells["status"],
            ))
        amount = Decimal("0.00")
        if cells["amount"]:
            try:
                amount = parse_amount(cells["amount"])
            except AmountError as exc:
                problems.append(Problem.from_error("bad_amount", exc, number, "amount"))
            else:
                if amount < 0 or amount != amount.quantize(Decimal("0.01")):
                    problems.append(Problem.of(
                        "bad_amount", N_("%(value)r is not an amount in euros and cents"), number, "amount",
                        value=cells["amount"],
                    ))
        if status in PAYING and len(problems) == found and amount <= 0:
            problems.append(Problem.of(
                "no_amount", N_("A payment (%(status)s) needs the amount collected."), number, "amount",
                status=status,
            ))
        day = date.min
        try:
            day = parse_date(cells["date"])
        except DateError as exc:
            problems.append(Problem.from_error("bad_date", exc, number, "date"))
        if len(problems) == found and status is not None:
            lines.append(StatusLine(number, cells["reference"], status, amount.quantize(Decimal("0.01")), day))
    if not lines and not problems:
        problems.append(Problem.of("no_lines", N_("The file has a header but no line."), 2))
    return lines, problems
