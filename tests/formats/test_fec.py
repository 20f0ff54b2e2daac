"""The FEC reader: the third-party samples (golden files) and the settlement of invoices."""

from __future__ import annotations

import io
import json
import os
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from relance.domain.ledger import InvoiceRecord
from relance.formats.fec import COLUMNS, FecReader, sniff

GOLDEN = Path(__file__).parent / "golden" / "fec"
SAMPLES = [
    "rezdevops-fec-minimal-conforme.txt",
    "rezdevops-A02-separateur-mixte.txt",
    "rezdevops-C04-date-let-invalide.txt",
    "rezdevops-C08-ecritures-non-validees.txt",
    "tryton-account_fr-FEC.csv",
]


def read(data: bytes, **options: Any) -> tuple[list[InvoiceRecord], FecReader]:
    reader = FecReader(io.BytesIO(data), **options)
    return list(reader), reader


def as_json(records: list[InvoiceRecord], reader: FecReader) -> dict[str, Any]:
    return {
        "format": reader.report.format,
        "invoices": [
            {
                "number": r.number,
                "debtor_account": r.debtor.account,
                "debtor_name": r.debtor.name,
                "issue_date": r.issue_date.isoformat(),
                "due_date": r.due_date.isoformat(),
                "currency": r.currency,
                "total_amount": str(r.total_amount),
                "open_amount": str(r.open_amount),
                "line": r.line,
            }
            for r in records
        ],
        "problems": [p.as_dict() for p in reader.report.problems],
        "notes": reader.report.notes,
    }


@pytest.mark.parametrize("name", SAMPLES)
def test_each_sample_reads_as_its_golden_file_says(samples: Path, name: str) -> None:
    records, reader = read((samples / "fec" / name).read_bytes())
    got = as_json(records, reader)
    golden = GOLDEN / (name.rsplit(".", 1)[0] + ".json")
    if os.environ.get("RELANCE_UPDATE_GOLDEN"):
        golden.parent.mkdir(parents=True, exist_ok=True)
        golden.write_text(json.dumps(got, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")

    assert got == json.loads(golden.read_text(encoding="utf-8"))


def test_the_conforming_sample_gives_one_open_invoice_to_martin(samples: Path) -> None:
    data = (samples / "fec" / "rezdevops-fec-minimal-conforme.txt").read_bytes()
    [invoice], reader = read(data)

    assert reader.report.problems == []
    assert invoice.number == "FV-2026-0001"
    assert (invoice.debtor.account, invoice.debtor.name) == ("MARTIN", "MARTIN SARL")
    assert invoice.total_amount == invoice.open_amount == Decimal("2400.00")
    assert invoice.currency == "EUR"
    assert (invoice.issue_date, invoice.due_date) == (date(2026, 1, 8), date(2026, 2, 7))
    assert any("no due dates" in note and "30 days" in note for note in reader.report.notes)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("rezdevops-A02-separateur-mixte.txt", [("mixed_separator", 3, None)]),
        (
            "rezdevops-C04-date-let-invalide.txt",
            [("bad_date", 2, "DateLet"), ("bad_date", 3, "DateLet")],
        ),
        (
            "rezdevops-C08-ecritures-non-validees.txt",
            [("not_validated", line, "ValidDate") for line in (2, 3, 4, 5)],
        ),
    ],
)
def test_each_broken_sample_is_refused_with_the_precise_problem(
    samples: Path, name: str, expected: list[tuple[str, int, str | None]]
) -> None:
    _records, reader = read((samples / "fec" / name).read_bytes())

    assert [(p.code, p.line, p.column) for p in reader.report.problems] == expected


def test_the_tryton_sample_has_no_customer_account_so_no_invoice(samples: Path) -> None:
    records, reader = read((samples / "fec" / "tryton-account_fr-FEC.csv").read_bytes())

    assert records == []
    assert reader.report.problems == []
    assert any("no receivable" in note for note in reader.report.notes)


# Building FEC files --------------------------------------------------------------------------

HEADER = "\t".join(COLUMNS)


def entry(**fields: str) -> dict[str, str]:
    line = {
        "JournalCode": "VE",
        "JournalLib": "Ventes",
        "EcritureNum": "VE1",
        "EcritureDate": "20260110",
        "CompteNum": "411000",
        "CompteLib": "Clients",
        "CompAuxNum": "DUPONT",
        "CompAuxLib": "DUPONT SA",
        "PieceRef": "F1",
        "PieceDate": "20260110",
        "EcritureLib": "Facture",
        "Debit": "0,00",
        "Credit": "0,00",
        "EcritureLet": "",
        "DateLet": "",
        "ValidDate": "20260111",
        "Montantdevise": "",
        "Idevise": "",
    }
    line.update(fields)
    return line


def invoice(piece: str, amount: str, day: str = "20260110", **fields: str) -> dict[str, str]:
    return entry(
        **{"PieceRef": piece, "Debit": amount, "PieceDate": day, "EcritureDate": day, **fields}
    )


def payment(piece: str, amount: str, **fields: str) -> dict[str, str]:
    defaults = {"JournalCode": "BQ", "JournalLib": "Banque", "EcritureDate": "20260301"}
    return entry(
        **{**defaults, "PieceDate": "20260301", "PieceRef": piece, "Credit": amount, **fields}
    )


def fec(*lines: dict[str, str], separator: str = "\t", end: str = "\n") -> bytes:
    rows = [separator.join(COLUMNS)] + [separator.join(line[c] for c in COLUMNS) for line in lines]
    return (end.join(rows) + end).encode()


def opened(data: bytes, **options: Any) -> dict[str, str]:
    records, reader = read(data, **options)
    assert reader.report.problems == []
    return {r.number: str(r.open_amount) for r in records}


# Settlement ----------------------------------------------------------------------------------


def test_a_fully_lettered_invoice_is_yielded_settled() -> None:
    data = fec(
        invoice("F1", "1200,00", EcritureLet="AA", DateLet="20260301"),
        payment("VIR1", "1200,00", EcritureLet="AA", DateLet="20260301"),
        invoice("F2", "300,00"),
    )

    assert opened(data) == {"F1": "0.00", "F2": "300.00"}


def test_a_partly_lettered_group_pays_its_oldest_debit_first() -> None:
    data = fec(
        invoice("F2", "100,00", "20260120", EcritureLet="B"),
        invoice("F1", "100,00", "20260105", EcritureLet="B"),
        payment("VIR1", "150,00", EcritureLet="B"),
    )

    assert opened(data) == {"F2": "50.00", "F1": "0.00"}


def test_lettering_is_per_customer() -> None:
    data = fec(
        invoice("F1", "100,00", EcritureLet="A"),
        payment("VIR1", "100,00", EcritureLet="A", CompAuxNum="MARTIN", CompAuxLib="MARTIN"),
    )
    records, reader = read(data)

    assert {r.number: str(r.open_amount) for r in records} == {"F1": "100.00"}
    assert any("MARTIN" in note and "left unapplied" in note for note in reader.report.notes)


def test_an_unlettered_payment_goes_to_the_oldest_invoices_and_is_reported() -> None:
    data = fec(
        invoice("F1", "100,00", "20260105"),
        invoice("F2", "100,00", "20260110"),
        invoice("F3", "100,00", "20260115"),
        payment("VIR1", "150,00"),
    )
    records, reader = read(data)

    assert {r.number: str(r.open_amount) for r in records} == {
        "F1": "0.00",
        "F2": "50.00",
        "F3": "100.00",
    }
    [note] = [n for n in reader.report.notes if n.startswith("line 5")]
    assert "F1 100.00, F2 50.00" in note
    assert "1342-10" in note


def test_an_unlettered_payment_naming_an_invoice_pays_that_one_first() -> None:
    data = fec(
        invoice("F1", "100,00", "20260105"),
        invoice("F2", "100,00", "20260110"),
        payment("F2", "120,00"),
    )

    assert opened(data) == {"F1": "80.00", "F2": "0.00"}


def test_each_paid_invoice_is_dated_by_the_latest_credit_applied_to_it() -> None:
    data = fec(
        invoice("F1", "100,00", "20260105", EcritureLet="A"),
        payment("VIR1", "60,00", EcritureLet="A", PieceDate="20260201"),
        payment("VIR2", "40,00", EcritureLet="A", PieceDate="20260215"),
        invoice("F2", "100,00", "20260110"),
        invoice("F3", "100,00", "20260115"),
        payment("VIR3", "150,00", PieceDate="20260310"),
        invoice("F4", "100,00", "20260120"),
    )
    records, _ = read(data)

    assert {r.number: r.paid_date for r in records} == {
        "F1": date(2026, 2, 15),  # lettered: its lettering's latest credit
        "F2": date(2026, 3, 10),  # unlettered, oldest first: the credit's day
        "F3": date(2026, 3, 10),  # partly paid by the same credit
        "F4": None,  # nothing paid
    }


def test_an_overpayment_is_reported_and_never_makes_an_open_amount_negative() -> None:
    data = fec(invoice("F1", "100,00"), payment("VIR1", "250,00"))
    records, reader = read(data)

    assert [str(r.open_amount) for r in records] == ["0.00"]
    assert any("150.00 left unapplied" in note for note in reader.report.notes)


def test_a_credit_note_and_a_negative_debit_both_reduce_what_is_owed() -> None:
    data = fec(
        invoice("F1", "100,00"),
        invoice("F2", "100,00", "20260111"),
        entry(PieceRef="AV1", Credit="30,00"),
        entry(PieceRef="AV2", Debit="-20,00"),
    )

    assert opened(data) == {"F1": "50.00", "F2": "100.00"}


def test_debit_lines_of_one_piece_add_up_and_other_accounts_are_ignored() -> None:
    data = fec(
        invoice("F1", "100,00"),
        invoice("F1", "20,00"),
        entry(
            CompteNum="706000", CompteLib="Ventes", CompAuxNum="", CompAuxLib="", Credit="100,00"
        ),
        entry(CompteNum="401000", CompteLib="Fournisseurs", Debit="999,00"),
    )
    [record], _reader = read(data)

    assert (record.number, record.total_amount) == ("F1", Decimal("120.00"))


def test_a_customer_without_auxiliary_account_is_the_account_itself() -> None:
    data = fec(
        invoice(
            "F1",
            "100,00",
            CompteNum="411DUPONT",
            CompteLib="Client Dupont",
            CompAuxNum="",
            CompAuxLib="",
        )
    )
    [record], _reader = read(data)

    assert (record.debtor.account, record.debtor.name) == ("411DUPONT", "Client Dupont")


def test_a_piece_takes_its_date_from_the_sales_journal_and_other_journals_are_noted() -> None:
    data = fec(
        invoice("F1", "10,00", "20260101", JournalCode="OD", JournalLib="Opérations diverses"),
        invoice("F1", "90,00", "20260110"),
        invoice("AN", "50,00", "20260101", JournalCode="AN", JournalLib="A nouveaux"),
    )
    records, reader = read(data)

    assert [(r.number, r.issue_date, r.line, str(r.total_amount)) for r in records] == [
        ("F1", date(2026, 1, 10), 3, "100.00"),
        ("AN", date(2026, 1, 1), 4, "50.00"),
    ]
    assert any(note.startswith("1 receivable(s)") for note in reader.report.notes)


def test_payment_terms_set_the_due_date_from_the_piece_date() -> None:
    data = fec(invoice("F1", "10,00", "20260131", EcritureDate="20260201"))
    [record], reader = read(data, payment_terms_days=45)

    assert (record.issue_date, record.due_date) == (date(2026, 1, 31), date(2026, 3, 17))
    assert any("45 days" in note for note in reader.report.notes)


def test_pipe_separated_crlf_file_with_a_trailing_separator_is_read() -> None:
    line = "|".join(invoice("F1", "10,00")[c] for c in COLUMNS)
    data = ("|".join(COLUMNS) + "|\r\n" + line + "|\r\n").encode()
    [record], reader = read(data)

    assert reader.report.problems == []
    assert record.total_amount == Decimal("10.00")


def test_an_iso_8859_15_file_is_read() -> None:
    text = fec(invoice("F1", "10,00", CompAuxLib="ŒUVRES DE L'ÉTÉ €")).decode()
    [record], _reader = read(text.encode("iso8859_15"))

    assert record.debtor.name == "ŒUVRES DE L'ÉTÉ €"


def test_a_windows_1252_file_posing_as_latin_9_is_read() -> None:
    text = fec(invoice("F1", "10,00", CompAuxLib="L’ŒUVRE")).decode()
    [record], _reader = read(text.encode("cp1252"))

    assert record.debtor.name == "L’ŒUVRE"


# Problems ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"Debit": "10,00", "Credit": "5,00"}, [("debit_and_credit", 3, "Credit")]),
        ({"Debit": "dix"}, [("bad_amount", 3, "Debit")]),
        ({"EcritureDate": "2026-01-10"}, [("bad_date", 3, "EcritureDate")]),
        ({"PieceDate": "20260230"}, [("bad_date", 3, "PieceDate")]),
        ({"PieceRef": ""}, [("empty_value", 3, "PieceRef")]),
        ({"ValidDate": ""}, [("not_validated", 3, "ValidDate")]),
    ],
)
def test_each_line_problem_is_located(
    fields: dict[str, str], expected: list[tuple[str, int, str | None]]
) -> None:
    records, reader = read(fec(invoice("F1", "10,00"), entry(**fields)))

    assert [(p.code, p.line, p.column) for p in reader.report.problems] == expected
    assert [r.number for r in records] == ["F1"]


def test_a_short_line_is_a_field_count_problem() -> None:
    data = fec(invoice("F1", "10,00")) + b"VE\tVentes\tVE2\n"

    _records, reader = read(data)

    assert [(p.code, p.line) for p in reader.report.problems] == [("field_count", 3)]


def test_a_wrong_header_is_refused_and_a_header_in_other_case_is_accepted() -> None:
    wrong = fec(invoice("F1", "10,00")).replace(b"CompAuxLib", b"AuxLib", 1)
    other_case = fec(invoice("F1", "10,00")).replace(b"Montantdevise", b"MontantDevise", 1)

    _records, reader = read(wrong)
    assert [(p.code, p.line, p.column) for p in reader.report.problems] == [
        ("bad_header", 1, "AuxLib")
    ]
    records, reader = read(other_case)
    assert reader.report.problems == []
    assert len(records) == 1


def test_a_header_without_18_columns_is_refused() -> None:
    _records, reader = read(b"JournalCode\tJournalLib\nVE\tVentes\n")

    assert [(p.code, p.line) for p in reader.report.problems] == [("bad_header", 1)]


def test_an_empty_file_is_refused() -> None:
    _records, reader = read(b"")

    assert [p.code for p in reader.report.problems] == ["empty_file"]


def test_sniff_wants_a_journalcode_header() -> None:
    assert sniff(HEADER.encode())
    assert sniff(b"\xef\xbb\xbfJournalCode|JournalLib")
    assert not sniff(b"invoice_number;montant_ttc\n")


# The fast path for sound lines ---------------------------------------------------------------


def _cells(valid: tuple[str, ...], odd: tuple[str, ...] = ()) -> st.SearchStrategy[str]:
    """Mostly values a sound line holds (so lines take the fast path), sometimes odd ones."""
    return st.sampled_from(valid * 8 + odd)


LINES = st.lists(
    st.tuples(
        _cells(("VE", "BQ"), ("", " OD")),
        _cells(("Ventes", "Banque"), ("",)),
        _cells(("1", "2"), ("",)),
        _cells(("20260108", "20260110"), ("", "2026-01-08", "20260230")),
        _cells(("41100000", "70600000", "411MARTIN"), ("", " 41100000")),
        _cells(("Clients", "Ventes"), ("",)),
        _cells(("", "C1", "C2"), (" C1 ",)),
        _cells(("", "Martin SARL"), ("  ",)),
        _cells(("FV1", "FV2", "VIR1"), ("", " FV1")),
        _cells(("20260108", "20260112"), ("", "08/01/2026")),
        _cells(("Facture", "Virement"), ("",)),
        _cells(("0,00", "120,00", "", "0"), ("1 200,50", "-5,00", "x", "1.234,50", ",5", "5,")),
        _cells(("0,00", "120,00", "", "-0,00"), ("1 200,50", "-5,00", "x", "12.5", "1e3")),
        _cells(("", "AA"), (" AA",)),
        _cells(("", "20260201"), ("2026", " 20260201")),
        _cells(("20260131",), ("", "bad", " 20260131 ")),
        _cells(("",)),
        _cells(("", "EUR")),
    ),
    max_size=40,
)


@given(lines=LINES)
def test_the_fast_path_reads_every_line_as_the_full_check_does(
    lines: list[tuple[str, ...]],
) -> None:
    data = ("\t".join(COLUMNS) + "\n" + "".join("\t".join(row) + "\n" for row in lines)).encode()
    fast = read(data)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(FecReader, "_fast_path", False)
        full = read(data)

    assert as_json(*fast) == as_json(*full)
    assert fast[0] == full[0]


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({}, []),
        ({"JournalCode": " "}, [("empty_value", 3, "JournalCode")]),
        ({"CompteLib": ""}, [("empty_value", 3, "CompteLib")]),
        ({"EcritureDate": "2026"}, [("bad_date", 3, "EcritureDate")]),
        ({"PieceDate": ""}, [("empty_value", 3, "PieceDate")]),
        ({"DateLet": "20260230"}, [("bad_date", 3, "DateLet")]),
        ({"ValidDate": ""}, [("not_validated", 3, "ValidDate")]),
        ({"Debit": "1e3"}, [("bad_amount", 3, "Debit")]),
        ({"Debit": "5,"}, [("bad_amount", 3, "Debit")]),
        ({"Debit": "1 200,50"}, []),
        ({"Credit": "x"}, [("bad_amount", 3, "Credit")]),
        ({"Credit": "100,00"}, [("debit_and_credit", 3, "Credit")]),
    ],
)
def test_each_line_problem_is_found_after_a_sound_line(
    fields: dict[str, str], expected: list[tuple[str, int, str]]
) -> None:
    # The sound line first caches the dates, so the second takes the fast path as far as it can.
    records, reader = read(fec(invoice("F1", "100,00"), invoice("F2", "100,00", **fields)))

    assert [(p.code, p.line, p.column) for p in reader.report.problems] == expected
    assert [r.number for r in records] == (["F1", "F2"] if not expected else ["F1"])
