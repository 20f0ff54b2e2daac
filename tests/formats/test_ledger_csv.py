"""The CSV ledger reader: encodings, separators, number and date forms, and every problem code."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.ledger import InvoiceRecord
from relance.domain.problems import Problem
from relance.formats.ledger_csv import LedgerCsvReader, sniff

EN_HEADER = "invoice_number,debtor_account,debtor_name,issue_date,due_date,total_amount"
FR_HEADER = "Numéro facture;Compte client;Raison sociale;Date facture;Date échéance;Montant TTC"


def read(text: str | bytes, encoding: str = "utf-8") -> tuple[list[InvoiceRecord], LedgerCsvReader]:
    data = text.encode(encoding) if isinstance(text, str) else text
    reader = LedgerCsvReader(io.BytesIO(data))
    return list(reader), reader


def problems(
    text: str | bytes, encoding: str = "utf-8"
) -> list[tuple[str, int | None, str | None]]:
    _records, reader = read(text, encoding)
    return [(p.code, p.line, p.column) for p in reader.report.problems]


def test_french_headers_semicolons_and_comma_decimals_in_windows_1252() -> None:
    text = (
        "Numéro facture;Compte client;Raison sociale;Type client;SIREN;Date facture;"
        "Date échéance;Devise;Montant TTC;Reste dû;Ville\r\n"
        "FA-001;C001;Société Générale d'Électricité;Entreprise;732 829 320;05/01/2026;"
        "04/02/2026;EUR;1 234,50;234,50;Orléans\r\n"
        "AV-002;C002;Hélène Dupré;Particulier;;2026-01-10;2026-01-10;;-120,00;;Besançon\r\n"
    )
    records, reader = read(text, "cp1252")

    assert reader.report.problems == []
    assert reader.report.format == "csv"
    first, credit_note = records
    assert first.number == "FA-001"
    assert first.debtor.name == "Société Générale d'Électricité"
    assert first.debtor.kind == "business"
    assert first.debtor.siren == "732829320"
    assert first.debtor.city == "Orléans"
    assert first.debtor.country == "FR"
    assert (first.issue_date, first.due_date) == (date(2026, 1, 5), date(2026, 2, 4))
    assert (first.total_amount, first.open_amount) == (Decimal("1234.50"), Decimal("234.50"))
    assert first.line == 2
    assert credit_note.debtor.kind == "consumer"
    assert credit_note.total_amount == Decimal("-120.00")
    assert credit_note.open_amount == Decimal("-120.00")
    assert credit_note.currency == "EUR"
    assert credit_note.line == 3


def test_english_headers_with_commas_and_quoted_amounts() -> None:
    text = (
        EN_HEADER + ",open_amount,currency,debtor_kind,country\n"
        'INV-1,ACME,"Acme, Ltd",2026-02-01,2026-03-03,"1,234.50",100.25,gbp,public,gb\n'
    )
    [record], reader = read(text)

    assert reader.report.problems == []
    assert record.debtor.name == "Acme, Ltd"
    assert record.total_amount == Decimal("1234.50")
    assert record.open_amount == Decimal("100.25")
    assert record.currency == "GBP"
    assert record.debtor.kind == "public"
    assert record.debtor.country == "GB"


def test_tab_separated_file_is_read() -> None:
    text = EN_HEADER.replace(",", "\t") + "\nF1\tC1\tDupont\t2026-01-01\t2026-01-31\t10.00\n"
    [record], reader = read(text)

    assert reader.report.problems == []
    assert record.total_amount == Decimal("10.00")


def test_utf8_with_byte_order_mark_is_read() -> None:
    data = "\ufeff".encode() + (FR_HEADER + "\nF1;C1;Zoé;01/01/2026;31/01/2026;10,00\n").encode()
    [record], reader = read(data)

    assert reader.report.problems == []
    assert record.number == "F1"
    assert record.debtor.name == "Zoé"


def test_no_break_space_thousands_separators_are_read() -> None:
    text = (
        FR_HEADER + ";Reste dû\n"
        "F1;C1;Dupont;01/01/2026;31/01/2026;1\u00a0234\u00a0567,89;1\u202f000,00\n"
    )
    [record], _reader = read(text)

    assert record.total_amount == Decimal("1234567.89")
    assert record.open_amount == Decimal("1000.00")


def test_header_names_ignore_case_accents_and_spaces() -> None:
    text = "NUMERO-FACTURE;compte client;CLIENT;date_facture;DATE ÉCHÉANCE;montant ttc;Notes\n"
    text += "F1;C1;Dupont;2026-01-01;2026-01-31;5;hello\n"
    [record], reader = read(text)

    assert record.debtor.name == "Dupont"
    assert reader.report.notes == ["Columns ignored: 'Notes'."]


def test_a_siret_gives_its_siren() -> None:
    text = EN_HEADER + ",siren\nF1,C1,Dupont,2026-01-01,2026-01-31,5,732 829 320 00074\n"
    [record], _reader = read(text)

    assert record.debtor.siren == "732829320"


def test_a_windows_1252_line_after_ascii_lines_switches_the_encoding() -> None:
    lines = [EN_HEADER] + [f"F{n},C{n},Plain,2026-01-01,2026-01-31,1" for n in range(50)]
    lines.append("G1,C1,Müller Œuvres,2026-01-01,2026-01-31,1")
    records, reader = read("\n".join(lines) + "\n", "cp1252")

    assert reader.report.problems == []
    assert records[-1].debtor.name == "Müller Œuvres"


def test_a_quoted_field_over_two_lines_keeps_physical_line_numbers() -> None:
    text = (
        EN_HEADER + ",address\n"
        'F1,C1,Dupont,2026-01-01,2026-01-31,5,"1 rue de la Paix\nBâtiment B"\n'
        "F2,C1,Dupont,2026-01-01,2026-01-31,five,\n"
    )
    records, reader = read(text)

    assert records[0].debtor.address == "1 rue de la Paix\nBâtiment B"
    assert [(p.code, p.line) for p in reader.report.problems] == [("bad_amount", 4)]


def test_blank_rows_are_skipped() -> None:
    text = EN_HEADER + "\n\n,,,,,\nF1,C1,Dupont,2026-01-01,2026-01-31,5\n"
    [record], reader = read(text)

    assert reader.report.problems == []
    assert record.line == 4


# Problems ------------------------------------------------------------------------------------


def test_a_missing_required_column_is_one_problem_naming_it_and_the_columns_found() -> None:
    text = "invoice_number,debtor_account,debtor_name,issue_date,due_date\n"
    text += "F1,C1,Dupont,2026-01-01,2026-01-31\nF2,C1,Dupont,2026-01-01,2026-01-31\n"
    records, reader = read(text)

    assert records == []
    [problem] = reader.report.problems
    assert (problem.code, problem.line, problem.column) == ("missing_column", 1, None)
    assert "total_amount" in problem.message
    assert "montant_ttc" in problem.message
    assert "'invoice_number', 'debtor_account'" in problem.message


def test_two_columns_for_one_field_are_refused() -> None:
    text = "invoice_number,debtor_account,client,raison_sociale,issue_date,due_date,total_amount\n"

    assert problems(text) == [("duplicate_column", 1, "raison_sociale")]


def test_an_empty_file_is_refused() -> None:
    assert problems(b"") == [("empty_file", None, None)]


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("F1,C1,Dupont,2026-01-01,2026-01-31", [("field_count", 2, None)]),
        ("F1,C1,,2026-01-01,2026-01-31,5,,,,", [("empty_value", 2, "debtor_name")]),
        ("F1,C1,Dupont,2026-02-30,2026-03-31,5,,,,", [("bad_date", 2, "issue_date")]),
        ("F1,C1,Dupont,2026-01-01,01/31/2026,5,,,,", [("bad_date", 2, "due_date")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5 €uros,,,,", [("bad_amount", 2, "total_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,x,,,", [("bad_amount", 2, "open_amount")]),
        ("F1,C1,Dupont,2026-02-01,2026-01-31,5,,,,", [("due_before_issue", 2, "due_date")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,client,,", [("bad_kind", 2, "debtor_kind")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,6,,,", [("open_exceeds_total", 2, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,-5,1,,,", [("open_exceeds_total", 2, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,123456789,", [("bad_siren", 2, "debtor_siren")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,,EURO", [("bad_currency", 2, "currency")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,,€", [("bad_currency", 2, "currency")]),
    ],
)
def test_each_row_problem_is_located(row: str, expected: list[tuple[str, int, str]]) -> None:
    header = EN_HEADER + ",open_amount,debtor_kind,debtor_siren,currency\n"

    records, reader = read(header + row + "\n")

    assert records == []
    assert [(p.code, p.line, p.column) for p in reader.report.problems] == expected


def test_the_column_named_is_the_header_as_written_in_the_file() -> None:
    text = FR_HEADER + "\nF1;C1;Dupont;01/01/2026;31/01/2026;douze\n"

    assert problems(text) == [("bad_amount", 2, "Montant TTC")]


def test_a_duplicate_invoice_names_the_line_of_the_first() -> None:
    text = EN_HEADER + "\n" + "F1,C1,Dupont,2026-01-01,2026-01-31,5\n" * 2
    records, reader = read(text)

    assert [r.line for r in records] == [2]
    [problem] = reader.report.problems
    assert (problem.code, problem.line, problem.column) == (
        "duplicate_invoice",
        3,
        "invoice_number",
    )
    assert "line 2" in problem.message


def test_a_badly_encoded_line_in_a_utf8_file_is_an_encoding_problem() -> None:
    data = (EN_HEADER + "\nF1,C1,Zoé,2026-01-01,2026-01-31,5\n").encode()
    data += "F2,C1,Zoé,2026-01-01,2026-01-31,5\n".encode("cp1252")

    assert problems(data) == [("encoding", 3, None)]


def test_every_problem_of_the_file_is_reported_in_line_order() -> None:
    text = (
        EN_HEADER + "\n"
        "F1,C1,Dupont,2026-01-01,2026-01-31,5\n"
        "F2,C1,,2026-01-01,2026-01-31,x\n"
        "F3,C1,Dupont,2026-01-01\n"
        "F1,C1,Dupont,2026-01-01,2026-01-31,5\n"
    )

    assert problems(text) == [
        ("empty_value", 3, "debtor_name"),
        ("bad_amount", 3, "total_amount"),
        ("field_count", 4, None),
        ("duplicate_invoice", 5, "invoice_number"),
    ]


def test_a_reader_reads_once() -> None:
    reader = LedgerCsvReader(io.BytesIO((EN_HEADER + "\n").encode()))
    list(reader)

    with pytest.raises(RuntimeError):
        list(reader)


def test_problems_print_with_their_place() -> None:
    problem = Problem("bad_amount", "'x' is not an amount", 3, "Montant TTC")

    assert str(problem) == "line 3, column Montant TTC: 'x' is not an amount [bad_amount]"


# Sniffing and properties ---------------------------------------------------------------------


def test_sniff_recognises_french_and_english_headers_but_not_a_fec() -> None:
    assert sniff(FR_HEADER.encode("cp1252"))
    assert sniff(EN_HEADER.encode())
    assert sniff(b"numero_facture\tmontant_ttc\n")
    assert not sniff(b"JournalCode\tJournalLib\tEcritureNum\n")
    assert not sniff(b"%PDF-1.7\n")


def _french(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    units, cents = f"{abs(amount):,.2f}".split(".")
    nbsp = "\u00a0"
    return f"{sign}{units.replace(',', nbsp)},{cents}"


def _english(amount: Decimal) -> str:
    return f"{amount:,.2f}"


@given(
    cents=st.integers(min_value=-(10**11), max_value=10**11),
    style=st.sampled_from(["fr", "en"]),
)
def test_amounts_written_in_french_or_english_style_read_back_exactly(
    cents: int, style: str
) -> None:
    amount = Decimal(cents).scaleb(-2)
    if style == "fr":
        text = FR_HEADER + f"\nF1;C1;Dupont;01/01/2026;31/01/2026;{_french(amount)}\n"
    else:
        text = EN_HEADER + f'\nF1,C1,Dupont,2026-01-01,2026-01-31,"{_english(amount)}"\n'

    [record], reader = read(text)

    assert reader.report.problems == []
    assert record.total_amount == amount
    assert record.open_amount == amount
