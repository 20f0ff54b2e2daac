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


# A court can rely on it (issue #19, 6): a key outside the database, checkpoints outside it,
# and the stored documents re-hashed.


def _record_in_transactions(django_capture_on_commit_callbacks, count: int = 3) -> None:
    for n in range(count):
        with django_capture_on_commit_callbacks(execute=True):
            event_record(kind="test.event", subject_type="invoice", subject_id=n, payload={"n": n})


def _forge(events, payload_of):
    """Rewrite ``events`` as someone with the database but not the key would: new payloads,
    every hash recomputed with plain SHA-256 so that the chain and its head line up."""
    import hashlib
    import json

    from relance.apps.audit.models import ChainHead

    prev = events[0].prev_hash
    for ev in events:
        payload = payload_of(ev)
        body = json.dumps(
            {
                "prev": prev,
                "at": ev.created_at.isoformat(),
                "actor": ev.actor,
                "creditor": ev.creditor_id,
                "subject": [ev.subject_type, ev.subject_id],
                "kind": ev.kind,
                "payload": payload,
            },
            sort_keys=True,
            separators=(",", ":"),
            ensure_ascii=False,
        )
        digest = hashlib.sha256(body.encode()).hexdigest()
        Event.objects.filter(pk=ev.pk).update(payload=payload, prev_hash=prev, hash=digest)
        prev = digest
    ChainHead.objects.filter(pk=1).update(last_hash=prev)


def test_a_tail_cut_together_with_the_head_row_is_detected(django_capture_on_commit_callbacks):
    from relance.apps.audit.models import ChainHead

    _record_in_transactions(django_capture_on_commit_callbacks)
    assert chain_verify().ok
    assert chain_verify().checkpoints == 3
    last, before = Event.objects.order_by("-id")[:2]
    cut = last.pk
    last.delete()
    ChainHead.objects.filter(pk=1).update(last_hash=before.hash)  # the head agrees with the cut
    report = chain_verify()
    assert not report.ok
    assert f"event {cut}" in report.reason
    assert "missing" in report.reason


def test_an_event_rewritten_with_recomputed_hashes_is_detected(django_capture_on_commit_callbacks):
    _record_in_transactions(django_capture_on_commit_callbacks)
    events = list(Event.objects.order_by("id"))
    _forge(events[1:], lambda ev: {**ev.payload, "n": 1000})
    report = chain_verify()
    assert (report.ok, report.first_bad_id) == (False, events[1].pk)
    # Passed off as events from before the key: a plain event after a keyed one is a forgery.
    Event.objects.filter(pk__in=[e.pk for e in events[1:]]).update(keyed=False)
    report = chain_verify()
    assert (report.ok, report.first_bad_id) == (False, events[1].pk)
    assert "forged" in report.reason
    # The whole trail passed off so: the checkpoints outside the database disagree.
    Event.objects.update(keyed=False)
    _forge(list(Event.objects.order_by("id")), lambda ev: {**ev.payload, "n": 1000})
    report = chain_verify()
    assert not report.ok
    assert "checkpoint" in report.reason


def test_an_edited_checkpoint_line_is_detected(django_capture_on_commit_callbacks, settings):
    from pathlib import Path

    _record_in_transactions(django_capture_on_commit_callbacks)
    path = Path(settings.AUDIT_CHECKPOINTS)
    lines = path.read_text().splitlines()
    assert len(lines) == 3
    first = Event.objects.order_by("id").first()
    lines[2] = lines[2].replace(f'"id":{Event.objects.order_by("-id").first().pk}', f'"id":{first.pk}')
    path.write_text("\n".join(lines) + "\n")
    report = chain_verify()
    assert not report.ok
    assert "checkpoint line 3 was altered" in report.reason


def test_an_edited_stored_email_is_detected():
    from relance.apps.audit.documents import document_path, document_store

    name, digest = document_store(b"From: a@example.fr\r\n\r\nMontant du : 100,00 EUR\r\n", suffix=".eml")
    event_record(
        kind="action.sent", subject_type="action", subject_id=1,
        payload={"document": name, "sha256": digest, "message_id": "<m@x>"},
    )
    report = chain_verify()
    assert report.ok
    assert report.documents == 1
    path = document_path(name)
    path.write_bytes(path.read_bytes().replace(b"100,00", b"900,00"))
    report = chain_verify()
    assert not report.ok
    assert name in report.reason
    assert "SHA-256" in report.reason
    path.unlink()
    assert "missing" in chain_verify().reason


def test_events_from_before_the_key_are_reported_as_such_and_sealed_by_the_next():
    from datetime import UTC, datetime

    from relance.apps.audit.models import ChainHead
    from relance.apps.audit.services import GENESIS, EventInput, _digest

    prev = GENESIS
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    for n in range(2):  # as an install before the upgrade wrote them
        e = EventInput("test.old", "invoice", n, None, {"n": n}, "system")
        digest = _digest(prev, at, e, {"n": n}, keyed=False)
        Event.objects.create(
            created_at=at, actor="system", subject_type="invoice", subject_id=n,
            kind="test.old", payload={"n": n}, prev_hash=prev, hash=digest,
        )
        prev = digest
    ChainHead.objects.create(pk=1, last_hash=prev)
    record_three()
    report = chain_verify()
    assert report.ok, report.reason
    assert (report.events, report.unkeyed) == (5, 2)
    first_old = Event.objects.order_by("id").first()
    Event.objects.filter(pk=first_old.pk).update(payload={"n": 99})
    assert chain_verify().first_bad_id == first_old.pk


def test_the_key_file_is_made_once_readable_by_its_owner_only(settings, tmp_path, monkeypatch):
    import stat

    from relance.apps.audit import seal

    monkeypatch.delenv("RELANCE_AUDIT_KEY", raising=False)
    settings.VAR_DIR = tmp_path
    key = seal.audit_key()
    path = tmp_path / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) >= 32
    assert seal.audit_key() == key
    monkeypatch.setenv("RELANCE_AUDIT_KEY", "k" * 40)
    assert seal.audit_key() == b"k" * 40
    monkeypatch.setenv("RELANCE_AUDIT_KEY", "short")
    from relance.domain.errors import ConfigurationError

    with pytest.raises(ConfigurationError):
        seal.audit_key()


def test_the_key_changes_every_mac(monkeypatch):
    record_three()
    monkeypatch.setenv("RELANCE_AUDIT_KEY", "another-key-" + "x" * 30)
    report = chain_verify()
    assert not report.ok
    assert "another audit key" in report.reason


def test_the_admin_changes_no_invoice_payment_or_allocation(client, creditor):
    from django.contrib.auth import get_user_model

    from tests.factories import InvoiceFactory

    invoice = InvoiceFactory(creditor=creditor)
    admin = get_user_model().objects.create_superuser("root", "r@example.fr", "a-long-passphrase-2026")
    client.force_login(admin)
    url = f"/admin/ledger/invoice/{invoice.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert client.post(url, {"number": "CHANGED"}).status_code == 403
    for model in ("invoice", "payment", "allocation"):
        assert client.get(f"/admin/ledger/{model}/add/").status_code == 403
    invoice.refresh_from_db()
    assert invoice.number != "CHANGED"
