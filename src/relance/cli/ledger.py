"""The ledger commands: ``relance import ledger|einvoices``, ``invoices list|attach`` and
``aging``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from relance.cli.output import (
    Subcommands,
    command,
    emit_json,
    figures_warm,
    group,
    parse_date,
    print_problems,
    table,
)
from relance.domain.errors import InvalidInputError


def _import_end(
    args: argparse.Namespace,
    creditor: Any,
    result: Any,
    name: str,
    title: str,
    *,
    settles: bool = True,
) -> int:
    """What every ledger import command does with its ``ImportResult``: warm the figures after
    a real import, print the result (``name`` when refused, ``title`` when taken), exit 1 when
    refused."""
    if not result.problems and not args.dry_run:
        figures_warm(creditor)
    data = result.as_dict()
    if args.json:
        emit_json(data)
    else:
        if result.problems:
            print(f"{name}: refused, nothing was imported ({len(result.problems)} problems):", file=sys.stderr)
            print_problems(data["problems"])
        elif result.question:
            _print_question(name, data)
        else:
            verb = "would import" if args.dry_run else "imported"
            settled = f", {result.settled} settled" if settles else ""
            print(
                f"{title} {verb}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged{settled}."
            )
        if settles and result.settling and not result.question:
            _print_settling(data, "would settle" if args.dry_run else "settled")
        _print_conflicts(data)
        for note in result.notes[:20]:
            print(f"  note: {note}")
    if result.problems:
        return 1
    return 2 if result.question and not args.dry_run else 0


def _amounts(amounts: dict[str, str]) -> str:
    return ", ".join(f"{amount} {currency}" for currency, amount in sorted(amounts.items())) or "0.00"


def _print_settling(data: dict[str, Any], verb: str, *, limit: int = 50) -> None:
    settling = data["settling"]
    print(f"{verb.capitalize()} {settling['count']} invoices, {_amounts(settling['amounts'])}:")
    print(
        table(
            [(r["number"], r["debtor"], r["open_amount"], r["currency"],
              "not in the file" if r["why"] == "absent" else "paid per the file")
             for r in settling["invoices"][:limit]],
            ["number", "debtor", "open", "cur", "why"],
            right={2},
        )
    )
    if settling["count"] > limit:
        shown = len(settling["invoices"])
        print(f"  ... and {settling['count'] - limit} more (--json lists the first {shown}).")


def _print_question(name: str, data: dict[str, Any]) -> None:
    settling = data["settling"]
    print(
        f"{name}: nothing was imported. {settling['absent_count']} open invoices "
        f"({_amounts(settling['absent_amounts'])} of {_amounts(settling['open_before'])} open) "
        "are not in this file and would be marked settled.",
        file=sys.stderr,
    )
    _print_settling(data, "would settle")
    print(
        "Say which it is: --full (the file is the whole open list: settle them) or "
        "--partial (the file is a part: settle none of those it leaves out).",
        file=sys.stderr,
    )


def _print_conflicts(data: dict[str, Any]) -> None:
    if not data["conflicts"]:
        return
    print(
        f"{len(data['conflicts'])} invoices kept as a payment left them, although the file "
        "says more is open (settle each by hand):"
    )
    for c in data["conflicts"]:
        print(
            f"  conflict: {c['number']} ({c['debtor']}): open {c['open_amount']} {c['currency']} "
            f"after the payments received, {c['file_open_amount']} per the file"
        )


def cmd_import_ledger(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.services import ledger_import
    from relance.formats.ledger_csv_columns import mapping_parse

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a readable file")
    try:
        mapping = mapping_parse(args.map or [])
    except ValueError as exc:
        raise InvalidInputError(str(exc), code="bad_mapping") from exc
    creditor = creditor_get(ref=args.creditor)
    with path.open("rb") as stream:
        result = ledger_import(
            creditor=creditor,
            stream=stream,
            filename=path.name,
            format=args.format,
            dry_run=args.dry_run,
            partial=args.partial,
            full=args.full,
            mapping=mapping,
        )
    if mapping and result.as_dict()["committed"]:
        from relance.apps.creditors.services import creditor_columns_remember

        # The next import of this creditor's exports needs no --map (the web's mapping, too).
        creditor_columns_remember(creditor=creditor, mapping=mapping)
    return _import_end(args, creditor, result, path.name, f"{path.name} ({result.format})")


def cmd_import_einvoices(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.einvoices import einvoice_files, einvoices_import

    paths = einvoice_files(args.paths)
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise InvalidInputError(f"not a readable file: {', '.join(missing)}")
    creditor = creditor_get(ref=args.creditor)
    result = einvoices_import(
        creditor=creditor,
        files=[(p.name, p.read_bytes()) for p in paths],
        as_of=timezone.localdate(),
        dry_run=args.dry_run,
        actor="cli",
    )
    label = f"{len(paths)} e-invoices"
    return _import_end(args, creditor, result, label, label, settles=False)


# --- invoices, aging ----------------------------------------------------------------------------


def cmd_invoices_list(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.selectors import invoice_rows, invoices_list

    creditor = creditor_get(ref=args.creditor)
    rows = list(invoice_rows(invoices_list(creditor=creditor, debtor_account=args.debtor, only_open=args.open)))
    if args.json:
        emit_json(rows)
    else:
        print(
            table(
                [(r["number"], r["debtor_account"], r["issue_date"], r["due_date"], r["total_amount"],
                  r["open_amount"], r["currency"], r["status"]) for r in rows],
                ["number", "debtor", "issued", "due", "total", "open", "cur", "status"],
                right={4, 5},
            )
        )
    return 0


def cmd_invoices_attach(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.attach import invoice_pdfs_attach

    creditor = creditor_get(ref=args.creditor)
    result = invoice_pdfs_attach(
        creditor=creditor, paths=args.paths, dry_run=args.dry_run, actor="cli"
    )
    out = result.as_dict()
    if args.json:
        emit_json(out)
    elif result.problems:
        print(f"Refused: {len(result.problems)} problem(s), nothing attached.", file=sys.stderr)
        for p in out["problems"]:
            print(f"  {p['file']}: {p['message']} [{p['code']}]", file=sys.stderr)
    else:
        for f in out["files"]:
            print(f"{f['invoice']:<20} {f['state']:<9} {f['file']} (number read from {f['read_from']})")
        verb = "would attach" if args.dry_run else "attached"
        print(f"{verb} {result.attached}, replaced {result.replaced}, unchanged {result.unchanged}")
    return 1 if result.problems else 0


def cmd_aging(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.selectors import BUCKETS, aging_report

    creditor = creditor_get(ref=args.creditor)
    report = aging_report(creditor=creditor, as_of=args.as_of or timezone.localdate(), by_debtor=args.by_debtor)
    data = report.as_dict()
    if args.json:
        emit_json(data)
        return 0
    lines = data["debtors"] if args.by_debtor else data["totals"]
    head = (["debtor_account", "debtor_name"] if args.by_debtor else []) + ["currency", *BUCKETS, "total"]
    if args.csv:
        from decimal import Decimal

        from relance.formats.export import Table, write_csv

        amounts = {*BUCKETS, "total"}  # numbers, so that a negative one is never quoted
        rows = ([Decimal(line[h]) if h in amounts else line[h] for h in head] for line in lines)
        write_csv(Table("aging", tuple(head), rows), sys.stdout)
        return 0
    labels = {"not_due": "not due", "1_30": "1-30", "31_60": "31-60", "61_90": "61-90", "over_90": ">90"}
    print(f"Aging of {creditor.name} as of {report.as_of.isoformat()} (days past due)")
    print(table([[line[h] for h in head] for line in lines], [labels.get(h, h) for h in head],
                 right=set(range(len(head) - len(BUCKETS) - 1, len(head)))))
    for currency, d in data["dso"]["by_currency"].items():
        print(f"DSO ({currency}): {d['days'] if d['days'] is not None else 'n/a'} days ({data['dso']['method']})")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.exports import export_write

    creditor = creditor_get(ref=args.creditor)
    out = Path(args.out)
    if out.is_dir():
        raise InvalidInputError(f"{out} is a folder: name the file to write")
    with out.open("wb") as stream:
        export_write(
            creditor=creditor,
            kind=args.what,
            format=args.format or ("xlsx" if out.suffix.lower() == ".xlsx" else "csv"),
            as_of=args.as_of or timezone.localdate(),
            stream=stream,
        )
    print(f"{args.what} of {creditor.name} written to {out}")
    return 0


def register(sub: Subcommands) -> Subcommands:
    """Add the ``import`` group, the ``invoices`` group and ``aging``; the ``import`` group's
    kinds, for the other modules' files (``import bank``)."""
    isub = group(sub, "import", "import a file", "import_command", metavar="KIND")
    p = command(isub, "ledger", cmd_import_ledger, "import a ledger export (CSV or FEC)")
    p.add_argument("file")
    p.add_argument("--creditor")
    p.add_argument("--format", default="auto", choices=["auto", "csv", "fec"])
    p.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    whole = p.add_mutually_exclusive_group()
    whole.add_argument("--full", action="store_true",
                       help="the file is the whole open-items list: settle the invoices missing from it")
    whole.add_argument("--partial", action="store_true",
                       help="the file is not the whole open-items list: do not settle invoices missing from it")
    p.add_argument("--map", action="append", metavar='"COLUMN=field"',
                   help='a CSV column the reader does not know, and the field it holds '
                        '(like "N° facture=invoice_number"; "COLUMN=" leaves it out); repeat for each. '
                        'Remembered for the creditor once the import is done, as the Imports page does')
    p = command(isub, "einvoices", cmd_import_einvoices,
                "import invoices from e-invoices (Factur-X PDF, CII or UBL XML); settles none")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER")
    p.add_argument("--creditor")
    p.add_argument("--dry-run", action="store_true", help="check and count, change nothing")

    invsub = group(sub, "invoices", "invoices", "invoices_command")
    p = command(invsub, "list", cmd_invoices_list, "list invoices")
    p.add_argument("--creditor")
    p.add_argument("--debtor", help="debtor account")
    p.add_argument("--open", action="store_true", help="only open invoices")
    p = command(invsub, "attach", cmd_invoices_attach,
                "keep invoice PDFs (Factur-X or named after the invoice) to send with reminders")
    p.add_argument("paths", nargs="+", metavar="PDF_OR_FOLDER")
    p.add_argument("--creditor")
    p.add_argument("--dry-run", action="store_true", help="match and report, attach nothing")

    p = command(sub, "aging", cmd_aging, "aging summary (balance âgée) and DSO")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)
    p.add_argument("--by-debtor", action="store_true")
    p.add_argument("--csv", action="store_true")

    p = command(sub, "export", cmd_export,
                "export debtors, invoices, aging or actions as CSV or XLSX (formulas escaped)")
    p.add_argument("what", choices=["debtors", "invoices", "aging", "actions"])
    p.add_argument("--creditor")
    p.add_argument("--format", choices=["csv", "xlsx"], help="default: from --out's extension, else csv")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--as-of", type=parse_date, help="aging: the day the days past due count to")
    return isub
