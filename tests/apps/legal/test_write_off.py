"""The end of a claim (issue 17): a case written off, its entry in the FEC layout, and silence after.

``relance case write-off`` closes the case with its reason, cancels what was planned, gives the
journal entry (loss 654, VAT reclaimed 44571, the customer 411 credited), which the FEC importer
reads back as settling the invoices; the daily pass never chases the debtor again.
"""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.collection.models import Action, Case
from relance.domain.law.write_off import JournalLine
from relance.formats.fec import FecReader
from relance.formats.fec_write import write_fec
from tests.apps.legal.helpers import cli
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 3, 2)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"


def owing(creditor, account):
    d = DebtorFactory(creditor=creditor, account=account, name=f"Client {account}", kind="business")
    for n, amount in enumerate(("1200.00", "600.00")):
        InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}-{n + 1}",
                       issue_date=DUE - timedelta(days=30), due_date=DUE, total_amount=Decimal(amount))
    return d


def sales_entry(debtor) -> bytes:
    """The invoices as the sales journal booked them: the customer debited, sales and VAT credited."""
    lines = []
    for invoice in debtor.invoices.order_by("number"):
        net = (invoice.total_amount / Decimal("1.2")).quantize(Decimal("0.01"))
        lines += [
            JournalLine("411", "Clients", invoice.number, f"Facture {invoice.number}",
                        invoice.total_amount, Decimal("0.00"), debtor.account, debtor.name),
            JournalLine("706", "Prestations de services", invoice.number, f"Facture {invoice.number}",
                        Decimal("0.00"), net),
            JournalLine("44571", "TVA collectée", invoice.number, f"Facture {invoice.number}",
                        Decimal("0.00"), invoice.total_amount - net),
        ]
    return write_fec(lines, entry="VT1", day=DUE - timedelta(days=30), journal=("VT", "Ventes"))


def test_a_written_off_case_closes_books_its_loss_and_is_never_chased(creditor, capsys, tmp_path):
    d = owing(creditor, "FAILLI")
    other = owing(creditor, "AUTRE")
    for n in range(0, 12):
        assert cli(capsys, "run", "--as-of", (DUE + timedelta(days=n)).isoformat())[0] == 0
    assert Action.objects.filter(debtor=d).exists()
    # Still in time: "prescription" is refused, and nothing changes.
    code, _, err = cli(capsys, "case", "write-off", "--debtor", "FAILLI", "--reason", "prescription",
                       "--as-of", (DUE + timedelta(days=12)).isoformat())
    assert code == 1
    assert "ne sont pas prescrites" in err
    assert Case.objects.get(debtor=d).status == "active"
    # A planned step waits for approval when the creditor writes the claim off: it is cancelled.
    case = Case.objects.get(debtor=d)
    Action.objects.create(creditor=creditor, debtor=d, case=case, step_key="formal_notice",
                          channel="registered_letter", template="formal_notice",
                          planned_date=DUE + timedelta(days=13), requires_approval=True,
                          idempotency_key="test-pending-notice")
    out = tmp_path / "perte.txt"
    code, stdout, err = cli(capsys, "case", "write-off", "--debtor", "FAILLI", "--reason", "insolvency",
                            "--vat-rate", "20", "--penalties-invoiced", "--as-of",
                            (DUE + timedelta(days=12)).isoformat(), "--out", out, "--json")
    assert code == 0, err
    result = json.loads(stdout)
    case.refresh_from_db()
    assert (case.status, case.closed_reason, case.closed_on) == (
        "closed_written_off", "insolvency", DUE + timedelta(days=12))
    assert Action.objects.get(idempotency_key="test-pending-notice").state == "cancelled"
    (event,) = Event.objects.filter(kind="case.written_off")
    assert event.payload["sha256"] == result["sha256"]
    # The entry: 1,500 of loss and 300 of VAT on 1,800 owed; the penalties and the two 40 € too.
    by_account: dict[str, Decimal] = {}
    for line in result["lines"]:
        by_account[line["account"]] = by_account.get(line["account"], Decimal(0)) + Decimal(line["debit"]) - Decimal(line["credit"])
    assert by_account["44571"] == Decimal("300.00")
    assert sum(by_account.values()) == 0
    loss = [x for x in result["lines"] if x["account"] == "654"]
    assert sum(Decimal(x["debit"]) for x in loss if "Créance" in x["label"]) == Decimal("1500.00")
    assert sum(Decimal(x["debit"]) for x in loss if "Indemnité" in x["label"]) == Decimal("80.00")
    assert any("Pénalités" in x["label"] and Decimal(x["debit"]) > 0 for x in loss)
    # The FEC importer reads the file as it reads an accounting package's export…
    alone = FecReader(io.BytesIO(out.read_bytes()))
    assert list(alone) == []
    assert alone.report.problems == []
    # …and, after the sales that made the receivables, sees them settled by the entry.
    books = sales_entry(d) + out.read_bytes().split(b"\r\n", 1)[1]
    reader = FecReader(io.BytesIO(books))
    invoices = {r.number: r for r in reader}
    assert reader.report.problems == []
    assert {n: r.open_amount for n, r in invoices.items()} == {"FA-FAILLI-1": 0, "FA-FAILLI-2": 0}
    # The pass never chases the debtor again; the other one goes on.
    before = set(Action.objects.filter(debtor=d).values_list("pk", flat=True))
    for n in range(12, 60):
        assert cli(capsys, "run", "--as-of", (DUE + timedelta(days=n)).isoformat())[0] == 0
        cli(capsys, "actions", "approve", "--all")
    assert set(Action.objects.filter(debtor=d).values_list("pk", flat=True)) == before
    assert Case.objects.filter(debtor=d).count() == 1
    assert Action.objects.filter(debtor=other).count() > Action.objects.filter(debtor=d).count()
    # Written off once: not twice.
    code, _, err = cli(capsys, "case", "write-off", "--debtor", "FAILLI", "--reason", "insolvency",
                       "--as-of", (DUE + timedelta(days=60)).isoformat())
    assert code == 1
    assert "déjà passé en perte" in err
    assert chain_verify().ok


def test_an_amount_dropped_as_too_small_reclaims_no_vat(creditor, capsys):
    owing(creditor, "PETIT")
    code, stdout, err = cli(capsys, "case", "write-off", "--debtor", "PETIT", "--reason", "too_small",
                            "--vat-rate", "20", "--as-of", (DUE + timedelta(days=5)).isoformat(), "--json")
    assert code == 0, err
    result = json.loads(stdout)
    assert {x["account"] for x in result["lines"]} == {"654", "411"}
    assert sum(Decimal(x["debit"]) for x in result["lines"]) == Decimal("1800.00")
    assert "CGI art. 272-1" in result["notes"][0]
