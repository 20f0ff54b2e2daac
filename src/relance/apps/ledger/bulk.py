"""Set-based writes for imports of up to a million rows.

The ORM's ``bulk_create`` builds a model instance and prepares every value of every row; at a
million rows that is most of an import's time. These helpers write plain tuples: PostgreSQL's
``COPY`` or one prepared ``executemany`` on SQLite. Values must already be of the column's
type (``Decimal``, ``date``, aware ``datetime``, ``str``, ``int`` or ``None``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import connection

_AS_IS = frozenset({str, int, bool, type(None), float})


def _sqlite_rows(rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """Rows with values as Django stores them in SQLite (dates ISO, decimals as text).

    A million rows hold few distinct dates and timestamps, so their text is computed once.
    """
    seen: dict[Any, Any] = {}

    def adapt(value: Any) -> Any:
        kind = type(value)
        if kind in _AS_IS:
            return value
        if kind is Decimal:
            return str(value)
        found = seen.get(value)
        if found is None:
            if kind is datetime:
                found = connection.ops.adapt_datetimefield_value(value)
            elif kind is date:
                found = value.isoformat()
            else:
                return value
            seen[value] = found
        return found

    return [tuple(map(adapt, row)) for row in rows]


# COPY's text format: backslash escapes for the characters that delimit it.
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_line(row: Sequence[Any]) -> str:
    """One row of COPY text. Building it in Python is several times cheaper than adapting
    each value through psycopg one by one, and dates and timestamps repeat."""
    cells = []
    for value in row:
        kind = type(value)
        if value is None:
            cells.append("\\N")
        elif kind is str:
            cells.append(value.translate(_COPY_ESCAPES))
        elif kind is bool:
            cells.append("t" if value else "f")
        elif kind is datetime:
            cells.append(value.isoformat())
        else:  # int, Decimal, date: their str() is what PostgreSQL reads
            cells.append(str(value))
    return "\t".join(cells) + "\n"


def bulk_insert(table: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Insert ``rows`` into ``table``; returns how many. Runs in the caller's transaction."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # the psycopg cursor under Django's wrapper
            with raw.copy(f"COPY {qn(table)} ({names}) FROM STDIN") as copy:
                buffer: list[str] = []
                for row in rows:
                    buffer.append(_copy_line(row))
                    count += 1
                    if len(buffer) == 5000:
                        copy.write("".join(buffer))
                        buffer.clear()
                if buffer:
                    copy.write("".join(buffer))
            return count
        materialised = _sqlite_rows(rows)
        placeholders = ", ".join(["%s"] * len(columns))
        cursor.executemany(f"INSERT INTO {qn(table)} ({names}) VALUES ({placeholders})", materialised)
        return len(materialised)


def bulk_update(table: str, key: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """``UPDATE table SET columns... WHERE key = row[-1]`` for each row (values first, key last)."""
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(c)} = %s" for c in columns)
    params = _sqlite_rows(rows) if connection.vendor == "sqlite" else [tuple(row) for row in rows]
    if params:
        with connection.cursor() as cursor:
            cursor.executemany(f"UPDATE {qn(table)} SET {sets} WHERE {qn(key)} = %s", params)


def reserve_ids(table: str, count: int) -> list[int]:
    """``count`` fresh primary keys for ``table``, so rows can be written with known ids.

    Knowing the ids up front spares a query to read them back, which inside one long import
    transaction would scan a table the planner still believes empty.
    """
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, count],
            )
            return [row[0] for row in cursor.fetchall()]
        # SQLite: the import holds the write lock (BEGIN IMMEDIATE), so nobody else inserts
        # between this read and our insert. AUTOINCREMENT keeps its own high-water mark.
        cursor.execute(
            f"SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM {connection.ops.quote_name(table)}"
            " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        top = cursor.fetchone()[0] or 0
        return list(range(top + 1, top + count + 1))
