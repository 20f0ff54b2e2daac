"""What a ledger import reports: its counts, problems and notes, and its batch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from relance.domain.problems import Problem


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

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "settled": self.settled,
            "problems": [p.as_dict() for p in self.problems],
            "notes": self.notes,
            "batch": self.batch_id,
            "dry_run": self.dry_run,
            "committed": self.ok and not self.dry_run,
        }
