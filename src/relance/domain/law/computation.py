"""The result of a penalty computation, and its JSON form for ``relance interest --json``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from relance.domain.law.accrual import Capitalisation, DayCount, Imputation, Period
from relance.domain.money import round_cents

SIX_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class Computation:
    """Penalties (interest and indemnity) on one debt from ``start`` to ``end``.

    Amounts are ``Decimal`` in ``currency``. ``interest`` is the sum of the amounts fixed at
    each imputation, capitalisation and at the end, each rounded half-up to the cent;
    ``periods`` keep their interest unrounded. ``amount_due`` is what settles the debt on
    ``end``: outstanding principal, interest not yet paid, and the indemnity.
    """

    regime: str
    currency: str
    principal: Decimal
    start: date
    end: date
    day_count: DayCount
    interest: Decimal
    indemnity: Decimal
    penalties_total: Decimal
    outstanding_principal: Decimal
    outstanding_interest: Decimal
    amount_due: Decimal
    periods: tuple[Period, ...]
    payments: tuple[Imputation, ...]
    capitalisations: tuple[Capitalisation, ...]
    warnings: tuple[str, ...]
    basis: str
    indemnity_basis: str

    @property
    def days(self) -> int:
        """Days that bore interest."""
        return sum(period.days for period in self.periods)

    def as_json(self) -> dict[str, Any]:
        """A JSON-ready dict: amounts and rates as strings, dates in ISO 8601."""
        return {
            "regime": self.regime,
            "currency": self.currency,
            "principal": cents(self.principal),
            "interest": cents(self.interest),
            "indemnity": cents(self.indemnity),
            "penalties_total": cents(self.penalties_total),
            "outstanding_principal": cents(self.outstanding_principal),
            "amount_due": cents(self.amount_due),
            "periods": [
                {
                    "start": period.start.isoformat(),
                    "end": period.end.isoformat(),
                    "days": period.days,
                    "rate": percent(period.rate),
                    "base": cents(period.base),
                    "interest": unrounded(period.interest),
                    "denominator": period.denominator,
                    "basis": period.basis,
                }
                for period in self.periods
            ],
            "payments": [
                {
                    "date": imputation.date.isoformat(),
                    "amount": cents(imputation.amount),
                    "to_interest": cents(imputation.to_interest),
                    "to_principal": cents(imputation.to_principal),
                    "unapplied": cents(imputation.unapplied),
                }
                for imputation in self.payments
            ],
            "warnings": list(self.warnings),
            "basis": self.basis,
            "indemnity_basis": self.indemnity_basis,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "day_count": self.day_count,
            "outstanding_interest": cents(self.outstanding_interest),
            "capitalisations": [
                {"date": item.date.isoformat(), "amount": cents(item.amount)}
                for item in self.capitalisations
            ],
        }


def cents(amount: Decimal) -> str:
    """An amount as JSON shows it.

    >>> cents(Decimal("10000")), cents(Decimal("108.08"))
    ('10000.00', '108.08')
    """
    return str(round_cents(amount))


def unrounded(amount: Decimal) -> str:
    """A period's unrounded interest, shown to six places as legal-fr.md §11 does.

    >>> unrounded(Decimal("108.08219178082191780821917808"))
    '108.082192'
    """
    return str(amount.quantize(SIX_PLACES, rounding=ROUND_HALF_UP))


def percent(rate: Decimal) -> str:
    """A rate in percent, at least two places, never in exponent notation.

    >>> percent(Decimal("13.15")), percent(Decimal("10")), percent(Decimal("8.275"))
    ('13.15', '10.00', '8.275')
    """
    two_places = rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return str(two_places) if two_places == rate else format(rate.normalize(), "f")
