"""The daily pass on the shape Relance was measured on beside Tryton's ``account_dunning``.

The peer harness's data (../shared/peers/tryton): N business customers with 5 open invoices
each (amounts 100 to 104), maturities spread round-robin over the 90 days before the as-of
date 2025-06-30, and a 3-level procedure (3, 15 and 35 days overdue; here three e-mail steps,
the channel Tryton's dunning levels leave to a letter run). Relance's pass (cases, actions,
audit events; nothing sent, the e-mails then marked sent untimed) is timed four times, in CPU seconds of this process (SQLite runs
inside it; on PostgreSQL the server's own CPU is not counted, so wall seconds are printed too):
the first pass, the same day again, the next day, and 20 days later.

When the peer's setup has been run (``BENCH_DIR=... bash ../shared/peers/tryton/setup.sh``;
its venv found under ``$TRYTON_BENCH_DIR``, default /tmp/tryton_dunning_bench), Tryton's
``generate_dunnings`` runs on the same number of customers in the same invocation (its own
harness, which times wall seconds of a single-threaded process) and the ratios are printed.

    .venv/bin/python bench/peer_shape.py [--customers 20000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    REPO,
    fresh_database,
    insert_debtors,
    insert_open_invoices,
    postgres_available,
    print_table,
    run_child,
    setup_django,
)

AS_OF = date(2025, 6, 30)
LINES = 5
PEER = REPO.parent / "shared" / "peers" / "tryton" / "bench_tryton_dunning.py"
TRYTON_DIR = Path(
    os.environ.get("TRYTON_BENCH_DIR", Path(tempfile.gettempdir()) / "tryton_dunning_bench")
)
SCENARIO = """
[scenario]
name = "Three levels"
debtor_kinds = ["business"]

[[steps]]
key = "level_1"
offset_days = 3
channel = "email"
template = "reminder"

[[steps]]
key = "level_2"
offset_days = 15
channel = "email"
template = "reminder"

[[steps]]
key = "level_3"
offset_days = 35
channel = "email"
template = "reminder"
"""
RUNS = (("first pass", 0), ("same day again", 0), ("next day", 1), ("+20 days", 20))


def seed(customers: int) -> int:
    from django.db import connection

    from relance.apps.collection.scenarios import scenario_import
    from relance.apps.creditors.services import creditor_create

    scenario_import(text=SCENARIO, is_default=True)
    creditor = creditor_create(name="Bench SAS")
    now = "2025-06-30 00:00:00+00"
    with connection.cursor() as cur:
        insert_debtors(cur, [(creditor.pk, f"C{i:07d}", f"Client {i}", "business",
                              f"c{i}@example.org", now, now) for i in range(customers)])
        cur.execute("SELECT min(id) FROM ledger_debtor")
        first = cur.fetchone()[0]
        batch = []
        for k in range(customers * LINES):
            due = AS_OF - timedelta(days=1 + k % 90)
            amount = f"{100 + k % LINES}.00"
            batch.append((creditor.pk, first + k // LINES, f"F{k:08d}", due - timedelta(days=30),
                          due, amount, amount, now, now))
            if len(batch) == 50_000:
                insert_open_invoices(cur, batch)
                batch = []
        if batch:
            insert_open_invoices(cur, batch)
        cur.execute("ANALYZE")
    return int(creditor.pk)


def child(args: argparse.Namespace) -> None:
    setup_django(fresh_database(args.db, "peer_shape"))
    from django.utils import timezone

    from relance.apps.collection.daily_pass import collection_run
    from relance.apps.collection.models import Action
    from relance.apps.creditors.models import Creditor

    creditor = Creditor.objects.get(pk=seed(args.customers))
    out = {}
    for name, days in RUNS:
        cpu, wall = time.process_time(), time.perf_counter()
        result = collection_run(as_of=AS_OF + timedelta(days=days), creditor=creditor,
                                dispatch=False, actor="bench")
        out[name] = {"cpu": time.process_time() - cpu, "wall": time.perf_counter() - wall,
                     "planned": result.actions["planned"]}
        # The e-mails count as sent (untimed), as Tryton's "process" moves its dunnings on:
        # a step still waiting to go out holds its case's next one.
        Action.objects.filter(state=Action.State.PLANNED).update(
            state=Action.State.SENT, sent_at=timezone.now()
        )
    print(json.dumps(out))


def tryton(customers: int) -> dict[str, float] | None:
    python = TRYTON_DIR / "venv" / "bin" / "python"
    if not python.exists() or not PEER.exists():
        return None
    proc = subprocess.run(
        [str(python), "-O", str(PEER), "--one", str(customers)],
        capture_output=True, text=True, check=False,
        env={**os.environ, "BENCH_DIR": str(TRYTON_DIR)},
    )
    if proc.returncode != 0:
        print(f"tryton failed:\n{proc.stderr[-2000:]}", file=sys.stderr)
        return None
    r = json.loads(proc.stdout.strip().splitlines()[-1])
    return {"first pass": r["generate_s"], "+20 days": r["rerun_plus20d_s"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    peer = tryton(args.customers)
    rows = []
    for db in args.db.split(","):
        if db == "postgres" and not postgres_available():
            continue
        print(f"seeding {args.customers:,} customers x {LINES} invoices into {db} ...",
              file=sys.stderr)
        r = run_child(Path(__file__), ["--db", db, "--customers", str(args.customers)])
        for name, _ in RUNS:
            t = r[name]
            ratio = f"{peer[name] / t['cpu']:.1f}x" if peer and name in peer else "-"
            rows.append([db, name, f"{t['planned']:,}", f"{t['cpu']:.2f}", f"{t['wall']:.2f}",
                         f"{peer[name]:.2f}" if peer and name in peer else "-", ratio])
    print_table(rows, ["db", "run", "actions planned", "Relance CPU s", "Relance wall s",
                       "Tryton s", "Tryton / Relance CPU"])
    if peer is None:
        print(f"Tryton not measured: run ../shared/peers/tryton/setup.sh (BENCH_DIR={TRYTON_DIR})")
    print("target (issue 20): first pass >= 10x faster than Tryton in CPU on both databases")


if __name__ == "__main__":
    main()
