"""The earlier attempts a letter recounts: what reached the debtor before a day, from the record.

Sent e-mails, letters, registered letters and SMS; calls once an outcome was recorded; contacts
declared done outside Relance (``relance case history add``). Planned, skipped, cancelled,
failed and uncertain actions never reached the debtor (as far as anyone knows) and are left
out, so a letter's "despite our earlier reminders" always names reminders in the record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from django.utils import timezone

from relance.apps.collection.models import Action, DeclaredContact, Step
from relance.apps.ledger.models import Debtor
from relance.documents.context import Attempt

ATTEMPT_CHANNELS = ("email", "letter", "registered_letter", "sms")


def _outcome_summary(outcome: dict[str, Any]) -> str:
    for key in ("summary", "note", "result", "kind"):
        value = outcome.get(key)
        if value:
            return str(value)
    return ""


_ATTEMPT_FIELDS = (
    "pk",
    "debtor_id",
    "channel",
    "state",
    "outcome",
    "sent_at",
    "planned_date",
    "subject",
)


def attempt_rows(debtor_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Per debtor, the actions that may count as attempts and the contacts declared, oldest
    first."""
    rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in (
        Action.objects.filter(
            debtor_id__in=list(debtor_ids), channel__in=(*ATTEMPT_CHANNELS, Step.Channel.CALL)
        )
        .exclude(state__in=(Action.State.CANCELLED, Action.State.SKIPPED, Action.State.FAILED))
        .order_by("planned_date", "id")
        .values(*_ATTEMPT_FIELDS)
    ):
        rows[row["debtor_id"]].append(row)
    # Contacts declared done outside Relance count as attempts too, as the user described them.
    for pk, debtor_id, channel, day, note in DeclaredContact.objects.filter(
        debtor_id__in=list(debtor_ids)
    ).values_list("pk", "debtor_id", "channel", "contact_date", "note"):
        rows[debtor_id].append(
            {
                "pk": f"declared:{pk}",
                "debtor_id": debtor_id,
                "channel": channel,
                "state": Action.State.SENT,
                "outcome": {"declared": True, "note": note},
                "sent_at": None,
                "planned_date": day,
                "subject": note,
            }
        )
    for listed in rows.values():
        listed.sort(key=lambda r: r["planned_date"])
    return rows


def attempts_from(
    rows: Iterable[dict[str, Any]], *, before: date, exclude_id: int | None
) -> tuple[Attempt, ...]:
    attempts = []
    for a in rows:
        if a["pk"] == exclude_id:
            continue
        done = (
            bool(a["outcome"])
            if a["channel"] == Step.Channel.CALL
            else a["state"] == Action.State.SENT
        )
        if not done:
            continue
        day = timezone.localdate(a["sent_at"]) if a["sent_at"] else a["planned_date"]
        if day >= before and a["planned_date"] < before:
            day = a[
                "planned_date"
            ]  # sent after the day looked at (a past day replayed): its plan date
        if day >= before:
            continue
        summary = (
            a["subject"] if a["channel"] != Step.Channel.CALL else _outcome_summary(a["outcome"])
        )
        attempts.append(Attempt(date=day, channel=a["channel"], summary=summary))
    attempts.sort(key=lambda x: x.date)
    return tuple(attempts)


def attempts_for(
    *, debtor: Debtor, before: date, exclude_id: int | None = None
) -> tuple[Attempt, ...]:
    """The steps carried out with the debtor before ``before``, oldest first.

    Sent e-mails, letters, registered letters and SMS; calls once an outcome was recorded;
    contacts declared done outside Relance (``relance case history add``).
    Planned, skipped, cancelled and failed actions never reached the debtor and are left out.
    """
    return attempts_from(
        attempt_rows([debtor.pk]).get(debtor.pk, []), before=before, exclude_id=exclude_id
    )


def attempts_by_debtor(
    debtor_ids: Iterable[int], *, before: date, exclude_ids: Iterable[int] = ()
) -> dict[int, tuple[Attempt, ...]]:
    """``attempts_for`` of many debtors in one query (the actions ``exclude_ids`` left out)."""
    skip = set(exclude_ids)
    return {
        debtor_id: tuple(
            a for a in attempts_from([r for r in rows if r["pk"] not in skip], before=before,
                                      exclude_id=None)
        )
        for debtor_id, rows in attempt_rows(debtor_ids).items()
    }
