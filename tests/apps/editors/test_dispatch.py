"""The daily e-mails go out with the creditor's edited template, over real SMTP (aiosmtpd)."""

from __future__ import annotations

import email
import socket
from datetime import date
from email import policy

import pytest

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from relance.apps.editors.services import template_save
from relance.channels.smtp import SmtpTransport
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

AS_OF = date(2026, 3, 5)
controller_mod = pytest.importorskip("aiosmtpd.controller")
pytestmark = pytest.mark.django_db


class Keeping:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keeping()
    controller = controller_mod.Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def _due(creditor, account: str, lang: str):
    debtor = DebtorFactory(
        creditor=creditor, account=account, language=lang, email=f"{account}@example.org"
    )
    InvoiceFactory(
        debtor=debtor, creditor=creditor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2)
    )
    return debtor


def test_the_outbox_sends_the_edited_template_to_that_creditor_s_debtors_only(smtp):
    handler, port = smtp
    mine, other = CreditorFactory(name="Maison SAS"), CreditorFactory(name="Autre SAS")
    _due(mine, "411FR", "fr")
    _due(mine, "411EN", "en")
    _due(other, "411OTHER", "fr")
    template_save(
        creditor=mine,
        name="reminder.subject",
        lang="fr",
        source="Objet maison pour {{ debtor.name }}",
    )
    template_save(
        creditor=mine,
        name="reminder.txt",
        lang="fr",
        source="Bonjour,\nMESSAGE MAISON : {{ totals.principal|money }}.\n{% include 'fr/_payment.txt.j2' %}\n",
    )
    for creditor in (mine, other):
        collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    due = Action.objects.filter(channel="email", state="planned")
    assert set(due.values_list("template", flat=True)) == {"reminder"}

    out = outbox_dispatch(as_of=AS_OF, transport=SmtpTransport(host="127.0.0.1", port=port))

    assert out.sent == 3
    by_to = {m["To"].addresses[0].addr_spec: m for m in handler.messages}
    fr = by_to["411FR@example.org"]
    assert str(fr["Subject"]).startswith("Objet maison pour")
    assert "MESSAGE MAISON : 1\u202f200,00\u00a0€." in fr.get_body(("plain",)).get_content()
    assert "MESSAGE MAISON" in fr.get_body(("html",)).get_content()
    # English has no edited version: the shipped text; the other creditor: its own (shipped) text.
    for account in ("411EN", "411OTHER"):
        text = by_to[f"{account}@example.org"].get_body(("plain",)).get_content()
        assert "MAISON" not in text
        assert "Objet maison" not in str(by_to[f"{account}@example.org"]["Subject"])
    sent = Action.objects.get(debtor__account="411FR", state="sent")
    assert "MESSAGE MAISON" in sent.body_text
