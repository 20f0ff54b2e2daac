"""The first morning: an empty install leads step by step, and the page asks once what was
already done outside Relance for the old debts, recorded as `relance case history add` does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from relance.apps.audit.models import Event
from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.models import Action, DeclaredContact
from relance.apps.collection.outside import old_debts
from relance.apps.ledger.demo import demo_load
from tests.apps.editors.test_dispatch import smtp  # noqa: F401
from tests.apps.workspace.test_wording import page_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(client, settings, tmp_path):
    settings.EMAIL_URL = f"file://{tmp_path / 'outbox'}"
    settings.VAR_DIR = tmp_path
    summary = demo_load(invoices=80, seed=7, as_of=timezone.localdate())
    from django.contrib.auth import get_user_model

    client.force_login(get_user_model().objects.get(username="demo"))
    from relance.apps.creditors.models import Creditor

    return client, Creditor.objects.get(pk=summary["creditor"]["id"])


def test_an_empty_install_shows_the_first_steps_instead_of_zeros(admin_a, settings, tmp_path, smtp):  # noqa: F811
    handler, port = smtp
    settings.EMAIL_URL = f"smtp://127.0.0.1:{port}"
    text = page_text(admin_a.get("/"))
    assert "Premiers pas" in text
    assert "1 étape(s) faite(s) sur 4" in text  # the factory's creditor has its identity and IBAN
    assert "Importez votre grand livre" in text
    assert "Aucun débiteur ne correspond" not in text
    admin_a.post("/welcome/scenario/")
    admin_a.post("/welcome/test-mail/", {"to": "moi@example.org"})
    assert len(handler.messages) == 1
    text = page_text(admin_a.get("/"))
    assert "3 étape(s) faite(s) sur 4" in text
    assert Event.objects.filter(kind="onboarding.scenario_checked").count() == 1


def test_the_old_debts_question_is_asked_once_and_resumes_the_chase(demo):
    client, creditor = demo
    today = timezone.localdate()
    dashboard = page_text(client.get("/"))
    assert "Avant la première passe : dites, une fois, ce qui a déjà été fait" in dashboard
    rows, count = old_debts(creditor=creditor, as_of=today)
    assert count > 2
    text = page_text(client.get("/welcome/"))
    assert "Qu’avez-vous déjà fait en dehors de Relance ?" in text
    assert rows[0].debtor.name in text
    first, second = rows[0].debtor, rows[1].debtor
    answers = {f"answer-{row.debtor.pk}": "nothing" for row in rows}
    # A mise en demeure without its date is refused whole, in French.
    refused = client.post("/welcome/history/", {**answers, f"answer-{first.pk}": "formal_notice"}, follow=True)
    assert "dites quel jour ce fut fait" in page_text(refused)
    assert not DeclaredContact.objects.exists()
    sent_on = today - timedelta(days=10)
    response = client.post(
        "/welcome/history/",
        {**answers, f"answer-{first.pk}": "formal_notice", f"date-{first.pk}": sent_on.isoformat(),
         f"answer-{second.pk}": "email", f"date-{second.pk}": (today - timedelta(days=4)).isoformat()},
        follow=True,
    )
    text = page_text(response)
    assert "Enregistré : 2 débiteur(s) reprennent après ce qui a été fait" in text
    assert "Répondu le" in text
    declared = DeclaredContact.objects.get(debtor=first)
    assert (declared.step_key, declared.contact_date, declared.source) == ("formal_notice", sent_on, "workspace")
    assert DeclaredContact.objects.get(debtor=second).step_key == "reminder"
    assert Event.objects.filter(kind="onboarding.history_answered").count() == 1
    assert "Avant la première passe" not in page_text(client.get("/"))
    # The pass resumes after the declared steps: no second mise en demeure, no first reminder.
    collection_run(as_of=today, creditor=creditor, dispatch=False)
    assert not Action.objects.filter(debtor=first, step_key__in=["reminder", "formal_notice"]).exists()
    assert not Action.objects.filter(debtor=second, step_key="reminder").exists()


def test_a_debtor_of_another_creditor_cannot_be_declared(demo, creditor_b):
    from tests.factories import DebtorFactory

    client, _ = demo
    stranger = DebtorFactory(creditor=creditor_b)
    client.post("/welcome/history/", {f"answer-{stranger.pk}": "email",
                                     f"date-{stranger.pk}": timezone.localdate().isoformat()})
    assert not DeclaredContact.objects.exists()
