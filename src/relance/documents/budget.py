"""The budget every template render runs under: a time limit, a cap on what it writes, a cap
on its work (loop turns, calls and filters) and a bound on how deep its macros call each other.

A creditor edits its templates, so a template may loop a hundred million times, call macros
that call themselves twice, or double a string until the machine gives up. The sandbox
(``sandbox.DocumentEnvironment``) counts as the template runs: every turn of a ``{% for %}``,
every macro call (weighing ``CALL_STEPS``), every filter, every piece written and every ``~`` concatenation goes through
``tick`` or ``spend``, which check the work, the size and the deadline (``time.monotonic``).
Past a limit the render stops with ``BudgetExceeded``, which ``templates`` turns into a problem
that says which limit, in the reader's language.

The counters are those of the render in progress in this thread (``bounded``); a render
outside ``bounded`` (which the renderers never do) is not counted.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

# A letter lists a debtor's invoices: thousands of lines at most. Ten times that is room enough,
# and far below what stalls a worker.
MAX_STEPS = 1_000_000
MAX_OUTPUT = 2_000_000  # characters: a long letter is 20,000; a debtor with 10,000 invoices, 1M
MAX_DEPTH = 32  # macros calling macros
MAX_SECONDS = 5.0
MAX_INT_BITS = 4096  # integers a template may compute
# What one macro call weighs against one loop turn: measured, a call costs about twenty times
# as long, so that the step limit (not the clock) stops exponential macros too.
CALL_STEPS = 20


class BudgetExceeded(Exception):
    """The render went past one of its limits: ``kind`` is ``steps``, ``output``, ``depth`` or
    ``time``, ``limit`` the limit it passed."""

    def __init__(self, kind: str, limit: float) -> None:
        super().__init__(f"template budget exceeded: {kind} over {limit}")
        self.kind, self.limit = kind, limit


@dataclass
class Budget:
    """The limits of one render, and what it has used so far."""

    max_steps: int = MAX_STEPS
    max_output: int = MAX_OUTPUT
    max_depth: int = MAX_DEPTH
    seconds: float = MAX_SECONDS
    deadline: float = field(default=0.0)
    steps: int = 0
    output: int = 0
    depth: int = 0


_current: ContextVar[Budget | None] = ContextVar("relance_template_budget", default=None)


@contextmanager
def bounded(budget: Budget | None = None) -> Iterator[Budget]:
    """Run the renders inside under ``budget`` (the defaults when None). Inside a render already
    bounded, the outer budget goes on counting (one message's parts share one budget)."""
    outer = _current.get()
    if outer is not None and budget is None:
        yield outer
        return
    budget = budget or Budget()
    budget.deadline = time.monotonic() + budget.seconds
    token = _current.set(budget)
    try:
        yield budget
    finally:
        _current.reset(token)


def tick(steps: int = 1) -> None:
    """Count ``steps`` units of work; past the budget, or past its deadline, stop the render."""
    budget = _current.get()
    if budget is None:
        return
    budget.steps += steps
    if budget.steps > budget.max_steps:
        raise BudgetExceeded("steps", budget.max_steps)
    if time.monotonic() > budget.deadline:
        raise BudgetExceeded("time", budget.seconds)


def spend(characters: int) -> None:
    """Count ``characters`` written; past the cap, stop the render."""
    budget = _current.get()
    if budget is None:
        return
    budget.output += characters
    if budget.output > budget.max_output:
        raise BudgetExceeded("output", budget.max_output)
    tick()


def fits(characters: int) -> None:
    """Refuse a value of ``characters`` before it is built, when it alone passes the cap."""
    budget = _current.get()
    limit = budget.max_output if budget is not None else MAX_OUTPUT
    if characters > limit:
        raise BudgetExceeded("output", limit)


def weight(value: object, limit: int = MAX_OUTPUT) -> int:
    """About how many characters ``value`` makes once written as text (a list written whole
    repeats each item's text): counted only until past ``limit``."""
    if isinstance(value, str):
        return len(value)
    items: object
    if isinstance(value, dict):
        items = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        items = value
    else:
        return 24
    total = 2
    for item in items:
        total += weight(item, limit) + 2
        if total > limit:
            break
    return total


def fits_value(value: object) -> None:
    """Refuse ``value`` before it is written as text, when its text alone passes the cap."""
    budget = _current.get()
    limit = budget.max_output if budget is not None else MAX_OUTPUT
    if not isinstance(value, str) and weight(value, limit) > limit:
        raise BudgetExceeded("output", limit)


@contextmanager
def deeper() -> Iterator[None]:
    """One more macro call on the stack, refused past the depth bound."""
    budget = _current.get()
    if budget is None:
        yield
        return
    budget.depth += 1
    try:
        if budget.depth > budget.max_depth:
            raise BudgetExceeded("depth", budget.max_depth)
        tick(CALL_STEPS)
        yield
    finally:
        budget.depth -= 1
