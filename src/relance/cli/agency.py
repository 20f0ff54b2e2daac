"""``relance agency``: an agency collecting for the creditor (CPCE R124-4) and the remittance
statements it owes it (R124-5)."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from relance.cli.output import (
    Subcommands,
    command,
    creditor_of,
    emit_json,
    group,
    parse_amount,
    parse_date,
)


def _mandate_json(mandate: object) -> dict[str, object]:
    return {key: getattr(mandate, key) for key in
            ("name", "address", "postal_code", "city", "activity", "commission_rate", "since")}


def cmd_agency_set(args: argparse.Namespace) -> int:
    from relance.apps.creditors.services import agency_set

    mandate = agency_set(
        creditor=creditor_of(args), name=args.name, address=args.address, postal_code=args.postcode,
        city=args.city, activity=args.activity, commission_rate=args.commission, since=args.since, actor="cli",
    )
    if args.json:
        emit_json(_mandate_json(mandate))
    else:
        print(f"{mandate.name} collects for {mandate.creditor.name} from {mandate.since}, "
              f"commission {mandate.commission_rate} %; its letters carry the R124-4 mentions.")
    return 0


def cmd_agency_clear(args: argparse.Namespace) -> int:
    from relance.apps.creditors.services import agency_clear

    cleared = agency_clear(creditor=creditor_of(args), actor="cli")
    if args.json:
        emit_json({"cleared": cleared})
    else:
        print("Agency mandate ended." if cleared else "No agency collected for this creditor.")
    return 0


def cmd_agency_remittance(args: argparse.Namespace) -> int:
    from relance.apps.collection.remittance import remittance_statement, remittance_table
    from relance.documents.remittance import remittance_pdf
    from relance.formats.export import write_csv

    creditor = creditor_of(args)
    statement = remittance_statement(creditor=creditor, start=args.start, end=args.end)
    if args.csv:
        text = io.StringIO(newline="")
        write_csv(remittance_table(statement), text)
        Path(args.csv).write_text(text.getvalue(), encoding="utf-8-sig", newline="")
    if args.pdf:
        Path(args.pdf).write_bytes(remittance_pdf(statement, (creditor.locale or "fr")[:2]))
    if args.json:
        emit_json({
            "creditor": statement.creditor, "agency": statement.agency, "rate": statement.rate,
            "from": statement.start, "to": statement.end,
            "payments": [{"date": x.value_date, "account": x.account, "debtor": x.debtor,
                          "reference": x.reference, "invoices": x.invoices, "amount": x.amount,
                          "commission": x.commission, "net": x.net} for x in statement.lines],
            "collected": statement.collected, "commission": statement.commission, "net": statement.net,
            "proposals": [{"date": x.day, "account": x.account, "debtor": x.debtor, "kind": x.kind,
                           "amount": x.amount, "terms": x.terms} for x in statement.proposals],
        })
        return 0
    print(f"{statement.agency} for {statement.creditor}, {statement.start} to {statement.end}: "
          f"{len(statement.lines)} payments, collected {statement.collected}, commission "
          f"{statement.commission} ({statement.rate} %), to remit {statement.net}; "
          f"{len(statement.proposals)} proposals to pay later.")
    return 0


def register(sub: Subcommands) -> None:
    agsub = group(sub, "agency", "an agency collecting for the creditor; its remittances", "agency_command")
    p = command(agsub, "set", cmd_agency_set, "an agency collects for the creditor: R124-4 letters from now on")
    p.add_argument("--name", required=True)
    p.add_argument("--address", required=True, help="street line")
    p.add_argument("--postcode", required=True)
    p.add_argument("--city", required=True)
    p.add_argument("--activity", required=True,
                   help="its amicable-collection activity as declared (e.g. the declaration's reference)")
    p.add_argument("--commission", required=True, type=parse_amount, help="percent of what is collected")
    p.add_argument("--since", required=True, type=parse_date, help="the mandate's first day")
    p.add_argument("--creditor")
    p = command(agsub, "clear", cmd_agency_clear, "the creditor collects for itself again")
    p.add_argument("--creditor")
    p = command(agsub, "remittance", cmd_agency_remittance,
                "the payments received in a period with the agency's commission (R124-5)")
    p.add_argument("--from", dest="start", required=True, type=parse_date)
    p.add_argument("--to", dest="end", required=True, type=parse_date)
    p.add_argument("--csv", help="write the statement as CSV to this file")
    p.add_argument("--pdf", help="write the statement as PDF to this file")
    p.add_argument("--creditor")
