"""A malformed bank file is refused with the line and the reason; re-reading adds nothing."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from relance.formats.bank import detect_format, read_statement
from relance.formats.cfonb import decode_amount

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"


def _bytes(relative: str) -> bytes:
    path = SAMPLES / relative
    if not path.is_file():
        pytest.skip(f"sample {relative} not found under {SAMPLES.resolve()}")
    return path.read_bytes()


def test_truncated_camt_is_refused_at_the_line_where_it_stops() -> None:
    data = _bytes("camt053/genkgo-camt053.v8.xml")
    cut = data[: data.index(b"<NtryDtls>")]
    report = read_statement(cut)
    assert report.format == "camt053"
    (problem,) = report.problems
    assert problem.code == "xml_malformed"
    assert problem.line == cut.count(b"\n") + 1


def test_camt_entry_without_sign_is_refused_at_its_entry() -> None:
    data = _bytes("camt053/genkgo-camt053.v2.minimal.xml").replace(
        b"<CdtDbtInd>CRDT</CdtDbtInd>\n                <RvslInd>", b"<RvslInd>"
    )
    (problem,) = read_statement(data).problems
    assert (problem.code, problem.line) == ("camt_sign_missing", 90)


def test_camt_with_a_dtd_is_refused() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x "y">]><Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"/>'
    report = read_statement(data)
    assert [problem.code for problem in report.problems] == ["xml_forbidden"]


def test_cfonb_record_of_wrong_length_or_code_is_refused_with_its_line() -> None:
    lines = _bytes("cfonb/oca-cfonb_classic.cfo").split(b"\n")
    lines[5] = lines[5][:-3]
    lines[9] = b"09" + lines[9][2:]
    report = read_statement(b"\n".join(lines), format="cfonb")
    assert [(p.code, p.line) for p in report.problems] == [
        ("cfonb_length", 6),
        ("cfonb_record", 10),
    ]
    assert "117 characters" in report.problems[0].message
    assert "'09'" in report.problems[1].message


def test_cfonb_bad_sign_character_is_refused() -> None:
    lines = _bytes("cfonb/oca-cfonb_classic.cfo").split(b"\n")
    lines[1] = lines[1][:103] + b"Z" + lines[1][104:]
    (problem,) = read_statement(b"\n".join(lines)).problems
    assert problem.line == 2
    assert "sign character" in problem.message


def test_cfonb_without_line_breaks_reads_the_same_lines() -> None:
    data = _bytes("cfonb/oca-cfonb_classic.cfo")
    with_breaks = read_statement(data)
    one_line = read_statement(data.replace(b"\n", b""))
    assert one_line.format == "cfonb"
    assert one_line.problems == ()
    assert [line.fingerprint for line in one_line.lines] == [
        line.fingerprint for line in with_breaks.lines
    ]
    assert one_line.lines[3].line == 18  # the record's number when the file has no lines


def test_cfonb_latin1_is_decoded() -> None:
    data = _bytes("cfonb/oca-cfonb_classic.cfo").replace(b"facture F230875", b"factur\xe9 F230875")
    report = read_statement(data)
    assert report.problems == ()
    assert report.lines[0].remittance == "facturé F230875"


def test_ofx_transaction_without_amount_is_refused() -> None:
    data = _bytes("ofx/ofxparse-checking.ofx").replace(b"<TRNAMT>-34.51", b"")
    (problem,) = read_statement(data).problems
    assert (problem.code, problem.line) == ("ofx_amount_missing", 54)


def test_ofx_truncated_is_refused() -> None:
    data = _bytes("ofx/ofxparse-suncorp.ofx")
    report = read_statement(data[:1200])
    assert [p.code for p in report.problems] == ["ofx_truncated"]


def test_ofx_unexpected_end_tag_is_refused() -> None:
    data = _bytes("ofx/ofxparse-suncorp.ofx").replace(
        b"</BANKTRANLIST>", b"</BANKTRANLIST></STMTTRN>"
    )
    problems = read_statement(data).problems
    assert any(p.code == "ofx_unexpected_end" for p in problems)


def test_unknown_content_is_refused() -> None:
    report = read_statement(b"just some words\nnothing else\n")
    assert report.format == "unknown"
    assert report.problems[0].code == "bank_format"


def test_explicit_format_that_disagrees_with_the_content_is_refused() -> None:
    report = read_statement(_bytes("ofx/ofxparse-checking.ofx"), format="cfonb")
    assert "the content is ofx" in report.problems[0].message


@pytest.mark.parametrize(
    ("relative", "expected"),
    [
        ("camt053/genkgo-camt053.v2.minimal.xml", "camt053"),
        ("camt054/genkgo-camt054.v8.xml", "camt054"),
        ("ofx/ofxparse-anzcc.ofx", "ofx"),
        ("ofx/ofxparse-bank_medium.ofx", "ofx"),
        ("cfonb/silarhi-complex-test.txt", "cfonb"),
    ],
)
def test_format_is_detected_from_the_content(relative: str, expected: str) -> None:
    assert detect_format(_bytes(relative)) == expected


@pytest.mark.parametrize(
    "relative",
    [
        "camt053/genkgo-camt053.v2.multi.statement.xml",
        "camt054/genkgo-camt054.v4.xml",
        "ofx/ofxparse-checking.ofx",
        "cfonb/oca-cfonb_classic.cfo",
    ],
)
def test_the_same_statement_read_twice_has_the_same_fingerprints(relative: str) -> None:
    data = _bytes(relative)
    first, second = read_statement(data), read_statement(data)
    fingerprints = [line.fingerprint for line in first.lines]
    assert fingerprints == [line.fingerprint for line in second.lines]
    assert len(set(fingerprints)) == len(fingerprints)


def test_identical_lines_in_one_file_keep_distinct_fingerprints() -> None:
    data = b"date;montant;libelle\n13/01/2024;50,00;VIR\n13/01/2024;50,00;VIR\n"
    report = read_statement(data)
    first, second = report.lines
    assert first.fingerprint != second.fingerprint
    assert [line.fingerprint for line in read_statement(data).lines] == [
        first.fingerprint,
        second.fingerprint,
    ]


def test_cfonb_amount_encoding() -> None:
    assert decode_amount("0000000000000{", 2) == Decimal("0.00")
    assert decode_amount("0000000000001}", 2) == Decimal("-0.10")
    assert decode_amount("0000000000012J", 3) == Decimal("-0.121")
    assert decode_amount("0000000000012I", 0) == Decimal("129")


class TestBankCsv:
    def test_french_export_with_debit_and_credit_columns(self) -> None:
        data = (
            "Date;Date valeur;Libellé;Tiers;IBAN;Débit;Crédit;Référence\n"
            "13/01/2024;14/01/2024;VIR SARL MARTIN F230875;SARL MARTIN;FR76 3000 6000 0112 3456 7890 189;;1 040,17;ABC\n"
            "14/01/2024;;PRLV EDF;EDF;;12,50;;\n"
        ).encode("cp1252")
        report = read_statement(data)
        assert (report.format, report.problems) == ("csv", ())
        credit, debit = report.lines
        assert (credit.amount, credit.counterparty_iban, credit.bank_reference) == (
            Decimal("1040.17"),
            "FR7630006000011234567890189",
            "ABC",
        )
        assert debit.amount == Decimal("-12.50")
        assert credit.line == 2

    @pytest.mark.parametrize("separator", [",", "\t"])
    def test_english_export_with_a_signed_amount(self, separator: str) -> None:
        rows = [
            ["date", "amount", "label", "counterparty", "reference"],
            ["2024-01-13", "1234.50", "Transfer", "Martin", "F1"],
            ["2024-01-14", "-3.20", "Fee", "", ""],
        ]
        text = "\n".join(
            separator.join(f'"{cell}"' if "," in cell else cell for cell in row) for row in rows
        )
        report = read_statement(text.encode())
        assert [line.amount for line in report.lines] == [Decimal("1234.50"), Decimal("-3.20")]

    def test_bad_lines_are_reported_with_line_and_column(self) -> None:
        data = b"date;montant\n2024-01-13;abc\nnot a date;1\n"
        report = read_statement(data)
        assert [(p.code, p.line, p.column) for p in report.problems] == [
            ("csv_amount", 2, None),
            ("csv_date", 3, "date"),
        ]

    def test_missing_amount_column_is_refused(self) -> None:
        report = read_statement(b"date;libelle\n2024-01-13;x\n", format="csv")
        assert report.problems[0].code == "csv_header"


def test_ofx_sgml_empty_leaf_does_not_swallow_the_next_field() -> None:
    data = _bytes("ofx/ofxparse-bank_medium.ofx").replace(
        b"<MEMO>POS MERCHANDISE;MCDONALD'S #112", b"<MEMO>"
    )
    report = read_statement(data)
    assert report.problems == ()
    assert (report.lines[0].amount, report.lines[0].remittance) == (Decimal("-6.60"), "")
