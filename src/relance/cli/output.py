"""What the command modules share: JSON and table printing, problems on stderr, argument
types (dates, amounts), and the figures refresh after an import.

It imports no command module: they all import it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

Handler = Callable[[argparse.Namespace], int]


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"cannot serialise {type(value).__name__}")


def emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, default=_default, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def _table(rows: Sequence[Sequence[Any]], headers: Sequence[str], right: set[int] | None = None) -> str:
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


def _print_problems(problems: list[dict[str, Any]]) -> None:
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


def _figures_warm(creditor: Any) -> None:
    """The workspace's kept figures computed now, after an import changed the ledger, so that
    the first person to open the dashboard does not wait for them (the cache is shared)."""
    from django.utils import timezone

    from relance.apps.workspace.figures import warm

    warm(creditor=creditor, as_of=timezone.localdate())


