"""Exports of debtors, invoices, aging and actions as CSV and XLSX, through the API and the CLI:
spreadsheet formulas escaped (OWASP CSV injection), negative amounts kept as numbers, and only
the requester's creditor (issue 15)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from relance import cli
from relance.apps.collection.daily_pass import collection_run
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

HOSTILE = [
    '=HYPERLINK("http://evil.example/pay","Cliquez ici")',
    "@SUM(A1:A9)",
    "+33612345678",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
]
KINDS = ["debtors", "invoices", "aging", "actions"]


@pytest.fixture
def hostile(creditor_a, today):
    """Debtors of creditor A named as an attacker would name them, each with an overdue invoice,
    and a credit note (a genuine negative amount)."""
    for n, name in enumerate(HOSTILE):
        debtor = DebtorFactory(creditor=creditor_a, name=name, account=f"=411{n}", phone="+33612345678")
        InvoiceFactory(debtor=debtor, creditor=creditor_a, number=f"=FA-{n}",
                       issue_date=today - timedelta(days=60), due_date=today - timedelta(days=30))
    debtor = DebtorFactory(creditor=creditor_a, name="Avoir SARL", account="411AV")
    InvoiceFactory(debtor=debtor, creditor=creditor_a, number="AV-1", total_amount=Decimal("-100.00"),
                   open_amount=Decimal("-100.00"), issue_date=today - timedelta(days=60),
                   due_date=today - timedelta(days=30))
    collection_run(as_of=today, creditor=creditor_a, dispatch=False)  # actions for them too
    return creditor_a


def csv_rows(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read accents
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def assert_no_formula_in_csv(rows: list[list[str]]) -> None:
    for row in rows:
        for cell in row:
            try:
                Decimal(cell)
                continue  # a number, negative ones included
            except ArithmeticError:
                pass
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


@pytest.mark.parametrize("kind", KINDS)
def test_a_csv_export_escapes_every_formula_and_keeps_negative_amounts_as_numbers(collector_a, hostile, kind):
    response = collector_a.get(f"/api/exports/{kind}", {"format": "csv"})

    assert response.status_code == 200, response.content
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    rows = csv_rows(response.content)
    assert_no_formula_in_csv(rows)
    cells = {cell for row in rows for cell in row}
    if kind != "invoices":  # the invoice list gives the names too, checked below
        assert {"'" + name for name in HOSTILE} <= cells
    if kind in ("invoices", "aging"):
        assert "-100.00" in cells  # the credit note: a number, not quoted


def test_the_invoice_export_has_the_hostile_numbers_and_names_escaped(collector_a, hostile):
    rows = csv_rows(collector_a.get("/api/exports/invoices").content)
    header, *body = rows
    assert header[:3] == ["number", "debtor_account", "debtor_name"]
    by_number = {row[0]: row for row in body}
    assert by_number["'=FA-0"][1:3] == ["'=4110", "'" + HOSTILE[0]]
    assert by_number["AV-1"][6:8] == ["-100.00", "-100.00"]


@pytest.mark.parametrize("kind", KINDS)
def test_an_xlsx_export_writes_text_as_text_never_as_a_formula(collector_a, hostile, kind):
    response = collector_a.get(f"/api/exports/{kind}", {"format": "xlsx"})

    assert response.status_code == 200, response.content
    sheet_xml = zipfile.ZipFile(io.BytesIO(response.content)).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml  # no formula element at all
    assert b"<f " not in sheet_xml
    sheet = load_workbook(io.BytesIO(response.content)).active
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert not [cell.coordinate for cell in cells if cell.data_type == "f"]
    texts = {cell.value for cell in cells if cell.data_type == "s"}
    if kind != "invoices":
        assert set(HOSTILE) <= texts  # the names as they are, typed as text
    for cell in cells:
        if isinstance(cell.value, str) and cell.value.startswith(("=", "+", "-", "@", "\t")):
            assert cell.quotePrefix, cell.coordinate
    if kind in ("invoices", "aging"):
        assert Decimal("-100") in {Decimal(str(c.value)) for c in cells if c.data_type == "n" and c.value is not None}


def test_an_export_gives_only_the_requesters_creditor(collector_a, hostile, creditor_b):
    for kind in KINDS:
        content = collector_a.get(f"/api/exports/{kind}").content.decode("utf-8-sig")
        assert "Secret" not in content, kind  # creditor B's debtors are "Garage Secret SARL"...
    response = collector_a.get("/api/exports/debtors", {"creditor": creditor_b.pk})
    assert response.status_code == 404


def test_an_unknown_export_or_format_is_a_400(collector_a, hostile):
    assert collector_a.get("/api/exports/passwords").status_code == 400
    assert collector_a.get("/api/exports/debtors", {"format": "ods"}).status_code == 400


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_cli_exports_each_table_to_a_file(hostile, tmp_path, capsys, fmt):
    for kind in KINDS:
        out = tmp_path / f"{kind}.{fmt}"
        assert cli.main(["export", kind, "--creditor", str(hostile.pk), "--out", str(out)]) == 0
        if fmt == "csv":
            assert_no_formula_in_csv(csv_rows(out.read_bytes()))
        else:
            sheet = load_workbook(out).active
            assert not [c for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    names = {row[1] for row in csv.reader(io.StringIO((tmp_path / "debtors.csv").read_text("utf-8-sig")))} if fmt == "csv" else None
    if names is not None:
        assert "'@SUM(A1:A9)" in names


def test_aging_csv_escapes_formulas_and_keeps_amounts_numbers(hostile, capsys):
    assert cli.main(["aging", "--creditor", str(hostile.pk), "--by-debtor", "--csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert_no_formula_in_csv(rows)
    by_name = {row[1]: row for row in rows[1:]}
    assert "'" + HOSTILE[0] in by_name
    assert by_name["Avoir SARL"][-1] == "-100.00"
