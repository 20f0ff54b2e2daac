"""A computation explained in French, line by line with its legal basis.

This is what ``relance interest`` prints without ``--json`` and what a dossier can quote: a
creditor must be able to justify every euro claimed (CPC 1407: "le décompte des différents
éléments de la créance ainsi que le fondement de celle-ci").
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from relance.domain.law.computation import SIX_PLACES, Computation, percent
from relance.domain.money import round_cents


def explain(computation: Computation) -> str:
    """The computation as a French table, each period with its legal basis.

    >>> from relance.domain.law.regimes import compute_interest
    >>> text = explain(compute_interest(regime="fr-b2b", principal=Decimal("10000.00"),
    ...                                 start=date(2025, 3, 31), end=date(2025, 4, 30)))
    >>> print(text.splitlines()[4])
    01/04/2025 → 30/04/2025     30   13,15 %     10 000,00     108,082192  C. com. L441-10 II : taux BCE (OPR) en vigueur au 01/01/2025 (3,15 %) + 10 points
    >>> print(text.splitlines()[-1])
    Montant dû au 30/04/2025 : 10 148,08 EUR
    """
    c = computation
    currency = c.currency
    count = (
        "365 jours par an, même les années bissextiles"
        if c.day_count == "365"
        else "année réelle (366 jours pour les jours des années bissextiles)"
    )
    lines = [
        f"Régime {c.regime} — {c.basis}",
        f"Principal : {money(c.principal)} {currency} ; jours comptés du {fr_date(c.start)} "
        f"(exclu) au {fr_date(c.end)} (inclus) ; base {count}.",
        "",
    ]
    if c.periods:
        lines.append(
            f"{'Période':<23} {'Jours':>6} {'Taux':>9} {'Base':>13} {'Intérêts':>14}  Fondement"
        )
        for period in c.periods:
            interest = period.interest.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)
            lines.append(
                f"{fr_date(period.start)} → {fr_date(period.end)} {period.days:>6} "
                f"{fr_percent(period.rate):>9} {money(period.base):>13} "
                f"{_french_number(interest):>14}  {period.basis}"
                + (f" (base {period.denominator} jours)" if period.denominator != 365 else "")
            )
    else:
        lines.append("Aucun intérêt sur la période.")
    if c.payments:
        lines += ["", "Paiements imputés d'abord sur les intérêts (C. civ. 1343-1) :"]
        lines += [
            f"  {fr_date(item.date)}  {money(item.amount)} {currency} : "
            f"{money(item.to_interest)} aux intérêts, {money(item.to_principal)} au principal"
            + (f", {money(item.unapplied)} en trop-perçu" if item.unapplied else "")
            for item in c.payments
        ]
    if c.capitalisations:
        lines += ["", "Capitalisation annuelle des intérêts échus (C. civ. 1343-2) :"]
        lines += [
            f"  {fr_date(item.date)}  {money(item.amount)} {currency} ajoutés à la base"
            for item in c.capitalisations
        ]
    lines += [
        "",
        "Intérêts (périodes non arrondies ; arrondi au centime, demi-centime au-dessus, à "
        f"chaque imputation, capitalisation et au total) : {money(c.interest)} {currency}",
    ]
    if c.indemnity:
        lines.append(
            f"Indemnité forfaitaire : {money(c.indemnity)} {currency} — {c.indemnity_basis}"
        )
    lines += [
        f"Total intérêts et indemnité : {money(c.penalties_total)} {currency}",
        f"Principal restant dû : {money(c.outstanding_principal)} {currency}",
        f"Intérêts restant dus : {money(c.outstanding_interest)} {currency}",
    ]
    if c.warnings:
        lines += ["", "Avertissements :"] + [f"  - {warning}" for warning in c.warnings]
        lines.append("")
    lines.append(f"Montant dû au {fr_date(c.end)} : {money(c.amount_due)} {currency}")
    return "\n".join(lines)


def money(amount: Decimal) -> str:
    """An amount written the French way, to the cent.

    >>> money(Decimal("12345.6")), money(Decimal("-40"))
    ('12 345,60', '-40,00')
    """
    return _french_number(round_cents(amount))


def fr_date(day: date) -> str:
    """``dd/mm/yyyy``.

    >>> fr_date(date(2025, 7, 1))
    '01/07/2025'
    """
    return day.strftime("%d/%m/%Y")


def fr_percent(rate: Decimal) -> str:
    """A rate the French way.

    >>> fr_percent(Decimal("13.15"))
    '13,15 %'
    """
    return f"{percent(rate).replace('.', ',')} %"


def _french_number(value: Decimal) -> str:
    whole, _, fraction = f"{value:,f}".partition(".")
    return whole.replace(",", " ") + ("," + fraction if fraction else "")
