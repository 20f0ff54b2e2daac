"""Settings beyond identity: the pay link (checked), the logo (stored, then on the letters), and
a test message through the configured e-mail server (a real aiosmtpd)."""

from __future__ import annotations

import io
import subprocess
from decimal import Decimal

import pytest
import segno

from relance.apps.audit.models import Event
from relance.apps.workspace.services import creditor_logo_set
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.apps.workspace.test_desk import desk_for, record_missing_rates

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png() -> bytes:
    out = io.BytesIO()
    segno.make("Relance").save(out, kind="png", scale=4)
    return out.getvalue()


def identity(**extra):
    return {"form": "identity", "name": "Alpha SAS", "payment_terms_days": 30, **extra}


def test_a_pay_link_is_checked_then_saved(admin_a, creditor_a):
    bad = admin_a.post("/settings/", identity(pay_link_template="https://pay.example/{facture}"))
    assert bad.status_code == 400
    assert "{invoice}" in bad.content.decode()
    creditor_a.refresh_from_db()
    assert creditor_a.pay_link_template == ""
    link = "https://pay.example/?ref={invoice}&amount={amount}"
    assert admin_a.post("/settings/", identity(pay_link_template=link)).status_code == 302
    creditor_a.refresh_from_db()
    assert creditor_a.pay_link_template == link


def test_a_logo_is_stored_shown_and_printed_on_the_letters(admin_a, creditor_a, today):
    from django.core.files.uploadedfile import SimpleUploadedFile

    refused = admin_a.post(
        "/settings/",
        {"form": "logo", "logo": SimpleUploadedFile("logo.gif", b"GIF89a....", "image/gif")},
    )
    assert refused.status_code == 400
    assert "PNG" in refused.content.decode()
    image = png()
    saved = admin_a.post(
        "/settings/", {"form": "logo", "logo": SimpleUploadedFile("logo.png", image, "image/png")}
    )
    assert saved.status_code == 302
    creditor_a.refresh_from_db()
    assert creditor_a.logo.name.startswith("logos/")
    assert creditor_a.logo.name.endswith(".png")
    assert b"".join(admin_a.get("/settings/logo/").streaming_content) == image
    assert Event.objects.filter(kind="creditor.logo_changed").count() == 1

    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)
    pdf = admin_a.get(f"/worklist/actions/{notice.pk}/letter.pdf").content
    images = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    rows = [line for line in images.splitlines()[2:] if line.strip()]
    assert len(rows) >= 2  # the logo, beside the EPC QR code

    creditor_logo_set(creditor=creditor_a, data=None, actor="t")
    creditor_a.refresh_from_db()
    assert not creditor_a.logo
    pdf = admin_a.get(f"/worklist/actions/{notice.pk}/letter.pdf").content
    images = subprocess.run(
        ["pdfimages", "-list", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert len([line for line in images.splitlines()[2:] if line.strip()]) == len(rows) - 1


def test_a_test_message_goes_through_the_configured_server(admin_a, creditor_a, settings, smtp):  # noqa: F811
    handler, port = smtp
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    response = admin_a.post("/settings/", {"form": "smtp", "to": "moi@example.org"})
    assert response.status_code == 302
    [message] = handler.messages
    assert message["To"].addresses[0].addr_spec == "moi@example.org"
    assert "message d'essai" in str(message["Subject"])
    assert Event.objects.get(kind="creditor.smtp_tested").payload["to"] == "moi@example.org"


def test_an_unreachable_server_is_said_plainly(admin_a, settings):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens there once closed
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    response = admin_a.post("/settings/", {"form": "smtp", "to": "moi@example.org"})
    assert response.status_code == 400
    assert (
        "le serveur de messagerie est injoignable" in response.content.decode()
        or "n’a pas été envoyé" in response.content.decode()
    )
    assert not Event.objects.filter(kind="creditor.smtp_tested").exists()


def test_collectors_cannot_reach_the_settings(collector_a):
    assert collector_a.get("/settings/").status_code == 403
    assert (
        collector_a.post("/settings/", {"form": "smtp", "to": "x@example.org"}).status_code == 403
    )
    assert collector_a.get("/settings/logo/").status_code == 403


def test_an_admin_records_a_missing_rate_and_the_letter_can_then_be_printed(
    admin_a, creditor_a, today
):
    from decimal import Decimal

    from relance.apps.legal.models import RateOverride
    from relance.apps.workspace.debtor_selectors import debtor_invoices

    _, _, late, notice = desk_for(creditor_a, today, "A")
    missing = [line for line in debtor_invoices(debtor=late, as_of=today) if line.missing_rate]
    if not missing:
        pytest.skip("every rate the letter needs is shipped")
    words = missing[0].rate_command.split()
    table, day = words[words.index("--table") + 1], words[words.index("--from") + 1]
    preview = admin_a.get(f"/worklist/actions/{notice.pk}/preview/").content.decode()
    assert "/settings/#rates" in preview
    page = admin_a.get(f"/settings/?table={table}&from={day}")
    assert "Connu jusqu" in page.content.decode()
    # A rate applies to every creditor: the creditor's admin may not record it, an install
    # administrator does.
    refused = admin_a.post(
        "/settings/",
        {"form": "rate", "table": table, "from_date": day, "rate": "2,15", "source": "BCE"},
    )
    assert refused.status_code == 403
    assert not RateOverride.objects.exists()
    from django.contrib.auth import get_user_model
    from django.test import Client

    root = Client()
    root.force_login(get_user_model().objects.create_superuser("root", "r@example.org", "x" * 16))
    refused = root.post(
        "/settings/",
        {"form": "rate", "table": table, "from_date": day, "rate": "99", "source": "x"},
    )
    assert refused.status_code == 400
    assert not RateOverride.objects.exists()
    saved = root.post(
        "/settings/",
        {"form": "rate", "table": table, "from_date": day, "rate": "2,15", "source": "BCE"},
    )
    assert saved.status_code == 302
    row = RateOverride.objects.get()
    assert (row.table, row.rate, row.source) == (table, Decimal("2.15"), "BCE")
    # Every rate the letter needs may now be known; if another half-year is still missing,
    # it is a different one.
    again = [line for line in debtor_invoices(debtor=late, as_of=today) if line.missing_rate]
    assert not again or again[0].rate_command.split()[3:6] != words[3:6]


def _upload(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_an_admin_attaches_the_general_terms_pdf_as_the_cli_does(admin_a, creditor_a):
    import hashlib

    from relance.apps.audit.documents import document_path
    from relance.apps.legal.models import PaymentTerms

    page = admin_a.get("/settings/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Conditions générales de vente" in page
    assert "Aucun PDF joint" in page
    refused = admin_a.post("/settings/", {"form": "terms", "kind": "multiple",
                                          "value": "3", "reference": "CGV 2026, art. 9",
                                          "cgv": _upload("cgv.docx", b"PK\x03\x04 not a pdf")},
                           HTTP_ACCEPT_LANGUAGE="fr")
    assert refused.status_code == 400
    assert refused.context["terms_form"].errors["cgv"]
    too_low = admin_a.post("/settings/", {"form": "terms", "kind": "multiple", "value": "2",
                                          "reference": "CGV 2026, art. 9"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert too_low.status_code == 400
    assert "inférieur au plancher de 3 × le taux légal (C. com. L441-10 II)" in too_low.context["terms_form"].non_field_errors()[0]
    assert not PaymentTerms.objects.exists()

    pdf = b"%PDF-1.4\n% Conditions generales de vente 2026, article 9\n%%EOF\n"
    saved = admin_a.post("/settings/", {"form": "terms", "kind": "multiple", "value": "3",
                                        "reference": "CGV 2026, art. 9", "cgv": _upload("cgv-2026.pdf", pdf)})
    assert saved.status_code == 302
    row = PaymentTerms.objects.get(creditor=creditor_a, debtor=None)
    assert (row.contract_multiple, row.reference, row.cgv_filename) == (3, "CGV 2026, art. 9", "cgv-2026.pdf")
    assert row.cgv_sha256 == hashlib.sha256(pdf).hexdigest()
    assert document_path(row.cgv_name).read_bytes() == pdf
    event = Event.objects.get(kind="legal.terms_set")
    assert event.payload["cgv_sha256"] == row.cgv_sha256
    page = admin_a.get("/settings/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert f"Fichier joint : cgv-2026.pdf (SHA-256 {row.cgv_sha256})." in page
    # Saved again without a file, the PDF attached before is kept.
    assert admin_a.post("/settings/", {"form": "terms", "kind": "multiple", "value": "3,5",
                                       "reference": "CGV 2026, art. 9"}).status_code == 302
    row.refresh_from_db()
    assert row.contract_multiple == Decimal("3.5")
    assert row.cgv_sha256 == hashlib.sha256(pdf).hexdigest()


def test_a_collector_cannot_attach_the_general_terms(collector_a):
    from relance.apps.legal.models import PaymentTerms

    response = collector_a.post("/settings/", {"form": "terms", "kind": "multiple", "value": "3",
                                               "reference": "CGV", "cgv": _upload("cgv.pdf", b"%PDF-1.4\n")})
    assert response.status_code == 403
    assert not PaymentTerms.objects.exists()
