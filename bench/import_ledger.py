"""Ledger import speed and memory: a 1,000,000-line FEC and a 1,000,000-row CSV.

Each file is imported into a fresh SQLite and a fresh PostgreSQL database, each in its own
process (so peak memory is the import's own). The baseline is a bare ``csv``-module parse of
the same file in the same process. Targets (issue 2): each import ≤ 60 s, peak ≤ 1 GB, ≤ 8×
the bare parse.

A second figure, the database's floor, says what part of the import no parser can save: the
rows the import wrote (debtors, invoices, allocations), already in memory as the database
returns them, written again by the bare fastest path into empty copies of the same tables
(SQLite: multi-row INSERTs, then the secondary indexes built; PostgreSQL: binary COPY, then
the indexes), in the same process, right after the import.

    .venv/bin/python bench/import_ledger.py [--rows 1000000] [--db sqlite,postgres] [--format csv,fec]
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import (
    fresh_database,
    peak_rss_mb,
    postgres_available,
    print_table,
    run_child,
    setup_django,
    timed,
)

START = date(2025, 1, 1)


def write_csv(path: Path, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    customers = max(1, rows // 5)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, delimiter=";", lineterminator="\n")
        w.writerow(["numero_facture", "compte_client", "raison_sociale", "type_client", "email",
                    "date_facture", "date_echeance", "montant_ttc", "reste_du"])
        for i in range(rows):
            c = rng.randrange(customers)
            issue = START + timedelta(days=rng.randrange(540))
            total = rng.randrange(1_000, 5_000_000)
            open_ = total if rng.random() < 0.8 else total // 2
            w.writerow([f"FA{i:08d}", f"411C{c:06d}", f"Client {c} SAS", "entreprise",
                        f"c{c}@example.org", issue.strftime("%d/%m/%Y"),
                        (issue + timedelta(days=30)).strftime("%d/%m/%Y"),
                        f"{total // 100},{total % 100:02d}", f"{open_ // 100},{open_ % 100:02d}"])


FEC_HEADER = ["JournalCode", "JournalLib", "EcritureNum", "EcritureDate", "CompteNum", "CompteLib",
              "CompAuxNum", "CompAuxLib", "PieceRef", "PieceDate", "EcritureLib", "Debit", "Credit",
              "EcritureLet", "DateLet", "ValidDate", "Montantdevise", "Idevise"]


def write_fec(path: Path, lines: int, seed: int = 2) -> None:
    """Sales entries (411 debit, 706 and 44571 credits) and bank receipts lettered with them."""
    rng = random.Random(seed)
    invoices = int(lines / 4.2)
    customers = max(1, lines // 5)
    n = 0
    entry = 0
    letter = 0

    def money(cents: int) -> str:
        return f"{cents // 100},{cents % 100:02d}"

    with path.open("w", encoding="utf-8", newline="") as f:
        f.write("\t".join(FEC_HEADER) + "\n")
        for i in range(invoices):
            if n >= lines:
                break
            c = rng.randrange(customers)
            day = START + timedelta(days=rng.randrange(360))
            d = day.strftime("%Y%m%d")
            ht = rng.randrange(1_000, 4_000_000)
            tva = ht // 5
            ttc = ht + tva
            entry += 1
            piece = f"FV{i:08d}"
            aux, lib = f"C{c:06d}", f"Client {c} SAS"
            paid = rng.random() < 0.6
            let = ""
            if paid:
                letter += 1
                let = f"L{letter}"
            pay_day = (day + timedelta(days=35)).strftime("%Y%m%d")
            rows = [
                ["VE", "Ventes", str(entry), d, "41100000", "Clients", aux, lib, piece, d, f"Facture {piece}", money(ttc), "0,00", let, pay_day if paid else "", d, "", ""],
                ["VE", "Ventes", str(entry), d, "70600000", "Prestations", "", "", piece, d, f"Facture {piece}", "0,00", money(ht), "", "", d, "", ""],
                ["VE", "Ventes", str(entry), d, "44571000", "TVA collectée", "", "", piece, d, f"Facture {piece}", "0,00", money(tva), "", "", d, "", ""],
            ]
            if paid:
                entry += 1
                rows += [
                    ["BQ", "Banque", str(entry), pay_day, "51200000", "Banque", "", "", f"VIR{i:08d}", pay_day, f"Virement {lib}", money(ttc), "0,00", "", "", pay_day, "", ""],
                    ["BQ", "Banque", str(entry), pay_day, "41100000", "Clients", aux, lib, f"VIR{i:08d}", pay_day, f"Virement {lib}", "0,00", money(ttc), let, pay_day, pay_day, "", ""],
                ]
            for r in rows[: lines - n]:
                f.write("\t".join(r) + "\n")
            n += len(rows)


def bare_parse(path: Path, delimiter: str) -> int:
    with path.open(encoding="utf-8", newline="") as f:
        return sum(1 for _ in csv.reader(f, delimiter=delimiter))


def child(args: argparse.Namespace) -> None:
    import json

    path = Path(args.file)
    with timed() as baseline:
        bare_parse(path, "\t" if args.format == "fec" else ";")
    url = fresh_database(args.db, f"import_{args.format}")
    setup_django(url)
    from relance.apps.creditors.services import creditor_create
    from relance.apps.ledger.models import Invoice
    from relance.apps.ledger.services import ledger_import

    creditor = creditor_create(name="Bench SAS", payment_terms_days=30)
    with path.open("rb") as stream, timed() as elapsed:
        result = ledger_import(creditor=creditor, stream=stream, filename=path.name, as_of=date(2026, 6, 30))
    assert result.ok, result.problems[:5]
    peak = peak_rss_mb()  # the import's own, before the floor's copy of the rows
    print(json.dumps({
        "seconds": round(elapsed(), 2), "baseline": round(baseline(), 3),
        "peak_mb": round(peak), "created": result.created,
        "invoices": Invoice.objects.count(), "floor": round(database_floor(), 2),
    }))


FLOOR_TABLES = ("ledger_debtor", "ledger_invoice", "ledger_allocation")


def database_floor() -> float:
    """Seconds to write the rows the import wrote again, into empty copies of the tables,
    by the database's bare fastest path (see the module's docstring)."""
    from django.db import connection

    with connection.cursor() as cursor:
        raw = cursor.cursor
        tables = {}
        for table in FLOOR_TABLES:
            raw.execute(f"SELECT * FROM {table}")
            tables[table] = ([d[0] for d in raw.description], raw.fetchall())
    if connection.vendor == "sqlite":
        return _sqlite_floor(connection.settings_dict["NAME"], tables)
    return _postgres_floor(connection.connection, tables)


def _sqlite_floor(source: str, tables: dict) -> float:
    import sqlite3

    src = sqlite3.connect(source)
    ddl = src.execute(
        "SELECT type, sql FROM sqlite_master WHERE tbl_name IN (?, ?, ?) AND sql IS NOT NULL"
        " ORDER BY type = 'index'", FLOOR_TABLES).fetchall()
    src.close()
    target = Path(source).with_name("floor.sqlite3")
    db = sqlite3.connect(target, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = FULL")  # as Relance runs SQLite
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("PRAGMA temp_store = FILE")
    later = [sql for kind, sql in ddl if kind == "index" and not sql.upper().startswith("CREATE UNIQUE")]
    for _kind, sql in ddl:
        if sql not in later:
            db.execute(sql)
    with timed() as elapsed:
        db.execute("BEGIN IMMEDIATE")
        for table, (columns, rows) in tables.items():
            per = max(1, 32766 // len(columns))
            marks = "(" + ", ".join("?" * len(columns)) + ")"
            head = f"INSERT INTO {table} ({', '.join(columns)}) VALUES "
            full = head + ", ".join([marks] * per)
            for start in range(0, len(rows), per):
                part = rows[start : start + per]
                sql = full if len(part) == per else head + ", ".join([marks] * len(part))
                db.execute(sql, [v for row in part for v in row])
        for sql in later:
            db.execute(sql)
        db.execute("COMMIT")
    db.close()
    return elapsed()


def _postgres_floor(conn, tables: dict) -> float:
    with conn.cursor() as cur:
        cur.execute("DROP SCHEMA IF EXISTS floor CASCADE")
        cur.execute("CREATE SCHEMA floor")
        indexes = []
        for table in FLOOR_TABLES:
            cur.execute(f"CREATE TABLE floor.{table} (LIKE public.{table} INCLUDING DEFAULTS)")
            cur.execute("SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename = %s", [table])
            indexes += [d.replace(f" ON public.{table} ", f" ON floor.{table} ").replace("CREATE UNIQUE INDEX ", "CREATE UNIQUE INDEX floor_").replace("CREATE INDEX ", "CREATE INDEX floor_")
                        for (d,) in cur.fetchall()]
        conn.commit()
        with timed() as elapsed:
            for table, (columns, rows) in tables.items():
                cur.execute("SELECT a.attname, t.typname FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid"
                            " WHERE a.attrelid = %s::regclass AND a.attnum > 0", [f"floor.{table}"])
                types = dict(cur.fetchall())
                with cur.copy(f"COPY floor.{table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types([types[c] for c in columns])
                    for row in rows:
                        copy.write_row(row)
            for sql in indexes:
                cur.execute(sql)
            conn.commit()
        cur.execute("DROP SCHEMA floor CASCADE")
        conn.commit()
    return elapsed()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--format", default="csv,fec")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    dbs = [d for d in args.db.split(",") if d != "postgres" or postgres_available()]
    folder = Path(tempfile.mkdtemp(prefix="relance-bench-files-"))
    rows = []
    for fmt in args.format.split(","):
        path = folder / f"ledger.{fmt}"
        print(f"generating {args.rows:,} {fmt} lines ...", file=sys.stderr)
        (write_fec if fmt == "fec" else write_csv)(path, args.rows)
        for db in dbs:
            print(f"importing {fmt} into {db} ...", file=sys.stderr)
            r = run_child(Path(__file__), ["--format", fmt, "--db", db, "--file", str(path), "--rows", str(args.rows)])
            ratio = r["seconds"] / r["baseline"]
            met = [r["seconds"] <= 60, r["peak_mb"] <= 1024, ratio <= 8]
            rows.append([fmt, db, f"{args.rows:,}", f"{r['created']:,}", f"{r['seconds']:.1f}",
                         f"{r['baseline']:.2f}", f"{ratio:.1f}x", r["peak_mb"],
                         f"{r['floor']:.1f}", f"{r['floor'] / r['baseline']:.1f}x",
                         f"{r['seconds'] / r['floor']:.1f}x",
                         "yes" if all(met) else "NO (" + ", ".join(
                             n for n, ok in zip(["60 s", "1 GB", "8x"], met, strict=True) if not ok) + ")"])
        path.unlink()
    print_table(rows, ["format", "db", "lines", "invoices", "import s", "csv parse s", "ratio", "peak MB",
                       "db floor s", "floor/parse", "import/floor", "target met"])
    print("targets: import <= 60 s, peak <= 1024 MB, ratio <= 8x (the bare csv-module parse of the same file)")
    print("db floor: the same rows written again by the database's bare fastest path (no parsing, no checks)")


if __name__ == "__main__":
    main()
