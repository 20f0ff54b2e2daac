"""Business days in France: weekends and French public holidays (the ``holidays`` package).

Call tasks land on business days only; a step whose day falls on a Saturday, a Sunday or a
public holiday moves to the next business day.

>>> next_business_day(date(2026, 5, 1))  # Friday 1 May, Labour Day -> Monday 4 May
datetime.date(2026, 5, 4)
>>> is_business_day(date(2026, 7, 14))
False
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

import holidays


@lru_cache(maxsize=64)
def _french_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("FR", years=year).keys())


def is_business_day(day: date) -> bool:
    """Monday to Friday and not a French public holiday."""
    return day.weekday() < 5 and day not in _french_holidays(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the first business day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def previous_business_day(day: date) -> date:
    """``day`` itself when it is a business day, else the last business day before it.

    >>> previous_business_day(date(2025, 4, 6))  # a Sunday -> Friday 4 April
    datetime.date(2025, 4, 4)
    """
    while not is_business_day(day):
        day -= timedelta(days=1)
    return day


def add_business_days(day: date, count: int) -> date:
    """The business day ``count`` business days after ``day`` (``count`` ≥ 0).

    >>> add_business_days(date(2026, 12, 24), 1)  # Thursday -> Christmas -> weekend -> Monday
    datetime.date(2026, 12, 28)
    """
    current = day
    for _ in range(count):
        current = next_business_day(current + timedelta(days=1))
    return current


def months_later(day: date, months: int) -> date:
    """The same day ``months`` months later, or the month's last day when it has no such day.

    >>> months_later(date(2026, 1, 31), 1)
    datetime.date(2026, 2, 28)
    """
    import calendar

    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
