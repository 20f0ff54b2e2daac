"""A letter's penalty periods as it shows them: contiguous ones at the same rate and base merged."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Protocol


class RatePeriod(Protocol):
    """What a period needs to be shown (``context.RatePeriod`` has it)."""

    @property
    def start(self) -> date: ...
    @property
    def end(self) -> date: ...
    @property
    def days(self) -> int: ...
    @property
    def rate(self) -> Decimal: ...
    @property
    def base(self) -> Decimal: ...
    @property
    def interest(self) -> Decimal: ...


def merged_periods(periods: Sequence[RatePeriod]) -> list[dict[str, Any]]:
    """Periods as a letter shows them: contiguous ones at the same rate and base merged."""
    merged: list[dict[str, Any]] = []
    for p in periods:
        last = merged[-1] if merged else None
        if (
            last
            and last["rate"] == p.rate
            and last["base"] == p.base
            and last["end"] + timedelta(days=1) == p.start
        ):
            last["end"] = p.end
            last["days"] += p.days
            last["interest"] += p.interest
            continue
        merged.append(
            {
                "start": p.start,
                "end": p.end,
                "days": p.days,
                "rate": p.rate,
                "base": p.base,
                "interest": p.interest,
            }
        )
    return merged
