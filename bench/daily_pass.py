"""The daily pass's decision phase over 1,000,000 open invoices and 200,000 debtors.

Rows are generated straight into a fresh database (SQLite and PostgreSQL). The decision phase
(``collection_decide``: the aggregated query, the steps already taken, the scenario engine
per debtor; nothing written, nothing sent) is timed beside a bare SQL scan of the same open
invoices in the same process. Target (issue 4): ≤ 30 s on each database.

    .venv/bin/python bench/daily_pass.py [--invoices 1000000] [--debtors 200000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    fresh_database,
    insert_debtors,
    insert_open_invoices,
    peak_rss_mb,
    postgres_available,
    print_table,
    run_child,
    setup_django,
    timed,
)

AS_OF = date(2026, 6, 30)


def seed(n: int, debtors: int) -> int:
    from django.db import connection

    from relance.apps.creditors.services import creditor_create

    creditor = creditor_create(name="Bench SAS")
    rng = random.Random(4)
    now = "2026-06-30 00:00:00+00"
    kinds = ["business"] * 7 + ["consumer"] * 2 + ["public"]
    with connection.cursor() as cur:
        insert_debtors(
            cur,
            [(creditor.pk, f"C{i:07d}", f"Client {i}", kinds[i % 10], f"c{i}@example.org", now, now) for i in range(debtors)],
        )
        cur.execute("SELECT min(id) FROM ledger_debtor")
        first = cur.fetchone()[0]
        batch = []
        for i in range(n):
            due = AS_OF - timedelta(days=rng.randrange(-30, 120))
            amount = f"{rng.randrange(100, 1_000_000) / 100:.2f}"
            batch.append((creditor.pk, first + rng.randrange(debtors), f"F{i:08d}", due - timedelta(days=30),
                          due, amount, amount, now, now))
            if len(batch) == 50_000:
                insert_open_invoices(cur, batch)
                batch = []
        if batch:
            insert_open_invoices(cur, batch)
        if connection.vendor == "postgresql":
            cur.execute("ANALYZE")
        else:
            cur.execute("ANALYZE")
    return int(creditor.pk)



BARE = "SELECT debtor_id, due_date, open_amount FROM ledger_invoice WHERE creditor_id = %s AND status = 'open'"


def child(args: argparse.Namespace) -> None:
    import json

    setup_django(fresh_database(args.db, "daily_pass"))
    from django.db import connection

    from relance.apps.collection.daily_pass import collection_decide
    from relance.apps.collection.results import RunResult
    from relance.apps.creditors.models import Creditor

    creditor_id = seed(args.invoices, args.debtors)
    creditor = Creditor.objects.get(pk=creditor_id)
    bare_times, decide_times, decisions = [], [], 0
    for _ in range(2):  # best of two for both, in the same process
        with connection.cursor() as cur, timed() as t:
            cur.execute(BARE, [creditor_id])
            rows = 0
            while chunk := cur.fetchmany(20_000):
                rows += len(chunk)
        bare_times.append(t())
        result = RunResult(as_of=AS_OF)
        with timed() as t:
            plan = collection_decide(creditor=creditor, as_of=AS_OF, result=result)
        decide_times.append(t())
        decisions = len(plan.decisions)
    print(json.dumps({"bare": min(bare_times), "decide": min(decide_times), "rows": rows,
                      "debtors": result.cases_evaluated, "decisions": decisions, "rss_mb": peak_rss_mb()}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--debtors", type=int, default=200_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    rows = []
    for db in args.db.split(","):
        if db == "postgres" and not postgres_available():
            continue
        print(f"seeding {args.invoices:,} invoices / {args.debtors:,} debtors into {db} ...", file=sys.stderr)
        r = run_child(Path(__file__), ["--db", db, "--invoices", str(args.invoices), "--debtors", str(args.debtors)])
        ratio = r["decide"] / r["bare"]
        rows.append([db, f"{r['rows']:,}", f"{r['debtors']:,}", f"{r['decisions']:,}", f"{r['bare']:.2f}",
                     f"{r['decide']:.2f}", f"{ratio:.1f}x", f"{r['rss_mb']:.0f}", "yes" if r["decide"] <= 30 else "NO"])
    print_table(rows, ["db", "open invoices", "debtors evaluated", "steps due", "bare scan s", "decision s",
                       "ratio", "peak MB", "target met"])
    print("target: decision phase <= 30 s (ratio: to a bare SQL scan of the same open invoices)")


if __name__ == "__main__":
    main()
