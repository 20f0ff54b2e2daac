"""A letter whose debtor's address cannot be printed says why in French on the approval
preview, while the documents layer (the CLI's letters commands) keeps its English message."""

from __future__ import annotations

import html

import pytest

from relance.documents.address import AddressError, address_block
from tests.apps.workspace.test_desk import desk_for, record_missing_rates

pytestmark = pytest.mark.django_db


def test_an_address_without_postcode_is_explained_in_french(collector_a, creditor_a, today):
    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)
    debtor = notice.debtor
    debtor.postal_code = debtor.city = ""
    debtor.save(update_fields=["postal_code", "city"])

    text = html.unescape(collector_a.get(f"/worklist/actions/{notice.pk}/preview/").content.decode())

    assert f"L’adresse de « {debtor.name} » n’a pas de code postal ou de ville." in text
    assert "has no postcode or city" not in text


def test_the_documents_layer_still_says_it_in_english():
    with pytest.raises(AddressError) as refused:
        address_block("Garage Martin SAS", ["3 rue Pasteur"], postcode="", city="")
    assert str(refused.value) == "The address of 'Garage Martin SAS' has no postcode or city."
    lines = [f"{n} rue de la Gare" for n in range(1, 7)]
    with pytest.raises(AddressError) as too_long:
        address_block("Garage Martin SAS", lines, postcode="69002", city="Lyon")
    assert str(too_long.value) == (
        "The address of 'Garage Martin SAS' takes 8 lines; La Poste allows 6 (NF Z10-011). "
        "Merge the complementary lines."
    )
