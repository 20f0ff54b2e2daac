"""Importing ledger exports: whole or nothing, idempotent, each change recorded."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify
from relance.apps.ledger import services
from relance.apps.ledger.models import Allocation, Debtor, ImportBatch, Invoice, Payment
from relance.apps.ledger.services import ledger_import

pytestmark = pytest.mark.django_db

HEADER = "numero_facture;compte_client;raison_sociale;type_client;siren;email;date_facture;date_echeance;montant_ttc;reste_du\n"
EXPORT_1 = HEADER + (
    "FA-001;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;compta@martin.example;01/02/2026;03/03/2026;1 200,00;1 200,00\n"
    "FA-002;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;compta@martin.example;15/02/2026;17/03/2026;480,50;480,50\n"
    "FA-003;411DUPONT;Jeanne Dupont;particulier;;jeanne@example.org;20/02/2026;20/02/2026;99,90;49,90\n"
    "AV-001;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;;20/02/2026;20/02/2026;-100,00;-100,00\n"
)
# A month later: FA-001 partly paid, FA-002 paid (gone from the open list), a new invoice.
EXPORT_2 = HEADER + (
    "FA-001;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;compta@martin.example;01/02/2026;03/03/2026;1 200,00;700,00\n"
    "FA-003;411DUPONT;Jeanne Dupont;particulier;;jeanne@example.org;20/02/2026;20/02/2026;99,90;49,90\n"
    "AV-001;411MARTIN;Boulangerie Martin SARL;entreprise;552100554;;20/02/2026;20/02/2026;-100,00;-100,00\n"
    "FA-004;411DUPONT;Jeanne Dupont;particulier;;jeanne@example.org;10/03/2026;10/03/2026;250,00;250,00\n"
)


def run(creditor, text: str, **kw):
    data = text.encode("cp1252") if kw.pop("cp1252", False) else text.encode()
    return ledger_import(
        creditor=creditor, stream=io.BytesIO(data), filename="export.csv", as_of=date(2026, 4, 1), **kw
    )


def snapshot():
    return (
        sorted(Invoice.objects.values_list("number", "open_amount", "status", "due_date")),
        Allocation.objects.count(),
        Payment.objects.count(),
        Debtor.objects.count(),
    )


def test_a_csv_export_creates_debtors_and_invoices_with_open_amounts_from_allocations(creditor):
    result = run(creditor, EXPORT_1, cp1252=True)
    assert result.ok, result.problems
    assert (result.format, result.created, result.updated, result.unchanged, result.settled) == ("csv", 4, 0, 0, 0)
    fa3 = Invoice.objects.get(number="FA-003")
    assert (fa3.total_amount, fa3.open_amount, fa3.status) == (Decimal("99.90"), Decimal("49.90"), "open")
    assert sum(a.amount for a in fa3.allocations.all()) == Decimal("50.00")
    credit_note = Invoice.objects.get(number="AV-001")
    assert credit_note.total_amount == Decimal("-100.00")
    assert Debtor.objects.get(account="411DUPONT").kind == "consumer"
    assert Invoice.objects.get(number="FA-001").source_line == 2


def test_importing_the_same_file_twice_changes_nothing(creditor):
    run(creditor, EXPORT_1)
    before = snapshot()
    events = Event.objects.count()
    again = run(creditor, EXPORT_1)
    assert (again.created, again.updated, again.unchanged, again.settled) == (0, 0, 4, 0)
    assert snapshot() == before
    assert Event.objects.count() == events + 1  # only the batch record itself


def test_a_newer_export_updates_adds_and_settles_each_change_recorded(creditor):
    run(creditor, EXPORT_1)
    result = run(creditor, EXPORT_2, full=True)
    assert (result.created, result.updated, result.unchanged, result.settled) == (1, 1, 2, 1)
    # 700.00 by the export, less the unreferenced credit note AV-001 (-100.00), applied to
    # Martin's oldest invoice.
    assert Invoice.objects.get(number="FA-001").open_amount == Decimal("600.00")
    fa2 = Invoice.objects.get(number="FA-002")
    assert (fa2.open_amount, fa2.status) == (Decimal("0.00"), "paid")
    assert Invoice.objects.get(number="FA-004").status == "open"
    kinds = list(Event.objects.filter(subject_type="invoice").values_list("kind", "payload__number"))
    assert ("ledger.invoice_updated", "FA-001") in kinds
    assert ("ledger.invoice_settled", "FA-002") in kinds
    for inv in Invoice.objects.all():
        allocated = sum((a.amount for a in inv.allocations.all()), Decimal("0"))
        assert inv.open_amount == inv.total_amount - allocated
    assert chain_verify().ok


def test_a_partial_file_settles_nothing_that_is_missing(creditor):
    run(creditor, EXPORT_1)
    result = run(creditor, HEADER + EXPORT_2.splitlines(keepends=True)[4], partial=True)
    assert result.settled == 0
    assert Invoice.objects.get(number="FA-002").status == "open"


def test_a_file_with_errors_is_refused_whole_with_every_problem_listed(creditor):
    bad = EXPORT_1 + (
        "FA-005;411X;X SAS;entreprise;;;31/02/2026;01/03/2026;10,00;10,00\n"
        "FA-006;411X;X SAS;entreprise;;;01/02/2026;01/03/2026;dix euros;10,00\n"
    )
    result = run(creditor, bad)
    assert not result.ok
    assert [(p.line, p.code) for p in result.problems] == [(6, "bad_date"), (7, "bad_amount")]
    assert {p.column for p in result.problems} == {"date_facture", "montant_ttc"}
    assert Invoice.objects.count() == 0
    assert Debtor.objects.count() == 0
    assert Payment.objects.count() == 0
    refused = ImportBatch.objects.get()
    assert refused.status == "refused"
    assert len(refused.problems) == 2


def test_an_error_after_many_chunks_still_leaves_nothing_behind(creditor, monkeypatch):
    monkeypatch.setattr(services, "CHUNK", 5000)
    rows = [f"FB-{i:06d};411C{i % 50};Client {i % 50} SAS;entreprise;;;01/02/2026;03/03/2026;10,00;10,00\n" for i in range(12_000)]
    rows.append("FB-LAST;411Z;Z;entreprise;;;01/02/2026;03/03/2026;;10,00\n")
    result = run(creditor, HEADER + "".join(rows))
    assert [p.line for p in result.problems] == [12_002]
    assert Invoice.objects.count() == 0


def test_dry_run_counts_but_writes_nothing(creditor):
    result = run(creditor, EXPORT_1, dry_run=True)
    assert (result.created, result.dry_run) == (4, True)
    assert snapshot() == ([], 0, 0, 0)
    assert ImportBatch.objects.count() == 0


def test_the_valid_fec_sample_gives_one_open_invoice(creditor, samples):
    path = samples / "fec" / "rezdevops-fec-minimal-conforme.txt"
    with path.open("rb") as stream:
        result = ledger_import(creditor=creditor, stream=stream, filename=path.name)
    assert result.ok, result.problems
    assert result.format == "fec"
    assert any("due date" in n.lower() or "échéance" in n.lower() for n in result.notes)
    open_invoices = list(Invoice.objects.filter(status="open").values_list("number", "open_amount", "currency", "debtor__account"))
    assert open_invoices == [("FV-2026-0001", Decimal("2400.00"), "EUR", "MARTIN")]


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("rezdevops-A02-separateur-mixte.txt", None),
        ("rezdevops-C04-date-let-invalide.txt", None),
        ("rezdevops-C08-ecritures-non-validees.txt", None),
    ],
)
def test_broken_fec_samples_are_refused_with_the_problem(creditor, samples, name, code):
    path = samples / "fec" / name
    with path.open("rb") as stream:
        result = ledger_import(creditor=creditor, stream=stream, filename=name)
    assert result.problems
    assert all(p.line is not None for p in result.problems)
    assert Invoice.objects.count() == 0


def test_a_debtor_changed_later_in_the_file_or_in_a_newer_export_is_refreshed_never_blanked(
    creditor, monkeypatch
):
    monkeypatch.setattr(services, "CHUNK", 2)  # each pair of rows below is a chunk
    rest = "01/02/2026;03/03/2026;10,00;10,00\n"
    text = HEADER + (
        f"FA-1;411M;Martin SARL;entreprise;;old@martin.example;{rest}"
        f"FA-2;411D;Dupont;particulier;;;{rest}"
        f"FA-3;411M;Martin SARL;entreprise;;new@martin.example;{rest}"
        f"FA-4;411D;Dupont;particulier;;;{rest}"
        f"FA-5;411M;Martin SAS;entreprise;;;{rest}"  # a blank email erases nothing
    )
    assert run(creditor, text).ok
    martin = Debtor.objects.get(account="411M")
    assert (martin.name, martin.email) == ("Martin SAS", "new@martin.example")
    assert Debtor.objects.count() == 2
    newer = HEADER + f"FA-1;411M;Martin SAS;entreprise;;third@martin.example;{rest}"
    assert run(creditor, newer, partial=True).ok
    assert Debtor.objects.get(account="411M").email == "third@martin.example"
    assert Debtor.objects.get(account="411D").name == "Dupont"
