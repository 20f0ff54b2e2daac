"""Importing bank statements: every sample, duplicates, refusals, dry runs."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.banking.models import BankStatement, Match, StatementLine
from relance.apps.banking.services import statement_import
from relance.apps.ledger.models import ImportBatch, Payment
from relance.formats.bank import read_statement
from tests.apps.banking._helpers import bank_csv

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 20)
SAMPLE_FILES = [
    f"{kind}/{name}"
    for kind, names in {
        "camt053": [
            "genkgo-camt053.v2.minimal.xml",
            "genkgo-camt053.v2.multi.statement.xml",
            "genkgo-camt053.v2.with-party-ids.xml",
            "genkgo-camt053.v4.xml",
            "genkgo-camt053.v8.xml",
        ],
        "camt054": ["genkgo-camt054.v2.xml", "genkgo-camt054.v4.xml", "genkgo-camt054.v8.xml"],
        "ofx": [
            "ofxparse-anzcc.ofx",
            "ofxparse-bank_medium.ofx",
            "ofxparse-checking.ofx",
            "ofxparse-multiple_accounts.ofx",
            "ofxparse-suncorp.ofx",
        ],
        "cfonb": [
            "oca-cfonb_classic.cfo",
            "silarhi-complex-test.txt",
            "silarhi-simple-test.txt",
            "silarhi-test-unused-parts.txt",
        ],
    }.items()
    for name in names
]


def counts() -> tuple[int, int, int, int]:
    return (
        BankStatement.objects.count(),
        StatementLine.objects.count(),
        Match.objects.count(),
        Payment.objects.count(),
    )


@pytest.mark.parametrize("relative", SAMPLE_FILES)
def test_each_sample_imports_its_lines_credits_apart_from_debits(creditor, samples: Path, relative):
    data = (samples / relative).read_bytes()
    report = read_statement(data)
    expected_credits = sum(1 for line in report.lines if line.amount > 0)

    result = statement_import(creditor=creditor, data=data, filename=relative, as_of=AS_OF)

    assert result["problems"] == []
    assert result["format"] == relative.split("/")[0]
    assert (result["statements"], result["lines"]) == (len(report.statements), len(report.lines))
    assert result["credits"] == expected_credits
    assert result["debits"] == len(report.lines) - expected_credits
    # No open invoice: every credit stays unmatched, debits are set aside.
    assert (result["matched"], result["suggested"], result["unmatched"]) == (0, 0, expected_credits)
    assert StatementLine.objects.filter(creditor=creditor).count() == len(report.lines)
    assert StatementLine.objects.filter(status="ignored").count() == len(report.lines) - expected_credits
    assert StatementLine.objects.filter(status="unmatched").count() == expected_credits
    batch = ImportBatch.objects.get(pk=result["batch"])
    assert (batch.kind, batch.status, batch.created_count) == ("bank", "committed", len(report.lines))


@pytest.mark.parametrize(
    "relative", ["cfonb/oca-cfonb_classic.cfo", "camt053/genkgo-camt053.v2.multi.statement.xml",
                 "ofx/ofxparse-checking.ofx", "cfonb/silarhi-test-unused-parts.txt"]
)
def test_importing_the_same_statement_twice_adds_nothing(creditor, samples: Path, relative):
    data = (samples / relative).read_bytes()
    statement_import(creditor=creditor, data=data, filename="a", as_of=AS_OF)
    before = counts()

    again = statement_import(creditor=creditor, data=data, filename="b", as_of=AS_OF)

    assert again["problems"] == []
    assert again["duplicates"] == again["lines"]
    assert (again["credits"], again["matched"], again["suggested"]) == (0, 0, 0)
    assert counts() == before


def test_a_statement_overlapping_an_earlier_one_adds_only_its_new_lines(creditor):
    first = bank_csv((date(2026, 3, 2), "10.00", "A", "", "one"), (date(2026, 3, 3), "20.00", "B", "", "two"))
    second = bank_csv(
        (date(2026, 3, 2), "10.00", "A", "", "one"),
        (date(2026, 3, 3), "20.00", "B", "", "two"),
        (date(2026, 3, 4), "-5.00", "C", "", "fee"),
    )
    statement_import(creditor=creditor, data=first, filename="first.csv", as_of=AS_OF)
    result = statement_import(creditor=creditor, data=second, filename="second.csv", as_of=AS_OF)
    assert (result["lines"], result["duplicates"], result["credits"], result["debits"]) == (3, 2, 0, 1)
    assert StatementLine.objects.count() == 3


def test_two_identical_payments_on_one_day_are_two_lines(creditor):
    line = (date(2026, 3, 2), "50.00", "Martin", "", "")
    result = statement_import(creditor=creditor, data=bank_csv(line, line), filename="x.csv", as_of=AS_OF)
    assert result["credits"] == 2
    assert StatementLine.objects.count() == 2


def test_a_malformed_file_is_refused_whole_with_the_line_and_reason(creditor):
    data = bank_csv((date(2026, 3, 2), "10.00", "A", "", "fine")) + b"03/03/2026;douze;B;;bad;R\n"

    result = statement_import(creditor=creditor, data=data, filename="bad.csv", as_of=AS_OF)

    assert result["committed"] is False
    (problem,) = result["problems"]
    assert problem["line"] == 3
    assert "douze" in problem["message"] or "amount" in problem["message"].lower()
    assert counts() == (0, 0, 0, 0)
    batch = ImportBatch.objects.get(pk=result["batch"])
    assert (batch.kind, batch.status, batch.problems) == ("bank", "refused", result["problems"])


def test_a_file_that_is_no_bank_statement_is_refused(creditor):
    result = statement_import(creditor=creditor, data=b"hello world\n", filename="x.txt", as_of=AS_OF)
    assert result["problems"][0]["code"] == "bank_format"
    assert counts() == (0, 0, 0, 0)


def test_a_dry_run_counts_and_writes_nothing(creditor, samples: Path):
    data = (samples / "cfonb/oca-cfonb_classic.cfo").read_bytes()
    events = Event.objects.count()

    result = statement_import(creditor=creditor, data=data, filename="x", dry_run=True, as_of=AS_OF)

    assert (result["lines"], result["credits"], result["committed"]) == (13, 9, False)
    assert counts() == (0, 0, 0, 0)
    assert ImportBatch.objects.count() == 0
    assert Event.objects.count() == events


def test_an_import_is_recorded_in_the_audit_trail(creditor):
    data = bank_csv((date(2026, 3, 2), Decimal("10.00"), "A", "", "x"))
    result = statement_import(creditor=creditor, data=data, filename="x.csv", as_of=AS_OF)
    event = Event.objects.get(kind="bank.imported")
    assert (event.subject_id, event.payload["lines"], event.payload["credits"]) == (result["batch"], 1, 1)
    assert chain_verify().ok
