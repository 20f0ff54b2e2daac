"""What a call achieved: each outcome a collector records updates the case, in one transaction.

``call_outcome_record`` closes a call action (state ``sent``, the outcome in ``Action.outcome``)
and does what the outcome means:

- ``promise``: amount and date → ``promise_add`` (the case waits until the date plus grace);
- ``dispute``: the debtor's invoice(s) and the reason → ``dispute_open`` for each invoice;
- ``call_back``: a date → a new call task on that day;
- ``wrong_number``: the number called is marked wrong (kept in the outcome, so nothing is lost:
  ``wrong_phones`` reads it back) and a task to find the right number is created for today;
- ``paid_already``: the debtor says it paid → the case pauses for ``PAID_PAUSE_DAYS`` business
  days while the bank statement comes in, and a task to check it is due on the last of them;
- ``no_answer``: a new call the next business day, at most ``MAX_CALL_ATTEMPTS`` calls in all
  (``Action.attempts`` counts the unanswered calls before this one); after that the chase moves
  on with the scenario's next step. ``voicemail`` (a message left) is the same, said so;
- ``invoice_not_received``: the invoice goes again today (step ``invoice_again``: by e-mail,
  by post without a usable address, else a task to find one);
- ``cash_difficulty``: a task for today to offer the debtor a payment plan.

Follow-up actions carry an idempotency key derived from the call (``call:<id>:<what>``), so a
retried request never creates a task twice; a second outcome on the same call is refused. Each
outcome leaves a ``call.recorded`` audit event, plus the events of the services it calls.

``outcome["summary"]`` is written in the debtor's language: later letters quote it among the
earlier attempts (``attempts.attempts_for``).

``task_complete`` closes a task (channel ``task``, e.g. "find the right number") with a note.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from relance.apps.audit.services import EventInput, events_record
from relance.apps.collection import pauses
from relance.apps.collection.models import (
    PENDING_ACTION_STATES,
    Action,
    Case,
    Dispute,
    Promise,
    Step,
)
from relance.apps.collection.reach import (
    NO_EMAIL_LETTER,
    NO_EMAIL_NO_ADDRESS,
    email_usable,
    postal_usable,
)
from relance.apps.creditors.models import Creditor
from relance.apps.ledger.models import Debtor, Invoice
from relance.documents.formatting import format_date, format_money
from relance.domain.calendar import add_business_days, next_business_day
from relance.domain.errors import InvalidInputError, NotFoundError
from relance.domain.problems import N_, Phrase
from relance.domain.vocabulary import channel_word, state_word

OUTCOMES = (
    "promise", "dispute", "call_back", "wrong_number", "paid_already", "no_answer", "voicemail",
    "invoice_not_received", "cash_difficulty",
)
# An outcome as a refusal names it: its value in English, as the CLI always said it.
OUTCOME_WORDS = {
    "promise": Phrase.of(N_("promise")),
    "dispute": Phrase.of(N_("dispute")),
    "call_back": Phrase.of(N_("call_back")),
    "wrong_number": Phrase.of(N_("wrong_number")),
    "paid_already": Phrase.of(N_("paid_already")),
    "no_answer": Phrase.of(N_("no_answer")),
    "voicemail": Phrase.of(N_("voicemail")),
    "invoice_not_received": Phrase.of(N_("invoice_not_received")),
    "cash_difficulty": Phrase.of(N_("cash_difficulty")),
}
MAX_CALL_ATTEMPTS = 3
PAID_PAUSE_DAYS = 3
MAX_TEXT = 500
CENT = Decimal("0.01")

SUMMARIES = {
    "fr": {
        "promise": "promesse de paiement de {amount} au {day}",
        "dispute": "contestation de {invoices} : {reason}",
        "call_back": "à rappeler le {day}",
        "wrong_number": "numéro erroné ({phone})",
        "paid_already": "paiement annoncé{paid}, à rapprocher",
        "no_answer": "appel sans réponse",
        "voicemail": "message laissé",
        "invoice_not_received": "facture non reçue, renvoyée le {day}",
        "cash_difficulty": "difficultés de trésorerie, échéancier à proposer",
    },
    "en": {
        "promise": "promise to pay {amount} by {day}",
        "dispute": "dispute of {invoices}: {reason}",
        "call_back": "call back on {day}",
        "wrong_number": "wrong number ({phone})",
        "paid_already": "payment announced{paid}, to be matched",
        "no_answer": "no answer",
        "voicemail": "message left",
        "invoice_not_received": "invoice not received, sent again on {day}",
        "cash_difficulty": "cash difficulties, a payment plan to offer",
    },
}
PAID_ON = {"fr": " le {day}", "en": " on {day}"}
TASKS = {
    "find_number": "Find the right phone number",
    "check_payment": "Check the bank for the announced payment",
    "offer_plan": "Offer a payment plan",
}


@dataclass
class CallResult:
    action: Action
    outcome: dict[str, Any]
    follow_ups: list[Action] = field(default_factory=list)
    promise: Promise | None = None
    disputes: list[Dispute] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action.pk,
            "state": self.action.state,
            "outcome": self.outcome,
            "follow_ups": [
                {
                    "id": a.pk,
                    "channel": a.channel,
                    "step": a.step_key,
                    "planned_date": a.planned_date,
                }
                for a in self.follow_ups
            ],
            "promise": self.promise.pk if self.promise else None,
            "disputes": [d.pk for d in self.disputes],
        }


def call_get(*, action_id: int, creditor: Creditor | None = None) -> Action:
    """A call or task action by id, of ``creditor`` when given (another creditor's is not found)."""
    qs = Action.objects.filter(pk=action_id)
    if creditor is not None:
        qs = qs.filter(creditor=creditor)
    action = qs.select_related("debtor", "creditor").first()
    if action is None:
        raise NotFoundError(f"no action {action_id}")
    return action


def wrong_phones(*, debtor: Debtor) -> set[str]:
    """The phone numbers a call found wrong for ``debtor``."""
    found = set()
    for outcome in (
        Action.objects.filter(debtor=debtor, channel=Step.Channel.CALL)
        .exclude(outcome={})
        .values_list("outcome", flat=True)
    ):
        if (
            isinstance(outcome, dict)
            and outcome.get("outcome") == "wrong_number"
            and outcome.get("phone")
        ):
            found.add(str(outcome["phone"]))
    return found


def _lang(debtor: Debtor) -> str:
    return debtor.language if debtor.language in ("fr", "en") else "fr"


def _clean_text(value: str, what: str) -> str:
    text = (value or "").strip()
    if len(text) > MAX_TEXT:
        raise InvalidInputError(f"the {what} is longer than {MAX_TEXT} characters")
    return text


def _validate(
    *,
    outcome: str,
    as_of: date,
    amount: Decimal | None,
    day: date | None,
    invoices: Sequence[str],
    reason: str,
) -> None:
    if outcome not in OUTCOMES:
        raise InvalidInputError(f"outcome must be one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if outcome == "promise":
        if amount is None or day is None:
            raise InvalidInputError("a promise needs an amount and a date")
        if amount <= 0:
            raise InvalidInputError("a promise is for a positive amount")
        if day < as_of:
            raise InvalidInputError(
                N_("the promised date %(day)s is already past"), params={"day": day}
            )
    elif outcome == "dispute":
        if not invoices:
            raise InvalidInputError("a dispute names the invoice(s) it is about")
        if not reason:
            raise InvalidInputError("a dispute needs its reason")
    elif outcome == "call_back":
        if day is None:
            raise InvalidInputError("a call back needs the date to call on")
        if day < as_of:
            raise InvalidInputError(
                N_("the call-back date %(day)s is already past"), params={"day": day}
            )
    elif outcome == "paid_already" and day is not None and day > as_of:
        raise InvalidInputError(
            N_("the payment date %(day)s is in the future: record a promise instead"),
            params={"day": day},
        )


def _follow_up(
    action: Action,
    *,
    what: str,
    channel: str,
    day: date,
    step_key: str,
    template: str = "",
    subject: str = "",
    attempts: int = 0,
) -> tuple[Action, bool]:
    """The follow-up ``what`` of ``action``, created once whatever the retries."""
    action_row, created = Action.objects.get_or_create(
        idempotency_key=f"call:{action.pk}:{what}",
        defaults={
            "creditor_id": action.creditor_id,
            "debtor_id": action.debtor_id,
            "case_id": action.case_id,
            "step_key": step_key,
            "channel": channel,
            "template": template,
            "planned_date": day,
            "subject": subject,
            "attempts": attempts,
            "state": Action.State.PLANNED,
        },
    )
    return action_row, created


def _pause(case: Case, *, until: date, reason: str) -> bool:
    """Pause an active (or already paused) case until ``until``; a plan or legal case stays as it is."""
    if case.status not in (Case.Status.ACTIVE, Case.Status.PAUSED):
        return False
    if case.status == Case.Status.PAUSED and case.paused_until and case.paused_until >= until:
        return False
    case.status, case.paused_until, case.pause_reason = Case.Status.PAUSED, until, reason[:200]
    case.save(update_fields=["status", "paused_until", "pause_reason", "updated_at"])
    return True


def call_outcome_record(
    *,
    action: Action | int,
    outcome: str,
    as_of: date,
    actor: str = "system",
    creditor: Creditor | None = None,
    amount: Decimal | None = None,
    day: date | None = None,
    invoices: Sequence[str] = (),
    reason: str = "",
    phone: str = "",
    note: str = "",
    grace_days: int = 3,
) -> CallResult:
    """Record what call ``action`` achieved and update the case accordingly (see the module).

    ``day`` is the promised date (promise), the date to call back on (call_back) or the day the
    debtor says it paid (paid_already, optional). ``invoices`` are invoice numbers (dispute).
    ``phone`` is the number found wrong (default: the debtor's). ``creditor``, when given,
    scopes the action: another creditor's action is not found.
    """
    action_id = action.pk if isinstance(action, Action) else int(action)
    reason = _clean_text(reason, "reason")
    note = _clean_text(note, "note")
    invoices = list(dict.fromkeys(n.strip() for n in invoices if n and n.strip()))
    _validate(
        outcome=outcome, as_of=as_of, amount=amount, day=day, invoices=invoices, reason=reason
    )
    with transaction.atomic():
        qs = Action.objects.select_for_update().filter(pk=action_id)
        if creditor is not None:
            qs = qs.filter(creditor=creditor)
        row = qs.first()
        if row is None:
            raise NotFoundError(f"no action {action_id}")
        if row.channel != Step.Channel.CALL:
            raise InvalidInputError(
                N_("action %(action)s is a %(channel)s step, not a call"),
                params={"action": row.pk, "channel": channel_word(row.channel)},
            )
        if row.outcome:
            recorded = row.outcome.get("outcome", "?")
            raise InvalidInputError(
                N_("call %(call)s already has its outcome (%(outcome)s) recorded"),
                params={"call": row.pk, "outcome": OUTCOME_WORDS.get(recorded, recorded)},
            )
        if row.state not in PENDING_ACTION_STATES:
            raise InvalidInputError(
                N_("call %(call)s is %(state)s: only a planned or approved call can be recorded"),
                params={"call": row.pk, "state": state_word(row.state)},
            )
        debtor = Debtor.objects.select_related("creditor").get(pk=row.debtor_id)
        owner = debtor.creditor
        lang = _lang(debtor)
        text = SUMMARIES[lang]
        result = CallResult(action=row, outcome={})
        data: dict[str, Any] = {"outcome": outcome, "recorded_on": as_of.isoformat(), "by": actor}
        if note:
            data["note"] = note
        events: list[EventInput] = []

        def planned(follow_up: Action, created: bool) -> None:
            result.follow_ups.append(follow_up)
            if created:
                events.append(
                    EventInput(
                        "action.planned",
                        "action",
                        follow_up.pk,
                        owner.pk,
                        {
                            "case": follow_up.case_id,
                            "step": follow_up.step_key,
                            "channel": follow_up.channel,
                            "after_call": row.pk,
                        },
                        actor,
                    )
                )

        if outcome == "promise":
            assert amount is not None
            assert day is not None
            promise = pauses.promise_add(
                creditor=owner,
                debtor_account=debtor.account,
                amount=amount,
                promised_date=day,
                as_of=as_of,
                grace_days=grace_days,
                actor=actor,
            )
            result.promise = promise
            promised = Decimal(promise.amount).quantize(CENT)
            data.update(amount=str(promised), date=day.isoformat(), promise=promise.pk)
            data["summary"] = text["promise"].format(
                amount=format_money(promised, lang), day=format_date(day, lang)
            )
        elif outcome == "dispute":
            found = dict(
                Invoice.objects.filter(
                    creditor=owner, debtor=debtor, number__in=invoices
                ).values_list("number", "pk")
            )
            missing = [n for n in invoices if n not in found]
            if missing:
                raise NotFoundError(
                    N_("%(debtor)s has no invoice numbered %(numbers)s"),
                    params={"debtor": debtor.name, "numbers": ", ".join(missing)},
                )
            for number in invoices:
                result.disputes.append(
                    pauses.dispute_open(
                        creditor=owner,
                        invoice_number=number,
                        reason=reason,
                        as_of=as_of,
                        actor=actor,
                    )
                )
            data.update(invoices=invoices, reason=reason, disputes=[d.pk for d in result.disputes])
            data["summary"] = text["dispute"].format(invoices=", ".join(invoices), reason=reason)
        elif outcome == "call_back":
            assert day is not None
            planned(
                *_follow_up(
                    row,
                    what="call_back",
                    channel=Step.Channel.CALL,
                    day=day,
                    step_key=row.step_key,
                    template=row.template,
                    attempts=row.attempts,
                )
            )
            data["date"] = day.isoformat()
            data["summary"] = text["call_back"].format(day=format_date(day, lang))
        elif outcome == "wrong_number":
            wrong = _clean_text(phone, "phone number") or debtor.phone
            if not wrong:
                raise InvalidInputError(
                    N_("%(debtor)s has no phone number on file: say which number was wrong"),
                    params={"debtor": debtor.name},
                )
            data["phone"] = wrong
            planned(
                *_follow_up(
                    row,
                    what="find_number",
                    channel=Step.Channel.TASK,
                    day=as_of,
                    step_key="find_number",
                    subject=TASKS["find_number"],
                )
            )
            data["summary"] = text["wrong_number"].format(phone=wrong)
        elif outcome == "paid_already":
            until = add_business_days(as_of, PAID_PAUSE_DAYS)
            case = Case.objects.select_for_update().get(pk=row.case_id)
            if _pause(case, until=until, reason=f"paid already (call {row.pk})"):
                events.append(
                    EventInput(
                        "case.paused",
                        "case",
                        case.pk,
                        owner.pk,
                        {"until": until, "reason": "paid already"},
                        actor,
                    )
                )
                data["paused_until"] = until.isoformat()
            planned(
                *_follow_up(
                    row,
                    what="check_payment",
                    channel=Step.Channel.TASK,
                    day=until,
                    step_key="check_payment",
                    subject=TASKS["check_payment"],
                )
            )
            paid = PAID_ON[lang].format(day=format_date(day, lang)) if day else ""
            if day:
                data["paid_on"] = day.isoformat()
            data["summary"] = text["paid_already"].format(paid=paid)
        elif outcome == "invoice_not_received":
            channel, why = Step.Channel.EMAIL, ""
            if not email_usable(debtor.email):
                channel, why = (
                    (Step.Channel.LETTER, NO_EMAIL_LETTER)
                    if postal_usable(address=debtor.address, postal_code=debtor.postal_code,
                                     city=debtor.city)
                    else (Step.Channel.TASK, NO_EMAIL_NO_ADDRESS)
                )
            again, created = _follow_up(row, what="invoice_again", channel=channel, day=as_of,
                                        step_key="invoice_again", template="invoice_again")
            if created and why:
                again.reason = why
                again.save(update_fields=["reason"])
            planned(again, created)
            data["summary"] = text["invoice_not_received"].format(day=format_date(as_of, lang))
        elif outcome == "cash_difficulty":
            planned(*_follow_up(row, what="offer_plan", channel=Step.Channel.TASK, day=as_of,
                                step_key="offer_plan", subject=TASKS["offer_plan"]))
            data["summary"] = text["cash_difficulty"]
        elif outcome in ("no_answer", "voicemail"):
            calls = row.attempts + 1
            data["attempt"] = calls
            if calls < MAX_CALL_ATTEMPTS:
                retry_on = next_business_day(as_of + timedelta(days=1))
                planned(
                    *_follow_up(
                        row,
                        what="retry",
                        channel=Step.Channel.CALL,
                        day=retry_on,
                        step_key=row.step_key,
                        template=row.template,
                        attempts=calls,
                    )
                )
                data["retry_on"] = retry_on.isoformat()
            else:
                data["gave_up"] = True
            data["summary"] = text[outcome]
        if result.follow_ups:
            data["follow_ups"] = [a.pk for a in result.follow_ups]
        row.outcome = data
        row.state, row.sent_at = Action.State.SENT, timezone.now()
        row.save(update_fields=["outcome", "state", "sent_at", "updated_at"])
        events.insert(
            0,
            EventInput(
                "call.recorded",
                "action",
                row.pk,
                owner.pk,
                {"debtor": debtor.account, **data},
                actor,
            ),
        )
        events_record(events=events)
        result.outcome = data
    return result


def task_complete(
    *,
    action: Action | int,
    as_of: date,
    note: str = "",
    actor: str = "system",
    creditor: Creditor | None = None,
) -> Action:
    """Close a task (channel ``task``) as done, with what was found."""
    action_id = action.pk if isinstance(action, Action) else int(action)
    note = _clean_text(note, "note")
    with transaction.atomic():
        qs = Action.objects.select_for_update().filter(pk=action_id)
        if creditor is not None:
            qs = qs.filter(creditor=creditor)
        row = qs.first()
        if row is None:
            raise NotFoundError(f"no action {action_id}")
        if row.channel != Step.Channel.TASK:
            raise InvalidInputError(
                N_("action %(action)s is a %(channel)s step, not a task"),
                params={"action": row.pk, "channel": channel_word(row.channel)},
            )
        if row.state not in PENDING_ACTION_STATES:
            raise InvalidInputError(
                N_("task %(task)s is %(state)s: it is closed already"),
                params={"task": row.pk, "state": state_word(row.state)},
            )
        row.outcome = {
            "outcome": "done",
            "recorded_on": as_of.isoformat(),
            "by": actor,
            **({"note": note} if note else {}),
        }
        row.state, row.sent_at = Action.State.SENT, timezone.now()
        row.save(update_fields=["outcome", "state", "sent_at", "updated_at"])
        events_record(
            events=[
                EventInput(
                    "task.done",
                    "action",
                    row.pk,
                    row.creditor_id,
                    {"step": row.step_key, "note": note},
                    actor,
                )
            ]
        )
    return row
