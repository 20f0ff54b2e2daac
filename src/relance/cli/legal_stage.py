"""``relance case legal``, ``case legal-date``, ``case reminders`` and ``case status-import``:
the legal stage of a case and the status files an agency or a lawyer sends back."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from relance.cli.output import (
    Subcommands,
    command,
    creditor_of,
    emit_json,
    parse_date,
    table,
    today,
)
from relance.domain import vocabulary
from relance.domain.law.procedure import KEY_DATES, ROUTES


def _stage_json(stage: object) -> dict[str, object]:
    from relance.apps.collection.legal_stage import stage_dates

    return {
        "debtor": stage.case.debtor.account,  # type: ignore[attr-defined]
        "case": stage.case_id,  # type: ignore[attr-defined]
        "route": stage.route,  # type: ignore[attr-defined]
        "reference": stage.reference,  # type: ignore[attr-defined]
        "entered_on": stage.entered_on,  # type: ignore[attr-defined]
        "dates": stage_dates(stage),  # type: ignore[arg-type]
    }


def cmd_case_legal(args: argparse.Namespace) -> int:
    from relance.apps.collection.legal_stage import case_legal

    stage = case_legal(
        creditor=creditor_of(args), account=args.debtor, route=args.route, as_of=today(args),
        reference=args.reference or "", actor="cli",
    )
    if args.json:
        emit_json(_stage_json(stage))
    else:
        print(
            f"{args.debtor}: case moved to the legal stage ({vocabulary.say(vocabulary.LEGAL_ROUTES, stage.route, 'en')}),"
            f" reference {stage.reference}; nothing more is sent to the debtor."
        )
    return 0


def cmd_case_legal_date(args: argparse.Namespace) -> int:
    from relance.apps.collection.legal_stage import legal_date_record

    stage = legal_date_record(
        creditor=creditor_of(args), account=args.debtor, key=args.key, day=args.date,
        as_of=today(args), actor="cli",
    )
    if args.json:
        emit_json(_stage_json(stage))
    else:
        print(f"{args.debtor}: {vocabulary.say(vocabulary.LEGAL_DATES, args.key, 'en')} on {args.date} recorded.")
    return 0


def cmd_case_reminders(args: argparse.Namespace) -> int:
    from relance.apps.collection.legal_stage import legal_reminders_due

    due = legal_reminders_due(creditor=creditor_of(args), as_of=today(args))
    rows = [
        {
            "debtor": d.debtor.account,
            "reference": d.stage.reference,
            "route": d.stage.route,
            "reminder": d.reminder.code,
            "since": d.reminder.day,
            "deadline": d.reminder.deadline,
            "past": d.is_past,
            "basis": d.reminder.basis,
        }
        for d in due
    ]
    if args.json:
        emit_json(rows)
        return 0
    if not rows:
        print("No reminder for the cases in the legal stage.")
        return 0
    print(table(
        [[r["debtor"], r["reference"], vocabulary.say(vocabulary.LEGAL_REMINDERS, str(r["reminder"]), "en"),
          f"{r['deadline'] or ''}{' (passed)' if r['past'] else ''}"] for r in rows],
        ["debtor", "reference", "reminder", "deadline"],
    ))
    return 0


def cmd_case_status_import(args: argparse.Namespace) -> int:
    from relance.apps.collection.status_files import status_file_import

    path = Path(args.file)
    result = status_file_import(
        creditor=creditor_of(args), data=path.read_bytes(), name=path.name, as_of=today(args), actor="cli"
    )
    data = result.as_dict()
    if args.json:
        emit_json(data)
    elif result.problems:
        print(f"{path.name}: refused, nothing imported.", file=sys.stderr)
        for p in data["problems"]:
            print(f"  line {p['line']}: {p['message']} [{p['code']}]", file=sys.stderr)
    else:
        print(f"{path.name}: {result.lines} lines taken in; {result.payments} payments recorded.")
    return 1 if result.problems else 0


def register(case: Subcommands) -> None:
    """Add the legal stage's commands to the ``case`` group."""
    p = command(case, "legal", cmd_case_legal, "move a debtor's case to the legal stage by a route")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--route", required=True, choices=list(ROUTES))
    p.add_argument("--reference", help="the file's reference (default: the case's, R-YYYY-NNNN)")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date, help="the day it moves (default: today)")
    p = command(case, "legal-date", cmd_case_legal_date, "record a key date of a case in the legal stage")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--key", required=True, choices=list(KEY_DATES))
    p.add_argument("--date", required=True, type=parse_date, help="the day it happened")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date, help="today, for the check that the date is past")
    p = command(case, "reminders", cmd_case_reminders, "what the legal stage's key dates call for today")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)
    p = command(
        case, "status-import", cmd_case_status_import,
        "take in a status file from an agency or a lawyer (reference,status,amount,date)",
    )
    p.add_argument("file")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date, help="today, for the check that the dates are past")
