"""The end of the amicable path: ``relance dossier build`` and ``relance case write-off``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relance.cli.output import (
    Subcommands,
    command,
    creditor_of,
    emit_json,
    group,
    parse_amount,
    parse_date,
    today,
)
from relance.domain.law.routes import ROUTE_NAMES
from relance.domain.law.write_off import REASONS


def cmd_dossier_build(args: argparse.Namespace) -> int:
    from relance.apps.legal.dossier import dossier_build

    result = dossier_build(
        creditor=creditor_of(args), account=args.debtor, route=args.route, as_of=today(args),
        is_consumer_credit=args.consumer_credit, enter_legal_stage=args.enter_legal_stage, actor="cli",
    )
    Path(args.out).write_bytes(result.data)
    if args.json:
        emit_json({**result.as_dict(), "out": args.out})
        return 0
    d = result.dossier
    print(f"{d.route.title} — {d.debtor.name} ({d.debtor.account}), arrêté au {d.as_of:%d/%m/%Y}")
    if d.court:
        print(f"Juridiction : {d.court.name} (Cerfa {d.court.cerfa})")
    costs = f"Frais justifiés : {d.costs}  " if d.costs else ""
    print(f"Principal : {d.principal}  Intérêts : {d.interest}  Indemnité : {d.indemnity}  {costs}"
          f"Total : {d.total} {d.currency}")
    print(f"Pièces : {len(d.exhibits)}")
    for w in d.warnings:
        print(f"  ! {w}", file=sys.stderr)
    print(f"{args.out} (SHA-256 {result.sha256})")
    if result.stage is not None:
        print(f"{args.debtor}: case moved to the legal stage ({result.stage.route}), "
              f"reference {result.stage.reference}")
    return 0


def cmd_case_write_off(args: argparse.Namespace) -> int:
    from relance.apps.legal.write_off import case_write_off

    result = case_write_off(
        creditor=creditor_of(args), account=args.debtor, reason=args.reason, as_of=today(args),
        vat_rate=args.vat_rate, penalties_invoiced=args.penalties_invoiced, actor="cli",
    )
    if args.out:
        Path(args.out).write_bytes(result.data)
    if args.json:
        emit_json({**result.as_dict(), "out": args.out})
        return 0
    print(f"Case {result.case_id} closed as written off ({result.reason}).")
    for line in result.lines:
        print(f"  {line.account:<6} {line.piece:<16} {line.debit:>12} {line.credit:>12}  {line.label}")
    for note in result.notes:
        print(f"  ! {note}", file=sys.stderr)
    if args.out:
        print(f"{args.out} (FEC layout, SHA-256 {result.sha256})")
    return 0


def register(sub: Subcommands, *, case: Subcommands) -> None:
    """Add the ``dossier`` group and ``case write-off``."""
    dsub = group(sub, "dossier", "court, agency and lawyer dossiers", "dossier_command")
    p = command(dsub, "build", cmd_dossier_build,
                "build the ZIP of a debtor's claim: requête or mandate, décompte, exhibits")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--route", required=True, choices=list(ROUTE_NAMES))
    p.add_argument("--out", required=True, help="the ZIP file to write")
    p.add_argument("--as-of", type=parse_date, help="the day the claim is reckoned (default: today)")
    p.add_argument("--consumer-credit", action="store_true",
                   help="the claim is a consumer credit (juge des contentieux de la protection)")
    p.add_argument("--enter-legal-stage", action="store_true",
                   help="also move the case to the legal stage on this route, under the dossier's reference")
    p.add_argument("--creditor")
    p = command(case, "write-off", cmd_case_write_off,
                "close a debtor's case as written off; print the accounting entry (FEC layout)")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--reason", required=True, choices=list(REASONS))
    p.add_argument("--vat-rate", type=parse_amount, help="the invoices' VAT rate in %%, to reclaim it")
    p.add_argument("--penalties-invoiced", action="store_true",
                   help="the penalties and indemnities were invoiced: write them off too")
    p.add_argument("--out", help="write the entry (FEC layout) to this file")
    p.add_argument("--as-of", type=parse_date)
    p.add_argument("--creditor")
