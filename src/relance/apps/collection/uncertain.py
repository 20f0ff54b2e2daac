"""E-mails nobody knows arrived: handed to the mail server, its reply never seen.

The outbox leaves such an action ``uncertain`` (``outbox_recovery``, ``outbox_outcomes``): it
is not sent again (it may have arrived) and not counted as sent (it may not have), so it is no
proof for a letter or a dossier, and its case waits. A person decides, on the worklist or with
``relance actions resend|confirm-sent``:

- ``action_resend``: back in the queue, sent by the next dispatch under the same Message-ID
  (a mail system that did receive the first one can recognise the second);
- ``action_confirm_sent``: the person knows it arrived (the debtor answered it, the mail
  server's log shows it): ``sent``, as of its hand-over, the event naming who said so.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from relance.apps.audit.services import event_record
from relance.apps.collection.models import Action
from relance.apps.collection.outbox_recovery import queued_state
from relance.apps.creditors.models import Creditor
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_
from relance.domain.vocabulary import state_word


def actions_uncertain(*, creditor: Creditor | None) -> QuerySet[Action]:
    """The uncertain e-mails (of one creditor, or all), oldest hand-over first."""
    qs = Action.objects.filter(state=Action.State.UNCERTAIN).select_related("debtor")
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    return qs.order_by("handed_over_at", "id")


def _locked(*, action_id: int, creditor: Creditor | None) -> Action:
    qs = Action.objects.select_for_update().filter(pk=action_id)
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    action = qs.first()
    if action is None:
        raise NotFoundError(N_("no action %(action)s"), params={"action": action_id})
    if action.state != Action.State.UNCERTAIN:
        raise InvalidInputError(
            N_(
                "action %(action)s is %(state)s: only an uncertain e-mail can be resent or "
                "confirmed as sent"
            ),
            params={"action": action_id, "state": state_word(action.state)},
        )
    return action


def action_resend(*, action_id: int, creditor: Creditor | None, actor: str) -> Action:
    """Queue an uncertain e-mail again: the next dispatch sends it, same Message-ID."""
    with transaction.atomic():
        action = _locked(action_id=action_id, creditor=creditor)
        action.state = queued_state(action.requires_approval)
        action.handed_over_at = action.accepted_at = action.next_attempt_at = None
        action.claimed_by, action.error = "", ""
        action.updated_at = timezone.now()
        action.save(
            update_fields=[
                "state",
                "handed_over_at",
                "accepted_at",
                "next_attempt_at",
                "claimed_by",
                "error",
                "updated_at",
            ]
        )
        event_record(
            kind="action.resend",
            subject_type="action",
            subject_id=action.pk,
            creditor_id=action.creditor_id,
            payload={"message_id": action.message_id, "sha256": action.sha256},
            actor=actor,
        )
    return action


def action_confirm_sent(
    *, action_id: int, creditor: Creditor | None, actor: str, note: str = ""
) -> Action:
    """Record, on a person's word, that an uncertain e-mail did arrive."""
    with transaction.atomic():
        action = _locked(action_id=action_id, creditor=creditor)
        action.state = Action.State.SENT
        action.sent_at = action.handed_over_at or timezone.now()
        action.error = ""
        action.updated_at = timezone.now()
        action.save(update_fields=["state", "sent_at", "error", "updated_at"])
        event_record(
            kind="action.sent",
            subject_type="action",
            subject_id=action.pk,
            creditor_id=action.creditor_id,
            payload={
                "message_id": action.message_id,
                "sha256": action.sha256,
                "document": action.document.name,
                "confirmed_by_person": True,
                "note": note,
            },
            actor=actor,
        )
    return action
