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

# The largest amount the database holds: every amount column is DecimalField(max_digits=14,
# decimal_places=2) (tests/apps/ledger/test_exact_amounts.py checks the models agree). An import
# refuses beyond it, so that nothing it accepts can make a later read or sum overflow.
MAX_AMOUNT = Decimal("999999999999.99")

# Thousands separators seen in French exports: space, no-break space, narrow no-break space,
# apostrophe (Swiss). A dot is a thousands separator only when a comma is the decimal mark.
_SPACES = re.compile(r"[\s\u00a0\u202f']")
_AMOUNT = re.compile(r"^[+-]?(\d+)?([.,]\d+)?$")


class AmountError(TranslatableError):
    """Text that is not an amount."""


# An amount with one separator followed by exactly three digits ("1.234", "12,345"): thousands
# or decimals? Not when the integer part cannot start a thousands group ("0,001", "1234,567").
_AMBIGUOUS = re.compile(r"^[+-]?[1-9]\d{0,2}([.,])\d{3}-?$")
# Thousands grouped by one separator, used twice or more, and no decimals: "1.234.567".
_GROUPED = re.compile(r"^[+-]?[1-9]\d{0,2}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})+-?$")


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


def decimal_mark(text: str) -> str | None:
    """The decimal mark an amount's text shows without doubt, or None.

    >>> decimal_mark("1 234,50"), decimal_mark("1,234.50"), decimal_mark("1.234.567")
    (',', '.', ',')
    >>> decimal_mark("1.234"), decimal_mark("1234"), decimal_mark("0,001")
    (None, None, ',')
    """
    raw = _SPACES.sub("", text.strip())
    comma, point = raw.rfind(","), raw.rfind(".")
    if comma >= 0 and point >= 0:
        return "," if comma > point else "."
    if (comma < 0 and point < 0) or _AMBIGUOUS.match(raw):
        return None
    mark = "," if comma >= 0 else "."
    return mark if raw.count(mark) == 1 else ("." if mark == "," else ",")


def parse_exact_amount(text: str, *, marks: frozenset[str] | set[str] = frozenset()) -> Decimal:
    """Parse a ledger amount exactly: refuse what a cent cannot hold rather than round it.

    ``marks`` are the decimal marks the file's other amounts show (``decimal_mark``); they
    decide an amount like ``1.234`` (thousands, or three decimals?) when they agree, and it
    is refused otherwise. An amount beyond ``MAX_AMOUNT`` is refused.

    >>> parse_exact_amount("1.234", marks={","}), parse_exact_amount("12,345", marks={"."})
    (Decimal('1234'), Decimal('12345'))
    >>> parse_exact_amount("12,500", marks={","})
    Decimal('12.500')
    >>> parse_exact_amount("0,001")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    AmountError: '0,001' has more than two decimals: an amount is refused rather than rounded
    """
    raw = _SPACES.sub("", text.strip())
    ambiguous = _AMBIGUOUS.match(raw)
    if ambiguous:
        separator = ambiguous.group(1)
        if len(marks) != 1:
            raise AmountError(
                N_(
                    "%(value)r is ambiguous: %(separator)r may separate thousands or decimals "
                    "and the file's other amounts do not tell which; export the amounts with "
                    "their cents"
                ),
                value=text,
                separator=separator,
            )
        if separator not in marks:  # the file's decimal mark is the other one
            raw = raw.replace(separator, "")
    else:
        grouped = _GROUPED.match(raw)
        if grouped:
            raw = raw.replace(grouped.group("sep"), "")
    value = parse_amount(raw)
    if value != value.quantize(CENT, rounding=ROUND_HALF_UP):
        raise AmountError(
            N_("%(value)r has more than two decimals: an amount is refused rather than rounded"),
            value=text,
        )
    if abs(value) > MAX_AMOUNT:
        raise AmountError(
            N_("%(value)r is beyond the largest amount Relance holds (%(limit)s)"),
            value=text,
            limit=MAX_AMOUNT,
        )
    return value


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
