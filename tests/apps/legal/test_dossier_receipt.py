"""The signed acknowledgement of receipt as a file (issue 17): scanned and given with
``relance actions deliver --receipt-file``, kept unchanged with its SHA-256, and cited with its
hash in the dossier; without a scan, the dossier still cites the paper original."""

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
from tests.apps.legal.helpers import cli, pdf_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
AS_OF = date(2026, 4, 30)
SENT = date(2026, 1, 26)
PAPER = "original papier détenu par le créancier"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def scan(tmp_path):
    from weasyprint import HTML

    path = tmp_path / "avis-de-reception.pdf"
    path.write_bytes(HTML(string="<p>Avis de réception 1A0001, distribué le 28/01/2026, signé</p>").write_pdf())
    return path


def notice_sent(creditor, account) -> Action:
    """A business debtor's mise en demeure, printed and sent, its receipt not yet back."""
    d = DebtorFactory(creditor=creditor, account=account, kind="business", city="Tours", postal_code="37000",
                      address="3 rue Nationale", name=f"{account} SARL")
    InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}", issue_date=date(2025, 12, 5),
                   due_date=date(2026, 1, 5), total_amount=Decimal("2400.00"))
    scenarios_load_defaults()
    case = Case.objects.create(creditor=creditor, debtor=d, scenario=Scenario.objects.first(),
                               opened_on=date(2026, 1, 5))
    name, digest = document_store(b"%PDF-1.4 mise en demeure " + account.encode())
    return Action.objects.create(
        creditor=creditor, debtor=d, case=case, step_key="formal_notice", channel="registered_letter",
        template="formal_notice", planned_date=SENT, state="sent", idempotency_key=f"n-{account}",
        sent_at=timezone.make_aware(datetime.combine(SENT, time(12))), document=name, sha256=digest,
    )


def build(capsys, tmp_path, account):
    out = tmp_path / f"{account}.zip"
    code, _, err = cli(capsys, "dossier", "build", "--debtor", account, "--route", "injonction", "--as-of",
                       AS_OF.isoformat(), "--out", out)
    assert code == 0, err
    archive = zipfile.ZipFile(io.BytesIO(out.read_bytes()))
    claim = json.loads(archive.read("creance.json"))
    (receipt,) = [e for e in claim["exhibits"] if e["title"].startswith("Avis de réception")]
    return archive, receipt


def test_the_scanned_acknowledgement_is_a_piece_with_its_hash(creditor, capsys, tmp_path, scan):
    notice = notice_sent(creditor, "SCAN")
    # Refused whole: a file that is neither a PDF nor an image, a scan without the date received.
    text = tmp_path / "ar.txt"
    text.write_text("signé")
    code, _, err = cli(capsys, "actions", "deliver", notice.pk, "--tracking", "1A0001", "--received",
                       "2026-01-28", "--receipt-file", text)
    assert code == 1
    assert "must be one of" in err
    code, _, err = cli(capsys, "actions", "deliver", notice.pk, "--tracking", "1A0001", "--receipt-file", scan)
    assert code == 1
    assert "--received" in err
    notice.refresh_from_db()
    assert (notice.received_date, notice.receipt_sha256) == (None, "")
    # Given with the date: kept unchanged, its hash on the action and in the audit trail.
    code, out, err = cli(capsys, "actions", "deliver", notice.pk, "--tracking", "1A0001", "--received",
                         "2026-01-28", "--receipt-file", scan, "--json")
    assert code == 0, err
    digest = hashlib.sha256(scan.read_bytes()).hexdigest()
    assert json.loads(out)["receipt_sha256"] == digest
    notice.refresh_from_db()
    assert notice.receipt_sha256 == digest
    assert document_path(notice.receipt_name).read_bytes() == scan.read_bytes()
    assert Event.objects.get(kind="action.received").payload["receipt_sha256"] == digest
    # The proof is not rewritten with another file.
    other = tmp_path / "autre.png"
    other.write_bytes(b"\x89PNG\r\n\x1a\n another scan")
    code, _, err = cli(capsys, "actions", "deliver", notice.pk, "--tracking", "1A0001", "--received",
                       "2026-01-28", "--receipt-file", other)
    assert code == 1
    assert "not rewritten" in err
    notice.refresh_from_db()
    assert notice.receipt_sha256 == digest

    archive, receipt = build(capsys, tmp_path, "SCAN")
    assert receipt["title"].startswith("Avis de réception de la lettre recommandée n° 1A0001, signé le 28/01/2026")
    assert receipt["file"].endswith(".pdf")
    assert archive.read(receipt["file"]) == scan.read_bytes()
    assert receipt["sha256"] == digest
    built = Event.objects.get(kind="legal.dossier_built")
    assert digest in {e["sha256"] for e in built.payload["exhibits"]}
    text = pdf_text(archive.read("dossier.pdf"))
    assert digest in text.replace(" ", "")
    assert PAPER not in text


def test_without_a_scan_the_paper_original_is_cited(creditor, capsys, tmp_path):
    notice = notice_sent(creditor, "PAPIER")
    code, _, err = cli(capsys, "actions", "deliver", notice.pk, "--tracking", "1A0002", "--received", "2026-01-28")
    assert code == 0, err
    archive, receipt = build(capsys, tmp_path, "PAPIER")
    assert (receipt["file"], receipt["sha256"]) == ("", "")
    assert PAPER in pdf_text(archive.read("dossier.pdf"))
