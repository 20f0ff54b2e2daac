"""The agency collecting for the creditor, set on the settings page (admins only)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from relance.apps.audit.models import Event
from relance.apps.creditors.models import AgencyMandate

pytestmark = pytest.mark.django_db

AGENCY = {
    "form": "agency", "agency-name": "Recouvre Conseil SAS", "agency-address": "8 quai Saint-Vincent",
    "agency-postal_code": "69001", "agency-city": "Lyon", "agency-activity": "déclaration n° 2025-117",
    "agency-commission_rate": "12,50", "agency-since": "2026-01-01",
}


def test_an_admin_sets_the_agency_and_its_form_shows_it_again(admin_a, creditor_a):
    response = admin_a.post("/settings/", AGENCY, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 302, response.context["agency_form"].errors
    mandate = AgencyMandate.objects.get(creditor=creditor_a)
    assert (mandate.name, mandate.commission_rate) == ("Recouvre Conseil SAS", Decimal("12.50"))
    assert Event.objects.filter(kind="creditor.agency_set", creditor_id=creditor_a.pk).exists()
    form = admin_a.get("/settings/").context["agency_form"]
    assert form.initial["city"] == "Lyon"


def test_a_commission_of_a_hundred_percent_is_refused_in_french(admin_a, creditor_a):
    response = admin_a.post("/settings/", {**AGENCY, "agency-commission_rate": "100"}, HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 400
    [error] = response.context["agency_form"].non_field_errors()
    assert "pourcentage à deux décimales inférieur à 100" in error
    assert not AgencyMandate.objects.exists()


def test_a_collector_cannot_set_the_agency(collector_a):
    assert collector_a.post("/settings/", AGENCY).status_code == 403
    assert not AgencyMandate.objects.exists()
