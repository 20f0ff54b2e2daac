"""What the collection app tells the apps above it after a morning pass: a small typed registry.

The collection app must not import the workspace (nor the portal or the editors): they sit
above it. So an app above registers a hook here from its ``AppConfig.ready`` (the workspace
registers ``warming.figures_warm``), and ``morning_pass`` calls every hook once a real pass (not a dry
run) has moved payments and statuses. Imports no other collection module.
"""

from __future__ import annotations

from datetime import date
from typing import Protocol

from relance.apps.creditors.models import Creditor


class AfterPass(Protocol):
    """Called once per creditor after its pass, with the day the figures are for."""

    def __call__(self, *, creditor: Creditor, as_of: date) -> None: ...


_after_pass: list[AfterPass] = []


def after_pass_connect(hook: AfterPass) -> None:
    """Register ``hook`` (once, however often ``ready`` runs)."""
    if hook not in _after_pass:
        _after_pass.append(hook)


def after_pass_notify(*, creditor: Creditor, as_of: date) -> None:
    """Call every registered hook for ``creditor``, in the order they were registered."""
    for hook in _after_pass:
        hook(creditor=creditor, as_of=as_of)
