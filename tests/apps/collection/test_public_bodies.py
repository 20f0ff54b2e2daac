"""The shipped "Public bodies" scenario: the default for public debtors (issue 16).

A commune (in French) and a public school answering in English owe an invoice 20 days late on
the first morning. Without any assignment they follow "Public bodies", not "B2B standard":
courteous reminders, a call, a reminder letter, then the demand for payment of the moratory
interest by registered letter, which passes the mise en demeure checker under ``fr-public``
(CCP L2192-13, R2192-31, D2192-35; the référé-provision before the tribunal administratif,
never the injonction de payer nor L441-10), and the escalation is a task for that référé.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import date, timedelta
from decimal import Decimal

import pytest

from relance.apps.collection.actions import actions_approve
from relance.apps.collection.contexts import action_request, letter_contexts
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.letters import letter_deliver
from relance.apps.collection.models import Action, Case, Scenario
from relance.apps.collection.scenarios import scenario_id_for, scenarios_load_defaults
from relance.documents.formal_notice import check_formal_notice
from relance.documents.pdf import render_letter
from tests.factories import CreditorFactory, DebtorFactory, InvoiceFactory

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext is not installed"),
]
START = date(2026, 1, 5)


def pdf_text(data: bytes) -> str:
    raw = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout
    return " ".join(raw.decode().replace("\u202f", " ").replace("\xa0", " ").split())


@pytest.fixture
def creditor(db, outbox, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return CreditorFactory(
        name="Atelier Durand", siren="552100554", address="12 rue des Tanneurs", postal_code="69002",
        city="Lyon", iban="FR7630006000011234567890189", bic="AGRIFRPP", email="compta@durand.example",
        signature="Marie Durand, gérante",
    )


def public_debtor(creditor, account, name, lang):
    debtor = DebtorFactory(
        creditor=creditor, account=account, name=name, kind="public", siren="217800885",
        address="Place de la Mairie", postal_code="69500", city="Bron", language=lang,
        email=f"{account}@example.org", phone="04 72 00 00 00",
    )
    InvoiceFactory(debtor=debtor, creditor=creditor, number=f"FA-{account}", issue_date=date(2025, 11, 16),
                   due_date=START - timedelta(days=20), total_amount=Decimal("1200.00"))
    return debtor


def test_a_business_scenario_listing_public_still_yields_to_the_public_default(creditor):
    scenarios_load_defaults()
    b2b = Scenario.objects.get(name="B2B standard")
    b2b.debtor_kinds = ["business", "public"]  # as installs before "Public bodies" had it
    b2b.save()
    town = public_debtor(creditor, "411BRON", "Commune de Bron", "fr")
    company = DebtorFactory(creditor=creditor, kind="business")
    assert scenario_id_for(debtor=town, case=None) == Scenario.objects.get(name="Public bodies").pk
    assert scenario_id_for(debtor=company, case=None) == b2b.pk


def test_public_debtors_follow_public_bodies_to_the_referé_provision(creditor):
    town = public_debtor(creditor, "411BRON", "Commune de Bron", "fr")
    school = public_debtor(creditor, "411LYC", "Lycée Ampère", "en")
    day = START
    while day <= START + timedelta(days=100):
        collection_run(creditor=creditor, as_of=day)
        actions_approve(ids=None, creditor=creditor, actor="user:marie")
        for call in Action.objects.filter(channel="call", state="planned", planned_date__lte=day):
            Action.objects.filter(pk=call.pk).update(state="sent", outcome={"outcome": "no_answer"})
        for letter in Action.objects.filter(channel__in=("letter", "registered_letter"), state="approved"):
            Action.objects.filter(pk=letter.pk).update(state="sent")
            if letter.channel == "registered_letter":
                letter_deliver(action_id=letter.pk, tracking=f"1A{letter.pk:011d}", received=day)
        day += timedelta(days=5)

    for debtor, lang in ((town, "fr"), (school, "en")):
        case = Case.objects.get(debtor=debtor)
        assert case.scenario.name == "Public bodies"
        keys = list(Action.objects.filter(case=case).exclude(state="skipped")
                    .exclude(step_key="no_acknowledgement").order_by("id").values_list("step_key", flat=True))
        assert keys == ["reminder", "invoice_again", "call", "reminder_letter", "formal_notice", "escalation"]
        notice = Action.objects.get(case=case, step_key="formal_notice")
        assert notice.channel == "registered_letter"
        request = action_request(notice, debtor=debtor, case=case)
        (built,) = letter_contexts([request], as_of=notice.planned_date)
        context = built.context
        assert context.penalties.regime == "fr-public"
        assert check_formal_notice(context) == []
        text = pdf_text(render_letter(context, "formal_notice"))
        for needle in ("L2192-13", "R2192-31", "D2192-35", "référé-provision", "R541-1",
                       "tribunal administratif" if lang == "fr" else "administrative court",
                       "MISE EN DEMEURE" if lang == "fr" else "FORMAL NOTICE"):
            assert needle in text, (lang, needle)
        for wrong in ("L441-10", "D441-5", "injonction de payer", "order for payment"):
            assert wrong not in text, (lang, wrong)
        escalation = Action.objects.get(case=case, step_key="escalation")
        assert escalation.channel == "task"
        request = action_request(escalation, debtor=debtor, case=case)
        (built,) = letter_contexts([request], as_of=escalation.planned_date)
        from relance.documents.templates import render_step

        said = render_step(built.context, "escalation").text
        assert "référé-provision" in said
        assert "injonction de payer" not in said
