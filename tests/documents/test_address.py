"""The envelope window's address block: La Poste's 6 × 38 limits, never truncated."""

from __future__ import annotations

import pytest

from relance.documents.address import MAX_CHARS, AddressError, address_block


def test_the_last_line_is_the_postcode_and_city_in_capitals_without_accents():
    block = address_block("Mme Sophie Lefèvre", ["3 place de l'Église"], postcode="42000",
                          city="Saint-Étienne")
    assert block == ["Mme Sophie Lefèvre", "3 place de l'Église", "42000 SAINT ETIENNE"]


def test_an_address_abroad_ends_with_the_country():
    block = address_block("Van Dam BV", ["Keizersgracht 12"], postcode="1015 CX",
                          city="Amsterdam", country="NL")
    assert block[-1] == "PAYS-BAS"


def test_a_long_street_line_is_abbreviated_the_la_poste_way():
    block = address_block("SARL Test", ["128 boulevard du Maréchal de Lattre de Tassigny"],
                          postcode="69003", city="Lyon")
    assert block[1] == "128 BD DU MAL DE LATTRE DE TASSIGNY"
    assert all(len(line) <= MAX_CHARS for line in block)


def test_a_line_that_cannot_fit_is_refused_not_truncated():
    with pytest.raises(AddressError, match="Line 1"):
        address_block("Société Coopérative Ouvrière de Production des Artisans Réunis",
                      [], postcode="75001", city="Paris")


def test_more_than_six_lines_are_refused():
    with pytest.raises(AddressError, match="8 lines"):
        address_block("A", ["b", "c", "d", "e"], postcode="75001", city="Paris", country="BE",
                      attention="Service comptable")


def test_an_address_without_postcode_is_refused():
    with pytest.raises(AddressError, match="postcode"):
        address_block("A", ["1 rue X"], postcode="", city="Paris")
