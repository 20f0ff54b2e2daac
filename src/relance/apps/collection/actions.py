"""Actions by hand: approve what waits for a person, skip a planned action, one or many at once.

Refusals name an action's state and channel with ``domain.vocabulary``'s words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from django.db import transaction

from relance.apps.audit.services import event_record, events_record
from relance.apps.collection.bulk import rows_events
from relance.apps.collection.models import (
    PENDING_ACTION_STATES,
    Action,
)
from relance.apps.collection.sendable import DocumentCheck, NotSendableError, documents_check
from relance.apps.creditors.models import Creditor
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_, Problem
from relance.domain.vocabulary import state_word

# The channels whose document a person approves: the letters and the e-mails.
DOCUMENT_CHANNELS = ("email", "letter", "registered_letter")


def approval_checks(
    actions: Sequence[Action], *, as_of: date | None = None
) -> dict[int, DocumentCheck]:
    """By action id, what approval will find (``documents_check``) for the actions that send a
    document; the worklist shows it before anyone clicks."""
    checked = documents_check([a for a in actions if a.channel in DOCUMENT_CHANNELS], as_of=as_of)
    return {c.action.pk: c for c in checked}


def actions_approve(
    *,
    ids: Sequence[int] | None,
    creditor: Creditor | None = None,
    actor: str = "system",
    as_of: date | None = None,
) -> int:
    """Approve actions waiting for it (``ids=None``: all of them). Returns how many.

    Each document is checked first as the print batch and the outbox will check it
    (``sendable.documents_check``, as of ``as_of``, default the day each is planned to go
    out): when one cannot be sent, ``NotSendableError`` lists every problem and nothing is
    approved."""
    qs = Action.objects.filter(state=Action.State.PLANNED, requires_approval=True)
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
        found = set(qs.values_list("pk", flat=True))
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(
                f"no action awaiting approval with id {', '.join(map(str, missing))}"
            )
    # Checked before the transaction: the check writes each document (templates run), and no
    # template runs under a lock. The lock then takes only the rows checked, still waiting.
    checked = list(qs)
    refused = [c for c in approval_checks(checked, as_of=as_of).values() if not c.ok]
    if refused:
        raise NotSendableError(refused)
    with transaction.atomic():
        rows = list(qs.filter(pk__in=[a.pk for a in checked]).select_for_update())
        Action.objects.filter(pk__in=[a.pk for a in rows]).update(state=Action.State.APPROVED)
        events_record(
            events=rows_events(
                "action.approved",
                "action",
                [(a.pk, a.creditor_id, {"step": a.step_key}) for a in rows],
                actor,
            )
        )
    return len(rows)


@dataclass
class BulkApproval:
    """What ``actions_approve_each`` did: the actions approved, and per action refused the
    problems that keep its document from going out (``documents_check``)."""

    approved: list[Action] = field(default_factory=list)
    refused: list[tuple[Action, tuple[Problem, ...]]] = field(default_factory=list)
    # Approved or skipped meanwhile (by a colleague, or a page left open): left as they are.
    decided: list[Action] = field(default_factory=list)


def actions_approve_each(
    *,
    ids: Sequence[int],
    creditor: Creditor,
    actor: str = "system",
    as_of: date | None = None,
) -> BulkApproval:
    """Approve each of ``ids`` (actions of ``creditor`` awaiting approval) whose document can be
    sent; the others stay waiting, each with what keeps it (the same ``documents_check`` as
    ``actions_approve``, run per action). One no longer awaiting approval is left as it is
    (``decided``); an id that is not one of the creditor's actions is refused whole with
    ``NotFoundError``."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise InvalidInputError("choose at least one action to approve")
    result = BulkApproval()
    with transaction.atomic():
        found = list(
            Action.objects.filter(creditor=creditor, pk__in=wanted)
            .select_related("debtor")
            .select_for_update(of=("self",))
            .order_by("id")
        )
        missing = sorted(set(wanted) - {a.pk for a in found})
        if missing:
            raise NotFoundError(f"no action with id {', '.join(map(str, missing))}")
        rows = [a for a in found if a.state == Action.State.PLANNED and a.requires_approval]
        result.decided = [a for a in found if a not in rows]
        checks = approval_checks(rows, as_of=as_of)
        for a in rows:
            check = checks.get(a.pk)
            if check is not None and not check.ok:
                result.refused.append((a, check.problems))
            else:
                result.approved.append(a)
        if result.approved:
            Action.objects.filter(pk__in=[a.pk for a in result.approved]).update(
                state=Action.State.APPROVED
            )
            events_record(
                events=rows_events(
                    "action.approved",
                    "action",
                    [(a.pk, a.creditor_id, {"step": a.step_key}) for a in result.approved],
                    actor,
                )
            )
    return result


def actions_skip(
    *, ids: Sequence[int], creditor: Creditor, reason: str = "skipped by hand", actor: str = "system"
) -> list[Action]:
    """Skip each of ``ids`` (planned or approved actions of ``creditor``), all or none."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise InvalidInputError("choose at least one action to skip")
    with transaction.atomic():
        rows = list(
            Action.objects.filter(creditor=creditor, pk__in=wanted, state__in=PENDING_ACTION_STATES)
            .select_for_update()
            .order_by("id")
        )
        missing = sorted(set(wanted) - {a.pk for a in rows})
        if missing:
            raise NotFoundError(
                f"no planned or approved action with id {', '.join(map(str, missing))}"
            )
        Action.objects.filter(pk__in=[a.pk for a in rows]).update(
            state=Action.State.SKIPPED, reason=reason[:200]
        )
        events_record(
            events=rows_events(
                "action.skipped",
                "action",
                [(a.pk, a.creditor_id, {"step": a.step_key, "reason": reason}) for a in rows],
                actor,
            )
        )
    return rows


def action_skip(
    *, action_id: int, reason: str = "skipped by hand", actor: str = "system"
) -> Action:
    with transaction.atomic():
        action = Action.objects.select_for_update().filter(pk=action_id).first()
        if action is None:
            raise NotFoundError(f"no action {action_id}")
        if action.state not in PENDING_ACTION_STATES:
            raise InvalidInputError(
                N_(
                    "action %(action)s is %(state)s: only a planned or approved action can be "
                    "skipped"
                ),
                params={"action": action_id, "state": state_word(action.state)},
            )
        action.state, action.reason = Action.State.SKIPPED, reason
        action.save(update_fields=["state", "reason", "updated_at"])
        event_record(
            kind="action.skipped",
            subject_type="action",
            subject_id=action.pk,
            creditor_id=action.creditor_id,
            payload={"step": action.step_key, "reason": reason},
            actor=actor,
        )
    return action
