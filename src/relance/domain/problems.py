"""What a batch (an import, a pass) reports instead of stopping at the first fault."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Problem:
    """One fault found in an input, located as precisely as the input allows.

    ``line`` is 1-based in the file as the user sees it (the header is line 1 of a CSV);
    ``column`` is the column's name as written in the file, when there is one.
    """

    code: str
    message: str
    line: int | None = None
    column: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.column:
            where.append(f"column {self.column}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message} [{self.code}]" if prefix else f"{self.message} [{self.code}]"
