"""Limitation periods (prescription extinctive): the date a claim expires, and why.

Interruption is a closed list (Cass. com. 18 mai 2022, n° 20-23.204): the debtor's
acknowledgement (C. civ. 2240; a partial payment or a signed plan counts), a claim in court
(2241, even in référé; the signification of an injonction de payer counts) and a conservatory
measure or an act of forced execution (2244). Each starts a new period of the same length
(2231). A reminder or a mise en demeure, even by registered letter, interrupts nothing, so this
module refuses to record one as an event. Mediation or conciliation agreed after the dispute
arose suspends the period (2238): the time already run is kept, and the period resumes from the
end of the mediation for what was left, and never less than six months.

Public debts (``public``: the State, the départements, the communes, their public
establishments) follow the loi n° 68-1250 du 31 décembre 1968: four years from 1 January of the
year after the one in which the right arose (art. 1er); any written demand for payment to the
authority, a claim in court, or the authority's own acknowledgement or payment interrupts it,
and a new four years runs from 1 January of the year after the interruption (art. 2). There a
written claim (``written_claim``: a mise en demeure, a letter asking for payment) does count.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeGuard

from relance.domain.errors import InvalidInputError
from relance.domain.law.dates import add_months, add_years

PrescriptionKind = Literal["b2b", "b2c", "civil", "public"]
PRESCRIPTION_KINDS: tuple[PrescriptionKind, ...] = ("b2b", "b2c", "civil", "public")
EventKind = Literal["acknowledgement", "claim", "enforcement", "suspension", "written_claim"]
EVENT_KINDS: tuple[EventKind, ...] = (
    "acknowledgement",
    "claim",
    "enforcement",
    "suspension",
    "written_claim",
)
# What each kind of claim accepts: the Civil Code's list, or the loi 68-1250's.
_ACCEPTED: dict[str, tuple[EventKind, ...]] = {
    "b2b": ("acknowledgement", "claim", "enforcement", "suspension"),
    "b2c": ("acknowledgement", "claim", "enforcement", "suspension"),
    "civil": ("acknowledgement", "claim", "enforcement", "suspension"),
    "public": ("acknowledgement", "claim", "written_claim"),
}
SUSPENSION_FLOOR_MONTHS = 6  # C. civ. 2238, al. 2

_PERIODS: dict[str, tuple[int, str]] = {
    "b2b": (5, "C. com. L110-4 : 5 ans entre commerçants, ou entre commerçant et non-commerçant"),
    "civil": (5, "C. civ. 2224 : 5 ans à compter du jour où le titulaire a connu les faits"),
    "b2c": (2, "C. conso. L218-2 : 2 ans pour l'action d'un professionnel contre un consommateur"),
    "public": (
        4,
        "Loi n° 68-1250 du 31 décembre 1968, art. 1er : 4 ans à compter du 1er janvier de "
        "l'année suivant celle où les droits ont été acquis",
    ),
}
_EVENT_BASIS: dict[str, str] = {
    "acknowledgement": "C. civ. 2240 : reconnaissance du droit par le débiteur",
    "claim": "C. civ. 2241 : demande en justice",
    "enforcement": "C. civ. 2244 : mesure conservatoire ou acte d'exécution forcée",
    "suspension": "C. civ. 2238 : médiation ou conciliation (suspension ; le délai reprend pour "
    "six mois au moins à compter de sa fin)",
    "written_claim": "Loi n° 68-1250, art. 2 : demande de paiement écrite adressée à l'autorité "
    "publique",
}
_PUBLIC_BASIS: dict[str, str] = {
    "acknowledgement": "Loi n° 68-1250, art. 2 : communication écrite ou paiement de "
    "l'administration reconnaissant la créance",
    "claim": "Loi n° 68-1250, art. 2 : recours formé devant une juridiction",
}


Day = date  # ``PrescriptionEvent.date`` hides the type inside that class


class PrescriptionEventError(InvalidInputError):
    code = "invalid_prescription_event"


def _is_event_kind(value: str) -> TypeGuard[EventKind]:
    return value in EVENT_KINDS


@dataclass(frozen=True, slots=True)
class PrescriptionEvent:
    """An event on the claim; ``end`` is the last day of a suspension (mediation ended)."""

    date: date
    kind: EventKind
    basis: str
    end: Day | None = None

    def as_json(self) -> dict[str, str]:
        data = {"date": self.date.isoformat(), "kind": self.kind, "basis": self.basis}
        if self.end is not None:
            data["end"] = self.end.isoformat()
        return data


@dataclass(frozen=True, slots=True)
class PrescriptionResult:
    """``expires`` is the last day to act: the period ends at the end of that day (2229)."""

    kind: PrescriptionKind
    start: date
    expires: date
    period_years: int
    basis: str
    restarted_by: tuple[PrescriptionEvent, ...]
    ignored: tuple[PrescriptionEvent, ...]
    notes: tuple[str, ...]

    def is_expired(self, *, as_of: date) -> bool:
        """True once ``as_of`` is past the last day to act."""
        return as_of > self.expires

    def as_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "start": self.start.isoformat(),
            "expires": self.expires.isoformat(),
            "period_years": self.period_years,
            "basis": self.basis,
            "restarted_by": [event.as_json() for event in self.restarted_by],
            "ignored": [event.as_json() for event in self.ignored],
            "notes": list(self.notes),
        }


def prescription(
    kind: PrescriptionKind,
    start: date,
    events: Sequence[tuple[date, str] | tuple[date, str, date | None]] = (),
) -> PrescriptionResult:
    """When a claim that became due on ``start`` expires, given interrupting ``events``.

    Each event is ``(date, kind)``, or ``(date, "suspension", end)`` for a mediation or
    conciliation from ``date`` to ``end`` (``None`` while it goes on: the clock is stopped,
    ``expires`` is ``date.max`` and a note asks for the end to be recorded).

    >>> prescription("b2b", date(2020, 3, 15)).expires
    datetime.date(2025, 3, 15)
    >>> prescription("b2c", date(2023, 1, 10), [(date(2024, 6, 1), "acknowledgement")]).expires
    datetime.date(2026, 6, 1)
    >>> prescription("public", date(2021, 5, 10)).expires
    datetime.date(2025, 12, 31)
    >>> prescription("b2c", date(2023, 1, 10), [(date(2024, 1, 5), "mise_en_demeure")])
    Traceback (most recent call last):
    ...
    relance.domain.law.prescription.PrescriptionEventError: 'mise_en_demeure' does not interrupt prescription. Only an acknowledgement by the debtor (C. civ. 2240: a partial payment, a signed plan), a claim in court (2241) or an act of enforcement (2244) does, and a mediation or conciliation suspends it (2238); a reminder or a mise en demeure, even by registered letter, does not (Cass. com. 18 mai 2022, n° 20-23.204).
    """
    if kind not in _PERIODS:
        raise InvalidInputError(
            f"The prescription kind must be one of {', '.join(PRESCRIPTION_KINDS)}, not {kind!r}."
        )
    years, basis = _PERIODS[kind]
    checked = [_checked(kind, event) for event in events]
    expires = _period_end(kind, start, years)
    restarted: list[PrescriptionEvent] = []
    ignored: list[PrescriptionEvent] = []
    notes: list[str] = []
    for day, event_kind, end in sorted(checked, key=lambda item: (item[0], item[1])):
        event = PrescriptionEvent(day, event_kind, _basis(kind, event_kind), end)
        if day < start:
            raise InvalidInputError(
                f"An event dated {day.isoformat()} precedes the start {start.isoformat()}."
            )
        if day > expires:
            # An acknowledgement after expiry does not revive the claim
            # (Cass. 1re civ. 19 mai 2021, n° 19-26.253); nor does a late claim.
            ignored.append(event)
            notes.append(
                f"{event_kind} du {day.isoformat()} postérieur(e) à l'expiration du "
                f"{expires.isoformat()} : sans effet (Cass. 1re civ. 19 mai 2021, n° 19-26.253)."
            )
            continue
        restarted.append(event)
        if event_kind == "suspension":
            expires, note = _suspended(expires, day, end)
            notes.append(note)
            continue
        expires = _period_end(kind, day, years)
        if event_kind == "claim":
            notes.append(
                f"Demande en justice du {day.isoformat()} : l'interruption dure jusqu'à "
                "l'extinction de l'instance (C. civ. 2242) ; la date affichée compte le nouveau "
                "délai depuis la demande, c'est la plus prudente."
            )
    return PrescriptionResult(
        kind=kind,
        start=start,
        expires=expires,
        period_years=years,
        basis=basis,
        restarted_by=tuple(restarted),
        ignored=tuple(ignored),
        notes=tuple(notes),
    )


def _checked(
    kind: str, event: tuple[date, str] | tuple[date, str, date | None]
) -> tuple[date, EventKind, date | None]:
    day, event_kind = event[0], event[1]
    end = event[2] if len(event) > 2 else None
    if not _is_event_kind(event_kind):
        raise PrescriptionEventError(
            f"{event_kind!r} does not interrupt prescription. Only an acknowledgement by the "
            "debtor (C. civ. 2240: a partial payment, a signed plan), a claim in court (2241) or "
            "an act of enforcement (2244) does, and a mediation or conciliation suspends it "
            "(2238); a reminder or a mise en demeure, even by registered letter, does not "
            "(Cass. com. 18 mai 2022, n° 20-23.204)."
        )
    if event_kind not in _ACCEPTED[kind]:
        raise PrescriptionEventError(
            "A written claim interrupts only the four-year rule of public debts (loi n° 68-1250, "
            "art. 2); between private parties a mise en demeure interrupts nothing (Cass. com. "
            "18 mai 2022, n° 20-23.204)."
            if event_kind == "written_claim"
            else f"{event_kind!r} is not an event of the four-year rule of public debts (loi n° "
            "68-1250, art. 2: a written claim, a claim in court, the authority's acknowledgement "
            "or payment)."
        )
    if event_kind == "suspension":
        if end is not None and end < day:
            raise InvalidInputError(
                f"A mediation cannot end ({end.isoformat()}) before it starts ({day.isoformat()})."
            )
    elif end is not None:
        raise InvalidInputError(f"Only a suspension has an end date, not {event_kind!r}.")
    return day, event_kind, end


def _basis(kind: str, event_kind: str) -> str:
    if kind == "public":
        return _PUBLIC_BASIS.get(event_kind, _EVENT_BASIS[event_kind])
    return _EVENT_BASIS[event_kind]


def _period_end(kind: str, day: date, years: int) -> date:
    """The last day of a period that starts (or restarts) on ``day``."""
    if kind == "public":
        # Four years from 1 January of the following year: the last day is 31 December.
        return date(day.year + years, 12, 31)
    return add_years(day, years)


def _suspended(expires: date, day: date, end: date | None) -> tuple[date, str]:
    """The last day once a mediation from ``day`` to ``end`` has stopped the clock (2238)."""
    if end is None:
        return date.max, (
            f"Médiation ou conciliation en cours depuis le {day.isoformat()} : la prescription "
            "est suspendue (C. civ. 2238) ; enregistrez sa fin pour connaître la nouvelle date."
        )
    left = expires - day  # the days that were still to run when the mediation began
    resumed = max(end + left, add_months(end, SUSPENSION_FLOOR_MONTHS))
    return resumed, (
        f"Médiation ou conciliation du {day.isoformat()} au {end.isoformat()} : le délai, "
        f"suspendu, reprend le {end.isoformat()} pour {left.days} jour(s), et jamais moins de "
        "six mois (C. civ. 2238)."
    )
