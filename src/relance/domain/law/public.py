"""Late payment by a public buyer: the commande publique's moratory interest (``fr-public``).

A public buyer (the State, a collectivité territoriale, a public establishment, a public
hospital…) that pays a public contract late owes, as of right and without any demand, moratory
interest and a flat 40 EUR indemnity per payment request (CCP L2192-13). C. com. L441-10 does
not apply. The rate is the ECB main refinancing rate in force on the first day of the semester
in which interest started to run, plus 8 points, fixed for the whole delay (CCP R2192-31). The
payment period runs from the receipt of the payment request: 30 days, 50 for public health
establishments, 60 for public enterprises (R2192-10 to R2192-12).

Every figure is data with its source: ``data/public_procurement.toml``. Contracts concluded
before 16 March 2013, or periods begun before 1 May 2013, followed earlier rules that are not
modelled: such a computation is refused rather than guessed.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from relance.domain.errors import InvalidInputError
from relance.domain.law.accrual import RateSpan
from relance.domain.law.dates import ONE_DAY, add_months, half_year_start
from relance.domain.law.explain import fr_date, fr_percent
from relance.domain.law.rates import RateTables, row_on
from relance.domain.law.regime_rules import (
    INDEMNITY_PROOF_MONTHS,
    RegimeRequest,
    RegimeTerms,
    UnsupportedPeriodError,
)


@dataclass(frozen=True, slots=True)
class PaymentPeriod:
    """The legal payment period of one kind of public buyer."""

    buyer: str
    days: int
    title: str
    source: str


@cache
def _rules() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("data", "public_procurement.toml")
    return tomllib.loads(text.read_text("utf-8"))


def payment_periods() -> tuple[PaymentPeriod, ...]:
    """The payment periods by kind of buyer, from the data file.

    >>> [(period.buyer, period.days) for period in payment_periods()]
    [('state', 30), ('health', 50), ('public_enterprise', 60)]
    """
    return tuple(
        PaymentPeriod(buyer=name, days=row["days"], title=row["title"], source=row["source"])
        for name, row in _rules()["payment_periods"].items()
    )


def public_payment_deadline(received: date, buyer: str = "state") -> date:
    """The last day of the payment period for a request received on ``received``.

    Interest runs from the next day (R2192-31), so this is what ``--from`` takes.

    >>> public_payment_deadline(date(2025, 3, 1))
    datetime.date(2025, 3, 31)
    >>> public_payment_deadline(date(2025, 9, 15), "health")
    datetime.date(2025, 11, 4)
    """
    for period in payment_periods():
        if period.buyer == buyer:
            return received + timedelta(days=period.days)
    names = ", ".join(period.buyer for period in payment_periods())
    raise InvalidInputError(f"Unknown kind of public buyer {buyer!r}; the kinds are: {names}.")


def fr_public(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    """``fr-public``: one rate, fixed on the semester in which interest started (R2192-31)."""
    rules = _rules()
    since: date = rules["in_force"]["from"]
    first = request.start + ONE_DAY
    terms = RegimeTerms(
        spans=[],
        indemnity=Decimal(rules["indemnity"]["amount"]),
        indemnity_currency=rules["indemnity"]["currency"],
        indemnity_basis="Indemnité forfaitaire pour frais de recouvrement, par demande de "
        f"paiement réglée en retard ({rules['indemnity']['source']})",
    )
    if request.end < first:
        return terms
    began = request.issue_date
    if (began is not None and began < since) or (
        began is None and request.start < add_months(since, INDEMNITY_PROOF_MONTHS)
    ):
        raise UnsupportedPeriodError(
            "fr-public follows décret n° 2013-269 only for payment periods begun from "
            f"{since.isoformat()} (contracts concluded from 16 March 2013); earlier periods "
            "follow former rules that Relance does not compute. Check the figure by hand."
        )
    semester = half_year_start(first)
    mro = row_on(tables["ecb_mro"], semester).rate
    margin = Decimal(rules["interest"]["margin"])
    terms.spans.append(
        RateSpan(
            first,
            request.end,
            mro + margin,
            f"{rules['interest']['source']} : taux BCE (OPR) en vigueur au {fr_date(semester)} "
            f"({fr_percent(mro)}), premier jour du semestre où les intérêts ont commencé à "
            f"courir, + {margin} points, fixe pour toute la durée du retard",
        )
    )
    return terms
