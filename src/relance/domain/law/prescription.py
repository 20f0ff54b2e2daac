"""Limitation periods (prescription extinctive): the date a claim expires, and why.

Interruption is a closed list (Cass. com. 18 mai 2022, n° 20-23.204): the debtor's
acknowledgement (C. civ. 2240; a partial payment or a signed plan counts) and a claim in court
(2241, even in référé; the signification of an injonction de payer counts). Each starts a new
period of the same length (2231). A reminder or a mise en demeure, even by registered letter,
interrupts nothing, so this module refuses to record one as an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypeGuard

from relance.domain.law.dates import add_years
from relance.errors import InvalidInputError

PrescriptionKind = Literal["b2b", "b2c", "civil"]
EventKind = Literal["acknowledgement", "claim"]
EVENT_KINDS: tuple[EventKind, ...] = ("acknowledgement", "claim")

_PERIODS: dict[str, tuple[int, str]] = {
    "b2b": (5, "C. com. L110-4 : 5 ans entre commerçants, ou entre commerçant et non-commerçant"),
    "civil": (5, "C. civ. 2224 : 5 ans à compter du jour où le titulaire a connu les faits"),
    "b2c": (2, "C. conso. L218-2 : 2 ans pour l'action d'un professionnel contre un consommateur"),
}
_EVENT_BASIS: dict[str, str] = {
    "acknowledgement": "C. civ. 2240 : reconnaissance du droit par le débiteur",
    "claim": "C. civ. 2241 : demande en justice",
}


class PrescriptionEventError(InvalidInputError):
    code = "invalid_prescription_event"


def _is_event_kind(value: str) -> TypeGuard[EventKind]:
    return value in EVENT_KINDS


@dataclass(frozen=True, slots=True)
class PrescriptionEvent:
    date: date
    kind: EventKind
    basis: str

    def as_json(self) -> dict[str, str]:
        return {"date": self.date.isoformat(), "kind": self.kind, "basis": self.basis}


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
    kind: PrescriptionKind, start: date, events: Sequence[tuple[date, str]] = ()
) -> PrescriptionResult:
    """When a claim that became due on ``start`` expires, given interrupting ``events``.

    >>> prescription("b2b", date(2020, 3, 15)).expires
    datetime.date(2025, 3, 15)
    >>> prescription("b2c", date(2023, 1, 10), [(date(2024, 6, 1), "acknowledgement")]).expires
    datetime.date(2026, 6, 1)
    >>> prescription("b2c", date(2023, 1, 10), [(date(2024, 1, 5), "mise_en_demeure")])
    Traceback (most recent call last):
    ...
    relance.domain.law.prescription.PrescriptionEventError: 'mise_en_demeure' does not interrupt prescription. Only an acknowledgement by the debtor (C. civ. 2240: a partial payment, a signed plan) or a claim in court (2241) does; a reminder or a mise en demeure, even by registered letter, does not (Cass. com. 18 mai 2022, n° 20-23.204).
    """
    if kind not in _PERIODS:
        raise InvalidInputError(
            f"The prescription kind must be one of b2b, b2c, civil, not {kind!r}."
        )
    years, basis = _PERIODS[kind]
    checked: list[tuple[date, EventKind]] = []
    for day, event_kind in events:
        if _is_event_kind(event_kind):
            checked.append((day, event_kind))
            continue
        raise PrescriptionEventError(
            f"{event_kind!r} does not interrupt prescription. Only an acknowledgement by the "
            "debtor (C. civ. 2240: a partial payment, a signed plan) or a claim in court (2241) "
            "does; a reminder or a mise en demeure, even by registered letter, does not "
            "(Cass. com. 18 mai 2022, n° 20-23.204)."
        )
    expires = add_years(start, years)
    restarted: list[PrescriptionEvent] = []
    ignored: list[PrescriptionEvent] = []
    notes: list[str] = []
    for day, event_kind in sorted(checked):
        event = PrescriptionEvent(day, event_kind, _EVENT_BASIS[event_kind])
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
        expires = add_years(day, years)
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
