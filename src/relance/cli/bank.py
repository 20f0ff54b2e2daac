"""``relance import bank``, ``relance matches list|apply|undo``, ``relance bank lines|dismiss|restore``.

Thin commands over the banking app's services and selectors: import a statement, see what
was matched and why, confirm the doubtful matches, undo a wrong one; see the statement
lines and which debtor an unmatched credit holds back, dismiss a credit that pays no
invoice (a refund, a loan...) so that chasing resumes, restore it.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from relance.cli.output import Subcommands, command, emit_json, figures_warm, group, print_problems
from relance.domain.errors import InvalidInputError
from relance.formats.bank import format_names


def _actor() -> str:
    return f"cli:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"


def _print_match(m: dict[str, Any]) -> None:
    line, debtor = m["line"], m["debtor"]
    ident = f"#{m['id']}" if m["id"] is not None else "-"
    payer = line["counterparty_name"] or "(no payer name)"
    if line["counterparty_iban"]:
        payer += f" {line['counterparty_iban']}"
    quoted = line["structured_reference"] or " ".join(line["remittance"].split())
    print(
        f"{ident} {m['state']} confidence {m['confidence']}: line {line['id'] or ''} "
        f"{line['booking_date']} +{line['amount']} {line['currency']} from {payer}"
        + (f' "{quoted[:80]}"' if quoted else "")
    )
    print(f"    debtor   {debtor['account']} {debtor['name']}")
    if m["allocations"]:
        paid = ", ".join(f"{a['number']} {a['amount']}" for a in m["allocations"])
        print(f"    invoices {paid}")
    if m["overpayment"] != "0.00":
        print(f"    credit   {m['overpayment']} kept on the debtor's account")
    for reason in m["reasons"]:
        print(f"    why      {reason}")


def cmd_import_bank(args: argparse.Namespace) -> int:
    from relance.apps.banking.services import statement_import
    from relance.apps.creditors.selectors import creditor_get

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a readable file")
    creditor = creditor_get(ref=args.creditor)
    with path.open("rb") as stream:  # a CFONB file is read as it streams, whatever its size
        result = statement_import(
            creditor=creditor,
            data=stream,
            filename=path.name,
            format=args.format,
            dry_run=args.dry_run,
            actor=_actor(),
        )
    if not result["problems"] and not args.dry_run and result["matched"]:
        figures_warm(creditor)
    if args.json:
        emit_json(result)
        return 1 if result["problems"] else 0
    if result["problems"]:
        print(
            f"{path.name}: refused, nothing was imported ({len(result['problems'])} problems):",
            file=sys.stderr,
        )
        print_problems(result["problems"])
        return 1
    verb = "would import" if args.dry_run else "imported"
    print(
        f"{path.name} ({result['format']}) {verb}: {result['statements']} statements, "
        f"{result['lines']} lines ({result['duplicates']} already imported), "
        f"{result['credits']} new credits: {result['matched']} matched "
        f"({result['amount_matched']}), {result['suggested']} suggested, "
        f"{result['unmatched']} unmatched."
    )
    for match in result["matches"]:
        _print_match(match)
    if result["suggested"]:
        print(
            "Confirm a suggestion with `relance matches apply ID`, undo with `relance matches undo ID`."
        )
    for note in result["notes"][:20]:
        print(f"  note: {note}")
    return 0


def cmd_matches_list(args: argparse.Namespace) -> int:
    from relance.apps.banking.selectors import matches_list, matches_summary
    from relance.apps.creditors.selectors import creditor_get

    creditor = creditor_get(ref=args.creditor)
    data = matches_summary(list(matches_list(creditor=creditor, state=args.state)))
    if args.json:
        emit_json(data)
        return 0
    if not data:
        print("No matches" + (f" {args.state}." if args.state else "."))
    for match in data:
        _print_match(match)
    return 0


def _match_command(args: argparse.Namespace, action: str) -> int:
    from relance.apps.banking.selectors import match_get, matches_summary
    from relance.apps.banking.services import match_apply, match_undo
    from relance.apps.creditors.selectors import creditor_get

    creditor = creditor_get(ref=args.creditor) if args.creditor else None
    match = match_get(match_id=args.id, creditor=creditor)
    service = match_apply if action == "apply" else match_undo
    done = service(match=match, actor=_actor())
    (summary,) = matches_summary([match_get(match_id=done.pk)])
    if args.json:
        emit_json(summary)
    else:
        print(f"Match {done.pk} {'applied' if action == 'apply' else 'undone'}.")
        _print_match(summary)
    return 0


def cmd_matches_apply(args: argparse.Namespace) -> int:
    return _match_command(args, "apply")


def cmd_matches_undo(args: argparse.Namespace) -> int:
    return _match_command(args, "undo")


LINE_STATUSES = ["unmatched", "suggested", "matched", "ignored", "dismissed"]


def _print_line(line: dict[str, Any]) -> None:
    payer = line["counterparty_name"] or "(no payer name)"
    if line["counterparty_iban"]:
        payer += f" {line['counterparty_iban']}"
    quoted = line["structured_reference"] or " ".join(line["remittance"].split())
    amount = line["amount"] if line["amount"].startswith("-") else f"+{line['amount']}"
    print(
        f"#{line['id']} {line['booking_date']} {amount} {line['currency']} {line['status']}: "
        f"{payer}" + (f' "{quoted[:80]}"' if quoted else "")
    )
    for debtor in line["blocks"]:
        print(
            f"    blocks   {debtor['account']} {debtor['name']} (dismiss the line if it is not theirs)"
        )
    if line["status"] == "dismissed":
        print(f"    dismissed by {line['dismissed_by']}: {line['dismissed_reason']}")


def cmd_bank_lines(args: argparse.Namespace) -> int:
    from relance.apps.banking.selectors import lines_list, lines_summary
    from relance.apps.creditors.selectors import creditor_get

    creditor = creditor_get(ref=args.creditor)
    data = lines_summary(list(lines_list(creditor=creditor, status=args.status)))
    if args.json:
        emit_json(data)
        return 0
    if not data:
        print("No statement lines" + (f" {args.status}." if args.status else "."))
    for line in data:
        _print_line(line)
    return 0


def _line_command(args: argparse.Namespace, action: str) -> int:
    from relance.apps.banking.selectors import line_get, lines_summary
    from relance.apps.banking.services import line_dismiss, line_restore
    from relance.apps.creditors.selectors import creditor_get

    creditor = creditor_get(ref=args.creditor) if args.creditor else None
    line = line_get(line_id=args.id, creditor=creditor)
    if action == "dismiss":
        done = line_dismiss(line=line, actor=_actor(), reason=args.reason)
    else:
        done = line_restore(line=line, actor=_actor())
    (summary,) = lines_summary([line_get(line_id=done.pk)])
    if args.json:
        emit_json(summary)
    else:
        print(f"Line {done.pk} {'dismissed' if action == 'dismiss' else 'restored'}.")
        _print_line(summary)
    return 0


def cmd_bank_dismiss(args: argparse.Namespace) -> int:
    return _line_command(args, "dismiss")


def cmd_bank_restore(args: argparse.Namespace) -> int:
    return _line_command(args, "restore")


def register(sub: Subcommands, *, imports: Subcommands) -> None:
    """Add ``bank`` to the ``import`` group (``imports``, from ``relance.cli.ledger``), and
    the ``matches`` and ``bank`` groups."""
    p = command(
        imports,
        "bank",
        cmd_import_bank,
        "import a bank statement (camt.053/054, OFX, CFONB 120, CSV) and match its credits",
    )
    p.add_argument("file")
    p.add_argument("--creditor")
    p.add_argument("--format", default="auto", choices=format_names())
    p.add_argument("--dry-run", action="store_true", help="check, match and count; change nothing")

    msub = group(sub, "matches", "bank lines matched to invoices", "matches_command")
    p = command(msub, "list", cmd_matches_list, "list matches: what was matched and why")
    p.add_argument("--state", choices=["suggested", "applied", "undone"])
    p.add_argument("--creditor")
    for name, handler, help in (
        ("apply", cmd_matches_apply, "confirm a suggested match"),
        ("undo", cmd_matches_undo, "undo a match (an applied one gives the invoices back)"),
    ):
        p = command(msub, name, handler, help)
        p.add_argument("id", type=int)
        p.add_argument("--creditor")

    bsub = group(sub, "bank", "bank statement lines", "bank_command")
    p = command(
        bsub,
        "lines",
        cmd_bank_lines,
        "list statement lines, and which debtor an unmatched credit holds back",
    )
    p.add_argument("--status", choices=LINE_STATUSES)
    p.add_argument("--creditor")
    p = command(
        bsub,
        "dismiss",
        cmd_bank_dismiss,
        "a credit pays no open invoice (refund, loan...): stop it holding back chasing",
    )
    p.add_argument("id", type=int)
    p.add_argument("--reason", required=True, help="why it is not a payment of an invoice")
    p.add_argument("--creditor")
    p = command(bsub, "restore", cmd_bank_restore, "undo a dismissal")
    p.add_argument("id", type=int)
    p.add_argument("--creditor")
