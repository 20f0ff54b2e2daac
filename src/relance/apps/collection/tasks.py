"""The collection's tasks, for workers on the task queue (README, "Workers").

Like the CLI, a task parses its arguments (JSON: ids and ISO dates) and calls services:

- ``relance.daily_pass``: beat's morning task. Queues one ``relance.creditor_pass`` per
  creditor, so creditors run in parallel on several workers; nothing on a public holiday.
- ``relance.creditor_pass``: what ``relance run --creditor C`` does, the pass then the outbox.
  With ``dispatchers`` > 1 it also queues that many minus one ``relance.outbox_dispatch`` for
  the creditor before dispatching itself, so several workers drain a big outbox together.
- ``relance.outbox_dispatch``: the outbox alone. Several at once are safe: each claims its own
  rows in the database (``SELECT … FOR UPDATE SKIP LOCKED`` on PostgreSQL, one writer at a time
  on SQLite), so no message goes out twice.

Each task runs again when its worker dies (``relance.config.celery``): a second pass adds
nothing, and a second dispatch takes back the dead one's claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils import timezone

from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.models import Scenario
from relance.apps.collection.morning import morning_pass
from relance.apps.collection.pass_dates import pass_date_check
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.creditors.selectors import creditor_get, creditors_list
from relance.config.celery import app
from relance.domain.calendar import is_business_day
from relance.domain.errors import InvalidInputError


@dataclass(frozen=True)
class Queued:
    creditor_id: int
    creditor: str
    task_id: str

    def as_dict(self) -> dict[str, Any]:
        return {"creditor_id": self.creditor_id, "creditor": self.creditor, "task_id": self.task_id}


def daily_pass_enqueue(
    *, as_of: date, creditor: str | int | None = None, dispatchers: int = 1
) -> list[Queued]:
    """Queue the pass of ``as_of`` for one creditor or each of them; return the tasks."""
    if dispatchers < 1:
        raise InvalidInputError("--dispatchers must be at least 1")
    targets = [creditor_get(ref=creditor)] if creditor not in (None, "") else creditors_list()
    today = timezone.localdate()
    for c in targets:  # refused here, with its reason, rather than in a worker's log
        pass_date_check(creditor=c, as_of=as_of, today=today, dry_run=False)
    # The passes would each install the shipped scenarios into an empty table, and collide.
    if targets and not Scenario.objects.exists():
        scenarios_load_defaults()
    queued = []
    for c in targets:
        task = creditor_pass.delay(c.pk, as_of.isoformat(), dispatchers)
        queued.append(Queued(c.pk, c.name, task.id))
    return queued


@app.task(name="relance.daily_pass")  # type: ignore[untyped-decorator]  # celery ships no types
def daily_pass(as_of: str | None = None, dispatchers: int = 1) -> list[dict[str, Any]]:
    """The morning pass, one task per creditor; skipped on a public holiday unless a day is
    given (beat runs it Monday to Friday)."""
    day = date.fromisoformat(as_of) if as_of else timezone.localdate()
    if as_of is None and not is_business_day(day):
        return []
    return [q.as_dict() for q in daily_pass_enqueue(as_of=day, dispatchers=dispatchers)]


@app.task(name="relance.creditor_pass")  # type: ignore[untyped-decorator]  # celery ships no types
def creditor_pass(creditor_id: int, as_of: str, dispatchers: int = 1) -> dict[str, Any]:
    """One creditor's daily pass, then its outbox (with ``dispatchers`` - 1 helpers)."""
    creditor = creditor_get(ref=creditor_id)
    day = date.fromisoformat(as_of)

    def helpers() -> None:
        for _ in range(max(0, dispatchers - 1)):
            outbox_dispatch_task.delay(as_of, creditor_id)

    return morning_pass(as_of=day, creditor=creditor, before_dispatch=helpers).as_dict()


@app.task(name="relance.outbox_dispatch")  # type: ignore[untyped-decorator]  # celery ships no types
def outbox_dispatch_task(as_of: str, creditor_id: int | None = None) -> dict[str, Any]:
    """Send what is due in the outbox, for one creditor or all of them."""
    creditor = creditor_get(ref=creditor_id) if creditor_id is not None else None
    out = outbox_dispatch(as_of=date.fromisoformat(as_of), creditor=creditor)
    return {
        "sent": out.sent,
        "failed": out.failed,
        "retried": out.retried,
        "recovered": out.recovered,
        "cancelled": out.cancelled,
        "abandoned": out.abandoned,
        "problems": [p.as_dict() for p in out.problems],
    }
