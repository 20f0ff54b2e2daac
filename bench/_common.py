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

REPO = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("RELANCE_BENCH_POSTGRES", "postgresql://postgres@127.0.0.1:5432")


def postgres_available() -> bool:
    import socket

    s = socket.socket()
    s.settimeout(1)
    return s.connect_ex(("127.0.0.1", 5432)) == 0


def fresh_database(kind: str, name: str) -> str:
    """A URL to an empty database of ``kind`` (sqlite or postgres)."""
    if kind == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="relance-bench-"))
        return f"sqlite:///{folder / (name + '.sqlite3')}"
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{PG_SERVER}/{name}"


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


def insert_open_invoices(cur: Any, rows: list[tuple[Any, ...]]) -> None:
    """Open EUR invoices straight into the ledger table: (creditor_id, debtor_id, number,
    issue_date, due_date, total_amount, open_amount, created_at, updated_at) per row."""
    cur.executemany(
        "INSERT INTO ledger_invoice (creditor_id, debtor_id, number, issue_date, due_date, currency,"
        " total_amount, open_amount, status, pdf, source_line, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, %s, 'EUR', %s, %s, 'open', '', NULL, %s, %s)",
        rows,
    )
