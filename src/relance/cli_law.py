"""``relance interest``, ``relance rates`` and ``relance prescription`` (wired when the law engine lands)."""

from __future__ import annotations

from typing import Any


def register(sub: Any, command: Any) -> None:
    return None
