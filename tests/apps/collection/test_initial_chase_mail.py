"""The first e-mail of a chase lists every overdue invoice and carries their PDFs (issue 14).

A debtor owes three invoices long overdue; two of them have their PDF in the ledger. The first
pass sends one e-mail, received by a real SMTP server (aiosmtpd): it lists the three, carries
the two PDFs byte for byte, says which are attached, and never claims the third is.
"""

from __future__ import annotations

import email
import socket
from datetime import date
from decimal import Decimal
from email import policy

import pytest
from django.core.files.base import ContentFile

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from tests.factories import DebtorFactory, InvoiceFactory

controller_mod = pytest.importorskip("aiosmtpd.controller")
pytestmark = pytest.mark.django_db
START = date(2026, 3, 2)


class Keeping:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keeping()
    controller = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    yield handler
    controller.stop()


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_first_e_mail_lists_every_overdue_invoice_and_attaches_their_pdfs(creditor, smtp, lang):
    debtor = DebtorFactory(creditor=creditor, account="411OLD", email="compta@old.example", language=lang)
    pdfs = {}
    for n, days_late in enumerate((400, 200, 45)):
        due = date.fromordinal(START.toordinal() - days_late)
        invoice = InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{n}",
                                 issue_date=date.fromordinal(due.toordinal() - 30), due_date=due,
                                 total_amount=Decimal("100.00") * (n + 1))
        if n < 2:
            pdfs[invoice.number] = f"%PDF-1.4 invoice {invoice.number} as issued".encode()
            invoice.pdf.save(f"{invoice.number}.pdf", ContentFile(pdfs[invoice.number]))
    collection_run(creditor=creditor, as_of=START)

    (sent,) = Action.objects.filter(debtor=debtor, state="sent")
    assert (sent.step_key, sent.channel) == ("reminder", "email")
    (mail,) = smtp.messages
    assert mail["To"].addresses[0].addr_spec == "compta@old.example"
    text = mail.get_body(("plain",)).get_content()
    for number in ("FA-0", "FA-1", "FA-2"):
        assert number in text, number
    files = {part.get_filename(): part.get_content() for part in mail.iter_attachments()}
    assert files == {f"{number}.pdf": data for number, data in pdfs.items()}
    flat = " ".join(text.split())
    if lang == "fr":
        assert "Vous trouverez en pièce jointe une copie des factures FA-0, FA-1." in flat
    else:
        assert "You will find attached a copy of invoices FA-0, FA-1." in flat
    assert "FA-2." not in flat  # never said to be attached


def test_the_invoice_again_never_says_a_copy_is_attached_when_none_is(creditor):
    from django.core.files.base import ContentFile

    from relance.apps.collection.contexts import letter_context_for
    from relance.documents.templates import render_step

    debtor = DebtorFactory(creditor=creditor, account="411NOPDF", email="a@b.example")
    invoice = InvoiceFactory(debtor=debtor, creditor=creditor, number="FA-9", issue_date=date(2026, 1, 5),
                             due_date=date(2026, 2, 4))
    ctx = letter_context_for(case_or_debtor=debtor, step_key="invoice_again", as_of=START, channel="email")
    text = " ".join(render_step(ctx, "invoice_again").text.split())
    assert "pièce jointe" not in text
    assert "contactez-nous : nous vous en adresserons une copie" in text
    invoice.pdf.save("FA-9.pdf", ContentFile(b"%PDF-1.4"))
    ctx = letter_context_for(case_or_debtor=debtor, step_key="invoice_again", as_of=START, channel="email")
    assert "vous en trouverez une copie en pièce jointe" in " ".join(render_step(ctx, "invoice_again").text.split())
    # By post the PDF does not go with the letter: nothing is said to be attached.
    ctx = letter_context_for(case_or_debtor=debtor, step_key="invoice_again", as_of=START, channel="letter")
    assert "pièce jointe" not in render_step(ctx, "invoice_again").text
