"""Ledger amounts are exact or refused: never rounded behind the user's back, never beyond what
the database holds (issue 15). Run on SQLite and on PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest

from relance import cli
from relance.apps.ledger.models import Allocation, Invoice, Payment
from relance.apps.ledger.services import ledger_import
from relance.domain.money import MAX_AMOUNT

pytestmark = pytest.mark.django_db

HEADER = "Numéro facture;Compte client;Raison sociale;Date facture;Date échéance;Montant TTC;Reste dû\n"


def row(number: str, total: str, open_: str = "") -> str:
    return f"{number};411A;Client A;01/02/2026;03/03/2026;{total};{open_}\n"


def run(creditor, text: str):
    return ledger_import(
        creditor=creditor, stream=io.BytesIO(text.encode()), filename="export.csv", as_of=date(2026, 4, 1)
    )


def problems(result) -> list[tuple[str, int | None, str | None, str]]:
    return [(p.code, p.line, p.column, p.message) for p in result.problems]


def test_the_amount_columns_hold_what_max_amount_says():
    for model, name in ((Invoice, "total_amount"), (Invoice, "open_amount"), (Allocation, "amount"), (Payment, "amount")):
        field = model._meta.get_field(name)
        assert Decimal(10) ** (field.max_digits - field.decimal_places) - Decimal("0.01") == MAX_AMOUNT
        assert field.decimal_places == 2


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        ("0,001", "'0,001' has more than two decimals: an amount is refused rather than rounded"),
        ("12,3456", "'12,3456' has more than two decimals: an amount is refused rather than rounded"),
        ("1.234", "'1.234' is ambiguous: '.' may separate thousands or decimals and the file's other "
                  "amounts do not tell which; export the amounts with their cents"),
        ("12,345", "'12,345' is ambiguous: ',' may separate thousands or decimals and the file's other "
                   "amounts do not tell which; export the amounts with their cents"),
        ("99999999999999999999,99", "'99999999999999999999,99' is beyond the largest amount Relance holds "
                                    "(999999999999.99)"),
        ("1000000000000", "'1000000000000' is beyond the largest amount Relance holds (999999999999.99)"),
        ("9999999999999.9", "'9999999999999.9' is beyond the largest amount Relance holds (999999999999.99)"),
    ],
)
def test_an_amount_a_cent_or_the_database_cannot_hold_is_refused_with_line_and_column(creditor, amount, message):
    # A first row without a decimal mark: the second takes the reader's fast path for known dates.
    result = run(creditor, HEADER + row("FA-0", "10") + row("FA-1", amount))

    assert problems(result) == [("bad_amount", 3, "Montant TTC", message)]
    assert not Invoice.objects.exists()


def test_an_open_amount_beyond_the_cent_is_refused_in_its_own_column(creditor):
    result = run(creditor, HEADER + row("FA-0", "10") + row("FA-1", "100,00", "0,005"))

    assert [(p.code, p.line, p.column) for p in result.problems] == [("bad_amount", 3, "Reste dû")]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # Commas mark the decimals elsewhere in the file: "1.234" groups thousands.
        ([("FA-1", "12,50"), ("FA-2", "1.234")], {"FA-1": "12.50", "FA-2": "1234.00"}),
        # Points mark the decimals: "12,345" groups thousands.
        ([("FA-1", "12.50"), ("FA-2", "12,345")], {"FA-1": "12.50", "FA-2": "12345.00"}),
        # Trailing zeros lose nothing.
        ([("FA-1", "12,5000")], {"FA-1": "12.50"}),
        # Thousands groups written out.
        ([("FA-1", "1.234.567,89"), ("FA-2", "1 234,5")], {"FA-1": "1234567.89", "FA-2": "1234.50"}),
        # The largest amount the database holds.
        ([("FA-1", "999 999 999 999,99")], {"FA-1": "999999999999.99"}),
    ],
)
def test_the_files_other_amounts_decide_a_separator_and_exact_amounts_pass(creditor, rows, expected):
    result = run(creditor, HEADER + "".join(row(n, t) for n, t in rows))

    assert result.ok, result.problems
    assert {i.number: str(i.total_amount) for i in Invoice.objects.all()} == expected


def test_a_file_using_both_marks_leaves_an_ambiguous_amount_refused(creditor):
    result = run(creditor, HEADER + row("FA-1", "12,50") + row("FA-2", "13.50") + row("FA-3", "1.234"))

    assert [(p.code, p.line) for p in result.problems] == [("bad_amount", 4)]


def test_a_too_large_amount_is_refused_and_every_later_command_still_works(creditor, capsys, tmp_path):
    """The regression of issue 15: the amount was stored as 1e20 on SQLite, and ``invoices list``
    and every later import crashed; on PostgreSQL the import itself crashed."""
    path = tmp_path / "export.csv"
    path.write_text(HEADER + row("FA-1", "100,00") + row("FA-2", "99999999999999999999,99"), encoding="utf-8")

    code = cli.main(["import", "ledger", str(path), "--creditor", str(creditor.pk), "--json"])
    out = json.loads(capsys.readouterr().out)

    assert code == 1
    assert [(p["code"], p["line"], p["column"]) for p in out["problems"]] == [("bad_amount", 3, "Montant TTC")]
    assert not Invoice.objects.exists()

    path.write_text(HEADER + row("FA-1", "100,00"), encoding="utf-8")
    assert cli.main(["import", "ledger", str(path), "--creditor", str(creditor.pk), "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["invoices", "list", "--creditor", str(creditor.pk), "--json"]) == 0
    assert [(i["number"], i["total_amount"]) for i in json.loads(capsys.readouterr().out)] == [("FA-1", "100.00")]
    assert cli.main(["aging", "--creditor", str(creditor.pk), "--json"]) == 0


FEC_HEADER = (
    "JournalCode\tJournalLib\tEcritureNum\tEcritureDate\tCompteNum\tCompteLib\tCompAuxNum\tCompAuxLib\t"
    "PieceRef\tPieceDate\tEcritureLib\tDebit\tCredit\tEcritureLet\tDateLet\tValidDate\tMontantdevise\tIdevise\n"
)


def fec_line(piece: str, debit: str) -> str:
    return (
        f"VT\tVentes\t1\t20260201\t411000\tClients\t411A\tClient A\t{piece}\t20260201\tFacture {piece}\t"
        f"{debit}\t0,00\t\t\t20260201\t\t\n"
    )


@pytest.mark.parametrize(
    ("debits", "code_lines"),
    [
        (["10,005"], [("bad_amount", 3, "Debit")]),
        (["99999999999999999999,99"], [("bad_amount", 3, "Debit")]),
        (["1000000000000"], [("bad_amount", 3, "Debit")]),
        # Each line fits; their sum does not.
        (["999999999999,99", "999999999999,99"], [("bad_amount", 3, "Debit")]),
    ],
)
def test_a_fec_amount_beyond_the_cent_or_the_column_is_refused(creditor, debits, code_lines):
    text = FEC_HEADER + fec_line("F0", "10") + "".join(fec_line("F1", debit) for debit in debits)
    result = ledger_import(
        creditor=creditor, stream=io.BytesIO(text.encode()), filename="fec.txt", as_of=date(2026, 4, 1)
    )

    assert [(p.code, p.line, p.column) for p in result.problems] == code_lines
    assert not Invoice.objects.exists()
