"""Rates in the workspace, in Chromium (issue #16): the banner on every page while a table lacks
the current half-year, its link to the form, the rate typed the French way, then the table
saying it the French way with the day it took effect, and the banner without that table."""

from __future__ import annotations

from datetime import date

import pytest
from django.contrib.auth import get_user_model

from relance.apps.legal.models import RateOverride
from relance.apps.workspace.templatetags import rates as banner
from tests.factories import CreditorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-Battery-9"
FAR = date(2031, 3, 15)  # past every shipped table: each lacks 2031 H1


@pytest.fixture
def root(transactional_db, monkeypatch):
    monkeypatch.setattr(banner, "today", lambda: FAR)
    CreditorFactory(name="Atelier Durand")
    return get_user_model().objects.create_superuser("root", "root@example.org", PASSWORD)


def test_the_banner_leads_to_the_form_and_goes_once_the_rate_is_recorded(
    page, live_server, root, artifacts
):
    base = live_server.url
    page.goto(f"{base}/login/")
    page.get_by_label("Nom d’utilisateur").fill("root")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_url(f"{base}/")

    for link in ("À faire", "Débiteurs", "Tableau de bord"):
        if page.get_by_role("link", name=link).count():
            page.get_by_role("link", name=link).first.click()
        alert = page.locator("#rates-banner")
        assert alert.is_visible()
        assert "Un taux manque pour ce semestre." in alert.inner_text()
    text = page.locator("#rates-banner").inner_text()
    assert "aucun taux en vigueur au 01/01/2031" in text
    page.screenshot(path=str(artifacts / "rates-banner.png"), full_page=True)

    ecb = page.locator("#rates-banner li", has_text="BCE")
    ecb.get_by_role("link", name="Enregistrer le taux").click()
    page.wait_for_selector("#rate-form")
    assert page.get_by_label("En vigueur depuis").input_value() == "2031-01-01"
    page.get_by_label("Taux (% l’an)").fill("2,15")
    page.get_by_label("Source (où il a été publié)").fill("BCE, communiqué du 11 décembre 2030")
    page.locator("#rate-form").get_by_role("button", name="Enregistrer le taux").click()
    page.wait_for_selector("text=Taux enregistré")

    row = RateOverride.objects.get()
    assert (row.table, str(row.rate), row.from_date) == ("ecb_mro", "2.1500", date(2031, 1, 1))
    rates = page.locator("#rates table").inner_text()
    assert "2,15 %" in rates
    assert "01/01/2031" in rates  # the "since" column
    remaining = page.locator("#rates-banner").inner_text()
    assert "BCE" not in remaining
    assert "Taux légal" in remaining  # the other tables still lack 2031 H1
    page.screenshot(path=str(artifacts / "rates-recorded.png"), full_page=True)
