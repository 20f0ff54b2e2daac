"""The audit trail is hash-chained: altering, removing or reordering an event is detected."""

from __future__ import annotations

import pytest

from relance.apps.audit.models import Event
from relance.apps.audit.services import chain_verify, event_record

pytestmark = pytest.mark.django_db


def record_three():
    for n in range(3):
        event_record(
            kind="test.event",
            subject_type="invoice",
            subject_id=n,
            payload={"n": n, "amount": "1.00"},
        )


def test_an_untouched_trail_verifies():
    record_three()
    assert chain_verify().ok
    assert chain_verify().events == 3


def test_changing_a_payload_is_detected():
    record_three()
    ev = Event.objects.order_by("id")[1]
    Event.objects.filter(pk=ev.pk).update(payload={"n": 1, "amount": "1000.00"})
    report = chain_verify()
    assert (report.ok, report.first_bad_id) == (False, ev.pk)
    assert "altered" in report.reason


def test_removing_an_event_is_detected():
    record_three()
    Event.objects.filter(pk=Event.objects.order_by("id")[1].pk).delete()
    assert not chain_verify().ok


def test_removing_the_last_event_is_detected():
    record_three()
    Event.objects.filter(pk=Event.objects.order_by("-id")[0].pk).delete()
    report = chain_verify()
    assert not report.ok
    assert "last events" in report.reason


def test_a_batch_of_events_is_stored_in_order_as_it_was_hashed():
    import itertools
    from datetime import date
    from decimal import Decimal

    from relance.apps.audit.services import EventInput, events_record

    record_three()
    # More rows than one statement takes on SQLite (500 a statement, under its real variable
    # limit): the batch is split, the order kept; PostgreSQL copies them in one stream.
    count = 1205
    events = [
        EventInput(
            "test.batch",
            "action",
            n,
            7 if n % 2 else None,
            {"amount": Decimal("12.50"), "on": date(2026, 3, 5), "n": n, "name": "Réglé"},
            "system",
        )
        for n in range(count)
    ]
    assert events_record(events=events) == count
    stored = list(Event.objects.filter(kind="test.batch").order_by("id"))
    assert [e.subject_id for e in stored] == list(range(count))
    assert stored[1].creditor_id == 7
    assert stored[0].creditor_id is None
    assert stored[0].payload == {"amount": "12.50", "on": "2026-03-05", "n": 0, "name": "Réglé"}
    assert all(a.hash == b.prev_hash for a, b in itertools.pairwise(stored))
    assert chain_verify().ok
    assert chain_verify().events == count + 3
