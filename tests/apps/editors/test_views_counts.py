"""The scenario list counts each scenario's debtors in a few grouped queries: the same figures
as ``scenario_debtor_count`` asked one scenario at a time, for every mix of open case,
closed case, assignment and default by kind, and never another creditor's debtors."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from relance.apps.collection.models import Case, Scenario
from relance.apps.collection.scenarios import scenarios_load_defaults
from relance.apps.editors.models import ScenarioAssignment
from relance.apps.editors.selectors import scenario_debtor_count
from relance.apps.editors.services import scenario_edit, scenario_parse
from tests.apps.editors.test_services import MINE
from tests.factories import DebtorFactory

pytestmark = pytest.mark.django_db


def _case(debtor, scenario, status="active", cycle=1):  # type: ignore[no-untyped-def]
    return Case.objects.create(
        creditor=debtor.creditor,
        debtor=debtor,
        scenario=scenario,
        status=status,
        cycle=cycle,
        opened_on=timezone.localdate(),
    )


def _assign(debtor, scenario):  # type: ignore[no-untyped-def]
    return ScenarioAssignment.objects.create(
        creditor=debtor.creditor, debtor=debtor, scenario=scenario, assigned_at=timezone.now()
    )


def _listed(client) -> dict[str, int]:  # type: ignore[no-untyped-def]
    rows = client.get(reverse("workspace:scenarios")).context["rows"]
    return {r["scenario"].name: r["count"] for r in rows}


def test_the_list_counts_as_the_scenario_page_does(admin_a, creditor_a, creditor_b):
    scenarios_load_defaults()
    mine = scenario_edit(creditor=creditor_a, scenario=scenario_parse(MINE))
    b2b = Scenario.objects.get(name="B2B standard")
    make = lambda kind, creditor=creditor_a: DebtorFactory(creditor=creditor, kind=kind)  # noqa: E731
    for kind in ("business", "business", "consumer", "public"):  # the defaults' only
        make(kind)
    on_mine = make("business")
    _case(on_mine, mine)
    assigned = make("business")
    _assign(assigned, mine)
    both = make("business")  # case and assignment on the same scenario: counted once
    _case(both, mine)
    _assign(both, mine)
    split = make("business")  # case on the default, assigned to mine: counted under each
    _case(split, b2b)
    _assign(split, mine)
    # A closed case only: back to the default for its kind.
    _case(make("business"), mine, status="closed_paid")
    paused = make("public")
    _case(paused, b2b, status="paused")
    _case(make("business", creditor_b), mine)  # never counted for creditor A

    with CaptureQueriesContext(connection) as few:
        listed = _listed(admin_a)
    expected = {
        s.name: scenario_debtor_count(scenario=s, creditor=creditor_a)
        for s in Scenario.objects.all()
    }
    assert listed == expected
    assert listed["Clients fidèles"] == 4  # on_mine, assigned, both, split
    # Three more debtors of each kind and more cases: the same number of queries.
    for _ in range(3):
        for kind in ("business", "consumer", "public"):
            _case(make(kind), mine if kind == "business" else b2b)
    with CaptureQueriesContext(connection) as more:
        listed = _listed(admin_a)
    assert listed == {
        s.name: scenario_debtor_count(scenario=s, creditor=creditor_a)
        for s in Scenario.objects.all()
    }
    assert listed["Clients fidèles"] == 7
    assert len(more.captured_queries) == len(few.captured_queries)


def test_the_counts_are_kept_between_views_and_follow_every_assignment(admin_a, creditor_a):
    scenarios_load_defaults()
    mine = scenario_edit(creditor=creditor_a, scenario=scenario_parse(MINE))
    debtors = [DebtorFactory(creditor=creditor_a, kind="business") for _ in range(3)]
    assert _listed(admin_a)[mine.name] == 0
    with CaptureQueriesContext(connection) as again:
        assert _listed(admin_a)[mine.name] == 0
    assert not [q for q in again.captured_queries if "GROUP BY" in q["sql"]]  # kept
    row = _assign(debtors[0], mine)
    assert _listed(admin_a)[mine.name] == 1
    row.delete()
    assert _listed(admin_a)[mine.name] == 0
    _case(debtors[1], mine)
    assert _listed(admin_a)[mine.name] == 1
