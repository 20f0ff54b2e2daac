"""Helpers shared by the benchmarks: fresh databases, timing, peak memory, a result table."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parents[1]
# The server, its host and port included: the benches ask nothing of 5432 but through this.
PG_SERVER = os.environ.get("RELANCE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")
# Every database a bench creates is named <prefix>_<bench>_<pid>_<random>, so two runs on one
# server (two people, or two benches at once) never drop each other's database.
DB_PREFIX = os.environ.get("RELANCE_BENCH_DB_PREFIX", "relance_bench")


def postgres_available() -> bool:
    import socket

    address = urlsplit(PG_SERVER)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address.hostname or "127.0.0.1", address.port or 5432)) == 0


def database_name(name: str) -> str:
    """``name`` under the run's prefix, with a suffix no other run shares."""
    return f"{DB_PREFIX}_{name}_{os.getpid()}_{os.urandom(3).hex()}"


def fresh_database(kind: str, name: str, *, keep: bool = False) -> str:
    """A URL to an empty database of ``kind`` (sqlite or postgres).

    A PostgreSQL database is given a name of its own (``database_name``) and dropped when the
    process ends; ``keep`` creates ``name`` itself and leaves it (``bench/web.py --reuse``).
    """
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="relance-bench-"))
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    import atexit

    import psycopg

    db = name if keep else database_name(name)
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        if keep:
            conn.execute(f'DROP DATABASE IF EXISTS "{db}"')
        conn.execute(f'CREATE DATABASE "{db}"')
    if not keep:
        atexit.register(_drop_database, db)
    return f"{PG_SERVER}/{db}"


def _drop_database(name: str) -> None:
    import psycopg

    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def setup_django(url: str) -> None:
    os.environ["RELANCE_DATABASE_URL"] = url
    os.environ.setdefault("RELANCE_SECRET_KEY", "relance-bench-only-secret-key-not-for-production")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    start = time.perf_counter()
    end: list[float] = []
    yield lambda: (end[0] if end else time.perf_counter()) - start
    end.append(time.perf_counter())


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_child(script: Path, args: list[str]) -> dict[str, Any]:
    """Run a measurement in a fresh process (its own peak memory) and read its JSON line."""
    proc = subprocess.run(
        [sys.executable, str(script), "--child", *args],
        capture_output=True, text=True, cwd=REPO, check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stdout}\n{proc.stderr}")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def print_table(rows: list[list[Any]], headers: list[str]) -> None:
    cells = [headers] + [[str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    for n, r in enumerate(cells):
        print("  ".join(c.rjust(widths[i]) for i, c in enumerate(r)))
        if n == 0:
            print("  ".join("-" * w for w in widths))


def insert_batch(cur: Any, sql: str, rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` in one transaction: in autocommit, SQLite commits (and syncs) each row."""
    from django.db import transaction

    with transaction.atomic():
        cur.executemany(sql, rows)


def insert_debtors(cur: Any, rows: list[tuple[Any, ...]]) -> None:
    """Business debtors straight into the ledger table, in one transaction: (creditor_id,
    account, name, kind, email, created_at, updated_at) per row."""
    insert_batch(
        cur,
        "INSERT INTO ledger_debtor (creditor_id, account, name, kind, siren, email, phone, address,"
        " postal_code, city, country, language, is_do_not_contact, is_legal_hold, notes, created_at,"
        " updated_at) VALUES (%s, %s, %s, %s, '', %s, '', '', '', '', 'FR', 'fr', false, false, '',"
        " %s, %s)",
        rows,
    )


def insert_open_invoices(cur: Any, rows: list[tuple[Any, ...]]) -> None:
    """Open EUR invoices straight into the ledger table, one transaction per call: (creditor_id,
    debtor_id, number, issue_date, due_date, total_amount, open_amount, created_at, updated_at)
    per row."""
    insert_batch(
        cur,
        "INSERT INTO ledger_invoice (creditor_id, debtor_id, number, kind, credit_note_for,"
        " issue_date, due_date, currency, total_amount, open_amount, status, pdf, source_line,"
        " created_at, updated_at)"
        " VALUES (%s, %s, %s, 'invoice', '', %s, %s, 'EUR', %s, %s, 'open', '', NULL, %s, %s)",
        rows,
    )
