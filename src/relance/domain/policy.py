"""May Relance act on this debtor today: every rule the pass, the print batch and the outbox share.

- ``case_hold``: a case that is not active (paused, on a plan, in the legal stage) is held
  under ``CASE_HOLDS``, before any step is looked at.
- ``is_silent``: a case in the legal stage gets nothing at all from Relance: no step, no message
  planned before it went there, no confirmation of a promise or a plan; its payments still
  close it.
- ``hold_reason``: why a debtor whose step has come is held all the same, the reasons tried in
  the order of ``HOLD_REASONS`` (the first that applies is the one counted).
- ``blocks_case``: the actions that keep their case waiting (a step awaiting a person, an
  e-mail in flight, a letter not printed yet).
- ``planned_day``: the day a step is planned for (a call lands on a business day, the others
  keep their day); the scenario engine and the pass both use it.
- ``may_go_out`` and ``READY``: which actions may be printed or sent on ``as_of`` (the
  collection app turns ``READY`` into its queryset filters).

Pure: the standard library and ``relance.domain`` only; time is the ``as_of`` argument, never
the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol

from relance.domain.calendar import next_business_day, previous_business_day

# Why a debtor whose step has come gets nothing today, in the order they are tried.
HOLD_REASONS = (
    "waiting_for_pending_action",  # a step awaits a person, an e-mail is in flight, a letter is unprinted
    "legal_hold",  # the debtor is with the lawyers
    "time_barred",  # the step threatens court action on a claim past its time limit
    "do_not_contact",  # the debtor asked not to be contacted
    "bank_feed_stale",  # the bank data is too old to know who has paid
    "unmatched_credit",  # a recent credit nobody has matched may be this debtor's payment
    "below_minimum",  # what the debtor owes is under the step's minimum amount
)
ACTIVE = "active"
LEGAL = "legal"
# Why a case that is not active is held, by its status: the legal stage has its own reason
# (the case is with a court, a commissaire de justice, an agency or a lawyer).
CASE_HOLDS = {"paused": "paused", "plan": "plan", LEGAL: "legal_stage"}
# The statuses under which nothing goes to the debtor, whatever was planned before.
SILENT_STATUSES = frozenset({LEGAL})
# Action states (as stored) and channels the rules below name.
PLANNED, APPROVED, SENDING, UNCERTAIN = "planned", "approved", "sending", "uncertain"
PENDING = (PLANNED, APPROVED)
EMAIL, CALL = "email", "call"
LETTERS = ("letter", "registered_letter")


# The steps whose letter threatens court action (the mise en demeure, the escalation), and the
# words that make any other template threaten it too.
COURT_STEPS = frozenset({"formal_notice", "escalation"})
COURT_WORDS = ("injonction de payer", "order for payment")


class StepRule(Protocol):
    """What the rules read of a scenario step (``relance.domain.scenario.Step``)."""

    @property
    def key(self) -> str: ...

    @property
    def template(self) -> str: ...

    @property
    def channel(self) -> str: ...

    @property
    def offset_days(self) -> int: ...

    @property
    def min_amount(self) -> Decimal | None: ...


@dataclass(frozen=True, slots=True)
class DebtorStanding:
    """What the pass knows of one debtor today, as far as holding it goes.

    ``listed_amount``: the open invoices the scenario looks at (those due by the lead days);
    ``overdue_amount``: those already past due.
    """

    is_case_waiting: bool = False
    is_legal_hold: bool = False
    # A claim the step would list is past its last day to act (or that day is not known).
    is_time_barred: bool = False
    # The templates (step names) that threaten court action in this creditor's own wording.
    court_templates: frozenset[str] = frozenset()
    is_do_not_contact: bool = False
    is_bank_feed_stale: bool = False
    has_unmatched_credit: bool = False
    listed_amount: Decimal = Decimal("0.00")
    overdue_amount: Decimal = Decimal("0.00")


def case_hold(status: str) -> str | None:
    """The reason a case is held before its steps are looked at: its status, unless active.

    >>> case_hold("active")
    >>> case_hold("paused")
    'paused'
    >>> case_hold("legal")
    'legal_stage'
    """
    return None if status == ACTIVE else CASE_HOLDS.get(status, status)


def is_silent(status: str) -> bool:
    """Whether nothing may go to the debtor of a case with this status: the legal stage.

    >>> is_silent("legal"), is_silent("paused")
    (True, False)
    """
    return status in SILENT_STATUSES


def hold_reason(standing: DebtorStanding, step: StepRule) -> str | None:
    """Why ``step`` may not be taken for this debtor today (None: it may), first of
    ``HOLD_REASONS``. A step before the due date compares its minimum with everything listed,
    a step after it with what is overdue.

    >>> from relance.domain.scenario import Step
    >>> reminder = Step("reminder", 5, "email", "reminder", min_amount=Decimal("50"))
    >>> hold_reason(DebtorStanding(overdue_amount=Decimal("80")), reminder)
    >>> hold_reason(DebtorStanding(overdue_amount=Decimal("20")), reminder)
    'below_minimum'
    >>> hold_reason(DebtorStanding(is_do_not_contact=True, has_unmatched_credit=True), reminder)
    'do_not_contact'
    >>> hold_reason(DebtorStanding(has_unmatched_credit=True, overdue_amount=Decimal("80")), reminder)
    'unmatched_credit'
    """
    if standing.is_case_waiting:
        return "waiting_for_pending_action"
    if standing.is_legal_hold:
        return "legal_hold"
    if standing.is_time_barred and threatens_court(step, standing.court_templates):
        return "time_barred"
    if standing.is_do_not_contact:
        return "do_not_contact"
    if standing.is_bank_feed_stale:
        return "bank_feed_stale"
    if standing.has_unmatched_credit:
        return "unmatched_credit"
    owed = standing.overdue_amount if step.offset_days >= 0 else standing.listed_amount
    if step.min_amount is not None and owed < step.min_amount:
        return "below_minimum"
    return None


# Steps whose text speaks of earlier attempts ("despite our earlier reminders", "these steps
# have had no effect"): never a debtor's first contact.
EARLIER_CONTACT_TEMPLATES = frozenset({"final_reminder", "formal_notice", "escalation"})
REGISTERED_LETTER = "registered_letter"


def needs_earlier_contact(step: StepRule) -> bool:
    """Whether ``step`` may only come after an earlier contact reached the debtor (sent or
    declared): its text speaks of earlier attempts, or it is the mise en demeure.

    >>> from relance.domain.scenario import Step
    >>> needs_earlier_contact(Step("mise", 35, "registered_letter", "formal_notice"))
    True
    >>> needs_earlier_contact(Step("reminder", 3, "email", "reminder"))
    False
    """
    return step.channel == REGISTERED_LETTER or step.template in EARLIER_CONTACT_TEMPLATES


def threatens_court(step: StepRule, court_templates: frozenset[str] = frozenset()) -> bool:
    """Whether the step's message threatens court action: a mise en demeure, an escalation, or
    a template whose text names the injonction de payer.

    >>> from relance.domain.scenario import Step
    >>> threatens_court(Step("formal_notice", 30, "registered_letter", "formal_notice"))
    True
    >>> reminder = Step("reminder", 5, "email", "reminder")
    >>> threatens_court(reminder), threatens_court(reminder, frozenset({"reminder"}))
    (False, True)
    """
    return step.key in COURT_STEPS or step.template in COURT_STEPS or step.template in court_templates


def mentions_court(text: str) -> bool:
    """Whether a template's text threatens the injonction de payer (``COURT_WORDS``).

    >>> mentions_court("… par voie d'Injonction de payer …"), mentions_court("Merci")
    (True, False)
    """
    folded = " ".join(text.lower().split())
    return any(words in folded for words in COURT_WORDS)


def blocks_case(*, channel: str, state: str, requires_approval: bool) -> bool:
    """Whether this action keeps its case waiting: a person has to approve it, or it is an
    e-mail not sent yet (queued or in flight), or one nobody knows arrived (``uncertain``: a
    person resends it or confirms it first), or a letter not printed yet: a letter is never
    dropped for the next step without a person seeing it (printed, or skipped by hand).

    >>> blocks_case(channel="letter", state="planned", requires_approval=True)
    True
    >>> blocks_case(channel="email", state="sending", requires_approval=False)
    True
    >>> blocks_case(channel="email", state="uncertain", requires_approval=False)
    True
    >>> blocks_case(channel="registered_letter", state="approved", requires_approval=True)
    True
    >>> blocks_case(channel="letter", state="sent", requires_approval=False)
    False
    >>> blocks_case(channel="call", state="planned", requires_approval=False)
    False
    """
    return (
        (state == PLANNED and requires_approval)
        or (channel == EMAIL and state in (*PENDING, SENDING, UNCERTAIN))
        or (channel in LETTERS and state in PENDING)
    )


def planned_day(*, channel: str, day: date, not_after: date | None = None) -> date:
    """The day a step of ``channel`` is planned for when it comes on ``day``: a call waits for
    the next business day (French public holidays), every other channel keeps the day. A call
    meant to come before the due date (``not_after``) that the next business day would push past
    it comes forward to the business day before instead: a weekend never turns a courtesy call
    into a step that an overdue debt passes over.

    >>> planned_day(channel="call", day=date(2026, 5, 1))  # Labour Day, a Friday
    datetime.date(2026, 5, 4)
    >>> planned_day(channel="call", day=date(2026, 5, 2), not_after=date(2026, 5, 3))  # Saturday
    datetime.date(2026, 4, 30)
    >>> planned_day(channel="email", day=date(2026, 5, 1))
    datetime.date(2026, 5, 1)
    """
    if channel != CALL:
        return day
    later = next_business_day(day)
    if not_after is not None and later > not_after:
        return previous_business_day(day)
    return later


@dataclass(frozen=True, slots=True)
class Ready:
    """An action state from which an action may go out; ``requires_approval`` None: either."""

    state: str
    requires_approval: bool | None = None


# Printed or sent once nobody has to approve it any more: planned needing no approval, or
# approved.
READY = (Ready(PLANNED, requires_approval=False), Ready(APPROVED))


def may_go_out(*, state: str, requires_approval: bool, planned_date: date, as_of: date) -> bool:
    """Whether an action may be printed or sent on ``as_of``: its day has come and it is
    ``READY``.

    >>> day = date(2026, 3, 2)
    >>> may_go_out(state="planned", requires_approval=False, planned_date=day, as_of=day)
    True
    >>> may_go_out(state="planned", requires_approval=True, planned_date=day, as_of=day)
    False
    >>> may_go_out(state="approved", requires_approval=True, planned_date=day, as_of=date(2026, 3, 1))
    False
    """
    return planned_date <= as_of and any(
        r.state == state and r.requires_approval in (None, requires_approval) for r in READY
    )
