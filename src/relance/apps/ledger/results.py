"""What a ledger import reports: its counts, problems and notes, and its batch; the invoices it
settles (or would), the question it asks before settling many, and the conflicts it left to a
person."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from relance.domain.problems import Problem

# Past these, settling the invoices a file leaves out waits for the user to say whether the
# file is the whole open list or a part of it (issue #15): more than this share of the open
# amount (in one currency), or more invoices than this.
ASK_SHARE = Decimal("0.20")
ASK_COUNT = 10
# Invoices listed by ``as_dict``; the count and the amounts always cover them all.
LISTED = 500

# The question an import asks instead of settling many invoices a file leaves out.
FULL_OR_PARTIAL = "full_or_partial"


@dataclass
class ImportResult:
    format: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    settled: int = 0
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    batch_id: int | None = None
    dry_run: bool = False
    # The first LISTED invoices marked settled: number, debtor account, open amount before,
    # currency, and why ("absent": not in the file's open list; "paid": the file says nothing
    # is left). Their count and amounts, by why and currency, cover them all.
    settling: list[dict[str, Any]] = field(default_factory=list)
    settling_counts: dict[str, int] = field(default_factory=dict)
    settling_sums: dict[tuple[str, str], Decimal] = field(default_factory=dict)
    # What was open before the import, by currency (the share the question weighs).
    open_before: dict[str, Decimal] = field(default_factory=dict)
    # Set when the import wrote nothing because it must first be told "full" or "partial".
    question: str | None = None
    # Invoices the file says are open although a bank match or a recorded payment settled them
    # (wholly or partly): the payment is kept and a person decides.
    conflicts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def settle(self, row: dict[str, Any]) -> None:
        """Count an invoice marked settled (see ``settling``), listing it among the first."""
        if len(self.settling) < LISTED:
            self.settling.append(row)
        why, currency = row["why"], row["currency"]
        self.settling_counts[why] = self.settling_counts.get(why, 0) + 1
        key = (why, currency)
        self.settling_sums[key] = self.settling_sums.get(key, Decimal("0.00")) + row["open_amount"]

    def settling_count(self, why: str | None = None) -> int:
        return sum(n for w, n in self.settling_counts.items() if why is None or w == why)

    def settling_amounts(self, why: str | None = None) -> dict[str, Decimal]:
        """The open amounts of the invoices settled, by currency (only ``why``'s, if given)."""
        out: dict[str, Decimal] = {}
        for (w, currency), amount in self.settling_sums.items():
            if why is None or w == why:
                out[currency] = out.get(currency, Decimal("0.00")) + amount
        return out

    def asks(self) -> bool:
        """Whether settling the invoices the file leaves out is big enough to ask first."""
        if self.settling_count("absent") > ASK_COUNT:
            return True
        for currency, amount in self.settling_amounts("absent").items():
            before = self.open_before.get(currency, Decimal("0.00"))
            if amount > 0 and (before <= 0 or amount > before * ASK_SHARE):
                return True
        return False

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "settled": self.settled,
            "settling": {
                "count": self.settling_count(),
                "amounts": {c: f"{a:.2f}" for c, a in self.settling_amounts().items()},
                "absent_count": self.settling_count("absent"),
                "absent_amounts": {
                    c: f"{a:.2f}" for c, a in self.settling_amounts("absent").items()
                },
                "open_before": {c: f"{a:.2f}" for c, a in self.open_before.items()},
                "invoices": [
                    row | {"open_amount": f"{row['open_amount']:.2f}"} for row in self.settling
                ],
            },
            "question": self.question,
            "conflicts": [
                row | {k: f"{row[k]:.2f}" for k in ("open_amount", "file_open_amount")}
                for row in self.conflicts
            ],
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
            "batch": self.batch_id,
            "dry_run": self.dry_run,
            "committed": self.ok and not self.dry_run and self.question is None,
        }
