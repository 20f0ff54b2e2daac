"""The portal's links dated in the future are refused, and its daily cap holds under
concurrent workers (issue #19, 9)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from relance.apps.collection.models import Action
from relance.apps.collection.portal_links import PortalLinkError, portal_token, portal_token_read
from relance.apps.portal.selectors import PortalAccess
from relance.apps.portal.services import (
    POSTS_PER_DAY,
    PlanProposal,
    PortalLimitError,
    portal_plan_propose,
)
from tests.factories import CreditorFactory, DebtorFactory


@pytest.mark.django_db
def test_a_link_dated_in_the_future_is_refused(client, settings):
    settings.PUBLIC_URL = "https://relance.example.fr"
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor)
    now = datetime(2026, 3, 10, 9, tzinfo=UTC)
    today = portal_token(creditor_id=creditor.pk, debtor_id=debtor.pk, as_of=date(2026, 3, 10))
    tomorrow = portal_token(creditor_id=creditor.pk, debtor_id=debtor.pk, as_of=date(2026, 3, 11))
    later = portal_token(creditor_id=creditor.pk, debtor_id=debtor.pk, as_of=date(2026, 6, 1))
    assert portal_token_read(today, now=now) == (creditor.pk, debtor.pk)
    # Just after midnight in Paris, today's links are a few hours ahead of UTC: taken.
    assert portal_token_read(tomorrow, now=now) == (creditor.pk, debtor.pk)
    with pytest.raises(PortalLinkError) as caught:
        portal_token_read(later, now=now)
    assert not caught.value.expired
    future = portal_token(
        creditor_id=creditor.pk, debtor_id=debtor.pk, as_of=timezone.localdate() + timedelta(days=30)
    )
    response = client.get(f"/p/{future}/")
    assert response.status_code == 404  # as a link that is not ours
    assert debtor.name not in response.content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_workers_get_no_more_than_the_daily_cap():
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor)
    access = PortalAccess(token="t", creditor=creditor, debtor=debtor)
    today = timezone.localdate()
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            barrier.wait()
            for _ in range(3):  # 24 posts at once against a cap of 10
                try:
                    portal_plan_propose(
                        access=access,
                        proposal=PlanProposal(instalments=3, first=today, message=""),
                        now=timezone.now(),
                        as_of=today,
                    )
                    result = "taken"
                except PortalLimitError:
                    result = "refused"
                with lock:
                    outcomes.append(result)
        except BaseException as exc:  # handed to the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(outcomes) == 24
    assert outcomes.count("taken") == POSTS_PER_DAY
    assert Action.objects.filter(debtor=debtor, channel="task").count() == POSTS_PER_DAY
