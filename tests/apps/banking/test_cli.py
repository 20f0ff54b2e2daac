"""The bank commands, end to end through ``relance.cli.main``."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest

from relance.cli import main
from tests.apps.banking._helpers import bank_csv
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def run(capsys, *args):
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def statement(creditor, tmp_path):
    martin = DebtorFactory(creditor=creditor, account="411MARTIN", name="Boulangerie Martin")
    lefebvre = DebtorFactory(creditor=creditor, account="411LEF", name="Transports Lefebvre")
    InvoiceFactory(debtor=martin, number="FA-101", total_amount=Decimal("1200.00"))
    InvoiceFactory(debtor=lefebvre, number="FA-102", total_amount=Decimal("480.00"))
    path = tmp_path / "releve.csv"
    path.write_bytes(
        bank_csv(
            (date(2026, 3, 18), "1200.00", "BOULANGERIE MARTIN", "", "Facture FA-101"),
            (date(2026, 3, 18), "300.00", "TRANSPORTS LEFEBVRE", "", "acompte"),
            (date(2026, 3, 19), "-42.00", "EDF", "", "prelevement"),
        )
    )
    return path


def test_import_bank_json_reports_the_counts_and_the_matches(statement, capsys):
    code, out, _ = run(capsys, "import", "bank", str(statement), "--json")
    data = json.loads(out)
    assert code == 0
    assert {k: data[k] for k in ("format", "statements", "lines", "credits", "matched", "suggested", "unmatched")} == {
        "format": "csv", "statements": 1, "lines": 3, "credits": 2, "matched": 1, "suggested": 1, "unmatched": 0,
    }
    assert data["amount_matched"] == "1200.00"
    assert data["problems"] == []


def test_import_bank_says_what_was_matched_and_why(statement, capsys):
    code, out, _ = run(capsys, "import", "bank", str(statement))
    assert code == 0
    assert "1 matched (1200.00), 1 suggested" in out
    assert "411MARTIN Boulangerie Martin" in out
    assert "invoices FA-101 1200.00" in out
    assert "why      invoice number FA-101 found in remittance text" in out


def test_a_dry_run_then_the_real_import(statement, capsys):
    code, out, _ = run(capsys, "import", "bank", str(statement), "--dry-run", "--json")
    assert (code, json.loads(out)["committed"]) == (0, False)
    code, out, _ = run(capsys, "matches", "list", "--json")
    assert json.loads(out) == []


def test_a_malformed_file_is_refused_with_its_line(tmp_path, creditor, capsys):
    path = tmp_path / "bad.csv"
    path.write_bytes(bank_csv((date(2026, 3, 2), "10.00", "A", "", "ok")) + b"03/03/2026;douze;B;;x;R\n")
    code, _, err = run(capsys, "import", "bank", str(path))
    assert code == 1
    assert "refused, nothing was imported" in err
    assert "line 3" in err


def test_suggestions_are_listed_confirmed_and_undone(statement, capsys):
    run(capsys, "import", "bank", str(statement))
    code, out, _ = run(capsys, "matches", "list", "--state", "suggested", "--json")
    (suggestion,) = json.loads(out)
    assert (suggestion["debtor"]["account"], suggestion["line"]["amount"]) == ("411LEF", "300.00")

    code, out, _ = run(capsys, "matches", "apply", str(suggestion["id"]), "--json")
    applied = json.loads(out)
    assert (code, applied["state"], applied["allocations"][0]["number"]) == (0, "applied", "FA-102")
    assert applied["applied_by"].startswith("cli:")

    code, out, _ = run(capsys, "matches", "undo", str(suggestion["id"]))
    assert code == 0
    assert f"Match {suggestion['id']} undone." in out
    code, _, err = run(capsys, "matches", "undo", str(suggestion["id"]))
    assert code == 1
    assert "already undone" in err
    code, _, err = run(capsys, "matches", "apply", "999999")
    assert (code, "no match 999999" in err) == (1, True)
