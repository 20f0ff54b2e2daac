"""The legal stage of a case: its routes, its key dates, and the deadlines they start.

A case leaves the amicable chase for one ``ROUTES``: an injonction de payer (CPC 1405-1425),
the small-claims procedure of a commissaire de justice (PSRPC, CPCE L125-1), a référé-provision
(CPC 835 al. 2, 873 al. 2), or the hand-off to an agency or a lawyer. Its ``KEY_DATES`` are
facts recorded as they happen; ``legal_reminders`` turns them into what a person must do or
know on ``as_of`` (legal-fr.md §5.1):

- the order must be served within six months of its date, or it lapses (CPC 1411);
- the debtor may oppose within one month of service (CPC 1416);
- without opposition, the creditor asks the court for the formule exécutoire (CPC 1422);
- two months after a judgment became enforceable, its interest rises by five points (CMF
  L313-3), the day the law engine's ``fr-judgment`` regime applies it.

Where two readings of a deadline exist, the reminder takes the careful one: the last day to
serve is the strict six months (never pushed to a business day, CPC 642, which would make a
late service look in time), and the opposition period ends on the business day CPC 642 may
push it to (so the formule is never asked for while the debtor may still oppose).

``limitation_interruption`` says which key date interrupts the time limit (C. civ. 2241: a
claim in court, even in référé; the signification of an injonction de payer counts as one,
legal-fr.md §5.1 and §6). A hand-off to an agency or a lawyer is no claim in court, nor is the
PSRPC request (the debtor's agreement suspends, C. civ. 2238, it does not interrupt).

Pure: dates are arguments, never the clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

from relance.domain.calendar import next_business_day
from relance.domain.errors import InvalidInputError
from relance.domain.law.dates import ONE_DAY, add_months
from relance.domain.law.regime_rules import judgment_majoration_day
from relance.domain.law.routes import ROUTE_NAMES, RouteCode
from relance.domain.problems import N_, Phrase

# The route codes live in one table, the dossier's (``relance.domain.law.routes``).
Route = RouteCode
ROUTES: tuple[Route, ...] = ROUTE_NAMES

# The key dates, in the order a procedure reaches them.
KEY_DATES = (
    "filed",  # the dossier filed with the court, or handed to the commissaire, agency or lawyer
    "order_issued",  # the injonction de payer's order (ordonnance) signed by the judge
    "order_served",  # the order served on the debtor (signification)
    "formula_requested",  # the formule exécutoire asked for (CPC 1422)
    "judgment",  # a judgment (or the référé's ordonnance) pronounced
    "enforceable",  # the judgment became enforceable (signified; CMF L313-3's starting point)
)
# Dates only the injonction de payer has.
ORDER_DATES = frozenset({"order_issued", "order_served", "formula_requested"})
# Each key date comes no earlier than these (when they are recorded).
_AFTER: Mapping[str, tuple[str, ...]] = {
    "order_issued": ("filed",),
    "order_served": ("order_issued", "filed"),
    "formula_requested": ("order_served", "order_issued", "filed"),
    "judgment": ("filed",),
    "enforceable": ("judgment", "filed"),
}
# A date that needs another one recorded first.
_NEEDS: Mapping[str, str] = {
    "order_served": "order_issued",
    "formula_requested": "order_served",
    "enforceable": "judgment",
}

# A key date as a refusal names it: the code in English (as the CLI takes it), its words in
# French through the workspace's catalogue.
KEY_WORDS: Mapping[str, Phrase] = {
    "filed": Phrase.of(N_("filed")),
    "order_issued": Phrase.of(N_("order_issued")),
    "order_served": Phrase.of(N_("order_served")),
    "formula_requested": Phrase.of(N_("formula_requested")),
    "judgment": Phrase.of(N_("judgment")),
    "enforceable": Phrase.of(N_("enforceable")),
}


def key_word(key: str) -> Phrase | str:
    """A key date for a refusal: translatable when it is a known one."""
    return KEY_WORDS.get(key, key)


SERVE_MONTHS = 6  # CPC 1411
OPPOSITION_MONTHS = 1  # CPC 1416

BASIS: Mapping[str, str] = {
    "serve_order": "CPC 1411 : l'ordonnance non signifiée dans les six mois de sa date est non avenue",
    "opposition_period": "CPC 1416 : opposition dans le mois de la signification (CPC 642 : "
    "prorogé au premier jour ouvrable)",
    "request_formula": "CPC 1422 : sans opposition dans le délai, le créancier demande "
    "l'apposition de la formule exécutoire",
    "judgment_majoration": "CMF L313-3 : taux de l'intérêt légal majoré de cinq points à "
    "l'expiration d'un délai de deux mois à compter du jour où la décision est devenue exécutoire",
}
INTERRUPTIONS: Mapping[tuple[str, str], str] = {
    ("injonction", "order_served"): "C. civ. 2241 : la signification de l'ordonnance "
    "d'injonction de payer vaut citation en justice",
    ("refere-provision", "filed"): "C. civ. 2241 : demande en justice, même en référé",
}


@dataclass(frozen=True, slots=True)
class LegalReminder:
    """What a person must do or know about a case in the legal stage.

    ``day``: the day it comes on the worklist; ``deadline``: the last day to act or of the
    period it announces (None when it has none); ``basis``: the article, quoted.
    """

    code: str
    day: date
    deadline: date | None
    basis: str

    def is_past(self, as_of: date) -> bool:
        return self.deadline is not None and as_of > self.deadline


def opposition_end(served: date) -> date:
    """The last day the debtor may oppose the order (CPC 1416, pushed by CPC 642).

    >>> opposition_end(date(2026, 3, 2))
    datetime.date(2026, 4, 2)
    >>> opposition_end(date(2026, 3, 14))  # 14 April 2026 is a Tuesday
    datetime.date(2026, 4, 14)
    >>> opposition_end(date(2026, 4, 1))  # 1 May 2026: Labour Day, then a weekend
    datetime.date(2026, 5, 4)
    """
    return next_business_day(add_months(served, OPPOSITION_MONTHS))


def legal_reminders(route: str, dates: Mapping[str, date], as_of: date) -> list[LegalReminder]:
    """The reminders of a case in the legal stage on ``as_of``, by day.

    >>> dates = {"filed": date(2026, 1, 5), "order_issued": date(2026, 1, 20)}
    >>> [(r.code, r.deadline) for r in legal_reminders("injonction", dates, date(2026, 2, 1))]
    [('serve_order', datetime.date(2026, 7, 20))]
    >>> dates["order_served"] = date(2026, 3, 2)
    >>> [r.code for r in legal_reminders("injonction", dates, date(2026, 4, 2))]
    ['opposition_period']
    >>> [(r.code, r.day) for r in legal_reminders("injonction", dates, date(2026, 4, 3))]
    [('request_formula', datetime.date(2026, 4, 3))]
    >>> late = {"judgment": date(2025, 1, 10), "enforceable": date(2025, 1, 15)}
    >>> legal_reminders("lawyer", late, date(2025, 3, 15))
    []
    >>> [(r.code, r.day) for r in legal_reminders("lawyer", late, date(2025, 3, 16))]
    [('judgment_majoration', datetime.date(2025, 3, 16))]
    """
    found: list[LegalReminder] = []
    judged = "judgment" in dates
    issued, served = dates.get("order_issued"), dates.get("order_served")
    if route == "injonction" and not judged:
        if issued is not None and served is None:
            found.append(
                LegalReminder("serve_order", issued, add_months(issued, SERVE_MONTHS), BASIS["serve_order"])
            )
        if served is not None and "formula_requested" not in dates:
            end = opposition_end(served)
            if as_of <= end:
                found.append(LegalReminder("opposition_period", served, end, BASIS["opposition_period"]))
            else:
                found.append(LegalReminder("request_formula", end + ONE_DAY, None, BASIS["request_formula"]))
    enforceable = dates.get("enforceable")
    if judged and enforceable is not None:
        found.append(
            LegalReminder(
                "judgment_majoration", judgment_majoration_day(enforceable), None,
                BASIS["judgment_majoration"],
            )
        )
    return sorted((r for r in found if r.day <= as_of), key=lambda r: r.day)


def key_date_check(
    route: str, key: str, day: date, dates: Mapping[str, date], as_of: date
) -> None:
    """Refuse a key date that cannot be: unknown, of another route, in the future, or before a
    date it follows (an order served before it was issued). ``dates``: those already recorded.

    >>> key_date_check("injonction", "order_served", date(2026, 3, 2),
    ...                {"order_issued": date(2026, 1, 20)}, date(2026, 3, 2))
    >>> key_date_check("lawyer", "order_served", date(2026, 3, 2), {}, date(2026, 3, 2))
    Traceback (most recent call last):
    ...
    relance.domain.errors.InvalidInputError: order_served is a date of the injonction de payer, not of the lawyer route.
    """
    if route not in ROUTES:
        raise InvalidInputError(N_("Unknown route %(route)s."), params={"route": route})
    if key not in KEY_DATES:
        raise InvalidInputError(
            N_("Unknown key date %(key)s: one of %(keys)s."), params={"key": key, "keys": ", ".join(KEY_DATES)}
        )
    if key in ORDER_DATES and route != "injonction":
        raise InvalidInputError(
            N_("%(key)s is a date of the injonction de payer, not of the %(route)s route."),
            params={"key": key_word(key), "route": route},
        )
    if day > as_of:
        raise InvalidInputError(
            N_("%(key)s on %(day)s is in the future: record a date once it has happened."),
            params={"key": key_word(key), "day": day.isoformat()},
        )
    needed = _NEEDS.get(key)
    if needed is not None and needed not in dates:
        raise InvalidInputError(
            N_("Record %(needed)s before %(key)s."), params={"needed": key_word(needed), "key": key_word(key)}
        )
    for earlier in _AFTER.get(key, ()):
        before = dates.get(earlier)
        if before is not None and day < before:
            raise InvalidInputError(
                N_("%(key)s on %(day)s cannot come before %(earlier)s on %(before)s."),
                params={"key": key_word(key), "day": day.isoformat(), "earlier": key_word(earlier),
                        "before": before.isoformat()},
            )
    for later, earliers in _AFTER.items():
        after = dates.get(later)
        if key in earliers and after is not None and day > after:
            raise InvalidInputError(
                N_("%(key)s on %(day)s cannot come after %(later)s on %(after)s."),
                params={"key": key_word(key), "day": day.isoformat(), "later": key_word(later),
                        "after": after.isoformat()},
            )


def limitation_interruption(route: str, key: str) -> str | None:
    """The basis on which this key date interrupts the time limit, or None when it does not.

    >>> limitation_interruption("refere-provision", "filed")
    'C. civ. 2241 : demande en justice, même en référé'
    >>> limitation_interruption("injonction", "filed") is None, limitation_interruption("agency", "filed")
    (True, None)
    """
    return INTERRUPTIONS.get((route, key))
