"""Services' refusals with values (an invoice already in dispute, an action no longer waiting, a
scenario for other debtors...) read in French on the workspace's pages, while the services, as
the CLI and the API use them, keep the English sentence scripts rely on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from relance.apps.collection.actions import action_skip, actions_approve
from relance.apps.collection.models import Action, Scenario
from relance.apps.collection.pauses import dispute_open, promise_add
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.editors.services import (
    action_text_save,
    scenario_assign,
    scenario_edit,
    scenario_parse,
)
from relance.domain.errors import InvalidInputError
from tests.apps.workspace.test_desk import desk_for, record_missing_rates
from tests.apps.workspace.test_wording import page_text
from tests.factories import DebtorFactory, InvoiceFactory

pytestmark = pytest.mark.django_db


def test_opening_a_dispute_twice_is_refused_in_french(collector_a, creditor_a, today):
    caller, _, _, _ = desk_for(creditor_a, today, "A")
    dispute_open(creditor=creditor_a, invoice_number="A-C0", reason="livraison", as_of=today)
    page = collector_a.post(
        f"/debtors/{caller.pk}/dispute/open/",
        {"dispute-invoice": "A-C0", "dispute-reason": "encore"},
    )
    assert page.status_code == 400
    text = page_text(page)
    assert "la facture A-C0 est déjà en litige" in text
    assert "already in dispute" not in text
    with pytest.raises(InvalidInputError) as error:
        dispute_open(creditor=creditor_a, invoice_number="A-C0", reason="x", as_of=today)
    assert error.value.message == "invoice A-C0 is already in dispute"


def test_skipping_an_action_already_sent_is_refused_in_french(collector_a, creditor_a, today):
    _, _, _, notice = desk_for(creditor_a, today, "A")
    Action.objects.filter(pk=notice.pk).update(state=Action.State.SENT)
    page = collector_a.post(
        f"/worklist/actions/{notice.pk}/skip/", {"next": "/worklist/"}, follow=True
    )
    text = page_text(page)
    assert (
        f"l’action {notice.pk} est envoyée : seule une action prévue ou approuvée peut être ignorée"
    ) in text
    assert "can be skipped" not in text
    with pytest.raises(InvalidInputError) as error:
        action_skip(action_id=notice.pk)
    assert error.value.message == (
        f"action {notice.pk} is sent: only a planned or approved action can be skipped"
    )


def test_editing_an_approved_message_is_refused_in_french(collector_a, creditor_a, today):
    _, _, late, notice = desk_for(creditor_a, today, "A")
    record_missing_rates(late, today)  # else the letter cannot be approved: it states the rate
    actions_approve(ids=[notice.pk], creditor=creditor_a)
    page = collector_a.post(
        f"/actions/{notice.pk}/text/",
        {"action": "save", "subject": "Mise en demeure", "text": "Bonjour"},
        follow=True,
    )
    text = page_text(page)
    assert (
        f"l’action {notice.pk} est approuvée : seul un message pas encore approuvé peut être "
        "modifié"
    ) in text
    assert "not yet approved" not in text
    with pytest.raises(InvalidInputError) as error:
        action_text_save(
            creditor=creditor_a, action_id=notice.pk, subject="x", text="y", as_of=today
        )
    assert error.value.message == (
        f"action {notice.pk} is approved: only a message not yet approved can be edited"
    )


def test_a_call_already_skipped_is_refused_in_french(collector_a, creditor_a, today):
    from relance.apps.collection.calls import call_outcome_record

    _, call, _, _ = desk_for(creditor_a, today, "A")
    Action.objects.filter(pk=call.pk).update(state=Action.State.SKIPPED)
    page = collector_a.post(f"/worklist/calls/{call.pk}/", {"outcome": "no_answer"})
    text = page_text(page)
    assert (
        f"l’appel {call.pk} a le statut « ignorée » : seule l’issue d’un appel prévu ou "
        "approuvé peut être enregistrée"
    ) in text
    assert "can be recorded" not in text
    with pytest.raises(InvalidInputError) as error:
        call_outcome_record(action=call, outcome="no_answer", as_of=today)
    assert error.value.message == (
        f"call {call.pk} is skipped: only a planned or approved call can be recorded"
    )


def test_closing_a_call_as_a_task_is_refused_in_french(collector_a, creditor_a, today):
    from relance.apps.collection.calls import task_complete

    _, call, _, _ = desk_for(creditor_a, today, "A")
    page = collector_a.post(f"/worklist/tasks/{call.pk}/done/", {"next": "/worklist/"}, follow=True)
    text = page_text(page)
    assert f"l’action {call.pk} est une étape de type appel, pas une tâche" in text
    assert "not a task" not in text
    with pytest.raises(InvalidInputError) as error:
        task_complete(action=call, as_of=today)
    assert error.value.message == f"action {call.pk} is a call step, not a task"


def test_a_promise_without_a_scenario_for_the_debtor_is_refused_in_french(
    collector_a, creditor_a, today
):
    if not Scenario.objects.exists():
        scenarios_load_defaults()
    for scenario in Scenario.objects.filter(is_default=True):
        if "public" in (scenario.debtor_kinds or []):
            scenario.is_default = False
            scenario.save(update_fields=["is_default"])
    town = DebtorFactory(creditor=creditor_a, name="Mairie de Lyon", kind="public")
    InvoiceFactory(debtor=town, creditor=creditor_a, number="P-1", due_date=today)
    later = today + timedelta(days=10)
    page = collector_a.post(
        f"/debtors/{town.pk}/promise/",
        {"promise-amount": "100", "promise-date": later.isoformat()},
    )
    assert page.status_code == 400
    text = page_text(page)
    assert "aucun scénario par défaut pour les débiteurs publics" in text
    assert "no default scenario" not in text
    with pytest.raises(InvalidInputError) as error:
        promise_add(
            creditor=creditor_a,
            debtor_account=town.account,
            amount=100,
            promised_date=later,
            as_of=today,
        )
    assert error.value.message == "no default scenario for public debtors"


MINE = """[scenario]
name = "Clients fidèles"
debtor_kinds = ["business", "consumer"]

[[steps]]
key = "reminder"
offset_days = 7
channel = "email"
template = "reminder"
"""


def test_a_scenario_for_other_debtors_is_refused_in_french(admin_a, creditor_a):
    mine = scenario_edit(creditor=creditor_a, scenario=scenario_parse(MINE))
    town = DebtorFactory(creditor=creditor_a, name="Mairie de Lyon", kind="public")
    page = admin_a.post(
        reverse("workspace:scenario_assign", args=[mine.pk]),
        {"account": town.account, "next": "/scenarios/"},
        follow=True,
    )
    text = page_text(page)
    assert (
        "le scénario « Clients fidèles » est réservé aux débiteurs de type professionnel ou "
        "particulier ; Mairie de Lyon est de type organisme public"
    ) in text
    assert "debtors;" not in text
    with pytest.raises(InvalidInputError) as error:
        scenario_assign(creditor=creditor_a, debtor=town, scenario=mine)
    assert error.value.message == (
        "the scenario 'Clients fidèles' is for business, consumer debtors; "
        "Mairie de Lyon is a public debtor"
    )


HEADER = "Numéro facture;Compte client;Raison sociale;Date facture;Date échéance;Montant TTC\n"


def test_an_empty_csv_field_is_named_in_french(collector_a, settings, tmp_path, capsys):
    import json

    from django.core.files.uploadedfile import SimpleUploadedFile

    from relance import cli

    settings.MEDIA_ROOT = tmp_path
    csv = HEADER + "FA-900;;Menuiserie Lefèvre SARL;01/01/2026;31/01/2026;1200,00\n"
    upload = SimpleUploadedFile("vide.csv", csv.encode())
    page = collector_a.post("/imports/", {"kind": "ledger", "file": upload}, follow=True)
    text = page_text(page)
    assert "valeur obligatoire manquante (compte client)" in text
    assert "debtor_account" not in text
    path = tmp_path / "vide.csv"
    path.write_text(csv, encoding="utf-8")
    code = cli.main(["import", "ledger", str(path), "--dry-run", "--json"])
    assert code != 0
    problems = json.loads(capsys.readouterr().out)["problems"]
    assert [p["message"] for p in problems] == ["debtor_account is empty"]


def test_a_missing_csv_column_is_named_in_french():
    import io

    from django.utils import translation

    from relance.apps.workspace.wording import problem_text
    from relance.formats.ledger_csv import LedgerCsvReader

    reader = LedgerCsvReader(io.BytesIO(HEADER.replace(";Montant TTC", "").encode()))
    assert list(reader) == []
    [problem] = reader.report.problems
    assert problem.message.startswith("required column total_amount ('total_amount' or ")
    with translation.override("fr"):
        assert problem_text(problem).startswith("colonne obligatoire montant TTC (« total_amount »")


def test_an_e_invoice_without_its_number_names_the_element_in_french():
    from django.utils import translation

    from relance.apps.workspace.wording import problem_text
    from relance.domain.problems import Problem
    from relance.formats.einvoice import read_einvoice
    from tests.formats.test_einvoice import ubl

    [problem] = read_einvoice(ubl(body="<cbc:IssueDate>2026-01-05</cbc:IssueDate>")).problems
    assert problem.message == "no invoice number (BT-1)"
    with translation.override("fr"):
        assert problem_text(problem) == "élément manquant : numéro de facture (BT-1)"
        # As an import stores it with its dry run, and says it again later.
        stored = {**problem.as_dict(), **problem.wording()}
        assert problem_text(Problem.from_dict(stored)) == (
            "élément manquant : numéro de facture (BT-1)"
        )


def test_why_an_invoice_with_no_computable_regime_has_no_penalties_is_said_in_french(
    collector_a, creditor_a, today
):
    # A public body now has its own regime (fr-public); a dollar invoice to a French business
    # has none, and the chooser's reason reaches the page in French.
    from relance.apps.legal.selectors import invoice_penalties

    buyer = DebtorFactory(creditor=creditor_a, name="Importateur SA", kind="business")
    invoice = InvoiceFactory(
        debtor=buyer,
        creditor=creditor_a,
        number="P-1",
        currency="USD",
        issue_date=today - timedelta(days=60),
        due_date=today - timedelta(days=30),
    )
    text = page_text(collector_a.get(f"/debtors/{buyer.pk}/"))
    assert "Facture P-1 : Facture en USD à un débiteur établi en FR" in text
    assert "Choose a regime" not in text
    with pytest.raises(InvalidInputError) as error:
        invoice_penalties(invoice=invoice, as_of=today)
    assert error.value.message.startswith("Invoice P-1: Facture en USD à un débiteur établi en FR")


def test_a_call_whose_outcome_is_recorded_already_is_refused_in_french(creditor_a, today):
    # The desk shows a recorded call's outcome instead of its forms: this refusal reaches a
    # person through an outcome posted twice (two tabs), said with the page's words.
    from django.utils import translation

    from relance.apps.collection.calls import call_outcome_record
    from relance.apps.workspace.wording import error_text

    _, call, _, _ = desk_for(creditor_a, today, "A")
    call_outcome_record(action=call, outcome="wrong_number", as_of=today, phone="04 00 00 00 03")
    with pytest.raises(InvalidInputError) as error:
        call_outcome_record(action=call, outcome="no_answer", as_of=today)
    assert error.value.message == f"call {call.pk} already has its outcome (wrong_number) recorded"
    with translation.override("fr"):
        assert error_text(error.value) == (
            f"l’issue de l’appel {call.pk} est déjà enregistrée (faux numéro)"
        )
