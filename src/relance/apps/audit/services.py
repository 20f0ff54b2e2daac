"""Appending to and verifying the hash-chained audit trail."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.utils import timezone

from relance.apps.audit.models import ChainHead, Event
from relance.apps.ledger.bulk import bulk_insert

GENESIS = "0" * 64


@dataclass(frozen=True)
class EventInput:
    kind: str
    subject_type: str
    subject_id: int | None = None
    creditor_id: int | None = None
    payload: Mapping[str, Any] | None = None
    actor: str = "system"


def _canonical(payload: Mapping[str, Any] | None) -> dict[str, Any]:
    # What is stored must be exactly what was hashed: Decimals and dates become strings first.
    result: dict[str, Any] = json.loads(json.dumps(payload or {}, cls=DjangoJSONEncoder))
    return result


def _digest(prev_hash: str, at: datetime, e: EventInput, payload: dict[str, Any]) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": at.isoformat(),
            "actor": e.actor,
            "creditor": e.creditor_id,
            "subject": [e.subject_type, e.subject_id],
            "kind": e.kind,
            "payload": payload,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(body.encode()).hexdigest()


_COLUMNS = (
    "created_at",
    "actor",
    "creditor_id",
    "subject_type",
    "subject_id",
    "kind",
    "payload",
    "prev_hash",
    "hash",
)


def _insert(rows: list[list[Any]]) -> None:
    """The events, in order (their ids follow the chain), through the project's bulk path:
    binary COPY on PostgreSQL (psycopg re-parsed multi-row INSERTs of tens of thousands of
    values), INSERTs of as many rows as SQLite's real variable limit allows elsewhere (not
    Django's 999). Their values go straight in: ``bulk_create`` compiled each value of each
    row through the ORM, which cost more than hashing the events."""
    bulk_insert(Event._meta.db_table, _COLUMNS, rows)  # plain fields: the names are the columns


def events_record(*, events: Iterable[EventInput], at: datetime | None = None) -> int:
    """Append events to the chain, in order, atomically. Returns how many were written."""
    moment = at or timezone.now()
    created_at = Event._meta.get_field("created_at").get_db_prep_save(moment, connection)
    # COPY's jsonb writer takes the payload itself; SQLite stores the field's JSON text.
    to_json = (
        Event._meta.get_field("payload").get_db_prep_save
        if connection.vendor == "sqlite"
        else lambda payload, _connection: payload
    )
    with transaction.atomic():
        head = ChainHead.objects.select_for_update().filter(pk=1).first()
        if head is None:
            head = ChainHead.objects.create(pk=1, last_hash=GENESIS)
        prev = head.last_hash
        rows = []
        for e in events:
            payload = _canonical(e.payload)
            digest = _digest(prev, moment, e, payload)
            rows.append(
                [
                    created_at,
                    e.actor,
                    e.creditor_id,
                    e.subject_type,
                    e.subject_id,
                    e.kind,
                    to_json(payload, connection),
                    prev,
                    digest,
                ]
            )
            prev = digest
        if rows:
            _insert(rows)
            ChainHead.objects.filter(pk=1).update(last_hash=prev)
        return len(rows)


def event_record(
    *,
    kind: str,
    subject_type: str,
    subject_id: int | None = None,
    creditor_id: int | None = None,
    payload: Mapping[str, Any] | None = None,
    actor: str = "system",
    at: datetime | None = None,
) -> None:
    events_record(
        events=[EventInput(kind, subject_type, subject_id, creditor_id, payload, actor)], at=at
    )


@dataclass(frozen=True)
class ChainReport:
    events: int
    ok: bool
    first_bad_id: int | None = None
    reason: str = ""


def chain_verify() -> ChainReport:
    """Recompute every hash in order; the first event that does not fit is reported."""
    prev = GENESIS
    count = 0
    for ev in Event.objects.order_by("id").iterator(chunk_size=5000):
        count += 1
        if ev.prev_hash != prev:
            return ChainReport(
                count, False, ev.id, "previous hash does not match (event removed or reordered)"
            )
        e = EventInput(
            ev.kind, ev.subject_type, ev.subject_id, ev.creditor_id, ev.payload, ev.actor
        )
        if _digest(prev, ev.created_at, e, ev.payload) != ev.hash:
            return ChainReport(
                count, False, ev.id, "content does not match its hash (event altered)"
            )
        prev = ev.hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        return ChainReport(count, False, None, "the last events were removed")
    return ChainReport(count, True)
