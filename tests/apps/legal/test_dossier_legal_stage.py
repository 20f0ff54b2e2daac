"""A dossier built for a route can move the case to the legal stage on that route, under the
dossier's reference, in one step (issue 17); the ``filed`` date then cites the dossier's SHA-256.
A refusal of either leaves nothing behind."""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from relance.apps.audit.documents import document_store
from relance.apps.audit.models import Event
from relance.apps.collection.legal_stage import legal_date_record
from relance.apps.collection.models import Action, Case, LegalStage, Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.legal.dossier import dossier_build
from relance.cli import main
from relance.domain.errors import InvalidInputError
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
DUE = date(2026, 1, 5)
SENT = date(2026, 1, 26)
AS_OF = date(2026, 4, 30)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def owing(creditor, account):
    """A business debtor whose mise en demeure was received: every court route is open."""
    d = DebtorFactory(creditor=creditor, account=account, kind="business", city="Tours", postal_code="37000",
                      address="3 rue Nationale", name=f"{account} SARL")
    InvoiceFactory(debtor=d, creditor=creditor, number=f"FA-{account}", issue_date=date(2025, 12, 5),
                   due_date=DUE, total_amount=Decimal("2400.00"))
    scenarios_load_defaults()
    case = Case.objects.create(creditor=creditor, debtor=d, scenario=Scenario.objects.first(), opened_on=DUE)
    name, digest = document_store(b"%PDF-1.4 mise en demeure " + account.encode())
    Action.objects.create(
        creditor=creditor, debtor=d, case=case, step_key="formal_notice", channel="registered_letter",
        template="formal_notice", planned_date=SENT, state="sent", idempotency_key=f"notice-{account}",
        sent_at=timezone.make_aware(datetime.combine(SENT, time(12))), document=name, sha256=digest,
        tracking_number="1A123", received_date=SENT + timedelta(days=2), subject="Mise en demeure de payer",
    )
    return d


def test_the_cli_builds_the_dossier_and_enters_the_legal_stage_whose_filing_cites_it(
    creditor, capsys, tmp_path
):
    debtor = owing(creditor, "411LEG")
    out = tmp_path / "d.zip"
    code = main(["dossier", "build", "--debtor", "411LEG", "--route", "injonction", "--as-of",
                 AS_OF.isoformat(), "--out", str(out), "--enter-legal-stage", "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    result = json.loads(captured.out)
    stage = LegalStage.objects.get(case__debtor=debtor)
    assert (stage.route, stage.reference, stage.entered_on) == ("injonction", result["reference"], AS_OF)
    assert stage.case.status == "legal"
    assert result["legal_stage"] == {"route": "injonction", "reference": stage.reference,
                                     "entered_on": AS_OF.isoformat()}
    built = Event.objects.get(kind="legal.dossier_built")
    assert built.payload["sha256"] == result["sha256"]
    entered = Event.objects.get(kind="legal.stage_entered")
    assert entered.payload["reference"] == built.payload["reference"]

    filed_on = AS_OF + timedelta(days=3)
    legal_date_record(creditor=creditor, account="411LEG", key="filed", day=filed_on, as_of=filed_on)
    recorded = Event.objects.get(kind="legal.date_recorded")
    assert recorded.payload["dossier_sha256"] == result["sha256"]
    assert recorded.payload["dossier_document"] == result["document"]


def test_without_the_option_the_dossier_leaves_the_case_where_it_was(creditor):
    debtor = owing(creditor, "411AMI")
    result = dossier_build(creditor=creditor, account="411AMI", route="psrpc", as_of=AS_OF)
    assert result.stage is None
    assert result.as_dict()["legal_stage"] is None
    assert not LegalStage.objects.exists()
    assert Case.objects.get(debtor=debtor).status != "legal"


def test_a_case_that_may_not_enter_the_legal_stage_gets_no_dossier_recorded_either(creditor):
    owing(creditor, "411TWO")
    first = dossier_build(creditor=creditor, account="411TWO", route="psrpc", as_of=AS_OF, enter_legal_stage=True)
    assert first.stage is not None
    with pytest.raises(InvalidInputError, match="already in the legal stage"):
        dossier_build(creditor=creditor, account="411TWO", route="injonction", as_of=AS_OF,
                      enter_legal_stage=True)
    assert Event.objects.filter(kind="legal.dossier_built").count() == 1
    assert list(LegalStage.objects.values_list("route", flat=True)) == ["psrpc"]


def test_a_filing_cites_no_dossier_when_none_was_built_for_the_stage(creditor):
    from relance.apps.collection.legal_stage import case_legal

    owing(creditor, "411OWN")
    dossier_build(creditor=creditor, account="411OWN", route="psrpc", as_of=AS_OF)
    case_legal(creditor=creditor, account="411OWN", route="lawyer", as_of=AS_OF, reference="AV-77")
    legal_date_record(creditor=creditor, account="411OWN", key="filed", day=AS_OF, as_of=AS_OF)
    recorded = Event.objects.get(kind="legal.date_recorded")
    assert "dossier_sha256" not in recorded.payload
