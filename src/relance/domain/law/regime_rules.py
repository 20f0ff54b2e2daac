"""The rules of each late-payment regime: which rate applies on which day, and why.

Each regime is a function from a ``RegimeRequest`` and the rate tables to ``RegimeTerms``: rate
spans (``RateSpan``) with their legal basis, the flat indemnity, and warnings. ``regimes``
dispatches to them and does the common work (checks, accrual, the indemnity's conditions).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal

from relance.domain.errors import InvalidInputError, RelanceError
from relance.domain.law.accrual import RateSpan
from relance.domain.law.dates import (
    ONE_DAY,
    add_months,
    half_year_end,
    half_year_label,
    half_year_start,
)
from relance.domain.law.explain import fr_date, fr_percent
from relance.domain.law.rates import (
    RateRow,
    RateTable,
    RateTables,
    UnknownRateError,
    row_on,
)
from relance.domain.money import ZERO

Regime = Literal["fr-b2b", "fr-public", "fr-civil", "fr-judgment", "eu-b2b", "uk-b2b"]
CreditorKind = Literal["professional", "individual"]

# L441-10 in its LME wording (semester rule, + 10 points, floor 3 × TIL) runs from 2009; the
# former L441-6 (+ 7 points, floor 1.5 × TIL) is not modelled rather than guessed.
FR_B2B_FROM = date(2009, 1, 1)
FR_B2B_MARGIN = Decimal(10)
# Décret n° 2012-1115 du 2 octobre 2012 (D441-5), notice at JORF 4 Oct. 2012
# (legifrance.gouv.fr/jorf/id/JORFTEXT000026453427): the indemnity is due "en cas de retard de
# paiement de toute créance dont le délai de paiement aura commencé à courir après" 1 January
# 2013 (loi n° 2012-387, art. 121). The payment period runs from the invoice (L441-10 I counts
# the caps "après la date d'émission de la facture"), so the invoice's issue date governs, not
# its due date: an invoice of 20 December 2012 due on 19 February 2013 owes no indemnity.
FR_B2B_INDEMNITY_FROM = date(2013, 1, 1)
FR_B2B_INDEMNITY_FROM_BASIS = (
    "décret n° 2012-1115 (D441-5) : indemnité due pour les créances dont le délai de paiement a "
    "commencé à courir à compter du 1er janvier 2013"
)
# Directive 2011/7/UE, art. 12 (1) and (4): transposed by 16 March 2013, and Member States may
# exclude contracts concluded before that date. Which did is not modelled, so nothing is claimed.
EU_INDEMNITY_FROM = date(2013, 3, 16)
EU_INDEMNITY_FROM_BASIS = (
    "directive 2011/7/UE, art. 12 : transposée au 16 mars 2013, les contrats antérieurs pouvant "
    "être exclus"
)
# Without the invoice date, a due date this long after the start proves the payment period
# began after it: the longest lawful term is 60 days, or 45 days end of month (L441-10 I), so
# six months leaves room for the unlawful terms seen in practice. Closer than that, say less.
INDEMNITY_PROOF_MONTHS = 6
EU_DEFAULT_MARGIN = Decimal(8)
UK_MARGIN = Decimal(8)
FLOOR_FACTOR = Decimal(3)
JUDGMENT_MAJORATION = Decimal(5)
INDEMNITY_EUR = Decimal("40.00")
# Late Payment Act s. 5A: the fixed sum by size of debt (below the threshold → that sum).
UK_FIXED_SUMS: tuple[tuple[Decimal, Decimal], ...] = (
    (Decimal("1000.00"), Decimal("40.00")),
    (Decimal("10000.00"), Decimal("70.00")),
)
UK_FIXED_SUM_LARGE = Decimal("100.00")


class UnsupportedPeriodError(RelanceError):
    """The law for that period is not modelled (rather than computed on a guess)."""

    code = "unsupported_period"


@dataclass(frozen=True, slots=True)
class RegimeRequest:
    regime: Regime
    principal: Decimal
    start: date
    end: date
    currency: str
    creditor_kind: CreditorKind
    contract_rate: Decimal | None
    signified: date | None
    margin: Decimal | None
    issue_date: date | None = None
    # A contractual rate as a multiple of the taux légal (at least 3, L441-10 II), and the
    # creditor's terms that stipulate it (its CGV), cited in each period's basis.
    contract_multiple: Decimal | None = None
    terms_reference: str = ""


@dataclass(slots=True)
class RegimeTerms:
    """What a regime decides: rate spans, the flat indemnity, and what the user must know."""

    spans: list[RateSpan]
    indemnity: Decimal = ZERO
    indemnity_currency: str = "EUR"
    indemnity_basis: str = ""
    warnings: list[str] = field(default_factory=list)
    # The indemnity is due only when the payment period began on or after this day.
    indemnity_from: date | None = None
    indemnity_from_basis: str = ""


def fr_b2b(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    first = request.start + ONE_DAY
    if request.end >= first and first < FR_B2B_FROM:
        raise UnsupportedPeriodError(
            "fr-b2b penalties before 1 January 2009 follow the former L441-6 (ECB + 7 points); "
            "Relance does not compute them. Use a contractual rate and check the figure by hand."
        )
    terms = RegimeTerms(
        spans=[],
        indemnity=INDEMNITY_EUR,
        indemnity_basis="Indemnité forfaitaire pour frais de recouvrement, par facture payée en "
        "retard (C. com. L441-10 II et D441-5)",
        indemnity_from=FR_B2B_INDEMNITY_FROM,
        indemnity_from_basis=FR_B2B_INDEMNITY_FROM_BASIS,
    )
    terms_cited = f" — {request.terms_reference}" if request.terms_reference else ""
    for span_first, span_last in half_years(first, request.end):
        semester = half_year_start(span_first)
        label = half_year_label(span_first)
        if request.contract_multiple is not None:
            legal = row_on(tables["fr_legal_professional"], semester).rate
            terms.spans.append(
                RateSpan(
                    span_first,
                    span_last,
                    request.contract_multiple * legal,
                    f"Taux contractuel : {fr_multiple(request.contract_multiple)} × le taux légal "
                    f"{label} ({fr_percent(legal)}){terms_cited} (C. com. L441-10 II)",
                )
            )
            continue
        if request.contract_rate is None:
            mro = row_on(tables["ecb_mro"], semester).rate
            terms.spans.append(
                RateSpan(
                    span_first,
                    span_last,
                    mro + FR_B2B_MARGIN,
                    f"C. com. L441-10 II : taux BCE (OPR) en vigueur au {fr_date(semester)} "
                    f"({fr_percent(mro)}) + 10 points",
                )
            )
            continue
        terms.spans.append(
            RateSpan(
                span_first,
                span_last,
                request.contract_rate,
                f"Taux contractuel des conditions de paiement{terms_cited} (C. com. L441-10 II)",
            )
        )
        terms.warnings.extend(_floor_warning(request.contract_rate, tables, semester, label))
    return terms


def _floor_warning(rate: Decimal, tables: RateTables, semester: date, label: str) -> list[str]:
    try:
        legal = row_on(tables["fr_legal_professional"], semester).rate
    except UnknownRateError as exc:
        return [
            f"Plancher du taux contractuel non vérifié pour {label} : taux légal inconnu. "
            f"{exc.command}"
        ]
    floor = FLOOR_FACTOR * legal
    if rate >= floor:
        return []
    return [
        f"Taux contractuel de {fr_percent(rate)} inférieur au plancher de 3 × le taux légal "
        f"({fr_percent(legal)} en {label}) = {fr_percent(floor)} (C. com. L441-10 II) : "
        "la clause est contestable."
    ]


def _legal_rate_table(request: RegimeRequest, tables: RateTables) -> tuple[RateTable, str]:
    if request.creditor_kind == "individual":
        return tables["fr_legal_individual"], "créancier particulier"
    return tables["fr_legal_professional"], "tous les autres cas"


def _legal_spans(
    table: RateTable, first: date, last: date, basis: Callable[[RateRow, Decimal], str]
) -> list[RateSpan]:
    """Spans of the taux légal, one per row (half-year, or year before 2015)."""
    spans: list[RateSpan] = []
    day = first
    while day <= last:
        row = row_on(table, day)
        span_last = min(row.to_date or day, last)
        spans.append(RateSpan(day, span_last, row.rate, basis(row, row.rate)))
        day = span_last + ONE_DAY
    return spans


def _legal_period(row: RateRow) -> str:
    """``2025 H1``, or ``2012`` for the annual rates before 2015."""
    if row.to_date is not None and (row.to_date - row.from_date).days > 200:
        return str(row.from_date.year)
    return half_year_label(row.from_date)


def fr_civil(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    table, category = _legal_rate_table(request, tables)
    return RegimeTerms(
        spans=_legal_spans(
            table,
            request.start + ONE_DAY,
            request.end,
            lambda row, rate: (
                f"C. civ. 1231-6 et 1344-1 : taux légal {_legal_period(row)} ({category}), "
                f"{fr_percent(rate)}"
            ),
        )
    )


JUDGMENT_MAJORATION_MONTHS = 2


def judgment_majoration_day(enforceable: date) -> date:
    """The first day of the +5 points (CMF L313-3): the day after the two months that run
    from the day the judgment became enforceable (its signification), counted as CPC 641.

    >>> judgment_majoration_day(date(2025, 1, 15))  # legal-fr.md TC10
    datetime.date(2025, 3, 16)
    """
    return add_months(enforceable, JUDGMENT_MAJORATION_MONTHS) + ONE_DAY


def fr_judgment(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    table, category = _legal_rate_table(request, tables)
    terms = RegimeTerms(spans=[])
    if request.signified is None:
        majoration = request.end + ONE_DAY  # never within the computation
        terms.warnings.append(
            "Date de signification inconnue : la majoration de 5 points (CMF L313-3) n'est pas "
            "appliquée."
        )
    else:
        if request.signified < request.start:
            raise InvalidInputError("The judgment cannot be signified before it is pronounced.")
        majoration = judgment_majoration_day(request.signified)
        expiry = majoration - ONE_DAY
        if expiry.weekday() >= 5:
            terms.warnings.append(
                f"Le délai de deux mois expire un {'samedi' if expiry.weekday() == 5 else 'dimanche'} "
                f"({fr_date(expiry)}) ; la majoration est appliquée dès le {fr_date(majoration)}, "
                "mais l'art. 642 CPC pourrait proroger le délai au jour ouvrable suivant : à vérifier."
            )
    for span in _legal_spans(
        table,
        request.start + ONE_DAY,
        request.end,
        lambda row, rate: (
            f"C. civ. 1231-7 : taux légal {_legal_period(row)} ({category}), {fr_percent(rate)}"
        ),
    ):
        if span.last >= majoration and span.first < majoration:
            terms.spans.append(RateSpan(span.first, majoration - ONE_DAY, span.rate, span.basis))
            span = RateSpan(majoration, span.last, span.rate, span.basis)
        if span.first >= majoration:
            span = RateSpan(
                span.first,
                span.last,
                span.rate + JUDGMENT_MAJORATION,
                f"{span.basis} + 5 points (CMF L313-3, deux mois après la signification du "
                f"{fr_date(request.signified or request.start)})",
            )
        terms.spans.append(span)
    return terms


def eu_b2b(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    margin = EU_DEFAULT_MARGIN if request.margin is None else request.margin
    terms = RegimeTerms(
        spans=[],
        indemnity=INDEMNITY_EUR,
        indemnity_basis="Montant forfaitaire minimal de 40 EUR pour frais de recouvrement "
        "(directive 2011/7/UE, art. 6)",
        indemnity_from=EU_INDEMNITY_FROM,
        indemnity_from_basis=EU_INDEMNITY_FROM_BASIS,
    )
    for span_first, span_last in half_years(request.start + ONE_DAY, request.end):
        semester = half_year_start(span_first)
        mro = row_on(tables["ecb_mro"], semester).rate
        terms.spans.append(
            RateSpan(
                span_first,
                span_last,
                mro + margin,
                f"Directive 2011/7/UE, art. 2 : taux BCE (OPR) au {fr_date(semester)} "
                f"({fr_percent(mro)}) + {fr_points(margin)}",
            )
        )
    return terms


def uk_b2b(request: RegimeRequest, tables: RateTables) -> RegimeTerms:
    first = request.start + ONE_DAY
    # SI 2002/1675: the reference date is the 30 June or 31 December before interest starts.
    reference = date(first.year - 1, 12, 31) if first.month <= 6 else date(first.year, 6, 30)
    terms = RegimeTerms(
        spans=[],
        indemnity=_uk_fixed_sum(request.principal),
        indemnity_currency="GBP",
        indemnity_basis="Fixed sum for the cost of recovering the debt (Late Payment Act 1998, "
        "s. 5A) : 40 / 70 / 100 GBP selon le montant",
    )
    if request.end < first:
        return terms
    try:
        bank_rate = row_on(tables["boe_base"], reference).rate
    except UnknownRateError as exc:
        # The rate needed is the one of the reference date, for the half-year interest starts
        # in: say so, rather than name the half-year the reference date falls in.
        raise UnknownRateError(
            table=exc.table,
            day=reference,
            period=f"{reference.isoformat()}, reference date for {half_year_label(first)}",
            from_date=reference,
            step=True,
        ) from exc
    terms.spans.append(
        RateSpan(
            first,
            request.end,
            bank_rate + UK_MARGIN,
            f"Late Payment Act 1998 (SI 2002/1675) : Bank Rate au {fr_date(reference)} "
            f"({fr_percent(bank_rate)}) + 8 points, fixe pour la vie de la dette",
        )
    )
    return terms


def _uk_fixed_sum(principal: Decimal) -> Decimal:
    for threshold, amount in UK_FIXED_SUMS:
        if principal < threshold:
            return amount
    return UK_FIXED_SUM_LARGE


def half_years(first: date, last: date) -> list[tuple[date, date]]:
    """``[first, last]`` cut at every 1 January and 1 July."""
    pieces: list[tuple[date, date]] = []
    day = first
    while day <= last:
        piece_last = min(half_year_end(day), last)
        pieces.append((day, piece_last))
        day = piece_last + ONE_DAY
    return pieces


def fr_multiple(factor: Decimal) -> str:
    """``3.5`` → ``3,5``."""
    return format(factor.normalize(), "f").replace(".", ",")


def fr_points(points: Decimal) -> str:
    return f"{format(points.normalize(), 'f').replace('.', ',')} points"
