"""The scenario engine: which step of a dunning scenario is due for a debtor on a day.

A ``Scenario`` is an ordered tuple of ``Step``. A step's day is the due date of the debtor's
oldest overdue invoice (the *anchor*) plus its ``offset_days`` (negative: before the due date);
call steps move to the next business day (``policy.planned_day``).

``evaluate`` answers, for one debtor and one day, what to do. Chasing starts per debtor and
follows the scenario in order, one step at a time, never skipping one:

* a case's first step is the scenario's first step; for a debt already past due when the chase
  starts, the first step *after* the due date (a courtesy note before the due date makes no
  sense then): the steps before it are returned as ``passed_over``, to be recorded as "not
  sent (the chase started on DATE)";
* each later step comes on its own day (the anchor plus its offset) and never sooner than the
  scenario's gap after the step before it was taken (``taken_on``): an old debt gets the steps
  on a compressed schedule from the day the chase started, each at its interval;
* only steps *after* the last one taken (or declared done outside Relance) are candidates: a
  step is never repeated, and the scenario never goes backwards;
* one step per run at most: after downtime the next step comes late, never a burst.

A registered letter (the mise en demeure) holds back the step after it until it has been
delivered: that step comes no earlier than the acknowledgement of receipt's date (or the day
the letter came back unclaimed) plus the deadline the letter gave. Until one of them is known
the case waits (``Decision.waiting`` says on what), and ``NO_NEWS_DAYS`` after sending with
still no news the wait is flagged ``overdue``, for a person to chase La Poste.

Scenarios are data: ``scenario_from_toml`` / ``scenario_to_toml`` read and write the format
of ``relance scenario import|export``. Pure: no Django, no I/O, no clock.
"""

from __future__ import annotations

import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from relance.domain.errors import InvalidInputError
from relance.domain.policy import planned_day
from relance.domain.problems import N_, Phrase, Phrases

CHANNELS = ("email", "letter", "registered_letter", "call", "sms", "task")
DEBTOR_KINDS = ("business", "consumer", "public")


class ScenarioError(InvalidInputError):
    code = "invalid_scenario"


@dataclass(frozen=True, slots=True)
class Step:
    key: str
    offset_days: int
    channel: str
    template: str
    requires_approval: bool = False
    min_amount: Decimal | None = None
    debtor_kinds: tuple[str, ...] = ()

    def applies_to(self, debtor_kind: str | None) -> bool:
        return not self.debtor_kinds or debtor_kind is None or debtor_kind in self.debtor_kinds

    def day(self, anchor_due_date: date) -> date:
        """The day the step is due for a debtor whose oldest overdue invoice fell due then."""
        day = anchor_due_date + timedelta(days=self.offset_days)
        if self.offset_days < 0:  # meant for before the due date: never pushed past it
            return planned_day(channel=self.channel, day=day, not_after=anchor_due_date)
        return planned_day(channel=self.channel, day=day)


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    steps: tuple[Step, ...]
    debtor_kinds: tuple[str, ...] = ()
    description: str = ""
    # A payment that settles a case is thanked in writing (the ``thank_you`` document): not a
    # step of the chase, an answer to the debtor's payment (``[scenario] thank_you = true``).
    thank_you: bool = False

    def __post_init__(self) -> None:
        faults = scenario_faults(self)
        if faults:
            raise ScenarioError(
                N_("scenario %(name)r: %(problems)s"),
                params={"name": self.name, "problems": Phrases(faults)},
            )

    def step(self, key: str) -> Step:
        for s in self.steps:
            if s.key == key:
                return s
        raise KeyError(key)

    @property
    def lead_days(self) -> int:
        """How many days before the due date the first step may come (0 if none comes before)."""
        return max([0, *(-s.offset_days for s in self.steps)])


def scenario_problems(scenario: Scenario) -> list[str]:
    return [fault.message for fault in scenario_faults(scenario)]


def scenario_faults(scenario: Scenario) -> list[Phrase]:
    """What is wrong with ``scenario``, each fault translatable (``scenario_problems`` in
    English)."""
    faults = []
    if not scenario.name.strip():
        faults.append(Phrase.of(N_("the name is empty")))
    if not scenario.steps:
        faults.append(Phrase.of(N_("it has no step")))
    keys = [s.key for s in scenario.steps]
    if len(set(keys)) != len(keys):
        faults.append(Phrase.of(N_("two steps have the same key")))
    offsets = [s.offset_days for s in scenario.steps]
    if offsets != sorted(offsets):
        faults.append(Phrase.of(N_("steps must be in the order of their offset_days")))
    for s in scenario.steps:
        if not s.key.strip():
            faults.append(Phrase.of(N_("a step has an empty key")))
        if s.channel not in CHANNELS:
            faults.append(
                Phrase.of(
                    N_("step %(key)r: channel %(channel)r is not one of %(channels)s"),
                    key=s.key,
                    channel=s.channel,
                    channels=", ".join(CHANNELS),
                )
            )
        bad = [k for k in s.debtor_kinds if k not in DEBTOR_KINDS]
        if bad:
            faults.append(
                Phrase.of(
                    N_("step %(key)r: unknown debtor kinds %(kinds)s"), key=s.key, kinds=str(bad)
                )
            )
    bad = [k for k in scenario.debtor_kinds if k not in DEBTOR_KINDS]
    if bad:
        faults.append(Phrase.of(N_("unknown debtor kinds %(kinds)s"), kinds=str(bad)))
    return faults


# La Poste keeps an unclaimed registered letter 15 days, then returns it; the acknowledgement
# (or the letter) takes a few more days to come back. Past this, no news is a problem.
NO_NEWS_DAYS = 21
DEFAULT_DEADLINE_DAYS = 8


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where a registered letter of the case stands: the facts its proof records.

    ``sent`` is None while the letter is not printed yet; ``received`` is the acknowledgement
    of receipt's date; ``not_claimed_on`` the day it came back unclaimed; ``deadline_days``
    the time to pay the letter gave.
    """

    sent: date | None
    received: date | None = None
    not_claimed_on: date | None = None
    deadline_days: int = DEFAULT_DEADLINE_DAYS

    @property
    def delivered_on(self) -> date | None:
        """The day the letter counts as delivered: received, or returned unclaimed."""
        return self.received or self.not_claimed_on

    def next_step_from(self) -> date | None:
        """The first day the step after the letter may come, once the delivery is known."""
        day = self.delivered_on
        return None if day is None else day + timedelta(days=self.deadline_days)


@dataclass(frozen=True, slots=True)
class Waiting:
    """Why the case does not move on: its registered letter ``step_key`` is not through yet.

    ``reason``: ``not_sent`` (not printed yet), ``acknowledgement`` (sent, neither receipt nor
    return recorded) or ``deadline`` (delivered; the deadline it gave runs until ``until``).
    ``overdue``: no news ``NO_NEWS_DAYS`` after sending.
    """

    step_key: str
    reason: str
    delivery: Delivery
    until: date | None = None
    overdue: bool = False


def waiting_for(step_key: str, delivery: Delivery, as_of: date) -> Waiting | None:
    """What the case waits for on ``as_of`` because of this registered letter (None: nothing).

    >>> sent = date(2026, 3, 2)
    >>> waiting_for("mise", Delivery(None), sent).reason
    'not_sent'
    >>> w = waiting_for("mise", Delivery(sent), sent + timedelta(days=21))
    >>> w.reason, w.overdue
    ('acknowledgement', True)
    >>> waiting_for("mise", Delivery(sent, received=date(2026, 3, 5)), date(2026, 3, 12)).until
    datetime.date(2026, 3, 13)
    >>> waiting_for("mise", Delivery(sent, received=date(2026, 3, 5)), date(2026, 3, 13))
    """
    if delivery.sent is None:
        return Waiting(step_key, "not_sent", delivery)
    until = delivery.next_step_from()
    if until is None:
        overdue = as_of >= delivery.sent + timedelta(days=NO_NEWS_DAYS)
        return Waiting(step_key, "acknowledgement", delivery, overdue=overdue)
    if as_of < until:
        return Waiting(step_key, "deadline", delivery, until=until)
    return None


@dataclass(frozen=True, slots=True)
class Decision:
    """What the engine says for one debtor on one day.

    ``passed_over``: the steps before the due date that the chase of a debt already overdue
    starts after (only on the case's first step). ``waiting``: the registered letter the case
    waits on (then ``step`` is None), or None.
    """

    step: Step | None
    day: date | None = None
    passed_over: tuple[Step, ...] = field(default=())
    waiting: Waiting | None = None


def evaluate(
    scenario: Scenario,
    *,
    anchor_due_date: date,
    as_of: date,
    done_keys: Collection[str],
    debtor_kind: str | None = None,
    deliveries: Mapping[str, Delivery] | None = None,
    taken_on: Mapping[str, date] | None = None,
) -> Decision:
    """The step to carry out on ``as_of`` (if any), in order, at its interval.

    ``done_keys``: the steps the case has had (or that were declared done outside Relance);
    ``taken_on``: the day each was taken, from which the next step's interval runs (a step
    with no day there counts from its own day). ``deliveries``: per registered-letter step
    already taken (printed or not), where its delivery stands; the steps after the latest of
    them wait on it (see ``waiting_for``).

    >>> s = Scenario("s", (Step("a", 3, "email", "a"), Step("b", 10, "email", "b")))
    >>> evaluate(s, anchor_due_date=date(2026, 1, 1), as_of=date(2026, 1, 2), done_keys=()).step
    >>> evaluate(s, anchor_due_date=date(2026, 1, 1), as_of=date(2026, 1, 4), done_keys=()).step.key
    'a'

    An old debt starts with the first step, then the next one comes at the scenario's gap:

    >>> evaluate(s, anchor_due_date=date(2025, 1, 1), as_of=date(2026, 1, 20), done_keys=()).step.key
    'a'
    >>> later = evaluate(s, anchor_due_date=date(2025, 1, 1), as_of=date(2026, 1, 26),
    ...                  done_keys={"a"}, taken_on={"a": date(2026, 1, 20)})
    >>> later.step
    >>> evaluate(s, anchor_due_date=date(2025, 1, 1), as_of=date(2026, 1, 27), done_keys={"a"},
    ...          taken_on={"a": date(2026, 1, 20)}).step.key
    'b'
    >>> evaluate(s, anchor_due_date=date(2026, 1, 1), as_of=date(2026, 1, 20), done_keys={"b"}).step
    """
    steps = [s for s in scenario.steps if s.applies_to(debtor_kind)]
    if not steps:
        return Decision(None)
    return _decide(
        steps,
        step_days(steps, anchor_due_date),
        anchor_due_date=anchor_due_date,
        as_of=as_of,
        done_keys=done_keys,
        deliveries=deliveries,
        taken_on=taken_on,
    )


def _decide(
    steps: Sequence[Step],
    days: Sequence[date],
    *,
    anchor_due_date: date,
    as_of: date,
    done_keys: Collection[str],
    deliveries: Mapping[str, Delivery] | None,
    taken_on: Mapping[str, date] | None,
) -> Decision:
    """``evaluate`` once the steps for the debtor's kind and their days are known."""
    last_done = max((i for i, s in enumerate(steps) if s.key in done_keys), default=-1)
    if last_done == -1:
        first = first_step_index(steps, anchor_due_date=anchor_due_date, as_of=as_of)
        if first is None or days[first] > as_of:
            return Decision(None)
        return Decision(steps[first], days[first], tuple(steps[:first]))
    if last_done == len(steps) - 1:
        return Decision(None)
    letters = [
        i
        for i in range(last_done + 1)
        if steps[i].channel == "registered_letter"
        and steps[i].key in done_keys
        and steps[i].key in (deliveries or {})
    ]
    if letters:
        key = steps[letters[-1]].key
        waiting = waiting_for(key, (deliveries or {})[key], as_of)
        if waiting is not None:
            return Decision(None, waiting=waiting)
    nxt, prev = steps[last_done + 1], steps[last_done]
    day = days[last_done + 1]
    prev_day = (taken_on or {}).get(prev.key)
    if prev_day is not None:
        gap = timedelta(days=nxt.offset_days - prev.offset_days)
        day = max(day, planned_day(channel=nxt.channel, day=prev_day + gap))
    if day > as_of:
        return Decision(None)
    return Decision(nxt, day)


class Evaluator:
    """``evaluate`` for one day, memoised: the pass asks the same question for many debtors.

    A decision depends only on the scenario, the anchor date, the debtor's kind and the steps
    taken (with their days and deliveries); a pass over 200,000 debtors asks a few hundred
    distinct questions. Each scenario's steps for a kind and their days for an anchor are
    computed once too. Same answers as ``evaluate`` (a property test compares them); the cache
    lives as long as the evaluator, one pass.

    >>> s = Scenario("s", (Step("a", 3, "email", "a"), Step("b", 10, "email", "b")))
    >>> ev = Evaluator(as_of=date(2026, 1, 4))
    >>> ev.evaluate(s, anchor_due_date=date(2026, 1, 1), done_keys=()).step.key
    'a'
    >>> ev.evaluate(s, anchor_due_date=date(2026, 1, 1), done_keys=()) is ev.evaluate(
    ...     s, anchor_due_date=date(2026, 1, 1), done_keys=[])
    True
    """

    __slots__ = ("_days", "_decisions", "_held", "_steps", "as_of")

    def __init__(self, *, as_of: date) -> None:
        self.as_of = as_of
        # Keyed by id(): hashing a scenario hashes every step, dearer than the answer. Each
        # scenario is held here, so its id is not reused by another while the cache lives.
        self._held: dict[int, Scenario] = {}
        self._steps: dict[tuple[int, str | None], tuple[Step, ...]] = {}
        self._days: dict[tuple[int, str | None, date], tuple[date, ...]] = {}
        self._decisions: dict[tuple[Any, ...], Decision] = {}

    def evaluate(
        self,
        scenario: Scenario,
        *,
        anchor_due_date: date,
        done_keys: Collection[str],
        debtor_kind: str | None = None,
        deliveries: Mapping[str, Delivery] | None = None,
        taken_on: Mapping[str, date] | None = None,
    ) -> Decision:
        sid = id(scenario)
        self._held.setdefault(sid, scenario)
        key = (
            sid,
            anchor_due_date,
            debtor_kind,
            frozenset(done_keys),
            frozenset(taken_on.items()) if taken_on else None,
            frozenset(deliveries.items()) if deliveries else None,
        )
        found = self._decisions.get(key)
        if found is not None:
            return found
        steps = self._steps.get((sid, debtor_kind))
        if steps is None:
            steps = self._steps[(sid, debtor_kind)] = tuple(
                s for s in scenario.steps if s.applies_to(debtor_kind)
            )
        days = self._days.get((sid, debtor_kind, anchor_due_date))
        if days is None:
            days = self._days[(sid, debtor_kind, anchor_due_date)] = tuple(
                step_days(steps, anchor_due_date)
            )
        found = self._decisions[key] = (
            _decide(steps, days, anchor_due_date=anchor_due_date, as_of=self.as_of,
                    done_keys=done_keys, deliveries=deliveries, taken_on=taken_on)
            if steps
            else Decision(None)
        )
        return found


def first_step_index(
    steps: Sequence[Step], *, anchor_due_date: date, as_of: date
) -> int | None:
    """Where the chase of a debtor starts: the first step, or for a debt already past due, the
    first step from the due date on (None: every step comes before the due date, now past).

    >>> s = (Step("courtesy", -5, "email", "c"), Step("reminder", 3, "email", "r"))
    >>> first_step_index(s, anchor_due_date=date(2026, 1, 10), as_of=date(2026, 1, 6))
    0
    >>> first_step_index(s, anchor_due_date=date(2026, 1, 10), as_of=date(2026, 1, 11))
    1
    """
    if as_of <= anchor_due_date:
        return 0 if steps else None
    return next((i for i, s in enumerate(steps) if s.offset_days >= 0), None)


def step_days(steps: Iterable[Step], anchor_due_date: date) -> list[date]:
    """Each step's day, never earlier than the day of the step before it.

    A call moved past a weekend could otherwise fall after the next step's day, and taking
    that next step first would leave the call behind.
    """
    days: list[date] = []
    for s in steps:
        day = s.day(anchor_due_date)
        days.append(max(day, days[-1]) if days else day)
    return days


def next_step(
    scenario: Scenario,
    *,
    anchor_due_date: date,
    as_of: date,
    done_keys: Collection[str],
    debtor_kind: str | None = None,
) -> Step | None:
    """The step due on ``as_of``: the one after every step already taken (see ``evaluate``)."""
    return evaluate(
        scenario,
        anchor_due_date=anchor_due_date,
        as_of=as_of,
        done_keys=done_keys,
        debtor_kind=debtor_kind,
    ).step


# --- TOML ---------------------------------------------------------------------------------------


def _kinds(value: Any, where: Phrase) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ScenarioError(
            N_("%(where)s: debtor_kinds must be a list of strings"), params={"where": where}
        )
    return tuple(value)


def scenario_from_dict(data: dict[str, Any]) -> Scenario:
    head = data.get("scenario")
    if not isinstance(head, dict) or not isinstance(head.get("name"), str):
        raise ScenarioError(N_("a [scenario] table with a name is required"))
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list):
        raise ScenarioError(N_("the scenario needs [[steps]]"))
    steps = []
    for n, raw in enumerate(raw_steps, start=1):
        where = Phrase.of(N_("step %(number)s"), number=n)
        try:
            key, offset, channel = raw["key"], raw["offset_days"], raw["channel"]
        except KeyError as exc:
            raise ScenarioError(
                N_("%(where)s: %(field)s is missing"),
                params={"where": where, "field": exc.args[0]},
            ) from None
        if not isinstance(offset, int) or isinstance(offset, bool):
            raise ScenarioError(
                N_("%(where)s: offset_days must be a whole number of days"),
                params={"where": where},
            )
        min_amount = raw.get("min_amount")
        if min_amount is not None:
            try:
                min_amount = Decimal(str(min_amount))
            except InvalidOperation:
                raise ScenarioError(
                    N_("%(where)s: min_amount %(value)r is not an amount"),
                    params={"where": where, "value": min_amount},
                ) from None
        steps.append(
            Step(
                key=str(key),
                offset_days=offset,
                channel=str(channel),
                template=str(raw.get("template", key)),
                requires_approval=bool(raw.get("requires_approval", False)),
                min_amount=min_amount,
                debtor_kinds=_kinds(raw.get("debtor_kinds"), where),
            )
        )
    thank_you = head.get("thank_you", False)
    if not isinstance(thank_you, bool):
        raise ScenarioError(N_("scenario: thank_you must be true or false"))
    return Scenario(
        name=head["name"],
        steps=tuple(steps),
        debtor_kinds=_kinds(head.get("debtor_kinds"), Phrase.of(N_("scenario"))),
        description=str(head.get("description", "")),
        thank_you=thank_you,
    )


def scenario_from_toml(text: str) -> Scenario:
    """Read a scenario written in the ``relance scenario import`` format."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(N_("not valid TOML: %(error)s"), params={"error": str(exc)}) from None
    return scenario_from_dict(data)


def _str(value: str) -> str:
    escaped = (
        value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    )
    return f'"{escaped}"'


def _list(values: Iterable[str]) -> str:
    return "[" + ", ".join(_str(v) for v in values) + "]"


def scenario_to_toml(scenario: Scenario) -> str:
    """Write a scenario so that ``scenario_from_toml`` reads it back equal.

    >>> s = Scenario("B2B", (Step("courtesy", -5, "email", "courtesy"),), ("business",))
    >>> scenario_from_toml(scenario_to_toml(s)) == s
    True
    """
    lines = ["[scenario]", f"name = {_str(scenario.name)}"]
    if scenario.description:
        lines.append(f"description = {_str(scenario.description)}")
    if scenario.debtor_kinds:
        lines.append(f"debtor_kinds = {_list(scenario.debtor_kinds)}")
    if scenario.thank_you:
        lines.append("thank_you = true")
    for s in scenario.steps:
        lines += [
            "",
            "[[steps]]",
            f"key = {_str(s.key)}",
            f"offset_days = {s.offset_days}",
            f"channel = {_str(s.channel)}",
            f"template = {_str(s.template)}",
        ]
        if s.requires_approval:
            lines.append("requires_approval = true")
        if s.min_amount is not None:
            lines.append(f"min_amount = {_str(str(s.min_amount))}")
        if s.debtor_kinds:
            lines.append(f"debtor_kinds = {_list(s.debtor_kinds)}")
    return "\n".join(lines) + "\n"


# --- payment plans ------------------------------------------------------------------------------


def schedule_instalments(
    total_amount: Decimal, *, count: int, first: date, every: str = "1m"
) -> list[tuple[date, Decimal]]:
    """Split ``total_amount`` into ``count`` instalments that sum to it exactly.

    Each instalment is the total divided evenly and rounded down to the cent; the cents left
    over go to the first instalments, one each. ``every`` is ``<n>m`` (months), ``<n>w``
    (weeks) or ``<n>d`` (days).

    >>> [str(a) for _, a in schedule_instalments(Decimal("100.00"), count=3, first=date(2026, 1, 31))]
    ['33.34', '33.33', '33.33']
    >>> [d.isoformat() for d, _ in schedule_instalments(Decimal("100.00"), count=3, first=date(2026, 1, 31))]
    ['2026-01-31', '2026-02-28', '2026-03-31']
    """
    from relance.domain.calendar import months_later

    if count < 1:
        raise InvalidInputError("a payment plan needs at least one instalment")
    if total_amount <= 0:
        raise InvalidInputError("there is nothing to pay in instalments")
    unit, number = every[-1:], every[:-1] or "1"
    if unit not in ("m", "w", "d") or not number.isdigit() or int(number) < 1:
        raise InvalidInputError(f"--every {every!r}: write 1m, 2w or 15d")
    n = int(number)
    cents = int((total_amount * 100).to_integral_value())
    base, extra = divmod(cents, count)
    result = []
    for i in range(count):
        if unit == "m":
            day = months_later(first, n * i)
        else:
            day = first + timedelta(days=n * i * (7 if unit == "w" else 1))
        result.append((day, Decimal(base + (1 if i < extra else 0)).scaleb(-2)))
    return result
