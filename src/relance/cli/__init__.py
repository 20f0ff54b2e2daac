"""The ``relance`` console script: thin commands that parse, call one service, print.

Every reporting command takes ``--json``. A ``RelanceError`` is printed as ``relance: error:
<message>`` on stderr with exit status 1; argument errors exit with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from relance.cli.admin import (
    cmd_audit_verify,
    cmd_creditor_add,
    cmd_creditor_list,
    cmd_demo,
    cmd_init,
    cmd_serve,
)
from relance.cli.ledger import (
    cmd_aging,
    cmd_import_einvoices,
    cmd_import_ledger,
    cmd_invoices_attach,
    cmd_invoices_list,
)
from relance.cli.output import Handler, _date
from relance.errors import RelanceError


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "relance.config.settings")
    import django

    django.setup()


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
