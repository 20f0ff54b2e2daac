"""What the workspace shows of a chase's start: steps not sent, declared contacts, the e-mail
fallback (issue 14), in French on French pages."""

from __future__ import annotations

import html
from datetime import timedelta

from django.utils import formats, translation

from relance.apps.collection.daily_pass import collection_run
from relance.apps.collection.history import contact_declare
from relance.apps.collection.models import Action
from tests.factories import DebtorFactory, InvoiceFactory


def page_text(response) -> str:
    return " ".join(html.unescape(response.content.decode()).split())


def test_a_step_not_taken_shows_as_not_sent_dated_the_day_the_chase_started(collector_a, creditor_a, today):
    debtor = DebtorFactory(creditor=creditor_a, name="Vieille Dette SARL")
    InvoiceFactory(debtor=debtor, creditor=creditor_a, issue_date=today - timedelta(days=430),
                   due_date=today - timedelta(days=400))
    collection_run(as_of=today, creditor=creditor_a, dispatch=False)
    assert list(Action.objects.filter(debtor=debtor).values_list("step_key", "state")) == [
        ("courtesy", "skipped"), ("reminder", "planned")]
    text = page_text(collector_a.get(f"/debtors/{debtor.pk}/"))
    with translation.override("fr"):
        started = formats.date_format(today)
    assert f"Non envoyée (relance commencée le {started})" in text
    assert "Écartée" not in text


def test_a_declared_contact_shows_on_its_day(collector_a, creditor_a, today):
    debtor = DebtorFactory(creditor=creditor_a, name="Déjà Relancé SARL")
    InvoiceFactory(debtor=debtor, creditor=creditor_a, issue_date=today - timedelta(days=90),
                   due_date=today - timedelta(days=60))
    contact_declare(creditor=creditor_a, debtor=debtor, step_key="invoice_again",
                    contact_date=today - timedelta(days=20), today=today, note="relance par courriel",
                    actor="user:camille")
    text = page_text(collector_a.get(f"/debtors/{debtor.pk}/"))
    assert "Faite hors de Relance" in text
    assert "relance par courriel" in text


def test_the_worklist_says_in_french_why_an_e_mail_step_became_a_task(collector_a, creditor_a, today):
    debtor = DebtorFactory(creditor=creditor_a, name="Sans Adresse SARL", email="", address="", city="")
    InvoiceFactory(debtor=debtor, creditor=creditor_a, issue_date=today - timedelta(days=60),
                   due_date=today - timedelta(days=30))
    collection_run(as_of=today, creditor=creditor_a, dispatch=False)
    task = Action.objects.get(debtor=debtor, step_key="reminder")
    assert task.channel == "task"
    text = page_text(collector_a.get("/worklist/"))
    assert "Sans Adresse SARL" in text
    assert "Ni adresse e-mail utilisable ni adresse postale : à trouver" in text
