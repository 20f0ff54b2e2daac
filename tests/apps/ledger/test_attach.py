"""Invoice PDFs kept beside the ledger: matched by their Factur-X number or their file name, all
or nothing, stored once, and then sent with the reminder over real SMTP."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pytest
import weasyprint

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.ledger.attach import invoice_pdfs_attach
from relance.channels.smtp import SmtpTransport
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).resolve().parents[3].parent / "shared" / "samples" / "facturx"
FACTURX = SAMPLES / "fnfe-Facture_FR_BASICWL.pdf"  # carries invoice FA-2017-0010
needs_samples = pytest.mark.skipif(not FACTURX.is_file(), reason="../shared/samples is missing")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def creditor():
    return CreditorFactory(name="Maison SAS", email="compta@maison.example")


def plain_pdf(folder: Path, name: str, text: str = "Facture") -> Path:
    path = folder / name
    path.write_bytes(weasyprint.HTML(string=f"<p>{text}</p>").write_pdf())
    return path


@needs_samples
def test_a_factur_x_pdf_is_matched_by_the_number_inside_it(creditor, tmp_path):
    invoice = InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FA-2017-0010")
    folder = tmp_path / "pdfs"
    folder.mkdir()
    shutil.copy(FACTURX, folder / "scan-0001.pdf")  # the file name says nothing

    dry = invoice_pdfs_attach(creditor=creditor, paths=[folder], dry_run=True)
    assert (dry.attached, dry.problems) == (1, [])
    invoice.refresh_from_db()
    assert not invoice.pdf

    result = invoice_pdfs_attach(creditor=creditor, paths=[folder], actor="cli")
    assert result.as_dict()["files"][0]["read_from"] == "factur-x"
    invoice.refresh_from_db()
    digest = hashlib.sha256(FACTURX.read_bytes()).hexdigest()
    assert invoice.pdf.name == f"invoices/{digest}.pdf"
    assert Path(invoice.pdf.path).read_bytes() == FACTURX.read_bytes()
    event = Event.objects.get(kind="ledger.invoice_pdf_attached")
    assert (event.subject_id, event.payload["sha256"]) == (invoice.pk, digest)

    again = invoice_pdfs_attach(creditor=creditor, paths=[folder])
    assert (again.attached, again.unchanged) == (0, 1)
    assert Event.objects.filter(kind="ledger.invoice_pdf_attached").count() == 1


def test_a_plain_pdf_is_matched_by_its_file_name_and_can_be_replaced(creditor, tmp_path):
    invoice = InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FV-2026-0001")
    first = plain_pdf(tmp_path, "FV-2026-0001.pdf", "premier")
    assert invoice_pdfs_attach(creditor=creditor, paths=[first]).attached == 1
    (tmp_path / "v2").mkdir()
    second = plain_pdf(tmp_path / "v2", "FV-2026-0001.pdf", "corrigée")
    result = invoice_pdfs_attach(creditor=creditor, paths=[second])
    assert result.replaced == 1
    invoice.refresh_from_db()
    assert Path(invoice.pdf.path).read_bytes() == second.read_bytes()


def test_any_problem_refuses_the_whole_lot_with_each_file_and_reason(creditor, tmp_path):
    other = CreditorFactory(name="Autre SAS")
    InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FV-1")
    InvoiceFactory(debtor=DebtorFactory(creditor=other), number="FV-OTHER")
    plain_pdf(tmp_path, "FV-1.pdf")
    plain_pdf(tmp_path, "FV-OTHER.pdf")  # another creditor's invoice: unknown here
    (tmp_path / "FV-2.pdf").write_text("not a pdf")
    result = invoice_pdfs_attach(creditor=creditor, paths=[tmp_path])
    problems = {Path(p["file"]).name: p["code"] for p in result.as_dict()["problems"]}
    assert problems == {"FV-OTHER.pdf": "unknown_invoice", "FV-2.pdf": "not_pdf"}
    assert result.attached == 0
    assert not any(i.pdf for i in creditor.invoices.all())
    assert not Event.objects.filter(kind="ledger.invoice_pdf_attached").exists()


def test_two_files_for_one_invoice_are_refused(creditor, tmp_path):
    InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FV-1")
    (tmp_path / "a").mkdir()
    one = plain_pdf(tmp_path, "FV-1.pdf")
    two = plain_pdf(tmp_path / "a", "FV-1.pdf")
    result = invoice_pdfs_attach(creditor=creditor, paths=[one, two])
    assert [p.code for p in result.problems] == ["duplicate_invoice"]
    assert result.attached == 0


def test_the_reminder_carries_the_attached_invoice_over_real_smtp(creditor, tmp_path, smtp):  # noqa: F811
    handler, port = smtp
    debtor = DebtorFactory(creditor=creditor, email="client@example.org", language="fr")
    InvoiceFactory(
        debtor=debtor, number="FV-2026-0007", issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
    )
    pdf = plain_pdf(tmp_path, "FV-2026-0007.pdf", "Facture FV-2026-0007")
    assert invoice_pdfs_attach(creditor=creditor, paths=[pdf]).attached == 1
    collection_run(creditor=creditor, as_of=date(2026, 3, 5), dispatch=False)

    out = outbox_dispatch(
        as_of=date(2026, 3, 5), transport=SmtpTransport(host="127.0.0.1", port=port)
    )

    assert out.sent == 1
    [message] = handler.messages
    files = {
        part.get_filename(): part.get_content()
        for part in message.iter_attachments()
        if part.get_content_type() == "application/pdf"
    }
    assert files == {"FV-2026-0007.pdf": pdf.read_bytes()}


def test_the_command_reports_each_file_and_refuses_with_a_non_zero_exit(creditor, tmp_path, capsys):
    import json

    from relance.cli import main

    InvoiceFactory(debtor=DebtorFactory(creditor=creditor), number="FV-9")
    pdf = plain_pdf(tmp_path, "FV-9.pdf")
    assert main(["invoices", "attach", str(pdf), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert (out["attached"], out["files"][0]["invoice"]) == (1, "FV-9")
    missing = plain_pdf(tmp_path, "FV-404.pdf")
    assert main(["invoices", "attach", str(missing)]) == 1
    err = capsys.readouterr().err
    assert "nothing attached" in err
    assert "no invoice numbered 'FV-404'" in err
