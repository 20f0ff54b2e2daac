"""Accounts (issue #19, 8): the admin login is throttled as the workspace's, and holds under
concurrency; passwords are changed, users disabled and grants removed from the CLI; weak
passwords are refused; no superuser exists unless ``make demo`` asks for one."""

from __future__ import annotations

import io
import json
import threading

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_login_failed
from django.db import connection
from django.test import Client

from relance import cli
from relance.apps.audit.models import Event
from relance.apps.workspace.models import LoginFailure, Membership
from relance.apps.workspace.services import user_create
from relance.domain.errors import InvalidInputError
from tests.apps.workspace.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("weak", ["Relance2026", "short-pass", "password1234", "123456789012"])
def test_weak_passwords_are_refused(creditor_a, weak):
    with pytest.raises(InvalidInputError, match="password refused"):
        user_create(username="camille", password=weak, role="viewer", creditors=[creditor_a])
    assert not get_user_model().objects.filter(username="camille").exists()


def _admin(username: str = "root"):
    return get_user_model().objects.create_superuser(username, "r@example.fr", PASSWORD)


def test_the_admin_login_is_throttled_as_the_workspace_login(client, db):
    _admin()
    for _ in range(5):
        page = client.post("/admin/login/", {"username": "root", "password": "wrong"})
        assert page.status_code == 200
    page = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert page.status_code == 200  # refused, the right password unchecked
    assert "15 minutes" in page.content.decode()
    assert "_auth_user_id" not in client.session


def test_the_admin_login_still_lets_the_right_password_in(client, db):
    _admin()
    client.post("/admin/login/", {"username": "root", "password": "wrong"})
    page = client.post("/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD})
    assert page.status_code == 302
    assert not LoginFailure.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("url", ["/login/", "/admin/login/"])
def test_forty_concurrent_logins_get_no_more_password_checks_than_the_limit(url):
    _admin("target")
    checks: list[str] = []
    lock = threading.Lock()

    def counted(sender, credentials, **kwargs):  # Django sends it for each password refused
        with lock:
            checks.append(credentials.get("username", ""))

    user_login_failed.connect(counted)
    barrier = threading.Barrier(40)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        try:
            client = Client()
            barrier.wait()
            response = client.post(url, {"username": "target", "password": f"wrong-{n}"})
            with lock:
                statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        user_login_failed.disconnect(counted)
    assert statuses == [200] * 40
    assert len(checks) <= 5, len(checks)
    assert LoginFailure.objects.filter(username="target").count() == 5


def _run(capsys, *args, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_relance_user_passwd_changes_the_password_and_refuses_a_weak_one(
    client, creditor_a, capsys, monkeypatch
):
    make_user("camille", "collector", creditor_a)
    code, _, err = _run(capsys, "user", "passwd", "camille", "--password-stdin",
                        stdin="Relance2026\n", monkeypatch=monkeypatch)
    assert code == 1
    assert "password refused" in err
    new = "Une-Phrase-De-Passe-Longue-42"
    code, out, _ = _run(capsys, "user", "passwd", "camille", "--password-stdin", "--json",
                        stdin=new + "\n", monkeypatch=monkeypatch)
    assert code == 0
    assert json.loads(out) == {"username": "camille", "password_changed": True}
    assert client.post("/login/", {"username": "camille", "password": PASSWORD}).status_code == 200
    assert client.post("/login/", {"username": "camille", "password": new}).status_code == 302
    assert Event.objects.filter(kind="workspace.user_password_changed", creditor_id=creditor_a.pk).exists()


def test_relance_user_disable_ends_logins_sessions_and_tokens(client, creditor_a, capsys):
    from relance.apps.api_tokens.services import token_create

    user = make_user("camille", "collector", creditor_a)
    _, token = token_create(username="camille", name="ci")
    client.force_login(user)
    assert client.get("/").status_code == 200
    assert client.get("/api/creditors", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 200
    code, out, _ = _run(capsys, "user", "disable", "camille")
    assert code == 0
    assert "disabled" in out
    assert client.get("/").status_code == 302  # the open session is over
    assert client.get("/api/creditors", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert Client().post("/login/", {"username": "camille", "password": PASSWORD}).status_code == 200


def test_relance_user_revoke_removes_one_grant(client, creditor_a, creditor_b, debtor_b, capsys):
    user = make_user("camille", "viewer", creditor_a, creditor_b)
    code, _, _ = _run(capsys, "user", "revoke", "camille", "--creditor", str(creditor_b.pk))
    assert code == 0
    assert list(Membership.objects.filter(user=user).values_list("creditor_id", flat=True)) == [
        creditor_a.pk
    ]
    client.force_login(user)
    assert client.get(f"/debtors/{debtor_b.pk}/").status_code == 404
    event = Event.objects.get(kind="workspace.user_revoked")
    assert (event.creditor_id, event.payload["role"]) == (creditor_b.pk, "viewer")
    code, _, err = _run(capsys, "user", "revoke", "camille", "--creditor", str(creditor_b.pk))
    assert code == 1
    assert "no grant" in err


def test_the_demo_makes_a_login_only_when_asked_and_never_with_a_known_password(db):
    from datetime import date

    from relance.apps.ledger.demo import demo_load

    summary = demo_load(invoices=20, seed=3, as_of=date(2026, 11, 23))
    assert "login" not in summary
    assert not get_user_model().objects.exists()
    first = demo_load(invoices=20, seed=3, as_of=date(2026, 11, 23), login=True)["login"]
    again = demo_load(invoices=20, seed=3, as_of=date(2026, 11, 23), login=True)["login"]
    assert first["username"] == again["username"] == "demo"
    assert first["password"] != again["password"]
    assert len(again["password"]) >= 12
    user = get_user_model().objects.get(username="demo")
    assert user.check_password(again["password"])
    assert not user.check_password("relance-demo")
