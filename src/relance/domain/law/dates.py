"""Calendar arithmetic the law needs: half-years, months and years added the French way.

Months and years are added as CPC art. 641 counts a délai: the same day number, or the last day
of the month when that day does not exist (31 March + 1 month = 30 April; 29 February + 1 year
= 28 February).
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta

ONE_DAY = timedelta(days=1)


def half_year_start(day: date) -> date:
    """First day of the half-year (1 January or 1 July) that contains ``day``.

    >>> half_year_start(date(2025, 5, 17))
    datetime.date(2025, 1, 1)
    >>> half_year_start(date(2025, 7, 1))
    datetime.date(2025, 7, 1)
    """
    return date(day.year, 1 if day.month <= 6 else 7, 1)


def half_year_end(day: date) -> date:
    """Last day of the half-year (30 June or 31 December) that contains ``day``.

    >>> half_year_end(date(2024, 2, 29))
    datetime.date(2024, 6, 30)
    >>> half_year_end(date(2024, 12, 31))
    datetime.date(2024, 12, 31)
    """
    return date(day.year, 6, 30) if day.month <= 6 else date(day.year, 12, 31)


def half_year_label(day: date) -> str:
    """The half-year as people write it: ``2026 H2``.

    >>> half_year_label(date(2026, 7, 1))
    '2026 H2'
    >>> half_year_label(date(2026, 6, 30))
    '2026 H1'
    """
    return f"{day.year} H{1 if day.month <= 6 else 2}"


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, falling back to the month's last day (CPC art. 641).

    >>> add_months(date(2025, 1, 15), 2)
    datetime.date(2025, 3, 15)
    >>> add_months(date(2024, 12, 31), 2)
    datetime.date(2025, 2, 28)
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def add_years(day: date, years: int) -> date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year.

    >>> add_years(date(2020, 3, 15), 5)
    datetime.date(2025, 3, 15)
    >>> add_years(date(2024, 2, 29), 1)
    datetime.date(2025, 2, 28)
    """
    return add_months(day, 12 * years)


def end_of_month(day: date) -> date:
    """Last day of ``day``'s month.

    >>> end_of_month(date(2024, 2, 10))
    datetime.date(2024, 2, 29)
    >>> end_of_month(date(2025, 12, 1))
    datetime.date(2025, 12, 31)
    """
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def days_in_year(year: int) -> int:
    """366 in a leap year, else 365.

    >>> days_in_year(2024), days_in_year(2025)
    (366, 365)
    """
    return 366 if calendar.isleap(year) else 365
