"""Money is a ``Decimal`` with an ISO 4217 currency; never a float.

Rounding happens only at named points, half-up to the cent (``round_cents``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from relance.domain.problems import N_, TranslatableError

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# Thousands separators seen in French exports: space, no-break space, narrow no-break space,
# apostrophe (Swiss). A dot is a thousands separator only when a comma is the decimal mark.
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^[+-]?(\d+)?([.,]\d+)?$")


class AmountError(TranslatableError):
    """Text that is not an amount."""


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to the cent.

    >>> round_cents(Decimal("18.8835"))
    Decimal('18.88')
    >>> round_cents(Decimal("0.005"))
    Decimal('0.01')
    """
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def parse_amount(text: str) -> Decimal:
    """Parse an amount as written in French or English exports.

    >>> parse_amount("1 234,50")
    Decimal('1234.50')
    >>> parse_amount("1,234.50")
    Decimal('1234.50')
    >>> parse_amount("-12")
    Decimal('-12')
    >>> parse_amount("1.234,5")
    Decimal('1234.5')
    """
    raw = _SPACES.sub("", text.strip())
    if raw.endswith("-") and not raw.startswith("-"):  # "12,50-" as some banks write debits
        raw = "-" + raw[:-1]
    if "," in raw and "." in raw:
        if raw.rfind(",") > raw.rfind("."):
            raw = raw.replace(".", "").replace(",", ".")
        else:
            raw = raw.replace(",", "")
    elif raw.count(",") == 1:
        raw = raw.replace(",", ".")
    elif raw.count(",") > 1 or raw.count(".") > 1:
        raise AmountError(N_("%(value)r is not an amount"), value=text)
    if not raw or not _AMOUNT.match(raw) or raw in {"+", "-"}:
        raise AmountError(N_("%(value)r is not an amount"), value=text)
    try:
        return Decimal(raw)
    except InvalidOperation as exc:  # pragma: no cover - the regex already refuses these
        raise AmountError(N_("%(value)r is not an amount"), value=text) from exc


@dataclass(frozen=True, slots=True)
class Money:
    """An amount in a currency.

    >>> Money(Decimal("10.50"), "EUR") + Money(Decimal("1"), "EUR")
    Money(amount=Decimal('11.50'), currency='EUR')
    >>> str(Money(Decimal("1234.5"), "EUR"))
    '1234.50 EUR'
    """

    amount: Decimal
    currency: str = "EUR"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.amount - other.amount, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot mix {self.currency} and {other.currency}")

    def __str__(self) -> str:
        return f"{round_cents(self.amount)} {self.currency}"
