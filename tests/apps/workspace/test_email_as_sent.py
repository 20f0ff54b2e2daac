"""The e-mail as sent, viewed in the workspace as an e-mail: headers, text, HTML, attachments;
never served as a PDF."""

from __future__ import annotations

from datetime import date

import pytest

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action
from tests.apps.workspace.conftest import make_user
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 5)


@pytest.fixture
def sent(creditor_a, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    settings.PUBLIC_URL = "https://relance.example.fr"
    debtor = DebtorFactory(creditor=creditor_a, account="411MAIL", name="Garage Martin SARL",
                           email="compta@martin.example")
    InvoiceFactory(debtor=debtor, number="FA-77", issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
    collection_run(creditor=creditor_a, as_of=AS_OF)
    action = Action.objects.get(debtor=debtor, state="sent")
    assert action.document.name.endswith(".eml")
    return action


def test_the_e_mail_as_sent_is_shown_as_an_e_mail(collector_a, sent):
    debtor_page = page_text(collector_a.get(f"/debtors/{sent.debtor_id}/"))
    assert "e-mail tel qu’envoyé" in debtor_page
    assert "tel qu’envoyé (PDF)" not in debtor_page
    response = collector_a.get(f"/actions/{sent.pk}/document/")
    assert response.status_code == 302
    assert response["Location"] == f"/actions/{sent.pk}/email/"
    text = page_text(collector_a.get(response["Location"]))
    assert "E-mail tel qu’envoyé" in text
    assert "<dt>Destinataire</dt><dd>Garage Martin SARL &lt;compta@martin.example&gt;</dd>" in collector_a.get(
        f"/actions/{sent.pk}/email/").content.decode()
    assert sent.subject in text
    assert "Dec 2026" not in text  # the Date header in French words
    assert "FA-77" in text  # the plain text
    assert "qr-virement.png" in text  # the attachments
    assert f'src="/actions/{sent.pk}/email/html/"' in text


def test_the_html_part_is_sandboxed_and_its_images_are_served_from_the_message(collector_a, sent):
    response = collector_a.get(f"/actions/{sent.pk}/email/html/")
    assert response["Content-Security-Policy"].startswith("sandbox")
    page = response.content.decode()
    assert "Voir et régler mes factures" in page
    assert "cid:" not in page
    assert 'src="data:image/png;base64,iVBOR' in page  # the QR code, written in
    # Each attachment still downloads from the stored message.
    text = page_text(collector_a.get(f"/actions/{sent.pk}/email/"))
    number = text.split(f"/actions/{sent.pk}/email/parts/")[1].split("/")[0]
    part = collector_a.get(f"/actions/{sent.pk}/email/parts/{number}/?download=1")
    assert part["Content-Type"] == "image/png"
    assert part["Content-Disposition"].startswith("attachment")
    assert part.content.startswith(b"\x89PNG")


def test_the_stored_eml_downloads_as_a_message_never_as_a_pdf(collector_a, sent):
    response = collector_a.get(f"/actions/{sent.pk}/document/?raw=1")
    assert response["Content-Type"] == "message/rfc822"
    data = b"".join(response.streaming_content)
    assert b"Message-ID:" in data


def test_another_creditor_cannot_read_it(client, sent, creditor_b):
    client.force_login(make_user("bruno", "collector", creditor_b))
    assert client.get(f"/actions/{sent.pk}/email/").status_code == 404
    assert client.get(f"/actions/{sent.pk}/email/html/").status_code == 404
    assert client.get(f"/actions/{sent.pk}/email/parts/1/").status_code == 404
