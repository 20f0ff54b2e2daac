"""The dossier and the write-off through the API: a ZIP or the refusal's reasons, one creditor only."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from relance.apps.collection.models import Case
from relance.apps.ledger.models import Debtor

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def rates(db):
    """The invoices fall due "today": penalties need the semesters' rates up to it, which a
    release may not ship yet; recorded here as a user would (``relance rates add``)."""
    from datetime import date
    from decimal import Decimal

    from relance.apps.legal.selectors import rates_known_until
    from relance.apps.legal.services import rate_add

    if rates_known_until()["ecb_mro"] < date(2027, 12, 31):
        for start in (date(2026, 7, 1), date(2027, 1, 1), date(2027, 7, 1)):
            rate_add(table="ecb_mro", from_date=start, rate=Decimal("2.15"), source="test: rate assumed")


def test_a_dossier_is_built_or_refused_with_its_reasons(collector_a, creditor_a, creditor_b):
    late = Debtor.objects.get(creditor=creditor_a, name="Garage Alpha SARL")
    refused = collector_a.post(f"/api/debtors/{late.pk}/dossier?route=injonction")
    assert refused.status_code == 400, refused.content.decode()
    assert "Aucune mise en demeure reçue" in refused.json()["message"]
    built = collector_a.post(f"/api/debtors/{late.pk}/dossier?route=psrpc")
    assert built.status_code == 200
    assert built["Content-Type"] == "application/zip"
    claim = json.loads(zipfile.ZipFile(io.BytesIO(built.content)).read("creance.json"))
    assert claim["route"] == "psrpc"
    assert claim["debtor"]["account"] == late.account
    # Another creditor's debtor is not found, whatever its id.
    other = Debtor.objects.filter(creditor=creditor_b).first()
    assert collector_a.post(f"/api/debtors/{other.pk}/dossier?route=psrpc").status_code == 404


def test_only_an_admin_writes_a_claim_off(api_as, collector_a, creditor_a):
    late = Debtor.objects.get(creditor=creditor_a, name="Garage Alpha SARL")
    assert collector_a.post(f"/api/debtors/{late.pk}/write-off?reason=insolvency").status_code == 403
    admin = api_as("ada", "admin", creditor_a)
    done = admin.post(f"/api/debtors/{late.pk}/write-off?reason=insolvency&vat_rate=20")
    assert done.status_code == 200, done.content
    assert done.json()["entry"].startswith("JournalCode|")
    assert Case.objects.filter(debtor=late).latest("cycle").status == "closed_written_off"


def test_a_dossier_built_through_the_api_can_place_the_case_in_the_legal_stage(collector_a, creditor_a):
    from relance.apps.collection.models import LegalStage

    late = Debtor.objects.get(creditor=creditor_a, name="Garage Alpha SARL")
    built = collector_a.post(f"/api/debtors/{late.pk}/dossier?route=psrpc&legal_stage=true")
    assert built.status_code == 200, built.content
    claim = json.loads(zipfile.ZipFile(io.BytesIO(built.content)).read("creance.json"))
    stage = LegalStage.objects.get(case__debtor=late)
    assert (stage.route, stage.reference) == ("psrpc", claim["reference"])
    assert Case.objects.get(debtor=late, status="legal")
