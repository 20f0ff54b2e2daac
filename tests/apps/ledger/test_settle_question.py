"""An import says what it will settle, and asks before settling many invoices by their absence;
a ledger never reopens what money received settled (issue #15)."""

from __future__ import annotations

import io
import json
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.banking.services import statement_import
from relance.apps.ledger.models import Allocation, ImportBatch, Invoice, Payment
from relance.apps.ledger.services import ledger_import
from relance.cli import main as cli_main
from tests.apps.banking._helpers import bank_csv

pytestmark = pytest.mark.django_db

HEADER = "numero_facture;compte_client;raison_sociale;date_facture;date_echeance;montant_ttc;reste_du\n"
AS_OF = date(2026, 4, 1)


def row(n: int, amount: str = "100,00", open_amount: str | None = None) -> str:
    return f"FA-{n:03d};411C{n % 3};Client {n % 3} SARL;01/02/2026;03/03/2026;{amount};{open_amount or amount}\n"


def run(creditor, text: str, **kw):
    return ledger_import(
        creditor=creditor, stream=io.BytesIO(text.encode()), filename="export.csv", as_of=AS_OF, **kw
    )


def state(creditor):
    return (
        sorted(Invoice.objects.filter(creditor=creditor).values_list("number", "open_amount", "status")),
        Allocation.objects.filter(invoice__creditor=creditor).count(),
        Payment.objects.filter(creditor=creditor).count(),
        ImportBatch.objects.filter(creditor=creditor).count(),
    )


def test_a_file_leaving_out_many_open_invoices_writes_nothing_and_lists_them(creditor):
    assert run(creditor, HEADER + "".join(row(n) for n in range(1, 21))).ok
    before = state(creditor)
    three = HEADER + "".join(row(n) for n in range(1, 4))  # 17 of 20 left out

    result = run(creditor, three)

    assert result.ok
    assert result.question == "full_or_partial"
    data = result.as_dict()
    assert not data["committed"]
    assert data["batch"] is None
    assert data["settling"]["count"] == data["settling"]["absent_count"] == 17
    assert data["settling"]["amounts"] == {"EUR": "1700.00"}
    assert data["settling"]["open_before"] == {"EUR": "2000.00"}
    assert {r["number"] for r in data["settling"]["invoices"]} == {f"FA-{n:03d}" for n in range(4, 21)}
    assert state(creditor) == before  # not one row

    dry = run(creditor, three, dry_run=True).as_dict()
    assert dry["question"] == "full_or_partial"
    assert dry["settling"] == data["settling"]


def test_full_settles_the_invoices_left_out_and_partial_none(creditor):
    assert run(creditor, HEADER + "".join(row(n) for n in range(1, 21))).ok
    three = HEADER + "".join(row(n) for n in range(1, 4))

    partial = run(creditor, three, partial=True)
    assert partial.question is None
    assert partial.settled == 0
    assert partial.as_dict()["committed"]
    assert Invoice.objects.filter(creditor=creditor, status="open").count() == 20

    full = run(creditor, three, full=True)
    assert full.question is None
    assert full.settled == 17
    assert full.as_dict()["committed"]
    assert Invoice.objects.filter(creditor=creditor, status="open").count() == 3
    assert chain_verify().ok


def test_a_few_small_invoices_left_out_are_settled_without_asking(creditor):
    assert run(creditor, HEADER + "".join(row(n) for n in range(1, 21))).ok
    result = run(creditor, HEADER + "".join(row(n) for n in range(1, 19)))  # 2 of 20: 10 %
    assert result.question is None
    assert result.settled == 2
    assert result.as_dict()["settling"]["amounts"] == {"EUR": "200.00"}


def test_one_invoice_holding_most_of_the_open_amount_is_asked_about(creditor):
    big = row(1, "5 000,00")
    assert run(creditor, HEADER + big + "".join(row(n) for n in range(2, 6))).ok
    result = run(creditor, HEADER + "".join(row(n) for n in range(2, 6)))  # 1 invoice, 5000 of 5400
    assert result.question == "full_or_partial"
    assert Invoice.objects.get(creditor=creditor, number="FA-001").status == "open"


def test_the_cli_asks_with_exit_2_and_takes_full(creditor, tmp_path, capsys):
    assert run(creditor, HEADER + "".join(row(n) for n in range(1, 21))).ok
    path = tmp_path / "three.csv"
    path.write_text(HEADER + "".join(row(n) for n in range(1, 4)), encoding="utf-8")
    args = ["import", "ledger", str(path), "--creditor", str(creditor.pk)]

    assert cli_main(args) == 2
    out = capsys.readouterr()
    assert "--full" in out.err
    assert "--partial" in out.err
    assert "FA-020" in out.out
    assert Invoice.objects.filter(creditor=creditor, status="open").count() == 20

    assert cli_main([*args, "--dry-run", "--json"]) == 0
    dry = json.loads(capsys.readouterr().out)
    assert dry["question"] == "full_or_partial"
    assert dry["settling"]["count"] == 17

    assert cli_main([*args, "--full"]) == 0
    assert "Settled 17 invoices, 1700.00 EUR" in capsys.readouterr().out
    assert Invoice.objects.filter(creditor=creditor, status="open").count() == 3


def test_a_ledger_never_reopens_an_invoice_a_bank_match_settled(creditor):
    lines = HEADER + row(1, "842,29") + "".join(row(n) for n in range(2, 6))
    assert run(creditor, lines).ok
    bank = statement_import(
        creditor=creditor,
        data=bank_csv((date(2026, 3, 18), "842.29", "Client 1 SARL", "", "Facture FA-001")),
        filename="releve.csv",
        as_of=date(2026, 3, 20),
    )
    assert bank["matched"] == 1
    invoice = Invoice.objects.get(creditor=creditor, number="FA-001")
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), "paid")
    allocations = list(Allocation.objects.filter(invoice=invoice).values_list("amount", "payment__origin"))

    stale = run(creditor, lines)  # the ledger still lists FA-001 as open

    assert stale.ok
    assert stale.as_dict()["committed"]
    invoice.refresh_from_db()
    assert (invoice.open_amount, invoice.status) == (Decimal("0.00"), "paid")
    assert list(Allocation.objects.filter(invoice=invoice).values_list("amount", "payment__origin")) == allocations
    assert not Allocation.objects.filter(invoice=invoice, amount__lt=0).exists()
    (conflict,) = stale.as_dict()["conflicts"]
    assert conflict | {"line": None} == {
        "number": "FA-001", "debtor": "411C1", "open_amount": "0.00", "file_open_amount": "842.29",
        "currency": "EUR", "line": None,
    }
    event = Event.objects.get(kind="ledger.conflict")
    assert (event.subject_type, event.subject_id) == ("invoice", invoice.pk)
    assert event.payload["received_amount"] == "842.29"
    assert chain_verify().ok


def test_a_ledger_keeps_a_partial_bank_payment_and_reports_the_difference(creditor):
    assert run(creditor, HEADER + row(1, "1 000,00") + "".join(row(n) for n in range(2, 6))).ok
    statement_import(
        creditor=creditor,
        data=bank_csv((date(2026, 3, 18), "400.00", "Client 1 SARL", "", "Facture FA-001")),
        filename="releve.csv",
        as_of=date(2026, 3, 20),
    )
    invoice = Invoice.objects.get(creditor=creditor, number="FA-001")
    assert invoice.open_amount == Decimal("600.00")
    # A later export says 1,000 open: the 400 received stays; so does a lower figure it gives.
    result = run(creditor, HEADER + row(1, "1 000,00") + "".join(row(n) for n in range(2, 6)))
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("600.00")
    assert [c["open_amount"] for c in result.as_dict()["conflicts"]] == ["600.00"]
    lower = run(creditor, HEADER + row(1, "1 000,00", "250,00") + "".join(row(n) for n in range(2, 6)))
    invoice.refresh_from_db()
    assert invoice.open_amount == Decimal("250.00")
    assert not lower.conflicts


def test_a_paid_date_in_the_file_dates_the_settlement_it_reports(creditor):
    header = HEADER.replace("reste_du\n", "reste_du;date_reglement\n")
    first = header + "FA-001;411C1;Client 1 SARL;01/02/2026;03/03/2026;1 000,00;400,00;12/03/2026\n" + (
        "FA-002;411C1;Client 1 SARL;01/02/2026;03/03/2026;500,00;500,00;\n"
    )
    assert run(creditor, first).ok
    dated = Payment.objects.get(creditor=creditor, origin="ledger")
    assert (dated.value_date, dated.is_dated, dated.amount) == (date(2026, 3, 12), True, Decimal("600.00"))
    # A month later FA-002 is paid on 20/03 per the file; FA-001 leaves the file (undated).
    later = header + "FA-002;411C1;Client 1 SARL;01/02/2026;03/03/2026;500,00;0,00;20/03/2026\n"
    assert run(creditor, later, full=True).ok
    payments = sorted(
        Payment.objects.filter(creditor=creditor, origin="ledger").values_list("value_date", "is_dated", "amount")
    )
    assert payments == [
        (date(2026, 3, 12), True, Decimal("600.00")),
        (date(2026, 3, 20), True, Decimal("500.00")),
        (AS_OF, False, Decimal("400.00")),
    ]


def test_a_paid_date_that_is_no_date_is_refused_with_its_line_and_column(creditor):
    header = HEADER.replace("reste_du\n", "reste_du;Date règlement\n")
    bad = header + "FA-001;411C1;Client 1 SARL;01/02/2026;03/03/2026;1 000,00;400,00;31/02/2026\n"
    result = run(creditor, bad)
    (problem,) = result.problems
    assert (problem.code, problem.line, problem.column) == ("bad_date", 2, "Date règlement")
    assert not Invoice.objects.filter(creditor=creditor).exists()


def test_a_long_list_is_counted_whole_and_listed_in_part(creditor):
    assert run(creditor, HEADER + "".join(row(n) for n in range(1, 601))).ok
    data = run(creditor, HEADER + row(1), dry_run=True).as_dict()["settling"]
    assert (data["count"], data["absent_count"], len(data["invoices"])) == (599, 599, 500)
    assert data["amounts"] == {"EUR": "59900.00"}


def test_a_fec_dates_each_settlement_by_its_credit(creditor):
    from tests.formats.test_fec import fec, invoice, payment

    data = fec(
        invoice("F1", "100,00", "20260105", EcritureLet="A"),
        payment("VIR1", "100,00", EcritureLet="A", PieceDate="20260215"),
        invoice("F2", "300,00", "20260110"),
    )
    result = ledger_import(creditor=creditor, stream=io.BytesIO(data), filename="fec.txt", as_of=AS_OF)
    assert result.ok, result.problems
    assert list(Payment.objects.filter(creditor=creditor).values_list("value_date", "is_dated", "amount")) == [
        (date(2026, 2, 15), True, Decimal("100.00")),
    ]
