"""The morning pass: the daily pass, then the outbox, then the hooks of the apps above.

``morning_pass`` is what ``relance run``, the API's ``POST /run``, the worklist's "Run today's
pass" button and the ``relance.creditor_pass`` task all call, and nothing else: the pass
(``daily_pass.collection_run``), the e-mails due (``dispatch.outbox_dispatch``), then the
``hooks`` (the workspace's figures, computed again for today so the morning's first dashboard
opens at once). A dry run writes nothing, sends nothing and calls no hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from django.utils import timezone

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.dispatch import outbox_dispatch
from relance.apps.collection.hooks import after_pass_notify
from relance.apps.collection.results import RunResult
from relance.apps.creditors.models import Creditor
from relance.apps.creditors.selectors import creditors_list


def morning_pass(
    *,
    as_of: date,
    creditor: Creditor | None = None,
    dry_run: bool = False,
    actor: str = "system",
    before_dispatch: Callable[[], None] | None = None,
) -> RunResult:
    """The pass of ``as_of`` for one creditor or all, its outbox, then the hooks.

    A real pass for a day after today, or before a creditor's last real pass, is refused
    whole (``InvalidInputError``, nothing written); a dry run may look at any day.

    ``before_dispatch``: called between the pass and the outbox (the task queues its helper
    dispatchers there, once there is something to send).
    """
    result = collection_run(
        as_of=as_of,
        creditor=creditor,
        dry_run=dry_run,
        dispatch=False,
        actor=actor,
        today=timezone.localdate(),
    )
    if dry_run:
        return result
    if before_dispatch is not None:
        before_dispatch()
    outbox_dispatch(as_of=as_of, creditor=creditor, result=result, actor=actor)
    today = timezone.localdate()
    for one in [creditor] if creditor is not None else creditors_list():
        after_pass_notify(creditor=one, as_of=today)
    return result
