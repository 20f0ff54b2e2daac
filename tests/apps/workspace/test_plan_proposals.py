"""A plan proposed on the portal is a task showing the debtor's message and its dates in French,
accepted (the plan is created and its confirmation planned) or declined (recorded, and the
debtor told in writing), from the worklist or through the API."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import formats, timezone

from relance.apps.audit.models import Event
from relance.apps.collection.models import Action, PaymentPlan
from relance.apps.collection.sendable import documents_check
from tests.apps.portal.test_portal import BASE, link, path_of
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db
MESSAGE = "Trésorerie tendue ce trimestre, je peux payer en trois fois"


@pytest.fixture(autouse=True)
def _portal(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PUBLIC_URL = BASE
    settings.PORTAL_DAYS = 120


@pytest.fixture
def proposal(creditor_a, today):
    debtor = DebtorFactory(creditor=creditor_a, name="Boulangerie Durand",
                           email="compta@durand.example", language="fr")
    InvoiceFactory(debtor=debtor, creditor=creditor_a, total_amount=Decimal("900.00"),
                   issue_date=today - timedelta(days=60), due_date=today - timedelta(days=30))
    first = today + timedelta(days=10)
    response = Client().post(
        path_of(link(debtor, today)) + "plan/",
        {"instalments": "3", "first": first.isoformat(), "message": MESSAGE, "lang": "fr"},
    )
    assert response.status_code == 302
    return Action.objects.get(debtor=debtor, step_key="plan_proposal"), first


def test_the_task_shows_the_debtor_s_message_and_the_date_in_french(collector_a, proposal):
    task, first = proposal
    text = page_text(collector_a.get("/worklist/"))
    item = text[text.index(f'id="proposal-{task.pk}"') :]
    item = item[: item.index("</li>")]
    assert MESSAGE in item
    with timezone.override("Europe/Paris"):
        french = formats.date_format(first, "j F Y")
    assert f"3 échéances à partir du {french}" in item
    assert first.isoformat() not in item
    assert "Accepter l’échéancier" in item
    assert "Refuser l’échéancier" in item


def test_accepting_creates_the_plan_and_plans_its_confirmation(collector_a, proposal):
    task, first = proposal
    response = collector_a.post(f"/worklist/proposals/{task.pk}/accept/", follow=True)
    assert "Échéancier accepté" in page_text(response)
    plan = PaymentPlan.objects.get(debtor=task.debtor)
    assert plan.total_amount == Decimal("900.00")
    assert plan.instalments.first().due_date == first
    confirmation = Action.objects.get(plan=plan, step_key="plan_confirmation")
    assert (confirmation.channel, confirmation.state) == ("email", "planned")
    task.refresh_from_db()
    assert (task.state, task.outcome["outcome"]) == ("sent", "accepted")
    # Answered once: a second answer is refused.
    response = collector_a.post(
        f"/worklist/proposals/{task.pk}/decline/", {"next": "/worklist/"}, follow=True
    )
    assert "a déjà reçu sa réponse" in page_text(response)
    assert PaymentPlan.objects.count() == 1


def test_declining_records_why_and_tells_the_debtor(collector_a, proposal, today):
    task, _ = proposal
    collector_a.post(f"/worklist/proposals/{task.pk}/decline/", {"reason": "trop long"})
    assert not PaymentPlan.objects.exists()
    task.refresh_from_db()
    assert (task.state, task.outcome["outcome"], task.outcome["reason"]) == (
        "sent", "declined", "trop long"
    )
    answer = Action.objects.get(pk=task.outcome["answer"])
    assert (answer.step_key, answer.channel, answer.state) == ("plan_declined", "email", "planned")
    [check] = documents_check([answer], as_of=today)
    assert check.ok, check.problems  # the answer can be written and sent as it is
    assert Event.objects.get(kind="plan.declined").payload["reason"] == "trop long"


def test_a_viewer_cannot_answer_a_proposal(viewer_a, proposal):
    task, _ = proposal
    assert viewer_a.post(f"/worklist/proposals/{task.pk}/accept/").status_code == 403
    assert not PaymentPlan.objects.exists()


def test_the_api_accepts_and_declines_proposals(creditor_a, proposal, today):
    from relance.apps.api_tokens.services import token_create
    from relance.apps.workspace.services import user_create

    task, _ = proposal
    user = user_create(username="api-user", password="Correct-Horse-Battery-9",
                       role="collector", creditors=[creditor_a])
    assert user.pk
    _, token = token_create(username="api-user", name="test")
    api = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    response = api.post(f"/api/plan-proposals/{task.pk}/accept")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["outcome"] == "accepted"
    assert sum(Decimal(i["amount"]) for i in data["instalments"]) == Decimal("900.00")
    assert data["confirmation"] == Action.objects.get(step_key="plan_confirmation").pk
    assert api.post(f"/api/plan-proposals/{task.pk}/decline").status_code in (400, 409)
    assert api.post("/api/plan-proposals/999999/decline").status_code == 404


def test_the_timeline_says_the_proposal_in_french_words_and_dates(collector_a, proposal):
    task, first = proposal
    text = page_text(collector_a.get(f"/debtors/{task.debtor_id}/"))
    with timezone.override("Europe/Paris"):
        french = formats.date_format(first, "j F Y")
    assert f"3 échéances à partir du {french}" in text
    assert first.isoformat() not in text
    assert "Échéancier proposé" in text
    assert "plan.proposed" not in text
