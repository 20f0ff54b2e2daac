"""The document commands: render a step without sending it, print the day's letters, record
a registered letter's delivery.

``relance render --debtor ACCOUNT --step KEY [--as-of DATE] [--lang fr|en] --out FILE.pdf|FILE.eml``
``relance letters batch --as-of DATE --out FILE.pdf [--creditor C]``
``relance actions deliver ID --tracking NUMBER [--received DATE | --not-claimed]``
"""

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
    parse_date,
    today,
)
from relance.domain.errors import InvalidInputError


def _write(path: Path, data: bytes) -> None:
    if path.parent and not path.parent.is_dir():
        raise InvalidInputError(f"{path.parent} is not a folder")
    tmp = path.with_name(path.name + ".part")
    tmp.write_bytes(data)
    tmp.replace(path)


def cmd_render(args: argparse.Namespace) -> int:
    from relance.apps.collection.messages import document_render

    out = Path(args.out)
    kind = out.suffix.lower().lstrip(".")
    if kind not in ("pdf", "eml"):
        raise InvalidInputError(f"--out must end in .pdf or .eml, not {out.name!r}")
    doc = document_render(creditor=creditor_of(args), debtor_account=args.debtor, step_key=args.step,
                          as_of=today(args), lang=args.lang, kind=kind)
    _write(out, doc.data)
    data = {"out": str(out), "kind": doc.kind, "step": doc.step, "channel": doc.channel, "subject": doc.subject,
            "sha256": doc.sha256, "bytes": len(doc.data), "problems": [p.as_dict() for p in doc.problems]}
    if args.json:
        emit_json(data)
    else:
        print(f"{out}: {doc.step} ({doc.channel}), {len(doc.data)} bytes, not sent.")
    for p in doc.problems:
        print(f"  problem: {p.message} [{p.code}]", file=sys.stderr)
    return 1 if doc.problems else 0


def cmd_letters_batch(args: argparse.Namespace) -> int:
    from relance.apps.collection.letters import letters_batch

    out = Path(args.out)
    if out.suffix.lower() != ".pdf":
        raise InvalidInputError(f"--out must end in .pdf, not {out.name!r}")
    if out.parent and not out.parent.is_dir():
        raise InvalidInputError(f"{out.parent} is not a folder")
    creditor = creditor_of(args) if args.creditor else None
    # Without --as-of, today's batch: the date is read here, at the edge, and passed on.
    as_of = today(args)
    result = letters_batch(as_of=as_of, creditor=creditor, workers=args.workers)
    if result.pdf:
        _write(out, result.pdf)
    data = {"out": str(out) if result.pdf else None, **result.as_dict()}
    if args.json:
        emit_json(data)
    else:
        if result.pdf:
            pages = sum(x["pages"] for x in result.letters)
            print(f"{out}: {len(result.letters)} letter(s), {pages} page(s) behind the cover sheet; "
                  f"sha256 {result.sha256}.")
            for x in result.letters:
                print(f"  {x['action']:>6}  {x['debtor']:<12} {x['step']:<16} {x['channel']:<18} {x['sha256'][:12]}")
        else:
            print(f"No letter to print for {as_of}.")
        if result.refused:
            print(f"  {len(result.refused)} letter(s) refused; they stay pending.")
    for p in result.problems:
        print(f"  problem: {p.message} [{p.code}]", file=sys.stderr)
    return 1 if result.refused else 0


def cmd_actions_deliver(args: argparse.Namespace) -> int:
    from relance.apps.collection.letters import letter_deliver

    receipt = None
    if args.receipt_file is not None:
        try:
            receipt = Path(args.receipt_file).read_bytes()
        except OSError as exc:
            raise InvalidInputError(f"--receipt-file: cannot read {args.receipt_file}: {exc.strerror}") from None
    a = letter_deliver(action_id=args.id, tracking=args.tracking, received=args.received,
                       not_claimed=args.not_claimed or args.returned is not None, returned=args.returned,
                       receipt=receipt, receipt_filename=Path(args.receipt_file).name if args.receipt_file else "")
    data = {"id": a.pk, "tracking_number": a.tracking_number, "received_date": a.received_date,
            "not_claimed": a.not_claimed, "sha256": a.sha256, "receipt_sha256": a.receipt_sha256 or None}
    if args.json:
        emit_json(data)
    elif a.received_date:
        print(f"Action {a.pk}: {a.tracking_number} received on {a.received_date}."
              + (f" Acknowledgement kept (SHA-256 {a.receipt_sha256})." if a.receipt_sha256 else ""))
    elif a.not_claimed:
        print(f"Action {a.pk}: {a.tracking_number} not claimed.")
    else:
        print(f"Action {a.pk}: tracking number {a.tracking_number}; waiting for the acknowledgement.")
    return 0


def register(sub: Subcommands, *, actions: Subcommands) -> None:
    """Add ``render`` and the ``letters`` group, and ``deliver`` to the ``actions`` group
    (``actions``, from ``relance.cli.collection``)."""
    p = command(sub, "render", cmd_render, "render what a step would send a debtor, without sending it")
    p.add_argument("--debtor", required=True, help="debtor account")
    p.add_argument("--step", required=True, help="step key (reminder, reminder_letter, formal_notice...)")
    p.add_argument("--as-of", type=parse_date, help="the letter's date (default: today)")
    p.add_argument("--lang", choices=["fr", "en"], help="default: the debtor's language")
    p.add_argument("--out", required=True, help="FILE.pdf (the letter) or FILE.eml (the e-mail)")
    p.add_argument("--creditor")

    lsub = group(sub, "letters", "letters: the day's print batch", "letters_command")
    p = command(lsub, "batch", cmd_letters_batch, "print the day's letters into one PDF and mark them sent")
    p.add_argument("--as-of", type=parse_date, help="the letters' date (default: today)")
    p.add_argument("--out", required=True, help="FILE.pdf")
    p.add_argument("--creditor")
    p.add_argument("--workers", type=int, help="render processes (default: the CPU count)")

    p = command(actions, "deliver", cmd_actions_deliver, "record a registered letter's tracking number and receipt")
    p.add_argument("id", type=int)
    p.add_argument("--tracking", required=True, help="the La Poste tracking number")
    given = p.add_mutually_exclusive_group()
    given.add_argument("--received", type=parse_date, help="the date on the acknowledgement of receipt")
    given.add_argument("--not-claimed", action="store_true", help="the letter came back unclaimed")
    p.add_argument("--returned", type=parse_date, help="the day the unclaimed letter came back (default today)")
    p.add_argument("--receipt-file", metavar="PATH",
                   help="the signed acknowledgement of receipt, scanned (PDF or image): kept with its SHA-256")
