"""Aging over 1,000,000 open invoices, beside a bare SQL GROUP BY of the same rows.

Rows are generated straight into a fresh database (SQLite and PostgreSQL). Targets (issue 2):
the aging report ≤ 3 s and ≤ 3× the bare GROUP BY, measured in the same process.

    .venv/bin/python bench/aging.py [--invoices 1000000] [--db sqlite,postgres]
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
    postgres_available,
    print_table,
    run_child,
    setup_django,
    timed,
)

AS_OF = date(2026, 6, 30)


def seed(n: int) -> int:
    from django.db import connection

    from relance.apps.creditors.services import creditor_create

    creditor = creditor_create(name="Bench SAS")
    rng = random.Random(3)
    debtors = max(1, n // 5)
    now = "2026-06-30 00:00:00+00"
    with connection.cursor() as cur:
        insert_debtors(
            cur, [(creditor.pk, f"C{i:07d}", f"Client {i}", "business", "", now, now) for i in range(debtors)]
        )
        cur.execute("SELECT min(id) FROM ledger_debtor")
        first = cur.fetchone()[0]
        batch = []
        for i in range(n):
            due = AS_OF - timedelta(days=rng.randrange(-60, 400))
            amount = f"{rng.randrange(100, 1_000_000) / 100:.2f}"
            batch.append((creditor.pk, first + rng.randrange(debtors), f"F{i:08d}", due - timedelta(days=30),
                          due, amount, amount, now, now))
            if len(batch) == 50_000:
                insert_open_invoices(cur, batch)
                batch = []
        if batch:
            insert_open_invoices(cur, batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE ledger_invoice")
    return int(creditor.pk)



BARE = """
SELECT currency,
       CASE WHEN due_date >= %s THEN 'not_due' WHEN due_date >= %s THEN '1_30'
            WHEN due_date >= %s THEN '31_60' WHEN due_date >= %s THEN '61_90' ELSE 'over_90' END AS bucket,
       SUM(open_amount), COUNT(*)
FROM ledger_invoice WHERE creditor_id = %s AND status = 'open' GROUP BY 1, 2
"""


def child(args: argparse.Namespace) -> None:
    import json

    setup_django(fresh_database(args.db, "aging"))
    from django.db import connection

    from relance.apps.creditors.models import Creditor
    from relance.apps.ledger.selectors import aging_report

    creditor_id = seed(args.invoices)
    creditor = Creditor.objects.get(pk=creditor_id)
    cut = [AS_OF - timedelta(days=d) for d in (0, 30, 60, 90)]
    bare_times, report_times = [], []
    for _ in range(3):  # best of three for both, in the same process
        with connection.cursor() as cur, timed() as t:
            cur.execute(BARE, [*cut, creditor_id])
            cur.fetchall()
        bare_times.append(t())
        with timed() as t:
            aging_report(creditor=creditor, as_of=AS_OF)
        report_times.append(t())
    print(json.dumps({"bare": min(bare_times), "report": min(report_times)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
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
        print(f"seeding {args.invoices:,} invoices into {db} ...", file=sys.stderr)
        r = run_child(Path(__file__), ["--db", db, "--invoices", str(args.invoices)])
        ratio = r["report"] / r["bare"]
        rows.append([db, f"{args.invoices:,}", f"{r['bare']:.2f}", f"{r['report']:.2f}", f"{ratio:.2f}x",
                     "yes" if r["report"] <= 3 and ratio <= 3 else "NO"])
    print_table(rows, ["db", "open invoices", "bare GROUP BY s", "aging report s", "ratio", "target met"])
    print("targets: aging <= 3 s and <= 3x the bare GROUP BY over the same rows")


if __name__ == "__main__":
    main()
