"""The worklist's uncertain e-mails: shown to a person, in French, to resend or confirm.

Made for real: the outbox sends to an aiosmtpd that keeps each message and answers after the
client stopped waiting, so each action is ``uncertain``.
"""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import pytest

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from tests.factories import DebtorFactory, InvoiceFactory

controller_mod = pytest.importorskip("aiosmtpd.controller")
pytestmark = pytest.mark.django_db


class LateToAnswer:
    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(1.5)
        return "250 Message accepted"


@pytest.fixture
def uncertain(settings, tmp_path, creditor_a, creditor_b, today):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SMTP_COMMAND_TIMEOUT = 0.3
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = controller_mod.Controller(LateToAnswer(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
        for creditor, name in ((creditor_a, "Garage Martin SARL"), (creditor_b, "Secret Client B")):
            debtor = DebtorFactory(creditor=creditor, name=name, email="compta@example.org")
            InvoiceFactory(
                debtor=debtor, creditor=creditor, issue_date=today - timedelta(days=33),
                due_date=today - timedelta(days=3),
            )
            collection_run(as_of=today, creditor=creditor, dispatch=False)
        outbox_dispatch(as_of=today)
    finally:
        controller.stop()
    mine = Action.objects.get(creditor=creditor_a, state="uncertain")
    theirs = Action.objects.get(creditor=creditor_b, state="uncertain")
    return mine, theirs


def test_the_worklist_shows_this_creditor_s_uncertain_e_mails_in_french(collector_a, uncertain):
    mine, _ = uncertain
    page = collector_a.get("/worklist/").content.decode()
    assert "E-mails dont on ne sait pas s’ils sont arrivés" in page
    assert "Garage Martin SARL" in page
    assert "Secret Client B" not in page
    assert f"/worklist/uncertain/{mine.pk}/resend/" in page
    assert f"/worklist/uncertain/{mine.pk}/confirm-sent/" in page


def test_resend_and_confirm_from_the_worklist(collector_a, uncertain):
    mine, theirs = uncertain
    assert collector_a.post(f"/worklist/uncertain/{theirs.pk}/confirm-sent/").status_code == 404
    assert Action.objects.get(pk=theirs.pk).state == "uncertain"
    response = collector_a.post(f"/worklist/uncertain/{mine.pk}/resend/", follow=True)
    assert response.status_code == 200
    assert "L’e-mail repartira avec la prochaine passe" in response.content.decode()
    assert Action.objects.get(pk=mine.pk).state == "planned"
    again = collector_a.post(f"/worklist/uncertain/{mine.pk}/confirm-sent/", follow=True)
    assert "seul un e-mail incertain" in again.content.decode()
    assert Action.objects.get(pk=mine.pk).state == "planned"


def test_a_viewer_cannot_decide(viewer_a, uncertain):
    mine, _ = uncertain
    response = viewer_a.post(f"/worklist/uncertain/{mine.pk}/confirm-sent/")
    assert response.status_code == 403
    assert Action.objects.get(pk=mine.pk).state == "uncertain"
