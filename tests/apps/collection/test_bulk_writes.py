"""The pass writes its cases and actions through the project's bulk path: stored exactly as
``bulk_create`` stored them, conflicts left out the same way."""

from __future__ import annotations

from datetime import date

import pytest
from django.forms.models import model_to_dict

from relance.apps.collection.bulk import instances_insert
from relance.apps.collection.models import Action, Case
from relance.apps.collection.scenarios import scenarios_load_defaults
from tests.factories import CreditorFactory, DebtorFactory

pytestmark = pytest.mark.django_db

AS_OF = date(2026, 3, 20)


def _pair(creditor, debtor, scenario, case, key):
    return Action(
        creditor=creditor, debtor=debtor, case=case, step_key="reminder", channel="email",
        template="reminder", planned_date=AS_OF, state=Action.State.PLANNED,
        requires_approval=True, reason="Relance envoyée — « suite »", run_token="t",
        idempotency_key=key, outcome={"letter": 3, "on": "2026-03-20"}, invoice_ids=[1, 2],
    )


def _stored(pk):
    row = model_to_dict(Action.objects.get(pk=pk))
    row.pop("id")
    row["document"] = str(row["document"])
    return row


def test_an_action_is_stored_as_bulk_create_stores_it():
    creditor = CreditorFactory()
    debtor = DebtorFactory(creditor=creditor)
    scenario = scenarios_load_defaults()[0]
    case = Case.objects.create(creditor=creditor, debtor=debtor, scenario=scenario, opened_on=AS_OF)
    Action.objects.bulk_create([_pair(creditor, debtor, scenario, case, "orm")])
    assert instances_insert([_pair(creditor, debtor, scenario, case, "bulk")]) == 1
    orm = Action.objects.get(idempotency_key="orm")
    bulk = Action.objects.get(idempotency_key="bulk")
    expected = _stored(orm.pk) | {"idempotency_key": "bulk"}
    assert _stored(bulk.pk) == expected
    assert bulk.outcome == {"letter": 3, "on": "2026-03-20"}
    assert bulk.created_at is not None
    assert bulk.updated_at is not None


def test_a_conflicting_row_is_left_out_and_the_others_written():
    creditor = CreditorFactory()
    debtors = DebtorFactory.create_batch(3, creditor=creditor)
    scenario = scenarios_load_defaults()[0]
    Case.objects.create(creditor=creditor, debtor=debtors[0], scenario=scenario, opened_on=AS_OF)
    cases = [Case(creditor=creditor, debtor=d, scenario=scenario, cycle=1, opened_on=AS_OF)
             for d in debtors]  # the first debtor has its open case already
    instances_insert(cases, ignore_conflicts=True)
    assert Case.objects.filter(creditor=creditor).count() == 3
    case = Case.objects.get(debtor=debtors[1])
    actions = [_pair(creditor, debtors[1], scenario, case, key) for key in ("a", "a", "b")]
    instances_insert(actions, ignore_conflicts=True)
    assert sorted(Action.objects.values_list("idempotency_key", flat=True)) == ["a", "b"]
