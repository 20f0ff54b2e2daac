"""Reading legal data: the rate tables as the engine sees them, and penalties on an invoice.

The rate tables are the shipped ones with every rate recorded in the database on top
(``relance rates add``). ``invoice_penalties`` is how letters, dossiers and the debtor page ask
the law engine for "penalties on this invoice as of this date".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from relance.apps.legal.models import PaymentTerms, RateOverride
from relance.domain.errors import InvalidInputError
from relance.domain.law import (
    REGIMES,
    TABLE_NAMES,
    Computation,
    PrescriptionKind,
    RateTables,
    Regime,
    RegimeChoice,
    UnknownTableError,
    choose_regime,
    load_tables,
    penalties_on_invoice,
    rate_override,
    table_rows,
)
from relance.domain.law.choice import several_currencies
from relance.domain.law.computation import percent
from relance.domain.law.dates import half_year_start
from relance.domain.law.explain import money
from relance.domain.problems import N_

if TYPE_CHECKING:
    from relance.apps.creditors.models import Creditor
    from relance.apps.ledger.models import Debtor, Invoice

ONE_DAY = timedelta(days=1)


def rate_tables() -> RateTables:
    """The shipped rate tables with every rate recorded in the database layered on top."""
    overrides = [
        rate_override(table=row.table, from_date=row.from_date, rate=_trim(row.rate), source=row.source)
        for row in RateOverride.objects.order_by("table", "from_date", "id")
    ]
    return load_tables(overrides)


def rates_list(*, table: str | None = None) -> list[dict[str, Any]]:
    """Every row of every table (or of ``table``), oldest first, for ``relance rates list``.

    Each row: ``table``, ``from``, ``to`` (the last day in force; ``None`` for the latest row of
    a step table, in force until the next change), ``rate`` in percent, ``source``, and
    ``origin``: ``shipped`` with Relance or recorded in the ``database``.
    """
    if table is not None and table not in TABLE_NAMES:
        raise UnknownTableError(
            f"Unknown rate table {table!r}; the tables are: {', '.join(TABLE_NAMES)}."
        )
    tables = rate_tables()
    result: list[dict[str, Any]] = []
    for name in TABLE_NAMES if table is None else (table,):
        rows = table_rows(tables[name])
        for index, row in enumerate(rows):
            to_date = row.to_date
            if to_date is None and index + 1 < len(rows):
                to_date = rows[index + 1].from_date - ONE_DAY
            result.append(
                {
                    "table": name,
                    "from": row.from_date.isoformat(),
                    "to": to_date.isoformat() if to_date else None,
                    "rate": percent(row.rate),
                    "source": row.source,
                    "origin": "database" if row.origin == "override" else "shipped",
                }
            )
    return result


def rates_missing(*, as_of: date) -> list[dict[str, Any]]:
    """The tables that lack the rate of the half-year containing ``as_of``: each with its
    ``table``, the day the missing rate is needed from (``from``, the half-year's first day)
    and the last day it knows (``known_until``). Letters claiming penalties over that
    half-year cannot be written until the rate is recorded."""
    start = half_year_start(as_of)
    return [
        {"table": name, "from": start, "known_until": table.known_until}
        for name, table in rate_tables().items()
        if table.known_until < start
    ]


def rates_known_until() -> dict[str, date]:
    """The last day each table knows a rate for; past it, computations refuse."""
    return {name: table.known_until for name, table in rate_tables().items()}


def invoice_regime_choice(*, invoice: Invoice) -> RegimeChoice:
    """The regime the law gives this invoice, or none, with the reason (``choose_regime``).

    The facts come from the ledger: the invoice's currency, the debtor's kind and country, the
    creditor's kind and country.
    """
    return regime_choice_for(debtor=invoice.debtor, creditor=invoice.creditor, currencies=[invoice.currency])


def regime_choice_for(*, debtor: Debtor, creditor: Creditor, currencies: Iterable[str]) -> RegimeChoice:
    """The regime for a letter to ``debtor`` from ``creditor`` listing invoices in ``currencies``.

    One regime per letter: invoices in several currencies get none (each would need its own).
    """
    money = sorted({currency.strip().upper() for currency in currencies}) or ["EUR"]
    if len(money) > 1:
        return several_currencies(money, creditor.kind)
    return choose_regime(
        currency=money[0],
        debtor_kind=debtor.kind,
        debtor_country=debtor.country or "FR",
        creditor_kind=creditor.kind,
        creditor_country=creditor.country or "FR",
    )


def claim_kind(*, debtor_kind: str, creditor_kind: str) -> PrescriptionKind:
    """The limitation regime of a claim between these parties (``relance.domain.law``'s
    ``prescription``): a public body's four years, a consumer's two, a private individual's
    five under the Civil Code, otherwise five under C. com. L110-4."""
    if debtor_kind == "public":
        return "public"
    if debtor_kind == "consumer":
        return "b2c"
    return "civil" if creditor_kind == "individual" else "b2b"


def invoice_regime(*, invoice: Invoice) -> Regime:
    """The regime of ``invoice``; refused with the chooser's reason when none applies."""
    choice = invoice_regime_choice(invoice=invoice)
    if choice.regime is None:
        raise InvalidInputError(
            N_("Invoice %(number)s: %(reason)s Choose a regime explicitly."),
            code="regime_not_modelled",
            params={"number": invoice.number, "reason": choice.reason},
        )
    return choice.regime


def invoice_penalties(
    *,
    invoice: Invoice,
    as_of: date,
    regime: Regime | None = None,
    notice_date: date | None = None,
    tables: RateTables | None = None,
    terms: PaymentTerms | None = None,
) -> Computation:
    """Penalties on ``invoice`` as of ``as_of``: interest, indemnity, and what settles it.

    ``regime`` defaults to ``invoice_regime``. Under ``fr-civil`` interest runs from the mise en
    demeure (``notice_date``); without one the interest is zero and a warning says why. Payments
    are the invoice's dated allocations valued up to ``as_of``; what a ledger export settled (it
    gives no date) and what credit notes took off reduce the principal from the start, so that
    penalties run on the balance the ledger gives, never on the original total, and a warning
    says so. A period with no known rate raises ``UnknownRateError``.
    ``tables`` lets a batch read the database once; by default ``rate_tables()``.
    ``terms``: the contractual rate recorded (``relance terms set``), used under fr-b2b only.
    """
    chosen = regime or invoice_regime(invoice=invoice)
    if chosen not in REGIMES:
        raise InvalidInputError(
            f"Unknown regime {chosen!r}; the regimes are: {', '.join(REGIMES)}."
        )
    if chosen == "fr-judgment":
        raise InvalidInputError(
            "fr-judgment runs from a judgment, not from an invoice's due date: compute it with "
            "`relance interest --regime fr-judgment`."
        )
    if invoice.total_amount <= 0:
        raise InvalidInputError(
            f"Invoice {invoice.number} has a total of {invoice.total_amount}: a credit note bears "
            "no penalties."
        )
    # A page listing many invoices prefetches their allocations (with their payments) at once.
    prefetched = getattr(invoice, "_prefetched_objects_cache", {}).get("allocations")
    rows = (
        sorted(prefetched, key=lambda a: (a.payment.value_date, a.id))
        if prefetched is not None
        else invoice.allocations.select_related("payment").order_by("payment__value_date", "id")
    )
    allocations = [
        (allocation.payment.value_date, allocation.amount, allocation.payment.origin)
        for allocation in rows
        if allocation.payment.value_date <= as_of
    ]
    undated = sum(
        (amount for _, amount, origin in allocations if origin in UNDATED_ORIGINS), Decimal(0)
    )
    principal = invoice.total_amount - undated
    if principal <= 0:
        raise InvalidInputError(
            N_(
                "Invoice %(number)s was settled by the ledger export or a credit note, on no "
                "known date: no penalties are computed on it."
            ),
            code="settled_without_date",
            params={"number": invoice.number},
        )
    computation = penalties_on_invoice(
        regime=chosen,
        principal=principal,
        due_date=invoice.due_date,
        as_of=as_of,
        payments=payments_net(
            (day, amount) for day, amount, origin in allocations if origin not in UNDATED_ORIGINS
        ),
        currency=invoice.currency,
        creditor_kind="individual" if invoice.creditor.kind == "individual" else "professional",
        notice_date=notice_date,
        issue_date=invoice.issue_date,
        tables=tables if tables is not None else rate_tables(),
        **_contract(terms if chosen == "fr-b2b" else None),
    )
    if undated:
        computation = replace(
            computation,
            warnings=(
                *computation.warnings,
                f"Pénalités calculées sur le solde restant dû de {money(principal)} "
                f"{invoice.currency} : l'export comptable (ou un avoir) a réduit la facture de "
                f"{money(undated)} {invoice.currency} sans date de règlement.",
            ),
        )
    return computation


def _contract(terms: PaymentTerms | None) -> dict[str, Any]:
    if terms is None:
        return {}
    return {
        "contract_rate": _trim(terms.contract_rate) if terms.contract_rate is not None else None,
        "contract_multiple": terms.contract_multiple,
        "terms_reference": terms.reference,
    }


# Settlements without a true date (a ledger export's, dated the import that saw them; a credit
# note, which corrects the invoice): they reduce the principal from the due date.
UNDATED_ORIGINS = ("ledger", "credit")


def payments_net(allocations: Iterable[tuple[date, Decimal]]) -> list[tuple[date, Decimal]]:
    """Allocations as dated payments: one per day, a reversal cancelling the latest first.

    A negative allocation (a settlement reversed, a bounced cheque) means the money was never
    kept, so it takes back the most recent payments before it, as if they had not been made.

    >>> from datetime import date as d
    >>> payments_net([(d(2025, 3, 1), Decimal("100")), (d(2025, 3, 1), Decimal("50")),
    ...               (d(2025, 4, 1), Decimal("30")), (d(2025, 5, 1), Decimal("-60"))])
    [(datetime.date(2025, 3, 1), Decimal('120'))]
    """
    by_day: dict[date, Decimal] = {}
    for day, amount in sorted(allocations, key=lambda item: item[0]):
        by_day[day] = by_day.get(day, Decimal(0)) + amount
    kept: list[list[Any]] = []
    for day, amount in by_day.items():
        if amount > 0:
            kept.append([day, amount])
            continue
        owed = -amount
        while owed > 0 and kept:
            taken = min(owed, kept[-1][1])
            kept[-1][1] -= taken
            owed -= taken
            if kept[-1][1] == 0:
                kept.pop()
    return [(day, amount) for day, amount in kept]


def _trim(rate: Decimal) -> Decimal:
    """``2.1500`` as the column returns it → ``2.15``; more places are kept as typed."""
    two_places = rate.quantize(Decimal("0.01"))
    return two_places if two_places == rate else rate.normalize()


def payment_terms_for(*, creditor_ids: Iterable[int], debtor_ids: Iterable[int]) -> dict[tuple[int, int | None], PaymentTerms]:
    """The contractual terms recorded (``relance terms set``), by (creditor, debtor) and
    (creditor, None) for the creditor's own: a debtor's replaces its creditor's. One query."""
    from django.db.models import Q

    rows = PaymentTerms.objects.filter(creditor_id__in=list(creditor_ids)).filter(
        Q(debtor__isnull=True) | Q(debtor_id__in=list(debtor_ids))
    )
    return {(row.creditor_id, row.debtor_id): row for row in rows}
