"""Hand-checked facts about the bank samples, independent of the golden files.

Each figure below was read off the sample by eye (entry amounts, CdtDbtInd, CFONB sign
characters, balances), so a golden file regenerated from a wrong reader would still fail here.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.domain.banking import BankReport
from relance.formats.bank import read_statement

SAMPLES = Path(__file__).resolve().parents[3] / ".." / "shared" / "samples"


def _read(relative: str) -> BankReport:
    path = SAMPLES / relative
    if not path.is_file():
        pytest.skip(
            f"sample {relative} not found under {SAMPLES.resolve()} (clone with shared/ beside the repo)"
        )
    report = read_statement(path.read_bytes())
    assert report.problems == ()
    return report


def test_camt053_v2_credit_takes_the_debtor_as_counterparty() -> None:
    report = _read("camt053/genkgo-camt053.v2.minimal.xml")
    (statement,) = report.statements
    assert statement.account == "NL26VAYB8060476890"
    assert (statement.opening_balance, statement.closing_balance) == (
        Decimal("18.15"),
        Decimal("-27.00"),
    )
    (line,) = statement.lines
    assert line.amount == Decimal("8.85")
    assert (line.booking_date, line.value_date) == (date(2014, 12, 31), date(2015, 1, 2))
    assert (line.counterparty_name, line.counterparty_iban) == ("NAME NAME", "NL56AGDH9619008421")
    assert line.structured_reference == "4654654654654654"
    assert line.line == 90


def test_camt053_multi_statement_debit_takes_the_creditor_as_counterparty() -> None:
    report = _read("camt053/genkgo-camt053.v2.multi.statement.xml")
    first, second = report.statements
    assert [line.amount for line in first.lines] == [Decimal("8.85")]
    assert first.lines[0].remittance == "Transaction Description 1"
    assert first.lines[0].counterparty_name == ""  # only the creditor (us) is named
    assert [line.amount for line in second.lines] == [Decimal("-7.00")]
    assert second.lines[0].counterparty_name == "Company Name 2"
    assert second.opening_balance + second.lines[0].amount == second.closing_balance  # type: ignore[operator]


@pytest.mark.parametrize("name", ["genkgo-camt053.v4.xml", "genkgo-camt053.v8.xml"])
def test_camt053_v4_v8_read_othr_account_and_references(name: str) -> None:
    (line,) = _read(f"camt053/{name}").lines
    assert line.account == "NL26VAYB8060476890"
    assert line.amount == Decimal("8.85")
    assert line.booking_date == date(2014, 12, 31)  # v8 gives a DtTm: its date as written
    assert line.counterparty_name == "NAME NAME"
    assert line.bank_reference == "AAAASESS-FP-CN_98765/01"


@pytest.mark.parametrize(
    "name", ["genkgo-camt054.v2.xml", "genkgo-camt054.v4.xml", "genkgo-camt054.v8.xml"]
)
def test_camt054_keeps_an_inconsistent_batch_as_one_debit(name: str) -> None:
    report = _read(f"camt054/{name}")
    (line,) = report.lines
    assert line.amount == Decimal("-200000")
    assert line.currency == "SEK"
    assert "Unstructured Remittance Information V3 block 2" in line.remittance
    assert "Ref number V3 block 2" in line.structured_reference
    assert any("do not add up" in note for note in report.notes)


def test_ofx_sgml_blocks_on_one_line() -> None:
    report = _read("ofx/ofxparse-bank_medium.ofx")
    (statement,) = report.statements
    assert statement.currency == "CAD"
    assert [line.amount for line in statement.lines] == [
        Decimal("-6.60"),
        Decimal("-316.67"),
        Decimal("-22.00"),
    ]
    assert statement.lines[1].counterparty_name == "Joe's Bald Hairstyles"
    assert statement.closing_balance == Decimal("382.34")


def test_ofx_sgml_indented() -> None:
    report = _read("ofx/ofxparse-checking.ofx")
    assert [line.amount for line in report.lines] == [
        Decimal("0.01"),
        Decimal("-34.51"),
        Decimal("-25.00"),
    ]
    assert [line.bank_reference for line in report.lines] == ["0000486", "0000487", "0000488"]
    assert report.lines[0].booking_date == date(2011, 3, 31)


def test_ofx_xml_several_accounts() -> None:
    report = _read("ofx/ofxparse-multiple_accounts.ofx")
    assert [(s.account, s.closing_balance) for s in report.statements] == [
        ("9100", Decimal("111")),
        ("9200", Decimal("222")),
    ]
    assert report.lines == ()


def test_ofx_xml_cdata_and_sgml_style_v2() -> None:
    (suncorp,) = _read("ofx/ofxparse-suncorp.ofx").lines
    assert suncorp.amount == Decimal("-16.85")
    assert suncorp.counterparty_name == "EFTPOS WDL HANDYWAY ALDI STORE"
    (anz,) = _read("ofx/ofxparse-anzcc.ofx").lines
    assert (anz.amount, anz.currency, anz.remittance) == (Decimal("-5.50"), "AUD", "SOME MEMO")


def test_cfonb_classic_amounts_signs_and_balance() -> None:
    report = _read("cfonb/oca-cfonb_classic.cfo")
    (statement,) = report.statements
    amounts = [line.amount for line in statement.lines]
    assert len(amounts) == 13
    assert sum(a for a in amounts if a > 0) == Decimal("17968.57")
    assert sum(a for a in amounts if a < 0) == Decimal("-3694.67")
    assert statement.opening_balance == Decimal("1017311.89")
    assert statement.closing_balance == Decimal("1031585.79")
    assert statement.opening_balance + sum(amounts) == statement.closing_balance
    first = statement.lines[0]
    assert (first.amount, first.counterparty_name, first.remittance) == (
        Decimal("1040.17"),
        "MA JOLIE BOUTIQUE",
        "facture F230875",
    )
    durancia = statement.lines[1]
    assert "F230866 F230765 F238765" in durancia.remittance
    assert durancia.end_to_end_id == "0018937"
    assert statement.lines[5].remittance.startswith("F238765+F229876")


def test_cfonb_complex_every_day_balances() -> None:
    report = _read("cfonb/silarhi-complex-test.txt")
    assert len(report.statements) == 8
    assert [line.amount for line in report.lines] == [
        Decimal("-22.79"),
        Decimal("-20.11"),
        Decimal("-5000.00"),
        Decimal("-117.75"),
        Decimal("-50.25"),
    ]
    for statement in report.statements:
        assert statement.opening_balance is not None
        movements = sum((line.amount for line in statement.lines), Decimal(0))
        assert statement.opening_balance + movements == statement.closing_balance
    sgt = report.lines[3]
    assert (sgt.booking_date, sgt.value_date) == (date(2020, 4, 10), date(2020, 4, 1))


def test_cfonb_balances_only() -> None:
    (statement,) = _read("cfonb/silarhi-simple-test.txt").statements
    assert statement.opening_balance == statement.closing_balance == Decimal("16695.65")
    report = _read("cfonb/silarhi-test-unused-parts.txt")
    assert len(report.statements) == 8
    assert report.lines == ()
