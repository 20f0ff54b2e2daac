"""The late-payment law engine: rate tables, penalty regimes, limitation periods.

Pure Python. It must not import Django nor anything from ``relance`` except
``relance.domain`` and ``relance.domain.errors`` (an import-linter contract fails the build
otherwise); it never reads the clock, every date is an argument; money is ``Decimal``, never
float. The rules, rate tables and worked examples come from ../shared/reference/legal-fr.md.

Modules
    ``rates``        shipped rate tables (``data/*.csv`` + ``data/tables.toml``), overrides,
                     ``rate_on``; an unknown period raises ``UnknownRateError``.
    ``regimes``      fr-b2b (C. com. L441-10), fr-public (CCP R2192-31), fr-civil (C. civ. 1231-6, 1344-1), fr-judgment
                     (CMF L313-3), eu-b2b (directive 2011/7/UE), uk-b2b (Late Payment Act
                     1998); ``compute_interest`` and ``penalties_on_invoice``.
    ``regime_rules`` each regime's rule: its rate spans, indemnity and warnings.
    ``public``       fr-public (commande publique) and the public payment periods
                     (``data/public_procurement.toml``).
    ``accrual``      the arithmetic and its conventions (days, 365/actual, rounding, imputation
                     C. civ. 1343-1, capitalisation 1343-2).
    ``choice``       ``choose_regime``: which regime applies to a debtor and creditor pair.
    ``computation``  the ``Computation`` result and its JSON form.
    ``explain``      the French, line-by-line explanation.
    ``prescription`` limitation periods and what interrupts them.
    ``terms``        the L441-10 I payment-terms check.

Public API (what the CLI, letters and dossiers call)
    ``penalties_on_invoice(*, regime, principal, due_date, as_of, payments=(), currency=None,
    creditor_kind="professional", contract_rate=None, notice_date=None, judgment_date=None,
    signified=None, capitalise_from=None, day_count="365", margin=None, with_indemnity=True,
    tables=None) -> Computation``
    ``compute_interest(*, regime, principal, start, end, payments=(), currency=None,
    creditor_kind="professional", contract_rate=None, signified=None, capitalise_from=None,
    day_count="365", margin=None, with_indemnity=True, tables=None) -> Computation``
    (``relance interest``: ``--from`` is ``start``, ``--to`` is ``end``)
    ``explain(computation) -> str`` and ``Computation.as_json() -> dict``
    ``load_tables(overrides=()) -> RateTables`` (shipped tables with overrides on top),
    ``rate_override(*, table, from_date, rate, source) -> RateOverride`` (validate a row for
    ``relance rates add`` before storing it), ``TABLE_NAMES``, ``table_rows(table)``
    (``relance rates list``; ``RateRow.as_json()``), ``rate_on(table, day)``,
    ``row_on(table, day)``, ``with_overrides(table, overrides)``
    ``prescription(kind, start, events=()) -> PrescriptionResult`` (``relance prescription``)
    ``check_payment_terms(issue_date, due_date, *, periodic=False) -> list[str]``
    ``choose_regime(*, currency, debtor_kind, debtor_country="FR", creditor_kind="professional",
    creditor_country="FR") -> RegimeChoice`` (``.regime`` is ``None`` when none applies)
    ``public_payment_deadline(received, buyer="state") -> date``, ``payment_periods()``
    Errors, all ``RelanceError``: ``UnknownRateError`` (``.table``, ``.period``, ``.command``),
    ``UnknownTableError``, ``InvalidRateError``, ``UnsupportedPeriodError``,
    ``PrescriptionEventError``; bad input otherwise raises ``InvalidInputError``.

>>> from datetime import date
>>> from decimal import Decimal
>>> result = penalties_on_invoice(regime="fr-b2b", principal=Decimal("10000.00"),
...                               due_date=date(2025, 3, 31), as_of=date(2025, 4, 30))
>>> result.as_json()["penalties_total"], result.as_json()["periods"][0]["rate"]
('148.08', '13.15')
"""

from __future__ import annotations

from relance.domain.law.accrual import (
    DAY_COUNTS,
    Capitalisation,
    DayCount,
    Imputation,
    Period,
    RateSpan,
    accrue,
)
from relance.domain.law.choice import DEBTOR_KINDS, DebtorKind, RegimeChoice, choose_regime
from relance.domain.law.computation import Computation
from relance.domain.law.explain import explain
from relance.domain.law.prescription import (
    PrescriptionEvent,
    PrescriptionEventError,
    PrescriptionKind,
    PrescriptionResult,
    prescription,
)
from relance.domain.law.public import PaymentPeriod, payment_periods, public_payment_deadline
from relance.domain.law.rates import (
    TABLE_NAMES,
    InvalidRateError,
    RateOverride,
    RateRow,
    RateTable,
    RateTables,
    UnknownRateError,
    UnknownTableError,
    load_tables,
    rate_on,
    rate_override,
    row_on,
    table_rows,
    with_overrides,
)
from relance.domain.law.regimes import (
    CREDITOR_KINDS,
    REGIMES,
    CreditorKind,
    Regime,
    UnsupportedPeriodError,
    compute_interest,
    penalties_on_invoice,
)
from relance.domain.law.terms import check_payment_terms

__all__ = [
    "CREDITOR_KINDS",
    "DAY_COUNTS",
    "DEBTOR_KINDS",
    "REGIMES",
    "TABLE_NAMES",
    "Capitalisation",
    "Computation",
    "CreditorKind",
    "DayCount",
    "DebtorKind",
    "Imputation",
    "InvalidRateError",
    "PaymentPeriod",
    "Period",
    "PrescriptionEvent",
    "PrescriptionEventError",
    "PrescriptionKind",
    "PrescriptionResult",
    "RateOverride",
    "RateRow",
    "RateSpan",
    "RateTable",
    "RateTables",
    "Regime",
    "RegimeChoice",
    "UnknownRateError",
    "UnknownTableError",
    "UnsupportedPeriodError",
    "accrue",
    "check_payment_terms",
    "choose_regime",
    "compute_interest",
    "explain",
    "load_tables",
    "payment_periods",
    "penalties_on_invoice",
    "prescription",
    "public_payment_deadline",
    "rate_on",
    "rate_override",
    "row_on",
    "table_rows",
    "with_overrides",
]
