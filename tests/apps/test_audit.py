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
