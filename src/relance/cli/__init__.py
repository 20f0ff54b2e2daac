"""The ``relance`` console script: thin commands that parse, call one service, print.

Every reporting command takes ``--json``. A ``RelanceError`` is printed as ``relance: error:
<message>`` on stderr with exit status 1; argument errors exit with status 2.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from relance.errors import InvalidInputError, RelanceError

Handler = Callable[[argparse.Namespace], int]


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
    import django

    django.setup()


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, default=_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: set[int] | None = None) -> str:
    right = right or set()
    cells = [list(map(str, headers))] + [[str(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append(
            "  ".join(c.rjust(widths[i]) if i in right else c.ljust(widths[i]) for i, c in enumerate(row)).rstrip()
        )
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --- init, creditors --------------------------------------------------------------------------


def cmd_init(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    url = settings.DATABASE_URL
    if url.startswith("sqlite:"):
        Path(settings.DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    call_command("migrate", interactive=False, verbosity=0)
    if args.json:
        emit_json({"database": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1], "migrated": True})
    else:
        print(f"Database ready ({settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]}).")
    return 0


def cmd_creditor_add(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_as_dict
    from relance.apps.creditors.services import creditor_create

    creditor = creditor_create(
        name=args.name,
        kind=args.kind,
        siren=args.siren or "",
        vat_number=args.vat or "",
        iban=args.iban or "",
        email=args.email or "",
        phone=args.phone or "",
        address=args.address or "",
        postal_code=args.postal_code or "",
        city=args.city or "",
        country=args.country,
        payment_terms_days=args.payment_terms_days,
    )
    data = creditor_as_dict(creditor)
    if args.json:
        emit_json(data)
    else:
        print(f"Creditor {creditor.pk}: {creditor.name}")
    return 0


def cmd_creditor_list(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_as_dict, creditors_list

    data = [creditor_as_dict(c) for c in creditors_list()]
    if args.json:
        emit_json(data)
    else:
        print(_table([(d["id"], d["name"], d["siren"], d["city"]) for d in data], ["id", "name", "siren", "city"]))
    return 0


# --- demo ---------------------------------------------------------------------------------------


def cmd_demo(args: argparse.Namespace) -> int:
    from relance.apps.ledger.demo import demo_load

    summary = demo_load(invoices=args.invoices, seed=args.seed, as_of=args.as_of)
    if args.json:
        emit_json(summary)
    else:
        print(
            f"Demo portfolio for {summary['creditor']['name']}: {summary['debtors']} debtors, "
            f"{summary['import']['created']} invoices (ledger written to {summary['ledger_file']})."
        )
        if summary.get("login"):
            print(f"Login: {summary['login']['username']} / {summary['login']['password']}")
    return 0


# --- import -------------------------------------------------------------------------------------


def _print_problems(problems: list[dict[str, Any]]) -> None:
    for p in problems[:200]:
        where = ", ".join(
            part for part in (
                f"line {p['line']}" if p.get("line") is not None else "",
                f"column {p['column']}" if p.get("column") else "",
            ) if part
        )
        print(f"  {where + ': ' if where else ''}{p['message']} [{p['code']}]", file=sys.stderr)
    if len(problems) > 200:
        print(f"  ... and {len(problems) - 200} more (use --json for all)", file=sys.stderr)


def _figures_warm(creditor: Any) -> None:
    """The workspace's kept figures computed now, after an import changed the ledger, so that
    the first person to open the dashboard does not wait for them (the cache is shared)."""
    from django.utils import timezone

    from relance.apps.workspace.figures import warm

    warm(creditor=creditor, as_of=timezone.localdate())


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
        _figures_warm(creditor)
    data = result.as_dict()
    if args.json:
        emit_json(data)
    else:
        if result.problems:
            print(f"{name}: refused, nothing was imported ({len(result.problems)} problems):", file=sys.stderr)
            _print_problems(data["problems"])
        else:
            verb = "would import" if args.dry_run else "imported"
            settled = f", {result.settled} settled" if settles else ""
            print(
                f"{title} {verb}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged{settled}."
            )
        for note in result.notes[:20]:
            print(f"  note: {note}")
    return 1 if result.problems else 0


def cmd_import_ledger(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_get
    from relance.apps.ledger.services import ledger_import

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a readable file")
    creditor = creditor_get(ref=args.creditor)
    with path.open("rb") as stream:
        result = ledger_import(
            creditor=creditor,
            stream=stream,
            filename=path.name,
            format=args.format,
            dry_run=args.dry_run,
            partial=args.partial,
        )
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
            _table(
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
    import csv

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
        w = csv.writer(sys.stdout)
        w.writerow(head)
        for line in lines:
            w.writerow([line[h] for h in head])
        return 0
    labels = {"not_due": "not due", "1_30": "1-30", "31_60": "31-60", "61_90": "61-90", "over_90": ">90"}
    print(f"Aging of {creditor.name} as of {report.as_of.isoformat()} (days past due)")
    print(_table([[line[h] for h in head] for line in lines], [labels.get(h, h) for h in head],
                 right=set(range(len(head) - len(BUCKETS) - 1, len(head)))))
    for currency, d in data["dso"]["by_currency"].items():
        print(f"DSO ({currency}): {d['days'] if d['days'] is not None else 'n/a'} days ({data['dso']['method']})")
    return 0


# --- audit, serve -------------------------------------------------------------------------------


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from relance.apps.audit.services import chain_verify

    report = chain_verify()
    if args.json:
        emit_json({"events": report.events, "ok": report.ok, "first_bad_id": report.first_bad_id, "reason": report.reason})
    elif report.ok:
        print(f"Audit trail intact: {report.events} events.")
    else:
        print(f"Audit trail BROKEN at event {report.first_bad_id}: {report.reason}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_serve(args: argparse.Namespace) -> int:
    from django.conf import settings

    if settings.DEBUG and not args.production:
        from django.core.management import call_command

        call_command("runserver", f"{args.host}:{args.port}", use_reloader=False)
        return 0
    from gunicorn.app.wsgiapp import run

    sys.argv = [
        "gunicorn", "relance.config.wsgi:application",
        "--bind", f"{args.host}:{args.port}",
        "--workers", str(args.workers),
        "--access-logfile", "-",
    ]
    run()
    return 0


# --- the parser ---------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="relance", description="Gets unpaid invoices paid.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(parent: Any, name: str, handler: Handler, help: str, *, json_flag: bool = True) -> argparse.ArgumentParser:
        p: argparse.ArgumentParser = parent.add_parser(name, help=help, description=help)
        p.set_defaults(handler=handler)
        if json_flag:
            p.add_argument("--json", action="store_true", help="print JSON for machines")
        return p

    command(sub, "init", cmd_init, "create or migrate the database")

    creditor = sub.add_parser("creditor", help="creditors (the companies owed money)")
    csub = creditor.add_subparsers(dest="creditor_command", required=True, metavar="ACTION")
    p = command(csub, "add", cmd_creditor_add, "add a creditor")
    p.add_argument("--name", required=True)
    p.add_argument("--kind", default="professional", choices=["professional", "individual"])
    p.add_argument("--siren")
    p.add_argument("--vat")
    p.add_argument("--iban")
    p.add_argument("--email")
    p.add_argument("--phone")
    p.add_argument("--address")
    p.add_argument("--postal-code")
    p.add_argument("--city")
    p.add_argument("--country", default="FR")
    p.add_argument("--payment-terms-days", type=int, default=30)
    command(csub, "list", cmd_creditor_list, "list creditors")

    p = command(sub, "demo", cmd_demo, "load the demo portfolio")
    p.add_argument("--invoices", type=int, default=400)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--as-of", type=_date, help="the demo's today (default: today)")

    imp = sub.add_parser("import", help="import a file")
    isub = imp.add_subparsers(dest="import_command", required=True, metavar="KIND")
    p = command(isub, "ledger", cmd_import_ledger, "import a ledger export (CSV or FEC)")
    p.add_argument("file")
    p.add_argument("--creditor")
    p.add_argument("--format", default="auto", choices=["auto", "csv", "fec"])
    p.add_argument("--dry-run", action="store_true", help="check and count, change nothing")
    p.add_argument("--partial", action="store_true",
                   help="the file is not the whole open-items list: do not settle invoices missing from it")
    p = command(isub, "einvoices", cmd_import_einvoices,
                "import invoices from e-invoices (Factur-X PDF, CII or UBL XML); settles none")
    p.add_argument("paths", nargs="+", metavar="FILE_OR_FOLDER")
    p.add_argument("--creditor")
    p.add_argument("--dry-run", action="store_true", help="check and count, change nothing")

    inv = sub.add_parser("invoices", help="invoices")
    invsub = inv.add_subparsers(dest="invoices_command", required=True, metavar="ACTION")
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
    p.add_argument("--as-of", type=_date)
    p.add_argument("--by-debtor", action="store_true")
    p.add_argument("--csv", action="store_true")

    audit = sub.add_parser("audit", help="the audit trail")
    asub = audit.add_subparsers(dest="audit_command", required=True, metavar="ACTION")
    command(asub, "verify", cmd_audit_verify, "check that no audit event was altered or removed")

    p = command(sub, "serve", cmd_serve, "serve the web app", json_flag=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--production", action="store_true", help="use gunicorn even in debug mode")

    for register in _extensions():
        register(sub, command)
    return parser


def _extensions() -> list[Callable[[Any, Any], None]]:
    """Command groups that live beside their area (law, collection, banking...)."""
    from relance.cli import api as cli_api
    from relance.cli import bank as cli_bank
    from relance.cli import collection as cli_collection
    from relance.cli import documents as cli_documents
    from relance.cli import editors as cli_editors
    from relance.cli import law as cli_law
    from relance.cli import tasks as cli_tasks
    from relance.cli import workspace as cli_workspace

    # Order matters: documents adds `deliver` to the `actions` group that collection creates,
    # and tasks adds `--queue` to collection's `run`.
    return [
        cli_law.register,
        cli_bank.register,
        cli_collection.register,
        cli_documents.register,
        cli_workspace.register,
        cli_api.register,
        cli_editors.register,
        cli_tasks.register,
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        _setup_django()
        code: int = args.handler(args)
        return code
    except RelanceError as exc:
        print(f"relance: error: {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `relance ... | head`: the reader left; say nothing more, as Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
