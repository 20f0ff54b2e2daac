"""Command group registered by relance.cli (filled in by its area)."""

from __future__ import annotations

from typing import Any


def register(sub: Any, command: Any) -> None:
    return None
