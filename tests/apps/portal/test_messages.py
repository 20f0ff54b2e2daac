"""The messages carry the debtor portal's signed link when the install has a public address,
in the payment paragraph of the text and as a link in the HTML; without one, nothing changes
(the golden files in tests/documents are rendered without it)."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy

import pytest
from django.utils import timezone

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.messages import document_render
from relance.apps.collection.portal_links import portal_url
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
BASE = "https://relance.example.fr"


@pytest.fixture(autouse=True)
def _public(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = BASE


def link(debtor, as_of):
    return portal_url(creditor_id=debtor.creditor_id, debtor_id=debtor.pk, as_of=as_of)


def test_the_e_mail_carries_the_link_only_when_the_install_has_a_public_address(settings):
    today = timezone.localdate()
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor, account="411P")
    InvoiceFactory(debtor=debtor, issue_date=today - timedelta(days=50), due_date=today - timedelta(days=20))
    collection_run(creditor=creditor, as_of=today, dispatch=False)

    def text_and_html(lang):
        rendered = document_render(
            creditor=creditor, debtor_account="411P", step_key="reminder", as_of=today, kind="eml", lang=lang
        )
        message = email.message_from_bytes(rendered.data, policy=policy.default)
        return (
            message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content(),
        )

    expected = link(debtor, today)
    text, html = text_and_html("fr")
    assert f"proposer un échéancier : {expected}" in text
    assert f'<a href="{expected}">' in html
    text, _ = text_and_html("en")
    assert f"propose a payment plan: {expected}" in text

    settings.PUBLIC_URL = ""
    text, html = text_and_html("fr")
    assert "/p/" not in text
    assert "échéancier :" not in text
    assert "/p/" not in html
