"""The creditor's general terms as a stored document (issue 17): attached with
``relance terms set --cgv-file``, kept unchanged with its SHA-256 and an audit event, and cited
as a pièce of the dossier whose penalties run at the rate they stipulate, instead of a warning
to attach them."""

from __future__ import annotations

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
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.legal.models import PaymentTerms
from tests.apps.legal.helpers import cli, pdf_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
AS_OF = date(2026, 4, 30)
WARNING = "joignez ces conditions à la requête"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def cgv(tmp_path):
    from weasyprint import HTML

    path = tmp_path / "cgv-2026.pdf"
    path.write_bytes(HTML(string="<h1>Conditions générales de vente 2026</h1><p>Art. 9 : pénalités "
                                 "de retard au taux de trois fois le taux d'intérêt légal.</p>").write_pdf())
    return path


def owing(creditor, account, kind):
    d = DebtorFactory(creditor=creditor, account=account, kind=kind, city="Tours", postal_code="37000",
                      address="3 rue Nationale", name=f"{account} {kind}")
    InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}", issue_date=date(2025, 12, 5),
                   due_date=date(2026, 1, 5), total_amount=Decimal("2400.00"))
    scenarios_load_defaults()
    case = Case.objects.create(creditor=creditor, debtor=d, scenario=Scenario.objects.first(),
                               opened_on=date(2026, 1, 5))
    name, digest = document_store(b"%PDF-1.4 mise en demeure " + account.encode())
    Action.objects.create(
        creditor=creditor, debtor=d, case=case, step_key="formal_notice", channel="registered_letter",
        template="formal_notice", planned_date=date(2026, 1, 26), state="sent", idempotency_key=f"n-{account}",
        sent_at=timezone.make_aware(datetime.combine(date(2026, 1, 26), time(12))), document=name,
        sha256=digest, tracking_number="1A123", received_date=date(2026, 1, 28),
    )
    return d


def build(capsys, tmp_path, account, name):
    out = tmp_path / f"{name}.zip"
    code, _, err = cli(capsys, "dossier", "build", "--debtor", account, "--route", "injonction", "--as-of",
                       AS_OF.isoformat(), "--out", out)
    assert code == 0, err
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    return archive, json.loads(archive.read("creance.json"))


def terms_pieces(claim):
    return [e for e in claim["exhibits"] if e["title"].startswith("Conditions générales")]


def test_the_general_terms_attached_are_a_piece_of_the_dossier(creditor, capsys, tmp_path, cgv):
    owing(creditor, "PRO", "business")
    # Terms recorded without their PDF: the dossier asks for them to be attached.
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9")
    assert code == 0, err
    _, claim = build(capsys, tmp_path, "PRO", "before")
    assert any(WARNING in w for w in claim["warnings"])
    assert terms_pieces(claim) == []
    # Anything but a PDF is refused whole: nothing stored, nothing recorded.
    text = tmp_path / "cgv.txt"
    text.write_text("Conditions générales")
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9",
                       "--cgv-file", text)
    assert code == 1
    assert "must be a PDF" in err
    assert PaymentTerms.objects.get().cgv_sha256 == ""
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9",
                       "--cgv-file", tmp_path / "missing.pdf")
    assert code == 1
    assert "cannot read" in err
    # The PDF attached: kept unchanged, its hash in the audit trail.
    code, out, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9",
                         "--cgv-file", cgv, "--json")
    assert code == 0, err
    digest = hashlib.sha256(cgv.read_bytes()).hexdigest()
    row = PaymentTerms.objects.get()
    assert (row.cgv_sha256, row.cgv_filename, json.loads(out)["cgv_sha256"]) == (digest, cgv.name, digest)
    assert document_path(row.cgv_name).read_bytes() == cgv.read_bytes()
    event = Event.objects.filter(kind="legal.terms_set").latest("id")
    assert (event.payload["cgv_sha256"], event.payload["cgv_attached"]) == (digest, True)
    # Setting the rate again without a file keeps the PDF attached.
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3.5", "--ref", "CGV 2026, art. 9")
    assert code == 0, err
    assert PaymentTerms.objects.get().cgv_sha256 == digest

    archive, claim = build(capsys, tmp_path, "PRO", "after")
    (piece,) = terms_pieces(claim)
    assert piece["title"] == "Conditions générales stipulant le taux contractuel : CGV 2026, art. 9"
    assert archive.read(piece["file"]) == cgv.read_bytes()
    assert piece["sha256"] == digest
    assert not any(WARNING in w for w in claim["warnings"])
    # Every period of penalties at the contractual rate cites the terms.
    periods = [x for x in claim["lines"] if x["section"] == "interest"]
    assert periods
    assert all(str(piece["number"]) in x["exhibits"].split(", ") for x in periods)
    built = Event.objects.filter(kind="legal.dossier_built").latest("id")
    assert digest in {e["sha256"] for e in built.payload["exhibits"]}
    text = pdf_text(archive.read("dossier.pdf"))
    assert "Conditions générales stipulant le taux contractuel : CGV 2026, art. 9" in text
    assert digest in text.replace(" ", "")
    assert WARNING not in text
    # A PDF altered since it was recorded is never cited.
    document_path(row.cgv_name).write_bytes(cgv.read_bytes() + b"%")
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "PRO", "--route", "injonction", "--as-of",
                       AS_OF.isoformat(), "--out", tmp_path / "x.zip")
    assert code == 1
    assert "empreinte SHA-256" in err


def test_a_consumers_dossier_cites_no_general_terms(creditor, capsys, tmp_path, cgv):
    owing(creditor, "CONSO", "consumer")
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9",
                       "--cgv-file", cgv)
    assert code == 0, err
    _, claim = build(capsys, tmp_path, "CONSO", "conso")
    assert claim["regime"] == "fr-civil"
    assert terms_pieces(claim) == []


def test_a_debtors_own_terms_are_cited_as_its_contract(creditor, capsys, tmp_path, cgv):
    owing(creditor, "CADRE", "business")
    code, _, err = cli(capsys, "terms", "set", "--multiple", "3", "--ref", "CGV 2026, art. 9")
    assert code == 0, err
    code, _, err = cli(capsys, "terms", "set", "--debtor", "CADRE", "--rate", "15", "--ref",
                       "Contrat-cadre 2025, art. 7", "--cgv-file", cgv)
    assert code == 0, err
    _, claim = build(capsys, tmp_path, "CADRE", "cadre")
    (piece,) = [e for e in claim["exhibits"] if e["title"].startswith("Conditions")]
    assert piece["title"] == ("Conditions contractuelles propres au débiteur stipulant le taux contractuel : "
                              "Contrat-cadre 2025, art. 7")
    assert piece["sha256"] == hashlib.sha256(cgv.read_bytes()).hexdigest()
