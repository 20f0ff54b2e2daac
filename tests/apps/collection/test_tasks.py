"""The collection's tasks in this process (no broker: Celery runs them at once, eagerly).

The same tasks on real workers over Redis are test_workers.py's."""

from __future__ import annotations

from datetime import date

import pytest

from relance.apps.collection.selectors import actions_list
from relance.apps.collection.tasks import daily_pass, daily_pass_enqueue, outbox_dispatch_task
from relance.config.celery import app
from relance.domain.errors import InvalidInputError
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
AS_OF = date(2026, 3, 5)


@pytest.fixture
def eager(settings, tmp_path):
    settings.EMAIL_URL = f"file://{tmp_path}"
    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield tmp_path
    app.conf.task_always_eager = before


def _overdue(creditor, n: int) -> None:
    for _ in range(n):
        debtor = DebtorFactory(creditor=creditor)
        InvoiceFactory(debtor=debtor, issue_date=date(2026, 1, 31), due_date=date(2026, 3, 2))


def test_the_daily_pass_is_queued_per_creditor_and_sends_each_one_s_reminders(eager):
    first, second = CreditorFactory(), CreditorFactory()
    _overdue(first, 2)
    _overdue(second, 1)
    queued = daily_pass_enqueue(as_of=AS_OF)
    assert [(q.creditor_id, q.creditor) for q in queued] == [
        (first.pk, first.name),
        (second.pk, second.name),
    ]
    assert all(q.task_id for q in queued)
    assert actions_list(creditor=first, state="sent", channel="email").count() == 2
    assert actions_list(creditor=second, state="sent", channel="email").count() == 1
    assert len(list(eager.glob("*.eml"))) == 3


def test_helpers_share_a_creditor_s_outbox_and_nothing_goes_twice(eager):
    creditor = CreditorFactory()
    _overdue(creditor, 3)
    (queued,) = daily_pass_enqueue(as_of=AS_OF, creditor=creditor.pk, dispatchers=3)
    assert queued.creditor_id == creditor.pk
    assert actions_list(creditor=creditor, state="sent", channel="email").count() == 3
    assert len(list(eager.glob("*.eml"))) == 3
    again = outbox_dispatch_task.delay(AS_OF.isoformat(), creditor.pk).get()
    assert (again["sent"], again["failed"]) == (0, 0)


def test_a_day_given_to_the_morning_task_is_run_even_on_a_holiday(eager):
    creditor = CreditorFactory()
    _overdue(creditor, 1)
    (queued,) = daily_pass.delay("2026-07-14").get()  # Bastille Day: asked for, so run
    assert queued["creditor_id"] == creditor.pk


def test_no_dispatcher_at_all_is_refused(eager):
    with pytest.raises(InvalidInputError, match="at least 1"):
        daily_pass_enqueue(as_of=AS_OF, dispatchers=0)
