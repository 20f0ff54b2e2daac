"""The outgoing mail server on the Settings page: set per creditor beside RELANCE_EMAIL_URL,
the page says which is in use, the test message and the daily e-mails really go through it
(a real aiosmtpd server), and another creditor's e-mail never does."""

from __future__ import annotations

from datetime import date

import pytest

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Action
from relance.apps.creditors.models import MailServer
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.apps.workspace.test_wording import page_text
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def env_folder(settings, tmp_path):
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    return tmp_path / "outbox"


def server_form(port, **extra):
    return {"form": "mailserver", "host": "127.0.0.1", "port": port, "security": "none",
            "username": "", "password": "", **extra}


def test_the_page_says_the_environment_variable_is_in_use_until_a_server_is_set(
    admin_a, creditor_a, env_folder, smtp  # noqa: F811
):
    _, port = smtp
    text = page_text(admin_a.get("/settings/"))
    assert "En service : le serveur de l’installation, variable d’environnement RELANCE_EMAIL_URL" in text
    response = admin_a.post("/settings/", server_form(port, username="relance", password="s3cret"), follow=True)
    text = page_text(response)
    assert "Serveur d’envoi enregistré" in text
    assert f"En service : le serveur propre de ce créancier, <code>smtp://127.0.0.1:{port}</code>" in text
    assert "s3cret" not in text  # never shown back
    event = Event.objects.get(kind="creditor.mail_server_set")
    assert "s3cret" not in str(event.payload)
    assert event.payload["password_changed"] is True
    # Saved again without a password: the stored one stays.
    admin_a.post("/settings/", server_form(port, username="relance"))
    assert MailServer.objects.get(creditor=creditor_a).password == "s3cret"


def test_the_test_message_really_goes_through_the_creditors_server(
    admin_a, creditor_a, env_folder, smtp  # noqa: F811
):
    handler, port = smtp
    admin_a.post("/settings/", server_form(port))
    response = admin_a.post("/settings/", {"form": "smtp", "to": "moi@example.org"}, follow=True)
    assert "Message d’essai envoyé à moi@example.org" in page_text(response)
    [message] = handler.messages
    assert message["To"].addresses[0].addr_spec == "moi@example.org"
    assert not env_folder.exists() or not any(env_folder.iterdir())
    sent = Event.objects.get(kind="creditor.smtp_tested")
    assert sent.payload["server"] == f"smtp://127.0.0.1:{port}"


def test_removing_the_server_goes_back_to_the_environment(admin_a, creditor_a, env_folder, smtp):  # noqa: F811
    _, port = smtp
    admin_a.post("/settings/", server_form(port))
    admin_a.post("/settings/", server_form(port, remove="on"))
    assert not MailServer.objects.exists()
    assert Event.objects.filter(kind="creditor.mail_server_removed").count() == 1


def test_a_bad_server_name_is_refused_in_french(admin_a, env_folder):
    response = admin_a.post("/settings/", server_form(25, host="smtp example.org"))
    assert response.status_code == 400
    assert "« smtp example.org » n’est pas un nom de serveur" in page_text(response)


def test_each_creditors_reminders_leave_through_its_own_server_only(settings, tmp_path, smtp):  # noqa: F811
    handler, port = smtp
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    as_of = date(2026, 3, 5)
    own, plain = CreditorFactory(name="Propre SAS"), CreditorFactory(name="Commun SAS")
    MailServer.objects.create(creditor=own, host="127.0.0.1", port=port, security="none")
    for creditor, account in ((own, "411OWN"), (plain, "411ENV")):
        debtor = DebtorFactory(creditor=creditor, account=account, email=f"{account}@example.org")
        InvoiceFactory(debtor=debtor, issue_date=date(2026, 2, 1), due_date=date(2026, 3, 2))
        collection_run(creditor=creditor, as_of=as_of, dispatch=False)
    out = outbox_dispatch(as_of=as_of)
    assert out.sent == 2
    assert [m["To"].addresses[0].addr_spec for m in handler.messages] == ["411OWN@example.org"]
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    assert "411ENV@example.org" in files[0].read_text(encoding="utf-8", errors="replace")
    assert Action.objects.filter(channel="email", state="sent").count() == 2


@pytest.fixture
def smtp_with_login():
    """A real aiosmtpd server that wants a login (over plain SMTP, as a local relay may)."""
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    from tests.apps.editors.test_dispatch import Keeping

    seen: list[tuple[str, str]] = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        login, password = auth_data.login.decode(), auth_data.password.decode()
        seen.append((login, password))
        return AuthResult(success=(login, password) == ("relance", "p@ss:w/rd%20"))

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = Keeping()
    controller = Controller(handler, hostname="127.0.0.1", port=port,
                            authenticator=authenticator, auth_require_tls=False)
    controller.start()
    yield handler, port, seen
    controller.stop()


def test_the_user_and_password_log_in_as_typed(admin_a, env_folder, smtp_with_login):
    handler, port, seen = smtp_with_login
    admin_a.post("/settings/", server_form(port, username="relance", password="p@ss:w/rd%20"))
    response = admin_a.post("/settings/", {"form": "smtp", "to": "moi@example.org"}, follow=True)
    assert "Message d’essai envoyé" in page_text(response)
    assert seen == [("relance", "p@ss:w/rd%20")]  # quoted into the URL, unquoted back
    assert len(handler.messages) == 1
    # A wrong password is said, in French, and nothing is recorded as sent.
    admin_a.post("/settings/", server_form(port, username="relance", password="faux"))
    refused = admin_a.post("/settings/", {"form": "smtp", "to": "moi@example.org"})
    assert refused.status_code == 400
    assert "le message d’essai n’a pas été envoyé" in page_text(refused)
    assert len(handler.messages) == 1
