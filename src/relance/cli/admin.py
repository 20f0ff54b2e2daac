"""The set-up and upkeep commands: ``relance init``, ``creditor add|list``, ``demo``,
``audit verify`` and ``serve``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relance.cli.output import Subcommands, command, emit_json, group, parse_date, table
from relance.domain.errors import InvalidInputError


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
        sends_thank_you=args.thank_you,
    )
    data = creditor_as_dict(creditor)
    if args.json:
        emit_json(data)
    else:
        print(f"Creditor {creditor.pk}: {creditor.name}")
    return 0


def cmd_creditor_set(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_as_dict, creditor_get
    from relance.apps.creditors.services import creditor_identifiers_set

    if args.siren is None and args.vat is None:
        raise InvalidInputError("say what to set: --siren and/or --vat")
    creditor = creditor_identifiers_set(
        creditor=creditor_get(ref=args.creditor), siren=args.siren, vat_number=args.vat
    )
    if args.json:
        emit_json(creditor_as_dict(creditor))
    else:
        print(f"Creditor {creditor.pk}: {creditor.name}, SIREN {creditor.siren or '-'}, "
              f"VAT {creditor.vat_number or '-'}")
    return 0


def cmd_creditor_list(args: argparse.Namespace) -> int:
    from relance.apps.creditors.selectors import creditor_as_dict, creditors_list

    data = [creditor_as_dict(c) for c in creditors_list()]
    if args.json:
        emit_json(data)
    else:
        print(table([(d["id"], d["name"], d["siren"], d["city"]) for d in data], ["id", "name", "siren", "city"]))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from relance.apps.ledger.demo import demo_load

    summary = demo_load(invoices=args.invoices, seed=args.seed, as_of=args.as_of, login=args.login)
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


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from relance.apps.audit.services import chain_verify

    report = chain_verify()
    if args.json:
        emit_json(
            {
                "events": report.events,
                "ok": report.ok,
                "first_bad_id": report.first_bad_id,
                "reason": report.reason,
                "unkeyed": report.unkeyed,
                "documents": report.documents,
                "checkpoints": report.checkpoints,
            }
        )
    elif report.ok:
        print(
            f"Audit trail intact: {report.events} events, {report.documents} stored documents"
            f" re-hashed, {report.checkpoints} checkpoints."
        )
        if report.unkeyed:
            print(
                f"{report.unkeyed} events predate the audit key: checked by SHA-256 only,"
                " sealed by the first keyed event after them."
            )
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


def register(sub: Subcommands) -> None:
    """Add ``init``, the ``creditor`` group and ``demo``."""
    command(sub, "init", cmd_init, "create or migrate the database")

    csub = group(sub, "creditor", "creditors (the companies owed money)", "creditor_command")
    p = command(csub, "set", cmd_creditor_set,
                "set a creditor's SIREN or VAT number (what e-invoices are checked against)")
    p.add_argument("--creditor")
    p.add_argument("--siren", help='the SIREN (9 digits); "" clears it')
    p.add_argument("--vat", help='the EU VAT number, like FR40303265045; "" clears it')
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
    p.add_argument(
        "--thank-you",
        action="store_true",
        help="thank every debtor in writing when its payment settles a case",
    )
    command(csub, "list", cmd_creditor_list, "list creditors")

    p = command(sub, "demo", cmd_demo, "load the demo portfolio")
    p.add_argument("--invoices", type=int, default=400)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--as-of", type=parse_date, help="the demo's today (default: today)")
    p.add_argument(
        "--login",
        action="store_true",
        help="also make the superuser 'demo' with a new random password, printed once (make demo)",
    )


def register_upkeep(sub: Subcommands) -> None:
    """Add the ``audit`` group and ``serve`` (listed after the ledger commands)."""
    asub = group(sub, "audit", "the audit trail", "audit_command")
    command(
        asub,
        "verify",
        cmd_audit_verify,
        "check that no audit event was altered or removed (against the audit key and the"
        " checkpoint file) and that every stored document matches its recorded SHA-256",
    )

    p = command(sub, "serve", cmd_serve, "serve the web app", json_flag=False)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--production", action="store_true", help="use gunicorn even in debug mode")
