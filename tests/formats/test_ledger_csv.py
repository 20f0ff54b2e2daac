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
from relance.formats import ledger_csv
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


# The fast path for clean rows ----------------------------------------------------------------

FULL_HEADER = (
    "invoice_number;debtor_account;debtor_name;debtor_kind;siren;email;telephone;adresse;"
    "code_postal;ville;pays;issue_date;due_date;devise;total_amount;open_amount;notes"
)


def _cells(valid: tuple[str, ...], odd: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Mostly values a clean row holds (so rows take the fast path), sometimes odd ones."""
    return st.sampled_from(valid * 8 + odd)


ROWS = st.lists(
    st.tuples(
        st.integers(0, 40).map(lambda n: f"F{n}") | _cells(("F1",), (" F3 ", "")),
        _cells(("C1", "C2"), (" C1", "")),
        _cells(("Dupont", "Durand SA"), (" Dupont ", "")),
        _cells(("", "entreprise"), ("Particulier", " public", "client")),
        _cells(("",), ("732 829 320", "73282932000074", "123456789")),
        _cells(("", "a@example.org")),
        _cells(("", "01 02 03 04 05")),
        _cells(("", "1 rue de la Paix")),
        _cells(("", "75001")),
        _cells(("", "Paris")),
        _cells(("", "fr"), ("BE",)),
        _cells(("2026-01-01", "01/01/2026"), ("1/2/2026", "2026-02-30", "", " 2026-01-05")),
        _cells(("2026-01-31", "31/01/2026"), ("2025-12-31", "bad", "")),
        _cells(("", "EUR", "gbp"), ("EURO", " usd")),
        _cells(("5", "10,50", "-12.00"), ("1 234,50", "x", "", "0", ".5", "5.", "1e3", "+5")),
        _cells(("", "", "5", "2"), ("10,50", "-1", "0", "-12.00", "-0", "7 €", "x")),
        _cells(("", "note")),
    ),
    min_size=1,
    max_size=40,
)


def _read_both(
    text: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[list[InvoiceRecord], list[Problem], list[InvoiceRecord], list[Problem]]:
    fast, fast_reader = read(text)
    with monkeypatch.context() as patch:
        patch.setattr(
            LedgerCsvReader, "_clean_row_reader", lambda self, first_line: lambda row, line: None
        )
        full, full_reader = read(text)
    return fast, fast_reader.report.problems, full, full_reader.report.problems


@given(rows=ROWS, small_cache=st.booleans())
def test_the_fast_path_reads_every_row_as_the_full_check_does(
    rows: list[tuple[str, ...]], small_cache: bool
) -> None:
    text = FULL_HEADER + "\n" + "".join(";".join(row) + "\n" for row in rows)
    with pytest.MonkeyPatch.context() as monkeypatch:
        if small_cache:  # the debtor cache fills, empties and pauses within the file
            monkeypatch.setattr(ledger_csv, "_DEBTOR_CACHE_SIZE", 2)
            monkeypatch.setattr(ledger_csv, "_SHARING_PAYS", 3)
            monkeypatch.setattr(ledger_csv, "_SHARING_PAUSE", 3)
        fast, fast_problems, full, full_problems = _read_both(text, monkeypatch)

    assert fast == full
    assert fast_problems == full_problems


@pytest.mark.parametrize(
    "header",
    [
        EN_HEADER,  # narrower than the known columns: the whole row is stripped
        FULL_HEADER.replace("notes", ",".join(f"extra_{n}" for n in range(20))),
    ],
)
def test_the_fast_path_strips_cells_whatever_the_width(
    header: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    header = header.replace(";", ",")
    width = header.count(",") + 1
    cells = [" F1 ", " C1 ", " Dupont ", " 2026-01-01 ", " 2026-01-31 ", " 5 "]
    if width > 6:
        cells = [" F1 ", " C1 ", " Dupont "] + [""] * 8 + [" 2026-01-01 ", " 2026-01-31 ", ""]
        cells += [" 5 ", ""] + [" x "] * (width - len(cells) - 2)
    text = header + "\n" + ",".join(cells) + "\n" + ",".join(cells).replace("F1", "F2") + "\n"

    fast, fast_problems, full, full_problems = _read_both(text, monkeypatch)

    assert fast_problems == full_problems == []
    assert fast == full
    assert [(r.number, r.debtor.account, r.total_amount) for r in fast] == [
        ("F1", "C1", Decimal(5)),
        ("F2", "C1", Decimal(5)),
    ]


def test_the_invoices_of_a_debtor_share_one_record() -> None:
    rows = "".join(f"F{n},C1,Dupont,2026-01-01,2026-01-31,5\n" for n in range(4))
    records, _reader = read(EN_HEADER + "\n" + rows)

    assert len({id(record.debtor) for record in records}) == 1


def test_sharing_pauses_when_the_debtor_cache_does_not_pay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ledger_csv, "_DEBTOR_CACHE_SIZE", 4)
    monkeypatch.setattr(ledger_csv, "_SHARING_PAYS", 5)
    monkeypatch.setattr(ledger_csv, "_SHARING_PAUSE", 10)
    # Lines 2-6 bring five debtors in four rows since line 2: at line 6 the full cache has had
    # no hit, so up to line 15 debtors are built afresh; from line 16 on they are shared again.
    rows = [f"F{n},C{n},Dupont,2026-01-01,2026-01-31,5" for n in range(5)]
    rows += [f"G{n},C9,Durand,2026-01-01,2026-01-31,5" for n in range(14)]
    records, reader = read(EN_HEADER + "\n" + "\n".join(rows) + "\n")

    assert reader.report.problems == []
    paused = [r.debtor for r in records if 7 <= r.line <= 15]
    shared = [r.debtor for r in records if r.line >= 16]
    assert len({id(debtor) for debtor in paused}) == len(paused) == 9
    assert len({id(debtor) for debtor in shared}) == 1
    assert len(set(paused + shared)) == 1  # equal all the same


WARM_HEADER = EN_HEADER + ",open_amount,debtor_kind,debtor_siren,currency\n"
# A sound row first: its dates, SIREN and currency are then cached, so the rows after it take
# the fast path as far as it goes before finding their fault.
WARM_ROW = "F0,C1,Dupont,2026-01-01,2026-01-31,5,2,entreprise,732829320,EUR\n"


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("F1,C1,Dupont,2026-01-01,2026-01-31", [("field_count", 3, None)]),
        ("F0,C1,Dupont,2026-01-01,2026-01-31,5,,,,", [("duplicate_invoice", 3, "invoice_number")]),
        (",C1,Dupont,2026-01-01,2026-01-31,5,,,,", [("empty_value", 3, "invoice_number")]),
        ("F1,,Dupont,2026-01-01,2026-01-31,5,,,,", [("empty_value", 3, "debtor_account")]),
        ("F1,C1,,2026-01-01,2026-01-31,5,,,,", [("empty_value", 3, "debtor_name")]),
        ("F1,C1,Dupont,2026-02-30,2026-01-31,5,,,,", [("bad_date", 3, "issue_date")]),
        ("F1,C1,Dupont,2026-01-01,,5,,,,", [("empty_value", 3, "due_date")]),
        ("F1,C1,Dupont,2026-01-31,2026-01-01,5,,,,", [("due_before_issue", 3, "due_date")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5.,,,,", [("bad_amount", 3, "total_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,1e3,,,,", [("bad_amount", 3, "total_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,,", []),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,.5,,,", []),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,5.,,,", [("bad_amount", 3, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,6,,,", [("open_exceeds_total", 3, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,-1,,,", [("open_exceeds_total", 3, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,-5,-6,,,", [("open_exceeds_total", 3, "open_amount")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,-5,-5,,,", []),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,client,,", [("bad_kind", 3, "debtor_kind")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,123456789,", [("bad_siren", 3, "debtor_siren")]),
        ("F1,C1,Dupont,2026-01-01,2026-01-31,5,,,,EURO", [("bad_currency", 3, "currency")]),
    ],
)
def test_each_row_problem_is_located_after_a_sound_row(
    row: str, expected: list[tuple[str, int, str]]
) -> None:
    records, reader = read(WARM_HEADER + WARM_ROW + row + "\n")

    assert [(p.code, p.line, p.column) for p in reader.report.problems] == expected
    assert [r.line for r in records] == [2] + ([3] if not expected else [])
