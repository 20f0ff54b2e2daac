"""The collection commands: the daily pass, scenarios, disputes, promises, plans, holds, actions."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import NamedTuple

from relance.cli.output import (
    Subcommands,
    command,
    creditor_of,
    emit_json,
    group,
    parse_amount,
    parse_date,
    table,
    today,
)
from relance.domain import vocabulary
from relance.domain.errors import InvalidInputError


class CollectionParsers(NamedTuple):
    """What other modules add to: ``run`` (``--queue``), the ``scenario``, ``actions`` and
    ``case`` groups."""

    run: argparse.ArgumentParser
    scenario: Subcommands
    actions: Subcommands
    case: Subcommands


def cmd_run(args: argparse.Namespace) -> int:
    from relance.apps.collection.morning import morning_pass

    creditor = creditor_of(args) if args.creditor else None
    result = morning_pass(as_of=today(args), creditor=creditor, dry_run=args.dry_run)
    data = result.as_dict()
    if args.json:
        emit_json(data)
        return 0
    verb = "would plan" if args.dry_run else "planned"
    a = data["actions"]
    print(
        f"{data['as_of']}: {data['cases_evaluated']} debtors evaluated; {verb} {a['planned']}, "
        f"{a['awaiting_approval']} awaiting approval, sent {a['sent']}, failed {a['failed']}, "
        f"skipped {a['skipped']}, cancelled {a['cancelled']}."
    )
    if data["by_channel"]:
        print("  by channel: " + ", ".join(f"{k} {v}" for k, v in data["by_channel"].items()))
    if data["held"]:
        print("  held: " + ", ".join(f"{k} {v}" for k, v in data["held"].items()))
    for p in data["problems"]:
        print(f"  problem: {p['message']} [{p['code']}]", file=sys.stderr)
    return 0


def cmd_scenario_import(args: argparse.Namespace) -> int:
    from relance.apps.collection.scenarios import scenario_import

    path = Path(args.file)
    if not path.is_file():
        raise InvalidInputError(f"{path} is not a readable file")
    row = scenario_import(
        text=path.read_text(encoding="utf-8"),
        creditor=creditor_of(args) if args.creditor else None,
        is_default=True if args.default else None,
    )
    if args.json:
        emit_json(
            {
                "id": row.pk,
                "name": row.name,
                "steps": row.steps.count(),
                "is_default": row.is_default,
            }
        )
    else:
        print(f"Scenario {row.name!r} imported ({row.steps.count()} steps).")
    return 0


def cmd_scenario_export(args: argparse.Namespace) -> int:
    from relance.apps.collection.scenarios import scenario_export

    creditor = creditor_of(args) if args.creditor else None
    sys.stdout.write(scenario_export(name=args.name, creditor=creditor))
    return 0


def cmd_scenario_list(args: argparse.Namespace) -> int:
    from relance.apps.collection.scenarios import scenarios_visible

    creditor = creditor_of(args) if args.creditor else None
    data = [
        {
            "name": s.name,
            "creditor": s.creditor.name if s.creditor else None,
            "debtor_kinds": s.debtor_kinds,
            "is_default": s.is_default,
            "steps": s.steps.count(),
        }
        for s in scenarios_visible(creditor=creditor).select_related("creditor")
    ]
    if args.json:
        emit_json(data)
    else:
        for d in data:
            print(
                f"{d['name']}  ({', '.join(d['debtor_kinds'])}; {d['steps']} steps){'  default' if d['is_default'] else ''}"
            )
    return 0


def cmd_dispute(args: argparse.Namespace) -> int:
    from relance.apps.collection.pauses import dispute_close, dispute_open

    creditor = creditor_of(args)
    if args.dispute_command == "open":
        d = dispute_open(
            creditor=creditor,
            invoice_number=args.invoice,
            reason=args.reason or "",
            as_of=today(args),
        )
    else:
        d = dispute_close(creditor=creditor, invoice_number=args.invoice, as_of=today(args))
    if args.json:
        emit_json({"id": d.pk, "invoice": args.invoice, "status": d.status})
    else:
        print(f"Dispute on {args.invoice}: {d.status}.")
    return 0


def cmd_promise_add(args: argparse.Namespace) -> int:
    from relance.apps.collection.pauses import promise_add

    p = promise_add(
        creditor=creditor_of(args),
        debtor_account=args.debtor,
        amount=args.amount,
        promised_date=args.date,
        grace_days=args.grace,
        as_of=today(args),
    )
    if args.json:
        emit_json(
            {
                "id": p.pk,
                "amount": p.amount,
                "date": p.promised_date,
                "grace_days": p.grace_days,
                "status": p.status,
            }
        )
    else:
        print(
            f"Promise {p.pk}: {p.amount} by {p.promised_date} (+{p.grace_days} days); the case is paused."
        )
    return 0


def cmd_plan_create(args: argparse.Namespace) -> int:
    from relance.apps.collection.pauses import plan_create

    plan = plan_create(
        creditor=creditor_of(args),
        debtor_account=args.debtor,
        instalments=args.instalments,
        first=args.first,
        every=args.every,
        as_of=today(args),
    )
    rows = [
        {"position": i.position, "due_date": i.due_date, "amount": i.amount}
        for i in plan.instalments.all()
    ]
    if args.json:
        emit_json({"id": plan.pk, "total": plan.total_amount, "instalments": rows})
    else:
        print(f"Payment plan {plan.pk}: {plan.total_amount} in {len(rows)} instalments.")
        for r in rows:
            print(f"  {r['position']:>3}  {r['due_date']}  {r['amount']:>12}")
    return 0


def cmd_plan_accept(args: argparse.Namespace) -> int:
    from relance.apps.collection.pauses import plan_proposal_accept

    plan = plan_proposal_accept(creditor=creditor_of(args), task_id=args.task, as_of=today(args))
    if args.json:
        emit_json({"id": plan.pk, "total": plan.total_amount})
    else:
        print(f"Payment plan {plan.pk} accepted: {plan.total_amount}; its confirmation is planned.")
    return 0


def cmd_debtor_hold(args: argparse.Namespace) -> int:
    from relance.apps.collection.pauses import debtor_hold

    hold = args.debtor_command == "hold"
    d = debtor_hold(
        creditor=creditor_of(args),
        debtor_account=args.debtor,
        hold=hold,
        kind=args.flag,
        reason=args.reason or "",
    )
    if args.json:
        emit_json(
            {
                "debtor": d.account,
                "is_legal_hold": d.is_legal_hold,
                "is_do_not_contact": d.is_do_not_contact,
            }
        )
    else:
        print(f"Debtor {d.account}: {args.flag} {'on' if hold else 'off'}.")
    return 0


def cmd_actions_list(args: argparse.Namespace) -> int:
    from relance.apps.collection.selectors import action_as_dict, actions_list

    creditor = creditor_of(args) if args.creditor else None
    data = [
        action_as_dict(a)
        for a in actions_list(
            creditor=creditor,
            state=args.state,
            as_of=args.as_of,
            channel=args.channel,
            awaiting_approval=args.awaiting_approval,
        )
    ]
    if args.json:
        emit_json(data)
    else:
        print(
            table(
                [
                    (
                        d["id"],
                        d["planned_date"],
                        d["debtor_account"],
                        d["step"],
                        d["channel"],
                        d["state"] + (" (approval)" if d["awaiting_approval"] else ""),
                        d["reason"] or d["error"],
                    )
                    for d in data
                ],
                ["id", "date", "debtor", "step", "channel", "state", "note"],
            )
        )
    return 0


def cmd_actions_approve(args: argparse.Namespace) -> int:
    from relance.apps.collection.actions import actions_approve

    if not args.all and not args.ids:
        raise InvalidInputError("name the actions to approve, or --all")
    # A document that cannot be sent is refused with every problem (NotSendableError).
    n = actions_approve(ids=None if args.all else args.ids, as_of=args.as_of)
    if args.json:
        emit_json({"approved": n})
    else:
        print(f"{n} action(s) approved.")
    return 0


def cmd_actions_resend(args: argparse.Namespace) -> int:
    from relance.apps.collection.uncertain import action_resend

    creditor = creditor_of(args) if args.creditor else None
    a = action_resend(action_id=args.id, creditor=creditor, actor="cli")
    if args.json:
        emit_json({"id": a.pk, "state": a.state})
    else:
        print(f"Action {a.pk} queued again: the next run sends it (same Message-ID).")
    return 0


def cmd_actions_confirm_sent(args: argparse.Namespace) -> int:
    from relance.apps.collection.uncertain import action_confirm_sent

    creditor = creditor_of(args) if args.creditor else None
    a = action_confirm_sent(
        action_id=args.id, creditor=creditor, actor="cli", note=args.note or ""
    )
    if args.json:
        emit_json({"id": a.pk, "state": a.state})
    else:
        print(f"Action {a.pk} recorded as sent, on your word.")
    return 0


def cmd_actions_skip(args: argparse.Namespace) -> int:
    from relance.apps.collection.actions import action_skip

    a = action_skip(action_id=args.id, reason=args.reason or "skipped by hand")
    if args.json:
        emit_json({"id": a.pk, "state": a.state})
    else:
        print(f"Action {a.pk} skipped.")
    return 0


def cmd_call_record(args: argparse.Namespace) -> int:
    from relance.apps.collection.calls import call_outcome_record

    creditor = creditor_of(args) if args.creditor else None
    result = call_outcome_record(
        action=args.id,
        outcome=args.outcome,
        as_of=today(args),
        creditor=creditor,
        actor="cli",
        amount=args.amount,
        day=args.date,
        invoices=args.invoice or (),
        reason=args.reason or "",
        phone=args.phone or "",
        note=args.note or "",
        grace_days=args.grace,
    )
    data = result.as_dict()
    if args.json:
        emit_json(data)
        return 0
    print(f"Call {data['action']}: {args.outcome} recorded ({data['outcome'].get('summary', '')}).")
    for f in data["follow_ups"]:
        print(f"  follow-up {f['id']}: {f['channel']} {f['step']} on {f['planned_date']}")
    return 0


def cmd_task_done(args: argparse.Namespace) -> int:
    from relance.apps.collection.calls import task_complete

    creditor = creditor_of(args) if args.creditor else None
    a = task_complete(
        action=args.id, as_of=today(args), note=args.note or "", creditor=creditor, actor="cli"
    )
    if args.json:
        emit_json({"id": a.pk, "state": a.state, "outcome": a.outcome})
    else:
        print(f"Task {a.pk} done.")
    return 0


def cmd_case_history_add(args: argparse.Namespace) -> int:
    from relance.apps.collection.history import contact_declare
    from relance.apps.ledger.selectors import debtor_get

    creditor = creditor_of(args)
    row = contact_declare(
        creditor=creditor,
        debtor=debtor_get(creditor=creditor, account=args.debtor),
        step_key=args.step,
        contact_date=args.date,
        today=today(args),
        channel=args.channel,
        note=args.note or "",
        actor="cli",
    )
    if args.json:
        emit_json(
            {
                "id": row.pk,
                "debtor": args.debtor,
                "step": row.step_key,
                "date": row.contact_date,
                "channel": row.channel,
                "note": row.note,
            }
        )
    else:
        print(
            f"{args.debtor}: {row.step_key} by {row.channel} on {row.contact_date} declared; "
            "the chase resumes at the step after it."
        )
    return 0


def register(sub: Subcommands) -> CollectionParsers:
    """Add ``run`` and the ``scenario``, ``dispute``, ``promise``, ``plan``, ``debtor``,
    ``actions`` and ``call`` groups; the parsers other modules add to."""
    run = command(
        sub,
        "run",
        cmd_run,
        "the daily pass: close paid cases, decide each debtor's next step, send",
    )
    run.add_argument("--as-of", type=parse_date, help="the day to run for (default: today)")
    run.add_argument("--creditor")
    run.add_argument("--dry-run", action="store_true", help="show what would happen, change nothing")

    scsub = group(sub, "scenario", "dunning scenarios (TOML)", "scenario_command")
    p = command(
        scsub,
        "import",
        cmd_scenario_import,
        "import (or replace, by name) a scenario from a TOML file",
    )
    p.add_argument("file")
    p.add_argument(
        "--default", action="store_true", help="make it the default for its debtor kinds"
    )
    owner = "the creditor whose own scenario it is (default: install-wide)"
    p.add_argument("--creditor", help=owner)
    p = command(scsub, "export", cmd_scenario_export, "print a scenario as TOML", json_flag=False)
    p.add_argument("name")
    p.add_argument("--creditor", help="the creditor whose scenarios are searched first")
    p = command(scsub, "list", cmd_scenario_list, "list the scenarios")
    p.add_argument("--creditor", help="the install-wide scenarios and this creditor's own")

    dsub = group(sub, "dispute", "disputes: take an invoice out of the chase", "dispute_command")
    for name, text in (
        ("open", "open a dispute on an invoice"),
        ("close", "close an invoice's dispute"),
    ):
        p = command(dsub, name, cmd_dispute, text)
        p.add_argument("--invoice", required=True, help="invoice number")
        p.add_argument("--creditor")
        p.add_argument("--as-of", type=parse_date)
        if name == "open":
            p.add_argument("--reason")

    prsub = group(sub, "promise", "promises to pay", "promise_command")
    p = command(
        prsub,
        "add",
        cmd_promise_add,
        "record a promise to pay; the case waits until its date plus grace",
    )
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--amount", required=True, type=parse_amount)
    p.add_argument("--date", required=True, type=parse_date)
    p.add_argument("--grace", type=int, default=3, help="days of grace after the date (default 3)")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)

    plsub = group(sub, "plan", "payment plans", "plan_command")
    p = command(plsub, "create", cmd_plan_create, "split what a debtor owes into instalments")
    p.add_argument("--debtor", required=True)
    p.add_argument("--instalments", required=True, type=int)
    p.add_argument("--first", required=True, type=parse_date)
    p.add_argument("--every", default="1m", help="1m (monthly, default), 2w, 15d...")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)
    p = command(plsub, "accept", cmd_plan_accept, "accept the plan a debtor proposed on the portal")
    p.add_argument("task", type=int, help="the proposal's task (relance actions list)")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)

    cssub = group(
        sub, "case", "cases: what was done before Relance, recovery costs, the legal stage, the write-off",
        "case_command",
    )
    hsub = group(cssub, "history", "steps done outside Relance", "history_command")
    p = command(
        hsub,
        "add",
        cmd_case_history_add,
        "declare a step already done with a debtor outside Relance; the chase resumes after it",
    )
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--step", required=True, help="the scenario step done (e.g. reminder, call)")
    p.add_argument("--date", required=True, type=parse_date, help="the day it was done")
    p.add_argument(
        "--channel",
        choices=["email", "letter", "registered_letter", "call", "sms", "task"],
        help="how (default: the step's channel)",
    )
    p.add_argument("--note", help="what was sent or said")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date, help="today, for the check that the date is past")

    desub = group(sub, "debtor", "debtors: holds", "debtor_command")
    for name, text in (("hold", "stop every message to a debtor"), ("release", "lift a hold")):
        p = command(desub, name, cmd_debtor_hold, text)
        p.add_argument("--debtor", required=True)
        p.add_argument("--flag", default="legal", choices=["legal", "do-not-contact"])
        p.add_argument("--reason")
        p.add_argument("--creditor")

    acsub = group(sub, "actions", "actions: the worklist and the approval queue", "actions_command")
    p = command(acsub, "list", cmd_actions_list, "list actions")
    p.add_argument(
        "--state",
        choices=list(vocabulary.STATES),
    )
    p.add_argument("--as-of", type=parse_date, help="only those planned for that day")
    p.add_argument("--channel", choices=list(vocabulary.CHANNELS))
    p.add_argument("--awaiting-approval", action="store_true")
    p.add_argument("--creditor")
    p = command(acsub, "approve", cmd_actions_approve, "approve actions awaiting approval")
    p.add_argument("ids", nargs="*", type=int)
    p.add_argument("--all", action="store_true")
    p.add_argument(
        "--as-of",
        type=parse_date,
        help="check each document as of this day (default: the day it is planned to go out)",
    )
    p = command(
        acsub,
        "resend",
        cmd_actions_resend,
        "send again an uncertain e-mail (handed over, the server's reply never seen)",
    )
    p.add_argument("id", type=int)
    p.add_argument("--creditor")
    p = command(
        acsub,
        "confirm-sent",
        cmd_actions_confirm_sent,
        "record that an uncertain e-mail did arrive (you know it: a reply, the server's log)",
    )
    p.add_argument("id", type=int)
    p.add_argument("--note", help="how you know")
    p.add_argument("--creditor")
    p = command(acsub, "skip", cmd_actions_skip, "skip a planned action")
    p.add_argument("id", type=int)
    p.add_argument("--reason")

    casub = group(sub, "call", "calls: record what a call achieved; close tasks", "call_command")
    p = command(casub, "record", cmd_call_record, "record a call's outcome; it updates the case")
    p.add_argument(
        "id", type=int, help="the call action's id (relance actions list --channel call)"
    )
    p.add_argument(
        "--outcome",
        required=True,
        choices=[
            "promise", "dispute", "call_back", "wrong_number", "paid_already", "no_answer",
            "voicemail", "invoice_not_received", "cash_difficulty",
        ],
    )
    p.add_argument("--amount", type=parse_amount, help="promise: the amount promised")
    p.add_argument(
        "--date",
        type=parse_date,
        help="promise: the promised date; call_back: the day to call; paid_already: the day paid",
    )
    p.add_argument(
        "--invoice", action="append", help="dispute: an invoice number (repeat for several)"
    )
    p.add_argument("--reason", help="dispute: the reason given")
    p.add_argument("--phone", help="wrong_number: the number found wrong (default: the debtor's)")
    p.add_argument("--note", help="what else was said")
    p.add_argument(
        "--grace", type=int, default=3, help="promise: days of grace after the date (default 3)"
    )
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)
    p = command(
        casub, "done", cmd_task_done, "close a task (find a number, check a payment) as done"
    )
    p.add_argument("id", type=int)
    p.add_argument("--note")
    p.add_argument("--creditor")
    p.add_argument("--as-of", type=parse_date)
    return CollectionParsers(run=run, scenario=scsub, actions=acsub, case=cssub)
