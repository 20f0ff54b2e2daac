"""Whether an action's document can go out: the one check the print batch and approval share.

``documents_check`` builds each action's document context and says what keeps it from being
sent, as ``Problem`` values: a context that cannot be built (a penalty rate not published, a
template no step has), nothing left to chase, a letter without a postal address it can be
posted to, a mise en demeure the validator refuses (``check_formal_notice``, legal-fr.md
§4.1). The print batch (``letters.letters_batch``) prints only what passes; approval
(``actions.actions_approve``: the worklist, ``relance actions approve``, the API) refuses a
document that does not, so no one approves a letter that cannot be sent.

Reads only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from relance.apps.collection.confirmations import NOTHING_OWED_STEPS
from relance.apps.collection.contexts import LETTER_CHANNELS, action_request, letter_contexts
from relance.apps.collection.models import Action, Case
from relance.apps.ledger.models import Debtor
from relance.documents.context import LetterContext
from relance.documents.formal_notice import check_formal_notice
from relance.domain.errors import RefusedNowError, RelanceError
from relance.domain.law import RateTables
from relance.domain.problems import N_, Phrase, Phrases, Problem


@dataclass(frozen=True)
class DocumentCheck:
    action: Action
    template: str
    context: LetterContext | None  # None when it could not be built (``problems`` says why)
    problems: tuple[Problem, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


NOTHING_TO_CHASE = N_("Nothing is left to chase: the debtor has paid or disputes every invoice.")
NO_POSTAL_ADDRESS = N_(
    "The debtor's postal address is incomplete: a letter needs a street, a postcode and a city."
)


def _problems(action: Action, template: str, context: LetterContext) -> list[Problem]:
    problems: list[Problem] = []
    if not context.invoices and template not in NOTHING_OWED_STEPS:
        problems.append(Problem.of("nothing_to_chase", NOTHING_TO_CHASE))
    if action.channel in LETTER_CHANNELS:
        debtor = context.debtor
        if not (debtor.name and debtor.address_lines and debtor.postcode and debtor.city):
            problems.append(Problem.of("debtor_address", NO_POSTAL_ADDRESS))
    if template == "formal_notice" and context.invoices:
        found = check_formal_notice(context)
        if any(p.code == "debtor_address" for p in problems):
            # Said once is enough: the address, and the letter it keeps from being written.
            found = [p for p in found if p.code not in ("debtor_identity", "address")]
        problems += found
    return problems


def documents_check(
    actions: Sequence[Action], *, as_of: date | None = None, tables: RateTables | None = None
) -> list[DocumentCheck]:
    """What keeps each action's document from going out as of ``as_of`` (default: the day it
    is planned to go out), in their order.

    A letter needs every penalty rate (it states them); an e-mail goes out without unknown
    penalties, as the outbox sends it."""
    out: list[DocumentCheck | None] = [None] * len(actions)
    # Two queries for all, whatever the number of actions (the worklist checks a page of them).
    debtors = Debtor.objects.in_bulk({a.debtor_id for a in actions})
    cases = Case.objects.in_bulk({a.case_id for a in actions})
    groups: dict[tuple[bool, date], list[int]] = defaultdict(list)
    for n, a in enumerate(actions):
        groups[(a.channel in LETTER_CHANNELS, as_of or a.planned_date)].append(n)
    for (printed, day), members in groups.items():
        picked: list[int] = []
        requests = []
        for n in members:
            a = actions[n]
            try:
                requests.append(
                    action_request(a, debtor=debtors[a.debtor_id], case=cases.get(a.case_id))
                )
            except RelanceError as exc:
                out[n] = DocumentCheck(a, a.template, None, (Problem.from_error(exc.code, exc),))
                continue
            picked.append(n)
        built = letter_contexts(requests, as_of=day, tables=tables, without_unknown_rates=not printed)
        for n, request, result in zip(picked, requests, built, strict=True):
            a = actions[n]
            if isinstance(result, RelanceError):
                out[n] = DocumentCheck(
                    a, request.template, None, (Problem.from_error(result.code, result),)
                )
                continue
            problems = _problems(a, request.template, result.context)
            out[n] = DocumentCheck(a, request.template, result.context, tuple(problems))
    return [c for c in out if c is not None]


REFUSED_DOCUMENT = N_("action %(action)s (%(account)s, %(step)s): %(problem)s")


def refusals(checks: Sequence[DocumentCheck]) -> list[Problem]:
    """Each problem of the refused documents, naming its action, debtor and step."""
    return [
        Problem.of(
            p.code,
            REFUSED_DOCUMENT,
            action=c.action.pk,
            account=c.action.debtor.account,
            step=c.action.step_key,
            problem=p,
        )
        for c in checks
        for p in c.problems
    ]


class NotSendableError(RefusedNowError):
    """Documents that cannot go out as they are: ``refused`` lists why, action by action."""

    code = "not_sendable"

    def __init__(self, checks: Sequence[DocumentCheck]) -> None:
        self.refused = tuple(refusals(checks))
        super().__init__(
            N_("cannot be approved, the document could not be sent: %(problems)s"),
            params={"problems": Phrases(Phrase(p.template, p.params) for p in self.refused)},
        )
