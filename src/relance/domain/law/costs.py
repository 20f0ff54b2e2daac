"""Recovery costs above the flat indemnity, on proof: which regime allows them, and how much.

Under C. com. L441-10 II, "lorsque les frais de recouvrement exposés sont supérieurs au montant
de cette indemnité forfaitaire, le créancier peut demander une indemnisation complémentaire,
sur justification" (legal-fr.md §1.1, §7: a separate, documented head of claim, never
automatic). The directive 2011/7/UE (art. 6 (3)) and the UK Late Payment Act 1998 (s. 5A (2A))
say the same of their fixed sums. The complement is what the justified costs exceed the flat
indemnities already claimed by: never the costs on top of them.

No other regime allows it here: a consumer never bears the costs of recovery without an
enforceable title (CPCE L111-8), nor does a debtor of a private individual (civil interest
only); for a public buyer Relance claims only the commande publique's interest and 40 €.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from relance.domain.money import ZERO, round_cents

# regime → the basis of the complement above its flat indemnity, French and English.
COMPLEMENT_BASIS: dict[str, tuple[str, str]] = {
    "fr-b2b": ("C. com. L441-10 II", "French Commercial Code, art. L441-10 II"),
    "eu-b2b": ("directive 2011/7/UE, art. 6 (3)", "Directive 2011/7/EU, art. 6(3)"),
    "uk-b2b": ("Late Payment Act 1998, s. 5A (2A)", "Late Payment Act 1998, s. 5A(2A)"),
}


@dataclass(frozen=True, slots=True)
class Complement:
    """The justified costs, the flat indemnities they are set against, and what remains due."""

    costs: Decimal
    indemnities: Decimal
    amount: Decimal
    basis: str


def allows_complement(regime: str | None) -> bool:
    """Whether justified recovery costs above the flat indemnity may be claimed under ``regime``.

    >>> allows_complement("fr-b2b"), allows_complement("fr-civil"), allows_complement(None)
    (True, False, False)
    """
    return (regime or "") in COMPLEMENT_BASIS


def complement(
    *, regime: str | None, costs: Decimal, indemnities: Decimal, lang: str = "fr"
) -> Complement | None:
    """The complementary compensation: the justified ``costs`` beyond the flat ``indemnities``;
    ``None`` when the regime allows none or the costs do not exceed the indemnities.

    >>> complement(regime="fr-b2b", costs=Decimal("350.00"), indemnities=Decimal("80.00"))
    Complement(costs=Decimal('350.00'), indemnities=Decimal('80.00'), amount=Decimal('270.00'), basis='C. com. L441-10 II')
    >>> complement(regime="fr-b2b", costs=Decimal("30.00"), indemnities=Decimal("40.00")) is None
    True
    >>> complement(regime="fr-civil", costs=Decimal("350.00"), indemnities=ZERO) is None
    True
    """
    if not allows_complement(regime):
        return None
    amount = round_cents(costs - indemnities)
    if amount <= ZERO:
        return None
    french, english = COMPLEMENT_BASIS[regime or ""]
    return Complement(costs, indemnities, amount, french if lang == "fr" else english)
