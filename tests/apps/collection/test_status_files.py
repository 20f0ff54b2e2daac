"""The status file back from an agency or a lawyer: taken whole, or refused whole with each
line and reason."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.legal_stage import case_legal, legal_reminders_due
from relance.apps.collection.models import Case, LegalStage, StatusReport
from relance.apps.collection.status_files import status_file_import
from relance.apps.ledger.models import Allocation, Invoice, Payment
from relance.cli import main
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 30)
TODAY = date(2026, 4, 10)


def handed_off(creditor, reference, amounts=("700.00", "500.00")):
    debtor = DebtorFactory(creditor=creditor)
    for n, amount in enumerate(amounts):
        InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=DUE - timedelta(days=30 - n),
                       due_date=DUE + timedelta(days=n), total_amount=Decimal(amount))
    case_legal(creditor=creditor, account=debtor.account, route="agency", reference=reference,
               as_of=DUE + timedelta(days=60))
    return debtor


def test_a_status_file_records_payments_oldest_invoice_first_and_the_pass_closes_what_is_paid(creditor):
    partly = handed_off(creditor, "AG-1")
    paid = handed_off(creditor, "AG-2")
    on_plan = handed_off(creditor, "AG-3")
    dropped = handed_off(creditor, "AG-4")
    data = ("reference;statut;montant;date\n"
            "AG-1;partiellement payé;800,00;02/04/2026\n"
            "AG-2;payé;1 200,00;03/04/2026\n"
            "AG-3;échéancier;;2026-04-04\n"
            "AG-4;abandonné;;2026-04-05\n").encode()
    result = status_file_import(creditor=creditor, data=data, name="retour.csv", as_of=TODAY)
    assert result.as_dict() == {"imported": True, "lines": 4, "payments": 2, "problems": []}
    first, second = Invoice.objects.filter(debtor=partly).order_by("due_date")
    assert (first.open_amount, first.status, second.open_amount) == (Decimal("0.00"), "paid", Decimal("400.00"))
    payment = Payment.objects.get(debtor=partly)
    assert (payment.value_date, payment.amount) == (date(2026, 4, 2), Decimal("800.00"))
    assert sorted(Allocation.objects.filter(payment=payment).values_list("amount", flat=True)) == [
        Decimal("100.00"), Decimal("700.00")]
    assert dict(LegalStage.objects.values_list("reference", "reported_status")) == {
        "AG-1": "partly_paid", "AG-2": "paid", "AG-3": "plan", "AG-4": "abandoned"}
    assert Event.objects.filter(kind="legal.status_reported").count() == 4
    collection_run(creditor=creditor, as_of=TODAY)
    assert {d.account: Case.objects.get(debtor=d).status for d in (partly, paid, on_plan, dropped)} == {
        partly.account: "legal", paid.account: "closed_paid", on_plan.account: "legal", dropped.account: "legal"}
    assert [(d.debtor.account, d.reminder.code) for d in legal_reminders_due(creditor=creditor, as_of=TODAY)] == [
        (dropped.account, "abandoned")]


def test_a_bad_status_file_is_refused_whole_with_each_line_and_reason(creditor):
    handed_off(creditor, "AG-1")
    handed_off(creditor, "AG-2")
    data = (b"reference,status,amount,date\n"
            b"AG-1,partly_paid,300.00,2026-04-02\n"  # sound: still not taken in
            b"AG-9,paid,10.00,2026-04-02\n"
            b"AG-2,paid,1000.00,2026-04-02\n"
            b"AG-2,lost,,2026-04-02\n"
            b"AG-1,plan,,2026-04-31\n"
            b"AG-1,partly_paid,,2026-04-03\n"
            b"AG-1,partly_paid,10.00,2026-05-03\n"
            b"AG-1,partly_paid,abc,2026-04-03\n")
    result = status_file_import(creditor=creditor, data=data, name="bad.csv", as_of=TODAY)
    assert [(p["line"], p["code"]) for p in result.as_dict()["problems"]] == [
        (5, "bad_status"), (6, "bad_date"), (7, "no_amount"), (9, "bad_amount")]
    # Once every line parses, what they say is checked against the cases.
    data = (b"reference,status,amount,date\n"
            b"AG-1,partly_paid,300.00,2026-04-02\n"
            b"AG-9,paid,10.00,2026-04-02\n"
            b"AG-2,paid,1000.00,2026-04-02\n"
            b"AG-1,partly_paid,10.00,2026-05-03\n"
            b"AG-1,partly_paid,900.00,2026-04-03\n")
    result = status_file_import(creditor=creditor, data=data, name="bad.csv", as_of=TODAY)
    assert [(p["line"], p["code"]) for p in result.as_dict()["problems"]] == [
        (3, "unknown_reference"), (4, "paid_amount"), (5, "future_date"), (6, "partly_paid_amount")]
    assert "1200.00" in result.problems[1].message
    assert not Payment.objects.exists()
    assert not StatusReport.objects.exists()
    assert not Event.objects.filter(kind="legal.status_reported").exists()
    assert set(Invoice.objects.values_list("status", flat=True)) == {"open"}


@pytest.mark.parametrize(
    ("data", "code"),
    [(b"", "empty_file"), (b"reference,status,date\nAG-1,paid,2026-04-01\n", "missing_column"),
     (b"reference,status,amount,date\n", "no_lines")],
)
def test_a_status_file_without_its_columns_or_lines_is_refused(creditor, data, code):
    result = status_file_import(creditor=creditor, data=data, name="x.csv", as_of=TODAY)
    assert [p.code for p in result.problems] == [code]


def test_the_same_status_file_twice_is_refused_the_second_time(creditor, tmp_path, capsys):
    handed_off(creditor, "AG-1")
    path = tmp_path / "retour.csv"
    path.write_text("reference,status,amount,date\nAG-1,partly_paid,1100.00,2026-04-02\n")
    assert main(["case", "status-import", str(path), "--as-of", "2026-04-10"]) == 0
    assert "1 lines taken in; 1 payments" in capsys.readouterr().out
    assert main(["case", "status-import", str(path), "--as-of", "2026-04-10", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [(p["code"], p["line"]) for p in out["problems"]] == [("already_imported", 2)]
    assert out["imported"] is False
    assert Payment.objects.count() == 1
