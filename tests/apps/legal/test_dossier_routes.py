"""Each route's own rules on the record: a consumer goes to the tribunal judiciaire with civil
interest from the mise en demeure; a public buyer to the tribunal administratif; the figures are
those of ``relance interest`` under the regime the chooser gives."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime, time
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.audit.documents import document_store
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from tests.apps.legal.helpers import cli
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 5)
SENT = date(2026, 1, 26)
RECEIVED = date(2026, 1, 28)
AS_OF = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def owing(creditor, account, kind, *, received: bool):
    d = DebtorFactory(creditor=creditor, account=account, kind=kind, city="Tours", postal_code="37000",
                      address="3 rue Nationale", name=f"{account} {kind}")
    InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}", issue_date=date(2025, 12, 5),
                   due_date=DUE, total_amount=Decimal("2400.00"))
    if received:
        scenarios_load_defaults()
        case = Case.objects.create(creditor=creditor, debtor=d, scenario=Scenario.objects.first(), opened_on=DUE)
        name, digest = document_store(b"%PDF-1.4 mise en demeure " + account.encode())
        Action.objects.create(
            creditor=creditor, debtor=d, case=case, step_key="formal_notice", channel="registered_letter",
            template="formal_notice", planned_date=SENT, state="sent", idempotency_key=f"notice-{account}",
            sent_at=timezone.make_aware(datetime.combine(SENT, time(12))), document=name, sha256=digest,
            tracking_number="1A123", received_date=RECEIVED, subject="Mise en demeure de payer",
        )
    return d


def build(capsys, tmp_path, account, route):
    out = tmp_path / f"{account}-{route}.zip"
    code, _, err = cli(capsys, "dossier", "build", "--debtor", account, "--route", route, "--as-of",
                       AS_OF.isoformat(), "--out", out, "--json")
    return code, (json.loads(zipfile.ZipFile(out).read("creance.json")) if code == 0 else err)


def test_a_consumer_goes_to_the_tribunal_judiciaire_with_interest_from_the_notice(creditor, capsys, tmp_path):
    owing(creditor, "CONSO", "consumer", received=True)
    code, claim = build(capsys, tmp_path, "CONSO", "injonction")
    assert code == 0, claim
    assert (claim["court"]["cerfa"], claim["regime"]) == ("12948", "fr-civil")
    assert claim["court"]["name"] == "Tribunal judiciaire dont relève le domicile du débiteur (Tours)"
    (invoice,) = claim["invoices"]
    code, engine, err = cli(capsys, "interest", "--regime", "fr-civil", "--principal", "2400", "--from",
                            RECEIVED.isoformat(), "--to", AS_OF.isoformat(), "--json")
    assert code == 0, err
    engine = json.loads(engine)
    assert invoice["amount_due"] == engine["amount_due"]
    assert invoice["indemnity"] == "0.00"
    assert Decimal(invoice["interest"]) > 0
    interest = [line for line in claim["lines"] if line["section"] == "interest" and line["start"]]
    assert interest[0]["start"] == "2026-01-29"  # the day after the notice was received
    # The pièce cited as the notice is the stored letter, and its receipt follows it.
    titles = [e["title"] for e in claim["exhibits"]]
    assert titles[0].startswith("Mise en demeure par lettre recommandée avec accusé de réception du 26/01/2026")
    assert titles[1].startswith("Avis de réception de la lettre recommandée n° 1A123, signé le 28/01/2026")
    # A consumer credit goes to the juge des contentieux de la protection, never to the PSRPC.
    code, err = build(capsys, tmp_path, "CONSO", "psrpc")
    assert code == 0
    out = tmp_path / "credit.zip"
    code, _, err = cli(capsys, "dossier", "build", "--debtor", "CONSO", "--route", "psrpc", "--consumer-credit",
                       "--as-of", AS_OF.isoformat(), "--out", out)
    assert code == 1
    assert "Crédit à la consommation" in err


def test_a_public_buyer_is_claimed_before_the_administrative_court(creditor, capsys, tmp_path):
    owing(creditor, "MAIRIE", "public", received=True)
    code, err = build(capsys, tmp_path, "MAIRIE", "injonction")
    assert code == 1
    assert "référé-provision devant le tribunal administratif" in err
    code, claim = build(capsys, tmp_path, "MAIRIE", "refere-provision")
    assert code == 0, claim
    assert (claim["court"], claim["regime"]) == (None, "fr-public")
    code, engine, err = cli(capsys, "interest", "--regime", "fr-public", "--principal", "2400", "--from",
                            DUE.isoformat(), "--to", AS_OF.isoformat(), "--json")
    assert code == 0, err
    assert claim["invoices"][0]["amount_due"] == json.loads(engine)["amount_due"]
    pdf = zipfile.ZipFile(io.BytesIO((tmp_path / "MAIRIE-refere-provision.zip").read_bytes())).read("dossier.pdf")
    assert pdf.startswith(b"%PDF")


def test_without_a_notice_received_only_the_routes_that_need_none_go(creditor, capsys, tmp_path):
    owing(creditor, "SILENCE", "business", received=False)
    for route in ("injonction",):
        code, err = build(capsys, tmp_path, "SILENCE", route)
        assert code == 1
        assert "Aucune mise en demeure reçue" in err
    for route in ("psrpc", "agency", "lawyer"):
        code, claim = build(capsys, tmp_path, "SILENCE", route)
        assert code == 0, claim
        assert claim["route"] == route
