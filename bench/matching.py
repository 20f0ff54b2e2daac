"""Matching 100,000 bank lines against 1,000,000 open invoices, beside an exact-reference join.

Rows are generated straight into a fresh database (SQLite and PostgreSQL), one child
process per database. Lines are ``LineRecord`` values: about 60 % quote an invoice number in
their remittance (paying it in full or in part), 20 % carry only the payer's name, 20 % are
unrelated (taxes, refunds, card acquirers).

Two timings, in the same process:

- baseline: the exact-reference join alone, in SQL: the lines' remittance references are
  written to an indexed temporary table and joined to the creditor's open invoices on their number
  (what a matcher that only understands "the remittance *is* the invoice number" costs);
- matching: what ``statement_import`` does for the same lines: build the index of open
  invoices from the database (one streamed query), read the known IBANs, and ``match_lines``
  (numbers inside free text, RF references, amounts, names with rapidfuzz, IBANs).

Target (issue 6): the full matching ≤ 60 s.

    .venv/bin/python bench/matching.py [--invoices 1000000] [--lines 100000] [--db sqlite,postgres]
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from decimal import Decimal
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
TRADES = [
    "Boulangerie", "Garage", "Pharmacie", "Menuiserie", "Transports", "Plomberie", "Librairie",
    "Imprimerie", "Boucherie", "Fromagerie", "Ebenisterie", "Serrurerie", "Cabinet", "Atelier",
    "Brasserie", "Carrosserie", "Electricite", "Maconnerie", "Peinture", "Couverture",
    "Informatique", "Conseil", "Traiteur", "Fleuriste", "Optique", "Quincaillerie", "Laverie",
    "Toilettage", "Hotel", "Restaurant", "Epicerie", "Cave", "Studio", "Agence", "Clinique",
    "Pressing", "Auto-ecole", "Chocolaterie", "Patisserie", "Vins",
]
SURNAMES = [
    "Martin", "Bernard", "Thomas", "Petit", "Robert", "Richard", "Durand", "Dubois", "Moreau",
    "Laurent", "Simon", "Michel", "Lefebvre", "Leroy", "Roux", "David", "Bertrand", "Morel",
    "Fournier", "Girard", "Bonnet", "Dupont", "Lambert", "Fontaine", "Rousseau", "Vincent",
    "Muller", "Lefevre", "Faure", "Andre", "Mercier", "Blanc", "Guerin", "Boyer", "Garnier",
    "Chevalier", "Francois", "Legrand", "Gauthier", "Garcia", "Perrin", "Robin", "Clement",
    "Morin", "Nicolas", "Henry", "Roussel", "Mathieu", "Gautier", "Masson", "Marchand", "Duval",
    "Denis", "Dumont", "Marie", "Lemaire", "Noel", "Meyer", "Dufour", "Meunier", "Brun",
    "Blanchard", "Giraud", "Joly", "Riviere", "Lucas", "Brunet", "Gaillard", "Barbier", "Arnaud",
    "Martinez", "Gerard", "Roche", "Renard", "Schmitt", "Roy", "Leroux", "Colin", "Vidal",
    "Caron", "Picard", "Roger", "Fabre", "Aubert", "Lemoine", "Renaud", "Dumas", "Lacroix",
    "Olivier", "Philippe", "Bourgeois", "Pierre", "Benoit", "Rey", "Leclerc", "Payet", "Rolland",
    "Leclercq", "Guillaume", "Lecomte",
]
TOWNS = [
    "Lyon", "Paris", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Montpellier",
    "Bordeaux", "Lille", "Rennes", "Reims", "Toulon", "Grenoble", "Dijon", "Angers", "Nimes",
    "Villeurbanne", "Clermont", "Le Mans", "Aix", "Brest", "Tours", "Amiens", "Limoges",
    "Annecy", "Perpignan", "Metz", "Besancon", "Orleans", "Rouen", "Mulhouse", "Caen", "Nancy",
    "Argenteuil", "Roubaix", "Tourcoing", "Avignon", "Poitiers", "Pau", "Calais", "La Rochelle",
    "Colmar", "Cannes", "Vannes", "Troyes", "Chambery", "Niort", "Lorient", "Sete",
]
UNRELATED = [
    ("DGFIP", "REMBOURSEMENT CREDIT TVA"), ("URSSAF", "REGULARISATION COTISATIONS"),
    ("AMERICAN EXPRESS", "REMISE CARTES"), ("STRIPE PAYMENTS EUROPE", "PAYOUT"),
    ("AXA FRANCE", "INDEMNITE SINISTRE"), ("BANQUE POPULAIRE", "INTERETS CREDITEURS"),
    ("SUMUP", "VERSEMENT"), ("CAF", "AIDE EMBAUCHE"),
]


def debtor_name(i: int) -> str:
    trade = TRADES[i % len(TRADES)]
    surname = SURNAMES[(i // len(TRADES)) % len(SURNAMES)]
    town = TOWNS[(i // (len(TRADES) * len(SURNAMES))) % len(TOWNS)]
    return f"{trade} {surname} {town}"


def seed(n: int, rng: random.Random) -> tuple[int, list[int], list[Decimal], list[str]]:
    """A creditor with ``n`` open invoices over n/5 debtors; returns what the lines need."""
    from django.db import connection

    from relance.apps.creditors.services import creditor_create

    creditor = creditor_create(name="Bench SAS")
    debtors = max(1, n // 5)
    names = [debtor_name(i) for i in range(debtors)]
    now = "2026-06-30 00:00:00+00"
    invoice_debtor: list[int] = []
    amounts: list[Decimal] = []
    with connection.cursor() as cur:
        insert_debtors(
            cur, [(creditor.pk, f"C{i:07d}", names[i], "business", "", now, now) for i in range(debtors)]
        )
        cur.execute("SELECT min(id) FROM ledger_debtor")
        first = cur.fetchone()[0]
        batch = []
        for i in range(n):
            due = AS_OF - timedelta(days=rng.randrange(-60, 400))
            cents = rng.randrange(100, 1_000_000)
            amount = f"{cents // 100}.{cents % 100:02d}"
            debtor = rng.randrange(debtors)
            invoice_debtor.append(debtor)
            amounts.append(Decimal(amount))
            batch.append((creditor.pk, first + debtor, f"F{i:08d}", due - timedelta(days=30), due,
                          amount, amount, now, now))
            if len(batch) == 50_000:
                insert_open_invoices(cur, batch)
                batch = []
        if batch:
            insert_open_invoices(cur, batch)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("ANALYZE ledger_invoice")
            cur.execute("ANALYZE ledger_debtor")
    return int(creditor.pk), invoice_debtor, amounts, names



def make_lines(count: int, invoice_debtor: list[int], amounts: list[Decimal], names: list[str],
               rng: random.Random):  # type: ignore[no-untyped-def]
    """The statement lines, and the reference each quotes (for the baseline join)."""
    from relance.domain.banking import LineRecord, fingerprint_lines

    lines = []
    references = []
    templates = ("FACTURE {n}", "{n}", "VIR SEPA REGLEMENT {n} MERCI", "REF {n} / {name}", "fact. {n}")
    for k in range(count):
        day = AS_OF - timedelta(days=rng.randrange(0, 5))
        roll = rng.random()
        if roll < 0.6:
            i = rng.randrange(len(amounts))
            number = f"F{i:08d}"
            amount = amounts[i] if rng.random() < 0.7 else (amounts[i] / 2).quantize(Decimal("0.01"))
            name = names[invoice_debtor[i]].upper()
            remittance = rng.choice(templates).format(n=number, name=name)
            references.append(remittance)
        elif roll < 0.8:
            j = rng.randrange(len(names))
            name = names[j].upper()
            amount = Decimal(rng.randrange(1000, 500_000)) / 100
            remittance = "VIREMENT"
            references.append(remittance)
        else:
            name, remittance = rng.choice(UNRELATED)
            amount = Decimal(rng.randrange(1000, 500_000)) / 100
            remittance = f"{remittance} {rng.randrange(10**6):06d}"
            references.append(remittance)
        lines.append(
            LineRecord(
                booking_date=day, amount=amount, currency="EUR", value_date=day,
                account="FR7630006000011234567890189", counterparty_name=name,
                remittance=remittance, bank_reference=f"B{k:08d}", line=k + 1,
            )
        )
    return fingerprint_lines(lines), references


def baseline_join(creditor_id: int, references: list[str]) -> int:
    """The exact-reference join: remittance texts against open invoice numbers, in SQL."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("CREATE TEMPORARY TABLE bench_ref (ref varchar(140))")
        cur.executemany("INSERT INTO bench_ref (ref) VALUES (%s)", [(r,) for r in references])
        cur.execute("CREATE INDEX bench_ref_ref ON bench_ref (ref)")
        cur.execute(
            "SELECT i.id, i.open_amount FROM bench_ref r JOIN ledger_invoice i"
            " ON i.number = r.ref WHERE i.creditor_id = %s AND i.status = 'open'",
            [creditor_id],
        )
        found = len(cur.fetchall())
        cur.execute("DROP TABLE bench_ref")
    return found


def child(args: argparse.Namespace) -> None:
    import json

    setup_django(fresh_database(args.db, "matching"))
    from relance.apps.banking.statement_writing import known_ibans, open_invoices
    from relance.apps.creditors.models import Creditor
    from relance.domain.matching import InvoiceIndex, match_lines

    rng = random.Random(6)
    creditor_id, invoice_debtor, amounts, names = seed(args.invoices, rng)
    creditor = Creditor.objects.get(pk=creditor_id)
    lines, references = make_lines(args.lines, invoice_debtor, amounts, names, rng)
    del invoice_debtor, amounts, names

    baseline_times = []
    for _ in range(3):
        with timed() as t:
            joined = baseline_join(creditor_id, references)
        baseline_times.append(t())
    with timed() as t_index:
        index = InvoiceIndex(open_invoices(creditor=creditor))
        ibans = known_ibans(creditor=creditor)
    with timed() as t_match:
        proposals = match_lines(lines, index, known_ibans=ibans)
    applied = sum(1 for p in proposals if p.state == "applied")
    print(json.dumps({
        "baseline": min(baseline_times),
        "joined": joined,
        "index": t_index(),
        "match": t_match(),
        "proposals": len(proposals),
        "applied": applied,
        "suggested": len(proposals) - applied,
        "peak_mb": peak_rss_mb(),
    }))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--lines", type=int, default=100_000)
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
        r = run_child(Path(__file__), ["--db", db, "--invoices", str(args.invoices),
                                       "--lines", str(args.lines)])
        total = r["index"] + r["match"]
        rows.append([
            db, f"{args.invoices:,}", f"{args.lines:,}", f"{r['baseline']:.2f}", f"{r['index']:.2f}",
            f"{r['match']:.2f}", f"{total:.2f}", f"{total / r['baseline']:.1f}x",
            f"{r['applied']:,}/{r['suggested']:,}", f"{r['peak_mb']:.0f}",
            "yes" if total <= 60 else "NO",
        ])
    print_table(rows, ["db", "open invoices", "lines", "exact join s", "index s", "match s",
                       "matching s", "ratio", "applied/suggested", "peak MB", "target met"])
    print("baseline: SQL join of the lines' remittance texts (temp table) to open invoice numbers;")
    print("matching: index of open invoices read from the database + match_lines; target <= 60 s")


if __name__ == "__main__":
    main()
