"""1,000 one-page letters rendered into one print-ready PDF batch.

Target (issue 5): at least 20 letters/s on this 2-core machine, rendering in parallel; printed
beside the single-letter render time (one ``render_letter`` call, best of three) as the baseline:
"vs single" is how many times faster than rendering the letters one ``render_letter`` at a time.

The machine is shared, so the wall-clock rate depends on what else runs. The CPU time the batch
took (this process and its workers) is printed too, per letter, with the rate it would give on
``--workers`` otherwise idle cores ("rate if idle"): a figure the neighbours barely move.

    .venv/bin/python bench/letters.py [--letters 1000] [--workers N]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import print_table, timed

from relance.documents.context import (
    Attempt,
    CreditorInfo,
    DebtorInfo,
    InvoiceLine,
    LetterContext,
    build_penalties,
)
from relance.documents.pdf import LetterJob, render_batch, render_letter

AS_OF = date(2026, 4, 23)
TARGET = 20.0

CREDITOR = CreditorInfo(
    name="Bench SAS", siren="732829320", vat="FR44732829320",
    address_lines=("1 rue de la Paix",), postcode="75002", city="Paris",
    iban="FR7630006000011234567890189", bic="AGRIFRPP", signature="Service recouvrement",
    place="Paris", pay_link_template="https://pay.example.fr/{debtor}?a={amount}",
)


def context(i: int) -> LetterContext:
    due = AS_OF - timedelta(days=20 + i % 40)
    amount = Decimal(100 + (i * 37) % 5000)
    invoice = InvoiceLine(f"F{i:06d}", due - timedelta(days=30), due, amount, amount)
    debtor = DebtorInfo(name=f"Client {i} SARL", siren="552100554",
                        address_lines=(f"{1 + i % 120} avenue des Tilleuls",),
                        postcode=f"{69001 + i % 9}", city="Lyon", account=f"C{i:06d}")
    base = LetterContext(
        creditor=CREDITOR, debtor=debtor, invoices=(invoice,), letter_date=AS_OF,
        reference=f"R-{i:06d}", attempts=(Attempt(due + timedelta(days=3), "email", "rappel"),),
        channel="letter",
    )
    return replace(base, penalties=build_penalties(debtor_kind="business", invoices=(invoice,),
                                                   as_of=AS_OF))


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (the render workers)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    jobs = [LetterJob(context(i), "reminder_letter") for i in range(args.letters)]
    render_letter(jobs[0].context, jobs[0].step)  # fonts and stylesheet loaded once
    singles = []
    for job in jobs[:3]:
        with timed() as t:
            render_letter(job.context, job.step)
        singles.append(t())
    single = min(singles)
    cpu_before = _cpu_seconds()
    with timed() as t:
        pdf, entries = render_batch(jobs, workers=args.workers)
    batch = t()
    cpu = (_cpu_seconds() - cpu_before) / args.letters
    out = Path(tempfile.gettempdir()) / "relance-bench-letters.pdf"
    out.write_bytes(pdf)
    pages = sum(e.pages for e in entries)
    rate = args.letters / batch
    print_table(
        [[f"{args.letters:,}", pages, args.workers, f"{single:.3f}", f"{batch:.1f}",
          f"{rate:.1f}", f"{rate * single:.1f}x", f"{cpu:.3f}", f"{args.workers / cpu:.1f}",
          "yes" if rate >= TARGET else "NO"]],
        ["letters", "pages", "workers", "single letter s", "batch s", "letters/s",
         "vs single", "CPU s/letter", "rate if idle", "target met"],
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"target: >= {TARGET:.0f} letters/s into one batch PDF ({out}, "
          f"{len(pdf) / 1e6:.1f} MB, cover sheet included)")


if __name__ == "__main__":
    main()
