"""The e-mail the outbox sends (the documents' texts, QR code, PDFs, as relance render writes it),
MIME, transports, retries with backoff."""

from __future__ import annotations

import email
import hashlib
import io
import shutil
import socket
import subprocess
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import MAX_ATTEMPTS, outbox_dispatch
from relance.apps.collection.messages import document_render, email_preview
from relance.apps.collection.models import Action
from relance.apps.collection.pauses import case_for
from relance.channels.smtp import FileTransport, SmtpTransport, transport_from_url
from relance.domain.errors import ConfigurationError
from tests.factories import DebtorFactory, InvoiceFactory

AS_OF = date(2026, 3, 5)


def _parts(msg):
    return [part for part in msg.walk() if not part.is_multipart()]


@pytest.mark.django_db
def test_the_message_is_proper_mime_with_reply_to_the_creditor(creditor, outbox):
    creditor.pay_link_template = "https://pay.example/{debtor}?amount={amount}"
    creditor.save()
    debtor = DebtorFactory(
        creditor=creditor, name="Élodie Légère", email="elodie@example.org", account="411ELO"
    )
    InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        number="FA-77",
        issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 2),
        total_amount=Decimal("1234.50"),
    )
    collection_run(creditor=creditor, as_of=AS_OF)
    (path,) = outbox.glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    action = Action.objects.get(state="sent")
    assert msg["Message-ID"] == action.message_id
    assert msg["Reply-To"].addresses[0].addr_spec == creditor.email
    assert msg["To"] == "Élodie Légère <elodie@example.org>"
    assert msg["Subject"] == action.subject
    assert "FA-77" in msg["Subject"]
    assert all(not part.defects for part in msg.walk())
    # The HTML and the QR code it shows travel together; the text is the alternative.
    assert msg.get_content_type() == "multipart/related"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.replace("\r\n", "\n") == action.body_text
    assert html.replace("\r\n", "\n") == action.body_html
    for part in (text, html):
        assert "FA-77" in part
        assert "1\u202f234,50\u00a0€" in part
        assert "2 mars 2026" in part
        assert creditor.name in part
        assert "552 100 554" in part  # the creditor's identity
    assert 'href="https://pay.example/411ELO?amount=1234.50"' in html
    (qr,) = [p for p in _parts(msg) if p.get_content_type() == "image/png"]
    assert f'src="cid:{qr["Content-ID"].strip("<>")}"' in html
    assert qr.get_content_disposition() == "inline"
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    (code,) = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.get_content())))
    assert code.text.split("\n")[4:8] == [
        "",
        creditor.name,
        "FR7630006000011234567890189",
        "EUR1234.50",
    ]
    assert code.text.split("\n")[10].endswith("FA-77")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == action.sha256


@pytest.mark.django_db
def test_the_outbox_sends_what_relance_render_writes(creditor, outbox, tmp_path):
    debtor = DebtorFactory(creditor=creditor, account="411REN", language="en")
    InvoiceFactory(
        debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
    )
    collection_run(
        creditor=creditor, as_of=AS_OF, dispatch=False
    )  # plans the step: the case exists
    rendered = document_render(
        creditor=creditor, debtor_account="411REN", step_key="reminder", as_of=AS_OF, kind="eml"
    )
    preview = email_preview(action=Action.objects.get(step_key="reminder"), as_of=AS_OF)
    assert outbox_dispatch(as_of=AS_OF, creditor=creditor).sent == 1
    sent_action = Action.objects.get(step_key="reminder")
    assert (preview.subject, preview.text, preview.html) == (
        sent_action.subject,
        sent_action.body_text,
        sent_action.body_html,
    )
    (path,) = outbox.glob("*.eml")
    sent = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    rendered_msg = email.message_from_bytes(rendered.data, policy=policy.default)
    assert sent["Subject"] == rendered_msg["Subject"] == rendered.subject
    for header in ("From", "To", "Reply-To", "X-Relance-Reference", "Content-Type"):
        assert sent[header].split("boundary")[0] == rendered_msg[header].split("boundary")[0], (
            header
        )
    assert [p.get_content_type() for p in _parts(sent)] == [
        p.get_content_type() for p in _parts(rendered_msg)
    ]
    for a, b in zip(_parts(sent), _parts(rendered_msg), strict=True):
        assert a.get_content() == b.get_content()
    assert sent["Message-ID"] != rendered_msg["Message-ID"]


@pytest.mark.django_db
def test_a_letter_step_by_e_mail_attaches_the_letter_and_the_invoice_pdf(
    creditor, outbox, settings
):
    from django.core.files.base import ContentFile

    debtor = DebtorFactory(
        creditor=creditor,
        account="411LET",
        address="5 avenue Foch",
        postal_code="75016",
        city="Paris",
    )
    invoice = InvoiceFactory(
        debtor=debtor,
        creditor=creditor,
        number="FA-9",
        issue_date=date(2026, 1, 5),
        due_date=date(2026, 2, 4),
    )
    invoice.pdf.save("FA-9.pdf", ContentFile(b"%PDF-1.4 the invoice as issued"))
    case = case_for(debtor=debtor, as_of=AS_OF)
    action = Action.objects.create(
        creditor=creditor,
        debtor=debtor,
        case=case,
        step_key="reminder_letter",
        channel="email",
        template="reminder_letter",
        planned_date=AS_OF,
        idempotency_key="letter-by-mail",
    )
    outbox_dispatch(as_of=AS_OF, creditor=creditor)
    action.refresh_from_db()
    assert action.error == ""
    assert action.state == "sent"
    msg = email.message_from_bytes(
        Path(settings.MEDIA_ROOT, action.document.name).read_bytes(), policy=policy.default
    )
    assert msg.get_content_type() == "multipart/mixed"
    files = {p.get_filename(): p.get_content() for p in msg.iter_attachments()}
    assert files["FA-9.pdf"] == b"%PDF-1.4 the invoice as issued"
    letter = files[f"R-{case.opened_on.year}-{case.pk:04d}.pdf"]
    assert letter.startswith(b"%PDF")
    if shutil.which("pdftotext"):
        text = subprocess.run(
            ["pdftotext", "-", "-"], input=letter, capture_output=True, check=True
        ).stdout.decode()
        assert "FA-9" in text
    # The penalties this step states are in the e-mail too.
    assert "L441-10" in msg.get_body(("plain",)).get_content()


@pytest.mark.django_db
def test_an_unpublished_rate_leaves_the_penalties_out_and_the_message_still_goes(creditor, outbox):
    late = date(2026, 8, 17)  # 2026 H2: no published rate
    debtor = DebtorFactory(
        creditor=creditor,
        account="411LATE",
        address="5 avenue Foch",
        postal_code="75016",
        city="Paris",
    )
    InvoiceFactory(
        debtor=debtor, creditor=creditor, issue_date=date(2026, 5, 5), due_date=date(2026, 6, 4)
    )
    case = case_for(debtor=debtor, as_of=late)
    action = Action.objects.create(
        creditor=creditor,
        debtor=debtor,
        case=case,
        step_key="reminder_letter",
        channel="email",
        template="reminder_letter",
        planned_date=late,
        idempotency_key="late-letter-by-mail",
    )
    out = outbox_dispatch(as_of=late, creditor=creditor)
    action.refresh_from_db()
    assert action.state == "sent"
    assert "L441-10" not in action.body_text
    assert [p.code for p in out.problems] == ["rate_unknown"]
    assert "2026 H2" in out.problems[0].message
    sending = Event.objects.get(kind="action.sending", subject_id=action.pk)
    assert "2026 H2" in sending.payload["penalties_left_out"]


def test_transport_urls():
    assert isinstance(transport_from_url("file:///tmp/x"), FileTransport)
    t = transport_from_url("smtp+starttls://me%40x.fr:s3cr%2Ft@mail.example:587")
    assert isinstance(t, SmtpTransport)
    assert (t.host, t.port, t.mode, t.username, t.password) == (
        "mail.example",
        587,
        "starttls",
        "me@x.fr",
        "s3cr/t",
    )
    assert transport_from_url("smtps://mail.example").port == 465
    with pytest.raises(ConfigurationError):
        transport_from_url("http://example.org")


# --- failures and retries -------------------------------------------------------------------------

controller_mod = pytest.importorskip("aiosmtpd.controller")


class Refusing:
    def __init__(self, code: str) -> None:
        self.code = code

    async def handle_DATA(self, server, session, envelope):
        return self.code


def _smtp(handler):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    c.start()
    return c


@pytest.mark.django_db
def test_a_temporary_refusal_is_retried_with_backoff_then_fails_with_the_reason(creditor, settings):
    c = _smtp(Refusing("451 4.3.0 try later"))
    try:
        settings.EMAIL_URL = f"smtp://127.0.0.1:{c.port}"
        settings.SMTP_RETRIES = 0  # the next runs' backoff; the in-run retries: test_smtp_limits
        debtor = DebtorFactory(creditor=creditor)
        InvoiceFactory(
            debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
        )
        collection_run(creditor=creditor, as_of=date(2026, 3, 5))
        action = Action.objects.get(step_key="reminder")
        assert (action.state, action.attempts) == ("planned", 1)
        assert "451" in action.error
        assert action.next_attempt_at is not None
        assert (
            timedelta(minutes=4) < action.next_attempt_at - action.updated_at < timedelta(minutes=6)
        )
        for _ in range(MAX_ATTEMPTS - 1):
            Action.objects.filter(pk=action.pk).update(next_attempt_at=None)  # time passes
            outbox_dispatch(as_of=date(2026, 3, 5))
            action.refresh_from_db()
        assert (action.state, action.attempts) == ("failed", MAX_ATTEMPTS)
        assert "451" in action.error
    finally:
        c.stop()


@pytest.mark.django_db
def test_a_permanent_refusal_fails_at_once_and_is_reported(creditor, settings):
    c = _smtp(Refusing("550 5.1.1 no such user"))
    try:
        settings.EMAIL_URL = f"smtp://127.0.0.1:{c.port}"
        debtor = DebtorFactory(creditor=creditor)
        InvoiceFactory(
            debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
        )
        result = collection_run(creditor=creditor, as_of=date(2026, 3, 5))
        action = Action.objects.get(step_key="reminder")
        assert action.state == "failed"
        assert "550" in action.error
        assert result.actions["failed"] == 1
        assert [p.code for p in result.problems] == ["email_failed"]
    finally:
        c.stop()


@pytest.mark.django_db
def test_a_server_that_does_not_answer_means_a_retry(creditor, settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    debtor = DebtorFactory(creditor=creditor)
    InvoiceFactory(
        debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
    )
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    action = Action.objects.get(step_key="reminder")
    assert action.state == "planned"
    assert "cannot connect" in action.error


@pytest.mark.django_db
def test_a_debtor_without_an_e_mail_address_gets_the_step_as_a_letter_in_the_print_batch(
    creditor, outbox
):
    # It used to fail at every e-mail step ("no e-mail address"), and nothing reached the
    # debtor. The same text now goes by post, and the action says why.
    from relance.apps.collection.letters import letters_batch

    debtor = DebtorFactory(creditor=creditor, email="", name="Sans Courriel SARL",
                           address="5 avenue Foch", postal_code="75016", city="Paris")
    InvoiceFactory(
        debtor=debtor, creditor=creditor, number="FA-POST-1", issue_date=date(2026, 2, 1),
        due_date=date(2026, 3, 2)
    )
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    action = Action.objects.get(step_key="reminder")
    assert (action.channel, action.state) == ("letter", "planned")
    assert action.reason == "no usable e-mail address: sent by post instead"
    assert not list(outbox.glob("*.eml"))
    batch = letters_batch(as_of=date(2026, 3, 5), workers=1)
    assert [x["action"] for x in batch.letters] == [action.pk]
    action.refresh_from_db()
    assert action.state == "sent"
    if shutil.which("pdftotext"):
        text = " ".join(
            subprocess.run(["pdftotext", "-", "-"], input=batch.pdf, capture_output=True,
                           check=True).stdout.decode().split()
        )
        assert "FA-POST-1" in text
        assert "Sans Courriel SARL" in text


@pytest.mark.django_db
def test_a_debtor_with_neither_e_mail_nor_postal_address_gets_a_task_saying_why(creditor, outbox):
    # An address that is not one ("compta@") counts as none.
    debtor = DebtorFactory(creditor=creditor, email="compta@", address="", city="")
    InvoiceFactory(creditor=creditor, debtor=debtor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    action = Action.objects.get(step_key="reminder")
    assert (action.channel, action.state) == ("task", "planned")
    assert action.reason == "no usable e-mail address nor postal address: find one"
    assert not list(outbox.glob("*.eml"))


@pytest.mark.parametrize(
    ("name", "iban", "bic", "amount", "text"),
    [
        (
            "Atelier Lumière SAS",
            "FR76 3000 6000 0112 3456 7890 189",
            "AGRIFRPP",
            Decimal("1234.5"),
            "R-2026-0001 FA-1",
        ),
        ("A" * 90, "FR7630006000011234567890189", "", Decimal("0.01"), "x  y\n" * 60),
    ],
)
def test_the_cached_epc_payload_is_the_documents_one(name, iban, bic, amount, text):
    from relance.documents.qr import EpcError, EpcPayment, _epc_payload, epc_payload

    assert _epc_payload(name, iban, bic, amount, text) == epc_payload(
        EpcPayment(name, iban, amount, text, bic)
    )
    for bad in (Decimal("0"), Decimal("1000000000")):
        with pytest.raises(EpcError):
            _epc_payload(name, iban, bic, bad, text)


def _scanlines(png: bytes) -> tuple[bytes, bytes]:
    """The PNG's header and its pixels, whatever the compression."""
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    chunks, at = {}, 8
    while at < len(png):
        size = int.from_bytes(png[at : at + 4], "big")
        chunks[png[at + 4 : at + 8]] = png[at + 8 : at + 8 + size]
        at += 12 + size
    assert list(chunks) == [b"IHDR", b"IDAT", b"IEND"]
    import zlib

    return chunks[b"IHDR"], zlib.decompress(chunks[b"IDAT"])


@pytest.mark.parametrize(("scale", "border"), [(4, 4), (1, 2), (3, 0), (6, 1)])
@pytest.mark.parametrize("length", [20, 110, 331])
def test_the_e_mail_qr_png_has_the_pixels_segno_draws(scale, border, length):
    import segno

    from relance.documents.qr import _matrix_png

    symbol = segno.make_qr("é" + "x" * (length - 2), error="m", boost_error=False, mask=0)
    out = io.BytesIO()
    symbol.save(out, kind="png", scale=scale, border=border)
    assert _scanlines(_matrix_png(symbol.matrix, scale=scale, border=border)) == _scanlines(
        out.getvalue()
    )
