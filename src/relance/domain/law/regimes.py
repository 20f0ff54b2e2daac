"""The late-payment regimes: ``compute_interest`` and ``penalties_on_invoice``.

A regime (``regime_rules``) says which rate applies on which day and why (``RateSpan``), and
which flat indemnity is due; ``accrue`` does the arithmetic, the same for all. ``compute_interest`` is
what ``relance interest`` calls; ``penalties_on_invoice`` is what letters, dossiers and the
debtor page call ("penalties on this invoice as of this date").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal

from relance.domain.errors import InvalidInputError
from relance.domain.law.accrual import DayCount, accrue
from relance.domain.law.computation import Computation
from relance.domain.law.dates import add_months
from relance.domain.law.explain import fr_date
from relance.domain.law.public import fr_public
from relance.domain.law.rates import RateTables, load_tables
from relance.domain.law.regime_rules import (
    FLOOR_FACTOR,
    INDEMNITY_PROOF_MONTHS,
    CreditorKind,
    Regime,
    RegimeRequest,
    RegimeTerms,
    UnsupportedPeriodError,
    eu_b2b,
    fr_b2b,
    fr_civil,
    fr_judgment,
    uk_b2b,
)
from relance.domain.money import ZERO

__all__ = [
    "CREDITOR_KINDS",
    "REGIMES",
    "CreditorKind",
    "Regime",
    "UnsupportedPeriodError",
    "compute_interest",
    "penalties_on_invoice",
]

REGIMES: tuple[Regime, ...] = (
    "fr-b2b",
    "fr-public",
    "fr-civil",
    "fr-judgment",
    "eu-b2b",
    "uk-b2b",
)
CREDITOR_KINDS: tuple[CreditorKind, ...] = ("professional", "individual")

REGIME_BASIS: dict[Regime, str] = {
    "fr-b2b": "Pénalités de retard entre professionnels, exigibles sans rappel le jour suivant "
    "l'échéance (C. com. L441-10 II) ; indemnité forfaitaire pour frais de recouvrement (D441-5)",
    "fr-public": "Intérêts moratoires de la commande publique, dus de plein droit sans demande : "
    "taux BCE au premier jour du semestre où ils ont commencé à courir + 8 points, fixe pour "
    "tout le retard (CCP L2192-13 et R2192-31) ; indemnité forfaitaire de 40 EUR (D2192-35)",
    "fr-civil": "Intérêts moratoires au taux légal à compter de la mise en demeure "
    "(C. civ. 1231-6 et 1344-1)",
    "fr-judgment": "Intérêts au taux légal à compter du jugement (C. civ. 1231-7), majorés de "
    "5 points deux mois après la signification (CMF L313-3)",
    "eu-b2b": "Intérêts pour retard de paiement : taux de référence BCE + marge "
    "(directive 2011/7/UE, art. 2) ; indemnité forfaitaire de 40 EUR (art. 6)",
    "uk-b2b": "Late Payment of Commercial Debts (Interest) Act 1998 : Bank Rate de référence "
    "+ 8 points, fixe pour la vie de la dette (SI 2002/1675) ; somme forfaitaire (s. 5A)",
}



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
    contract_multiple: Decimal | None = None,
    terms_reference: str = "",
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
    if (contract_rate is not None or contract_multiple is not None) and regime != "fr-b2b":
        raise InvalidInputError("A contractual rate (--contract-rate) applies only to fr-b2b.")
    if contract_rate is not None and contract_multiple is not None:
        raise InvalidInputError(
            "Give the contractual rate as a rate or as a multiple of the taux légal, not both."
        )
    if contract_multiple is not None and contract_multiple < FLOOR_FACTOR:
        raise InvalidInputError(
            f"A contractual rate of {contract_multiple} × the taux légal is below the floor of "
            "3 × the taux légal (C. com. L441-10 II): it cannot be claimed."
        )
    if margin is not None and regime != "eu-b2b":
        raise InvalidInputError("A margin (--margin) applies only to eu-b2b.")
    if signified is not None and regime != "fr-judgment":
        raise InvalidInputError("A signification date (--signified) applies only to fr-judgment.")

    request = RegimeRequest(
        regime=regime,
        principal=principal,
        start=start,
        end=end,
        currency=currency or ("GBP" if regime == "uk-b2b" else "EUR"),
        creditor_kind=creditor_kind,
        contract_rate=contract_rate,
        signified=signified,
        margin=margin,
        issue_date=issue_date,
        contract_multiple=contract_multiple,
        terms_reference=terms_reference.strip(),
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
    contract_multiple: Decimal | None = None,
    terms_reference: str = "",
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
        contract_multiple=contract_multiple,
        terms_reference=terms_reference,
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


_REGIME_FUNCTIONS: dict[Regime, Callable[[RegimeRequest, RateTables], RegimeTerms]] = {
    "fr-b2b": fr_b2b,
    "fr-public": fr_public,
    "fr-civil": fr_civil,
    "fr-judgment": fr_judgment,
    "eu-b2b": eu_b2b,
    "uk-b2b": uk_b2b,
}


def _check_amount(what: str, amount: Decimal) -> None:
    # Money is never a float: a float here is a caller's bug that would silently lose cents.
    if not isinstance(amount, Decimal) or not amount.is_finite() or amount <= 0:
        raise InvalidInputError(f"The {what} must be a positive Decimal amount, not {amount!r}.")
