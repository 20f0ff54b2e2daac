"""Appending to and verifying the hash-chained audit trail.

Each event's hash is an HMAC-SHA256 under the audit key (``seal``: not in the database) of the
event and the previous hash; after each commit the chain's head is appended to the checkpoint
file (also ``seal``). ``chain_verify`` checks the chain, the checkpoints and every stored
document an event recorded with its SHA-256.

Upgrade path: events written before the key existed keep their plain SHA-256 hashes (never
re-signed: rewriting history is what the trail must show never happens). ``chain_verify``
checks them as such and reports how many there are; the first keyed event's MAC covers the
last of them, so once it exists they cannot be rewritten unseen either. A plain event after a
keyed one is a forgery.
"""

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

from relance.apps.audit import seal
from relance.apps.audit.documents import document_path
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


def _digest(
    prev_hash: str, at: datetime, e: EventInput, payload: dict[str, Any], *, keyed: bool = True
) -> str:
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
    if keyed:
        return seal.mac(body.encode())
    return hashlib.sha256(body.encode()).hexdigest()  # an event from before the key


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
    "keyed",
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
        # Two first writers (two creditors' first imports) both find no head: get_or_create
        # lets the second wait for the first's row and take it, then both queue on its lock.
        ChainHead.objects.get_or_create(pk=1, defaults={"last_hash": GENESIS})
        head = ChainHead.objects.select_for_update().get(pk=1)
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
                    True,
                ]
            )
            prev = digest
        if rows:
            _insert(rows)
            ChainHead.objects.filter(pk=1).update(last_hash=prev)
            last_id = Event.objects.filter(hash=prev).values_list("pk", flat=True).get()
            transaction.on_commit(lambda: seal.checkpoint_append(last_id, prev))
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
    unkeyed: int = 0  # events from before the audit key: checked by SHA-256 only
    documents: int = 0  # stored documents re-hashed
    checkpoints: int = 0  # checkpoint lines checked


def chain_verify() -> ChainReport:
    """Recompute every MAC in order, check the checkpoints outside the database, then re-hash
    every stored document an event recorded; the first thing that does not fit is reported."""
    prev = GENESIS
    count = unkeyed = 0
    seen_keyed = False
    marks = list(seal.checkpoints_read())
    wanted = {m.event_id for m in marks if m.valid}
    found: dict[int, str] = {}
    documents: dict[str, tuple[str, int]] = {}
    for ev in Event.objects.order_by("id").iterator(chunk_size=5000):
        count += 1
        if ev.prev_hash != prev:
            return ChainReport(
                count, False, ev.id, "previous hash does not match (event removed or reordered)"
            )
        if not ev.keyed:
            if seen_keyed:
                return ChainReport(
                    count, False, ev.id, "an unkeyed event after keyed ones (event forged)"
                )
            unkeyed += 1
        seen_keyed = seen_keyed or ev.keyed
        e = EventInput(
            ev.kind, ev.subject_type, ev.subject_id, ev.creditor_id, ev.payload, ev.actor
        )
        if _digest(prev, ev.created_at, e, ev.payload, keyed=ev.keyed) != ev.hash:
            return ChainReport(
                count,
                False,
                ev.id,
                "content does not match its hash (event altered, or signed with another audit key)",
            )
        if ev.id in wanted:
            found[ev.id] = ev.hash
        name, digest = ev.payload.get("document"), ev.payload.get("sha256")
        if isinstance(name, str) and isinstance(digest, str) and name:
            documents.setdefault(name, (digest, ev.id))
        prev = ev.hash
    head = ChainHead.objects.filter(pk=1).first()
    if head is not None and head.last_hash != prev:
        return ChainReport(count, False, None, "the last events were removed")
    for mark in marks:
        if not mark.valid:
            return ChainReport(
                count, False, None, f"checkpoint line {mark.line} was altered ({seal.checkpoints_file()})"
            )
        if mark.event_id not in found:
            return ChainReport(
                count,
                False,
                None,
                f"event {mark.event_id}, checkpointed outside the database, is missing"
                " (the last events were removed)",
            )
        if found[mark.event_id] != mark.digest:
            return ChainReport(
                count, False, mark.event_id, "the event differs from its checkpoint (event altered)"
            )
    for name, (digest, event_id) in documents.items():
        try:
            data = document_path(name).read_bytes()
        except OSError:
            return ChainReport(count, False, event_id, f"the stored document {name} is missing")
        if hashlib.sha256(data).hexdigest() != digest:
            return ChainReport(
                count,
                False,
                event_id,
                f"the stored document {name} does not match its recorded SHA-256 (document altered)",
            )
    return ChainReport(
        count, True, unkeyed=unkeyed, documents=len(documents), checkpoints=len(marks)
    )
