"""What the command modules share: how a command is added to a group (``command``), JSON
and table printing, problems on stderr, argument types (dates, amounts), the day and the
creditor a command is about, and the figures refresh after an import.

It imports no command module: they all import it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol

Handler = Callable[[argparse.Namespace], int]


class Subcommands(Protocol):
    """A group's sub-commands, as ``ArgumentParser.add_subparsers`` returns them."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser: ...


def command(
    parent: Subcommands, name: str, handler: Handler, help: str, *, json_flag: bool = True
) -> argparse.ArgumentParser:
    """Add the command ``name``, run by ``handler``, to ``parent``; with ``--json`` unless told."""
    p = parent.add_parser(name, help=help, description=help)
    p.set_defaults(handler=handler)
    if json_flag:
        p.add_argument("--json", action="store_true", help="print JSON for machines")
    return p


def group(
    parent: Subcommands, name: str, help: str, dest: str, *, metavar: str = "ACTION"
) -> Subcommands:
    """Add the command group ``name`` (``relance NAME ACTION``) to ``parent``; its actions."""
    parser = parent.add_parser(name, help=help)
    return parser.add_subparsers(dest=dest, required=True, metavar=metavar)


def parse_date(text: str) -> date:
    """An argument type: an ISO date."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def parse_amount(text: str) -> Decimal:
    """An argument type: an amount, with a decimal point or comma."""
    try:
        return Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount") from None


def today(args: argparse.Namespace) -> date:
    """The command's ``--as-of`` when it has one and it is given, else today."""
    from django.utils import timezone

    given: date | None = getattr(args, "as_of", None)
    return given or timezone.localdate()


def creditor_of(args: argparse.Namespace) -> Any:
    """The creditor ``--creditor`` names (id or name), or the only one when it is left out."""
    from relance.apps.creditors.selectors import creditor_get

    return creditor_get(ref=getattr(args, "creditor", None))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, default=_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: set[int] | None = None) -> str:
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


def print_problems(problems: list[dict[str, Any]]) -> None:
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


def figures_warm(creditor: Any) -> None:
    """The workspace's kept figures computed now, after an import changed the ledger, so that
    the first person to open the dashboard does not wait for them (the cache is shared)."""
    from django.utils import timezone

    from relance.apps.workspace import warming

    warming.figures_warm(creditor=creditor, as_of=timezone.localdate())


