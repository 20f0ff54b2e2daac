"""The worklist says, in French, what keeps a document from being approved, before the click;
and approving it anyway is refused in French, in place (htmx) or on the page."""

from __future__ import annotations

import pytest

from relance.apps.ledger.models import Debtor
from tests.apps.workspace.test_desk import desk_for, record_missing_rates
from tests.apps.workspace.test_wording import page_text

pytestmark = pytest.mark.django_db

ADDRESS = (
    "L’adresse postale du débiteur est incomplète : un courrier demande une rue, un code postal "
    "et une ville."
)
SIREN = "Le débiteur est une entreprise : son SIREN doit figurer dans la lettre."
BLOCKED = "Ce document ne peut pas être approuvé : il ne pourrait pas partir en l’état."


@pytest.fixture
def blocked(creditor_a, today):
    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)
    Debtor.objects.filter(pk=late.pk).update(siren="", address="", postal_code="", city="")
    return late, notice


def test_the_approval_queue_says_what_is_missing_before_the_click(collector_a, blocked):
    late, notice = blocked
    text = page_text(collector_a.get("/worklist/"))
    card = text[text.index(f'id="action-{notice.pk}"') :]
    card = card[: card.index("</tbody>")]
    assert BLOCKED in card
    assert ADDRESS in card
    assert SIREN in card
    assert "disabled" in card  # no approve button to press
    assert f"/worklist/actions/{notice.pk}/approve/" not in card
    # Fixed, the card offers the approval again.
    Debtor.objects.filter(pk=late.pk).update(
        siren="732829320", address="3 rue Pasteur", postal_code="69007", city="Lyon"
    )
    text = page_text(collector_a.get("/worklist/"))
    card = text[text.index(f'id="action-{notice.pk}"') :]
    card = card[: card.index("</tbody>")]
    assert BLOCKED not in card
    assert f"/worklist/actions/{notice.pk}/approve/" in card


def test_approving_anyway_is_refused_in_french(collector_a, blocked):
    _, notice = blocked
    url = f"/worklist/actions/{notice.pk}/approve/"
    fragment = page_text(collector_a.post(url, HTTP_HX_REQUEST="true"))
    assert BLOCKED in fragment
    assert ADDRESS in fragment
    assert SIREN in fragment
    page = page_text(collector_a.post(url, {"next": "/worklist/"}, follow=True))
    assert "approbation impossible, le document ne pourrait pas partir" in page
    assert SIREN in page
    assert "cannot be approved" not in page
    notice.refresh_from_db()
    assert notice.state == "planned"
