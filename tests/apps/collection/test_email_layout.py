"""The e-mail a debtor receives over real SMTP (aiosmtpd): a plain-text twin and a responsive
HTML part with the creditor's logo, the "Voir et régler mes factures" button carrying the
portal link, and the transfer QR code."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
import segno

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.portal_links import portal_url
from relance.apps.workspace.services import creditor_logo_set
from relance.channels.smtp import SmtpTransport
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 5)


@pytest.fixture(autouse=True)
def _public(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = "https://relance.example.fr"


def _logo() -> bytes:
    out = io.BytesIO()
    segno.make("Atelier").save(out, kind="png", scale=4)
    return out.getvalue()


def _send(handler, port, *, with_logo: bool):
    creditor = CreditorFactory(name="Atelier Lumière SAS")
    if with_logo:
        creditor_logo_set(creditor=creditor, data=_logo(), actor="test")
    debtor = DebtorFactory(creditor=creditor, account="411TEL", email="compta@client.example")
    InvoiceFactory(debtor=debtor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor, as_of=AS_OF, dispatch=False)
    out = outbox_dispatch(as_of=AS_OF, transport=SmtpTransport(host="127.0.0.1", port=port))
    assert out.sent == 1
    [message] = handler.messages
    return message, portal_url(creditor_id=creditor.pk, debtor_id=debtor.pk, as_of=AS_OF)


def test_the_received_message_has_both_parts_the_button_and_the_logo(smtp):  # noqa: F811
    handler, port = smtp
    message, link = _send(handler, port, with_logo=True)
    text = message.get_body(("plain",)).get_content()
    page = message.get_body(("html",)).get_content()
    # The plain-text twin writes the portal link out; the HTML puts it behind the button.
    assert link in text
    button = re.search(r'<a class="portal-button" href="([^"]+)"[^>]*>([^<]+)</a>', page)
    assert button is not None
    assert button.group(1).replace("&amp;", "&") == link
    assert button.group(2) == "Voir et régler mes factures"
    assert f">{link}<" not in page  # the long link is never printed raw in the HTML
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert "max-width:600px" in page
    cids = {part["Content-ID"].strip("<>"): part for part in message.walk() if part["Content-ID"]}
    logo = next(cid for cid in cids if cid.startswith("logo@"))
    assert f'src="cid:{logo}"' in page
    assert cids[logo].get_content_type() == "image/png"
    assert cids[logo].get_content() == _logo()
    qr = next(cid for cid in cids if cid.startswith("qr-virement@"))
    assert f'src="cid:{qr}"' in page


def test_without_a_logo_the_message_has_no_logo_and_still_its_button(smtp):  # noqa: F811
    handler, port = smtp
    message, _link = _send(handler, port, with_logo=False)
    page = message.get_body(("html",)).get_content()
    assert "cid:logo@" not in page
    assert 'class="portal-button"' in page
