"""The README's path, as a newcomer runs it: the installed `relance` command in a fresh folder."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

RELANCE = Path(sys.executable).with_name("relance")

CSV = (
    "Numéro facture;Compte client;Raison sociale;Type client;SIREN;Date facture;Date échéance;Montant TTC;Reste dû\n"
    "FA-2026-001;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;02/01/2026;01/02/2026;1 200,00;1 200,00\n"
    "FA-2026-002;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;15/03/2026;14/04/2026;480,50;480,50\n"
    "FA-2026-003;411DUPONT;Jeanne Dupont;particulier;;20/05/2026;20/05/2026;99,90;49,90\n"
)


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    current = os.environ.get("RELANCE_DATABASE_URL", "")
    if not current.startswith("postgres"):
        return f"sqlite:///{tmp_path / 'relance.sqlite3'}"
    import psycopg

    server = current.rsplit("/", 1)[0]
    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "relance_newcomer"')
        conn.execute('CREATE DATABASE "relance_newcomer"')
    return f"{server}/relance_newcomer"


@pytest.fixture
def relance(tmp_path: Path, database_url: str):
    env = {**os.environ, "RELANCE_HOME": str(tmp_path), "RELANCE_DATABASE_URL": database_url}
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run([str(RELANCE), *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        if ok:
            assert proc.returncode == 0, proc.stderr
        return proc

    return run


def test_a_newcomer_imports_an_export_and_reads_the_aging(tmp_path, relance):
    relance("init")
    creditor = json.loads(relance("creditor", "add", "--name", "Atelier Lumière SAS", "--siren", "552 100 554",
                                  "--iban", "FR76 3000 6000 0112 3456 7890 189", "--json").stdout)
    assert (creditor["id"], creditor["siren"], creditor["iban"]) == (1, "552100554", "FR7630006000011234567890189")

    export = tmp_path / "export.csv"
    export.write_bytes(CSV.encode("cp1252"))
    dry = json.loads(relance("import", "ledger", str(export), "--dry-run", "--json").stdout)
    assert (dry["format"], dry["created"], dry["committed"]) == ("csv", 3, False)
    assert json.loads(relance("invoices", "list", "--json").stdout) == []

    result = json.loads(relance("import", "ledger", str(export), "--json").stdout)
    assert {k: result[k] for k in ("format", "created", "updated", "unchanged", "settled", "problems")} == {
        "format": "csv", "created": 3, "updated": 0, "unchanged": 0, "settled": 0, "problems": [],
    }
    again = json.loads(relance("import", "ledger", str(export), "--json").stdout)
    assert (again["created"], again["unchanged"]) == (0, 3)

    invoices = json.loads(relance("invoices", "list", "--open", "--debtor", "411DUPONT", "--json").stdout)
    assert invoices == [{
        "number": "FA-2026-003", "debtor_account": "411DUPONT", "issue_date": "2026-05-20",
        "due_date": "2026-05-20", "currency": "EUR", "total_amount": "99.90", "open_amount": "49.90",
        "status": "open",
    }]

    aging = json.loads(relance("aging", "--as-of", "2026-06-30", "--json").stdout)
    (eur,) = aging["totals"]
    assert (eur["1_30"], eur["31_60"], eur["61_90"], eur["over_90"], eur["total"]) == (
        "0.00", "49.90", "480.50", "1200.00", "1730.40",
    )
    text = relance("aging", "--as-of", "2026-06-30").stdout
    assert "Atelier Lumière SAS" in text
    assert "1730.40" in text
    csv_out = relance("aging", "--as-of", "2026-06-30", "--by-debtor", "--csv").stdout.splitlines()
    assert csv_out[0].startswith("debtor_account,debtor_name,currency,not_due")
    assert relance("audit", "verify").stdout.startswith("Audit trail intact")


def test_a_broken_file_is_refused_with_its_line_and_column_and_a_non_zero_exit(tmp_path, relance):
    relance("init")
    relance("creditor", "add", "--name", "Atelier Lumière SAS")
    export = tmp_path / "broken.csv"
    export.write_text(CSV + "FA-2026-004;411X;X SAS;entreprise;;31/02/2026;01/03/2026;10,00;10,00\n", encoding="utf-8")
    proc = relance("import", "ledger", str(export), ok=False)
    assert proc.returncode == 1
    assert "refused, nothing was imported" in proc.stderr
    assert "line 5, column Date facture" in proc.stderr
    assert json.loads(relance("invoices", "list", "--json").stdout) == []


def test_errors_say_what_is_wrong(tmp_path, relance):
    relance("init")
    proc = relance("aging", ok=False)
    assert proc.returncode == 1
    assert "no creditor yet" in proc.stderr
    proc = relance("creditor", "add", "--name", "X", "--siren", "123456789", ok=False)
    assert "SIREN" in proc.stderr
    assert proc.returncode == 1
    proc = relance("import", "ledger", str(tmp_path / "missing.csv"), ok=False)
    assert "not a readable file" in proc.stderr


def test_the_demo_loads_a_realistic_portfolio(tmp_path, relance):
    relance("init")
    summary = json.loads(relance("demo", "--invoices", "200", "--seed", "7", "--as-of", "2026-11-23", "--json").stdout)
    assert summary["import"]["created"] == 200
    assert summary["import"]["problems"] == []
    invoices = json.loads(relance("invoices", "list", "--json").stdout)
    statuses = {i["status"] for i in invoices}
    assert statuses == {"open", "paid"}
    partly = [i for i in invoices if i["status"] == "open" and i["open_amount"] != i["total_amount"]]
    assert partly, "some invoices are partly paid"
    issue_dates = sorted(i["issue_date"] for i in invoices)
    assert issue_dates[0] < "2025-07-01"
    assert issue_dates[-1] > "2026-10-01"
    aging = json.loads(relance("aging", "--as-of", "2026-11-23", "--json").stdout)
    assert aging["totals"][0]["over_90"] != "0.00"
    # The same seed gives the same portfolio: loading it again changes nothing.
    again = json.loads(relance("demo", "--invoices", "200", "--seed", "7", "--as-of", "2026-11-23", "--json").stdout)
    assert again["import"]["unchanged"] == 200
