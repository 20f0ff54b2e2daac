"""Set-based writes for imports of up to a million rows.

The ORM's ``bulk_create`` builds a model instance and prepares every value of every row; at a
million rows that is most of an import's time. These helpers write plain tuples: PostgreSQL's
``COPY``, or INSERTs of many rows each on SQLite. Values must already be of the column's type
(``Decimal``, ``date``, aware ``datetime``, ``str``, ``int``, ``bool`` or ``None``); dates
and timestamps are cheapest as ``date_value`` and ``timestamp_value`` give them.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from django.db import DatabaseError, connection, transaction

_SQLITE_ROWS_PER_INSERT = 500


def _sqlite_rows(rows: Iterable[Sequence[Any]]) -> list[Sequence[Any]]:
    """Rows with values as Django stores them in SQLite (dates ISO, timestamps naive).

    ``sqlite3`` takes ``str``, ``int``, ``float`` and ``None`` as they are, and the adapter
    Django registers for ``Decimal`` (``str``) runs in C: those values pass untouched. Dates
    and timestamps need a Python call each (and timestamps Django's own text, in the
    connection's time zone, which the ``datetime`` adapter would not give); a million rows
    hold few distinct ones, so the columns holding them are found from the first row (and,
    where it has ``None``, from every row) and each distinct value is converted once.
    """
    rows = rows if isinstance(rows, list) else list(rows)
    if not rows:
        return rows
    kinds = (date, datetime)
    columns = [
        i
        for i, value in enumerate(rows[0])
        if type(value) in kinds or (value is None and any(type(row[i]) in kinds for row in rows))
    ]
    if not columns:
        return rows
    text: dict[Any, Any] = {}
    known = text.get
    adapt = connection.ops.adapt_datetimefield_value
    out: list[Sequence[Any]] = []
    for row in rows:
        cells = list(row)
        for i in columns:
            value = cells[i]
            found = known(value)
            if found is None:
                kind = type(value)
                if kind is datetime:
                    found = text[value] = adapt(value)
                elif kind is date:
                    found = text[value] = value.isoformat()
                else:
                    continue
            cells[i] = found
        out.append(cells)
    return out


def timestamp_value(value: datetime) -> Any:
    """An aware timestamp as ``bulk_insert`` takes it cheapest: Django's text for it on
    SQLite, the timestamp itself for PostgreSQL's binary COPY. An import stamps every row of
    a chunk alike: one conversion spares one per row."""
    if connection.vendor == "sqlite":
        return str(connection.ops.adapt_datetimefield_value(value))
    return value


def date_value(value: date) -> Any:
    """A date as ``bulk_insert`` takes it cheapest: ISO text on SQLite (what Django stores),
    the date itself for PostgreSQL's binary COPY. Callers convert each distinct date once."""
    return value.isoformat() if connection.vendor == "sqlite" else value


# PostgreSQL type names of the columns written by COPY, per database and table.
_column_types: dict[tuple[str, str], dict[str, str]] = {}


def _copy_types(table: str, columns: Sequence[str]) -> list[str]:
    key = (str(connection.settings_dict["NAME"]), table)
    types = _column_types.get(key)
    if types is None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT a.attname, t.typname FROM pg_attribute a"
                " JOIN pg_type t ON t.oid = a.atttypid"
                " WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped",
                [table],
            )
            types = _column_types[key] = dict(cursor.fetchall())
    return [types[c] for c in columns]


def _copy(table: str, names: str, types: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    count = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        # Binary COPY: psycopg writes each row in C, and the server reads numbers, dates
        # and timestamps without parsing text (the larger part of its COPY work).
        qn = connection.ops.quote_name
        with raw.copy(f"COPY {qn(table)} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
            copy.set_types(types)
            write = copy.write_row
            for row in rows:
                write(row)
                count += 1
    return count


def bulk_insert(
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    ignore_conflicts: bool = False,
) -> int:
    """Insert ``rows`` into ``table``; returns how many were given. Runs in the caller's
    transaction. ``ignore_conflicts``: a row that breaks a unique constraint is left out, as
    ``bulk_create(ignore_conflicts=True)`` does (on PostgreSQL the rows are copied into a
    temporary table first, then inserted ``ON CONFLICT DO NOTHING``)."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(c) for c in columns)
    count = 0
    if connection.vendor == "postgresql" and ignore_conflicts:
        staging = f"relance_staging_{table}"
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {qn(staging)}")
            cursor.execute(
                f"CREATE TEMPORARY TABLE {qn(staging)} AS SELECT {names} FROM {qn(table)} WITH NO DATA"
            )
            count = _copy(staging, names, _copy_types(table, columns), rows)
            cursor.execute(
                f"INSERT INTO {qn(table)} ({names}) SELECT {names} FROM {qn(staging)}"
                " ON CONFLICT DO NOTHING"
            )
            cursor.execute(f"DROP TABLE {qn(staging)}")
        return count
    if connection.vendor == "postgresql":
        return _copy(table, names, _copy_types(table, columns), rows)
    with connection.cursor() as cursor:
        # Rows go many to a statement: each statement on an AUTOINCREMENT table also reads and
        # writes sqlite_sequence, and runs its own setup, which one-row statements repeat a
        # million times (a third of the insert's time). The statement is written in SQLite's
        # own "?" style and run on the sqlite3 cursor: Django's wrapper would rewrite its
        # thousands of "%s" with a regular expression, every time.
        materialised = _sqlite_rows(rows)
        variables = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        per_statement = max(1, min(_SQLITE_ROWS_PER_INSERT, variables // len(columns)))
        verb = "INSERT OR IGNORE" if ignore_conflicts else "INSERT"
        head = f"{verb} INTO {qn(table)} ({names}) VALUES "
        row_marks = "(" + ", ".join(["?"] * len(columns)) + ")"
        full = head + ", ".join([row_marks] * per_statement)
        flat = itertools.chain.from_iterable
        execute = functools.partial(sqlite3.Cursor.execute, cursor.cursor)
        for start in range(0, len(materialised), per_statement):
            part = materialised[start : start + per_statement]
            sql = full if len(part) == per_statement else head + ", ".join([row_marks] * len(part))
            execute(sql, list(flat(part)))
        return len(materialised)


def bulk_update(
    table: str, key: str, columns: Sequence[str], rows: Iterable[Sequence[Any]]
) -> None:
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
            # One round trip (an import makes hundreds). The sequence is named once, in a
            # materialised CTE: pg_get_serial_sequence beside nextval would run for every id
            # (20 s of a million-row import). One array rather than a row per id: psycopg
            # reads it in C.
            cursor.execute(
                "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, 'id')::regclass AS seq)"
                " SELECT array_agg(nextval(s.seq)) FROM s, generate_series(1, %s)",
                [table, count],
            )
            return list(cursor.fetchone()[0])
        # SQLite: the import holds the write lock (BEGIN IMMEDIATE), so nobody else inserts
        # between this read and our insert. AUTOINCREMENT keeps its own high-water mark.
        cursor.execute(
            f"SELECT MAX(m) FROM (SELECT MAX(id) AS m FROM {connection.ops.quote_name(table)}"
            " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s)",
            [table],
        )
        top = cursor.fetchone()[0] or 0
        return list(range(top + 1, top + count + 1))


def foreign_key_checks_off() -> bool:
    """Turn PostgreSQL's foreign-key checks off until the transaction ends, if the role may.

    They are row triggers, which ``session_replication_role = replica`` keeps from firing:
    a million invoices queue three million checks, each a query of its own at commit (half
    of the server's time in an import). Only a superuser sets it, or a role granted it
    (``GRANT SET ON PARAMETER session_replication_role TO ...``, PostgreSQL 15+). Returns
    whether the checks are off; the caller must then guarantee every reference it writes
    (Relance has no other triggers). Does nothing on other databases.
    """
    if connection.vendor != "postgresql":
        return False
    try:
        with transaction.atomic(), connection.cursor() as cursor:  # a savepoint to fail in
            cursor.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError:
        return False
    return True


def drop_secondary_indexes(table: str) -> list[str]:
    """Drop ``table``'s indexes that enforce nothing; return the statements that rebuild them.

    Inserting a million rows into B-trees ordered by random keys (dates, debtors, names)
    costs more than all else in an import, and the cost per row grows with the table;
    building an index afterwards sorts its keys once. Unique indexes stay: they enforce
    constraints and serve the import's own lookups. Call only inside the transaction that
    writes the rows and rebuilds the indexes (``create_indexes``), so that a rollback restores
    them and other connections never see the table without them: SQLite's readers keep their
    snapshot; PostgreSQL's wait for the commit (DROP INDEX locks the table).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE i.indrelid = %s::regclass AND NOT i.indisunique"
                " AND NOT i.indisprimary AND NOT i.indisexclusion ORDER BY c.relname",
                [table],
            )
            found = cursor.fetchall()
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s"
                " AND sql IS NOT NULL ORDER BY name",
                [table],
            )
            found = [
                (name, sql)
                for name, sql in cursor.fetchall()
                if not sql.lstrip().upper().startswith("CREATE UNIQUE")
            ]
        for name, _ in found:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [sql for _, sql in found]


# SQLite sorts an index's keys in runs of at most the page cache's size, merged at the end,
# unless temporary storage is in memory: then it sorts them all as one linked list, whose merges
# miss the CPU's caches at every step. Runs of 4 MB in temporary files (which stay in the OS's
# cache) cost a third less CPU on a million invoices.
_SORT_RUN_KIB = 4096


@contextmanager
def sorting_in_runs() -> Iterator[None]:
    """Let ``create_indexes`` sort in runs: temporary storage in files while inside.

    SQLite changes temporary storage only outside a transaction (once the connection has
    used it): enter this before the import's transaction. Elsewhere it does nothing.
    """
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA temp_store")
        (before,) = cursor.fetchone()
        cursor.execute("PRAGMA temp_store = FILE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA temp_store = {int(before)}")


def create_indexes(statements: Sequence[str]) -> None:
    """Run the statements ``drop_secondary_indexes`` returned (see ``sorting_in_runs``)."""
    if not statements:
        return
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # PostgreSQL builds no index on a table with foreign-key checks still pending:
            # run them now, then defer the next ones again (Django's constraints are all
            # DEFERRABLE INITIALLY DEFERRED).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for sql in statements:
                cursor.execute(sql)
            return
        cursor.execute("PRAGMA cache_size")
        (cache_size,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-_SORT_RUN_KIB}")
        try:
            for sql in statements:
                cursor.execute(sql)
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(cache_size)}")
