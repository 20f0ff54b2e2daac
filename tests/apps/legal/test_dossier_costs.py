"""Justified recovery costs in the dossier (issues 16 and 17): the same head of claim as the
mise en demeure, its proof a numbered pièce checked against the hash recorded; never from a
consumer (CPCE L111-8)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import shutil
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.audit.documents import document_path, document_store
from relance.apps.audit.models import Event
from relance.apps.collection.contexts import letter_context_for
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action, Case, RecoveryCost
from relance.apps.collection.scenarios import scenario_id_for
from relance.apps.ledger.models import Debtor
from tests.apps.legal.helpers import cli, pdf_text
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
AS_OF = date(2026, 4, 15)
PROOF = b"%PDF-1.4\n% Note d'honoraires Me Dupuis, 12 mars 2026, 350,00 EUR TTC\n%%EOF\n"


@pytest.fixture
def creditor(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", address="12 rue des Tanneurs", postal_code="69002",
        city="Lyon", iban="FR7630006000011234567890189", signature="Marie Durand",
    )


def owing_with_costs(creditor, capsys, tmp_path, account="411X"):
    """A business debtor, its mise en demeure received, and a lawyer's fees of 350.00 on proof."""
    debtor = DebtorFactory(creditor=creditor, account=account, name="Dupont SA", kind="business",
                           siren="732829320", address="5 avenue Foch", postal_code="75016", city="Paris")
    InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{account}", issue_date=date(2026, 1, 5),
                   due_date=date(2026, 2, 4), total_amount=Decimal("1200.00"))
    contact_declare(creditor=creditor, debtor=debtor, step_key="reminder", contact_date=date(2026, 3, 2),
                    today=AS_OF)
    case = Case.objects.create(creditor=creditor, debtor=debtor, opened_on=date(2026, 3, 2),
                               scenario_id=scenario_id_for(debtor=debtor, case=None))
    name, digest = document_store(b"%PDF-1.4 mise en demeure " + account.encode())
    Action.objects.create(
        creditor=creditor, debtor=debtor, case=case, step_key="formal_notice", channel="registered_letter",
        template="formal_notice", planned_date=date(2026, 3, 16), state="sent", idempotency_key=f"n-{account}",
        sent_at=timezone.make_aware(datetime.combine(date(2026, 3, 16), time(12))), document=name,
        sha256=digest, tracking_number="1A999", received_date=date(2026, 3, 18),
    )
    proof = tmp_path / "honoraires-dupuis.pdf"
    proof.write_bytes(PROOF)
    code, _, err = cli(capsys, "case", "costs", "add", "--debtor", account, "--amount", "350,00", "--date",
                       "2026-03-12", "--description", "Honoraires de Me Dupuis, avocat", "--proof", proof,
                       "--as-of", AS_OF.isoformat())
    assert code == 0, err
    return debtor


def build(capsys, tmp_path, account, route="injonction"):
    out = tmp_path / f"{account}-{route}.zip"
    code, _, err = cli(capsys, "dossier", "build", "--debtor", account, "--route", route, "--as-of",
                       AS_OF.isoformat(), "--out", out, "--json")
    assert code == 0, err
    return zipfile.ZipFile(io.BytesIO(out.read_bytes()))


def test_a_business_debtors_justified_costs_are_claimed_with_their_proof_as_a_piece(creditor, capsys, tmp_path):
    debtor = owing_with_costs(creditor, capsys, tmp_path)
    # What the mise en demeure claims for them on the same day: the dossier must say the same.
    (letter,) = letter_context_for(case_or_debtor=debtor, step_key="formal_notice", as_of=AS_OF).other_claims
    archive = build(capsys, tmp_path, "411X")
    claim = json.loads(archive.read("creance.json"))
    (line,) = [x for x in claim["lines"] if x["section"] == "costs"]
    assert Decimal(line["amount"]) == letter.amount == Decimal("310.00")
    assert line["basis"] == letter.basis == "C. com. L441-10 II"
    assert claim["totals"]["costs"] == "310.00"
    owed = sum(Decimal(i["amount_due"]) for i in claim["invoices"])
    assert Decimal(claim["totals"]["total"]) == owed + Decimal("310.00")
    # The proof is a numbered pièce, in the ZIP, with the hash recorded when the costs were.
    row = RecoveryCost.objects.get()
    (piece,) = [e for e in claim["exhibits"] if e["title"].startswith("Justificatif des frais")]
    assert line["exhibits"] == str(piece["number"])
    assert archive.read(piece["file"]) == PROOF
    assert piece["sha256"] == hashlib.sha256(PROOF).hexdigest() == row.proof_sha256
    assert Event.objects.get(kind="cost.recorded").payload["sha256"] == piece["sha256"]
    built = Event.objects.get(kind="legal.dossier_built")
    assert piece["sha256"] in {e["sha256"] for e in built.payload["exhibits"]}
    assert (built.payload["total"], built.payload["costs"]) == (claim["totals"]["total"], "310.00")
    # The PDF says it, with its basis and its pièce.
    text = pdf_text(archive.read("dossier.pdf"))
    assert "Indemnisation complémentaire sur justification : frais exposés 350,00 €" in text
    assert "12 mars 2026, Honoraires de Me Dupuis, avocat, 350,00 € (pièce" in text
    assert "moins les indemnités forfaitaires 40,00 €" in text
    assert "Fondement : C. com. L441-10 II" in text
    assert "310,00 €" in text
    assert piece["sha256"] in text.replace(" ", "")
    # The CSV for the recipient's software carries the line and the same total.
    rows = list(csv.reader(io.StringIO(archive.read("creance.csv").decode())))
    (costs,) = [r for r in rows if r[0] == "costs"]
    assert (costs[8], costs[9], costs[10]) == ("310.00", "C. com. L441-10 II", str(piece["number"]))
    assert rows[-1][8] == claim["totals"]["total"]
    # The command's summary adds up to its total.
    code, out, err = cli(capsys, "dossier", "build", "--debtor", "411X", "--route", "injonction", "--as-of",
                         AS_OF.isoformat(), "--out", tmp_path / "again.zip")
    assert code == 0, err
    assert f"Frais justifiés : 310.00  Total : {claim['totals']['total']} EUR" in out
    # Handed to an agency, the sum claimed says which costs are claimed and on what basis.
    handoff = build(capsys, tmp_path, "411X", route="agency")
    assert json.loads(handoff.read("creance.json"))["totals"] == claim["totals"]
    assert ("ne sont pas réclamés au débiteur, hormis l'indemnisation complémentaire des frais exposés, "
            "sur justification (C. com. L441-10 II), détaillée au décompte") in pdf_text(handoff.read("dossier.pdf"))


def test_a_proof_that_no_longer_matches_its_hash_is_never_cited(creditor, capsys, tmp_path):
    owing_with_costs(creditor, capsys, tmp_path)
    document_path(RecoveryCost.objects.get().proof_name).write_bytes(PROOF + b"altered")
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "411X", "--route", "injonction", "--as-of",
                       AS_OF.isoformat(), "--out", tmp_path / "x.zip")
    assert code == 1
    assert "ne correspond plus à son empreinte SHA-256" in err
    assert not Event.objects.filter(kind="legal.dossier_built").exists()


def test_a_consumer_never_has_the_costs_line_nor_its_proof(creditor, capsys, tmp_path):
    debtor = owing_with_costs(creditor, capsys, tmp_path, account="CONSO")
    Debtor.objects.filter(pk=debtor.pk).update(kind="consumer", siren="")
    archive = build(capsys, tmp_path, "CONSO")
    claim = json.loads(archive.read("creance.json"))
    assert claim["regime"] == "fr-civil"
    assert [x for x in claim["lines"] if x["section"] == "costs"] == []
    assert claim["totals"]["costs"] == "0.00"
    assert not [e for e in claim["exhibits"] if "frais" in e["title"]]
    assert PROOF not in [archive.read(n) for n in archive.namelist()]
    text = pdf_text(archive.read("dossier.pdf"))
    assert "Indemnisation complémentaire" not in text
    assert "350,00" not in text
