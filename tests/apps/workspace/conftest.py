"""Two creditors, a user on each, and a logged-in client per role."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory, debtor_with_overdue_invoices

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def creditor_a(db):
    return CreditorFactory(name="Alpha SAS")


@pytest.fixture
def creditor_b(db):
    return CreditorFactory(name="Beta SARL")


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def debtor_a(creditor_a, today):
    debtor = debtor_with_overdue_invoices(creditor=creditor_a, count=2, as_of=today)
    debtor.name, debtor.phone = "Boulangerie Durand SARL", "04 72 00 00 01"
    debtor.save()
    return debtor


@pytest.fixture
def debtor_b(creditor_b, today):
    debtor = debtor_with_overdue_invoices(creditor=creditor_b, count=1, as_of=today - timedelta(days=3))
    debtor.name = "Secret Client B"
    debtor.save()
    return debtor


def make_user(username, role, *creditors):
    return user_create(username=username, password=PASSWORD, role=role, creditors=list(creditors))


@pytest.fixture
def login(client):
    def _login(username, role, *creditors):
        user = make_user(username, role, *creditors)
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def collector_a(login, creditor_a):
    return login("camille", "collector", creditor_a)


@pytest.fixture
def viewer_a(login, creditor_a):
    return login("victor", "viewer", creditor_a)


@pytest.fixture
def admin_a(login, creditor_a):
    return login("adele", "admin", creditor_a)
