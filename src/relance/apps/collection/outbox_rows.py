"""The outbox's statements on the actions' rows (``relance.apps.collection.dispatch``).

``rows_write`` saves the claimed rows with one prepared ``UPDATE`` run for all of them;
``rows_hand_over`` is the one write exactly-once needs: the hand-over of a group, committed
durably before the transport writes the group's final dots, matching only the rows still
``sending`` under the claim that took them; ``rows_accept`` records the server's 250 to those
dots, the one thing that lets a row be ``sent``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field
from django.utils import timezone

from relance.apps.collection.models import Action


def rows_write(actions: list[Action], names: Iterable[str]) -> None:
    """Save ``names`` of each action: one prepared ``UPDATE … WHERE id = %s`` run for all rows
    (``bulk_update``'s ``CASE WHEN`` over 15 columns costs more than the rest of the claim)."""
    fields = [cast("Field[Any, Any]", Action._meta.get_field(n)) for n in names]
    qn = connection.ops.quote_name
    columns = ", ".join(f"{qn(f.column)} = %s" for f in fields)
    sql = f"UPDATE {qn(Action._meta.db_table)} SET {columns} WHERE {qn('id')} = %s"  # noqa: S608 (names from the model)
    rows = [
        [f.get_db_prep_save(getattr(a, f.attname), connection) for f in fields] + [a.pk]
        for a in actions
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def rows_hand_over(pks: list[int], *, owner: str, lease: datetime) -> set[int]:
    """Record, durably, the hand-over of the actions ``pks``: one statement (its own
    transaction outside an atomic block), matching only rows still ``sending`` under the claim
    of ``owner`` and ``lease``. Returns the pks recorded."""
    if not pks:
        return set()
    qn = connection.ops.quote_name
    prep = Action._meta.get_field("handed_over_at").get_db_prep_save
    where = " AND ".join(f"{qn(c)} = %s" for c in ("state", "claimed_by", "next_attempt_at"))
    params = [
        prep(timezone.now(), connection),
        Action.State.SENDING,
        owner,
        prep(lease, connection),
    ]
    update = f"UPDATE {qn(Action._meta.db_table)} SET {qn('handed_over_at')} = %s WHERE {where}"  # noqa: S608 (names from the model)
    with connection.cursor() as cursor:
        if (
            connection.features.can_return_columns_from_insert
        ):  # RETURNING: PostgreSQL, SQLite >= 3.35
            marks = ", ".join(["%s"] * len(pks))
            cursor.execute(
                f"{update} AND {qn('id')} IN ({marks}) RETURNING {qn('id')}",
                [*params, *pks],
            )
            return {pk for (pk,) in cursor.fetchall()}
        recorded = set()
        with transaction.atomic():
            for pk in pks:
                cursor.execute(f"{update} AND {qn('id')} = %s", [*params, pk])
                if cursor.rowcount == 1:
                    recorded.add(pk)
        return recorded


def rows_accept(pks: list[int], *, owner: str, lease: datetime) -> None:
    """Record that the server answered 250 to the end of the DATA of the actions ``pks``
    (handed over under the claim of ``owner`` and ``lease``): only such a row is ever ``sent``.

    Not durable on purpose (PostgreSQL's ``synchronous_commit`` off for this one transaction):
    a crash that loses it leaves the row ``uncertain``, which is true, never ``sent`` wrongly;
    and it spares the group a second WAL flush."""
    if not pks:
        return
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        Action.objects.filter(
            pk__in=pks,
            state=Action.State.SENDING,
            claimed_by=owner,
            next_attempt_at=lease,
            handed_over_at__isnull=False,
        ).update(accepted_at=timezone.now())
