"""``relance case costs``: recovery costs spent on a debtor's case, recorded with their proof."""

from __future__ import annotations

import argparse
from pathlib import Path

from relance.cli.output import (
    Subcommands,
    command,
    creditor_of,
    emit_json,
    group,
    parse_date,
    today,
)
from relance.domain.errors import InvalidInputError


def cmd_costs_add(args: argparse.Namespace) -> int:
    from relance.apps.collection.costs import cost_record
    from relance.apps.ledger.selectors import debtor_get

    creditor = creditor_of(args)
    path = Path(args.proof)
    try:
        proof = path.read_bytes()
    except OSError as exc:
        raise InvalidInputError(f"cannot read the proof {args.proof}: {exc.strerror}") from None
    row = cost_record(
        creditor=creditor,
        debtor=debtor_get(creditor=creditor, account=args.debtor),
        amount=args.amount,
        incurred_on=args.date,
        description=args.description,
        proof=proof,
        proof_filename=path.name,
        currency=args.currency,
        today=today(args),
        actor="cli",
    )
    if args.json:
        emit_json(_as_json(row))
    else:
        print(
            f"{args.debtor}: {row.amount} {row.currency} of recovery costs on {row.incurred_on} "
            f"recorded on case {row.case_id}, proof {row.proof_sha256[:12]}…; claimed above the "
            "flat indemnities, on proof, in the mise en demeure and the escalation."
        )
    return 0


def cmd_costs_list(args: argparse.Namespace) -> int:
    from relance.apps.collection.models import RecoveryCost
    from relance.apps.ledger.selectors import debtor_get

    creditor = creditor_of(args)
    debtor = debtor_get(creditor=creditor, account=args.debtor)
    rows = list(RecoveryCost.objects.filter(creditor=creditor, debtor=debtor))
    if args.json:
        emit_json([_as_json(r) for r in rows])
    else:
        for r in rows:
            print(f"{r.incurred_on}  {r.amount:>10} {r.currency}  case {r.case_id}  {r.description}"
                  f"  ({r.proof_filename}, sha256 {r.proof_sha256[:12]}…)")
    return 0


def _as_json(row: object) -> dict[str, object]:
    from relance.apps.collection.models import RecoveryCost

    assert isinstance(row, RecoveryCost)
    return {
        "id": row.pk,
        "case": row.case_id,
        "amount": row.amount,
        "currency": row.currency,
        "date": row.incurred_on,
        "description": row.description,
        "proof": row.proof_filename,
        "sha256": row.proof_sha256,
    }


def register(case: Subcommands) -> None:
    """Add ``relance case costs add|list``."""
    cosub = group(case, "costs", "recovery costs spent on a case, with their proof", "costs_command")
    p = command(
        cosub,
        "add",
        cmd_costs_add,
        "record recovery costs (a lawyer's, a bailiff's fees…) with their proof; a mise en demeure "
        "claims what they exceed the flat indemnities by (C. com. L441-10 II), never from a consumer",
    )
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--amount", required=True, help="what was paid, e.g. 350.00")
    p.add_argument("--date", required=True, type=parse_date, help="the day the costs were incurred")
    p.add_argument("--description", required=True, help="what they were")
    p.add_argument("--proof", required=True, help="the invoice or receipt (PDF, image, XML)")
    p.add_argument("--currency", default="EUR")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date, help="today, for the check that the date is past")
    p = command(cosub, "list", cmd_costs_list, "the recovery costs recorded for a debtor")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--creditor")
