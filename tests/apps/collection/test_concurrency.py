"""Two passes at once on PostgreSQL, each on its own connection, create no duplicate."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from django.db import connection

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, Case
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

DUE = date(2026, 3, 2)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_passes_create_each_case_and_action_once():
    creditor = CreditorFactory()
    for n in range(40):
        debtor = DebtorFactory(creditor=creditor)
        InvoiceFactory(debtor=debtor, creditor=creditor, issue_date=DUE - timedelta(days=40),
                       due_date=DUE - timedelta(days=n % 20))
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            results.append(collection_run(as_of=DUE + timedelta(days=12), creditor=creditor, dispatch=False))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert Case.objects.count() == 40
    keys = list(Action.objects.values_list("idempotency_key", flat=True))
    assert len(keys) == len(set(keys))
    created = [sum(r.as_dict()["actions"].values()) for r in results]
    assert sorted(created)[0] == 0
    assert sorted(created)[1] == len(keys)
