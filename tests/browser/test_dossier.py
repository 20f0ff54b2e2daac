"""An admin builds a dossier from the debtor page in Chromium, then writes the claim off (issue 17).

The route asked for first needs a mise en demeure the debtor never received: the page says so and
nothing is recorded; the small-claims procedure needs none, and its ZIP downloads. The write-off
closes the case and hands the accountant the entry; the page then says it was written off.
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.collection.models import Case
from relance.apps.legal.selectors import rates_known_until
from relance.apps.legal.services import rate_add
from relance.apps.workspace.services import user_create
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def debtor(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    # Penalties run to today: the semesters a release may not know yet are recorded as a user would.
    start = date(2026, 7, 1)
    while rates_known_until()["ecb_mro"] < timezone.localdate():
        rate_add(table="ecb_mro", from_date=start, rate=Decimal("2.15"), source="test: rate assumed")
        start = date(start.year + (start.month == 7), 1 if start.month == 7 else 7, 1)
    creditor = CreditorFactory(name="Atelier Durand")
    user_create(username="adele", password=PASSWORD, role="admin", creditors=[creditor])
    d = DebtorFactory(creditor=creditor, account="411ACME", name="Menuiserie Lefèvre SARL",
                      city="Lyon", postal_code="69001", address="5 quai Saint-Vincent")
    today = timezone.localdate()
    InvoiceFactory(debtor=d, creditor=creditor, number="FA-7001", issue_date=today - timedelta(days=70),
                   due_date=today - timedelta(days=40), total_amount=Decimal("1840.00"))
    Case.objects.create(creditor=creditor, debtor=d, scenario_id=_scenario(), opened_on=today)
    return d


def _scenario() -> int:
    from relance.apps.collection.models import Scenario
    from relance.apps.collection.scenarios import scenarios_load_defaults

    scenarios_load_defaults()
    return Scenario.objects.filter(is_default=True).values_list("pk", flat=True).first()


def test_a_dossier_is_built_from_the_debtor_page(page, live_server, debtor, artifacts):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("adele")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")
    page.goto(f"{base}/debtors/{debtor.pk}/")
    section = page.get_by_role("region", name="Quand la voie amiable s’achève")
    section.get_by_label("Voie").select_option("injonction")
    section.get_by_role("button", name="Télécharger le dossier").click()
    page.wait_for_selector(".messages")
    assert "Aucune mise en demeure reçue" in page.locator(".messages").inner_text()
    assert not Event.objects.filter(kind="legal.dossier_built").exists()

    section = page.get_by_role("region", name="Quand la voie amiable s’achève")
    section.get_by_label("Voie").select_option("psrpc")
    with page.expect_download() as caught:
        section.get_by_role("button", name="Télécharger le dossier").click()
    download = caught.value
    assert download.suggested_filename.startswith("dossier-psrpc-411ACME-")
    data = Path(download.path()).read_bytes()
    claim = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("creance.json"))
    assert claim["route"] == "psrpc"
    assert claim["invoices"][0]["number"] == "FA-7001"
    (event,) = Event.objects.filter(kind="legal.dossier_built")
    assert event.payload["route"] == "psrpc"
    page.goto(f"{base}/debtors/{debtor.pk}/")
    assert "Dossier constitué" in page.locator("body").inner_text()  # on the timeline
    page.screenshot(path=str(artifacts / "dossier-debtor-page.png"), full_page=True)
    section = page.get_by_role("region", name="Quand la voie amiable s’achève")

    section.get_by_label("Motif").select_option("too_small")
    with page.expect_download() as caught:
        section.get_by_role("button", name="Passer en perte").click()
    entry = Path(caught.value.path()).read_text(encoding="utf-8")
    assert entry.startswith("JournalCode|")
    assert "654|Pertes sur créances irrécouvrables" in entry
    assert Case.objects.get(debtor=debtor).status == "closed_written_off"
    page.goto(f"{base}/debtors/{debtor.pk}/")
    assert "Passé en perte le" in page.locator("h1").inner_text()
