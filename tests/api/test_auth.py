"""Who may call the API: a live token (or a workspace session), and a role high enough."""

from __future__ import annotations

import pytest
from django.test import Client

from relance.apps.api_tokens.models import ApiToken
from relance.apps.api_tokens.services import token_create, token_digest, token_revoke
from relance.domain.errors import InvalidInputError, NotFoundError
from tests.api.conftest import Api, make_user

pytestmark = pytest.mark.django_db


def test_no_token_is_401_with_a_json_error(creditor_a):
    response = Client().get("/api/creditors")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_bad_token_is_401(creditor_a):
    assert Api("rl_not-a-token").get("/api/creditors").status_code == 401
    assert Client().get("/api/creditors", headers={"Authorization": "Basic abc"}).status_code == 401


def test_a_revoked_token_is_401(collector_a):
    assert collector_a.get("/api/creditors").status_code == 200
    token_revoke(username="camille", name="test")
    assert collector_a.get("/api/creditors").status_code == 401


def test_a_write_with_a_bad_or_revoked_token_is_401_too(collector_a, creditor_a):
    assert Api("rl_not-a-token").post("/api/run?dry_run=true").status_code == 401
    assert Client().post("/api/run?dry_run=true").status_code == 401
    token_revoke(username="camille", name="test")
    response = collector_a.post("/api/run?dry_run=true")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_an_inactive_user_token_is_401(collector_a):
    from django.contrib.auth import get_user_model

    get_user_model().objects.filter(username="camille").update(is_active=False)
    assert collector_a.get("/api/creditors").status_code == 401


def test_only_the_digest_is_stored(creditor_a):
    make_user("tom", "viewer", creditor_a)
    row, token = token_create(username="tom", name="laptop")
    assert token not in {row.digest, row.prefix}
    assert ApiToken.objects.get(pk=row.pk).digest == token_digest(token)
    assert not ApiToken.objects.filter(digest=token).exists()


def test_token_names_are_unique_while_live(creditor_a):
    make_user("tom", "viewer", creditor_a)
    token_create(username="tom", name="laptop")
    with pytest.raises(InvalidInputError):
        token_create(username="tom", name="laptop")
    token_revoke(username="tom", name="laptop")
    token_create(username="tom", name="laptop")  # the name is free again
    with pytest.raises(NotFoundError):
        token_revoke(username="tom", name="nothing")
    with pytest.raises(NotFoundError):
        token_create(username="nobody")


def test_a_workspace_session_works_and_writes_need_csrf(creditor_a):
    user = make_user("sam", "collector", creditor_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    assert client.get("/api/creditors").status_code == 200
    response = client.post("/api/run?dry_run=true")
    assert response.status_code in (401, 403)
    assert (response.status_code, response.json()["code"]) == (403, "forbidden")  # the CSRF check
    from django.conf import settings
    from django.middleware.csrf import _get_new_csrf_string

    csrf = _get_new_csrf_string()  # as the workspace's pages set it in the cookie
    client.cookies[settings.CSRF_COOKIE_NAME] = csrf
    response = client.post("/api/run?dry_run=true", headers={"X-CSRFToken": csrf})
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/run?dry_run=true", {}),
        ("/api/disputes", {"invoice": "whatever"}),
        ("/api/promises", {"debtor": "x", "amount": "10.00", "date": "2100-01-01"}),
    ],
)
def test_a_viewer_cannot_act(viewer_a, path, body):
    response = viewer_a.post_json(path, body)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_a_viewer_cannot_approve_skip_or_import(viewer_a, creditor_a):
    from relance.apps.collection.models import Action

    action = Action.objects.filter(creditor=creditor_a, requires_approval=True, state="planned").first()
    assert action is not None
    assert viewer_a.post(f"/api/actions/{action.pk}/approve").status_code == 403
    assert viewer_a.post(f"/api/actions/{action.pk}/skip").status_code == 403
    assert viewer_a.post("/api/imports/ledger", {"file": _file()}).status_code == 403
    action.refresh_from_db()
    assert action.state == "planned"


def test_a_call_costs_one_query_for_the_token_and_one_for_the_grants(viewer_a, django_assert_num_queries):
    viewer_a.get("/api/creditors")
    with django_assert_num_queries(2):  # the token with its user, then the memberships
        assert viewer_a.get("/api/creditors").status_code == 200


def test_a_viewer_reads(viewer_a):
    for path in ("/api/creditors", "/api/invoices", "/api/debtors", "/api/aging", "/api/actions"):
        assert viewer_a.get(path).status_code == 200, path


def _file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("l.csv", b"x", content_type="text/csv")
