"""What a daily pass reports: ``RunResult`` (its counts and problems, as ``relance run --json``).

The lowest module of the pass: the pass, the pauses and the outbox (``dispatch``) all add to a
``RunResult``, so it lives here, below them all, and imports no other collection module.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from relance.domain.problems import Problem

ACTION_COUNTS = ("planned", "awaiting_approval", "sent", "failed", "skipped", "cancelled")


@dataclass
class RunResult:
    as_of: date
    dry_run: bool = False
    cases_evaluated: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    by_channel: Counter[str] = field(default_factory=Counter)
    cases: Counter[str] = field(default_factory=Counter)
    held: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "dry_run": self.dry_run,
            "cases_evaluated": self.cases_evaluated,
            "actions": {k: self.actions.get(k, 0) for k in ACTION_COUNTS},
            "by_channel": dict(sorted(self.by_channel.items())),
            "cases": dict(sorted(self.cases.items())),
            "held": dict(sorted(self.held.items())),
            "problems": [p.as_dict() for p in self.problems],
        }
