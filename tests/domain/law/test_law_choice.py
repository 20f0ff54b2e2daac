"""The regime chooser: one table of cases, each with the regime or none and its reason."""

from __future__ import annotations

import pytest

from relance.domain.errors import InvalidInputError
from relance.domain.law import choose_regime

CASES = [
    # currency, debtor kind, debtor country, creditor kind, creditor country → regime, reason
    ("EUR", "business", "FR", "professional", "FR", "fr-b2b", "L441-10"),
    ("eur", "business", "fr", "professional", "fr", "fr-b2b", "D441-5"),
    ("EUR", "public", "FR", "professional", "FR", "fr-public", "R2192-31"),
    ("EUR", "consumer", "FR", "professional", "FR", "fr-civil", "1344-1"),
    ("EUR", "business", "FR", "individual", "FR", "fr-civil", "particuliers"),
    ("EUR", "consumer", "FR", "individual", "FR", "fr-civil", "particuliers"),
    ("EUR", "public", "FR", "individual", "FR", "fr-civil", "particuliers"),
    ("GBP", "business", "GB", "professional", "FR", "uk-b2b", "Late Payment"),
    ("GBP", "business", "UK", "professional", "FR", "uk-b2b", "s. 12"),
    ("EUR", "business", "DE", "professional", "FR", "eu-b2b", "2011/7/UE"),
    ("EUR", "business", "EL", "professional", "FR", "eu-b2b", "GR"),
    ("EUR", "business", "IE", "professional", "FR", "eu-b2b", "zone euro"),
    # pairs the engine cannot compute: none, never the wrong law
    ("GBP", "business", "FR", "professional", "FR", None, "GBP"),
    ("USD", "business", "FR", "professional", "FR", None, "en euros"),
    ("EUR", "business", "GB", "professional", "FR", None, "livres sterling"),
    ("USD", "business", "DE", "professional", "FR", None, "qu'aux factures en euros"),
    ("PLN", "business", "PL", "professional", "FR", None, "PL"),
    ("EUR", "business", "PL", "professional", "FR", None, "hors"),  # EU, not euro area
    ("EUR", "business", "BG", "professional", "FR", None, "hors"),  # euro area only from 2026
    ("USD", "business", "US", "professional", "FR", None, "hors"),
    ("EUR", "business", "CH", "professional", "FR", None, "hors"),
    ("EUR", "public", "BE", "professional", "FR", None, "acheteurs publics français"),
    ("GBP", "public", "FR", "professional", "FR", None, "GBP"),
    ("EUR", "consumer", "BE", "professional", "FR", None, "Rome I"),
    ("GBP", "consumer", "FR", "professional", "FR", None, "GBP"),
    ("GBP", "business", "GB", "individual", "FR", None, "particulier"),
    ("EUR", "business", "FR", "professional", "BE", None, "Créancier établi en BE"),
]


@pytest.mark.parametrize(
    ("currency", "debtor_kind", "debtor_country", "creditor_kind", "creditor_country", "regime",
     "reason"),
    CASES,
)
def test_the_chooser_gives_the_regime_and_says_why(
    currency, debtor_kind, debtor_country, creditor_kind, creditor_country, regime, reason
):
    choice = choose_regime(
        currency=currency,
        debtor_kind=debtor_kind,
        debtor_country=debtor_country,
        creditor_kind=creditor_kind,
        creditor_country=creditor_country,
    )
    assert choice.regime == regime
    assert reason in choice.reason
    if regime is None:
        assert choice.reason.endswith("Aucune pénalité n'est réclamée.")
    assert choice.creditor_kind == creditor_kind


def test_the_choice_as_json():
    choice = choose_regime(currency="EUR", debtor_kind="consumer")
    assert choice.as_json() == {
        "regime": "fr-civil",
        "creditor_kind": "professional",
        "reason": choice.reason,
    }


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"debtor_kind": "company"}, "debtor kind must be one of business, consumer, public"),
        ({"creditor_kind": "company"}, "creditor kind must be professional or individual"),
        ({"currency": "EURO"}, "ISO 4217"),
        ({"debtor_country": "FRA"}, "two-letter country code"),
        ({"creditor_country": "1"}, "two-letter country code"),
    ],
)
def test_bad_facts_are_refused(kwargs, message):
    facts = {"currency": "EUR", "debtor_kind": "business"} | kwargs
    with pytest.raises(InvalidInputError, match=message):
        choose_regime(**facts)


@pytest.mark.parametrize("creditor_kind", ["professional", "individual"])
def test_one_letter_in_several_currencies_gets_no_regime(creditor_kind):
    from relance.domain.law.choice import several_currencies

    choice = several_currencies(["EUR", "GBP"], creditor_kind)
    assert choice.regime is None
    assert choice.creditor_kind == creditor_kind
    assert choice.reason.endswith("Aucune pénalité n'est réclamée.")
