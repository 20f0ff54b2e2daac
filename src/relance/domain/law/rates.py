"""Rate tables: shipped CSV files, overridden by rows the creditor records later.

Each table is data (``data/<name>.csv`` plus its entry in ``data/tables.toml``): every row has
the date it takes effect, the rate in percent and the source that published it. Two kinds:

``step``
    ECB main refinancing rate, Bank of England Bank Rate. A row is in force from its date until
    the next row. Central banks change rates at any meeting, so the table is known only up to
    ``known_until`` (the last date a source confirmed the rate) or the latest override row.
``periodic``
    The French taux de l'intérêt légal. Each row covers exactly ``[from, to]``: a half-year
    since 2015 (arrêté per semester, CMF D313-1-A), a year before. An override covers one
    half-year.

A day outside what is known raises ``UnknownRateError``, which names the table, the period and
the ``relance rates add`` command that fills it. Nothing is ever extrapolated.
"""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Literal

from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.law.dates import half_year_end, half_year_label, half_year_start
from relance.domain.problems import N_

TableKind = Literal["step", "periodic"]
RowOrigin = Literal["shipped", "override"]

#: The tables the engine knows, in the order ``relance rates list`` shows them.
TABLE_NAMES: tuple[str, ...] = (
    "ecb_mro",
    "fr_legal_professional",
    "fr_legal_individual",
    "boe_base",
)


class UnknownRateError(RelanceError):
    """No published rate is known for the day a computation needs."""

    code = "unknown_rate"

    def __init__(
        self,
        *,
        table: str,
        day: date,
        period: str,
        from_date: date,
        detail: str = "",
        step: bool = False,
    ) -> None:
        self.table = table
        self.day = day
        self.period = period
        self.from_date = from_date
        self.command = (
            f"relance rates add --table {table} --from {from_date.isoformat()} "
            "--rate R --source TEXT"
        )
        # A step table is known up to its latest row: a rate recorded from the earlier day it
        # took effect would not say it still held on the day needed, so that day is the --from.
        what = (
            f"the rate in force on {from_date.isoformat()} (even if unchanged since an earlier "
            "date), from that day"
            if step
            else f"the {period} rate, from {from_date.isoformat()}, the first day it applies"
        )
        super().__init__(
            f"No known rate in table {table} for {period} (needed on {day.isoformat()}{detail}). "
            f"Nothing is guessed: once it is published, record {what}: {self.command}"
        )
        # What a page says instead (translated), without the command line: the message above
        # stays the CLI's and the scripts'.
        self.template = N_(
            "No known rate in table %(table)s for %(period)s (needed on %(day)s). Nothing is "
            "guessed: once it is published, record the rate in force from %(from)s (Settings, "
            "Rates)."
        )
        self.params = {"table": table, "period": period, "day": day, "from": from_date}


class UnknownTableError(InvalidInputError):
    code = "unknown_rate_table"


class InvalidRateError(InvalidInputError):
    code = "invalid_rate"


@dataclass(frozen=True, slots=True)
class RateRow:
    """One published rate: in force from ``from_date`` (and, for periodic tables, to ``to_date``)."""

    from_date: date
    rate: Decimal
    source: str
    to_date: date | None = None
    origin: RowOrigin = "shipped"

    def as_json(self) -> dict[str, Any]:
        return {
            "from": self.from_date.isoformat(),
            "to": self.to_date.isoformat() if self.to_date else None,
            "rate": str(self.rate),
            "source": self.source,
            "origin": self.origin,
        }


@dataclass(frozen=True, slots=True)
class RateOverride:
    """A rate recorded by a user (``relance rates add``), layered over the shipped table."""

    table: str
    from_date: date
    rate: Decimal
    source: str


@dataclass(frozen=True, slots=True)
class RateTable:
    """A named, sourced rate table; see the module docstring for ``kind``."""

    name: str
    title: str
    kind: TableKind
    rows: tuple[RateRow, ...]
    shipped_known_until: date | None = None
    known_until_source: str = ""

    @property
    def known_until(self) -> date:
        """Last day whose rate is known."""
        last = self.rows[-1]
        if self.kind == "periodic":
            return max(row.to_date or row.from_date for row in self.rows)
        return max(self.shipped_known_until or last.from_date, last.from_date)


RateTables = Mapping[str, RateTable]


def rate_override(*, table: str, from_date: date, rate: Decimal, source: str) -> RateOverride:
    """Check and build an override row, as ``relance rates add`` must before storing it.

    >>> rate_override(table="ecb_mro", from_date=date(2026, 7, 1), rate=Decimal("2.15"),
    ...               source="ECB press release").rate
    Decimal('2.15')
    >>> rate_override(table="fr_legal_professional", from_date=date(2026, 8, 1),
    ...               rate=Decimal("2.5"), source="JO")
    Traceback (most recent call last):
    ...
    relance.domain.law.rates.InvalidRateError: Table fr_legal_professional holds one rate per half-year: --from must be 1 January or 1 July, not 2026-08-01.
    """
    if table not in TABLE_NAMES:
        raise UnknownTableError(
            f"Unknown rate table {table!r}; the tables are: {', '.join(TABLE_NAMES)}."
        )
    if not isinstance(rate, Decimal) or not rate.is_finite():
        raise InvalidRateError(f"The rate must be a decimal number of percent, not {rate!r}.")
    if rate < 0:
        # None of these rates has ever been negative (the ECB's negative rate was its deposit
        # facility, not the MRO): a minus sign here is a typing error.
        raise InvalidRateError(f"A rate of {rate} % is not plausible for {table}.")
    if not source.strip():
        raise InvalidRateError("Say where the rate comes from (--source): the law needs a source.")
    if _metadata()[table]["kind"] == "periodic" and (from_date.day, from_date.month) not in {
        (1, 1),
        (1, 7),
    }:
        raise InvalidRateError(
            f"Table {table} holds one rate per half-year: --from must be 1 January or 1 July, "
            f"not {from_date.isoformat()}."
        )
    return RateOverride(table=table, from_date=from_date, rate=rate, source=source.strip())


def load_tables(overrides: Iterable[RateOverride] = ()) -> RateTables:
    """The shipped tables with ``overrides`` layered on top, later rows winning on equal dates.

    >>> tables = load_tables()
    >>> rate_on(tables["ecb_mro"], date(2025, 7, 1))
    Decimal('2.15')
    >>> extra = rate_override(table="ecb_mro", from_date=date(2026, 7, 1),
    ...                       rate=Decimal("2.40"), source="test")
    >>> rate_on(load_tables([extra])["ecb_mro"], date(2026, 7, 1))
    Decimal('2.40')
    """
    shipped = _shipped_tables()
    extra: dict[str, list[RateOverride]] = {}
    for override in overrides:
        checked = rate_override(
            table=override.table,
            from_date=override.from_date,
            rate=override.rate,
            source=override.source,
        )
        extra.setdefault(checked.table, []).append(checked)
    if not extra:
        return shipped
    return MappingProxyType(
        {name: with_overrides(table, extra.get(name, ())) for name, table in shipped.items()}
    )


def with_overrides(table: RateTable, overrides: Iterable[RateOverride]) -> RateTable:
    """``table`` with extra rows; a row dated like an existing one replaces it.

    >>> til = load_tables()["fr_legal_professional"]
    >>> row = RateOverride("fr_legal_professional", date(2026, 7, 1), Decimal("2.40"), "JO")
    >>> with_overrides(til, [row]).known_until
    datetime.date(2026, 12, 31)
    """
    by_date = {row.from_date: row for row in table.rows}
    for override in overrides:
        by_date[override.from_date] = RateRow(
            from_date=override.from_date,
            rate=override.rate,
            source=override.source,
            to_date=half_year_end(override.from_date) if table.kind == "periodic" else None,
            origin="override",
        )
    return replace(table, rows=tuple(by_date[day] for day in sorted(by_date)))


def table_rows(table: RateTable) -> tuple[RateRow, ...]:
    """The rows of ``table`` in date order, each with its source (for ``relance rates list``).

    >>> first = table_rows(load_tables()["boe_base"])[0]
    >>> first.from_date, first.rate
    (datetime.date(2007, 12, 6), Decimal('5.50'))
    """
    return table.rows


def row_on(table: RateTable, day: date) -> RateRow:
    """The row in force on ``day``; raises ``UnknownRateError`` outside what is known.

    >>> row_on(load_tables()["fr_legal_individual"], date(2024, 3, 2)).rate
    Decimal('8.01')
    """
    if table.kind == "periodic":
        for row in reversed(table.rows):
            if row.from_date <= day <= (row.to_date or row.from_date):
                return row
        raise UnknownRateError(
            table=table.name, day=day, period=half_year_label(day), from_date=half_year_start(day)
        )
    if table.rows[0].from_date <= day <= table.known_until:
        return [row for row in table.rows if row.from_date <= day][-1]
    raise UnknownRateError(
        table=table.name,
        day=day,
        period=half_year_label(day),
        from_date=day,
        detail=f"; known from {table.rows[0].from_date.isoformat()} "
        f"to {table.known_until.isoformat()}",
        step=True,
    )


def rate_on(table: RateTable, day: date) -> Decimal:
    """Rate in percent in force on ``day``; raises ``UnknownRateError`` when not known.

    >>> tables = load_tables()
    >>> rate_on(tables["ecb_mro"], date(2024, 7, 1))
    Decimal('4.25')
    >>> rate_on(tables["fr_legal_professional"], date(2025, 8, 20))
    Decimal('2.76')
    >>> rate_on(tables["ecb_mro"], date(2026, 7, 1))
    Traceback (most recent call last):
    ...
    relance.domain.law.rates.UnknownRateError: No known rate in table ecb_mro for 2026 H2 (needed on 2026-07-01; known from 2007-06-13 to 2026-02-05). Nothing is guessed: once it is published, record the rate in force on 2026-07-01 (even if unchanged since an earlier date), from that day: relance rates add --table ecb_mro --from 2026-07-01 --rate R --source TEXT
    """
    return row_on(table, day).rate


@cache
def _metadata() -> dict[str, dict[str, Any]]:
    text = resources.files(__package__).joinpath("data", "tables.toml").read_text("utf-8")
    return tomllib.loads(text)


@cache
def _shipped_tables() -> RateTables:
    # Read once per process: the daily pass asks for penalties on thousands of invoices.
    return MappingProxyType({name: _read_table(name) for name in TABLE_NAMES})


def _read_table(name: str) -> RateTable:
    meta = _metadata()[name]
    text = resources.files(__package__).joinpath("data", f"{name}.csv").read_text("utf-8")
    rows = tuple(_parse_row(name, record) for record in csv.DictReader(io.StringIO(text)))
    return RateTable(
        name=name,
        title=meta["title"],
        kind=meta["kind"],
        rows=rows,
        shipped_known_until=meta.get("known_until"),
        known_until_source=meta.get("known_until_source", ""),
    )


def _parse_row(name: str, record: dict[str, str]) -> RateRow:
    try:
        return RateRow(
            from_date=date.fromisoformat(record["from"]),
            rate=Decimal(record["rate"]),
            source=record["source"],
            to_date=date.fromisoformat(record["to"]) if record.get("to") else None,
        )
    except (KeyError, ValueError, InvalidOperation) as exc:  # pragma: no cover - shipped data
        raise RelanceError(f"Rate table {name} is damaged near {record}: {exc}") from exc
