"""`relance import ledger --map`, and the headers of common accounting exports recognised
without it (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from relance import cli
from relance.apps.ledger.models import Invoice

pytestmark = pytest.mark.django_db


def run(capsys, *args: str) -> tuple[int, dict, str]:
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, json.loads(out.out) if out.out.strip().startswith("{") else {}, out.err


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "export.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


CUSTOM = (
    "Pièce;Compte;Société;Émise le;À payer le;TTC;Commercial\n"
    "FA-1;411A;Atelier Rouge;01/02/2026;03/03/2026;120,00;Paul\n"
)


def test_an_unknown_header_is_refused_with_the_known_fields_and_a_hint(capsys, tmp_path, creditor):
    code, out, _ = run(capsys, "import", "ledger", write(tmp_path, CUSTOM), "--creditor", str(creditor.pk),
                       "--format", "csv", "--json")

    assert code == 1
    assert {p["code"] for p in out["problems"]} == {"missing_column"}
    (note,) = out["notes"]
    assert note.startswith("Columns not recognised: 'Pièce', 'Compte', 'Société', 'Émise le', 'À payer le', 'TTC'")
    assert '--map "COLUMN=field"' in note
    assert "invoice_number, debtor_account, debtor_name" in note
    assert not Invoice.objects.exists()


def test_map_names_each_unknown_column_and_the_file_imports(capsys, tmp_path, creditor):
    code, out, err = run(
        capsys, "import", "ledger", write(tmp_path, CUSTOM), "--creditor", str(creditor.pk), "--json",
        "--map", "Pièce=invoice_number", "--map", "Compte=debtor_account", "--map", "Société=debtor_name",
        "--map", "Émise le=issue_date", "--map", "À payer le=due_date", "--map", "TTC=total_amount",
        "--map", "Commercial=",
    )

    assert code == 0, (out, err)
    assert out["created"] == 1
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.debtor.account, invoice.debtor.name, str(invoice.total_amount)) == (
        "FA-1", "411A", "Atelier Rouge", "120.00"
    )


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("Pièce=numero", "'numero' is no field; the fields are invoice_number, debtor_account"),
        ("Pièce", "write it COLUMN=field"),
    ],
)
def test_a_bad_map_is_refused_before_reading(capsys, tmp_path, creditor, pair, message):
    code, _, err = run(capsys, "import", "ledger", write(tmp_path, CUSTOM), "--creditor", str(creditor.pk),
                       "--map", pair)
    assert code == 1
    assert message in err
    assert "Traceback" not in err


def test_map_on_a_fec_is_refused(capsys, tmp_path, creditor, samples):
    fec = samples / "fec" / "rezdevops-fec-minimal-conforme.txt"
    code, _, err = run(capsys, "import", "ledger", str(fec), "--creditor", str(creditor.pk), "--map", "X=")
    assert code == 1
    assert "--map is for CSV ledgers" in err


@pytest.mark.parametrize(
    ("software", "header", "row"),
    [
        ("Sage", "N° pièce;N° compte tiers;Intitulé tiers;Date pièce;Échéance;Montant TTC;Solde",
         "FA-1;411A;Atelier Rouge;01/02/2026;03/03/2026;120,00;80,00"),
        ("Cegid", "Numéro de pièce;Code tiers;Libellé tiers;Date de pièce;Date d'échéance;Montant TTC;Reste dû",
         "FA-1;411A;Atelier Rouge;01/02/2026;03/03/2026;120,00;80,00"),
        ("EBP", "N° facture;Code client;Nom du client;Date facture;Échéance;Total TTC;Reste à payer",
         "FA-1;411A;Atelier Rouge;01/02/2026;03/03/2026;120,00;80,00"),
        ("Pennylane", "Numéro de facture;Code client;Client;Date de la facture;Date d'échéance;Montant TTC;"
         "Montant restant;Devise", "FA-1;411A;Atelier Rouge;01/02/2026;03/03/2026;120,00;80,00;EUR"),
        ("QuickBooks", "Date,Num,Customer ID,Customer,Due Date,Amount,Open Balance",
         "2026-02-01,FA-1,411A,Atelier Rouge,2026-03-03,120.00,80.00"),
    ],
)
def test_the_headers_of_common_accounting_exports_are_recognised(capsys, tmp_path, creditor, software, header, row):
    code, out, err = run(capsys, "import", "ledger", write(tmp_path, f"{header}\n{row}\n"),
                         "--creditor", str(creditor.pk), "--json")

    assert code == 0, (software, out, err)
    invoice = Invoice.objects.get()
    assert (invoice.number, invoice.debtor.account, invoice.debtor.name) == ("FA-1", "411A", "Atelier Rouge")
    assert (str(invoice.total_amount), str(invoice.open_amount)) == ("120.00", "80.00")
    assert invoice.due_date.isoformat() == "2026-03-03"
