"""How the documents write money, dates and rates, in French or in English.

Pure functions of their arguments; the templates reach them through the sandbox's filters.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from relance.domain.money import round_cents

FR_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


EN_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


CURRENCY_SIGNS = {"EUR": "€", "GBP": "£", "USD": "$"}


def format_money(amount: Decimal | int | str, lang: str = "fr", currency: str = "EUR") -> str:
    """An amount as a French or English reader expects it.

    >>> format_money(Decimal("1234.5")), format_money(Decimal("1234.5"), "en")
    ('1\\u202f234,50\\xa0€', '€1,234.50')
    >>> format_money(Decimal("-40"), "en", "GBP")
    '-£40.00'
    """
    value = round_cents(Decimal(amount))
    sign = "-" if value < 0 else ""
    whole, cents = f"{abs(value):,.2f}".split(".")
    symbol = CURRENCY_SIGNS.get(currency, currency)
    if lang == "fr":
        # Narrow no-break space between thousands, no-break space before the sign: the
        # Imprimerie nationale's rules, and no line break inside an amount.
        return f"{sign}{whole.replace(',', chr(0x202F))},{cents}\u00a0{symbol}"
    if len(symbol) > 1:
        return f"{sign}{symbol}\u00a0{whole}.{cents}"
    return f"{sign}{symbol}{whole}.{cents}"


def format_date(day: date | None, lang: str = "fr") -> str:
    """A date in words.

    >>> format_date(date(2026, 11, 23)), format_date(date(2026, 11, 1), "en")
    ('23 novembre 2026', '1 November 2026')
    >>> format_date(date(2026, 11, 1))
    '1er novembre 2026'
    """
    if day is None:
        return ""
    if lang == "fr":
        first = "1er" if day.day == 1 else str(day.day)
        return f"{first} {FR_MONTHS[day.month - 1]} {day.year}"
    return f"{day.day} {EN_MONTHS[day.month - 1]} {day.year}"


def format_percent(rate: Decimal, lang: str = "fr") -> str:
    """A rate in percent.

    >>> format_percent(Decimal("12.15")), format_percent(Decimal("12.15"), "en")
    ('12,15\\xa0%', '12.15%')
    """
    text = f"{Decimal(rate):.2f}"
    return f"{text.replace('.', ',')}\u00a0%" if lang == "fr" else f"{text}%"


def format_siren(value: str) -> str:
    """A SIREN (or SIRET) grouped as printed on letters.

    >>> format_siren("732829320"), format_siren(""), format_siren("73282932000074")
    ('732 829 320', '', '732 829 320 00074')
    """
    digits = "".join(ch for ch in value if ch.isdigit())
    if len(digits) == 9:
        return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
    if len(digits) == 14:
        return f"{digits[:3]} {digits[3:6]} {digits[6:9]} {digits[9:]}"
    return value.strip()


def format_iban(value: str) -> str:
    """An IBAN in groups of four, as printed.

    >>> format_iban("FR7630006000011234567890189")
    'FR76 3000 6000 0112 3456 7890 189'
    """
    compact = value.replace(" ", "").upper()
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))
