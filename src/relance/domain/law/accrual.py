"""Simple interest day by day over rate spans, with payments and capitalisation.

The conventions, each a decision recorded in legal-fr.md §10:

* **Days**: from the start date exclusive to the end date inclusive. A ``Period`` records its
  first and last counted day, both inclusive (``2025-04-01 → 2025-04-30`` is 30 days).
* **Day count** (``DayCount``): ``"365"`` divides by 365 even in leap years, as the Banque de
  France advised (default); ``"actual"`` divides the days of a leap year by 366 (periods are
  then cut at 31 December so each has one denominator).
* **Rounding**: each period's interest is kept unrounded; interest is rounded half-up to the
  cent only when it becomes a fixed amount: when a payment is imputed, when it is capitalised,
  and at the end.
* **Imputation** (C. civ. 1343-1): a payment goes first to interest due (capitalised interest,
  the oldest, first), then to principal; interest then runs on what is left. The flat
  indemnity is a separate head and is never paid by imputation (legal-fr.md TC11).
* **Capitalisation** (C. civ. 1343-2, only by contract or judgment): on every anniversary of
  ``capitalise_from``, the interest due is rounded and added to the base that bears interest.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

from relance.domain.errors import InvalidInputError
from relance.domain.law.dates import ONE_DAY, add_years, days_in_year
from relance.domain.money import ZERO, round_cents

DayCount = Literal["365", "actual"]
DAY_COUNTS: tuple[DayCount, ...] = ("365", "actual")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class RateSpan:
    """Consecutive days sharing one annual rate (percent) and its legal basis, in French."""

    first: date
    last: date
    rate: Decimal
    basis: str


@dataclass(frozen=True, slots=True)
class Period:
    """Interest on ``base`` at ``rate`` % from ``start`` to ``end`` (both counted), unrounded."""

    start: date
    end: date
    days: int
    rate: Decimal
    base: Decimal
    interest: Decimal
    basis: str
    denominator: int = 365


@dataclass(frozen=True, slots=True)
class Imputation:
    """How one payment was imputed (C. civ. 1343-1); ``unapplied`` is an overpayment."""

    date: date
    amount: Decimal
    to_interest: Decimal
    to_principal: Decimal
    unapplied: Decimal = ZERO


@dataclass(frozen=True, slots=True)
class Capitalisation:
    """Interest due for a year, added to the base on ``date`` (C. civ. 1343-2)."""

    date: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Accrual:
    periods: tuple[Period, ...]
    imputations: tuple[Imputation, ...]
    capitalisations: tuple[Capitalisation, ...]
    interest: Decimal
    outstanding_principal: Decimal
    outstanding_interest: Decimal


class _Balance:
    """The running state of one debt; private and mutable so ``accrue`` reads as the law does."""

    def __init__(self, principal: Decimal) -> None:
        self.principal = principal
        self.capitalised = ZERO  # interest turned into interest-bearing base (1343-2)
        self.interest_due = ZERO  # rounded interest not yet paid nor capitalised
        self.accrued = ZERO  # unrounded interest since the last rounding point
        self.interest_total = ZERO

    @property
    def base(self) -> Decimal:
        return self.principal + self.capitalised

    def settle(self) -> None:
        rounded = round_cents(self.accrued)
        self.accrued = ZERO
        self.interest_total += rounded
        self.interest_due += rounded

    def capitalise(self, day: date) -> Capitalisation | None:
        self.settle()
        amount, self.interest_due = self.interest_due, ZERO
        self.capitalised += amount
        return Capitalisation(date=day, amount=amount) if amount else None

    def impute(self, day: date, amount: Decimal) -> Imputation:
        self.settle()
        to_interest = min(amount, self.capitalised + self.interest_due)
        from_capitalised = min(to_interest, self.capitalised)
        self.capitalised -= from_capitalised
        self.interest_due -= to_interest - from_capitalised
        to_principal = min(amount - to_interest, self.principal)
        self.principal -= to_principal
        return Imputation(
            date=day,
            amount=amount,
            to_interest=to_interest,
            to_principal=to_principal,
            unapplied=amount - to_interest - to_principal,
        )


def accrue(
    *,
    principal: Decimal,
    start: date,
    end: date,
    spans: Sequence[RateSpan],
    payments: Iterable[tuple[date, Decimal]] = (),
    day_count: DayCount = "365",
    capitalise_from: date | None = None,
) -> Accrual:
    """Interest on ``principal`` from ``start`` (exclusive) to ``end`` (inclusive).

    ``spans`` must cover every day from ``start + 1`` to ``end``; a payment is imputed at the
    end of its day (the day the funds are available still bears interest).

    >>> span = RateSpan(date(2025, 4, 1), date(2025, 4, 30), Decimal("13.15"), "L441-10")
    >>> result = accrue(principal=Decimal("10000.00"), start=date(2025, 3, 31),
    ...                 end=date(2025, 4, 30), spans=[span])
    >>> result.periods[0].days, result.periods[0].interest.quantize(Decimal("0.000001"))
    (30, Decimal('108.082192'))
    >>> result.interest
    Decimal('108.08')
    >>> paid = accrue(principal=Decimal("100.00"), start=date(2025, 3, 31), end=date(2025, 4, 30),
    ...               spans=[span], payments=[(date(2025, 3, 1), Decimal("100.00"))])
    >>> paid.interest, paid.outstanding_principal, paid.periods
    (Decimal('0.00'), Decimal('0.00'), ())
    """
    if day_count not in DAY_COUNTS:
        raise InvalidInputError(
            f"Day count must be one of {', '.join(DAY_COUNTS)}, not {day_count!r}."
        )
    by_day: dict[date, list[Decimal]] = {}
    for day, amount in sorted(payments, key=lambda payment: payment[0]):
        by_day.setdefault(day, []).append(amount)
    anniversaries: set[date] = set()
    if capitalise_from is not None:
        years = 1
        while (anniversary := add_years(capitalise_from, years)) <= end:
            anniversaries.add(anniversary)
            years += 1
    cuts = set(by_day) | anniversaries
    if day_count == "actual":
        cuts |= {date(year, 12, 31) for year in range(start.year, end.year)}
    ordered_cuts = sorted(day for day in cuts if day > start)

    balance = _Balance(principal)
    periods: list[Period] = []
    imputations: list[Imputation] = []
    capitalisations: list[Capitalisation] = []
    # Payments made before interest runs only reduce the principal.
    for day in sorted(day for day in by_day if day <= start):
        imputations.extend(balance.impute(day, amount) for amount in by_day[day])

    for span in spans:
        first = span.first
        while first <= span.last:
            last = min(next((day for day in ordered_cuts if day >= first), span.last), span.last)
            days = (last - first).days + 1
            denominator = days_in_year(first.year) if day_count == "actual" else 365
            if balance.base > 0:
                interest = balance.base * span.rate * days / (HUNDRED * denominator)
                balance.accrued += interest
                periods.append(
                    Period(
                        first,
                        last,
                        days,
                        span.rate,
                        balance.base,
                        interest,
                        span.basis,
                        denominator,
                    )
                )
            if last in anniversaries and (capitalised := balance.capitalise(last)) is not None:
                capitalisations.append(capitalised)
            imputations.extend(balance.impute(last, amount) for amount in by_day.get(last, ()))
            first = last + ONE_DAY

    balance.settle()
    return Accrual(
        periods=tuple(periods),
        imputations=tuple(imputations),
        capitalisations=tuple(capitalisations),
        interest=balance.interest_total,
        outstanding_principal=balance.principal,
        outstanding_interest=balance.capitalised + balance.interest_due,
    )
