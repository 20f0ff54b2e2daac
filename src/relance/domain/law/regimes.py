"""The five late-payment regimes, each a small function from the rate tables to rate spans.

A regime says which rate applies on which day and why (``RateSpan``), and which flat
indemnity is due; ``accrue`` does the arithmetic, the same for all. ``compute_interest`` is
what ``relance interest`` calls; ``penalties_on_invoice`` is what letters, dossiers and the
debtor page call ("penalties on this invoice as of this date").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Literal

from relance.domain.law.accrual import DayCount, RateSpan, accrue
from relance.domain.law.computation import Computation
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
    load_tables,
    row_on,
)
from relance.domain.money import ZERO
from relance.errors import InvalidInputError, RelanceError

Regime = Literal["fr-b2b", "fr-civil", "fr-judgment", "eu-b2b", "uk-b2b"]
REGIMES: tuple[Regime, ...] = ("fr-b2b", "fr-civil", "fr-judgment", "eu-b2b", "uk-b2b")
CreditorKind = Literal["professional", "individual"]
CREDITOR_KINDS: tuple[CreditorKind, ...] = ("professional", "individual")

REGIME_BASIS: dict[Regime, str] = {
    "fr-b2b": "Pénalités de retard entre professionnels, exigibles sans rappel le jour suivant "
    "l'échéance (C. com. L441-10 II) ; indemnité forfaitaire pour frais de recouvrement (D441-5)",
    "fr-civil": "Intérêts moratoires au taux légal à compter de la mise en demeure "
    "(C. civ. 1231-6 et 1344-1)",
    "fr-judgment": "Intérêts au taux légal à compter du jugement (C. civ. 1231-7), majorés de "
    "5 points deux mois après la signification (CMF L313-3)",
    "eu-b2b": "Intérêts pour retard de paiement : taux de référence BCE + marge "
    "(directive 2011/7/UE, art. 2) ; indemnité forfaitaire de 40 EUR (art. 6)",
    "uk-b2b": "Late Payment of Commercial Debts (Interest) Act 1998 : Bank Rate de référence "
    "+ 8 points, fixe pour la vie de la dette (SI 2002/1675) ; somme forfaitaire (s. 5A)",
}

# L441-10 in its LME wording (semester rule, + 10 points, floor 3 × TIL) runs from 2009; the
# former L441-6 (+ 7 points, floor 1.5 × TIL) is not modelled rather than guessed.
FR_B2B_FROM = date(2009, 1, 1)
FR_B2B_MARGIN = Decimal(10)
EU_DEFAULT_MARGIN = Decimal(8)
UK_MARGIN = Decimal(8)
FLOOR_FACTOR = Decimal(3)
JUDGMENT_MAJORATION = Decimal(5)
INDEMNITY_EUR = Decimal("40.00")
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
class _Request:
    regime: Regime
    principal: Decimal
    start: date
    end: date
    currency: str
    creditor_kind: CreditorKind
    contract_rate: Decimal | None
    signified: date | None
    margin: Decimal | None


@dataclass(slots=True)
class _Terms:
    """What a regime decides: rate spans, the flat indemnity, and what the user must know."""

    spans: list[RateSpan]
    indemnity: Decimal = ZERO
    indemnity_currency: str = "EUR"
    indemnity_basis: str = ""
    warnings: list[str] = field(default_factory=list)
    # The indemnity is due only when the payment period began on or after this day.
    indemnity_from: date | None = None
    indemnity_from_basis: str = ""


def compute_interest(
    *,
    regime: Regime,
    principal: Decimal,
    start: date,
    end: date,
    payments: Iterable[tuple[date, Decimal]] = (),
    currency: str | None = None,
    creditor_kind: CreditorKind = "professional",
    contract_rate: Decimal | None = None,
    signified: date | None = None,
    capitalise_from: date | None = None,
    day_count: DayCount = "365",
    margin: Decimal | None = None,
    with_indemnity: bool = True,
    issue_date: date | None = None,
    tables: RateTables | None = None,
) -> Computation:
    """Penalties under ``regime`` on ``principal``, from ``start`` (exclusive) to ``end``.

    ``start`` is the last day before interest runs: the due date (b2b regimes), the mise en
    demeure (``fr-civil``), the judgment (``fr-judgment``). ``end`` is the day the money was
    available, or the as-of date. ``currency`` defaults to GBP for ``uk-b2b``, EUR otherwise.
    ``issue_date`` is the invoice's date: the flat indemnity is due only on invoices whose
    payment period began on or after 1 January 2013 (16 March 2013 under the directive);
    without it, the due date decides when it can (``FR_B2B_INDEMNITY_FROM``).

    >>> tc1 = compute_interest(regime="fr-b2b", principal=Decimal("10000.00"),
    ...                        start=date(2025, 3, 31), end=date(2025, 4, 30))
    >>> tc1.interest, tc1.indemnity, tc1.penalties_total
    (Decimal('108.08'), Decimal('40.00'), Decimal('148.08'))
    >>> tc8 = compute_interest(regime="fr-civil", principal=Decimal("2500.00"),
    ...                        start=date(2025, 2, 10), end=date(2025, 8, 20))
    >>> [(p.days, p.rate) for p in tc8.periods], tc8.interest
    ([(140, Decimal('3.71')), (51, Decimal('2.76'))], Decimal('45.22'))
    """
    if regime not in REGIMES:
        raise InvalidInputError(
            f"Unknown regime {regime!r}; the regimes are: {', '.join(REGIMES)}."
        )
    if creditor_kind not in CREDITOR_KINDS:
        raise InvalidInputError(
            f"Creditor kind must be one of {', '.join(CREDITOR_KINDS)}, not {creditor_kind!r}."
        )
    _check_amount("principal", principal)
    if end < start:
        raise InvalidInputError(
            f"The end date {end.isoformat()} is before the start date {start.isoformat()}."
        )
    payment_list = [(day, amount) for day, amount in payments]
    for day, amount in payment_list:
        _check_amount("payment", amount)
        if day > end:
            raise InvalidInputError(
                f"A payment dated {day.isoformat()} is after the end date {end.isoformat()}."
            )
    if contract_rate is not None and regime != "fr-b2b":
        raise InvalidInputError("A contractual rate (--contract-rate) applies only to fr-b2b.")
    if margin is not None and regime != "eu-b2b":
        raise InvalidInputError("A margin (--margin) applies only to eu-b2b.")
    if signified is not None and regime != "fr-judgment":
        raise InvalidInputError("A signification date (--signified) applies only to fr-judgment.")

    request = _Request(
        regime=regime,
        principal=principal,
        start=start,
        end=end,
        currency=currency or ("GBP" if regime == "uk-b2b" else "EUR"),
        creditor_kind=creditor_kind,
        contract_rate=contract_rate,
        signified=signified,
        margin=margin,
    )
    terms = _REGIME_FUNCTIONS[regime](request, tables or load_tables())
    accrual = accrue(
        principal=principal,
        start=start,
        end=end,
        spans=terms.spans,
        payments=payment_list,
        day_count=day_count,
        capitalise_from=capitalise_from,
    )
    warnings = terms.warnings
    indemnity = terms.indemnity if with_indemnity else ZERO
    paid_before = sum((amount for day, amount in payment_list if day <= start), ZERO)
    if end <= start or paid_before >= principal:
        indemnity = ZERO  # not late (yet), or paid in full on time: nothing is due
    if indemnity and terms.indemnity_from is not None:
        reason = _indemnity_not_yet_law(
            terms.indemnity_from, terms.indemnity_from_basis, issue_date=issue_date, due_date=start
        )
        if reason:
            warnings.append(reason)
            indemnity = ZERO
    if indemnity and request.currency != terms.indemnity_currency:
        warnings.append(
            f"L'indemnité forfaitaire de {terms.indemnity} {terms.indemnity_currency} est due "
            f"mais n'est pas ajoutée à une créance en {request.currency} : réclamez-la à part."
        )
        indemnity = ZERO
    for imputation in accrual.imputations:
        if imputation.unapplied:
            warnings.append(
                f"Le paiement du {imputation.date.isoformat()} dépasse de {imputation.unapplied} "
                f"{request.currency} les intérêts et le principal dus : trop-perçu à rembourser."
            )
    return Computation(
        regime=regime,
        currency=request.currency,
        principal=principal,
        start=start,
        end=end,
        day_count=day_count,
        interest=accrual.interest,
        indemnity=indemnity,
        penalties_total=accrual.interest + indemnity,
        outstanding_principal=accrual.outstanding_principal,
        outstanding_interest=accrual.outstanding_interest,
        amount_due=accrual.outstanding_principal + accrual.outstanding_interest + indemnity,
        periods=accrual.periods,
        payments=accrual.imputations,
        capitalisations=accrual.capitalisations,
        warnings=tuple(warnings),
        basis=REGIME_BASIS[regime],
        indemnity_basis=terms.indemnity_basis if indemnity else "",
    )


def penalties_on_invoice(
    *,
    regime: Regime,
    principal: Decimal,
    due_date: date,
    as_of: date,
    payments: Iterable[tuple[date, Decimal]] = (),
    currency: str | None = None,
    creditor_kind: CreditorKind = "professional",
    contract_rate: Decimal | None = None,
    notice_date: date | None = None,
    judgment_date: date | None = None,
    signified: date | None = None,
    capitalise_from: date | None = None,
    day_count: DayCount = "365",
    margin: Decimal | None = None,
    with_indemnity: bool = True,
    issue_date: date | None = None,
    tables: RateTables | None = None,
) -> Computation:
    """Penalties on this invoice as of this date.

    Interest starts after ``due_date`` for the b2b regimes, after ``notice_date`` (the mise en
    demeure) for ``fr-civil`` and after ``judgment_date`` for ``fr-judgment``. Without a mise en
    demeure, civil interest has not started: the result is zero, with a warning saying why.
    ``payments`` are the partial payments received up to ``as_of``.

    >>> penalties_on_invoice(regime="fr-b2b", principal=Decimal("1000.00"),
    ...                      due_date=date(2025, 7, 31), as_of=date(2025, 10, 31)).interest
    Decimal('30.62')
    >>> civil = penalties_on_invoice(regime="fr-civil", principal=Decimal("1000.00"),
    ...                              due_date=date(2025, 7, 31), as_of=date(2025, 10, 31))
    >>> civil.amount_due, civil.warnings[0].startswith("Aucune mise en demeure")
    (Decimal('1000.00'), True)
    """
    warnings: list[str] = []
    start = due_date
    if regime == "fr-civil":
        if notice_date is None:
            warnings.append(
                "Aucune mise en demeure enregistrée : les intérêts au taux légal ne courent "
                "qu'à compter de la mise en demeure (C. civ. 1344-1)."
            )
            start = as_of
        else:
            start = notice_date
    elif regime == "fr-judgment":
        if judgment_date is None:
            raise InvalidInputError("fr-judgment needs the date of the judgment (judgment_date).")
        start = judgment_date
    start = min(start, as_of)
    computation = compute_interest(
        regime=regime,
        principal=principal,
        start=start,
        end=as_of,
        payments=payments,
        currency=currency,
        creditor_kind=creditor_kind,
        contract_rate=contract_rate,
        signified=signified,
        capitalise_from=capitalise_from,
        day_count=day_count,
        margin=margin,
        with_indemnity=with_indemnity,
        issue_date=issue_date,
        tables=tables,
    )
    if not warnings:
        return computation
    return _with_warnings(computation, warnings)


def _indemnity_not_yet_law(
    since: date, basis: str, *, issue_date: date | None, due_date: date
) -> str:
    """Why the flat indemnity is not claimed on this invoice, or ``""`` when it is due.

    >>> _indemnity_not_yet_law(date(2013, 1, 1), "D441-5", issue_date=date(2012, 12, 20),
    ...                        due_date=date(2013, 2, 19))[:60]
    "Pas d'indemnité forfaitaire : la facture du 20/12/2012 est a"
    >>> _indemnity_not_yet_law(date(2013, 1, 1), "D441-5", issue_date=None,
    ...                        due_date=date(2013, 9, 30))
    ''
    """
    if issue_date is not None:
        if issue_date >= since:
            return ""
        return (
            f"Pas d'indemnité forfaitaire : la facture du {fr_date(issue_date)} est antérieure "
            f"au {fr_date(since)} ({basis})."
        )
    if due_date < since:
        return (
            f"Pas d'indemnité forfaitaire : l'échéance du {fr_date(due_date)} est antérieure au "
            f"{fr_date(since)}, le délai de paiement a donc commencé avant ({basis})."
        )
    if due_date < add_months(since, INDEMNITY_PROOF_MONTHS):
        return (
            "Indemnité forfaitaire non réclamée : sans la date de la facture, l'échéance du "
            f"{fr_date(due_date)} ne prouve pas que le délai de paiement a commencé à compter du "
            f"{fr_date(since)} ({basis}). Indiquez la date de la facture."
        )
    return ""


def _with_warnings(computation: Computation, warnings: Sequence[str]) -> Computation:
    return replace(computation, warnings=(*warnings, *computation.warnings))


def _fr_b2b(request: _Request, tables: RateTables) -> _Terms:
    first = request.start + ONE_DAY
    if request.end >= first and first < FR_B2B_FROM:
        raise UnsupportedPeriodError(
            "fr-b2b penalties before 1 January 2009 follow the former L441-6 (ECB + 7 points); "
            "Relance does not compute them. Use a contractual rate and check the figure by hand."
        )
    terms = _Terms(
        spans=[],
        indemnity=INDEMNITY_EUR,
        indemnity_basis="Indemnité forfaitaire pour frais de recouvrement, par facture payée en "
        "retard (C. com. L441-10 II et D441-5)",
        indemnity_from=FR_B2B_INDEMNITY_FROM,
        indemnity_from_basis=FR_B2B_INDEMNITY_FROM_BASIS,
    )
    for span_first, span_last in _half_years(first, request.end):
        semester = half_year_start(span_first)
        label = half_year_label(span_first)
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
                "Taux contractuel des conditions de paiement (C. com. L441-10 II)",
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


def _legal_rate_table(request: _Request, tables: RateTables) -> tuple[RateTable, str]:
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


def _fr_civil(request: _Request, tables: RateTables) -> _Terms:
    table, category = _legal_rate_table(request, tables)
    return _Terms(
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


def _fr_judgment(request: _Request, tables: RateTables) -> _Terms:
    table, category = _legal_rate_table(request, tables)
    terms = _Terms(spans=[])
    if request.signified is None:
        majoration = request.end + ONE_DAY  # never within the computation
        terms.warnings.append(
            "Date de signification inconnue : la majoration de 5 points (CMF L313-3) n'est pas "
            "appliquée."
        )
    else:
        if request.signified < request.start:
            raise InvalidInputError("The judgment cannot be signified before it is pronounced.")
        expiry = add_months(request.signified, 2)
        majoration = expiry + ONE_DAY
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


def _eu_b2b(request: _Request, tables: RateTables) -> _Terms:
    margin = EU_DEFAULT_MARGIN if request.margin is None else request.margin
    terms = _Terms(
        spans=[],
        indemnity=INDEMNITY_EUR,
        indemnity_basis="Montant forfaitaire minimal de 40 EUR pour frais de recouvrement "
        "(directive 2011/7/UE, art. 6)",
        indemnity_from=EU_INDEMNITY_FROM,
        indemnity_from_basis=EU_INDEMNITY_FROM_BASIS,
    )
    for span_first, span_last in _half_years(request.start + ONE_DAY, request.end):
        semester = half_year_start(span_first)
        mro = row_on(tables["ecb_mro"], semester).rate
        terms.spans.append(
            RateSpan(
                span_first,
                span_last,
                mro + margin,
                f"Directive 2011/7/UE, art. 2 : taux BCE (OPR) au {fr_date(semester)} "
                f"({fr_percent(mro)}) + {_fr_points(margin)}",
            )
        )
    return terms


def _uk_b2b(request: _Request, tables: RateTables) -> _Terms:
    first = request.start + ONE_DAY
    # SI 2002/1675: the reference date is the 30 June or 31 December before interest starts.
    reference = date(first.year - 1, 12, 31) if first.month <= 6 else date(first.year, 6, 30)
    terms = _Terms(
        spans=[],
        indemnity=_uk_fixed_sum(request.principal),
        indemnity_currency="GBP",
        indemnity_basis="Fixed sum for the cost of recovering the debt (Late Payment Act 1998, "
        "s. 5A) : 40 / 70 / 100 GBP selon le montant",
    )
    if request.end < first:
        return terms
    bank_rate = row_on(tables["boe_base"], reference).rate
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


_REGIME_FUNCTIONS: dict[Regime, Callable[[_Request, RateTables], _Terms]] = {
    "fr-b2b": _fr_b2b,
    "fr-civil": _fr_civil,
    "fr-judgment": _fr_judgment,
    "eu-b2b": _eu_b2b,
    "uk-b2b": _uk_b2b,
}


def _half_years(first: date, last: date) -> list[tuple[date, date]]:
    """``[first, last]`` cut at every 1 January and 1 July."""
    pieces: list[tuple[date, date]] = []
    day = first
    while day <= last:
        piece_last = min(half_year_end(day), last)
        pieces.append((day, piece_last))
        day = piece_last + ONE_DAY
    return pieces


def _check_amount(what: str, amount: Decimal) -> None:
    # Money is never a float: a float here is a caller's bug that would silently lose cents.
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInputError(f"The {what} must be a positive Decimal amount, not {amount!r}.")


def _fr_points(points: Decimal) -> str:
    return f"{format(points.normalize(), 'f').replace('.', ',')} points"
