"""Logins, roles, the creditor switcher, and throttling of failed logins."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from relance.apps.workspace.models import LoginFailure, Membership
from relance.apps.workspace.services import user_create
from relance.domain.errors import InvalidInputError
from tests.apps.workspace.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

PAGES = ["/", "/debtors/", "/imports/", "/worklist/", "/settings/"]


@pytest.mark.parametrize("url", PAGES)
def test_every_page_sends_anonymous_visitors_to_the_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=")


def test_a_user_logs_in_with_the_password_and_lands_on_the_dashboard(client, creditor_a):
    make_user("camille", "collector", creditor_a)
    response = client.post("/login/", {"username": "camille", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_logout_ends_the_session(collector_a):
    collector_a.post("/logout/")
    assert collector_a.get("/").status_code == 302


def test_user_create_grants_the_role_on_each_creditor(creditor_a, creditor_b):
    user = user_create(username="multi", password=PASSWORD, role="viewer", creditors=[creditor_a, creditor_b])
    assert sorted(Membership.objects.filter(user=user).values_list("creditor__name", "role")) == [
        ("Alpha SAS", "viewer"), ("Beta SARL", "viewer"),
    ]


def test_user_create_refuses_a_weak_password(creditor_a):
    with pytest.raises(InvalidInputError, match="password refused"):
        user_create(username="weak", password="123", role="viewer", creditors=[creditor_a])


def test_user_create_refuses_an_unknown_role(creditor_a):
    with pytest.raises(InvalidInputError, match="role"):
        user_create(username="x", password=PASSWORD, role="boss", creditors=[creditor_a])


def test_passwords_are_hashed_with_scrypt(creditor_a):
    user = make_user("camille", "collector", creditor_a)
    assert get_user_model().objects.get(pk=user.pk).password.startswith("scrypt$")


def test_a_user_without_any_grant_sees_a_no_access_page(client, db):
    user = get_user_model().objects.create_user("nobody", password=PASSWORD)
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 403
    assert b"relance user add" in response.content


def test_five_failures_in_a_row_lock_the_login_with_a_clear_message(client, creditor_a):
    make_user("camille", "collector", creditor_a)
    for _ in range(5):
        client.post("/login/", {"username": "camille", "password": "wrong"})
    response = client.post("/login/", {"username": "camille", "password": PASSWORD})
    assert response.status_code == 200
    assert "15 minutes" in response.content.decode()


def test_the_lock_counts_only_recent_failures(client, creditor_a):
    from datetime import timedelta

    from django.utils import timezone

    make_user("camille", "collector", creditor_a)
    for _ in range(5):
        client.post("/login/", {"username": "camille", "password": "wrong"})
    LoginFailure.objects.update(at=timezone.now() - timedelta(minutes=16))
    response = client.post("/login/", {"username": "camille", "password": PASSWORD})
    assert response.status_code == 302


def test_a_success_clears_the_failures(client, creditor_a):
    make_user("camille", "collector", creditor_a)
    for _ in range(4):
        client.post("/login/", {"username": "camille", "password": "wrong"})
    client.post("/login/", {"username": "camille", "password": PASSWORD})
    assert not LoginFailure.objects.exists()


def test_the_switcher_changes_the_active_creditor(client, creditor_a, creditor_b, debtor_b):
    client.force_login(make_user("multi", "viewer", creditor_a, creditor_b))
    assert "Secret Client B" not in client.get("/debtors/").content.decode()
    client.post(reverse("workspace:creditor_switch"), {"creditor": creditor_b.pk})
    assert "Secret Client B" in client.get("/debtors/").content.decode()


def test_the_switcher_refuses_a_creditor_not_granted(collector_a, creditor_b):
    response = collector_a.post(reverse("workspace:creditor_switch"), {"creditor": creditor_b.pk})
    assert response.status_code == 404


def test_a_viewer_cannot_change_anything(viewer_a, debtor_a):
    response = viewer_a.post(f"/debtors/{debtor_a.pk}/hold/", {"hold": "1"})
    assert response.status_code == 403


def test_only_admins_open_the_settings(collector_a):
    assert collector_a.get("/settings/").status_code == 403


def test_superusers_administer_every_creditor(client, creditor_a, creditor_b):
    client.force_login(get_user_model().objects.create_superuser("root", "r@x.example", PASSWORD))
    assert client.get("/settings/").status_code == 200
