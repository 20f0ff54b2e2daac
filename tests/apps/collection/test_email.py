"""E-mail texts (golden files), MIME, transports, retries with backoff."""

from __future__ import annotations

import email
import os
import socket
from datetime import date, timedelta
from decimal import Decimal
from email import policy
from pathlib import Path

import pytest

from relance.apps.collection.dispatch import MAX_ATTEMPTS, outbox_dispatch
from relance.apps.collection.models import Action
from relance.apps.collection.rendering import email_render
from relance.apps.collection.services import collection_run
from relance.channels.email import FileTransport, SmtpTransport, transport_from_url
from relance.errors import ConfigurationError, NotFoundError
from tests.factories import DebtorFactory, InvoiceFactory

GOLDEN = Path(__file__).parent / "golden"
TEMPLATES = ["courtesy", "reminder", "invoice_again", "final_reminder"]
CONTEXT = {
    "creditor": {"name": "Atelier Lumière SAS", "siren": "552100554", "iban": "FR7630006000011234567890189",
                 "bic": "AGRIFRPPXXX", "email": "recouvrement@atelier-lumiere.example", "phone": "04 72 00 00 00",
                 "address": "12 rue des Tanneurs", "postal_code": "69002", "city": "Lyon",
                 "signature": "Claire Fontaine, responsable du recouvrement"},
    "debtor": {"name": "Boulangerie Martin SARL", "account": "41100012"},
    "invoices": [
        {"id": 1, "number": "FA-2026-00012", "issue_date": date(2026, 1, 15), "due_date": date(2026, 2, 14),
         "open_amount": Decimal("1234.50"), "total_amount": Decimal("1234.50"), "currency": "EUR", "days_late": 19},
        {"id": 2, "number": "FA-2026-00031", "issue_date": date(2026, 2, 1), "due_date": date(2026, 3, 3),
         "open_amount": Decimal("89.90"), "total_amount": Decimal("189.90"), "currency": "EUR", "days_late": 1},
    ],
    "as_of": date(2026, 3, 5),
}


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("template", TEMPLATES)
def test_default_texts_match_their_golden_files(template, lang):
    rendered = email_render(template=template, lang=lang, context=CONTEXT)
    got = f"Subject: {rendered.subject}\n\n{rendered.text}"
    path = GOLDEN / f"{template}.{lang}.txt"
    if os.environ.get("RELANCE_UPDATE_GOLDEN"):
        path.write_text(got, encoding="utf-8")
    assert got == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_every_text_names_each_invoice_its_dates_and_open_amount(lang):
    for template in TEMPLATES:
        r = email_render(template=template, lang=lang, context=CONTEXT)
        for part in (r.text, r.html):
            assert "FA-2026-00012" in part
            assert "FA-2026-00031" in part
            assert ("14/02/2026" if lang == "fr" else "14 February 2026") in part
            assert ("1 234,50 €" if lang == "fr" else "€1,234.50") in part
            assert "552100554" in part
            assert "Atelier Lumière SAS" in part


def test_html_escapes_what_it_is_given():
    ctx = {**CONTEXT, "debtor": {"name": "x", "account": "<b>411</b>"}}
    assert "&lt;b&gt;411&lt;/b&gt;" in email_render(template="reminder", lang="fr", context=ctx).html


def test_an_unknown_template_is_an_error_not_a_silent_fallback():
    with pytest.raises(NotFoundError):
        email_render(template="nope", lang="fr", context=CONTEXT)


def test_an_unknown_language_falls_back_to_french():
    assert email_render(template="reminder", lang="de", context=CONTEXT).text.startswith("Bonjour")


@pytest.mark.django_db
def test_the_message_is_proper_mime_with_reply_to_the_creditor(creditor, outbox):
    debtor = DebtorFactory(creditor=creditor, name="Élodie Légère", email="elodie@example.org")
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    (path,) = outbox.glob("*.eml")
    msg = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    action = Action.objects.get(state="sent")
    assert msg["Message-ID"] == action.message_id
    assert msg["Reply-To"].addresses[0].addr_spec == creditor.email
    assert msg["To"] == "elodie@example.org"
    assert msg["Subject"] == action.subject
    assert "règlement" in msg["Subject"]
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.replace("\r\n", "\n") == action.body_text
    assert html.replace("\r\n", "\n") == action.body_html
    assert len(action.sha256) == 64


def test_transport_urls():
    assert isinstance(transport_from_url("file:///tmp/x"), FileTransport)
    t = transport_from_url("smtp+starttls://me%40x.fr:s3cr%2Ft@mail.example:587")
    assert isinstance(t, SmtpTransport)
    assert (t.host, t.port, t.mode, t.username, t.password) == ("mail.example", 587, "starttls", "me@x.fr", "s3cr/t")
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
        debtor = DebtorFactory(creditor=creditor)
        InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
        collection_run(creditor=creditor, as_of=date(2026, 3, 5))
        action = Action.objects.get(step_key="reminder")
        assert (action.state, action.attempts) == ("planned", 1)
        assert "451" in action.error
        assert action.next_attempt_at is not None
        assert timedelta(minutes=4) < action.next_attempt_at - action.updated_at < timedelta(minutes=6)
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
        InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
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
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    action = Action.objects.get(step_key="reminder")
    assert action.state == "planned"
    assert "cannot connect" in action.error


@pytest.mark.django_db
def test_a_debtor_without_an_e_mail_address_fails_visibly(creditor):
    debtor = DebtorFactory(creditor=creditor, email="")
    InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=date(2026, 3, 5))
    action = Action.objects.get(step_key="reminder")
    assert action.state == "failed"
    assert "no e-mail address" in action.error
