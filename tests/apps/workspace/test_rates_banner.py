"""Rates in the workspace (issue #16): a banner on every page while a table lacks the current
half-year, the rates written the French way with the day each took effect, and only an install
administrator records a rate, which applies to every creditor, its event on none."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from relance.apps.audit.models import Event
from relance.apps.legal.models import RateOverride
from relance.apps.legal.selectors import rates_missing
from relance.apps.workspace.templatetags import rates as banner

pytestmark = pytest.mark.django_db

FAR = date(2031, 3, 15)  # past every shipped table: each lacks 2031 H1
PAGES = ["workspace:home", "workspace:worklist", "workspace:debtors", "workspace:imports",
         "workspace:scenarios", "workspace:templates", "workspace:settings"]


@pytest.fixture
def far(monkeypatch):
    monkeypatch.setattr(banner, "today", lambda: FAR)
    return FAR


def test_every_table_lacking_the_half_year_is_listed():
    missing = {m["table"]: m for m in rates_missing(as_of=FAR)}
    assert set(missing) == {"ecb_mro", "fr_legal_professional", "fr_legal_individual", "boe_base"}
    assert {m["from"] for m in missing.values()} == {date(2031, 1, 1)}
    assert all(m["known_until"] < date(2031, 1, 1) for m in missing.values())


def test_the_banner_is_on_every_page_and_says_who_records_the_rate(admin_a, far):
    for name in PAGES:
        html = admin_a.get(reverse(name)).content.decode()
        assert 'id="rates-banner"' in html, name
        assert "Un taux manque pour ce semestre." in html
        assert "aucun taux en vigueur au 01/01/2031" in html
        # A creditor's admin is no install administrator: told whom to ask, not given the form.
        assert "Demandez à l’administrateur de l’installation" in html


def test_no_banner_when_every_table_knows_the_half_year(admin_a, monkeypatch):
    monkeypatch.setattr(banner, "today", lambda: date(2020, 3, 2))
    assert not rates_missing(as_of=date(2020, 3, 2))  # the shipped tables cover 2020 H1
    assert 'id="rates-banner"' not in admin_a.get(reverse("workspace:home")).content.decode()


def test_a_creditor_admin_cannot_record_an_install_wide_rate(admin_a, far):
    page = admin_a.post(
        reverse("workspace:settings"),
        {"form": "rate", "table": "ecb_mro", "from_date": "2031-01-01", "rate": "40",
         "source": "moi"},
    )
    assert page.status_code == 403
    assert "Seul un administrateur de l’installation peut enregistrer un taux" in (
        page.content.decode()
    )
    assert not RateOverride.objects.exists()
    assert not Event.objects.filter(kind="legal.rate_added").exists()
    assert 'id="rate-form"' not in admin_a.get(reverse("workspace:settings")).content.decode()


def test_an_install_administrator_records_a_rate_in_french_and_the_banner_shrinks(
    client, creditor_a, far
):
    root = get_user_model().objects.create_superuser("root", "root@example.org", "x" * 16)
    client.force_login(root)
    html = client.get(reverse("workspace:settings")).content.decode()
    assert "?table=ecb_mro&amp;from=2031-01-01#rates" in html  # the banner's link to the form
    page = client.post(
        reverse("workspace:settings"),
        {"form": "rate", "table": "ecb_mro", "from_date": "01/01/2031", "rate": "2,15",
         "source": "BCE, communiqué du 11 décembre 2030"},
    )
    assert page.status_code == 302
    row = RateOverride.objects.get()
    assert (row.table, row.from_date, row.rate) == ("ecb_mro", date(2031, 1, 1), Decimal("2.15"))
    event = Event.objects.get(kind="legal.rate_added")
    assert (event.creditor_id, event.actor) == (None, "user:root")
    html = client.get(reverse("workspace:settings")).content.decode()
    assert "2,15 %" in html
    assert "<td>01/01/2031</td>" in html  # the "since" column
    missing = {m["table"] for m in rates_missing(as_of=FAR)}
    assert "ecb_mro" not in missing
    assert "?table=ecb_mro&amp;" not in html


def test_a_letter_whose_penalties_cannot_be_computed_cannot_be_approved_on_the_web(
    admin_a, creditor_a
):
    from relance.apps.collection.models import Action
    from tests.apps.collection.test_approval_check import notice_for

    _, notice = notice_for(
        creditor_a, siren="732829320", address="3 rue Neuve", postal_code="69001", city="Lyon"
    )
    later = date(2031, 3, 3)  # a half-year no table knows
    Action.objects.filter(pk=notice.pk).update(planned_date=later)
    url = reverse("workspace:action_decide", args=[notice.pk, "approve"])
    card = admin_a.post(url, HTTP_HX_REQUEST="true").content.decode()  # Valider on the worklist
    worklist = admin_a.post(url, HTTP_REFERER=reverse("workspace:worklist"), follow=True)
    notice.refresh_from_db()
    assert notice.state == "planned"
    assert not Event.objects.filter(kind="action.approved").exists()
    for html in (card, worklist.content.decode()):
        assert "Aucun taux connu dans la table ecb_mro pour 2026 H2" in html, html
        assert "(Paramètres, Taux)" in html
        assert "relance rates add" not in html  # no command line on a web page
