"""Which late-payment regime applies to an invoice: one chooser for letters, pages and the CLI.

``choose_regime`` decides from the facts the ledger holds: the invoice's currency, the debtor's
kind (business, consumer, public) and country, the creditor's kind (a company, or a private
individual not acting professionally) and country. It answers with a regime and the plain
reason, or with no regime (``None``) and the reason Relance cannot compute one: a letter then
claims no penalty rather than the wrong law.

The rules, first match wins (legal-fr.md §1, §1.5, §4, §9):

1. A creditor outside France: none (Relance models the law for French creditors).
2. A creditor who is a private individual: ``fr-civil`` at the taux légal "particuliers"
   (CMF L313-2; C. civ. 1231-6), for a debtor in France and a debt in euros.
3. A public debtor in France, in euros: ``fr-public`` (CCP L2192-13, R2192-31).
4. A consumer in France, in euros: ``fr-civil`` from the mise en demeure (C. civ. 1231-6,
   1344-1); no 40 EUR (D441-5 binds only professionals). A consumer abroad: none, the law of
   the consumer's country generally governs (Rome I, art. 6).
5. A business in France, in euros: ``fr-b2b`` (C. com. L441-10).
6. A business in the United Kingdom, in pounds: ``uk-b2b`` (Late Payment Act 1998).
7. A business in another euro-area State, in euros: ``eu-b2b`` (directive 2011/7/UE: ECB rate
   + 8 points, the directive's minimum, and 40 EUR).
8. Anything else (another currency, a non-euro or non-EU State): none.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from relance.domain.errors import InvalidInputError
from relance.domain.law.regime_rules import CreditorKind, Regime

DebtorKind = Literal["business", "consumer", "public"]
DEBTOR_KINDS: tuple[DebtorKind, ...] = ("business", "consumer", "public")
# The euro area, whose reference rate is the ECB's (directive 2011/7/UE, art. 2 (7)). Bulgaria
# joined on 1 January 2026; before then its reference rate was the Bulgarian National Bank's,
# and the chooser does not look at dates, so it is left out rather than half right.
EURO_AREA: frozenset[str] = frozenset(
    ["AT", "BE", "CY", "DE", "EE", "ES", "FI", "FR", "GR", "HR", "IE", "IT", "LT", "LU", "LV", "MT", "NL", "PT", "SI", "SK"]
)
_ALIASES = {"UK": "GB", "EL": "GR"}  # what people type, and the EU's own code for Greece


@dataclass(frozen=True, slots=True)
class RegimeChoice:
    """The regime for a debtor and creditor pair, or ``None``, with the reason in French."""

    regime: Regime | None
    creditor_kind: CreditorKind
    reason: str

    def as_json(self) -> dict[str, str | None]:
        return {"regime": self.regime, "creditor_kind": self.creditor_kind, "reason": self.reason}


def _country(option: str, text: str) -> str:
    code = text.strip().upper()
    if len(code) != 2 or not code.isalpha():
        raise InvalidInputError(f"{option} must be a two-letter country code (FR, GB…), not {text!r}.")
    return _ALIASES.get(code, code)


def choose_regime(
    *,
    currency: str,
    debtor_kind: str,
    debtor_country: str = "FR",
    creditor_kind: str = "professional",
    creditor_country: str = "FR",
) -> RegimeChoice:
    """The regime the law gives this pair, or none with the reason (see the module's rules).

    >>> choose_regime(currency="EUR", debtor_kind="business").regime
    'fr-b2b'
    >>> choose_regime(currency="EUR", debtor_kind="public").regime
    'fr-public'
    >>> choose_regime(currency="GBP", debtor_kind="business", debtor_country="UK").regime
    'uk-b2b'
    >>> no = choose_regime(currency="GBP", debtor_kind="business", debtor_country="FR")
    >>> no.regime, no.reason[:44]
    (None, 'Facture en GBP à un débiteur établi en FR : ')
    """
    if debtor_kind not in DEBTOR_KINDS:
        raise InvalidInputError(
            f"The debtor kind must be one of {', '.join(DEBTOR_KINDS)}, not {debtor_kind!r}."
        )
    if creditor_kind not in ("professional", "individual"):
        raise InvalidInputError(
            f"The creditor kind must be professional or individual, not {creditor_kind!r}."
        )
    kind: CreditorKind = "individual" if creditor_kind == "individual" else "professional"
    money = currency.strip().upper()
    if len(money) != 3 or not money.isalpha():
        raise InvalidInputError(f"The currency must be an ISO 4217 code (EUR, GBP…), not {currency!r}.")
    debtor = _country("The debtor's country", debtor_country)
    creditor = _country("The creditor's country", creditor_country)

    def none(reason: str) -> RegimeChoice:
        return RegimeChoice(None, kind, reason + " Aucune pénalité n'est réclamée.")

    if creditor != "FR":
        return none(
            f"Créancier établi en {creditor} : Relance ne connaît que le droit applicable aux "
            "créanciers établis en France."
        )
    french_euros = debtor == "FR" and money == "EUR"
    if kind == "individual":
        if french_euros:
            return RegimeChoice(
                "fr-civil",
                kind,
                "Créancier particulier (personne physique n'agissant pas pour des besoins "
                "professionnels) : intérêts au taux légal « particuliers » à compter de la mise en "
                "demeure (C. civ. 1231-6 ; CMF L313-2), sans indemnité forfaitaire.",
            )
        return none(
            f"Créancier particulier et créance en {money} sur un débiteur établi en {debtor} : "
            "Relance ne calcule les intérêts civils que sur une créance en euros en France."
        )
    if debtor_kind == "public":
        if french_euros:
            return RegimeChoice(
                "fr-public",
                kind,
                "Débiteur public : intérêts moratoires de la commande publique, taux BCE du "
                "semestre où ils ont commencé à courir + 8 points, et 40 EUR par demande de "
                "paiement (CCP L2192-13, R2192-31, D2192-35). L441-10 ne s'applique pas.",
            )
        return none(
            f"Débiteur public établi en {debtor}, créance en {money} : Relance ne calcule que "
            "les intérêts moratoires des acheteurs publics français, en euros."
        )
    if debtor_kind == "consumer":
        if french_euros:
            return RegimeChoice(
                "fr-civil",
                kind,
                "Débiteur consommateur : intérêts au taux légal à compter de la mise en demeure "
                "(C. civ. 1231-6 et 1344-1) ; ni pénalités L441-10 ni indemnité de 40 EUR, "
                "réservées aux professionnels.",
            )
        return none(
            f"Consommateur établi en {debtor}, créance en {money} : la loi du pays du "
            "consommateur régit en principe le contrat (règlement Rome I, art. 6) et Relance "
            "ne la connaît pas."
        )
    if debtor == "FR":
        if money == "EUR":
            return RegimeChoice(
                "fr-b2b",
                kind,
                "Débiteur professionnel établi en France, facture en euros : pénalités de retard "
                "C. com. L441-10 (taux BCE + 10 points par semestre) et indemnité de 40 EUR "
                "(D441-5).",
            )
        return none(
            f"Facture en {money} à un débiteur établi en FR : Relance ne calcule les pénalités "
            "L441-10 que sur une facture en euros."
        )
    if debtor == "GB":
        if money == "GBP":
            return RegimeChoice(
                "uk-b2b",
                kind,
                "Business debtor in the United Kingdom, invoice in pounds: Late Payment of "
                "Commercial Debts (Interest) Act 1998, Bank Rate + 8 points fixed for the life "
                "of the debt, and the s. 5A fixed sum (40 / 70 / 100 GBP). This assumes the "
                "contract is governed by the law of a part of the United Kingdom (s. 12).",
            )
        return none(
            f"Facture en {money} à un débiteur établi au Royaume-Uni : Relance n'applique le "
            "Late Payment Act qu'à une facture en livres sterling."
        )
    if debtor in EURO_AREA:
        if money == "EUR":
            return RegimeChoice(
                "eu-b2b",
                kind,
                f"Débiteur professionnel établi en {debtor} (zone euro), facture en euros : "
                "intérêts de la directive 2011/7/UE au taux BCE + 8 points (le minimum de la "
                "directive) et 40 EUR (art. 6).",
            )
        return none(
            f"Facture en {money} à un débiteur établi en {debtor} : Relance n'applique la "
            "directive 2011/7/UE qu'aux factures en euros."
        )
    return none(
        f"Débiteur établi en {debtor}, hors de France, du Royaume-Uni et de la zone euro : "
        "Relance ne connaît pas le droit applicable."
    )


def several_currencies(currencies: Iterable[str], creditor_kind: str = "professional") -> RegimeChoice:
    """No regime for one letter listing invoices in several currencies: each needs its own.

    >>> several_currencies(["EUR", "GBP"]).reason[:36]
    'Factures en plusieurs devises (EUR, '
    """
    kind: CreditorKind = "individual" if creditor_kind == "individual" else "professional"
    return RegimeChoice(
        None,
        kind,
        f"Factures en plusieurs devises ({', '.join(currencies)}) : Relance ne calcule pas les "
        "pénalités d'une même lettre sous plusieurs régimes. Aucune pénalité n'est réclamée.",
    )
